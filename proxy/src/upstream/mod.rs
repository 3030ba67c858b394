//! Clients for the language-model upstream (x.ai, or any server speaking its protocol). Base
//! URL and timeouts come from configuration, so tests point them at the fake x.ai; nothing here
//! knows about axum.
//!
//! - [`xai`]: the HTTP client, retries, error type, account/model/tokenizer endpoints.
//! - [`sse`]: SSE framing.
//! - [`responses`]: `POST /v1/responses`, JSON and streaming.
//! - [`chat_completions`]: the legacy endpoint, streaming and deferred.
//! - [`conversations`]: history the proxy keeps when the upstream stores none.
//! - [`chat`]: picks the API a client is configured for; what the routes call.
//! - [`pricing`]: model prices, cached.
//! - [`voice`]: text → speech clip (cache, session cap) over [`tts`] or [`realtime`].

pub mod chat;
pub mod chat_completions;
pub mod conversations;
pub mod pricing;
pub mod realtime;
pub mod responses;
pub mod sse;
pub mod tts;
pub mod voice;
pub mod xai;

use std::pin::Pin;

use futures_util::Stream;

pub use xai::UpstreamError;

/// One visitor turn, as the upstream needs it.
#[derive(Debug, Clone)]
pub struct Turn {
    pub model: String,
    /// The owner's system prompt.
    pub instructions: String,
    pub message: String,
    pub previous_response_id: Option<String>,
    pub max_output_tokens: Option<u32>,
}

/// Token counts of one reply, normalised across APIs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenUsage {
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    /// Includes reasoning tokens.
    pub output_tokens: u64,
    pub reasoning_tokens: u64,
    pub total_tokens: u64,
    /// x.ai's own price of the call (1 USD = 10^10 ticks), when it sent one.
    pub cost_in_usd_ticks: Option<u64>,
}

/// A finished reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub text: String,
    /// What the widget sends back as `previous_response_id` to continue.
    pub response_id: String,
    pub usage: TokenUsage,
    /// The upstream stopped early (e.g. `max_output_tokens`); the text is what it produced.
    pub incomplete: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ReplyEvent {
    Delta(String),
    Done(Reply),
}

pub type ReplyStream = Pin<Box<dyn Stream<Item = Result<ReplyEvent, UpstreamError>> + Send>>;
