//! The chat service the routes call: picks the client's provider (x.ai, OpenAI, Anthropic)
//! and forwards to it through [`Provider`]. Adding a provider touches this file's
//! constructor and [`ChatService::provider`], nothing in `routes/`.

use std::sync::Arc;

use super::UpstreamError;
use super::anthropic::AnthropicProvider;
use super::http::UpstreamClient;
use super::openai::OpenAiProvider;
use super::xai::pricing::{PriceBook, Prices};
use super::xai::{self, XaiProvider};
use super::{Provider, Reply, ReplyStream, TokenUsage, Turn};
use crate::config::{ClientConfig, Config, ProviderKind};

#[derive(Clone)]
pub struct ChatService {
    /// The x.ai client (also used by the start-up key check).
    pub xai: UpstreamClient,
    /// x.ai's prices.
    pub prices: PriceBook,
    xai_provider: Arc<XaiProvider>,
    /// `None` when no key is configured for the provider (then no client uses it).
    openai: Option<Arc<OpenAiProvider>>,
    anthropic: Option<Arc<AnthropicProvider>>,
}

impl ChatService {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let xai = xai::client(config)?;
        let prices = PriceBook::default();
        let openai = match &config.openai.api_key {
            Some(key) => Some(Arc::new(OpenAiProvider::new(config, key.clone())?)),
            None => None,
        };
        let anthropic = match &config.anthropic.api_key {
            Some(key) => Some(Arc::new(AnthropicProvider::new(config, key.clone())?)),
            None => None,
        };
        Ok(Self {
            xai_provider: Arc::new(XaiProvider::new(config, xai.clone(), prices.clone())?),
            xai,
            prices,
            openai,
            anthropic,
        })
    }

    /// The provider `client` is configured for. Config validation guarantees its key is set.
    fn provider(&self, client: &ClientConfig) -> Result<&dyn Provider, UpstreamError> {
        let provider: Option<&dyn Provider> = match client.provider {
            ProviderKind::Xai => Some(self.xai_provider.as_ref()),
            ProviderKind::Openai => self.openai.as_deref().map(|p| p as &dyn Provider),
            ProviderKind::Anthropic => self.anthropic.as_deref().map(|p| p as &dyn Provider),
        };
        provider.ok_or_else(|| {
            tracing::error!(
                client = %client.id,
                provider = client.provider.as_str(),
                "no key configured for the client's provider"
            );
            UpstreamError::Failed
        })
    }

    /// One whole reply.
    pub async fn complete(
        &self,
        client: &ClientConfig,
        turn: &Turn,
    ) -> Result<Reply, UpstreamError> {
        self.provider(client)?.complete(client, turn).await
    }

    /// A streamed reply. `Err` means nothing was received (the caller can still answer with an
    /// HTTP error); later failures are the stream's last item.
    pub async fn stream(
        &self,
        client: &ClientConfig,
        turn: &Turn,
    ) -> Result<ReplyStream, UpstreamError> {
        self.provider(client)?.stream(client, turn).await
    }

    /// Tokens of `text` for the token cap: x.ai's tokenizer for x.ai, the byte length (an upper
    /// bound) for the others.
    pub async fn count_tokens(
        &self,
        client: &ClientConfig,
        text: &str,
    ) -> Result<usize, UpstreamError> {
        self.provider(client)?.count_tokens(client, text).await
    }

    /// The client's model prices, when known (x.ai only).
    pub async fn prices(&self, client: &ClientConfig) -> Option<Prices> {
        self.provider(client).ok()?.prices(&client.model).await
    }

    /// What a reply cost, when known (x.ai only; `None` for the others).
    pub async fn cost_usd(&self, client: &ClientConfig, usage: &TokenUsage) -> Option<f64> {
        self.provider(client)
            .ok()?
            .cost_usd(&client.model, usage)
            .await
    }
}
