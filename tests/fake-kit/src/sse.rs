//! Streams planned server-sent events, one flushed chunk each, with token delays and the stream
//! faults (stall, drop, mid-stream error, malformed JSON). The [`SseStyle`] says how the API
//! frames its events and what its error event looks like.

use std::io;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::fault::FaultKind;
use crate::shared::{Core, Fake};

/// One event to send.
#[derive(Debug)]
pub struct SseEvent {
    pub data: Value,
    /// Deltas are what the token delays apply to.
    pub is_delta: bool,
}

/// Token delays in milliseconds; zero means "as fast as possible".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pace {
    /// Before the first text delta of a stream.
    pub first_token_ms: u64,
    /// Between consecutive text deltas.
    pub per_delta_ms: u64,
}

/// An API's stream conventions.
pub trait SseStyle: Copy + Send + Sync + 'static {
    /// `Content-Type` of the stream.
    const CONTENT_TYPE: &'static str = "text/event-stream";
    /// Headers the API adds to every answer.
    fn extra_headers(self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
    /// `event: <type>` before each `data:` line.
    fn event_lines(self) -> bool;
    /// End with `data: [DONE]`.
    fn done(self) -> bool;
    /// The event a `MidStreamError` fault sends before event `position`.
    fn error_event(self, position: u64) -> Value;
    /// The frame a `MalformedJson` fault sends halfway: a `data:` line of invalid JSON.
    fn malformed_frame(self) -> &'static str;
}

/// Starts streaming `events` and returns the response at once; a stream fault for `path` is
/// taken from the queue now, so it belongs to this request.
pub fn stream<F: Fake, S: SseStyle>(
    shared: &Arc<F>,
    path: &str,
    style: S,
    pace: Pace,
    events: Vec<SseEvent>,
) -> Response {
    let fault = shared.take_http_fault(path, FaultKind::in_stream);
    let (tx, rx) = mpsc::channel::<Result<Bytes, io::Error>>(8);
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        let core: &Core<F> = &shared;
        let writer = Writer {
            core,
            style,
            tx: &tx,
        };
        // A send error means the client went away; there is nobody left to write to.
        let outcome = writer.produce(pace, &events, fault.as_ref()).await;
        let mut inner = core.lock();
        match outcome {
            Ok(()) => inner.streams.completed += 1,
            Err(Gone) => inner.streams.abandoned += 1,
        }
    });
    let mut builder = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, S::CONTENT_TYPE)
        .header(header::CACHE_CONTROL, "no-cache");
    for (name, value) in style.extra_headers() {
        builder = builder.header(*name, *value);
    }
    builder
        .body(Body::from_stream(ReceiverStream::new(rx)))
        .unwrap_or_default()
}

/// The client hung up (or a fault ended the stream on purpose).
struct Gone;

/// What a stream fault does at a given position.
enum Action {
    Stall(u64),
    Drop,
    Error,
}

/// The fault's action before event `position`; at the end of the stream, faults positioned at
/// or past the end fire too, so a test can target "after everything".
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

struct Writer<'a, F: Fake, S> {
    core: &'a Core<F>,
    style: S,
    tx: &'a mpsc::Sender<Result<Bytes, io::Error>>,
}

impl<F: Fake, S: SseStyle> Writer<'_, F, S> {
    async fn send(&self, frame: String) -> Result<(), Gone> {
        self.tx.send(Ok(Bytes::from(frame))).await.map_err(|_| Gone)
    }

    fn frame(&self, data: &Value) -> String {
        if self.style.event_lines() {
            let name = data
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("message");
            format!("event: {name}\ndata: {data}\n\n")
        } else {
            format!("data: {data}\n\n")
        }
    }

    /// Sleeps, ending the stream early when the fake shuts down or the client hangs up (so a
    /// "forever" stall does not outlive its client).
    async fn wait(&self, ms: u64) -> Result<(), Gone> {
        if ms == 0 {
            return Ok(());
        }
        tokio::select! {
            slept = self.core.pause(ms) => if slept { Ok(()) } else { Err(Gone) },
            () = self.tx.closed() => Err(Gone),
        }
    }

    /// Applies a fault action; `Err` ends the stream.
    async fn apply(&self, action: Option<Action>, position: u32) -> Result<(), Gone> {
        match action {
            Some(Action::Stall(ms)) => self.wait(ms).await,
            Some(Action::Drop) => {
                // Let hyper see an empty channel and flush the events already sent; an error
                // queued right behind them would abort the connection with them still buffered.
                self.wait(50).await?;
                // An error from the body stream makes hyper abort the connection without the
                // terminating chunk, which is what a dropped upstream looks like.
                let _ = self
                    .tx
                    .send(Err(io::Error::other(format!(
                        "{}: dropped mid-stream",
                        F::NAME
                    ))))
                    .await;
                Err(Gone)
            }
            Some(Action::Error) => {
                let error = self.style.error_event(u64::from(position));
                self.send(self.frame(&error)).await?;
                Err(Gone)
            }
            None => Ok(()),
        }
    }

    async fn produce(
        &self,
        pace: Pace,
        events: &[SseEvent],
        fault: Option<&FaultKind>,
    ) -> Result<(), Gone> {
        let malformed_at =
            matches!(fault, Some(FaultKind::MalformedJson)).then_some(events.len() / 2);
        let mut deltas_sent = 0_u64;
        for (index, event) in events.iter().enumerate() {
            let position = u32::try_from(index).unwrap_or(u32::MAX);
            self.apply(action_at(fault, position, false), position)
                .await?;
            if malformed_at == Some(index) {
                self.send(self.style.malformed_frame().to_owned()).await?;
            }
            if event.is_delta {
                let ms = if deltas_sent == 0 {
                    pace.first_token_ms
                } else {
                    pace.per_delta_ms
                };
                self.wait(ms).await?;
                deltas_sent += 1;
            }
            self.send(self.frame(&event.data)).await?;
        }
        let total = u32::try_from(events.len()).unwrap_or(u32::MAX);
        self.apply(action_at(fault, total, true), total).await?;
        if self.style.done() {
            self.send("data: [DONE]\n\n".to_owned()).await?;
        }
        Ok(())
    }
}
