//! The file as written: every table mirrors the TOML with `deny_unknown_fields`, so a typo is an
//! error, not a setting silently ignored; each setting's default beside its doc comment; and the
//! enums a setting can name. A leaf: it imports none of the modules that validate it.

use std::path::PathBuf;

use serde::Deserialize;
use serde_inline_default::serde_inline_default;

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

/// The `anthropic-version` header sent unless `[anthropic] anthropic_version` says otherwise.
pub const DEFAULT_ANTHROPIC_VERSION: &str = "2023-06-01";

/// The voice an x.ai client speaks with when its table names none.
pub const DEFAULT_VOICE: &str = "eve";

/// Models an `openai` client may name when `[openai]` has no `allowed_models` list.
pub const DEFAULT_OPENAI_MODELS: &[&str] = &[
    "gpt-5",
    "gpt-5-mini",
    "gpt-5-nano",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "gpt-4o",
    "gpt-4o-mini",
    "o4-mini",
];

/// Models of [`DEFAULT_OPENAI_MODELS`] that take image input (OpenAI's model pages), for
/// clients with `images = true` when `[openai]` has no `image_models` list.
pub const DEFAULT_OPENAI_IMAGE_MODELS: &[&str] = DEFAULT_OPENAI_MODELS;

/// Models an `anthropic` client may name when `[anthropic]` has no `allowed_models` list.
pub const DEFAULT_ANTHROPIC_MODELS: &[&str] = &[
    "claude-opus-4-1",
    "claude-opus-4-0",
    "claude-sonnet-4-5",
    "claude-sonnet-4-0",
    "claude-3-7-sonnet-latest",
    "claude-haiku-4-5",
    "claude-3-5-haiku-latest",
];

/// Models of [`DEFAULT_ANTHROPIC_MODELS`] that take image input (Anthropic's vision guide);
/// Claude 3.5 Haiku is left out: it was released for text only.
pub const DEFAULT_ANTHROPIC_IMAGE_MODELS: &[&str] = &[
    "claude-opus-4-1",
    "claude-opus-4-0",
    "claude-sonnet-4-5",
    "claude-sonnet-4-0",
    "claude-3-7-sonnet-latest",
    "claude-haiku-4-5",
];

/// Models a client may name when the file has no `allowed_models` list.
pub const DEFAULT_ALLOWED_MODELS: &[&str] = &[
    "grok-4.3",
    "grok-4-1-fast-reasoning",
    "grok-4-1-fast-non-reasoning",
    "grok-code-fast-1",
    "grok-3-mini",
];

/// The file as written, before validation. A setting's default is written once, beside its
/// doc comment (`serde_inline_default`); `Option` is kept only where "unset" means something
/// other than one fixed value (an environment override, a value derived from other settings).
#[serde_inline_default]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// The x.ai API base; `XAI_BASE_URL` wins. Unset: `https://api.x.ai/v1`.
    pub base_url: Option<String>,
    /// The x.ai WebSocket base (`XAI_WS_BASE_URL` wins); unset: derived from `base_url`.
    pub ws_base_url: Option<String>,
    /// Talk to the bundled fake x.ai without a key (`PROXY_DEMO_MODE` wins). Unset: false.
    pub demo_mode: Option<bool>,
    /// The built widget (`PROXY_WIDGET_DIR` wins); unset: the bundle embedded in the binary.
    pub widget_dir: Option<PathBuf>,
    /// The demo site (`PROXY_SITE_DIR` wins); unset: no pages.
    pub site_dir: Option<PathBuf>,
    /// Models an x.ai client may name.
    #[serde_inline_default(owned(DEFAULT_ALLOWED_MODELS))]
    pub allowed_models: Vec<String>,
    /// Seconds one upstream call may take to answer.
    #[serde_inline_default(120)]
    pub upstream_timeout_secs: u64,
    #[serde_inline_default(10)]
    pub connect_timeout_secs: u64,
    /// Seconds in-flight requests may run after SIGTERM.
    #[serde_inline_default(30)]
    pub shutdown_grace_secs: u64,
    /// Longest silence between two chunks of a streamed reply.
    #[serde_inline_default(30)]
    pub stream_idle_timeout_secs: u64,
    /// Retries of a failed upstream call before its first byte; at most 10.
    #[serde_inline_default(2)]
    pub retry_max: u32,
    /// Retrying stops this many seconds after the first attempt.
    #[serde_inline_default(20)]
    pub retry_budget_secs: u64,
    /// Conversations the proxy keeps for the clients whose history it holds.
    #[serde_inline_default(10_000)]
    pub max_conversations: usize,
    #[serde_inline_default(50)]
    pub max_conversation_turns: usize,
    /// Text of one kept conversation; its oldest turns are dropped past it.
    #[serde_inline_default(256)]
    pub max_conversation_kb: usize,
    /// Text of all kept conversations; the oldest are evicted past it.
    #[serde_inline_default(256)]
    pub max_conversation_store_mb: usize,
    /// How long a kept conversation lives after its last reply.
    #[serde_inline_default(24)]
    pub conversation_ttl_hours: u64,
    #[serde_inline_default(64 * 1024)]
    pub max_body_bytes: usize,
    /// Log visitors' messages and replies (personal data, so off).
    #[serde(default)]
    pub log_message_text: bool,
    /// What a key that cannot serve the clients does at start-up.
    #[serde(default)]
    pub key_check: KeyCheck,
    /// Shared limits for several replicas (`PROXY_REDIS_URL` wins); unset: in memory.
    pub redis_url: Option<String>,
    /// With Redis unreachable, allow turns instead of refusing them.
    #[serde(default)]
    pub redis_fail_open: bool,
    /// CIDRs whose `X-Forwarded-For` is believed.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// Chat streams open at once across all visitors.
    #[serde_inline_default(256)]
    pub max_concurrent_streams: usize,
    /// Where `/metrics` is served; unset: on the main port, to loopback peers only.
    pub admin_listen: Option<String>,
    /// A visitor who stops reading a stream for this long is disconnected.
    #[serde_inline_default(30)]
    pub stream_send_timeout_secs: u64,
    #[serde_inline_default(10)]
    pub header_read_timeout_secs: u64,
    /// The whole request body, however slowly it is sent.
    #[serde_inline_default(10)]
    pub body_read_timeout_secs: u64,
    /// The whole of one upstream reply stream.
    #[serde_inline_default(300)]
    pub upstream_stream_timeout_secs: u64,
    /// Bytes of one upstream answer, whatever `max_output_tokens` said.
    #[serde_inline_default(4 << 20)]
    pub max_reply_bytes: usize,
    /// Messages per minute from one address across every client; unset: the largest client
    /// `rate_per_ip`.
    pub rate_per_ip: Option<u32>,
    /// Messages per minute from one IPv6 /48 across every client; unset: 8 × `rate_per_ip`.
    pub rate_per_ipv6_48: Option<u32>,
    /// Visitor connections open at once; unset: what the open-files limit allows.
    pub max_connections: Option<usize>,
    /// Connections one address may hold open (trusted proxies are exempt).
    #[serde_inline_default(64)]
    pub max_connections_per_ip: usize,
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
#[serde_inline_default]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOpenai {
    /// `OPENAI_BASE_URL` wins; unset: `https://api.openai.com/v1`.
    pub base_url: Option<String>,
    #[serde_inline_default(owned(DEFAULT_OPENAI_MODELS))]
    pub allowed_models: Vec<String>,
    /// Models that take image input: a client with `images = true` must use one. OpenAI's API
    /// does not say which models do, so this list does.
    #[serde_inline_default(owned(DEFAULT_OPENAI_IMAGE_MODELS))]
    pub image_models: Vec<String>,
}

/// `[anthropic]`: settings for clients with `provider = "anthropic"`. The key comes from
/// `ANTHROPIC_API_KEY` only.
#[serde_inline_default]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAnthropic {
    /// `ANTHROPIC_BASE_URL` wins; unset: `https://api.anthropic.com/v1`.
    pub base_url: Option<String>,
    /// The `anthropic-version` header.
    #[serde_inline_default(DEFAULT_ANTHROPIC_VERSION.to_owned())]
    pub anthropic_version: String,
    #[serde_inline_default(owned(DEFAULT_ANTHROPIC_MODELS))]
    pub allowed_models: Vec<String>,
    /// Models that take image input: a client with `images = true` must use one.
    #[serde_inline_default(owned(DEFAULT_ANTHROPIC_IMAGE_MODELS))]
    pub image_models: Vec<String>,
}

/// One `[[clients]]` table: a site that embeds the widget.
#[serde_inline_default]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClient {
    /// `data-client-id` in the script tag.
    pub id: String,
    /// Exact `scheme://host[:port]` origins.
    pub allowed_origins: Vec<String>,
    /// Unset: the provider's fast model ([`super::providers::default_model`]).
    pub model: Option<String>,
    /// The system prompt.
    pub instructions: String,
    /// x.ai clients only; unset: [`DEFAULT_VOICE`].
    pub voice: Option<String>,
    /// Voices a visitor may pick (x.ai only); unset: `voice` alone.
    pub voices: Option<Vec<String>>,
    /// Server speech on (x.ai clients); off: the browser voice reads replies.
    #[serde_inline_default(true)]
    pub voice_enabled: bool,
    /// Unset: the chosen language's "Chat with us".
    pub title: Option<String>,
    /// Unset: the chosen language's "Hi! How can I help you today?".
    pub greeting: Option<String>,
    /// `#rrggbb` or `#rgb`.
    #[serde_inline_default("#1d4ed8".to_owned())]
    pub accent_color: String,
    /// BCP-47 tag for speech recognition and server speech; unset: the widget's language.
    pub stt_language: Option<String>,
    /// The widget's interface language when the tag has no `data-lang`; unset: the page's.
    pub language: Option<String>,
    /// `[clients.strings.<lang>]`: words that replace the built-in ones (or add a language).
    #[serde(default)]
    pub strings: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
    #[serde(default)]
    pub provider: ProviderKind,
    /// x.ai only (an error elsewhere, hence `Option`); unset: the Responses API.
    pub api: Option<Api>,
    /// x.ai chat completions only; unset: false.
    pub deferred: Option<bool>,
    #[serde_inline_default(600)]
    pub deferred_timeout_secs: u64,
    /// x.ai's documentation polls deferred completions every 5 s.
    #[serde_inline_default(5)]
    pub deferred_poll_secs: u64,
    /// Messages that may be longer are counted with the tokenizer; unset: no count.
    pub max_input_tokens: Option<u32>,
    #[serde_inline_default(1024)]
    pub max_output_tokens: u32,
    #[serde_inline_default(4000)]
    pub max_message_chars: usize,
    /// Visitors may attach images (PNG, JPEG, WebP, GIF). The model must take image input:
    /// x.ai's is checked at start-up (`GET /v1/language-models/{id}`), OpenAI's and
    /// Anthropic's against `image_models`.
    #[serde_inline_default(false)]
    pub images: bool,
    /// Images one message may carry.
    #[serde_inline_default(4)]
    pub max_images: usize,
    /// Kilobytes of one image file; the widget downscales photos to a few hundred.
    #[serde_inline_default(2048)]
    pub max_image_kb: usize,
    /// Pixels on an image's longest side, read from its header.
    #[serde_inline_default(4096)]
    pub max_image_side: u32,
    /// Accept requests without an `Origin` header.
    #[serde(default)]
    pub allow_server_to_server: bool,
    /// x.ai only; unset: `tts`.
    pub tts_backend: Option<TtsBackend>,
    #[serde_inline_default(120)]
    pub max_audio_secs: u64,
    #[serde_inline_default(8)]
    pub max_audio_mb: usize,
    #[serde_inline_default(3000)]
    pub max_tts_chars: usize,
    /// Messages per minute (and burst) per visitor address.
    #[serde_inline_default(20)]
    pub rate_per_ip: u32,
    #[serde_inline_default(20)]
    pub rate_per_session: u32,
    #[serde_inline_default(600)]
    pub rate_per_client: u32,
    /// Tokens a day (UTC) for this site; 0: no limit.
    #[serde(default)]
    pub daily_token_budget: u64,
    /// x.ai only (prices are known for x.ai models); unset: no limit.
    pub daily_usd_budget: Option<f64>,
    /// Turns one conversation may last.
    #[serde_inline_default(50)]
    pub max_turns: u32,
    /// Signed session tokens that bind a conversation to the session that started it.
    #[serde_inline_default(true)]
    pub session_tokens: bool,
}

/// `[voice]`: text-to-speech settings shared by all clients.
#[serde_inline_default]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVoice {
    /// PCM rate asked of x.ai; one of [`super::PCM_RATES`].
    #[serde_inline_default(24_000)]
    pub sample_rate: u32,
    /// Voice sessions open at once across all visitors (x.ai caps them per team).
    #[serde_inline_default(32)]
    pub max_sessions: usize,
    /// Sentences of one reply synthesised at the same time.
    #[serde_inline_default(3)]
    pub concurrency: usize,
    #[serde_inline_default(5)]
    pub connect_timeout_secs: u64,
    #[serde_inline_default(10)]
    pub first_audio_timeout_secs: u64,
    #[serde_inline_default(30)]
    pub timeout_secs: u64,
    #[serde_inline_default("grok-voice-latest".to_owned())]
    pub realtime_model: String,
    #[serde(default)]
    pub realtime_auth: RealtimeAuth,
    /// 0: no cache.
    #[serde_inline_default(256)]
    pub cache_entries: usize,
    #[serde_inline_default(32)]
    pub cache_mb: usize,
    /// Sentences of one reply sent to the voice service; the rest is left to the browser voice.
    #[serde_inline_default(24)]
    pub max_units_per_reply: u32,
    /// x.ai's published prices (docs/voice.md): $15 per million characters of TTS.
    #[serde_inline_default(15.0)]
    pub tts_usd_per_million_chars: f64,
    /// $0.08 a minute of realtime audio (grok-voice-latest is the 2.0 model).
    #[serde_inline_default(0.08)]
    pub realtime_usd_per_minute: f64,
    /// $0.004 a realtime text item.
    #[serde_inline_default(0.004)]
    pub realtime_usd_per_item: f64,
}

/// A table left out of the file is what an empty one gives: the defaults above, written once.
fn from_empty_table<T: serde::de::DeserializeOwned>() -> T {
    T::deserialize(serde::de::value::MapDeserializer::<
        _,
        serde::de::value::Error,
    >::new(std::iter::empty::<(&str, &str)>()))
    .expect("every setting of this table has a default")
}

impl Default for RawVoice {
    fn default() -> Self {
        from_empty_table()
    }
}

impl Default for RawOpenai {
    fn default() -> Self {
        from_empty_table()
    }
}

impl Default for RawAnthropic {
    fn default() -> Self {
        from_empty_table()
    }
}

fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|m| (*m).to_owned()).collect()
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
