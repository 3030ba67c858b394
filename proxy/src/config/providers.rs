//! Which company answers: the provider kinds, x.ai's API choice, each provider's endpoint and
//! key, and the models each may name by default.

use std::fmt;

use url::Url;

use super::ConfigError;
use super::env::EnvOverrides;
use super::raw::{ProviderKind, RawConfig};
use super::secrets::ApiKey;

/// Where the real x.ai lives; only a default, never a code path.
pub const DEFAULT_BASE_URL: &str = "https://api.x.ai/v1";

/// Placeholder sent upstream in demo mode, where the upstream is the bundled fake x.ai.
pub const DEMO_API_KEY: &str = "xai-demo-mode-not-a-real-key";

/// Where OpenAI lives; only a default.
pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// Where Anthropic lives; only a default.
pub const DEFAULT_ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com/v1";
/// Placeholders sent in demo mode, where the upstreams are the bundled fakes.
pub const DEMO_OPENAI_API_KEY: &str = "sk-demo-mode-not-a-real-key";
pub const DEMO_ANTHROPIC_API_KEY: &str = "sk-ant-demo-mode-not-a-real-key";

/// The model a client gets when its table names none: the fast, inexpensive model of each
/// provider (x.ai's own guide recommends `grok-4-1-fast-non-reasoning` for chat widgets).
pub fn default_model(provider: ProviderKind) -> &'static str {
    match provider {
        ProviderKind::Xai => "grok-4-1-fast-non-reasoning",
        ProviderKind::Openai => "gpt-4.1-mini",
        ProviderKind::Anthropic => "claude-haiku-4-5",
    }
}

/// One non-x.ai provider's endpoint and key.
#[derive(Clone)]
pub struct ProviderSettings {
    /// `None` when no key is set and no client uses the provider.
    pub api_key: Option<ApiKey>,
    /// No trailing slash.
    pub base_url: Url,
    /// Anthropic only: the `anthropic-version` header.
    pub version: String,
}

impl fmt::Debug for ProviderSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderSettings")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url.as_str())
            .field("version", &self.version)
            .finish()
    }
}

/// The x.ai key and the other providers' settings: a key is needed only for a provider some
/// client uses, and demo mode uses placeholders the bundled fakes accept.
pub(super) fn settings(
    raw: &RawConfig,
    env: &EnvOverrides,
    demo_mode: bool,
) -> Result<(ApiKey, ProviderSettings, ProviderSettings), ConfigError> {
    let uses = |p: ProviderKind| raw.clients.iter().any(|c| c.provider == p);
    let (uses_xai, uses_openai, uses_anthropic) = (
        uses(ProviderKind::Xai),
        uses(ProviderKind::Openai),
        uses(ProviderKind::Anthropic),
    );
    let api_key = match (&env.api_key, demo_mode) {
        (Some(key), _) => ApiKey::new(key.trim()),
        (None, true) => ApiKey::new(DEMO_API_KEY),
        // Without x.ai clients the x.ai key is never sent anywhere.
        (None, false) if !uses_xai && !raw.clients.is_empty() => ApiKey::new(""),
        (None, false) => return Err(ConfigError::MissingApiKey),
    };
    let provider_key = |from_env: &Option<String>, used: bool, env_name: &str, demo: &str| match (
        from_env, demo_mode,
    ) {
        (Some(key), _) => Ok(Some(ApiKey::new(key.trim()))),
        (None, true) => Ok(Some(ApiKey::new(demo))),
        (None, false) if used => Err(ConfigError::Invalid(format!(
            "{env_name} is not set but a client has provider = \"{}\". Set {env_name} \
                 to your key, or set `demo_mode = true` (or PROXY_DEMO_MODE=true) to run \
                 against the bundled fakes.",
            if env_name.starts_with("OPENAI") {
                "openai"
            } else {
                "anthropic"
            }
        ))),
        (None, false) => Ok(None),
    };
    let openai = ProviderSettings {
        api_key: provider_key(
            &env.openai_api_key,
            uses_openai,
            "OPENAI_API_KEY",
            DEMO_OPENAI_API_KEY,
        )?,
        base_url: parse_http_base(
            "[openai] base_url (OPENAI_BASE_URL)",
            env.openai_base_url
                .as_deref()
                .or(raw.openai.base_url.as_deref())
                .unwrap_or(DEFAULT_OPENAI_BASE_URL),
        )?,
        version: String::new(),
    };
    let anthropic_version = raw.anthropic.anthropic_version.clone();
    if anthropic_version.trim().is_empty()
        || !anthropic_version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(ConfigError::Invalid(format!(
            "[anthropic] anthropic_version \"{}\" must look like 2023-06-01",
            anthropic_version.escape_debug()
        )));
    }
    let anthropic = ProviderSettings {
        api_key: provider_key(
            &env.anthropic_api_key,
            uses_anthropic,
            "ANTHROPIC_API_KEY",
            DEMO_ANTHROPIC_API_KEY,
        )?,
        base_url: parse_http_base(
            "[anthropic] base_url (ANTHROPIC_BASE_URL)",
            env.anthropic_base_url
                .as_deref()
                .or(raw.anthropic.base_url.as_deref())
                .unwrap_or(DEFAULT_ANTHROPIC_BASE_URL),
        )?,
        version: anthropic_version,
    };
    Ok((api_key, openai, anthropic))
}

pub(super) fn parse_http_base(name: &str, text: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(text.trim())
        .map_err(|e| ConfigError::Invalid(format!("{name} \"{text}\" is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::Invalid(format!(
            "{name} \"{text}\" must start with http:// or https://"
        )));
    }
    Ok(trim_slash(url))
}

pub(super) fn parse_ws_base(name: &str, text: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(text.trim())
        .map_err(|e| ConfigError::Invalid(format!("{name} \"{text}\" is not a URL: {e}")))?;
    if !matches!(url.scheme(), "ws" | "wss") {
        return Err(ConfigError::Invalid(format!(
            "{name} \"{text}\" must start with ws:// or wss://"
        )));
    }
    Ok(trim_slash(url))
}

/// `https://api.x.ai/v1` → `wss://api.x.ai/v1`, `http://127.0.0.1:9/v1` → `ws://127.0.0.1:9/v1`.
pub(super) fn derive_ws_base(base: &Url) -> Url {
    let scheme = if base.scheme() == "https" {
        "wss"
    } else {
        "ws"
    };
    let rest = &base.as_str()[base.scheme().len()..];
    // A URL that parsed as http(s) with the scheme swapped always parses again.
    Url::parse(&format!("{scheme}{rest}")).unwrap_or_else(|_| base.clone())
}

fn trim_slash(mut url: Url) -> Url {
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    url
}
