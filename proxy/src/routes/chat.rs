//! `POST /api/chat` (one JSON reply) and `POST /api/chat/stream` (server-sent events).
//!
//! Both admit the turn first ([`super::admission`]): nothing is sent upstream before every
//! check passed and the budget is reserved. The stream relays each upstream delta the moment it
//! arrives; when the visitor goes away (or stops reading) the relay stops and the upstream
//! request is dropped, which closes its connection. However a turn ends, its reservation is
//! settled.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use protocol::{ChatRequest, ChatResponse, StreamEvent, Usage, codes};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tracing::{info, warn};

use super::AppState;
use super::admission::{Admitted, admit};
use crate::config::ClientConfig;
use crate::error::{AppError, Json, from_upstream};
use crate::limits::ConversationRecord;
use crate::speech::sentences::speakable;
use crate::speech::{SpeechPipeline, SpeechPlan};
use crate::upstream::{Reply, ReplyEvent, ReplyStream, Turn};

#[utoipa::path(
    post, path = "/api/chat", tag = "chat",
    summary = "One turn, answered as one JSON reply (with the whole reply's speech)",
    params(
        ("Origin" = Option<String>, Header, nullable = false, description = super::contract::ORIGIN_DOC),
        ("X-Widget-Session" = Option<String>, Header, nullable = false, description = super::contract::SESSION_DOC),
    ),
    request_body = ChatRequest,
    responses(
        (status = 200, description = "The reply", body = ChatResponse,
            links(("continue" = (
                operation_id = "chat",
                description = "The next turn of this conversation (same site, Origin and session)",
                parameters(("header.X-Widget-Session" = "$request.header.X-Widget-Session")),
                request_body = json!({
                    "client_id": "$request.body#/client_id",
                    "message": "And then?",
                    "previous_response_id": "$response.body#/response_id",
                }),
            )))),
        super::contract::TurnErrors,
    ),
)]
pub async fn chat(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<ChatRequest>,
) -> Result<Json<ChatResponse>, AppError> {
    let mut p = admit(&state, peer, &headers, req).await?;
    let started = Instant::now();
    // Failing here, the reservation settles itself (dropped) with what may have been billed.
    let reply = state
        .chat
        .complete(&p.client, &p.turn)
        .await
        .map_err(|e| upstream_failed(&p.client, &p.turn, &e))?;
    let usage = finish(&state, &mut p, &reply, started).await;
    let (audio_url, tts_error) = match p.speech.clone() {
        None => (None, None),
        Some(plan) => speak_whole(&state, &mut p, &plan, &reply.text).await,
    };
    p.budget.settle().await;
    Ok(Json(ChatResponse {
        response: reply.text,
        response_id: reply.response_id,
        audio_url,
        usage,
        tts_error,
    }))
}

#[utoipa::path(
    post, path = "/api/chat/stream", tag = "chat",
    summary = "One turn, streamed as server-sent events while the reply is written",
    description = "Every check happens before the stream starts: a turn refused, or one that \
        fails before its first event, is a plain HTTP error. Once streaming, a failure is an \
        `error` event, and text already sent stays valid.",
    params(
        ("Origin" = Option<String>, Header, nullable = false, description = super::contract::ORIGIN_DOC),
        ("X-Widget-Session" = Option<String>, Header, nullable = false, description = super::contract::SESSION_DOC),
    ),
    request_body = ChatRequest,
    responses(
        (status = 200, description = "The reply as it is written: `delta`, `audio`, \
            `audio_error`, then `done` or `error`",
            content_type = "text/event-stream", body = super::contract::SseEvent),
        super::contract::TurnErrors,
    ),
)]
pub async fn chat_stream(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<ChatRequest>,
) -> Result<Response, AppError> {
    let pieces = req.audio_pieces;
    let p = admit(&state, peer, &headers, req).await?;
    let started = Instant::now();
    // Failing here, nothing has been sent: the visitor gets a plain HTTP error.
    let upstream = state
        .chat
        .stream(&p.client, &p.turn)
        .await
        .map_err(|e| upstream_failed(&p.client, &p.turn, &e))?;
    let (tx, rx) = mpsc::channel::<Event>(64);
    let speech = p
        .speech
        .clone()
        .map(|plan| SpeechPipeline::new(state.voice.clone(), plan, pieces));
    tokio::spawn(relay(state, p, upstream, speech, tx, started));
    let sse = Sse::new(ReceiverStream::new(rx).map(Ok::<_, Infallible>))
        .keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15)));
    let mut response = sse.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-transform"),
    );
    // Tells nginx and similar proxies not to buffer the stream.
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// The whole reply as one clip, for `/api/chat`. Failing speech never fails the turn: the text
/// goes back with `audio_url: null` and a `tts_error` code.
async fn speak_whole(
    state: &AppState,
    p: &mut Admitted,
    plan: &SpeechPlan,
    text: &str,
) -> (Option<String>, Option<String>) {
    let Some(spoken) = speakable(text) else {
        return (None, None);
    };
    // Checked before paying: a reply the caps cannot hold is left to the browser voice.
    let Some(chars) = plan.admit_whole(&spoken) else {
        return (None, Some(codes::TTS_TOO_LONG.into()));
    };
    let result = state
        .voice
        .synthesize(
            plan.backend,
            &plan.voice,
            &plan.language,
            &spoken,
            plan.max_bytes,
        )
        .await;
    let paid_ms = match &result {
        Ok(clip) if clip.cached => None,
        Ok(clip) => Some(clip.duration_ms),
        Err(_) => Some(0),
    };
    if let Some(ms) = paid_ms {
        p.budget
            .add_speech_micro(plan.prices.micro_usd(plan.backend, chars, 1, ms));
    }
    match result {
        Ok(clip) if clip.duration_ms <= plan.max_ms => (Some(clip.data_url.to_string()), None),
        Ok(_) => (None, Some(codes::TTS_TOO_LONG.into())),
        Err(e) => (None, Some(e.code().into())),
    }
}

/// Moves upstream events to the visitor until the reply ends or the visitor leaves. With
/// speech on, sentences are synthesised as they complete and their audio (clips, or pieces of
/// them) is interleaved with the text, in order; `done` (or `error`) comes last.
async fn relay(
    state: AppState,
    mut p: Admitted,
    mut upstream: ReplyStream,
    mut speech: Option<SpeechPipeline>,
    tx: mpsc::Sender<Event>,
    started: Instant,
) {
    let _active = ActiveStream::new();
    let client = Arc::clone(&p.client);
    let send_timeout = state.config.stream_send_timeout;
    let mut first_delta = true;
    let mut first_audio = true;
    // The final event, held back until the last clip is out.
    let mut last: Option<StreamEvent> = None;
    loop {
        let speech_idle = speech.as_ref().is_none_or(SpeechPipeline::is_idle);
        if let Some(event) = last.as_ref()
            && speech_idle
        {
            let _ = tokio::time::timeout(send_timeout, tx.send(sse_event(event))).await;
            break;
        }
        let event = tokio::select! {
            () = tx.closed() => {
                info!(client = %client.id, "visitor disconnected; upstream request and speech cancelled");
                break;
            }
            item = upstream.next(), if last.is_none() => match item {
                Some(Ok(ReplyEvent::Delta(text))) => {
                    p.budget.add_output_bytes(text.len());
                    if first_delta {
                        first_delta = false;
                        let ttft = started.elapsed();
                        metrics::histogram!("chat_time_to_first_token_seconds").record(ttft.as_secs_f64());
                        info!(client = %client.id, ttft_ms = ttft.as_millis() as u64, "first delta");
                    }
                    if let Some(s) = speech.as_mut() {
                        s.push(&text);
                    }
                    StreamEvent::Delta { text }
                }
                Some(Ok(ReplyEvent::Done(reply))) => {
                    if let Some(s) = speech.as_mut() {
                        s.finish();
                    }
                    let usage = finish(&state, &mut p, &reply, started).await;
                    last = Some(StreamEvent::Done { response_id: reply.response_id, usage });
                    continue;
                }
                Some(Err(e)) => {
                    if let Some(s) = speech.as_mut() {
                        s.cut_off();
                    }
                    let err = upstream_failed(&client, &p.turn, &e);
                    // Sentences already complete are still spoken.
                    last = Some(StreamEvent::Error { code: err.code().into(), message: err.to_string() });
                    continue;
                }
                None => {
                    if let Some(s) = speech.as_mut() {
                        s.cut_off();
                    }
                    // The upstream adapters end with Done or an error; this is a bug guard.
                    let err = AppError::Upstream;
                    last = Some(StreamEvent::Error { code: err.code().into(), message: err.to_string() });
                    continue;
                }
            },
            event = next_speech(&mut speech) => event,
        };
        if first_audio && matches!(event, StreamEvent::Audio { .. }) {
            first_audio = false;
            metrics::histogram!("tts_time_to_first_audio_seconds")
                .record(started.elapsed().as_secs_f64());
        }
        // A visitor who stops reading must not pin the upstream call and its memory forever.
        match tokio::time::timeout(send_timeout, tx.send(sse_event(&event))).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => {
                info!(client = %client.id, "visitor disconnected; upstream request and speech cancelled");
                break;
            }
            Err(_) => {
                warn!(client = %client.id, "visitor stopped reading the stream; closing it");
                break;
            }
        }
    }
    // However the relay ended: what the reply really cost (or, if it ended early, what it may
    // have been billed for) and the speech paid so far.
    if let Some(s) = &speech {
        p.budget.add_speech_micro(s.spent_micro_usd());
    }
    p.budget.settle().await;
}

/// Counts open chat streams for `/metrics`.
struct ActiveStream;

impl ActiveStream {
    fn new() -> Self {
        metrics::gauge!("chat_active_streams").increment(1.0);
        Self
    }
}

impl Drop for ActiveStream {
    fn drop(&mut self) {
        metrics::gauge!("chat_active_streams").decrement(1.0);
    }
}

async fn next_speech(speech: &mut Option<SpeechPipeline>) -> StreamEvent {
    match speech {
        Some(s) => s.next_event().await,
        None => std::future::pending().await,
    }
}

pub fn sse_event(event: &StreamEvent) -> Event {
    // Serialising our own enum of strings and numbers cannot fail.
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".into());
    Event::default().event(event.name()).data(data)
}

fn upstream_failed(
    client: &ClientConfig,
    turn: &Turn,
    e: &crate::upstream::UpstreamError,
) -> AppError {
    let err = from_upstream(e, turn.previous_response_id.is_some());
    metrics::counter!("upstream_errors_total", "kind" => e.kind()).increment(1);
    warn!(client = %client.id, model = %turn.model, kind = e.kind(), error = %e, answered = err.code(), "chat turn failed");
    err
}

/// Records the reply's real cost and its place in the conversation, counts and logs it;
/// returns the usage the widget sees. The budget settles when the turn ends (speech included).
async fn finish(state: &AppState, p: &mut Admitted, reply: &Reply, started: Instant) -> Usage {
    let cost_usd = state.chat.cost_usd(&p.client, &reply.usage).await;
    let u = &reply.usage;
    let micro = cost_usd.map(|c| (c * 1e6).ceil() as u64);
    p.budget.set_real(u.total_tokens, micro);
    let record = ConversationRecord {
        client: p.client.id.clone(),
        session: p.session.clone(),
        turns: p.turns,
        context_tokens: p.context_after(u, &reply.text),
    };
    state.limits.record_reply(&reply.response_id, &record).await;
    let (client, turn) = (&p.client, &p.turn);
    let id = client.id.clone();
    metrics::counter!("chat_tokens_total", "client" => id.clone(), "kind" => "input")
        .increment(u.input_tokens);
    metrics::counter!("chat_tokens_total", "client" => id.clone(), "kind" => "output")
        .increment(u.output_tokens);
    metrics::counter!("chat_cost_microdollars_total", "client" => id.clone())
        .increment(micro.unwrap_or(0));
    metrics::counter!("chat_replies_total", "client" => id).increment(1);
    let latency_ms = started.elapsed().as_millis() as u64;
    // The prices the cost was computed from, in US dollars per million tokens (0 when unknown).
    let prices = state.chat.prices(client).await;
    let per_m = |p: Option<u64>| p.map_or(0.0, |cents_per_100m| cents_per_100m as f64 / 10_000.0);
    let (prompt_usd_per_m, completion_usd_per_m) = (
        per_m(prices.map(|p| p.prompt)),
        per_m(prices.map(|p| p.completion)),
    );
    if state.config.log_message_text {
        info!(
            client = %client.id, model = %turn.model, response_id = %reply.response_id, turns = p.turns,
            input_tokens = u.input_tokens, output_tokens = u.output_tokens,
            total_tokens = u.total_tokens, reasoning_tokens = u.reasoning_tokens,
            cost_usd = cost_usd.unwrap_or(0.0), prompt_usd_per_m, completion_usd_per_m,
            latency_ms, incomplete = reply.incomplete,
            message = %turn.message.escape_debug(), reply = %reply.text.escape_debug(),
            "chat reply"
        );
    } else {
        info!(
            client = %client.id, model = %turn.model, response_id = %reply.response_id, turns = p.turns,
            input_tokens = u.input_tokens, output_tokens = u.output_tokens,
            total_tokens = u.total_tokens, reasoning_tokens = u.reasoning_tokens,
            cost_usd = cost_usd.unwrap_or(0.0), prompt_usd_per_m, completion_usd_per_m,
            latency_ms, incomplete = reply.incomplete,
            "chat reply"
        );
    }
    Usage {
        input_tokens: u.input_tokens,
        output_tokens: u.output_tokens,
        total_tokens: u.total_tokens,
        reasoning_tokens: u.reasoning_tokens,
        cost_usd,
    }
}
