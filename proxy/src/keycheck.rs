//! The start-up (and `proxy check`) look at the API key: `GET /v1/api-key` for its state and
//! ACLs (the models, their prices and image input are [`crate::modelcheck`]'s). x.ai clients
//! only: OpenAI and Anthropic keys are not checked at start (a bad one shows on the first turn
//! as `upstream_unavailable` and a logged 401).

use std::collections::BTreeSet;

use tracing::info;

use crate::config::{Config, ProviderKind};
use crate::upstream::UpstreamError;
use crate::upstream::http::UpstreamClient;
use crate::upstream::xai::account;

/// Why the key cannot serve the configured clients.
#[derive(Debug, thiserror::Error)]
pub enum KeyProblem {
    #[error("x.ai rejected the API key (HTTP {0}); check XAI_API_KEY")]
    Rejected(u16),
    #[error(
        "the API key {0} is disabled or blocked; enable it or create a new one at https://console.x.ai"
    )]
    Blocked(String),
    #[error("the API key {0} may not call the chat endpoint (its ACLs lack api-key:endpoint:chat)")]
    NoChatAcl(String),
    #[error(
        "the API key {key} may not use model(s) {models} (its ACLs lack api-key:model:* or the model id)"
    )]
    ModelNotAllowed { key: String, models: String },
    #[error("cannot check the API key at {url}: {error}{hint}")]
    Unreachable {
        url: String,
        error: UpstreamError,
        /// What to change when the failure points at the base URL.
        hint: &'static str,
    },
}

impl KeyProblem {
    /// Problems that prove the key unusable, as opposed to a check that could not be made.
    pub fn is_definitive(&self) -> bool {
        // A 404 for the key's own record is not a passing outage: the base URL is wrong.
        match self {
            KeyProblem::Unreachable { error, .. } => {
                matches!(error, UpstreamError::Status { status: 404, .. })
            }
            _ => true,
        }
    }
}

/// The models of the x.ai clients; empty when no client uses x.ai.
pub(crate) fn xai_models(config: &Config) -> BTreeSet<&str> {
    config
        .clients
        .iter()
        .filter(|c| c.provider == ProviderKind::Xai)
        .map(|c| c.model.as_str())
        .collect()
}

/// Whether any client talks to x.ai (else there is no x.ai key to check).
pub fn has_xai_clients(config: &Config) -> bool {
    !xai_models(config).is_empty()
}

/// Checks the key against every x.ai client's model; nothing to check without x.ai clients.
pub async fn check_key(xai: &UpstreamClient, config: &Config) -> Result<(), KeyProblem> {
    if !has_xai_clients(config) {
        return Ok(());
    }
    let info = match account::api_key_info(xai).await {
        Ok(info) => info,
        Err(UpstreamError::Status {
            status: status @ (400 | 401 | 403),
            ..
        }) => {
            return Err(KeyProblem::Rejected(status));
        }
        Err(error) => return Err(unreachable(xai, error)),
    };
    let key = info.redacted_api_key.clone();
    if info.api_key_disabled || info.api_key_blocked || info.team_blocked {
        return Err(KeyProblem::Blocked(key));
    }
    let has = |acl: &str| info.acls.iter().any(|a| a == acl);
    if !has("api-key:endpoint:*") && !has("api-key:endpoint:chat") {
        return Err(KeyProblem::NoChatAcl(key));
    }
    let models = xai_models(config);
    if !has("api-key:model:*") {
        let missing: Vec<&str> = models
            .iter()
            .copied()
            .filter(|m| !has(&format!("api-key:model:{m}")))
            .collect();
        if !missing.is_empty() {
            return Err(KeyProblem::ModelNotAllowed {
                key,
                models: missing.join(", "),
            });
        }
    }
    info!(key = %key, "API key is active and may use the configured models");
    Ok(())
}

/// The check could not be made: name the URL tried, and the usual cause.
fn unreachable(xai: &UpstreamClient, error: UpstreamError) -> KeyProblem {
    let url = xai.endpoint("api-key");
    let hint = match &error {
        UpstreamError::Status { status: 404, .. } if !url.contains("/v1/") => {
            "; base_url (XAI_BASE_URL) must end in /v1, e.g. https://api.x.ai/v1"
        }
        UpstreamError::Status { status: 404, .. } => {
            "; is base_url (XAI_BASE_URL) the API's root, ending in /v1?"
        }
        UpstreamError::Connect | UpstreamError::Timeout => {
            "; check base_url (XAI_BASE_URL) and that this machine can reach it"
        }
        _ => "",
    };
    KeyProblem::Unreachable { url, error, hint }
}
