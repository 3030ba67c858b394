//! `/v1/chat/completions` (JSON, SSE chunks, deferred) and deferred-completion polling (spec §3).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use fake_kit::sse::{self, SseEvent};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::errors::{ApiError, XaiJson, json_reply};
use crate::models::{self, Model, count_tokens, truncate_tokens, word_chunks};
use crate::reply::{self, MessageContent, Turn};
use crate::server::check_model_acl;
use crate::sse::Flavor;
use crate::state::{Deferred, Shared, now_unix};

#[derive(Debug, Deserialize)]
pub(crate) struct ChatRequest {
    model: String,
    messages: Vec<ChatMessage>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
    #[serde(default)]
    max_tokens: Option<u64>,
    #[serde(default)]
    max_completion_tokens: Option<u64>,
    #[serde(default)]
    deferred: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct ChatMessage {
    role: String,
    #[serde(default)]
    content: Option<MessageContent>,
}

#[derive(Debug, Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

/// One computed completion, before it is framed as JSON or chunks.
struct Completion {
    id: String,
    created: u64,
    model: &'static Model,
    reasoning: Option<String>,
    text: String,
    finish_reason: &'static str,
    usage: Value,
}

pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    XaiJson(request): XaiJson<ChatRequest>,
) -> Result<Response, ApiError> {
    let model = models::find(&request.model)
        .ok_or_else(|| ApiError::unknown_model(&request.model, &shared.team_id))?;
    check_model_acl(&shared, model.id)?;
    if request.messages.is_empty() {
        return Err(ApiError::invalid_argument("`messages` must not be empty."));
    }
    models::check_images(
        model,
        request.messages.iter().filter_map(|m| m.content.as_ref()),
    )?;
    let conversation: Vec<Turn> = request
        .messages
        .iter()
        .map(|m| {
            let role = if m.role == "developer" {
                "system"
            } else {
                &m.role
            };
            Turn::new(
                role,
                m.content
                    .as_ref()
                    .map(MessageContent::text)
                    .unwrap_or_default(),
            )
        })
        .collect();
    let stream = request.stream.unwrap_or(false);
    let deferred = request.deferred.unwrap_or(false);
    let completion = Completion::new(model, &conversation, &request, !stream || deferred);

    if deferred {
        let request_id = Uuid::new_v4().to_string();
        let mut inner = shared.lock();
        let polls_pending = inner.config.deferred_polls_pending;
        inner.deferred.insert(
            request_id.clone(),
            Deferred {
                polls_pending,
                completion: completion.json(),
            },
        );
        drop(inner);
        return Ok(json_reply(
            &shared,
            uri.path(),
            &json!({"request_id": request_id}),
        ));
    }
    if !stream {
        let deltas = completion
            .chunks(false)
            .iter()
            .filter(|e| e.is_delta)
            .count();
        shared
            .pause(crate::responses::generation_ms(
                &shared.config().delays,
                deltas,
            ))
            .await;
        return Ok(json_reply(&shared, uri.path(), &completion.json()));
    }
    let include_usage = request.stream_options.is_some_and(|o| o.include_usage);
    let delays = shared.config().delays;
    Ok(sse::stream(
        &shared,
        uri.path(),
        Flavor::Chat,
        delays.pace(),
        completion.chunks(include_usage),
    ))
}

impl Completion {
    fn new(
        model: &'static Model,
        conversation: &[Turn],
        request: &ChatRequest,
        regional_id: bool,
    ) -> Self {
        let full = reply::reply(conversation);
        let limit = request.max_completion_tokens.or(request.max_tokens);
        let (text, finish_reason) = match limit {
            Some(max) if count_tokens(&full) > max => (truncate_tokens(&full, max), "length"),
            _ => (full, "stop"),
        };
        let reasoning = model
            .reasoning
            .then(|| reply::reasoning_summary(conversation));
        let reasoning_tokens = reasoning.as_deref().map_or(0, |s| count_tokens(s) + 12);
        let prompt_tokens: u64 = conversation.iter().map(|t| count_tokens(&t.text) + 3).sum();
        let completion_tokens = count_tokens(&text);
        let usage = json!({
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            // As recorded (REC-CHAT): the total also counts reasoning tokens.
            "total_tokens": prompt_tokens + completion_tokens + reasoning_tokens,
            "prompt_tokens_details": {"text_tokens": prompt_tokens, "audio_tokens": 0,
                                      "image_tokens": 0, "cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": reasoning_tokens, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0,
                                          "rejected_prediction_tokens": 0},
            "num_sources_used": 0,
            "cost_in_usd_ticks":
                model.cost_ticks(prompt_tokens, completion_tokens + reasoning_tokens),
        });
        // Non-streamed completions carry the region suffix seen in recordings; chunks do not.
        let id = if regional_id {
            format!("{}_us-east-1", Uuid::new_v4())
        } else {
            Uuid::new_v4().to_string()
        };
        Self {
            id,
            created: now_unix(),
            model,
            reasoning,
            text,
            finish_reason,
            usage,
        }
    }

    fn fingerprint(&self) -> String {
        format!("fp_{:010x}", models::fnv1a(self.model.id.as_bytes()))
    }

    fn json(&self) -> Value {
        let mut message = json!({"role": "assistant", "content": self.text, "refusal": null});
        if let Some(reasoning) = &self.reasoning {
            message["reasoning_content"] = json!(reasoning);
        }
        json!({
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model.id,
            "choices": [{"index": 0, "message": message, "finish_reason": self.finish_reason}],
            "usage": self.usage,
            "system_fingerprint": self.fingerprint(),
        })
    }

    fn chunk(&self, choices: Value) -> Value {
        json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model.id,
            "choices": choices,
            "system_fingerprint": self.fingerprint(),
        })
    }

    fn chunks(&self, include_usage: bool) -> Vec<SseEvent> {
        let mut events = Vec::new();
        for delta in self.reasoning.iter().flat_map(|r| word_chunks(r)) {
            events.push(SseEvent {
                data: self.chunk(json!([{"index": 0,
                    "delta": {"reasoning_content": delta, "role": "assistant"}}])),
                is_delta: true,
            });
        }
        for delta in word_chunks(&self.text) {
            events.push(SseEvent {
                data: self.chunk(json!([{"index": 0,
                    "delta": {"content": delta, "role": "assistant"}}])),
                is_delta: true,
            });
        }
        events.push(SseEvent {
            data: self.chunk(json!([{"index": 0, "delta": {},
                "finish_reason": self.finish_reason}])),
            is_delta: false,
        });
        if include_usage {
            let mut last = self.chunk(json!([]));
            last["usage"] = self.usage.clone();
            events.push(SseEvent {
                data: last,
                is_delta: false,
            });
        }
        events
    }
}

/// 202 with an empty body while pending, then the completion exactly once, then 404.
pub(crate) async fn deferred_completion(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let mut inner = shared.lock();
    let entry = inner.deferred.get_mut(&id).ok_or_else(|| {
        ApiError::not_found(format!(
            "No deferred completion could be found with the request_id {id}."
        ))
    })?;
    if entry.polls_pending > 0 {
        entry.polls_pending -= 1;
        return Ok(StatusCode::ACCEPTED.into_response());
    }
    let completion = inner
        .deferred
        .remove(&id)
        .map(|d| d.completion)
        .unwrap_or_default();
    drop(inner);
    Ok(json_reply(&shared, uri.path(), &completion))
}
