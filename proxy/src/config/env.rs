//! Environment values that override the file.

use super::ConfigError;

/// Environment values that override the file. Collected by the caller so tests can pass their
/// own instead of mutating the process environment.
#[derive(Debug, Default, Clone)]
pub struct EnvOverrides {
    pub api_key: Option<String>,
    pub base_url: Option<String>,
    pub ws_base_url: Option<String>,
    pub demo_mode: Option<String>,
    pub widget_dir: Option<String>,
    pub site_dir: Option<String>,
    pub redis_url: Option<String>,
    pub session_secret: Option<String>,
    pub openai_api_key: Option<String>,
    pub openai_base_url: Option<String>,
    pub anthropic_api_key: Option<String>,
    pub anthropic_base_url: Option<String>,
}

impl EnvOverrides {
    /// Reads `XAI_API_KEY`, `XAI_BASE_URL`, `XAI_WS_BASE_URL`, `PROXY_DEMO_MODE`,
    /// `PROXY_WIDGET_DIR`, `PROXY_SITE_DIR`, `OPENAI_API_KEY`, `OPENAI_BASE_URL`,
    /// `ANTHROPIC_API_KEY` and `ANTHROPIC_BASE_URL`; empty values count as unset.
    pub fn from_process() -> Self {
        let get = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self {
            api_key: get("XAI_API_KEY"),
            base_url: get("XAI_BASE_URL"),
            ws_base_url: get("XAI_WS_BASE_URL"),
            demo_mode: get("PROXY_DEMO_MODE"),
            widget_dir: get("PROXY_WIDGET_DIR"),
            site_dir: get("PROXY_SITE_DIR"),
            redis_url: get("PROXY_REDIS_URL"),
            session_secret: get("PROXY_SESSION_SECRET"),
            openai_api_key: get("OPENAI_API_KEY"),
            openai_base_url: get("OPENAI_BASE_URL"),
            anthropic_api_key: get("ANTHROPIC_API_KEY"),
            anthropic_base_url: get("ANTHROPIC_BASE_URL"),
        }
    }
}

pub(super) fn parse_bool(name: &str, v: &str) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Invalid(format!(
            "{name}=\"{}\" is not true or false",
            v.escape_debug()
        ))),
    }
}
