//! The file as written: every table mirrors the TOML with `deny_unknown_fields`, so a typo is an
//! error, not a setting silently ignored; and the enums a setting can name. A leaf: it imports
//! none of the modules that validate it.

use std::path::PathBuf;

use serde::Deserialize;

/// The keys of [`RawConfig`]: one of them inside a `[[clients]]` table was meant to go above it.
pub const TOP_LEVEL_KEYS: &[&str] = &[
    "base_url",
    "ws_base_url",
    "demo_mode",
    "widget_dir",
    "site_dir",
    "allowed_models",
    "upstream_timeout_secs",
    "connect_timeout_secs",
    "shutdown_grace_secs",
    "stream_idle_timeout_secs",
    "retry_max",
    "retry_budget_secs",
    "max_conversations",
    "max_conversation_turns",
    "max_conversation_kb",
    "max_conversation_store_mb",
    "conversation_ttl_hours",
    "max_body_bytes",
    "log_message_text",
    "key_check",
    "redis_url",
    "redis_fail_open",
    "trusted_proxies",
    "max_concurrent_streams",
    "admin_listen",
    "stream_send_timeout_secs",
    "header_read_timeout_secs",
    "body_read_timeout_secs",
    "upstream_stream_timeout_secs",
    "max_reply_bytes",
    "rate_per_ip",
    "rate_per_ipv6_48",
    "max_connections",
    "max_connections_per_ip",
    "voice",
    "openai",
    "anthropic",
];

/// The file as written, before validation.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub base_url: Option<String>,
    pub ws_base_url: Option<String>,
    pub demo_mode: Option<bool>,
    pub widget_dir: Option<PathBuf>,
    pub site_dir: Option<PathBuf>,
    pub allowed_models: Option<Vec<String>>,
    pub upstream_timeout_secs: Option<u64>,
    pub connect_timeout_secs: Option<u64>,
    pub shutdown_grace_secs: Option<u64>,
    pub stream_idle_timeout_secs: Option<u64>,
    pub retry_max: Option<u32>,
    pub retry_budget_secs: Option<u64>,
    pub max_conversations: Option<usize>,
    pub max_conversation_turns: Option<usize>,
    pub max_conversation_kb: Option<usize>,
    pub max_conversation_store_mb: Option<usize>,
    pub conversation_ttl_hours: Option<u64>,
    pub max_body_bytes: Option<usize>,
    pub log_message_text: Option<bool>,
    pub key_check: Option<KeyCheck>,
    pub redis_url: Option<String>,
    pub redis_fail_open: Option<bool>,
    pub trusted_proxies: Option<Vec<String>>,
    pub max_concurrent_streams: Option<usize>,
    pub admin_listen: Option<String>,
    pub stream_send_timeout_secs: Option<u64>,
    pub header_read_timeout_secs: Option<u64>,
    pub body_read_timeout_secs: Option<u64>,
    pub upstream_stream_timeout_secs: Option<u64>,
    pub max_reply_bytes: Option<usize>,
    pub rate_per_ip: Option<u32>,
    pub rate_per_ipv6_48: Option<u32>,
    pub max_connections: Option<usize>,
    pub max_connections_per_ip: Option<usize>,
    #[serde(default)]
    pub voice: RawVoice,
    #[serde(default)]
    pub openai: RawOpenai,
    #[serde(default)]
    pub anthropic: RawAnthropic,
    #[serde(default)]
    pub clients: Vec<RawClient>,
}

/// `[openai]`: settings for clients with `provider = "openai"`. The key comes from
/// `OPENAI_API_KEY` only.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOpenai {
    pub base_url: Option<String>,
    pub allowed_models: Option<Vec<String>>,
}

/// `[anthropic]`: settings for clients with `provider = "anthropic"`. The key comes from
/// `ANTHROPIC_API_KEY` only.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAnthropic {
    pub base_url: Option<String>,
    pub anthropic_version: Option<String>,
    pub allowed_models: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClient {
    pub id: String,
    pub allowed_origins: Vec<String>,
    /// Default per provider: [`super::providers::default_model`].
    pub model: Option<String>,
    pub instructions: String,
    /// x.ai clients only; default `eve`.
    pub voice: Option<String>,
    pub voices: Option<Vec<String>>,
    pub voice_enabled: Option<bool>,
    pub title: Option<String>,
    pub greeting: Option<String>,
    pub accent_color: Option<String>,
    pub stt_language: Option<String>,
    pub provider: Option<ProviderKind>,
    pub api: Option<Api>,
    pub deferred: Option<bool>,
    pub deferred_timeout_secs: Option<u64>,
    pub deferred_poll_secs: Option<u64>,
    pub max_input_tokens: Option<u32>,
    pub max_output_tokens: Option<u32>,
    pub max_message_chars: Option<usize>,
    pub allow_server_to_server: Option<bool>,
    pub tts_backend: Option<TtsBackend>,
    pub max_audio_secs: Option<u64>,
    pub max_audio_mb: Option<usize>,
    pub max_tts_chars: Option<usize>,
    pub rate_per_ip: Option<u32>,
    pub rate_per_session: Option<u32>,
    pub rate_per_client: Option<u32>,
    pub daily_token_budget: Option<u64>,
    pub daily_usd_budget: Option<f64>,
    pub max_turns: Option<u32>,
    pub session_tokens: Option<bool>,
}

/// `[voice]`: text-to-speech settings shared by all clients.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVoice {
    pub sample_rate: Option<u32>,
    pub max_sessions: Option<usize>,
    pub concurrency: Option<usize>,
    pub connect_timeout_secs: Option<u64>,
    pub first_audio_timeout_secs: Option<u64>,
    pub timeout_secs: Option<u64>,
    pub realtime_model: Option<String>,
    pub realtime_auth: Option<RealtimeAuth>,
    pub cache_entries: Option<usize>,
    pub cache_mb: Option<usize>,
    pub max_units_per_reply: Option<u32>,
    pub tts_usd_per_million_chars: Option<f64>,
    pub realtime_usd_per_minute: Option<f64>,
    pub realtime_usd_per_item: Option<f64>,
}

/// What to do at start-up when `GET /v1/api-key` shows a key that cannot serve the clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyCheck {
    /// Refuse to start (the default: fail closed).
    #[default]
    Refuse,
    /// Log a warning and start anyway.
    Warn,
    /// Do not call `/v1/api-key` at start.
    Off,
}

/// Which company's model answers a client's visitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// x.ai (Grok): Responses or chat completions, and server speech.
    #[default]
    Xai,
    /// OpenAI's Responses API; no server speech (the widget uses the browser voice).
    Openai,
    /// Anthropic's Messages API; the proxy keeps the history; no server speech.
    Anthropic,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Xai => "xai",
            ProviderKind::Openai => "openai",
            ProviderKind::Anthropic => "anthropic",
        }
    }

    /// Whether the proxy turns this provider's replies into speech (x.ai's TTS); the others
    /// send no audio and the widget speaks with the browser voice.
    pub fn has_server_voice(self) -> bool {
        self == ProviderKind::Xai
    }
}

/// Which upstream API a client's turns go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Api {
    /// `POST /v1/responses`; x.ai stores the conversation.
    #[default]
    Responses,
    /// The legacy `POST /v1/chat/completions`; the proxy keeps the conversation.
    ChatCompletions,
}

/// How a client's replies become speech.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TtsBackend {
    /// `POST /v1/tts`: verbatim, one request per sentence, priced per character.
    Tts,
    /// The streaming TTS WebSocket (the default: the earliest first audio, see docs/voice.md).
    #[default]
    TtsStream,
    /// The Grok Voice Agent realtime WebSocket with a `force_message` (verbatim).
    Realtime,
}

impl TtsBackend {
    pub fn as_str(self) -> &'static str {
        match self {
            TtsBackend::Tts => "tts",
            TtsBackend::TtsStream => "tts_stream",
            TtsBackend::Realtime => "realtime",
        }
    }
}

/// How the proxy authenticates the realtime voice socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RealtimeAuth {
    /// `Authorization: Bearer <XAI_API_KEY>` (x.ai's advice for servers).
    #[default]
    Key,
    /// A 60-second secret from `POST /v1/realtime/client_secrets` per session.
    Ephemeral,
}
