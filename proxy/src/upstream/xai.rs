//! The x.ai REST client: one `reqwest::Client`, the key in one header-building place, retries
//! before the first byte, and errors that carry no URL or upstream text. The same client (with
//! another base URL, key and auth header) carries the OpenAI and Anthropic calls.
//!
//! [`XaiProvider`] is x.ai behind [`super::Provider`]: Responses, chat completions or deferred,
//! as the client is configured.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tracing::{info, warn};
use url::Url;

use crate::config::{Api, ApiKey, ClientConfig, Config};

use super::chat_completions::{self, Prompt};
use super::conversations::{ConversationStore, Message};
use super::pricing::{PriceBook, Prices};
use super::sse::StreamLimits;
use super::{BoxFuture, Provider, Reply, ReplyEvent, ReplyStream, TokenUsage, Turn, responses};

/// What went wrong talking to x.ai, with no URL or body text in it: those stay in the logs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UpstreamError {
    #[error("x.ai did not answer in time")]
    Timeout,
    #[error("could not reach x.ai")]
    Connect,
    #[error("x.ai answered HTTP {status}")]
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("x.ai sent a reply the proxy could not read")]
    Malformed,
    #[error("x.ai stopped sending mid-reply")]
    Stalled,
    #[error("the reply exceeded the proxy's size cap")]
    TooLarge,
    #[error("the reply stream ended before it was complete")]
    Truncated,
    #[error("x.ai reported an error mid-reply")]
    MidStream,
    #[error("x.ai could not finish the reply")]
    Failed,
    #[error("the deferred completion did not finish in time")]
    DeferredTimeout,
    #[error("the conversation to continue is unknown or expired")]
    UnknownConversation,
    #[error("the shared conversation store is unreachable")]
    StoreUnavailable,
}

impl UpstreamError {
    /// Maps a reqwest failure without keeping its text (it contains the URL).
    pub fn from_reqwest(e: &reqwest::Error) -> Self {
        if e.is_timeout() {
            UpstreamError::Timeout
        } else if e.is_decode() || e.is_body() {
            UpstreamError::Malformed
        } else {
            UpstreamError::Connect
        }
    }

    /// A short label for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            UpstreamError::Timeout => "timeout",
            UpstreamError::Connect => "connect",
            UpstreamError::Status { .. } => "status",
            UpstreamError::Malformed => "malformed",
            UpstreamError::Stalled => "stalled",
            UpstreamError::TooLarge => "too_large",
            UpstreamError::Truncated => "truncated",
            UpstreamError::MidStream => "mid_stream_error",
            UpstreamError::Failed => "failed",
            UpstreamError::DeferredTimeout => "deferred_timeout",
            UpstreamError::UnknownConversation => "unknown_conversation",
            UpstreamError::StoreUnavailable => "store_unavailable",
        }
    }
}

impl From<reqwest::Error> for UpstreamError {
    fn from(e: reqwest::Error) -> Self {
        UpstreamError::from_reqwest(&e)
    }
}

/// Retries on 429 and 5xx (and failed connections) before any byte of a reply was read.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_retries: u32,
    /// Retrying stops once this much time has passed since the first attempt.
    pub budget: Duration,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl RetryPolicy {
    pub fn from_config(config: &Config) -> Self {
        Self {
            max_retries: config.retry_max,
            budget: config.retry_budget,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
        }
    }

    /// Full-jitter exponential backoff for attempt `n` (0-based), or the server's
    /// `Retry-After` when it sent one.
    fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra;
        }
        let ceiling = self
            .base_delay
            .saturating_mul(1 << attempt.min(16))
            .min(self.max_delay);
        let millis = ceiling.as_millis() as u64;
        Duration::from_millis(rand::rng().random_range(millis / 2..=millis.max(1)))
    }
}

/// `GET /v1/api-key`.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiKeyInfo {
    #[serde(default)]
    pub redacted_api_key: String,
    #[serde(default)]
    pub acls: Vec<String>,
    #[serde(default)]
    pub api_key_blocked: bool,
    #[serde(default)]
    pub api_key_disabled: bool,
    #[serde(default)]
    pub team_blocked: bool,
}

/// One entry of `GET /v1/language-models`. Prices are USD cents per 100 million tokens.
#[derive(Debug, Clone, Deserialize)]
pub struct LanguageModel {
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub prompt_text_token_price: u64,
    #[serde(default)]
    pub cached_prompt_text_token_price: u64,
    #[serde(default)]
    pub completion_text_token_price: u64,
}

#[derive(Deserialize)]
struct LanguageModels {
    models: Vec<LanguageModel>,
}

#[derive(Deserialize)]
struct Tokenized {
    token_ids: Vec<serde_json::Value>,
}

/// How the key travels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <key>` (x.ai, OpenAI).
    Bearer,
    /// `x-api-key: <key>` and `anthropic-version: <version>` (Anthropic).
    Anthropic { version: String },
}

#[derive(Clone)]
pub struct XaiClient {
    http: reqwest::Client,
    base_url: Url,
    key: ApiKey,
    auth: Auth,
    /// Who is on the other end, for log lines ("x.ai", "openai", "anthropic").
    label: &'static str,
    retry: RetryPolicy,
    upstream_timeout: Duration,
    max_reply_bytes: usize,
}

impl XaiClient {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        Self::for_endpoint(
            config,
            "x.ai",
            config.base_url.clone(),
            config.api_key.clone(),
            Auth::Bearer,
        )
    }

    /// A client for another provider's `base_url`, with its key and auth header; timeouts and
    /// retries as configured for x.ai.
    pub fn for_endpoint(
        config: &Config,
        label: &'static str,
        base_url: Url,
        key: ApiKey,
        auth: Auth,
    ) -> anyhow::Result<Self> {
        // No whole-request timeout on the client: streams may legitimately run long. Each call
        // sets its own (JSON calls) or the stream relay watches for stalls.
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(concat!("grok-widget-proxy/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            base_url,
            key,
            auth,
            label,
            retry: RetryPolicy::from_config(config),
            upstream_timeout: config.upstream_timeout,
            max_reply_bytes: config.max_reply_bytes,
        })
    }

    /// `base_url` + `/path`, e.g. `endpoint("api-key")`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}/{}", self.base_url.as_str().trim_end_matches('/'), path)
    }

    pub fn key(&self) -> &ApiKey {
        &self.key
    }

    /// Sends a request built by `build` (called once per attempt) and returns the first
    /// successful response, retrying 429/5xx and connection failures within the policy.
    /// `whole_timeout` bounds each attempt including its body (JSON calls); streams pass `None`
    /// and are bounded by the first-byte timeout only.
    pub async fn send(
        &self,
        what: &'static str,
        whole_timeout: bool,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, UpstreamError> {
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            let mut req = build(&self.http);
            req = match &self.auth {
                Auth::Bearer => req.bearer_auth(self.key.expose()),
                Auth::Anthropic { version } => req
                    .header("x-api-key", self.key.expose())
                    .header("anthropic-version", version),
            };
            if whole_timeout {
                req = req.timeout(self.upstream_timeout);
            }
            // The first-byte wait is bounded even for streams.
            let result = tokio::time::timeout(self.upstream_timeout, req.send()).await;
            let error = match result {
                Err(_) => UpstreamError::Timeout,
                Ok(Err(e)) => UpstreamError::from_reqwest(&e),
                Ok(Ok(resp)) if resp.status().is_success() => return Ok(resp),
                Ok(Ok(resp)) => {
                    let status = resp.status().as_u16();
                    let retry_after = parse_retry_after(resp.headers());
                    let body = resp.text().await.unwrap_or_default();
                    warn!(
                        provider = self.label,
                        upstream = what,
                        status,
                        retry_after_secs = retry_after.map(|d| d.as_secs()),
                        detail = %self.redact(&body),
                        "upstream answered with an error"
                    );
                    UpstreamError::Status {
                        status,
                        retry_after,
                    }
                }
            };
            let retryable = match &error {
                UpstreamError::Status { status, .. } => *status == 429 || *status >= 500,
                UpstreamError::Connect => true,
                // A timed-out request may have reached x.ai and been billed: do not repeat it.
                _ => false,
            };
            if !retryable || attempt >= self.retry.max_retries {
                return Err(error);
            }
            let retry_after = match &error {
                UpstreamError::Status { retry_after, .. } => *retry_after,
                _ => None,
            };
            let delay = self.retry.delay(attempt, retry_after);
            if started.elapsed() + delay > self.retry.budget {
                info!(
                    provider = self.label,
                    upstream = what,
                    "not retrying: the wait would exceed the retry budget"
                );
                return Err(error);
            }
            attempt += 1;
            info!(
                provider = self.label,
                upstream = what,
                attempt,
                delay_ms = delay.as_millis() as u64,
                kind = error.kind(),
                "retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// POSTs `body` as JSON and parses the JSON answer.
    pub async fn post_json<T: DeserializeOwned>(
        &self,
        what: &'static str,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, UpstreamError> {
        let url = self.endpoint(path);
        let resp = self
            .send(what, true, |http| http.post(&url).json(body))
            .await?;
        self.read_json(resp).await
    }

    pub async fn get_json<T: DeserializeOwned>(
        &self,
        what: &'static str,
        path: &str,
    ) -> Result<T, UpstreamError> {
        let url = self.endpoint(path);
        let resp = self.send(what, true, |http| http.get(&url)).await?;
        self.read_json(resp).await
    }

    pub async fn api_key_info(&self) -> Result<ApiKeyInfo, UpstreamError> {
        self.get_json("api-key", "api-key").await
    }

    pub async fn language_models(&self) -> Result<Vec<LanguageModel>, UpstreamError> {
        let list: LanguageModels = self.get_json("language-models", "language-models").await?;
        Ok(list.models)
    }

    /// Number of tokens `text` is for `model` (`POST /v1/tokenize-text`).
    pub async fn count_tokens(&self, model: &str, text: &str) -> Result<usize, UpstreamError> {
        let body = serde_json::json!({ "model": model, "text": text });
        let t: Tokenized = self
            .post_json("tokenize-text", "tokenize-text", &body)
            .await?;
        Ok(t.token_ids.len())
    }

    /// Removes the key (and any long fragment of it) from text headed for a log line.
    pub fn redact(&self, text: &str) -> String {
        redact_key(text, self.key.expose())
    }

    /// A redactor for this client's key, for stream adapters that outlive the borrow.
    pub fn redactor(&self) -> Redactor {
        Redactor::new(self.key.clone())
    }
}

impl XaiClient {
    /// The whole body of a JSON answer, at most `max_reply_bytes` of it: an upstream is not
    /// trusted with the proxy's memory.
    pub async fn read_body(&self, mut resp: reqwest::Response) -> Result<Vec<u8>, UpstreamError> {
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| UpstreamError::from_reqwest(&e))?
        {
            if body.len() + chunk.len() > self.max_reply_bytes {
                warn!(
                    provider = self.label,
                    cap = self.max_reply_bytes,
                    "upstream answer over the size cap"
                );
                return Err(UpstreamError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    async fn read_json<T: DeserializeOwned>(
        &self,
        resp: reqwest::Response,
    ) -> Result<T, UpstreamError> {
        let bytes = self.read_body(resp).await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            warn!(error = %self.redact(&e.to_string()), "the upstream sent JSON the proxy cannot read");
            UpstreamError::Malformed
        })
    }
}

/// x.ai behind [`Provider`]: the API the client is configured for, history kept by the proxy
/// where x.ai keeps none (chat completions), prices from `/v1/language-models`.
#[derive(Clone)]
pub struct XaiProvider {
    pub xai: XaiClient,
    pub prices: PriceBook,
    conversations: Arc<ConversationStore>,
    limits: StreamLimits,
}

impl XaiProvider {
    pub fn new(config: &Config, xai: XaiClient, prices: PriceBook) -> anyhow::Result<Self> {
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
                    .remember(history.as_ref(), &turn.message, &reply.text)
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
                    turn.message.clone(),
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
        Box::pin(self.xai.count_tokens(&client.model, text))
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
        max_output_tokens: turn.max_output_tokens,
    }
}

/// The longest wait an upstream's `Retry-After` can impose. An upstream (or anything in the
/// path) that asks for days would otherwise be passed on to every visitor as it is.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// `Retry-After` as seconds or an HTTP date, clamped to [`MAX_RETRY_AFTER`].
pub fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let when = httpdate::parse_http_date(value).ok()?;
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// Removes one key from text headed for a log line; every string an upstream sent goes through
/// one of these before it is logged (error bodies, mid-stream error codes, parse errors, which
/// quote the offending value). Cheap to clone.
#[derive(Clone)]
pub struct Redactor(ApiKey);

impl Redactor {
    pub fn new(key: ApiKey) -> Self {
        Self(key)
    }

    pub fn redact(&self, text: &str) -> String {
        redact_key(text, self.0.expose())
    }
}

/// Replaces `key` and every 8-character window of it in `text`, and trims the text to a
/// log-friendly length with control characters escaped.
pub fn redact_key(text: &str, key: &str) -> String {
    let mut out = text.chars().take(500).collect::<String>();
    if key.len() >= 8 {
        out = out.replace(key, "[redacted]");
        let bytes = key.as_bytes();
        for w in bytes.windows(8) {
            if let Ok(frag) = std::str::from_utf8(w)
                && out.contains(frag)
            {
                out = out.replace(frag, "[redacted]");
            }
        }
    }
    out.escape_debug().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(parse_retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(parse_retry_after(&h), None);
        h.insert(RETRY_AFTER, "999999999".parse().unwrap());
        assert_eq!(
            parse_retry_after(&h),
            Some(MAX_RETRY_AFTER),
            "years are clamped"
        );
        h.insert(
            RETRY_AFTER,
            "Fri, 01 Jan 2100 00:00:00 GMT".parse().unwrap(),
        );
        assert_eq!(parse_retry_after(&h), Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        let p = RetryPolicy {
            max_retries: 5,
            budget: Duration::from_secs(60),
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(800),
        };
        for attempt in 0..8 {
            let d = p.delay(attempt, None);
            assert!(d <= Duration::from_millis(800), "{d:?}");
        }
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn the_key_and_its_fragments_are_redacted_and_newlines_escaped() {
        let key = "xai-ABCDEFGHIJKLMNOP";
        let text = format!("bad key {key} and part EFGHIJKL\nnext line");
        let out = redact_key(&text, key);
        assert!(!out.contains(key) && !out.contains("EFGHIJKL"), "{out}");
        assert!(!out.contains('\n'), "{out}");
    }
}
