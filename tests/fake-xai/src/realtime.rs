//! Realtime voice (spec §5): ephemeral client secrets and the `/v1/realtime` WebSocket session.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::audio::{self, PCM_RATES};
use crate::errors::{ApiError, XaiJson, json_reply};
use crate::models::{VOICE_MODELS, count_tokens, word_chunks};
use crate::reply::{self, MessageContent, Turn};
use crate::server::{record_ws, record_ws_message, subprotocol_secret};
use crate::state::{FaultKind, Shared, now_unix};
use crate::tts::VOICES;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SecretRequest {
    #[serde(default)]
    expires_after: Option<ExpiresAfter>,
}

#[derive(Debug, Deserialize)]
struct ExpiresAfter {
    #[serde(default)]
    seconds: Option<u64>,
}

/// Default and maximum lifetimes from the secondary source (spec §5.1, §7.7).
const SECRET_DEFAULT_SECS: u64 = 600;
const SECRET_MAX_SECS: u64 = 3600;

pub(crate) async fn client_secret(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    XaiJson(request): XaiJson<SecretRequest>,
) -> Result<Response, ApiError> {
    let seconds = request
        .expires_after
        .and_then(|e| e.seconds)
        .unwrap_or(SECRET_DEFAULT_SECS);
    if seconds == 0 || seconds > SECRET_MAX_SECS {
        return Err(ApiError::invalid_argument(format!(
            "expires_after.seconds must be between 1 and {SECRET_MAX_SECS}."
        )));
    }
    let value = format!("xai-realtime-client-secret-{}", Uuid::new_v4().simple());
    let expires_at = now_unix() + seconds;
    shared.lock().secrets.insert(value.clone(), expires_at);
    Ok(json_reply(
        &shared,
        uri.path(),
        &json!({"value": value, "expires_at": expires_at}),
    ))
}

pub(crate) async fn connect(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let model = query
        .get("model")
        .cloned()
        .unwrap_or_else(|| "grok-voice-latest".to_owned());
    if !VOICE_MODELS.contains(&model.as_str()) {
        return Err(ApiError::unknown_model(&model, &shared.team_id));
    }
    let upgrade = match subprotocol_secret(&headers) {
        // Browsers must see their subprotocol echoed or they drop the socket.
        Some(secret) => upgrade.protocols([format!("xai-client-secret.{secret}")]),
        None => upgrade,
    };
    let ws_id = record_ws(&shared, uri.path(), uri.query(), &headers);
    let session = Session::new(shared, ws_id, uri.path().to_owned(), &model);
    Ok(upgrade.on_upgrade(move |socket| session.run(socket)))
}

/// Why a session ends: the client left, or a fault cut it.
struct End;

/// One realtime connection's state.
struct Session {
    shared: Arc<Shared>,
    ws_id: u64,
    path: String,
    session: Value,
    conversation: Vec<Turn>,
    last_item_id: Option<String>,
}

impl Session {
    fn new(shared: Arc<Shared>, ws_id: u64, path: String, model: &str) -> Self {
        // A fresh session's defaults are UNCONFIRMED (spec §7.6); these follow the guide's example.
        let session = json!({
            "id": Uuid::new_v4().to_string(),
            "object": "realtime.session",
            "model": model,
            "instructions": "",
            "voice": "eve",
            "reasoning": {"effort": "none"},
            "turn_detection": {"type": "server_vad", "threshold": 0.85, "silence_duration_ms": 500,
                               "prefix_padding_ms": 333, "idle_timeout_ms": null},
            "audio": {
                "input": {"format": {"type": "audio/pcm", "rate": 24000}, "transport": "json"},
                "output": {"format": {"type": "audio/pcm", "rate": 24000}, "transport": "json",
                           "speed": 1.0}
            },
            "tools": [],
        });
        Self {
            shared,
            ws_id,
            path,
            session,
            conversation: Vec::new(),
            last_item_id: None,
        }
    }

    async fn run(mut self, mut socket: WebSocket) {
        let _ = self.serve(&mut socket).await;
        // Dropping the socket without a close frame is the "abrupt" end faults ask for; after
        // a normal close it is harmless.
    }

    async fn serve(&mut self, socket: &mut WebSocket) -> Result<(), End> {
        emit(
            socket,
            json!({"type": "session.created", "session": self.session}),
        )
        .await?;
        let conversation_id = format!("conv_{}", Uuid::new_v4().simple());
        emit(
            socket,
            json!({"type": "conversation.created",
                   "conversation": {"id": conversation_id, "object": "realtime.conversation"}}),
        )
        .await?;
        let mut stop = self.shared.stopping();
        loop {
            let message = tokio::select! {
                m = socket.recv() => m,
                _ = stop.wait_for(|s| *s) => return Ok(()),
            };
            match message {
                Some(Ok(Message::Text(text))) => {
                    let parsed = serde_json::from_str::<Value>(text.as_str());
                    let recorded = parsed
                        .as_ref()
                        .map_or_else(|_| Value::String(text.to_string()), Clone::clone);
                    record_ws_message(&self.shared, self.ws_id, recorded);
                    match parsed {
                        Ok(event) => self.handle(socket, &event).await?,
                        Err(_) => {
                            error(
                                socket,
                                "invalid_event",
                                "invalid_json",
                                "The message is not valid JSON.",
                                None,
                            )
                            .await?;
                        }
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => return Ok(()),
                Some(Ok(_)) => {}
            }
        }
    }

    async fn handle(&mut self, socket: &mut WebSocket, event: &Value) -> Result<(), End> {
        let client_event_id = event.get("event_id").and_then(Value::as_str);
        let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
        match kind {
            "session.update" => self.update_session(socket, event, client_event_id).await,
            "conversation.item.create" => self.create_item(socket, event, client_event_id).await,
            "response.create" => {
                let text = reply::reply(&self.conversation);
                self.respond(socket, &text, client_event_id).await
            }
            "input_audio_buffer.append" | "response.cancel" => Ok(()),
            "input_audio_buffer.commit" => {
                let item_id = new_item_id();
                let previous = self.last_item_id.replace(item_id.clone());
                emit(
                    socket,
                    json!({"type": "input_audio_buffer.committed",
                           "previous_item_id": previous, "item_id": item_id}),
                )
                .await
            }
            "input_audio_buffer.clear" => {
                emit(socket, json!({"type": "input_audio_buffer.cleared"})).await
            }
            "conversation.item.delete" => {
                let item_id = event.get("item_id").cloned().unwrap_or(Value::Null);
                emit(
                    socket,
                    json!({"type": "conversation.item.deleted", "item_id": item_id}),
                )
                .await
            }
            "conversation.item.truncate" => {
                let field = |k: &str| event.get(k).cloned().unwrap_or(Value::Null);
                emit(
                    socket,
                    json!({"type": "conversation.item.truncated", "item_id": field("item_id"),
                           "content_index": field("content_index"),
                           "audio_end_ms": field("audio_end_ms")}),
                )
                .await
            }
            other => {
                error(
                    socket,
                    "invalid_event",
                    "unknown_event_type",
                    &format!("Unknown client event type '{other}'."),
                    client_event_id,
                )
                .await
            }
        }
    }

    async fn update_session(
        &mut self,
        socket: &mut WebSocket,
        event: &Value,
        client_event_id: Option<&str>,
    ) -> Result<(), End> {
        let Some(update) = event.get("session").filter(|s| s.is_object()) else {
            return error(
                socket,
                "invalid_request_error",
                "missing_session",
                "session.update needs a `session` object.",
                client_event_id,
            )
            .await;
        };
        let mut merged = self.session.clone();
        merge(&mut merged, update);
        if let Err((code, message)) = validate(&merged) {
            // The previous configuration stays in force (spec §5.2).
            return error(
                socket,
                "invalid_request_error",
                code,
                &message,
                client_event_id,
            )
            .await;
        }
        self.session = merged;
        emit(
            socket,
            json!({"type": "session.updated", "session": self.session}),
        )
        .await
    }

    async fn create_item(
        &mut self,
        socket: &mut WebSocket,
        event: &Value,
        client_event_id: Option<&str>,
    ) -> Result<(), End> {
        let Some(item) = event.get("item").filter(|i| i.is_object()) else {
            return error(
                socket,
                "invalid_request_error",
                "missing_item",
                "conversation.item.create needs an `item` object.",
                client_event_id,
            )
            .await;
        };
        let kind = item
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("message");
        let role = item
            .get("role")
            .and_then(Value::as_str)
            .unwrap_or(if kind == "force_message" {
                "assistant"
            } else {
                "user"
            });
        let content = item.get("content").cloned().unwrap_or_else(|| json!([]));
        let text = serde_json::from_value::<MessageContent>(content.clone())
            .map(|c| c.text())
            .unwrap_or_default();
        let item_id = item
            .get("id")
            .and_then(Value::as_str)
            .map_or_else(new_item_id, str::to_owned);
        let previous = self.last_item_id.replace(item_id.clone());
        emit(
            socket,
            json!({"type": "conversation.item.added", "previous_item_id": previous,
                   "item": {"id": item_id, "object": "realtime.item", "type": kind,
                            "status": "completed", "role": role, "content": content}}),
        )
        .await?;
        match kind {
            // The force message is the complete turn: no response.create follows (spec §5.3).
            "force_message" => self.respond(socket, &text, client_event_id).await,
            "message" => {
                self.conversation.push(Turn::new(role, text));
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Speaks `text` as one full response lifecycle (spec §5.4), honouring delays and faults.
    async fn respond(
        &mut self,
        socket: &mut WebSocket,
        text: &str,
        client_event_id: Option<&str>,
    ) -> Result<(), End> {
        let fault = self.shared.take_fault(&self.path, |k| {
            matches!(
                k,
                FaultKind::WsDropMidAudio { .. }
                    | FaultKind::WsErrorEvent { .. }
                    | FaultKind::SlowFirstAudio { .. }
            )
        });
        if let Some(FaultKind::WsErrorEvent { code, message }) = &fault {
            return error(
                socket,
                "invalid_request_error",
                code,
                message,
                client_event_id,
            )
            .await;
        }
        let config = self.shared.config();
        let rate = self.session["audio"]["output"]["format"]["rate"]
            .as_u64()
            .and_then(|r| u32::try_from(r).ok())
            .unwrap_or(24000);
        let samples = audio::synthesize(config.speech, text, rate).await;
        let response_id = format!("resp_{}", Uuid::new_v4().simple());
        let item_id = new_item_id();
        let ids = json!({"response_id": response_id, "item_id": item_id,
                         "output_index": 0, "content_index": 0});
        let with_ids = |mut event: Value| {
            for (k, v) in ids.as_object().into_iter().flatten() {
                event[k] = v.clone();
            }
            event
        };
        let item = |status: &str, content: Value| {
            json!({"id": item_id, "object": "realtime.item", "type": "message",
                   "status": status, "role": "assistant", "content": content})
        };

        emit(
            socket,
            json!({"type": "response.created",
                   "response": {"id": response_id, "object": "realtime.response",
                                "status": "in_progress", "output": [], "metadata": null}}),
        )
        .await?;
        emit(
            socket,
            json!({"type": "response.output_item.added", "response_id": response_id,
                   "output_index": 0, "item": item("in_progress", json!([]))}),
        )
        .await?;
        let previous = self.last_item_id.replace(item_id.clone());
        emit(
            socket,
            json!({"type": "conversation.item.added", "previous_item_id": previous,
                   "item": item("in_progress", json!([]))}),
        )
        .await?;
        emit(
            socket,
            with_ids(json!({"type": "response.content_part.added",
                            "part": {"type": "audio", "transcript": ""}})),
        )
        .await?;

        let words = word_chunks(text);
        let chunks: Vec<&[i16]> = samples.chunks(audio::chunk_len(rate)).collect();
        let drop_after = match fault {
            Some(FaultKind::WsDropMidAudio { after_deltas }) => Some(after_deltas as usize),
            _ => None,
        };
        let extra_first = match fault {
            Some(FaultKind::SlowFirstAudio { ms }) => ms,
            _ => 0,
        };
        for i in 0..words.len().max(chunks.len()) {
            if let Some(word) = words.get(i) {
                emit(
                    socket,
                    with_ids(json!({"type": "response.output_audio_transcript.delta",
                                    "delta": word})),
                )
                .await?;
            }
            if let Some(chunk) = chunks.get(i) {
                if drop_after == Some(i) {
                    return Err(End);
                }
                let wait = if i == 0 {
                    config.delays.tts_first_audio_ms + extra_first
                } else {
                    config.delays.tts_per_chunk_ms
                };
                if !self.shared.pause(wait).await {
                    return Err(End);
                }
                let delta = BASE64.encode(audio::pcm_bytes(chunk));
                emit(
                    socket,
                    with_ids(json!({"type": "response.output_audio.delta", "delta": delta})),
                )
                .await?;
            }
        }
        if drop_after.is_some_and(|n| n >= chunks.len()) {
            return Err(End);
        }
        emit(
            socket,
            with_ids(json!({"type": "response.output_audio.done"})),
        )
        .await?;
        emit(
            socket,
            with_ids(json!({"type": "response.output_audio_transcript.done",
                            "transcript": text})),
        )
        .await?;
        let part = json!({"type": "audio", "transcript": text});
        emit(
            socket,
            with_ids(json!({"type": "response.content_part.done", "part": part})),
        )
        .await?;
        let done_item = item("completed", json!([part]));
        emit(
            socket,
            json!({"type": "response.output_item.done", "response_id": response_id,
                   "output_index": 0, "item": done_item}),
        )
        .await?;
        let input_tokens: u64 = self
            .conversation
            .iter()
            .map(|t| count_tokens(&t.text) + 3)
            .sum();
        let output_tokens = count_tokens(text);
        emit(
            socket,
            json!({"type": "response.done",
                   "response": {"id": response_id, "object": "realtime.response",
                                "status": "completed", "output": [done_item], "metadata": null,
                                "usage": {"input_tokens": input_tokens,
                                          "output_tokens": output_tokens,
                                          "total_tokens": input_tokens + output_tokens}}}),
        )
        .await?;
        self.conversation.push(Turn::new("assistant", text));
        Ok(())
    }
}

fn new_item_id() -> String {
    format!("item_{}", Uuid::new_v4().simple())
}

/// Sends one server event, stamping its `event_id`.
async fn emit(socket: &mut WebSocket, mut event: Value) -> Result<(), End> {
    event["event_id"] = json!(format!("event_{}", Uuid::new_v4().simple()));
    socket
        .send(Message::text(event.to_string()))
        .await
        .map_err(|_| End)
}

/// Sends an `error` event; the socket stays open.
async fn error(
    socket: &mut WebSocket,
    kind: &str,
    code: &str,
    message: &str,
    client_event_id: Option<&str>,
) -> Result<(), End> {
    emit(
        socket,
        json!({"type": "error",
               "error": {"type": kind, "code": code, "message": message, "param": null,
                         "event_id": client_event_id}}),
    )
    .await
}

/// Deep-merges `update` into `base`: objects merge key by key, anything else replaces.
fn merge(base: &mut Value, update: &Value) {
    match (base, update) {
        (Value::Object(base), Value::Object(update)) => {
            for (key, value) in update {
                match base.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge(existing, value);
                    }
                    _ => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, update) => *base = update.clone(),
    }
}

/// Checks the parts of a session config the fake acts on.
fn validate(session: &Value) -> Result<(), (&'static str, String)> {
    match session.get("voice") {
        Some(Value::String(voice)) if VOICES.contains(&voice.as_str()) => {}
        Some(other) => {
            return Err((
                "invalid_voice",
                format!(
                    "Unknown voice {other}. Use a built-in voice id in lowercase, e.g. \"eve\"."
                ),
            ));
        }
        None => {}
    }
    let format = &session["audio"]["output"]["format"];
    if !format.is_null() {
        let kind = format.get("type").and_then(Value::as_str).unwrap_or("");
        if kind != "audio/pcm" {
            return Err((
                "invalid_audio_format",
                format!("The fake x.ai only produces audio/pcm output, not '{kind}'."),
            ));
        }
        let rate = format.get("rate").and_then(Value::as_u64).unwrap_or(24000);
        if !PCM_RATES.iter().any(|r| u64::from(*r) == rate) {
            return Err((
                "invalid_audio_format",
                format!("Unsupported audio/pcm rate {rate}; use one of {PCM_RATES:?}."),
            ));
        }
    }
    Ok(())
}
