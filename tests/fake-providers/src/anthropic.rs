//! `POST /anthropic/v1/messages`: Anthropic's Messages API, JSON or SSE. Nothing is stored:
//! every request carries the whole conversation.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use fake_kit::json_reply;
use fake_kit::sse::{self, SseEvent};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::errors::{ApiError, Flavor, parse_json};
use crate::reply::{
    self, MessageContent, Turn, count_tokens, prompt_tokens, truncate, word_chunks,
};
use crate::state::Shared;

const FLAVOR: Flavor = Flavor::Anthropic;

#[derive(Debug, Deserialize)]
struct CreateRequest {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    max_tokens: Option<u64>,
    #[serde(default)]
    messages: Option<Vec<Message>>,
    #[serde(default)]
    system: Option<MessageContent>,
    #[serde(default)]
    stream: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct Message {
    role: String,
    content: MessageContent,
}

pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: CreateRequest = parse_json(FLAVOR, &body)?;
    let required =
        |field: &str| ApiError::invalid_request(FLAVOR, format!("{field}: Field required"));
    let model = req.model.clone().ok_or_else(|| required("model"))?;
    let max_tokens = req.max_tokens.ok_or_else(|| required("max_tokens"))?;
    let messages = req.messages.as_ref().ok_or_else(|| required("messages"))?;
    if messages.is_empty() {
        return Err(ApiError::invalid_request(
            FLAVOR,
            "messages: at least one message is required",
        ));
    }
    let mut conversation = Vec::with_capacity(messages.len());
    for (i, m) in messages.iter().enumerate() {
        let expected = if i % 2 == 0 { "user" } else { "assistant" };
        if m.role != expected {
            return Err(ApiError::invalid_request(
                FLAVOR,
                format!(
                    "messages.{i}.role: roles must alternate between \"user\" and \"assistant\", starting with \"user\""
                ),
            ));
        }
        // Anthropic checks the declared media_type against the bytes ("Image does not match
        // the provided media type").
        if let Some(Err(e)) = m.content.images().into_iter().find(Result::is_err) {
            return Err(ApiError::invalid_request(
                FLAVOR,
                format!("messages.{i}.content: invalid image: {e}"),
            ));
        }
        conversation.push(Turn::new(&m.role, m.content.text()));
    }
    if conversation.last().is_some_and(|t| t.role != "user") {
        return Err(ApiError::invalid_request(
            FLAVOR,
            "the last message must have role \"user\"",
        ));
    }
    let system = req.system.as_ref().map(MessageContent::text);
    let full = reply::reply(&conversation, "Claude");
    let (text, cut) = truncate(&full, Some(max_tokens));
    let stop_reason = if cut { "max_tokens" } else { "end_turn" };
    let input_tokens = prompt_tokens(system.as_deref(), &conversation);
    let output_tokens = count_tokens(&text).max(1);
    let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
    if req.stream.unwrap_or(false) {
        let mut events = Vec::new();
        let mut push = |data: Value, is_delta: bool| events.push(SseEvent { data, is_delta });
        push(
            json!({"type": "message_start", "message": {
                "id": id, "type": "message", "role": "assistant", "content": [], "model": model,
                "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": input_tokens, "output_tokens": 1,
                          "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
            }}),
            false,
        );
        push(
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            false,
        );
        push(json!({"type": "ping"}), false);
        for delta in word_chunks(&text) {
            push(
                json!({"type": "content_block_delta", "index": 0,
                        "delta": {"type": "text_delta", "text": delta}}),
                true,
            );
        }
        push(json!({"type": "content_block_stop", "index": 0}), false);
        push(
            json!({"type": "message_delta",
                    "delta": {"stop_reason": stop_reason, "stop_sequence": null},
                    "usage": {"output_tokens": output_tokens}}),
            false,
        );
        push(json!({"type": "message_stop"}), false);
        let delays = shared.lock().config.delays;
        Ok(sse::stream(&shared, uri.path(), FLAVOR, delays, events))
    } else {
        let object = json!({
            "id": id, "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop_reason, "stop_sequence": null,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens,
                      "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
        });
        Ok(json_reply(&shared, uri.path(), &object))
    }
}
