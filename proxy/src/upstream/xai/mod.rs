//! x.ai: the Responses API, chat completions (history kept by the proxy) and deferred
//! completions behind [`Provider`], plus what only x.ai offers: account endpoints, model prices,
//! and speech (the TTS endpoint, the streaming TTS socket, realtime voice).
//!
//! - [`account`]: `/v1/api-key`, `/v1/language-models`, `/v1/tokenize-text`.
//! - [`pricing`]: model prices, refreshed in the background.
//! - [`chat_completions`]: the legacy endpoint, streaming and deferred.
//! - [`tts`], [`realtime`]: speech backends; [`utterance`] is what they share.

pub mod account;
pub mod chat_completions;
pub mod pricing;
pub mod realtime;
pub mod tts;
pub mod utterance;

use std::sync::Arc;

use chat_completions::Prompt;
use pricing::{PriceBook, Prices};

use super::conversations::{ConversationStore, Message};
use super::http::{Auth, UpstreamClient};
use super::sse::StreamLimits;
use super::{
    BoxFuture, Provider, Reply, ReplyEvent, ReplyStream, TokenUsage, Turn, UpstreamError, responses,
};
use crate::config::{Api, ClientConfig, Config};

/// The HTTP client for x.ai's REST API, with the key and base URL from the configuration.
pub fn client(config: &Config) -> anyhow::Result<UpstreamClient> {
    UpstreamClient::new(
        config,
        "x.ai",
        config.base_url.clone(),
        config.api_key.clone(),
        Auth::Bearer,
    )
}

/// x.ai behind [`Provider`]: the API the client is configured for, history kept by the proxy
/// where x.ai keeps none (chat completions), prices from `/v1/language-models`.
#[derive(Clone)]
pub struct XaiProvider {
    pub xai: UpstreamClient,
    pub prices: PriceBook,
    conversations: Arc<ConversationStore>,
    limits: StreamLimits,
}

impl XaiProvider {
    pub fn new(config: &Config, xai: UpstreamClient, prices: PriceBook) -> anyhow::Result<Self> {
        let conversations = Arc::new(ConversationStore::from_config(config)?);
        Ok(Self {
            xai,
            prices,
            conversations,
            limits: StreamLimits::from_config(config),
        })
    }

    async fn complete_turn(
        &self,
        client: &ClientConfig,
        turn: &Turn,
    ) -> Result<Reply, UpstreamError> {
        match client.api {
            Api::Responses => responses::create(&self.xai, turn).await,
            Api::ChatCompletions => {
                let history = self.conversations.history(turn).await?;
                let prompt = prompt(turn, history.as_ref().map(|h| h.as_slice()));
                let mut reply = if client.deferred {
                    chat_completions::create_deferred(
                        &self.xai,
                        &prompt,
                        client.deferred_poll,
                        client.deferred_timeout,
                    )
                    .await?
                } else {
                    chat_completions::create(&self.xai, &prompt).await?
                };
                reply.response_id = self
                    .conversations
                    .remember(history.as_ref(), &turn.stored_message(), &reply.text)
                    .await?;
                Ok(reply)
            }
        }
    }

    async fn stream_turn(
        &self,
        client: &ClientConfig,
        turn: &Turn,
    ) -> Result<ReplyStream, UpstreamError> {
        match client.api {
            Api::Responses => responses::stream(&self.xai, turn, self.limits).await,
            Api::ChatCompletions if client.deferred => {
                // A deferred reply arrives whole; it is relayed as one delta.
                let reply = self.complete_turn(client, turn).await?;
                let events = vec![
                    Ok(ReplyEvent::Delta(reply.text.clone())),
                    Ok(ReplyEvent::Done(reply)),
                ];
                Ok(Box::pin(futures_util::stream::iter(events)))
            }
            Api::ChatCompletions => {
                let history = self.conversations.history(turn).await?;
                let inner = chat_completions::stream(
                    &self.xai,
                    &prompt(turn, history.as_ref().map(|h| h.as_slice())),
                    self.limits,
                )
                .await?;
                Ok(ConversationStore::remember_at_end(
                    &self.conversations,
                    inner,
                    history,
                    turn.stored_message(),
                ))
            }
        }
    }
}

impl Provider for XaiProvider {
    fn complete<'a>(
        &'a self,
        client: &'a ClientConfig,
        turn: &'a Turn,
    ) -> BoxFuture<'a, Result<Reply, UpstreamError>> {
        Box::pin(self.complete_turn(client, turn))
    }

    fn stream<'a>(
        &'a self,
        client: &'a ClientConfig,
        turn: &'a Turn,
    ) -> BoxFuture<'a, Result<ReplyStream, UpstreamError>> {
        Box::pin(self.stream_turn(client, turn))
    }

    /// x.ai's own tokenizer (`POST /v1/tokenize-text`).
    fn count_tokens<'a>(
        &'a self,
        client: &'a ClientConfig,
        text: &'a str,
    ) -> BoxFuture<'a, Result<usize, UpstreamError>> {
        Box::pin(account::count_tokens(&self.xai, &client.model, text))
    }

    fn prices<'a>(&'a self, model: &'a str) -> BoxFuture<'a, Option<Prices>> {
        Box::pin(self.prices.prices(&self.xai, model))
    }

    fn cost_usd<'a>(&'a self, model: &'a str, usage: &'a TokenUsage) -> BoxFuture<'a, Option<f64>> {
        Box::pin(self.prices.cost_usd(&self.xai, model, usage))
    }
}

fn prompt<'a>(turn: &'a Turn, history: Option<&'a [Message]>) -> Prompt<'a> {
    Prompt {
        model: &turn.model,
        instructions: &turn.instructions,
        history: history.unwrap_or(&[]),
        message: &turn.message,
        images: &turn.images,
        max_output_tokens: turn.max_output_tokens,
    }
}
