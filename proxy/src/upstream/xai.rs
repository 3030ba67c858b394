//! The x.ai REST client: one `reqwest::Client`, the key in one header-building place.

use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::config::{ApiKey, Config};

/// What went wrong talking to x.ai, with no URL or body text in it: those stay in the logs.
#[derive(Debug, thiserror::Error)]
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
}

impl UpstreamError {
    /// Maps a reqwest failure without keeping its text (it contains the URL).
    pub fn from_reqwest(e: &reqwest::Error) -> Self {
        if e.is_timeout() {
            UpstreamError::Timeout
        } else if e.is_decode() {
            UpstreamError::Malformed
        } else {
            UpstreamError::Connect
        }
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

#[derive(Clone)]
pub struct XaiClient {
    http: reqwest::Client,
    base_url: Url,
    key: ApiKey,
}

impl XaiClient {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.upstream_timeout)
            .user_agent(concat!("grok-widget-proxy/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            base_url: config.base_url.clone(),
            key: config.api_key.clone(),
        })
    }

    /// `base_url` + `/path`, e.g. `endpoint("api-key")`.
    fn endpoint(&self, path: &str) -> String {
        format!("{}/{}", self.base_url.as_str().trim_end_matches('/'), path)
    }

    pub async fn api_key_info(&self) -> Result<ApiKeyInfo, UpstreamError> {
        let resp = self
            .http
            .get(self.endpoint("api-key"))
            .bearer_auth(self.key.expose())
            .send()
            .await
            .map_err(|e| UpstreamError::from_reqwest(&e))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(UpstreamError::Status {
                status: status.as_u16(),
                retry_after: None,
            });
        }
        resp.json().await.map_err(|_| UpstreamError::Malformed)
    }
}
