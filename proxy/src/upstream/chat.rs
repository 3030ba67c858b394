//! The chat service the routes call: picks the API a client is configured for (Responses,
//! chat completions, deferred), keeps history where the upstream does not, and prices replies.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use super::chat_completions::{self, Prompt};
use super::conversations::{ConversationStore, History};
use super::pricing::PriceBook;
use super::responses;
use super::xai::{UpstreamError, XaiClient};
use super::{Reply, ReplyEvent, ReplyStream, Turn};
use crate::config::{Api, ClientConfig, Config};

#[derive(Clone)]
pub struct ChatService {
    pub xai: XaiClient,
    pub prices: PriceBook,
    conversations: Arc<ConversationStore>,
    idle: Duration,
}

impl ChatService {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        Ok(Self {
            xai: XaiClient::new(config)?,
            prices: PriceBook::default(),
            conversations: Arc::new(ConversationStore::new(
                config.max_conversations,
                config.max_conversation_turns,
            )),
            idle: config.stream_idle_timeout,
        })
    }

    /// One whole reply.
    pub async fn complete(
        &self,
        client: &ClientConfig,
        turn: &Turn,
    ) -> Result<Reply, UpstreamError> {
        match client.api {
            Api::Responses => responses::create(&self.xai, turn).await,
            Api::ChatCompletions => {
                let history = self.history(turn)?;
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
                reply.response_id = self.remember(history.as_ref(), &turn.message, &reply.text);
                Ok(reply)
            }
        }
    }

    /// A streamed reply. `Err` means nothing was received (the caller can still answer with an
    /// HTTP error); later failures are the stream's last item.
    pub async fn stream(
        &self,
        client: &ClientConfig,
        turn: &Turn,
    ) -> Result<ReplyStream, UpstreamError> {
        match client.api {
            Api::Responses => responses::stream(&self.xai, turn, self.idle).await,
            Api::ChatCompletions if client.deferred => {
                // A deferred reply arrives whole; it is relayed as one delta.
                let reply = self.complete(client, turn).await?;
                let events = vec![
                    Ok(ReplyEvent::Delta(reply.text.clone())),
                    Ok(ReplyEvent::Done(reply)),
                ];
                Ok(Box::pin(futures_util::stream::iter(events)))
            }
            Api::ChatCompletions => {
                let history = self.history(turn)?;
                let inner = chat_completions::stream(
                    &self.xai,
                    &prompt(turn, history.as_ref().map(|h| h.as_slice())),
                    self.idle,
                )
                .await?;
                let this = self.clone();
                let message = turn.message.clone();
                Ok(Box::pin(inner.map(move |item| match item {
                    Ok(ReplyEvent::Done(mut reply)) => {
                        reply.response_id = this.remember(history.as_ref(), &message, &reply.text);
                        Ok(ReplyEvent::Done(reply))
                    }
                    other => other,
                })))
            }
        }
    }

    fn history(&self, turn: &Turn) -> Result<Option<History>, UpstreamError> {
        match &turn.previous_response_id {
            None => Ok(None),
            Some(id) => self
                .conversations
                .get(id)
                .map(Some)
                .ok_or(UpstreamError::UnknownConversation),
        }
    }

    fn remember(&self, history: Option<&History>, user: &str, assistant: &str) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        self.conversations
            .record(id.clone(), history, user, assistant);
        id
    }
}

fn prompt<'a>(turn: &'a Turn, history: Option<&'a [super::conversations::Message]>) -> Prompt<'a> {
    Prompt {
        model: &turn.model,
        instructions: &turn.instructions,
        history: history.unwrap_or(&[]),
        message: &turn.message,
        max_output_tokens: turn.max_output_tokens,
    }
}
