//! `POST /api/chat` (one JSON reply) and `POST /api/chat/stream` (server-sent events).
//!
//! Both check the same things, in order, before anything is sent upstream: known client,
//! allowed origin, valid session (when the site uses them), a well-formed message, the
//! conversation's owner and length, rate limits, the token cap, a free stream slot and the
//! daily budget. The stream relays each upstream delta the moment it arrives; when the visitor
//! goes away (or stops reading) the relay stops and the upstream request is dropped, which
//! closes its connection.

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
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tracing::{info, warn};

use super::AppState;
use crate::client_ip::client_ip;
use crate::config::ClientConfig;
use crate::error::{AppError, Json, from_upstream};
use crate::limits::{ConversationRecord, Reservation, ip_key};
use crate::sentences::speakable;
use crate::session;
use crate::speech::{SpeechPipeline, SpeechPlan};
use crate::upstream::{Reply, ReplyEvent, ReplyStream, Turn};

/// Longest `previous_response_id` accepted; x.ai's are 36-character UUIDs.
const MAX_RESPONSE_ID_LEN: usize = 128;

/// A turn that passed every check, with what it holds until it ends.
struct Prepared {
    client: Arc<ClientConfig>,
    turn: Turn,
    voice: Option<String>,
    /// The session the conversation belongs to ("" without session tokens).
    session: String,
    /// Turns of the conversation including this one.
    turns: u32,
    reservation: Option<Reservation>,
    /// A slot of the global cap on concurrent upstream calls, released when dropped.
    _slot: OwnedSemaphorePermit,
}

pub async fn chat(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<ChatRequest>,
) -> Result<Json<ChatResponse>, AppError> {
    let p = prepare(&state, peer, &headers, req).await?;
    let started = Instant::now();
    let reply = match state.chat.complete(&p.client, &p.turn).await {
        Ok(r) => r,
        Err(e) => {
            state.limits.settle(p.reservation, 0, 0).await;
            return Err(upstream_failed(&p.client, &p.turn, &e));
        }
    };
    let usage = finish(&state, &p, &reply, started).await;
    let (audio_url, tts_error) = match speech_plan(&state, &p.client, p.voice.as_deref()) {
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

pub async fn chat_stream(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<ChatRequest>,
) -> Result<Response, AppError> {
    let p = prepare(&state, peer, &headers, req).await?;
    let started = Instant::now();
    // Failing here, nothing has been sent: the visitor gets a plain HTTP error.
    let upstream = match state.chat.stream(&p.client, &p.turn).await {
        Ok(s) => s,
        Err(e) => {
            state.limits.settle(p.reservation, 0, 0).await;
            return Err(upstream_failed(&p.client, &p.turn, &e));
        }
    };
    let (tx, rx) = mpsc::channel::<Event>(64);
    let speech = speech_plan(&state, &p.client, p.voice.as_deref())
        .map(|plan| SpeechPipeline::new(state.voice.clone(), plan));
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

/// Moves upstream events to the visitor until the reply ends or the visitor leaves. With
/// speech on, sentences are synthesised as they complete and their clips are interleaved with
/// the text, in order; `done` (or `error`) comes last.
async fn relay(
    state: AppState,
    mut p: Prepared,
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
            return;
        }
        let event = tokio::select! {
            () = tx.closed() => {
                info!(client = %client.id, "visitor disconnected; upstream request and speech cancelled");
                break;
            }
            item = upstream.next(), if last.is_none() => match item {
                Some(Ok(ReplyEvent::Delta(text))) => {
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
                    let usage = finish(&state, &p, &reply, started).await;
                    p.reservation = None;
                    last = Some(StreamEvent::Done { response_id: reply.response_id, usage });
                    continue;
                }
                Some(Err(e)) => {
                    let err = upstream_failed(&client, &p.turn, &e);
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
    // Ended early: whatever was generated may be billed; keep the reservation as spent.
    if let Some(r) = p.reservation.take() {
        let (tokens, micro) = (r.tokens, r.micro_usd);
        state.limits.settle(Some(r), tokens, micro).await;
    }
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

/// Checks the request against the client's configuration and the limits, and builds the
/// upstream turn. Nothing upstream is called before the rate limits pass.
async fn prepare(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    req: ChatRequest,
) -> Result<Prepared, AppError> {
    let client = state.client(&req.client_id)?;
    let origin = check_origin(&client, headers)?;
    let session = if client.session_tokens {
        let token = headers
            .get("x-widget-session")
            .and_then(|v| v.to_str().ok())
            .ok_or(AppError::SessionInvalid)?;
        let origin = origin.as_deref().unwrap_or("");
        session::verify(
            &state.config.session_secret,
            token,
            &client.id,
            origin,
            session::now(),
        )
        .ok_or(AppError::SessionInvalid)?
    } else {
        String::new()
    };

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
    if let Some(voice) = &req.voice
        && !client.voices.iter().any(|v| v.eq_ignore_ascii_case(voice))
    {
        return Err(AppError::InvalidRequest(format!(
            "the voice \"{}\" is not offered here; choose one of: {}",
            voice.chars().take(32).collect::<String>().escape_debug(),
            client.voices.join(", ")
        )));
    }
    let mut turns = 1;
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
        match state.limits.reply(id).await? {
            // Someone else's conversation looks exactly like an unknown one.
            Some(rec) if client.session_tokens && rec.session != session => {
                warn!(client = %client.id, "previous_response_id from another session refused");
                return Err(AppError::ConversationNotFound);
            }
            None if client.session_tokens => return Err(AppError::ConversationNotFound),
            Some(rec) => turns = rec.turns + 1,
            None => {}
        }
        if turns > client.max_turns {
            return Err(AppError::ConversationTooLong);
        }
    }

    let ip = ip_key(client_ip(peer, headers, &state.config.trusted_proxies));
    let session_key = client.session_tokens.then_some(session.as_str());
    state.limits.check_rate(&client, &ip, session_key).await?;

    if let Some(limit) = client.max_input_tokens {
        // A token is at least one byte, so only messages longer than the limit in bytes can be
        // over it: count those (and only those) with the provider's count (x.ai's tokenizer).
        if message.len() > limit as usize {
            let tokens = state
                .chat
                .count_tokens(&client, message)
                .await
                .map_err(|e| from_upstream(&e, false))?;
            if tokens > limit as usize {
                return Err(AppError::MessageTooLong(format!(
                    "the message is {tokens} tokens long; the limit is {limit}. Please shorten it."
                )));
            }
        }
    }

    let slot = Arc::clone(&state.upstream_slots)
        .try_acquire_owned()
        .map_err(|_| {
            metrics::counter!("limiter_rejections_total", "scope" => "concurrency").increment(1);
            warn!(client = %client.id, "all upstream slots are busy");
            AppError::Overloaded
        })?;

    // The most this turn can cost: the message (a token is at least a byte... and at most
    // one per byte), the history x.ai re-reads (estimated from the turn count), and the reply.
    let max_output = u64::from(client.max_output_tokens.unwrap_or(1024));
    let est_input = message.len() as u64 + u64::from(turns - 1) * (max_output + 256) + 512;
    let est_tokens = est_input + max_output;
    let est_usd = match state.chat.prices(&client).await {
        Some(p) => {
            (est_input as f64 * p.prompt as f64 + max_output as f64 * p.completion as f64) / 1e10
        }
        // Unknown prices: assume an expensive model rather than a free one.
        None => est_tokens as f64 * 30.0 / 1e6,
    };
    let reservation = state
        .limits
        .reserve(&client, est_tokens, (est_usd * 1e6).ceil() as u64)
        .await?;

    let turn = Turn {
        model: client.model.clone(),
        instructions: client.instructions.clone(),
        message: message.to_owned(),
        previous_response_id: req.previous_response_id,
        max_output_tokens: client.max_output_tokens,
    };
    Ok(Prepared {
        client,
        turn,
        voice: req.voice,
        session,
        turns,
        reservation,
        _slot: slot,
    })
}

/// Exact match of the `Origin` header against the client's list. No header: refused unless the
/// owner allowed server-to-server use. `Origin: null` never matches (no list can contain it).
fn check_origin(client: &ClientConfig, headers: &HeaderMap) -> Result<Option<String>, AppError> {
    match headers.get(header::ORIGIN) {
        None if client.allow_server_to_server => Ok(None),
        None => Err(AppError::OriginNotAllowed),
        Some(origin) => {
            let origin = origin.to_str().map_err(|_| AppError::OriginNotAllowed)?;
            if client.allows_origin(origin) {
                Ok(Some(origin.to_owned()))
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
    metrics::counter!("upstream_errors_total", "kind" => e.kind()).increment(1);
    warn!(client = %client.id, model = %turn.model, kind = e.kind(), error = %e, answered = err.code(), "chat turn failed");
    err
}

/// Settles the budget, records the reply, counts and logs it; returns the usage the widget sees.
async fn finish(state: &AppState, p: &Prepared, reply: &Reply, started: Instant) -> Usage {
    let (client, turn) = (&p.client, &p.turn);
    let cost_usd = state.chat.cost_usd(client, &reply.usage).await;
    let u = &reply.usage;
    let micro = cost_usd.map_or(0, |c| (c * 1e6).ceil() as u64);
    state
        .limits
        .settle(p.reservation.clone(), u.total_tokens, micro)
        .await;
    state
        .limits
        .record_reply(
            &reply.response_id,
            &ConversationRecord {
                session: p.session.clone(),
                turns: p.turns,
            },
        )
        .await;
    let id = client.id.clone();
    metrics::counter!("chat_tokens_total", "client" => id.clone(), "kind" => "input")
        .increment(u.input_tokens);
    metrics::counter!("chat_tokens_total", "client" => id.clone(), "kind" => "output")
        .increment(u.output_tokens);
    metrics::counter!("chat_cost_microdollars_total", "client" => id.clone()).increment(micro);
    metrics::counter!("chat_replies_total", "client" => id).increment(1);
    let latency_ms = started.elapsed().as_millis() as u64;
    if state.config.log_message_text {
        info!(
            client = %client.id, model = %turn.model, response_id = %reply.response_id, turns = p.turns,
            input_tokens = u.input_tokens, output_tokens = u.output_tokens,
            reasoning_tokens = u.reasoning_tokens, cost_usd = cost_usd.unwrap_or(0.0),
            latency_ms, incomplete = reply.incomplete,
            message = %turn.message.escape_debug(), reply = %reply.text.escape_debug(),
            "chat reply"
        );
    } else {
        info!(
            client = %client.id, model = %turn.model, response_id = %reply.response_id, turns = p.turns,
            input_tokens = u.input_tokens, output_tokens = u.output_tokens,
            reasoning_tokens = u.reasoning_tokens, cost_usd = cost_usd.unwrap_or(0.0),
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
