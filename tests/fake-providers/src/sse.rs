//! Streams planned server-sent events, one flushed chunk each, with delays and stream faults.
//! Both providers send `event: <type>` lines and no `data: [DONE]`.

use std::io;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::errors::{Flavor, error_body};
use crate::state::{Delays, FaultKind, Shared};

/// One event to send.
#[derive(Debug)]
pub(crate) struct SseEvent {
    pub data: Value,
    /// Deltas are what the token delays apply to.
    pub is_delta: bool,
}

/// Starts streaming `events` and returns the response at once; a fault for `path` is taken
/// from the queue now, so it belongs to this request.
pub(crate) fn stream(
    shared: &Arc<Shared>,
    path: &str,
    flavor: Flavor,
    delays: Delays,
    events: Vec<SseEvent>,
) -> Response {
    let fault = shared.take_fault(path, |k| {
        matches!(
            k,
            FaultKind::StallMidStream { .. }
                | FaultKind::DropMidStream { .. }
                | FaultKind::MalformedJson
                | FaultKind::MidStreamError { .. }
        )
    });
    let (tx, rx) = mpsc::channel::<Result<Bytes, io::Error>>(8);
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        let outcome = produce(&shared, flavor, delays, events, fault, &tx).await;
        let mut inner = shared.lock();
        match outcome {
            Ok(()) => inner.streams.completed += 1,
            Err(Gone) => inner.streams.abandoned += 1,
        }
    });
    let mut builder = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-cache");
    if flavor == Flavor::Anthropic {
        builder = builder.header("request-id", "req_fake0000000000000000");
    }
    builder
        .body(Body::from_stream(ReceiverStream::new(rx)))
        .unwrap_or_default()
}

/// The client hung up (or a fault ended the stream on purpose).
struct Gone;

async fn send(tx: &mpsc::Sender<Result<Bytes, io::Error>>, frame: String) -> Result<(), Gone> {
    tx.send(Ok(Bytes::from(frame))).await.map_err(|_| Gone)
}

fn frame(data: &Value) -> String {
    let name = data
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("message");
    format!("event: {name}\ndata: {data}\n\n")
}

enum Action {
    Stall(u64),
    Drop,
    Error,
}

/// The fault's action before event `position`; at the end of the stream, faults positioned at
/// or past the end fire too.
fn action_at(fault: Option<&FaultKind>, position: u32, at_end: bool) -> Option<Action> {
    let hits = |after: u32| after == position || (at_end && after >= position);
    match fault? {
        FaultKind::StallMidStream { after_events, ms } if hits(*after_events) => {
            Some(Action::Stall(*ms))
        }
        FaultKind::DropMidStream { after_events } if hits(*after_events) => Some(Action::Drop),
        FaultKind::MidStreamError { after_events } if hits(*after_events) => Some(Action::Error),
        _ => None,
    }
}

/// Sleeps, ending early when the fake shuts down or the client hangs up.
async fn wait(
    shared: &Shared,
    ms: u64,
    tx: &mpsc::Sender<Result<Bytes, io::Error>>,
) -> Result<(), Gone> {
    if ms == 0 {
        return Ok(());
    }
    tokio::select! {
        slept = shared.pause(ms) => if slept { Ok(()) } else { Err(Gone) },
        () = tx.closed() => Err(Gone),
    }
}

async fn apply(
    shared: &Shared,
    flavor: Flavor,
    action: Option<Action>,
    position: u32,
    tx: &mpsc::Sender<Result<Bytes, io::Error>>,
) -> Result<(), Gone> {
    match action {
        Some(Action::Stall(ms)) => wait(shared, ms, tx).await,
        Some(Action::Drop) => {
            // Let hyper flush what was sent; then an error from the body stream makes it abort
            // the connection without the terminating chunk.
            wait(shared, 50, tx).await?;
            let _ = tx
                .send(Err(io::Error::other("fake-providers: dropped mid-stream")))
                .await;
            Err(Gone)
        }
        Some(Action::Error) => {
            send(tx, frame(&mid_stream_error(flavor, u64::from(position)))).await?;
            Err(Gone)
        }
        None => Ok(()),
    }
}

async fn produce(
    shared: &Shared,
    flavor: Flavor,
    delays: Delays,
    events: Vec<SseEvent>,
    fault: Option<FaultKind>,
    tx: &mpsc::Sender<Result<Bytes, io::Error>>,
) -> Result<(), Gone> {
    let malformed_at = matches!(fault, Some(FaultKind::MalformedJson)).then_some(events.len() / 2);
    let mut deltas_sent = 0_u64;
    for (index, event) in events.iter().enumerate() {
        let position = u32::try_from(index).unwrap_or(u32::MAX);
        apply(
            shared,
            flavor,
            action_at(fault.as_ref(), position, false),
            position,
            tx,
        )
        .await?;
        if malformed_at == Some(index) {
            let broken = match flavor {
                Flavor::OpenAi => {
                    "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\n\n"
                }
                Flavor::Anthropic => {
                    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":\n\n"
                }
            };
            send(tx, broken.to_owned()).await?;
        }
        if event.is_delta {
            let ms = if deltas_sent == 0 {
                delays.first_token_ms
            } else {
                delays.per_delta_ms
            };
            wait(shared, ms, tx).await?;
            deltas_sent += 1;
        }
        send(tx, frame(&event.data)).await?;
    }
    let total = u32::try_from(events.len()).unwrap_or(u32::MAX);
    apply(
        shared,
        flavor,
        action_at(fault.as_ref(), total, true),
        total,
        tx,
    )
    .await?;
    Ok(())
}

fn mid_stream_error(flavor: Flavor, sequence_number: u64) -> Value {
    match flavor {
        Flavor::OpenAi => json!({
            "type": "error",
            "code": "server_error",
            "message": "The fake OpenAI was told to fail this stream.",
            "param": null,
            "sequence_number": sequence_number,
        }),
        Flavor::Anthropic => error_body(flavor, "overloaded_error", "Overloaded", None, None),
    }
}
