//! `POST /openai/v1/responses`: OpenAI's Responses API, JSON or SSE, with stored
//! conversations behind `previous_response_id`.

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

const FLAVOR: Flavor = Flavor::OpenAi;

/// Missing `Option` fields are `None`: serde needs no `#[serde(default)]` for them.
#[derive(Debug, Deserialize)]
struct CreateRequest {
    model: Option<String>,
    input: Input,
    instructions: Option<String>,
    previous_response_id: Option<String>,
    store: Option<bool>,
    stream: Option<bool>,
    max_output_tokens: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Input {
    Text(String),
    Items(Vec<InputItem>),
}

#[derive(Debug, Deserialize)]
struct InputItem {
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    content: Option<MessageContent>,
}

pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: CreateRequest = parse_json(FLAVOR, &body)?;
    let model = req.model.clone().filter(|m| !m.is_empty()).ok_or_else(|| {
        ApiError::invalid_request(FLAVOR, "Missing required parameter: 'model'.")
            .with_param("model")
            .with_code("missing_required_parameter")
    })?;
    let mut conversation = match &req.previous_response_id {
        None => Vec::new(),
        Some(id) => shared.lock().responses.get(id).cloned().ok_or_else(|| {
            ApiError::invalid_request(
                FLAVOR,
                format!("Previous response with id '{id}' not found."),
            )
            .with_param("previous_response_id")
            .with_code("previous_response_not_found")
        })?,
    };
    match &req.input {
        Input::Text(text) => conversation.push(Turn::new("user", text.clone())),
        Input::Items(items) => {
            for item in items {
                let role = item.role.as_deref().unwrap_or("user");
                if matches!(role, "user" | "assistant")
                    && let Some(content) = &item.content
                {
                    // OpenAI checks every image before answering: 400 for one it cannot read.
                    if let Some(Err(e)) = content.images().into_iter().find(Result::is_err) {
                        return Err(ApiError::invalid_request(
                            FLAVOR,
                            format!("Invalid image: {e}."),
                        )
                        .with_param("input")
                        .with_code("invalid_image"));
                    }
                    conversation.push(Turn::new(role, content.text()));
                }
            }
        }
    }
    // OpenAI does not carry `instructions` over `previous_response_id`: only this request's.
    let full = reply::reply(&conversation, "GPT");
    let (text, incomplete) = truncate(&full, req.max_output_tokens);
    let id = format!("resp_{}", uuid::Uuid::new_v4().simple());
    let msg_id = format!("msg_{}", uuid::Uuid::new_v4().simple());
    let input_tokens = prompt_tokens(req.instructions.as_deref(), &conversation);
    let output_tokens = count_tokens(&text).max(1);
    conversation.push(Turn::new("assistant", text.clone()));
    if req.store.unwrap_or(true) {
        shared.lock().responses.insert(id.clone(), conversation);
    }
    let plan = Plan {
        id,
        msg_id,
        model,
        text,
        incomplete,
        input_tokens,
        output_tokens,
        created_at: fake_kit::now_unix(),
        request: &req,
    };
    if req.stream.unwrap_or(false) {
        let delays = shared.lock().config.delays;
        Ok(sse::stream(
            &shared,
            uri.path(),
            FLAVOR,
            delays,
            plan.events(),
        ))
    } else {
        Ok(json_reply(&shared, uri.path(), &plan.object(true)))
    }
}

struct Plan<'a> {
    id: String,
    msg_id: String,
    model: String,
    text: String,
    incomplete: bool,
    input_tokens: u64,
    output_tokens: u64,
    created_at: u64,
    request: &'a CreateRequest,
}

impl Plan<'_> {
    fn text_part(&self, text: &str) -> Value {
        json!({"type": "output_text", "text": text, "annotations": [], "logprobs": []})
    }

    fn message(&self, done: bool) -> Value {
        let content = if done {
            json!([self.text_part(&self.text)])
        } else {
            json!([])
        };
        json!({"id": self.msg_id, "type": "message", "role": "assistant",
               "status": if done { "completed" } else { "in_progress" }, "content": content})
    }

    fn object(&self, done: bool) -> Value {
        let r = self.request;
        let status = match (done, self.incomplete) {
            (false, _) => "in_progress",
            (true, true) => "incomplete",
            (true, false) => "completed",
        };
        json!({
            "id": self.id, "object": "response", "created_at": self.created_at,
            "status": status, "error": null,
            "incomplete_details": if done && self.incomplete { json!({"reason": "max_output_tokens"}) } else { Value::Null },
            "instructions": r.instructions, "max_output_tokens": r.max_output_tokens,
            "model": self.model,
            "output": if done { json!([self.message(true)]) } else { json!([]) },
            "parallel_tool_calls": true,
            "previous_response_id": r.previous_response_id,
            "reasoning": {"effort": null, "summary": null},
            "store": r.store.unwrap_or(true), "temperature": 1.0,
            "text": {"format": {"type": "text"}}, "tool_choice": "auto", "tools": [],
            "top_p": 1.0, "truncation": "disabled", "user": null, "metadata": {},
            "usage": if done { json!({
                "input_tokens": self.input_tokens,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": self.output_tokens,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": self.input_tokens + self.output_tokens,
            }) } else { Value::Null },
        })
    }

    /// OpenAI's documented event sequence with contiguous sequence numbers.
    fn events(&self) -> Vec<SseEvent> {
        let mut events = Vec::new();
        let mut push = |data: Value, is_delta: bool| events.push(SseEvent { data, is_delta });
        push(
            json!({"type": "response.created", "response": self.object(false)}),
            false,
        );
        push(
            json!({"type": "response.in_progress", "response": self.object(false)}),
            false,
        );
        push(
            json!({"type": "response.output_item.added", "output_index": 0, "item": self.message(false)}),
            false,
        );
        push(
            json!({"type": "response.content_part.added", "item_id": self.msg_id, "output_index": 0,
                    "content_index": 0, "part": self.text_part("")}),
            false,
        );
        for delta in word_chunks(&self.text) {
            push(
                json!({"type": "response.output_text.delta", "item_id": self.msg_id, "output_index": 0,
                        "content_index": 0, "delta": delta, "logprobs": []}),
                true,
            );
        }
        push(
            json!({"type": "response.output_text.done", "item_id": self.msg_id, "output_index": 0,
                    "content_index": 0, "text": self.text, "logprobs": []}),
            false,
        );
        push(
            json!({"type": "response.content_part.done", "item_id": self.msg_id, "output_index": 0,
                    "content_index": 0, "part": self.text_part(&self.text)}),
            false,
        );
        push(
            json!({"type": "response.output_item.done", "output_index": 0, "item": self.message(true)}),
            false,
        );
        let terminal = if self.incomplete {
            "response.incomplete"
        } else {
            "response.completed"
        };
        push(
            json!({"type": terminal, "response": self.object(true)}),
            false,
        );
        for (n, event) in events.iter_mut().enumerate() {
            event.data["sequence_number"] = json!(n);
        }
        events
    }
}
