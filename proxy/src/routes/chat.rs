//! `POST /api/chat` (one JSON reply) and `POST /api/chat/stream` (server-sent events).
//!
//! Both validate the same way before anything is sent upstream: known client, allowed origin,
//! message within limits, voice on the client's list, token cap. The stream relays each upstream
//! delta the moment it arrives; when the visitor goes away the relay stops and the upstream
//! request is dropped, which closes its connection.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use protocol::{ChatRequest, ChatResponse, StreamEvent, Usage, codes};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tracing::{info, warn};

use super::AppState;
use crate::config::ClientConfig;
use crate::error::{AppError, Json, from_upstream};
use crate::sentences::speakable;
use crate::speech::{SpeechPipeline, SpeechPlan};
use crate::upstream::{Reply, ReplyEvent, ReplyStream, Turn};

/// Longest `previous_response_id` accepted; x.ai's are 36-character UUIDs.
const MAX_RESPONSE_ID_LEN: usize = 128;

pub async fn chat(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(req): Json<ChatRequest>,
) -> Result<Json<ChatResponse>, AppError> {
    let voice = req.voice.clone();
    let (client, turn) = prepare(&state, &headers, req).await?;
    let started = Instant::now();
    let reply = state
        .chat
        .complete(&client, &turn)
        .await
        .map_err(|e| upstream_failed(&client, &turn, &e))?;
    let usage = finish(&state, &client, &turn, &reply, started).await;
    let (audio_url, tts_error) = match speech_plan(&state, &client, voice.as_deref()) {
        None => (None, None),
        Some(plan) => speak_whole(&state, &plan, &reply.text).await,
    };
    Ok(Json(ChatResponse {
        response: reply.text,
        response_id: reply.response_id,
        audio_url,
        usage,
        tts_error,
    }))
}

fn speech_plan(state: &AppState, client: &ClientConfig, voice: Option<&str>) -> Option<SpeechPlan> {
    let v = &state.config.voice;
    SpeechPlan::for_client(client, voice, v.concurrency, v.sample_rate)
}

/// The whole reply as one clip, for `/api/chat`. Failing speech never fails the turn: the text
/// goes back with `audio_url: null` and a `tts_error` code.
async fn speak_whole(
    state: &AppState,
    plan: &SpeechPlan,
    text: &str,
) -> (Option<String>, Option<String>) {
    let Some(spoken) = speakable(text) else {
        return (None, None);
    };
    if spoken.chars().count() > plan.max_chars {
        return (None, Some(codes::TTS_TOO_LONG.into()));
    }
    match state
        .voice
        .synthesize(
            plan.backend,
            &plan.voice,
            &plan.language,
            &spoken,
            plan.max_bytes,
        )
        .await
    {
        Ok(clip) if clip.duration_ms <= plan.max_ms => (Some(clip.data_url.to_string()), None),
        Ok(_) => (None, Some(codes::TTS_TOO_LONG.into())),
        Err(e) => (None, Some(e.code().into())),
    }
}

pub async fn chat_stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(req): Json<ChatRequest>,
) -> Result<Response, AppError> {
    let voice = req.voice.clone();
    let (client, turn) = prepare(&state, &headers, req).await?;
    let started = Instant::now();
    // Failing here, nothing has been sent: the visitor gets a plain HTTP error.
    let upstream = state
        .chat
        .stream(&client, &turn)
        .await
        .map_err(|e| upstream_failed(&client, &turn, &e))?;
    let (tx, rx) = mpsc::channel::<Event>(64);
    let speech = speech_plan(&state, &client, voice.as_deref())
        .map(|plan| SpeechPipeline::new(state.voice.clone(), plan));
    tokio::spawn(relay(state, client, turn, upstream, speech, tx, started));
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

/// Moves upstream events to the visitor until the reply ends or the visitor leaves. With
/// speech on, sentences are synthesised as they complete and their clips are interleaved with
/// the text, in order; `done` (or `error`) comes last.
async fn relay(
    state: AppState,
    client: Arc<ClientConfig>,
    turn: Turn,
    mut upstream: ReplyStream,
    mut speech: Option<SpeechPipeline>,
    tx: mpsc::Sender<Event>,
    started: Instant,
) {
    let mut first_delta = true;
    // The final event, held back until the last clip is out.
    let mut last: Option<StreamEvent> = None;
    loop {
        let speech_idle = speech.as_ref().is_none_or(SpeechPipeline::is_idle);
        if let Some(event) = last.as_ref()
            && speech_idle
        {
            let _ = tx.send(sse_event(event)).await;
            return;
        }
        let event = tokio::select! {
            () = tx.closed() => {
                info!(client = %client.id, "visitor disconnected; upstream request and speech cancelled");
                return;
            }
            item = upstream.next(), if last.is_none() => match item {
                Some(Ok(ReplyEvent::Delta(text))) => {
                    if first_delta {
                        first_delta = false;
                        info!(client = %client.id, ttft_ms = started.elapsed().as_millis() as u64, "first delta");
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
                    let usage = finish(&state, &client, &turn, &reply, started).await;
                    last = Some(StreamEvent::Done { response_id: reply.response_id, usage });
                    continue;
                }
                Some(Err(e)) => {
                    let err = upstream_failed(&client, &turn, &e);
                    // Sentences already complete are still spoken.
                    last = Some(StreamEvent::Error { code: err.code().into(), message: err.to_string() });
                    continue;
                }
                None => {
                    // The upstream adapters end with Done or an error; this is a bug guard.
                    let err = AppError::Upstream;
                    last = Some(StreamEvent::Error { code: err.code().into(), message: err.to_string() });
                    continue;
                }
            },
            event = next_speech(&mut speech) => event,
        };
        if tx.send(sse_event(&event)).await.is_err() {
            info!(client = %client.id, "visitor disconnected; upstream request and speech cancelled");
            return;
        }
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

/// Validates the request against the client's configuration and builds the upstream turn.
async fn prepare(
    state: &AppState,
    headers: &HeaderMap,
    req: ChatRequest,
) -> Result<(Arc<ClientConfig>, Turn), AppError> {
    let client = state.client(&req.client_id)?;
    check_origin(&client, headers)?;

    let message = req.message.trim();
    if message.is_empty() {
        return Err(AppError::InvalidRequest("the message is empty".into()));
    }
    let chars = message.chars().count();
    if chars > client.max_message_chars {
        return Err(AppError::MessageTooLong(format!(
            "the message is {chars} characters long; the limit is {}",
            client.max_message_chars
        )));
    }
    if let Some(id) = &req.previous_response_id {
        let well_formed = !id.is_empty()
            && id.len() <= MAX_RESPONSE_ID_LEN
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !well_formed {
            return Err(AppError::InvalidRequest(
                "previous_response_id is not a valid id".into(),
            ));
        }
    }
    if let Some(voice) = &req.voice
        && !client.voices.iter().any(|v| v.eq_ignore_ascii_case(voice))
    {
        return Err(AppError::InvalidRequest(format!(
            "the voice \"{}\" is not offered here; choose one of: {}",
            voice.chars().take(32).collect::<String>().escape_debug(),
            client.voices.join(", ")
        )));
    }
    if let Some(limit) = client.max_input_tokens {
        // A token is at least one byte, so only messages longer than the limit in bytes can be
        // over it: count those (and only those) with x.ai's tokenizer.
        if message.len() > limit as usize {
            let tokens = state
                .chat
                .xai
                .count_tokens(&client.model, message)
                .await
                .map_err(|e| from_upstream(&e, false))?;
            if tokens > limit as usize {
                return Err(AppError::MessageTooLong(format!(
                    "the message is {tokens} tokens long; the limit is {limit}. Please shorten it."
                )));
            }
        }
    }
    let turn = Turn {
        model: client.model.clone(),
        instructions: client.instructions.clone(),
        message: message.to_owned(),
        previous_response_id: req.previous_response_id,
        max_output_tokens: client.max_output_tokens,
    };
    Ok((client, turn))
}

/// Exact match of the `Origin` header against the client's list. No header: refused unless the
/// owner allowed server-to-server use. `Origin: null` never matches (no list can contain it).
fn check_origin(client: &ClientConfig, headers: &HeaderMap) -> Result<(), AppError> {
    match headers.get(header::ORIGIN) {
        None if client.allow_server_to_server => Ok(()),
        None => Err(AppError::OriginNotAllowed),
        Some(origin) => {
            let origin = origin.to_str().map_err(|_| AppError::OriginNotAllowed)?;
            if client.allowed_origins.iter().any(|o| o == origin) {
                Ok(())
            } else {
                Err(AppError::OriginNotAllowed)
            }
        }
    }
}

fn upstream_failed(
    client: &ClientConfig,
    turn: &Turn,
    e: &crate::upstream::UpstreamError,
) -> AppError {
    let err = from_upstream(e, turn.previous_response_id.is_some());
    warn!(client = %client.id, model = %turn.model, kind = e.kind(), error = %e, answered = err.code(), "chat turn failed");
    err
}

/// Prices and logs a finished reply; returns the usage the widget sees.
async fn finish(
    state: &AppState,
    client: &ClientConfig,
    turn: &Turn,
    reply: &Reply,
    started: Instant,
) -> Usage {
    let cost_usd = state
        .chat
        .prices
        .cost_usd(&state.chat.xai, &turn.model, &reply.usage)
        .await;
    let u = &reply.usage;
    if state.config.log_message_text {
        info!(
            client = %client.id, model = %turn.model, response_id = %reply.response_id,
            input_tokens = u.input_tokens, output_tokens = u.output_tokens,
            reasoning_tokens = u.reasoning_tokens, cost_usd = cost_usd.unwrap_or(0.0),
            latency_ms = started.elapsed().as_millis() as u64, incomplete = reply.incomplete,
            message = %turn.message.escape_debug(), reply = %reply.text.escape_debug(),
            "chat reply"
        );
    } else {
        info!(
            client = %client.id, model = %turn.model, response_id = %reply.response_id,
            input_tokens = u.input_tokens, output_tokens = u.output_tokens,
            reasoning_tokens = u.reasoning_tokens, cost_usd = cost_usd.unwrap_or(0.0),
            latency_ms = started.elapsed().as_millis() as u64, incomplete = reply.incomplete,
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
