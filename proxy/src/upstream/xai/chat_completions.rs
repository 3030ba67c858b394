//! `POST /v1/chat/completions`, the legacy endpoint, for servers that speak nothing else:
//! JSON, streamed (data-only SSE ending in `[DONE]`) and deferred (create, then poll
//! `GET /v1/chat/deferred-completion/{id}`: 202 while pending, 200 once). The upstream keeps no
//! conversation here; the caller passes the history.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tracing::{debug, warn};

use crate::images::Image;
use crate::upstream::UpstreamError;
use crate::upstream::conversations::Message;
use crate::upstream::http::UpstreamClient;
use crate::upstream::sse::{self, StreamLimits};
use crate::upstream::wire::{self, Content};
use crate::upstream::{Reply, ReplyEvent, ReplyStream, TokenUsage};

/// A message in Chat Completions' form: with images, typed parts (`image_url`, `text`).
pub type WireMessage<'a> = wire::WireMessage<'a, Part<'a>>;

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part<'a> {
    ImageUrl { image_url: ImageUrl },
    Text { text: &'a str },
}

#[derive(Debug, Serialize)]
pub struct ImageUrl {
    pub url: String,
    pub detail: &'static str,
}

fn content<'a>(text: &'a str, images: &'a [Image]) -> Content<'a, Part<'a>> {
    Content::new(
        text,
        images,
        |i| Part::ImageUrl {
            image_url: ImageUrl {
                url: i.data_url(),
                detail: "auto",
            },
        },
        |text| Part::Text { text },
    )
}

#[derive(Debug, Serialize)]
pub struct CreateRequest<'a> {
    pub model: &'a str,
    pub messages: Vec<WireMessage<'a>>,
    pub stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deferred: bool,
}

#[derive(Debug, Serialize)]
pub struct StreamOptions {
    pub include_usage: bool,
}

/// What one call needs: system prompt, earlier messages, the new message.
pub struct Prompt<'a> {
    pub model: &'a str,
    pub instructions: &'a str,
    pub history: &'a [Message],
    pub message: &'a str,
    /// Sent with the new message only (history holds no images).
    pub images: &'a [Image],
    pub max_output_tokens: Option<u32>,
}

impl<'a> Prompt<'a> {
    fn request(&self, stream: bool, deferred: bool) -> CreateRequest<'a> {
        let mut messages = Vec::with_capacity(self.history.len() + 2);
        messages.push(WireMessage {
            role: "system",
            content: Content::Text(self.instructions),
        });
        for m in self.history {
            messages.push(WireMessage {
                role: m.role.as_str(),
                content: Content::Text(&m.content),
            });
        }
        messages.push(WireMessage {
            role: "user",
            content: content(self.message, self.images),
        });
        CreateRequest {
            model: self.model,
            messages,
            stream,
            stream_options: stream.then_some(StreamOptions {
                include_usage: true,
            }),
            max_tokens: self.max_output_tokens,
            deferred,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Completion {
    pub id: String,
    #[serde(default)]
    pub choices: Vec<Choice>,
    #[serde(default)]
    pub usage: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
pub struct Choice {
    #[serde(default)]
    pub message: Option<ChoiceMessage>,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ChoiceMessage {
    #[serde(default)]
    pub content: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct WireUsage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
    #[serde(default)]
    pub total_tokens: u64,
    #[serde(default)]
    pub prompt_tokens_details: Option<PromptDetails>,
    #[serde(default)]
    pub completion_tokens_details: Option<CompletionDetails>,
    #[serde(default)]
    pub cost_in_usd_ticks: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct PromptDetails {
    #[serde(default)]
    pub cached_tokens: u64,
}

#[derive(Debug, Default, Deserialize)]
pub struct CompletionDetails {
    #[serde(default)]
    pub reasoning_tokens: u64,
}

impl From<WireUsage> for TokenUsage {
    fn from(u: WireUsage) -> Self {
        let reasoning = u
            .completion_tokens_details
            .map_or(0, |d| d.reasoning_tokens);
        TokenUsage {
            input_tokens: u.prompt_tokens,
            cached_input_tokens: u.prompt_tokens_details.map_or(0, |d| d.cached_tokens),
            output_tokens: u.completion_tokens,
            reasoning_tokens: reasoning,
            total_tokens: if u.total_tokens > 0 {
                u.total_tokens
            } else {
                u.prompt_tokens + u.completion_tokens
            },
            cost_in_usd_ticks: u.cost_in_usd_ticks,
        }
    }
}

impl Completion {
    fn into_reply(self) -> Reply {
        let choice = self.choices.into_iter().next();
        let incomplete = choice.as_ref().and_then(|c| c.finish_reason.as_deref()) == Some("length");
        let text = choice
            .and_then(|c| c.message)
            .and_then(|m| m.content)
            .unwrap_or_default();
        Reply {
            text,
            response_id: self.id,
            usage: self.usage.map(TokenUsage::from).unwrap_or_default(),
            incomplete,
        }
    }
}

#[derive(Debug, Deserialize)]
struct Chunk {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: Option<ChunkDelta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChunkDelta {
    #[serde(default)]
    content: Option<String>,
}

pub async fn create(xai: &UpstreamClient, prompt: &Prompt<'_>) -> Result<Reply, UpstreamError> {
    let c: Completion = xai
        .post_json(
            "chat.completions",
            "chat/completions",
            &prompt.request(false, false),
        )
        .await?;
    Ok(c.into_reply())
}

/// Deferred: create, then poll every `poll` until done or `timeout`.
pub async fn create_deferred(
    xai: &UpstreamClient,
    prompt: &Prompt<'_>,
    poll: Duration,
    timeout: Duration,
) -> Result<Reply, UpstreamError> {
    #[derive(Deserialize)]
    struct Created {
        request_id: String,
    }
    let started = Instant::now();
    let created: Created = xai
        .post_json(
            "chat.deferred",
            "chat/completions",
            &prompt.request(false, true),
        )
        .await?;
    let url = xai.endpoint(&format!("chat/deferred-completion/{}", created.request_id));
    loop {
        let resp = xai
            .send("chat.deferred.poll", true, |http| http.get(&url))
            .await?;
        if resp.status().as_u16() == 202 {
            debug!("deferred completion pending");
            if started.elapsed() + poll > timeout {
                return Err(UpstreamError::DeferredTimeout);
            }
            tokio::time::sleep(poll).await;
            continue;
        }
        let bytes = xai.read_body(resp).await?;
        let c: Completion = serde_json::from_slice(&bytes).map_err(|_| UpstreamError::Malformed)?;
        return Ok(c.into_reply());
    }
}

pub async fn stream(
    xai: &UpstreamClient,
    prompt: &Prompt<'_>,
    limits: StreamLimits,
) -> Result<ReplyStream, UpstreamError> {
    let body = prompt.request(true, false);
    let resp = xai
        .post_sse("chat.completions", "chat/completions", &body)
        .await?;
    let frames = sse::frames(resp.bytes_stream(), limits);
    let redact = xai.redactor();
    Ok(Box::pin(async_stream::try_stream! {
        let mut frames = std::pin::pin!(frames);
        let mut text = String::new();
        let mut id = String::new();
        let mut usage = TokenUsage::default();
        let mut finished = false;
        let mut incomplete = false;
        while let Some(frame) = frames.next().await {
            let frame = frame?;
            if frame.is_done_marker() {
                break;
            }
            let chunk: Chunk = serde_json::from_str(&frame.data).map_err(|e| {
                warn!(error = %redact.redact(&e.to_string()), "unreadable chunk in the chat-completions stream");
                UpstreamError::Malformed
            })?;
            if let Some(i) = chunk.id {
                id = i;
            }
            if let Some(u) = chunk.usage {
                usage = u.into();
            }
            for choice in chunk.choices {
                if let Some(delta) = choice.delta.and_then(|d| d.content).filter(|d| !d.is_empty()) {
                    text.push_str(&delta);
                    yield ReplyEvent::Delta(delta);
                }
                if let Some(reason) = choice.finish_reason {
                    finished = true;
                    incomplete = reason == "length";
                }
            }
        }
        if !finished {
            Err(UpstreamError::Truncated)?;
        }
        yield ReplyEvent::Done(Reply { text, response_id: id, usage, incomplete });
    }))
}
