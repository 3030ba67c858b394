//! `POST /v1/responses`: the request we send and the parts of the answer we read, JSON and
//! streamed. Wire names as x.ai documents them (`docs/upstreams.md#xai-responses-api`).
//! OpenAI's Responses API has the same shape (`docs/upstreams.md#openai-responses-api`: other
//! ids, another error body, no `[DONE]`, none of which this reader depends on), so
//! [`super::openai`] reuses it with its own request.
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tracing::warn;

use super::UpstreamError;
use super::http::UpstreamClient;
use super::sse::{self, StreamLimits};
use super::{Reply, ReplyEvent, ReplyStream, TokenUsage, Turn};
use crate::images::Image;

#[derive(Debug, Serialize)]
pub struct CreateRequest<'a> {
    pub model: &'a str,
    pub input: Input<'a>,
    /// Only on a conversation's first turn: x.ai says `instructions` "cannot be used alongside
    /// `previous_response_id`" (the stored system prompt applies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructions: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_response_id: Option<&'a str>,
    pub store: bool,
    pub stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u32>,
}

/// The visitor's message: plain text, or with images one user message of typed parts.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Input<'a> {
    Text(&'a str),
    Messages([InputMessage<'a>; 1]),
}

#[derive(Debug, Serialize)]
pub struct InputMessage<'a> {
    pub role: &'static str,
    pub content: Vec<InputPart<'a>>,
}

/// Images first, then the text (as the transcript shows them).
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InputPart<'a> {
    InputImage {
        image_url: String,
        detail: &'static str,
    },
    InputText {
        text: &'a str,
    },
}

impl<'a> Input<'a> {
    pub fn new(message: &'a str, images: &'a [Image]) -> Self {
        if images.is_empty() {
            return Input::Text(message);
        }
        let content = super::wire::parts_with_images(
            message,
            images,
            |i| InputPart::InputImage {
                image_url: i.data_url(),
                detail: "auto",
            },
            |text| InputPart::InputText { text },
        );
        Input::Messages([InputMessage {
            role: "user",
            content,
        }])
    }
}

impl<'a> CreateRequest<'a> {
    pub fn from_turn(turn: &'a Turn, stream: bool) -> Self {
        let continuing = turn.previous_response_id.is_some();
        Self {
            model: &turn.model,
            input: Input::new(&turn.message, &turn.images),
            instructions: (!continuing).then_some(turn.instructions.as_str()),
            previous_response_id: turn.previous_response_id.as_deref(),
            store: true,
            stream,
            max_output_tokens: turn.max_output_tokens,
        }
    }
}

/// The response object; only what the proxy reads. Everything else may be absent.
#[derive(Debug, Deserialize)]
pub struct ResponseObject {
    pub id: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub output: Vec<OutputItem>,
    #[serde(default)]
    pub usage: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
pub enum OutputItem {
    #[serde(rename = "message")]
    Message {
        #[serde(default)]
        content: Vec<ContentPart>,
    },
    /// Reasoning, tool calls, searches: not shown to visitors.
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
pub enum ContentPart {
    #[serde(rename = "output_text")]
    OutputText { text: String },
    #[serde(other)]
    Other,
}

#[derive(Debug, Default, Deserialize)]
pub struct WireUsage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub input_tokens_details: Option<InputDetails>,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub output_tokens_details: Option<OutputDetails>,
    #[serde(default)]
    pub total_tokens: u64,
    #[serde(default)]
    pub cost_in_usd_ticks: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct InputDetails {
    #[serde(default)]
    pub cached_tokens: u64,
}

#[derive(Debug, Default, Deserialize)]
pub struct OutputDetails {
    #[serde(default)]
    pub reasoning_tokens: u64,
}

impl From<WireUsage> for TokenUsage {
    fn from(u: WireUsage) -> Self {
        let total = if u.total_tokens > 0 {
            u.total_tokens
        } else {
            u.input_tokens + u.output_tokens
        };
        TokenUsage {
            input_tokens: u.input_tokens,
            cached_input_tokens: u.input_tokens_details.map_or(0, |d| d.cached_tokens),
            output_tokens: u.output_tokens,
            reasoning_tokens: u.output_tokens_details.map_or(0, |d| d.reasoning_tokens),
            total_tokens: total,
            cost_in_usd_ticks: u.cost_in_usd_ticks,
        }
    }
}

impl ResponseObject {
    /// The reply text: every `output_text` of every `message` item, in order. Reasoning and
    /// tool items can come first, so `output[0].content[0]` would be wrong.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for item in &self.output {
            if let OutputItem::Message { content } = item {
                for part in content {
                    if let ContentPart::OutputText { text: t } = part {
                        text.push_str(t);
                    }
                }
            }
        }
        text
    }

    fn into_reply(self, streamed_text: Option<String>) -> Reply {
        let incomplete = self.status.as_deref() == Some("incomplete");
        let text = match streamed_text {
            Some(t) if !t.is_empty() => t,
            _ => self.text(),
        };
        Reply {
            text,
            response_id: self.id,
            usage: self.usage.map(TokenUsage::from).unwrap_or_default(),
            incomplete,
        }
    }
}

/// Stream events, keyed on the payload's `type` (the `event:` line may be absent).
#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
pub enum StreamEvent {
    #[serde(rename = "response.output_text.delta")]
    OutputTextDelta { delta: String },
    #[serde(rename = "response.completed")]
    Completed { response: ResponseObject },
    #[serde(rename = "response.incomplete")]
    Incomplete { response: ResponseObject },
    #[serde(rename = "response.failed")]
    Failed {},
    #[serde(rename = "error")]
    Error {
        #[serde(default)]
        code: Option<String>,
    },
    #[serde(other)]
    Other,
}

pub async fn create(xai: &UpstreamClient, turn: &Turn) -> Result<Reply, UpstreamError> {
    create_with(xai, &CreateRequest::from_turn(turn, false)).await
}

/// Sends `body` (with `stream: false`) and reads the reply.
pub async fn create_with(
    xai: &UpstreamClient,
    body: &CreateRequest<'_>,
) -> Result<Reply, UpstreamError> {
    let obj: ResponseObject = xai.post_json("responses", "responses", body).await?;
    if obj.status.as_deref() == Some("failed") {
        return Err(UpstreamError::Failed);
    }
    Ok(obj.into_reply(None))
}

/// Starts a streamed reply. Errors before the first byte (after retries) come back as `Err`;
/// later ones as the stream's last item, which `limits` bound in silence, time and size.
pub async fn stream(
    xai: &UpstreamClient,
    turn: &Turn,
    limits: StreamLimits,
) -> Result<ReplyStream, UpstreamError> {
    stream_with(xai, &CreateRequest::from_turn(turn, true), limits).await
}

pub async fn stream_with(
    xai: &UpstreamClient,
    body: &CreateRequest<'_>,
    limits: StreamLimits,
) -> Result<ReplyStream, UpstreamError> {
    let resp = xai.post_sse("responses", "responses", body).await?;
    let frames = sse::frames(resp.bytes_stream(), limits);
    let redact = xai.redactor();
    Ok(Box::pin(async_stream::try_stream! {
        let mut frames = std::pin::pin!(frames);
        let mut text = String::new();
        while let Some(frame) = frames.next().await {
            let frame = frame?;
            if frame.is_done_marker() {
                Err(UpstreamError::Truncated)?;
            }
            let event: StreamEvent = serde_json::from_str(&frame.data).map_err(|e| {
                warn!(error = %redact.redact(&e.to_string()), "unreadable event in the reply stream");
                UpstreamError::Malformed
            })?;
            match event {
                StreamEvent::OutputTextDelta { delta } => {
                    text.push_str(&delta);
                    yield ReplyEvent::Delta(delta);
                }
                StreamEvent::Completed { response } | StreamEvent::Incomplete { response } => {
                    yield ReplyEvent::Done(response.into_reply(Some(text)));
                    return;
                }
                StreamEvent::Failed {} => Err(UpstreamError::Failed)?,
                StreamEvent::Error { code } => {
                    let code = redact.redact(code.as_deref().unwrap_or("-"));
                    warn!(code = %code, "the upstream sent an error event mid-stream");
                    Err(UpstreamError::MidStream)?;
                }
                StreamEvent::Other => {}
            }
        }
        Err(UpstreamError::Truncated)?;
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_text_skips_reasoning_items_before_the_message() {
        let obj: ResponseObject = serde_json::from_value(serde_json::json!({
            "id": "769f3302-64f9-4c72-2b48-860c87fd9b2a",
            "status": "completed",
            "output": [
                {"id": "rs_1", "type": "reasoning", "summary": [{"type": "summary_text", "text": "thinking"}]},
                {"id": "msg_1", "type": "message", "role": "assistant",
                 "content": [{"type": "output_text", "text": "Hello", "annotations": []},
                             {"type": "output_text", "text": " there"}]}
            ],
            "usage": {"input_tokens": 216, "input_tokens_details": {"cached_tokens": 192},
                      "output_tokens": 863, "output_tokens_details": {"reasoning_tokens": 237},
                      "total_tokens": 1079, "cost_in_usd_ticks": 177640000}
        }))
        .unwrap();
        let reply = obj.into_reply(None);
        assert_eq!(reply.text, "Hello there");
        assert_eq!(reply.usage.reasoning_tokens, 237);
        assert_eq!(reply.usage.cached_input_tokens, 192);
        assert_eq!(reply.usage.total_tokens, 1079);
        assert!(!reply.incomplete);
    }

    #[test]
    fn instructions_are_sent_only_on_the_first_turn() {
        let mut turn = Turn {
            model: "m".into(),
            instructions: "Be brief.".into(),
            message: "hi".into(),
            images: Vec::new(),
            previous_response_id: None,
            max_output_tokens: None,
        };
        let first = serde_json::to_value(CreateRequest::from_turn(&turn, false)).unwrap();
        assert_eq!(first["instructions"], "Be brief.");
        assert_eq!(first["store"], true);
        turn.previous_response_id = Some("abc".into());
        let next = serde_json::to_value(CreateRequest::from_turn(&turn, true)).unwrap();
        assert!(next.get("instructions").is_none());
        assert_eq!(next["previous_response_id"], "abc");
    }

    #[test]
    fn images_go_first_as_input_image_parts_of_one_user_message() {
        use base64::Engine as _;
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x02\0\0\0\x03\x08\x02\0\0\0";
        let url = format!(
            "data:image/jpeg;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(png)
        );
        let limits = crate::images::ImageLimits {
            max_bytes: 1000,
            max_side: 10,
        };
        let image = crate::images::from_data_url(&url, limits).unwrap();
        let turn = Turn {
            model: "m".into(),
            instructions: "Be brief.".into(),
            message: "What is this?".into(),
            images: vec![image],
            previous_response_id: None,
            max_output_tokens: None,
        };
        let body = serde_json::to_value(CreateRequest::from_turn(&turn, false)).unwrap();
        let content = &body["input"][0]["content"];
        assert_eq!(body["input"][0]["role"], "user");
        assert_eq!(content[0]["type"], "input_image");
        // The real type, whatever the page declared.
        assert!(
            content[0]["image_url"]
                .as_str()
                .unwrap()
                .starts_with("data:image/png;base64,")
        );
        assert_eq!(
            content[1],
            serde_json::json!({"type": "input_text", "text": "What is this?"})
        );
    }

    #[test]
    fn unknown_stream_events_are_tolerated() {
        let e: StreamEvent = serde_json::from_str(
            r#"{"type":"response.reasoning_summary_text.delta","delta":"x","sequence_number":3}"#,
        )
        .unwrap();
        assert!(matches!(e, StreamEvent::Other));
    }
}
