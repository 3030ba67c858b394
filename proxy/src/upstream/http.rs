//! The HTTP client every upstream call goes through, whichever the provider: one
//! `reqwest::Client`, the key in one header-building place, retries before the first byte
//! (429/5xx and refused connections, jittered, honouring a clamped `Retry-After`, never a
//! timed-out call that may have been billed), answers capped in size, and errors that carry no
//! URL or upstream text. Every upstream string bound for a log goes through [`Redactor`].

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::Method;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;
use tracing::{info, warn};
use url::Url;

use super::UpstreamError;
use crate::config::{ApiKey, Config};

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

/// How the key travels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <key>` (x.ai, OpenAI).
    Bearer,
    /// `x-api-key: <key>` and `anthropic-version: <version>` (Anthropic).
    Anthropic { version: String },
}

#[derive(Clone)]
pub struct UpstreamClient {
    http: reqwest::Client,
    base_url: Url,
    key: ApiKey,
    auth: Auth,
    /// Who is on the other end, for log lines ("x.ai", "openai", "anthropic").
    label: &'static str,
    retry: RetryPolicy,
    upstream_timeout: Duration,
    max_reply_bytes: usize,
    /// Endpoint URLs already parsed, by path (see [`UpstreamClient::url`]).
    urls: Arc<RwLock<HashMap<String, Url>>>,
}

/// Paths whose parsed URL is kept: the fixed endpoints the providers call, with room to spare.
/// Paths with ids in them (deferred completions) would grow the map; past this, parse each time.
const MAX_CACHED_URLS: usize = 32;

impl UpstreamClient {
    /// A client for one provider's `base_url`, with its key and auth header; timeouts, retries
    /// and size caps as configured.
    pub fn new(
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
            urls: Arc::default(),
        })
    }

    /// `base_url` + `/path`, e.g. `endpoint("api-key")`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}/{}", self.base_url.as_str().trim_end_matches('/'), path)
    }

    /// [`UpstreamClient::endpoint`] parsed, once per path and then cloned. Parsing (the host
    /// goes through IDNA) cost about 19,000 instructions, 5 % of a whole proxied turn
    /// (callgrind, docs/benchmarks.md §7), every time reqwest was handed the URL as a string.
    /// `Err` holds the string when it does not parse, so reqwest reports it as before.
    fn url(&self, path: &str) -> Result<Url, String> {
        let cached = self.urls.read().ok().and_then(|m| m.get(path).cloned());
        if let Some(url) = cached {
            return Ok(url);
        }
        let raw = self.endpoint(path);
        let url = Url::parse(&raw).map_err(|_| raw)?;
        if let Ok(mut m) = self.urls.write()
            && m.len() < MAX_CACHED_URLS
        {
            m.insert(path.to_owned(), url.clone());
        }
        Ok(url)
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
        let url = self.url(path);
        let resp = self
            .send(what, true, |http| {
                request(http, Method::POST, &url).json(body)
            })
            .await?;
        self.read_json(resp).await
    }

    /// POSTs `body` as JSON asking for server-sent events; the response head, whose body the
    /// caller reads with [`super::sse::frames`]. Only the first byte is under the timeout here.
    pub async fn post_sse(
        &self,
        what: &'static str,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<reqwest::Response, UpstreamError> {
        let url = self.url(path);
        self.send(what, false, |http| {
            request(http, Method::POST, &url)
                .header("accept", "text/event-stream")
                .json(body)
        })
        .await
    }

    pub async fn get_json<T: DeserializeOwned>(
        &self,
        what: &'static str,
        path: &str,
    ) -> Result<T, UpstreamError> {
        let url = self.url(path);
        let resp = self
            .send(what, true, |http| request(http, Method::GET, &url))
            .await?;
        self.read_json(resp).await
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

impl UpstreamClient {
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

/// A request to a URL from [`UpstreamClient::url`]: the parsed one, or the string that did
/// not parse (reqwest then fails the request with its builder error, as it always did).
fn request(
    http: &reqwest::Client,
    method: Method,
    url: &Result<Url, String>,
) -> reqwest::RequestBuilder {
    match url {
        Ok(u) => http.request(method, u.clone()),
        Err(raw) => http.request(method, raw.as_str()),
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

    fn client(base: &str) -> UpstreamClient {
        let raw: crate::config::RawConfig = toml::from_str(
            r#"
            [[clients]]
            id = "t"
            allowed_origins = ["http://127.0.0.1:8080"]
            model = "grok-4-1-fast-non-reasoning"
            instructions = "Be brief."
            voice = "Eve"
            "#,
        )
        .unwrap();
        let env = crate::config::EnvOverrides {
            api_key: Some("xai-test".into()),
            ..Default::default()
        };
        let config = Config::from_raw(raw, &env, std::path::Path::new(".")).unwrap();
        let base = Url::parse(base).unwrap();
        UpstreamClient::new(&config, "x.ai", base, ApiKey::new("xai-test"), Auth::Bearer).unwrap()
    }

    #[test]
    fn parsed_endpoints_are_the_string_ones_and_kept_only_up_to_the_cap() {
        let c = client("http://127.0.0.1:9/v1");
        let url = c.url("responses").unwrap();
        assert_eq!(url.as_str(), c.endpoint("responses"));
        assert_eq!(c.url("responses").unwrap(), url, "the cached copy");
        for i in 0..2 * MAX_CACHED_URLS {
            let path = format!("chat/deferred-completion/{i}");
            assert_eq!(c.url(&path).unwrap().as_str(), c.endpoint(&path));
        }
        assert_eq!(c.urls.read().unwrap().len(), MAX_CACHED_URLS);
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
