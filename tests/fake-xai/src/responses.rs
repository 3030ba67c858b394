//! `/v1/responses`: create (JSON or SSE), stored conversations, fetch and delete (spec §2).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Response;
use fake_kit::sse::{self, SseEvent};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::errors::{ApiError, XaiJson, json_reply};
use crate::models::{self, Model, count_tokens, truncate_tokens, word_chunks};
use crate::reply::{self, MessageContent, Turn};
use crate::server::check_model_acl;
use crate::sse::Flavor;
use crate::state::{Shared, StoredResponse, now_unix};

#[derive(Debug, Deserialize)]
pub(crate) struct CreateRequest {
    #[serde(default)]
    model: Option<String>,
    input: ModelInput,
    #[serde(default)]
    instructions: Option<String>,
    #[serde(default)]
    previous_response_id: Option<String>,
    #[serde(default)]
    store: Option<bool>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    max_output_tokens: Option<u64>,
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default)]
    top_p: Option<f64>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    reasoning: Option<Value>,
}

/// Named like x.ai's own type so the 422 text reads the same ("untagged enum ModelInput").
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ModelInput {
    Text(String),
    Items(Vec<InputItem>),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum InputItem {
    Message {
        role: String,
        content: MessageContent,
    },
    /// Previous output items, tool outputs...: accepted, not read by the fake model.
    Other {
        #[serde(rename = "type")]
        _kind: String,
    },
}

const NOT_FOUND: &str = "No responses could be found with the given response_id";

/// Everything about one turn that the JSON answer and the stream are built from.
struct Turnout {
    id: Uuid,
    created_at: u64,
    model: &'static Model,
    request: CreateRequest,
    summary: Option<String>,
    text: String,
    incomplete: bool,
    usage: Value,
}

pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    XaiJson(request): XaiJson<CreateRequest>,
) -> Result<Response, ApiError> {
    let model_name = request.model.as_deref().unwrap_or(models::DEFAULT_MODEL);
    let model = models::find(model_name)
        .ok_or_else(|| ApiError::unknown_model(model_name, &shared.team_id))?;
    check_model_acl(&shared, model.id)?;
    if request.instructions.is_some() && request.previous_response_id.is_some() {
        // The spec leaves "rejected or ignored" open (§7.4); the fake takes the strict reading.
        return Err(ApiError::invalid_argument(
            "`instructions` cannot be used alongside `previous_response_id`; the system prompt \
             of the previous response is used.",
        ));
    }
    let mut conversation = match &request.previous_response_id {
        Some(previous) => shared
            .lock()
            .responses
            .get(previous)
            .map(|stored| stored.history.clone())
            .ok_or_else(|| ApiError::not_found(NOT_FOUND))?,
        None => request
            .instructions
            .iter()
            .map(|i| Turn::new("system", i.clone()))
            .collect(),
    };
    if let ModelInput::Items(items) = &request.input {
        models::check_images(
            model,
            items.iter().filter_map(|item| match item {
                InputItem::Message { content, .. } => Some(content),
                InputItem::Other { .. } => None,
            }),
        )?;
    }
    let history_len = conversation.len();
    match &request.input {
        ModelInput::Text(text) => conversation.push(Turn::new("user", text.clone())),
        ModelInput::Items(items) => {
            conversation.extend(items.iter().filter_map(|item| match item {
                InputItem::Message { role, content } => Some(Turn::new(role, content.text())),
                InputItem::Other { .. } => None,
            }))
        }
    }

    let full_reply = reply::reply(&conversation);
    let summary = model
        .reasoning
        .then(|| reply::reasoning_summary(&conversation));
    // Reasoning models "think" a little more than their summary shows.
    let mut reasoning_tokens = summary.as_deref().map_or(0, |s| count_tokens(s) + 12);
    let (text, incomplete) = match request.max_output_tokens {
        Some(max) if reasoning_tokens + count_tokens(&full_reply) > max => {
            let budget = max.saturating_sub(reasoning_tokens);
            reasoning_tokens = reasoning_tokens.min(max);
            (truncate_tokens(&full_reply, budget), true)
        }
        _ => (full_reply, false),
    };
    let cached_tokens: u64 = conversation[..history_len]
        .iter()
        .map(|t| count_tokens(&t.text) + 3)
        .sum();
    let input_tokens: u64 = conversation.iter().map(|t| count_tokens(&t.text) + 3).sum();
    let output_tokens = reasoning_tokens + count_tokens(&text);
    let cost = (input_tokens - cached_tokens) * model.prompt_price
        + cached_tokens * model.cached_prompt_price
        + output_tokens * model.completion_price;
    let usage = json!({
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached_tokens},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": input_tokens + output_tokens,
        "num_sources_used": 0,
        "num_server_side_tools_used": 0,
        "cost_in_usd_ticks": cost,
        "server_side_tool_usage_details": {
            "web_search_calls": 0, "x_search_calls": 0, "code_interpreter_calls": 0,
            "file_search_calls": 0, "mcp_calls": 0, "document_search_calls": 0,
            "image_generation_calls": 0
        }
    });

    let stream = request.stream.unwrap_or(false);
    let store = request.store.unwrap_or(true);
    conversation.push(Turn::new("assistant", text.clone()));
    let turn = Turnout {
        id: Uuid::new_v4(),
        created_at: now_unix(),
        model,
        request,
        summary,
        text,
        incomplete,
        usage,
    };
    let final_object = turn.object(true);
    if store {
        shared.lock().responses.insert(
            turn.id.to_string(),
            StoredResponse {
                object: final_object.clone(),
                history: conversation,
            },
        );
    }
    if !stream {
        // A whole answer comes once the model has written all of it.
        let deltas = turn
            .events(final_object.clone())
            .iter()
            .filter(|e| e.is_delta)
            .count();
        shared
            .pause(generation_ms(&shared.config().delays, deltas))
            .await;
        return Ok(json_reply(&shared, uri.path(), &final_object));
    }
    let config = shared.config();
    let flavor = Flavor::Responses {
        event_lines: config.sse_event_lines,
        done: config.sse_done,
    };
    Ok(sse::stream(
        &shared,
        uri.path(),
        flavor,
        config.delays.pace(),
        turn.events(final_object),
    ))
}

impl Turnout {
    fn reasoning_id(&self) -> String {
        format!("rs_{}", self.id)
    }

    fn message_id(&self) -> String {
        format!("msg_{}", self.id)
    }

    fn reasoning_item(&self, summary: &str, done: bool) -> Value {
        let parts = if done {
            json!([{"type": "summary_text", "text": summary}])
        } else {
            json!([])
        };
        json!({
            "id": self.reasoning_id(),
            "type": "reasoning",
            "status": if done { "completed" } else { "in_progress" },
            "summary": parts,
        })
    }

    fn message_item(&self, done: bool) -> Value {
        let (status, content) = if done {
            let status = if self.incomplete {
                "incomplete"
            } else {
                "completed"
            };
            (status, json!([self.text_part(&self.text)]))
        } else {
            ("in_progress", json!([]))
        };
        json!({
            "id": self.message_id(),
            "type": "message",
            "role": "assistant",
            "status": status,
            "content": content,
        })
    }

    fn text_part(&self, text: &str) -> Value {
        json!({"type": "output_text", "text": text, "logprobs": [], "annotations": []})
    }

    fn message_index(&self) -> u64 {
        u64::from(self.summary.is_some())
    }

    /// The response object; `done` selects the final form (output, usage) over the in-progress one.
    fn object(&self, done: bool) -> Value {
        let r = &self.request;
        let mut object = Map::new();
        let mut put = |k: &str, v: Value| {
            object.insert(k.to_owned(), v);
        };
        put("id", json!(self.id.to_string()));
        put("object", json!("response"));
        put("created_at", json!(self.created_at));
        put("model", json!(self.model.id));
        put("previous_response_id", json!(r.previous_response_id));
        put("instructions", json!(r.instructions));
        put("max_output_tokens", json!(r.max_output_tokens));
        put("parallel_tool_calls", json!(true));
        put(
            "reasoning",
            r.reasoning
                .clone()
                .unwrap_or_else(|| json!({"effort": null, "summary": null})),
        );
        put("temperature", json!(r.temperature));
        put("top_p", json!(r.top_p));
        put("text", json!({"format": {"type": "text"}}));
        put("tool_choice", json!("auto"));
        put("tools", json!([]));
        put("store", json!(r.store.unwrap_or(true)));
        put("user", json!(r.user));
        put("metadata", json!({}));
        put("background", json!(false));
        put("service_tier", json!("default"));
        put("truncation", json!("disabled"));
        if done {
            let mut output = Vec::new();
            if let Some(summary) = &self.summary {
                output.push(self.reasoning_item(summary, true));
            }
            output.push(self.message_item(true));
            put("output", Value::Array(output));
            put("usage", self.usage.clone());
            if self.incomplete {
                put("status", json!("incomplete"));
                put("incomplete_details", json!({"reason": "max_output_tokens"}));
            } else {
                put("status", json!("completed"));
                put("incomplete_details", Value::Null);
                put("completed_at", json!(now_unix()));
            }
        } else {
            put("output", json!([]));
            put("status", json!("in_progress"));
            put("incomplete_details", Value::Null);
        }
        Value::Object(object)
    }

    /// The §2.3 event sequence, with contiguous 0-based sequence numbers.
    fn events(&self, final_object: Value) -> Vec<SseEvent> {
        let mut events = Vec::new();
        let mut push = |data: Value, is_delta: bool| events.push(SseEvent { data, is_delta });
        let started = self.object(false);
        push(
            json!({"type": "response.created", "response": started}),
            false,
        );
        push(
            json!({"type": "response.in_progress", "response": self.object(false)}),
            false,
        );
        if let Some(summary) = &self.summary {
            let item_id = self.reasoning_id();
            push(
                json!({"type": "response.output_item.added", "output_index": 0,
                       "item": self.reasoning_item(summary, false)}),
                false,
            );
            push(
                json!({"type": "response.reasoning_summary_part.added", "item_id": item_id,
                       "output_index": 0, "summary_index": 0,
                       "part": {"type": "summary_text", "text": ""}}),
                false,
            );
            for delta in word_chunks(summary) {
                push(
                    json!({"type": "response.reasoning_summary_text.delta", "item_id": item_id,
                           "output_index": 0, "summary_index": 0, "delta": delta}),
                    true,
                );
            }
            push(
                json!({"type": "response.reasoning_summary_text.done", "item_id": item_id,
                       "output_index": 0, "summary_index": 0, "text": summary}),
                false,
            );
            push(
                json!({"type": "response.reasoning_summary_part.done", "item_id": item_id,
                       "output_index": 0, "summary_index": 0,
                       "part": {"type": "summary_text", "text": summary}}),
                false,
            );
            push(
                json!({"type": "response.output_item.done", "output_index": 0,
                       "item": self.reasoning_item(summary, true)}),
                false,
            );
        }
        let index = self.message_index();
        let item_id = self.message_id();
        push(
            json!({"type": "response.output_item.added", "output_index": index,
                   "item": self.message_item(false)}),
            false,
        );
        push(
            json!({"type": "response.content_part.added", "item_id": item_id,
                   "output_index": index, "content_index": 0, "part": self.text_part("")}),
            false,
        );
        for delta in word_chunks(&self.text) {
            push(
                json!({"type": "response.output_text.delta", "item_id": item_id,
                       "output_index": index, "content_index": 0, "delta": delta,
                       "logprobs": []}),
                true,
            );
        }
        push(
            json!({"type": "response.output_text.done", "item_id": item_id,
                   "output_index": index, "content_index": 0, "text": self.text,
                   "logprobs": []}),
            false,
        );
        push(
            json!({"type": "response.content_part.done", "item_id": item_id,
                   "output_index": index, "content_index": 0,
                   "part": self.text_part(&self.text)}),
            false,
        );
        push(
            json!({"type": "response.output_item.done", "output_index": index,
                   "item": self.message_item(true)}),
            false,
        );
        let terminal = if self.incomplete {
            "response.incomplete"
        } else {
            "response.completed"
        };
        push(json!({"type": terminal, "response": final_object}), false);
        for (n, event) in events.iter_mut().enumerate() {
            event.data["sequence_number"] = json!(n);
        }
        events
    }
}

pub(crate) async fn fetch(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let object = shared
        .lock()
        .responses
        .get(&id)
        .map(|stored| stored.object.clone())
        .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
    Ok(json_reply(&shared, uri.path(), &object))
}

pub(crate) async fn delete(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    shared
        .lock()
        .responses
        .remove(&id)
        .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
    Ok(json_reply(
        &shared,
        uri.path(),
        &json!({"id": id, "object": "response", "deleted": true}),
    ))
}

/// How long writing `deltas` pieces takes with the configured delays.
pub(crate) fn generation_ms(delays: &crate::state::Delays, deltas: usize) -> u64 {
    delays.first_token_ms + delays.per_delta_ms * deltas.saturating_sub(1) as u64
}
