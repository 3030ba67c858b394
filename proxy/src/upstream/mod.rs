//! Clients for the language-model upstreams (x.ai, OpenAI, Anthropic). Base URLs and timeouts
//! come from configuration, so tests point them at the in-repo fakes; nothing here knows about
//! axum.
//!
//! Every provider sits behind one trait, [`Provider`]; [`chat::ChatService`] picks one by the
//! client's `provider`. Adding a provider is one file here and one arm in `chat.rs`.
//!
//! - [`error`]: [`UpstreamError`], the same for every provider.
//! - [`http`]: the HTTP client every provider uses: auth, retries, size caps, redaction.
//! - [`sse`]: SSE framing, and the frames of a body within its limits.
//! - [`wire`]: the message shapes the chat-style APIs share, and where images go in a message.
//! - [`responses`]: the Responses API wire types and calls (x.ai's, which OpenAI shares).
//! - [`xai`]: x.ai behind [`Provider`], and what only x.ai has (account, prices, chat
//!   completions, speech backends).
//! - [`openai`]: OpenAI's Responses API.
//! - [`anthropic`]: Anthropic's Messages API, history kept by the proxy.
//! - [`conversations`]: history the proxy keeps when the upstream stores none.
//! - [`chat`]: picks the provider a client is configured for; what the routes call.

pub mod anthropic;
pub mod chat;
pub mod conversations;
pub mod error;
pub mod http;
pub mod openai;
pub mod responses;
pub mod sse;
pub mod wire;
pub mod xai;

use std::future::Future;
use std::pin::Pin;

use futures_util::Stream;

use crate::config::ClientConfig;
use crate::images::Image;
use xai::pricing::Prices;

pub use error::UpstreamError;

/// A boxed future, so [`Provider`] can be used as `dyn Provider`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One language-model provider: what [`chat::ChatService`] (and so the routes) call.
pub trait Provider: Send + Sync {
    /// One whole reply.
    fn complete<'a>(
        &'a self,
        client: &'a ClientConfig,
        turn: &'a Turn,
    ) -> BoxFuture<'a, Result<Reply, UpstreamError>>;

    /// A streamed reply. `Err` means nothing was received (the caller can still answer with
    /// an HTTP error); later failures are the stream's last item, which is `Done` or an error.
    fn stream<'a>(
        &'a self,
        client: &'a ClientConfig,
        turn: &'a Turn,
    ) -> BoxFuture<'a, Result<ReplyStream, UpstreamError>>;

    /// An upper bound on the tokens `text` is for the client's model. By default the byte
    /// length (no tokenizer makes more than one token of a byte): conservative, and free.
    fn count_tokens<'a>(
        &'a self,
        _client: &'a ClientConfig,
        text: &'a str,
    ) -> BoxFuture<'a, Result<usize, UpstreamError>> {
        Box::pin(std::future::ready(Ok(text.len())))
    }

    /// The model's prices, when the provider publishes them to the proxy (x.ai only).
    fn prices<'a>(&'a self, _model: &'a str) -> BoxFuture<'a, Option<Prices>> {
        Box::pin(std::future::ready(None))
    }

    /// What a reply cost, when known.
    fn cost_usd<'a>(
        &'a self,
        _model: &'a str,
        _usage: &'a TokenUsage,
    ) -> BoxFuture<'a, Option<f64>> {
        Box::pin(std::future::ready(None))
    }
}

/// One visitor turn, as the upstream needs it.
#[derive(Debug, Clone)]
pub struct Turn {
    pub model: String,
    /// The owner's system prompt.
    pub instructions: String,
    pub message: String,
    /// Checked images sent with the message (forwarded, never stored or logged).
    pub images: Vec<Image>,
    pub previous_response_id: Option<String>,
    pub max_output_tokens: Option<u32>,
}

impl Turn {
    /// The visitor's message as a history the proxy keeps stores it: images are never kept,
    /// so a note stands in their place (a later turn knows one was shown, and the message is
    /// never empty, which Anthropic would refuse).
    pub fn stored_message(&self) -> String {
        match self.images.len() {
            0 => self.message.clone(),
            n => {
                let note = format!(
                    "[{n} image{} shown here, not kept]",
                    if n == 1 { "" } else { "s" }
                );
                if self.message.is_empty() {
                    note
                } else {
                    format!("{note}\n{}", self.message)
                }
            }
        }
    }
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
