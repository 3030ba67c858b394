//! Anthropic behind [`Provider`]: the Messages API (`POST {base}/messages`, headers `x-api-key`
//! and `anthropic-version`). `system` carries the owner's instructions and `max_tokens` (which
//! Anthropic requires) the client's `max_output_tokens`.
//!
//! Anthropic stores no conversations: the proxy keeps a bounded history per conversation in a
//! [`ConversationStore`] and hands the widget an opaque id as `response_id`, so
//! `previous_response_id` works unchanged.
//!
//! Stream events (keyed on the payload's `type`): `message_start` (input tokens),
//! `content_block_delta` with a `text_delta` (the text), `message_delta` (stop reason, output
//! tokens), `message_stop` (the end), `error`; `ping`, `content_block_start/stop` and unknown
//! types are ignored. No prices (cost is `None`), the token cap counts bytes, no server speech.

use std::sync::Arc;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tracing::warn;

use super::conversations::{ConversationStore, Message};
use super::http::{Auth, Redactor, UpstreamClient};
use super::sse::{self, StreamLimits};
use super::wire::{self, Content};
use super::{BoxFuture, Provider, Reply, ReplyEvent, ReplyStream, TokenUsage, Turn, UpstreamError};
use crate::config::{ApiKey, ClientConfig, Config};
use crate::images::Image;

/// `max_tokens` when the client sets no `max_output_tokens` (config always sets one).
const DEFAULT_MAX_TOKENS: u32 = 1024;

/// A message in Anthropic's form: with images, content blocks whose `source` is the file in
/// base64 (Anthropic's own format, not a data URL).
pub type WireMessage<'a> = wire::WireMessage<'a, Block<'a>>;

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block<'a> {
    Image { source: ImageSource<'a> },
    Text { text: &'a str },
}

#[derive(Debug, Serialize)]
pub struct ImageSource<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub media_type: &'static str,
    pub data: &'a str,
}

fn content<'a>(text: &'a str, images: &'a [Image]) -> Content<'a, Block<'a>> {
    Content::new(
        text,
        images,
        |i| Block::Image {
            source: ImageSource {
                kind: "base64",
                media_type: i.mime(),
                data: i.base64(),
            },
        },
        |text| Block::Text { text },
    )
}

#[derive(Debug, Serialize)]
pub struct CreateRequest<'a> {
    pub model: &'a str,
    pub max_tokens: u32,
    pub system: &'a str,
    pub messages: Vec<WireMessage<'a>>,
    pub stream: bool,
}

impl<'a> CreateRequest<'a> {
    pub fn new(turn: &'a Turn, history: &'a [Message], stream: bool) -> Self {
        let mut messages = Vec::with_capacity(history.len() + 1);
        for m in history {
            messages.push(WireMessage {
                role: m.role.as_str(),
                content: Content::Text(&m.content),
            });
        }
        messages.push(WireMessage {
            role: "user",
            content: content(&turn.message, &turn.images),
        });
        Self {
            model: &turn.model,
            max_tokens: turn.max_output_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
            system: &turn.instructions,
            messages,
            stream,
        }
    }
}

/// A message answer; only what the proxy reads.
#[derive(Debug, Deserialize)]
pub struct MessageObject {
    #[serde(default)]
    pub content: Vec<ContentBlock>,
    #[serde(default)]
    pub stop_reason: Option<String>,
    #[serde(default)]
    pub usage: WireUsage,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
pub enum ContentBlock {
    #[serde(rename = "text")]
    Text { text: String },
    #[serde(other)]
    Other,
}

#[derive(Debug, Default, Deserialize)]
pub struct WireUsage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
}

impl WireUsage {
    /// Anthropic's `input_tokens` leaves out cached input; the widget sees all input.
    fn input(&self) -> (u64, u64) {
        let cached = self.cache_read_input_tokens.unwrap_or(0);
        let all = self.input_tokens + cached + self.cache_creation_input_tokens.unwrap_or(0);
        (all, cached)
    }
}

fn usage(input: u64, cached: u64, output: u64) -> TokenUsage {
    TokenUsage {
        input_tokens: input,
        cached_input_tokens: cached,
        output_tokens: output,
        reasoning_tokens: 0,
        total_tokens: input + output,
        cost_in_usd_ticks: None,
    }
}

/// Stream events, named as on the wire.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    MessageStart {
        message: StartMessage,
    },
    ContentBlockDelta {
        delta: Delta,
    },
    MessageDelta {
        #[serde(default)]
        delta: MessageDeltaBody,
        #[serde(default)]
        usage: OutputUsage,
    },
    MessageStop,
    Error {
        #[serde(default)]
        error: Option<ErrorBody>,
    },
    /// `ping`, `content_block_start`, `content_block_stop` and anything new.
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
pub struct StartMessage {
    #[serde(default)]
    pub usage: WireUsage,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Delta {
    TextDelta {
        text: String,
    },
    /// `input_json_delta`, `thinking_delta`, …: nothing a visitor sees.
    #[serde(other)]
    Other,
}

#[derive(Debug, Default, Deserialize)]
pub struct MessageDeltaBody {
    #[serde(default)]
    pub stop_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct OutputUsage {
    #[serde(default)]
    pub output_tokens: u64,
}

#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    #[serde(rename = "type", default)]
    pub kind: String,
}

pub struct AnthropicProvider {
    http: UpstreamClient,
    conversations: Arc<ConversationStore>,
    limits: StreamLimits,
}

impl AnthropicProvider {
    pub fn new(config: &Config, key: ApiKey) -> anyhow::Result<Self> {
        Ok(Self {
            http: UpstreamClient::new(
                config,
                "anthropic",
                config.anthropic.base_url.clone(),
                key,
                Auth::Anthropic {
                    version: config.anthropic.version.clone(),
                },
            )?,
            conversations: Arc::new(ConversationStore::from_config(config)?),
            limits: StreamLimits::from_config(config),
        })
    }

    async fn complete_turn(&self, turn: &Turn) -> Result<Reply, UpstreamError> {
        let history = self.conversations.history(turn).await?;
        let messages = history.as_ref().map_or(&[][..], |h| h.as_slice());
        let body = CreateRequest::new(turn, messages, false);
        let obj: MessageObject = self.http.post_json("messages", "messages", &body).await?;
        let text: String = obj
            .content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::Text { text } => Some(text.as_str()),
                ContentBlock::Other => None,
            })
            .collect();
        let (input, cached) = obj.usage.input();
        let response_id = self
            .conversations
            .remember(history.as_ref(), &turn.stored_message(), &text)
            .await?;
        Ok(Reply {
            text,
            response_id,
            usage: usage(input, cached, obj.usage.output_tokens),
            incomplete: obj.stop_reason.as_deref() == Some("max_tokens"),
        })
    }

    async fn stream_turn(&self, turn: &Turn) -> Result<ReplyStream, UpstreamError> {
        let history = self.conversations.history(turn).await?;
        let messages = history.as_ref().map_or(&[][..], |h| h.as_slice());
        let body = CreateRequest::new(turn, messages, true);
        let resp = self.http.post_sse("messages", "messages", &body).await?;
        let inner = relay(resp.bytes_stream(), self.limits, self.http.redactor());
        Ok(ConversationStore::remember_at_end(
            &self.conversations,
            inner,
            history,
            turn.stored_message(),
        ))
    }
}

/// Turns Anthropic's SSE bytes into reply events; the `Done` reply's id is filled in by the
/// caller (the conversation store).
pub fn relay<S, E>(bytes: S, limits: StreamLimits, redact: Redactor) -> ReplyStream
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Send + 'static,
    E: Into<UpstreamError> + Send + 'static,
{
    let frames = sse::frames(bytes, limits);
    Box::pin(async_stream::try_stream! {
        let mut frames = std::pin::pin!(frames);
        let mut text = String::new();
        let (mut input, mut cached, mut output) = (0, 0, 0);
        let mut incomplete = false;
        while let Some(frame) = frames.next().await {
            let frame = frame?;
            let event: StreamEvent = serde_json::from_str(&frame.data).map_err(|e| {
                warn!(error = %redact.redact(&e.to_string()), "unreadable event in the Anthropic stream");
                UpstreamError::Malformed
            })?;
            match event {
                StreamEvent::MessageStart { message } => {
                    (input, cached) = message.usage.input();
                    output = message.usage.output_tokens;
                }
                StreamEvent::ContentBlockDelta { delta: Delta::TextDelta { text: t } } => {
                    text.push_str(&t);
                    yield ReplyEvent::Delta(t);
                }
                StreamEvent::ContentBlockDelta { delta: Delta::Other } => {}
                StreamEvent::MessageDelta { delta, usage: u } => {
                    // `usage.output_tokens` here is the running total.
                    output = output.max(u.output_tokens);
                    incomplete = delta.stop_reason.as_deref() == Some("max_tokens");
                }
                StreamEvent::MessageStop => {
                    yield ReplyEvent::Done(Reply {
                        text: std::mem::take(&mut text),
                        response_id: String::new(),
                        usage: usage(input, cached, output),
                        incomplete,
                    });
                    return;
                }
                StreamEvent::Error { error } => {
                    let kind = error.map_or_else(|| "-".to_owned(), |e| e.kind);
                    warn!(kind = %kind, "Anthropic sent an error event mid-stream");
                    Err(UpstreamError::MidStream)?;
                }
                StreamEvent::Other => {}
            }
        }
        // The connection ended without `message_stop`.
        Err(UpstreamError::Truncated)?;
    })
}

impl Provider for AnthropicProvider {
    fn complete<'a>(
        &'a self,
        _client: &'a ClientConfig,
        turn: &'a Turn,
    ) -> BoxFuture<'a, Result<Reply, UpstreamError>> {
        Box::pin(self.complete_turn(turn))
    }

    fn stream<'a>(
        &'a self,
        _client: &'a ClientConfig,
        turn: &'a Turn,
    ) -> BoxFuture<'a, Result<ReplyStream, UpstreamError>> {
        Box::pin(self.stream_turn(turn))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::conversations::Role;
    use std::time::Duration;

    fn events(frames: &[&str]) -> Vec<Result<ReplyEvent, UpstreamError>> {
        let body: String = frames
            .iter()
            .map(|f| {
                let v: serde_json::Value = serde_json::from_str(f).unwrap();
                format!("event: {}\ndata: {f}\n\n", v["type"].as_str().unwrap())
            })
            .collect();
        let chunks: Vec<Result<bytes::Bytes, UpstreamError>> = body
            .as_bytes()
            .chunks(7)
            .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
            .collect();
        let limits = StreamLimits {
            idle: Duration::from_secs(5),
            total: Duration::from_secs(5),
            max_bytes: 1 << 20,
        };
        let stream = relay(
            futures_util::stream::iter(chunks),
            limits,
            Redactor::new(ApiKey::new("sk-ant-test-key")),
        );
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(stream.collect())
    }

    #[test]
    fn a_stream_yields_text_deltas_and_usage_from_start_and_delta() {
        let out = events(&[
            r#"{"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":25,"output_tokens":1,"cache_read_input_tokens":5}}}"#,
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
            r#"{"type":"ping"}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" there"}}"#,
            r#"{"type":"content_block_stop","index":0}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}"#,
            r#"{"type":"message_stop"}"#,
        ]);
        assert_eq!(out.len(), 3, "{out:?}");
        assert_eq!(out[0], Ok(ReplyEvent::Delta("Hello".into())));
        let Ok(ReplyEvent::Done(reply)) = &out[2] else {
            panic!("{out:?}")
        };
        assert_eq!(reply.text, "Hello there");
        assert_eq!(reply.usage.input_tokens, 30);
        assert_eq!(reply.usage.cached_input_tokens, 5);
        assert_eq!(reply.usage.output_tokens, 15);
        assert_eq!(reply.usage.total_tokens, 45);
        assert!(!reply.incomplete);
    }

    #[test]
    fn an_error_event_or_a_missing_stop_ends_with_an_error() {
        let out = events(&[
            r#"{"type":"message_start","message":{"usage":{"input_tokens":1}}}"#,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        ]);
        assert_eq!(out.last(), Some(&Err(UpstreamError::MidStream)));
        let out = events(&[r#"{"type":"message_start","message":{"usage":{"input_tokens":1}}}"#]);
        assert_eq!(out.last(), Some(&Err(UpstreamError::Truncated)));
    }

    #[test]
    fn the_request_carries_history_system_and_max_tokens() {
        let turn = Turn {
            model: "claude-haiku-4-5".into(),
            instructions: "Be brief.".into(),
            message: "again".into(),
            images: Vec::new(),
            previous_response_id: None,
            max_output_tokens: Some(300),
        };
        let history = [
            Message {
                role: Role::User,
                content: "hi".into(),
            },
            Message {
                role: Role::Assistant,
                content: "hello".into(),
            },
        ];
        let body = serde_json::to_value(CreateRequest::new(&turn, &history, true)).unwrap();
        assert_eq!(body["system"], "Be brief.");
        assert_eq!(body["max_tokens"], 300);
        let roles: Vec<&str> = body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["user", "assistant", "user"]);
    }
}
