//! Configuration: read once at start from a TOML file and the environment, validated, then
//! immutable.
//!
//! Two layers: [`RawConfig`] mirrors the file (`deny_unknown_fields`, so a typo is an error, not
//! a silently ignored setting) and [`Config`] is what the rest of the proxy uses, with every
//! value checked and defaults applied. The x.ai key comes from `XAI_API_KEY` only and lives in
//! [`ApiKey`], which has no `Debug` or `Display` so it cannot end up in a log line by accident.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

/// Where the real x.ai lives; only a default, never a code path.
pub const DEFAULT_BASE_URL: &str = "https://api.x.ai/v1";

/// Placeholder sent upstream in demo mode, where the upstream is the bundled fake x.ai.
pub const DEMO_API_KEY: &str = "xai-demo-mode-not-a-real-key";

/// Where OpenAI lives; only a default.
pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// Where Anthropic lives; only a default.
pub const DEFAULT_ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com/v1";
/// The `anthropic-version` header sent unless `[anthropic] anthropic_version` says otherwise.
pub const DEFAULT_ANTHROPIC_VERSION: &str = "2023-06-01";
/// Placeholders sent in demo mode, where the upstreams are the bundled fakes.
pub const DEMO_OPENAI_API_KEY: &str = "sk-demo-mode-not-a-real-key";
pub const DEMO_ANTHROPIC_API_KEY: &str = "sk-ant-demo-mode-not-a-real-key";

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

/// Models a client may name when the file has no `allowed_models` list.
pub const DEFAULT_ALLOWED_MODELS: &[&str] = &[
    "grok-4.3",
    "grok-4-1-fast-reasoning",
    "grok-4-1-fast-non-reasoning",
    "grok-code-fast-1",
    "grok-3-mini",
];

/// The voices x.ai documents (lowercase ids): the classic five first, then the 2026 roster.
pub const KNOWN_VOICES: &[&str] = &[
    "ara", "rex", "sal", "eve", "leo", "carina", "zagan", "helix", "orion", "luna", "iris",
    "altair", "zenith", "perseus", "helios", "lux", "kepler", "rigel", "cosmo", "celeste", "ursa",
    "sirius", "lumen", "castor", "naksh", "atlas",
];

/// The x.ai API key. Deliberately neither `Debug` nor `Display`.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself, for the one place that builds the `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Everything that can be wrong with the configuration, worded for the person who runs the
/// proxy.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error(
        "XAI_API_KEY is not set. Set it to your x.ai key to talk to Grok, or set \
         `demo_mode = true` (or PROXY_DEMO_MODE=true) to run against the bundled fake x.ai."
    )]
    MissingApiKey,
    #[error("{0}")]
    Invalid(String),
}

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
    pub model: String,
    pub instructions: String,
    pub voice: String,
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
}

/// How a client's replies become speech.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TtsBackend {
    /// `POST /v1/tts`: verbatim, one request per sentence, priced per character (the default).
    #[default]
    Tts,
    /// The streaming TTS WebSocket.
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

/// Validated `[voice]`.
#[derive(Debug, Clone)]
pub struct VoiceSettings {
    pub sample_rate: u32,
    /// Voice sessions open at once across all visitors (x.ai caps them per team).
    pub max_sessions: usize,
    /// Sentences of one reply synthesised at the same time.
    pub concurrency: usize,
    pub connect_timeout: Duration,
    pub first_audio_timeout: Duration,
    pub timeout: Duration,
    pub realtime_model: String,
    pub realtime_auth: RealtimeAuth,
    pub cache_entries: usize,
    pub cache_bytes: usize,
}

/// PCM rates x.ai documents.
pub const PCM_RATES: &[u32] = &[8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000];

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

/// Validated configuration.
#[derive(Clone)]
pub struct Config {
    pub api_key: ApiKey,
    /// `https://api.x.ai/v1` or a test fake's URL; no trailing slash.
    pub base_url: Url,
    /// WebSocket base (`wss://api.x.ai/v1`), derived from `base_url` unless set.
    pub ws_base_url: Url,
    /// Talking to the bundled fake x.ai; every page and log says so.
    pub demo_mode: bool,
    /// The built widget bundle (Trunk's output); `None` serves no widget.
    pub widget_dir: Option<PathBuf>,
    /// The demo site; `None` serves no pages.
    pub site_dir: Option<PathBuf>,
    pub upstream_timeout: Duration,
    pub connect_timeout: Duration,
    /// How long in-flight requests may run after SIGTERM before the process exits.
    pub shutdown_grace: Duration,
    /// Longest silence between two chunks of a streamed reply.
    pub stream_idle_timeout: Duration,
    /// Retries of a failed upstream call (429, 5xx, connection refused) before the first byte.
    pub retry_max: u32,
    /// Retrying stops once this much time has passed since the first attempt.
    pub retry_budget: Duration,
    /// Conversations kept by the proxy for `api = "chat_completions"` clients.
    pub max_conversations: usize,
    pub max_conversation_turns: usize,
    pub max_body_bytes: usize,
    /// Log visitors' messages and replies (off by default: they are personal data).
    pub log_message_text: bool,
    pub key_check: KeyCheck,
    /// Shared limits, budgets and conversation records for several replicas.
    pub redis_url: Option<String>,
    /// With Redis unreachable: allow turns (true) or refuse them (false, the default).
    pub redis_fail_open: bool,
    /// Peers whose `X-Forwarded-For` is believed (a load balancer in front of the proxy).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Chat streams open at once across all visitors.
    pub max_concurrent_streams: usize,
    /// Where `/metrics` is served; when unset, `/metrics` answers loopback peers only.
    pub admin_listen: Option<std::net::SocketAddr>,
    /// A visitor who stops reading a stream for this long is disconnected.
    pub stream_send_timeout: Duration,
    pub header_read_timeout: Duration,
    pub body_read_timeout: Duration,
    /// Signs widget session tokens; from `PROXY_SESSION_SECRET`, else random per process.
    pub session_secret: SessionSecret,
    pub voice: VoiceSettings,
    /// `[openai]`, with `OPENAI_API_KEY`.
    pub openai: ProviderSettings,
    /// `[anthropic]`, with `ANTHROPIC_API_KEY`.
    pub anthropic: ProviderSettings,
    pub clients: Vec<ClientConfig>,
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

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("api_key", &"<redacted>")
            .field("base_url", &self.base_url.as_str())
            .field("ws_base_url", &self.ws_base_url.as_str())
            .field("demo_mode", &self.demo_mode)
            .field("widget_dir", &self.widget_dir)
            .field("site_dir", &self.site_dir)
            .field("openai", &self.openai)
            .field("anthropic", &self.anthropic)
            .field("clients", &self.clients)
            .finish_non_exhaustive()
    }
}

/// One site that embeds the widget.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub id: String,
    /// Exact origins (`scheme://host[:port]`, as browsers send them in `Origin`).
    pub allowed_origins: Vec<String>,
    pub model: String,
    pub instructions: String,
    pub voice: String,
    pub voices: Vec<String>,
    pub voice_enabled: bool,
    pub title: String,
    pub greeting: String,
    pub accent_color: String,
    pub stt_language: String,
    /// Whose model answers; picks the upstream in `upstream::chat`.
    pub provider: ProviderKind,
    /// x.ai only: which of its APIs.
    pub api: Api,
    /// Chat completions only: create, then poll until done or `deferred_timeout`.
    pub deferred: bool,
    pub deferred_timeout: Duration,
    pub deferred_poll: Duration,
    /// Messages that may exceed this are counted with `/v1/tokenize-text` and refused if over.
    pub max_input_tokens: Option<u32>,
    pub max_output_tokens: Option<u32>,
    pub max_message_chars: usize,
    /// Accept requests without an `Origin` header (server-to-server use).
    pub allow_server_to_server: bool,
    pub tts_backend: TtsBackend,
    /// Audio per reply, so a runaway reply cannot produce a huge data URL.
    pub max_audio_secs: u64,
    pub max_audio_bytes: usize,
    /// Characters of one reply sent to speech; the rest is left to the browser voice.
    pub max_tts_chars: usize,
    /// Token buckets: messages per minute (and burst) per visitor IP, per session, per site.
    pub rate_per_ip: u32,
    pub rate_per_session: u32,
    pub rate_per_client: u32,
    /// Daily (UTC) budgets; 0 = none.
    pub daily_token_budget: u64,
    pub daily_micro_usd_budget: u64,
    /// Turns one conversation may last before the visitor must start a new one.
    pub max_turns: u32,
    /// Issue signed session tokens and bind conversations to them.
    pub session_tokens: bool,
}

/// The key that signs session tokens. Deliberately neither `Debug` nor `Display`.
#[derive(Clone)]
pub struct SessionSecret(Vec<u8>);

impl SessionSecret {
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl ClientConfig {
    /// Exact comparison with a browser's `Origin` header: scheme, host and port, no suffixes.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|o| o == origin)
    }
}

impl Config {
    /// Reads and validates `path`, applying environment overrides.
    pub fn load(path: &Path, env: &EnvOverrides) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let raw: RawConfig = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let base_dir = path.parent().unwrap_or_else(|| Path::new("."));
        Self::from_raw(raw, env, base_dir)
    }

    /// Validates an already parsed file; relative paths in it are taken from `base_dir`.
    pub fn from_raw(
        raw: RawConfig,
        env: &EnvOverrides,
        base_dir: &Path,
    ) -> Result<Self, ConfigError> {
        let demo_mode = match &env.demo_mode {
            Some(v) => parse_bool("PROXY_DEMO_MODE", v)?,
            None => raw.demo_mode.unwrap_or(false),
        };
        let uses = |p: ProviderKind| {
            raw.clients
                .iter()
                .any(|c| c.provider.unwrap_or_default() == p)
        };
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
        let provider_key =
            |from_env: &Option<String>, used: bool, env_name: &str, demo: &str| match (
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
        let anthropic_version = raw
            .anthropic
            .anthropic_version
            .clone()
            .unwrap_or_else(|| DEFAULT_ANTHROPIC_VERSION.to_owned());
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

        let base_url_text = env
            .base_url
            .clone()
            .or(raw.base_url)
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        let base_url = parse_http_base("base_url (XAI_BASE_URL)", &base_url_text)?;
        let ws_base_url = match env.ws_base_url.clone().or(raw.ws_base_url) {
            Some(text) => parse_ws_base("ws_base_url (XAI_WS_BASE_URL)", &text)?,
            None => derive_ws_base(&base_url),
        };

        let widget_dir = env
            .widget_dir
            .as_ref()
            .map(PathBuf::from)
            .or(raw.widget_dir);
        let site_dir = env.site_dir.as_ref().map(PathBuf::from).or(raw.site_dir);
        let resolve = |p: PathBuf| if p.is_relative() { base_dir.join(p) } else { p };
        let widget_dir = widget_dir.map(resolve);
        let site_dir = site_dir.map(resolve);
        for (name, dir) in [("widget_dir", &widget_dir), ("site_dir", &site_dir)] {
            if let Some(dir) = dir
                && !dir.is_dir()
            {
                return Err(ConfigError::Invalid(format!(
                    "{name} {} is not a directory{}",
                    dir.display(),
                    if name == "widget_dir" {
                        "; build the widget first (scripts/build-widget)"
                    } else {
                        ""
                    }
                )));
            }
        }

        let allowed_models: Vec<String> = raw.allowed_models.unwrap_or_else(|| {
            DEFAULT_ALLOWED_MODELS
                .iter()
                .map(|m| (*m).to_owned())
                .collect()
        });
        if allowed_models.is_empty() {
            return Err(ConfigError::Invalid("allowed_models is empty".into()));
        }
        let list = |from_file: Option<Vec<String>>, defaults: &[&str], name: &str| {
            let models: Vec<String> =
                from_file.unwrap_or_else(|| defaults.iter().map(|m| (*m).to_owned()).collect());
            if models.is_empty() {
                Err(ConfigError::Invalid(format!(
                    "{name} allowed_models is empty"
                )))
            } else {
                Ok(models)
            }
        };
        let openai_models = list(raw.openai.allowed_models, DEFAULT_OPENAI_MODELS, "[openai]")?;
        let anthropic_models = list(
            raw.anthropic.allowed_models,
            DEFAULT_ANTHROPIC_MODELS,
            "[anthropic]",
        )?;

        if raw.clients.is_empty() {
            return Err(ConfigError::Invalid(
                "no [[clients]] configured; add one table per site that embeds the widget".into(),
            ));
        }
        let mut seen = HashSet::new();
        let mut clients = Vec::with_capacity(raw.clients.len());
        for raw_client in raw.clients {
            let models = match raw_client.provider.unwrap_or_default() {
                ProviderKind::Xai => &allowed_models,
                ProviderKind::Openai => &openai_models,
                ProviderKind::Anthropic => &anthropic_models,
            };
            let client = validate_client(raw_client, models)?;
            if !seen.insert(client.id.clone()) {
                return Err(ConfigError::Invalid(format!(
                    "client id \"{}\" is configured twice",
                    client.id
                )));
            }
            clients.push(client);
        }

        let secs = |v: Option<u64>, default: u64, name: &str| -> Result<Duration, ConfigError> {
            match v.unwrap_or(default) {
                0 => Err(ConfigError::Invalid(format!(
                    "{name} must be at least 1 second"
                ))),
                n => Ok(Duration::from_secs(n)),
            }
        };
        Ok(Config {
            api_key,
            base_url,
            ws_base_url,
            demo_mode,
            widget_dir,
            site_dir,
            upstream_timeout: secs(raw.upstream_timeout_secs, 120, "upstream_timeout_secs")?,
            connect_timeout: secs(raw.connect_timeout_secs, 10, "connect_timeout_secs")?,
            shutdown_grace: secs(raw.shutdown_grace_secs, 30, "shutdown_grace_secs")?,
            stream_idle_timeout: secs(
                raw.stream_idle_timeout_secs,
                30,
                "stream_idle_timeout_secs",
            )?,
            retry_max: raw.retry_max.unwrap_or(2).min(10),
            retry_budget: Duration::from_secs(raw.retry_budget_secs.unwrap_or(20)),
            max_conversations: positive(raw.max_conversations, 10_000, "max_conversations")?,
            max_conversation_turns: positive(
                raw.max_conversation_turns,
                50,
                "max_conversation_turns",
            )?,
            max_body_bytes: positive(raw.max_body_bytes, 64 * 1024, "max_body_bytes")?,
            log_message_text: raw.log_message_text.unwrap_or(false),
            key_check: raw.key_check.unwrap_or_default(),
            redis_url: env
                .redis_url
                .clone()
                .or(raw.redis_url)
                .filter(|u| !u.trim().is_empty()),
            redis_fail_open: raw.redis_fail_open.unwrap_or(false),
            trusted_proxies: parse_cidrs(raw.trusted_proxies.unwrap_or_default())?,
            max_concurrent_streams: positive(
                raw.max_concurrent_streams,
                256,
                "max_concurrent_streams",
            )?,
            admin_listen: match raw.admin_listen {
                Some(a) => Some(a.parse().map_err(|_| {
                    ConfigError::Invalid(format!(
                        "admin_listen \"{a}\" is not an address like 127.0.0.1:9090"
                    ))
                })?),
                None => None,
            },
            stream_send_timeout: secs(
                raw.stream_send_timeout_secs,
                30,
                "stream_send_timeout_secs",
            )?,
            header_read_timeout: secs(
                raw.header_read_timeout_secs,
                10,
                "header_read_timeout_secs",
            )?,
            body_read_timeout: secs(raw.body_read_timeout_secs, 10, "body_read_timeout_secs")?,
            session_secret: session_secret(env.session_secret.as_deref())?,
            voice: validate_voice(raw.voice)?,
            openai,
            anthropic,
            clients,
        })
    }

    pub fn client(&self, id: &str) -> Option<&ClientConfig> {
        self.clients.iter().find(|c| c.id == id)
    }
}

fn parse_cidrs(list: Vec<String>) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    list.iter()
        .map(|c| {
            c.parse::<ipnet::IpNet>()
                .or_else(|_| c.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    ConfigError::Invalid(format!(
                        "trusted_proxies entry \"{c}\" is not an IP or CIDR"
                    ))
                })
        })
        .collect()
}

fn session_secret(from_env: Option<&str>) -> Result<SessionSecret, ConfigError> {
    match from_env {
        Some(s) if s.len() >= 32 => Ok(SessionSecret(s.as_bytes().to_vec())),
        Some(_) => Err(ConfigError::Invalid(
            "PROXY_SESSION_SECRET must be at least 32 characters".into(),
        )),
        None => {
            use rand::RngCore;
            let mut bytes = vec![0u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            Ok(SessionSecret(bytes))
        }
    }
}

fn validate_voice(raw: RawVoice) -> Result<VoiceSettings, ConfigError> {
    let sample_rate = raw.sample_rate.unwrap_or(24_000);
    if !PCM_RATES.contains(&sample_rate) {
        return Err(ConfigError::Invalid(format!(
            "[voice] sample_rate {sample_rate} is not one x.ai offers ({PCM_RATES:?})"
        )));
    }
    let secs = |v: Option<u64>, default: u64, name: &str| match v.unwrap_or(default) {
        0 => Err(ConfigError::Invalid(format!(
            "[voice] {name} must be at least 1 second"
        ))),
        n => Ok(Duration::from_secs(n)),
    };
    Ok(VoiceSettings {
        sample_rate,
        max_sessions: positive(raw.max_sessions, 32, "[voice] max_sessions")?,
        concurrency: positive(raw.concurrency, 3, "[voice] concurrency")?,
        connect_timeout: secs(raw.connect_timeout_secs, 5, "connect_timeout_secs")?,
        first_audio_timeout: secs(raw.first_audio_timeout_secs, 10, "first_audio_timeout_secs")?,
        timeout: secs(raw.timeout_secs, 30, "timeout_secs")?,
        realtime_model: raw
            .realtime_model
            .unwrap_or_else(|| "grok-voice-latest".into()),
        realtime_auth: raw.realtime_auth.unwrap_or_default(),
        cache_entries: raw.cache_entries.unwrap_or(256),
        cache_bytes: mebibytes(raw.cache_mb.unwrap_or(32), "[voice] cache_mb")?,
    })
}

/// Megabytes from the file in bytes; a number too large for that is an error, not a wrap.
fn mebibytes(mb: usize, name: &str) -> Result<usize, ConfigError> {
    mb.checked_mul(1024 * 1024)
        .ok_or_else(|| ConfigError::Invalid(format!("{name} = {mb} is too large")))
}

fn positive(v: Option<usize>, default: usize, name: &str) -> Result<usize, ConfigError> {
    match v.unwrap_or(default) {
        0 => Err(ConfigError::Invalid(format!("{name} must be at least 1"))),
        n => Ok(n),
    }
}

fn validate_client(raw: RawClient, allowed_models: &[String]) -> Result<ClientConfig, ConfigError> {
    let id = raw.id.trim().to_owned();
    let valid_id = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid_id {
        return Err(ConfigError::Invalid(format!(
            "client id \"{}\" must be 1-64 characters of letters, digits, '-' or '_'",
            raw.id.escape_debug()
        )));
    }
    let invalid = |what: String| ConfigError::Invalid(format!("client \"{id}\": {what}"));

    let mut allowed_origins = Vec::with_capacity(raw.allowed_origins.len());
    for origin in &raw.allowed_origins {
        allowed_origins.push(normalize_origin(origin).map_err(&invalid)?);
    }

    let provider = raw.provider.unwrap_or_default();
    if !allowed_models.iter().any(|m| m == &raw.model) {
        let list = match provider {
            ProviderKind::Xai => "allowed_models",
            ProviderKind::Openai => "[openai] allowed_models",
            ProviderKind::Anthropic => "[anthropic] allowed_models",
        };
        return Err(invalid(format!(
            "model \"{}\" is not in {list} for provider \"{}\" ({})",
            raw.model,
            provider.as_str(),
            allowed_models.join(", ")
        )));
    }
    if provider != ProviderKind::Xai {
        // These settings only mean something for x.ai; silently ignoring them would mislead.
        let xai_only = [
            ("api", raw.api.is_some()),
            ("deferred", raw.deferred.is_some()),
            ("tts_backend", raw.tts_backend.is_some()),
            ("daily_usd_budget", raw.daily_usd_budget.is_some()),
        ];
        if let Some((name, _)) = xai_only.iter().find(|(_, set)| *set) {
            return Err(invalid(format!(
                "{name} applies to provider = \"xai\" only{}",
                if *name == "daily_usd_budget" {
                    "; prices are known for x.ai models only, use daily_token_budget"
                } else {
                    ""
                }
            )));
        }
    }
    if raw.instructions.trim().is_empty() {
        return Err(invalid("instructions (the system prompt) is empty".into()));
    }

    let voice = normalize_voice(&raw.voice).map_err(&invalid)?;
    let voices = match raw.voices {
        Some(list) => {
            let mut out = Vec::with_capacity(list.len());
            for v in &list {
                out.push(normalize_voice(v).map_err(&invalid)?);
            }
            out
        }
        None => vec![voice.clone()],
    };
    if !voices.contains(&voice) {
        return Err(invalid(format!(
            "voice \"{voice}\" is not in its own voices list ({})",
            voices.join(", ")
        )));
    }

    let accent_color = raw.accent_color.unwrap_or_else(|| "#1d4ed8".into());
    if !is_hex_color(&accent_color) {
        return Err(invalid(format!(
            "accent_color \"{}\" must be a hex colour like #1d4ed8",
            accent_color.escape_debug()
        )));
    }
    let stt_language = raw.stt_language.unwrap_or_else(|| "en-US".into());
    let valid_lang = !stt_language.is_empty()
        && stt_language.len() <= 35
        && stt_language
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid_lang {
        return Err(invalid(format!(
            "stt_language \"{}\" is not a BCP-47 tag like en-GB",
            stt_language.escape_debug()
        )));
    }

    let api = raw.api.unwrap_or_default();
    let deferred = raw.deferred.unwrap_or(false);
    if deferred && api != Api::ChatCompletions {
        return Err(invalid(
            "deferred = true needs api = \"chat_completions\" (x.ai defers only chat completions)"
                .into(),
        ));
    }
    let deferred_timeout = Duration::from_secs(raw.deferred_timeout_secs.unwrap_or(600));
    let deferred_poll = Duration::from_secs(raw.deferred_poll_secs.unwrap_or(3).max(1));
    if raw.max_input_tokens == Some(0) || raw.max_output_tokens == Some(0) {
        return Err(invalid(
            "max_input_tokens and max_output_tokens must be at least 1".into(),
        ));
    }
    let max_message_chars = raw.max_message_chars.unwrap_or(4000);
    if max_message_chars == 0 {
        return Err(invalid("max_message_chars must be at least 1".into()));
    }

    Ok(ClientConfig {
        provider,
        api,
        deferred,
        deferred_timeout,
        deferred_poll,
        max_input_tokens: raw.max_input_tokens,
        max_output_tokens: Some(raw.max_output_tokens.unwrap_or(1024)),
        max_message_chars,
        allow_server_to_server: raw.allow_server_to_server.unwrap_or(false),
        tts_backend: raw.tts_backend.unwrap_or_default(),
        max_audio_secs: raw.max_audio_secs.unwrap_or(120).max(1),
        max_audio_bytes: mebibytes(raw.max_audio_mb.unwrap_or(8).max(1), "max_audio_mb")
            .map_err(|e| invalid(e.to_string()))?,
        max_tts_chars: raw.max_tts_chars.unwrap_or(3000).max(1),
        rate_per_ip: raw.rate_per_ip.unwrap_or(20).max(1),
        rate_per_session: raw.rate_per_session.unwrap_or(20).max(1),
        rate_per_client: raw.rate_per_client.unwrap_or(600).max(1),
        daily_token_budget: raw.daily_token_budget.unwrap_or(0),
        daily_micro_usd_budget: match raw.daily_usd_budget {
            Some(d) if d.is_finite() && d >= 0.0 => (d * 1_000_000.0).round() as u64,
            Some(_) => {
                return Err(invalid(
                    "daily_usd_budget must be a positive number of dollars".into(),
                ));
            }
            None => 0,
        },
        max_turns: raw.max_turns.unwrap_or(50).max(1),
        session_tokens: raw.session_tokens.unwrap_or(false),
        allowed_origins,
        model: raw.model,
        instructions: raw.instructions,
        voice,
        voices,
        voice_enabled: raw.voice_enabled.unwrap_or(true),
        title: raw.title.unwrap_or_else(|| "Chat with us".into()),
        greeting: raw
            .greeting
            .unwrap_or_else(|| "Hi! How can I help you today?".into()),
        accent_color,
        stt_language,
        id,
    })
}

/// Lowercases a voice name and checks it against the documented roster.
fn normalize_voice(voice: &str) -> Result<String, String> {
    let v = voice.trim().to_ascii_lowercase();
    if KNOWN_VOICES.contains(&v.as_str()) {
        Ok(v)
    } else {
        Err(format!(
            "voice \"{}\" is not an x.ai voice ({})",
            voice.escape_debug(),
            KNOWN_VOICES.join(", ")
        ))
    }
}

/// Turns `https://Example.com:443/` into `https://example.com`, the form browsers send in the
/// `Origin` header, and refuses anything that is not a bare origin.
pub fn normalize_origin(origin: &str) -> Result<String, String> {
    let url = Url::parse(origin.trim()).map_err(|e| {
        format!(
            "allowed origin \"{}\" is not a URL: {e}",
            origin.escape_debug()
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "allowed origin \"{}\" must be http(s)://host[:port]",
            origin.escape_debug()
        ));
    }
    if url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
    {
        return Err(format!(
            "allowed origin \"{}\" must be only scheme://host[:port], without a path",
            origin.escape_debug()
        ));
    }
    Ok(url.origin().ascii_serialization())
}

fn is_hex_color(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit())
}

fn parse_bool(name: &str, v: &str) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Invalid(format!(
            "{name}=\"{}\" is not true or false",
            v.escape_debug()
        ))),
    }
}

fn parse_http_base(name: &str, text: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(text.trim())
        .map_err(|e| ConfigError::Invalid(format!("{name} \"{text}\" is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::Invalid(format!(
            "{name} \"{text}\" must start with http:// or https://"
        )));
    }
    Ok(trim_slash(url))
}

fn parse_ws_base(name: &str, text: &str) -> Result<Url, ConfigError> {
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
fn derive_ws_base(base: &Url) -> Url {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(extra_client: &str) -> RawConfig {
        toml::from_str(&format!(
            r#"
            [[clients]]
            id = "demo"
            allowed_origins = ["http://127.0.0.1:8080"]
            model = "grok-4-1-fast-non-reasoning"
            instructions = "Be brief."
            voice = "Eve"
            {extra_client}
            "#
        ))
        .unwrap()
    }

    fn env_with_key() -> EnvOverrides {
        EnvOverrides {
            api_key: Some("xai-test".into()),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_point_at_real_xai_and_derive_the_websocket_url() {
        let cfg = Config::from_raw(raw(""), &env_with_key(), Path::new(".")).unwrap();
        assert_eq!(cfg.base_url.as_str(), "https://api.x.ai/v1");
        assert_eq!(cfg.ws_base_url.as_str(), "wss://api.x.ai/v1");
        assert_eq!(cfg.clients[0].voice, "eve");
        assert!(!cfg.demo_mode);
    }

    #[test]
    fn env_base_url_wins_and_http_becomes_ws() {
        let env = EnvOverrides {
            base_url: Some("http://127.0.0.1:9/v1/".into()),
            ..env_with_key()
        };
        let cfg = Config::from_raw(raw(""), &env, Path::new(".")).unwrap();
        assert_eq!(cfg.base_url.as_str(), "http://127.0.0.1:9/v1");
        assert_eq!(cfg.ws_base_url.as_str(), "ws://127.0.0.1:9/v1");
    }

    #[test]
    fn missing_key_is_an_error_outside_demo_mode() {
        let err = Config::from_raw(raw(""), &EnvOverrides::default(), Path::new(".")).unwrap_err();
        assert!(err.to_string().contains("XAI_API_KEY is not set"), "{err}");
    }

    #[test]
    fn demo_mode_runs_without_a_key() {
        let env = EnvOverrides {
            demo_mode: Some("true".into()),
            ..Default::default()
        };
        let cfg = Config::from_raw(raw(""), &env, Path::new(".")).unwrap();
        assert!(cfg.demo_mode);
        assert_eq!(cfg.api_key.expose(), DEMO_API_KEY);
    }

    #[test]
    fn unknown_keys_in_the_file_are_rejected() {
        let err = toml::from_str::<RawConfig>("bse_url = \"x\"").unwrap_err();
        assert!(err.to_string().contains("unknown field `bse_url`"), "{err}");
    }

    #[test]
    fn a_model_outside_the_allowlist_is_rejected() {
        let mut r = raw("");
        r.clients[0].model = "gpt-4o".into();
        let err = Config::from_raw(r, &env_with_key(), Path::new(".")).unwrap_err();
        assert!(err.to_string().contains("not in allowed_models"), "{err}");
    }

    #[test]
    fn origins_must_be_bare_and_are_normalized() {
        assert_eq!(
            normalize_origin("https://Example.com:443/").unwrap(),
            "https://example.com"
        );
        assert_eq!(
            normalize_origin("http://localhost:3000").unwrap(),
            "http://localhost:3000"
        );
        assert!(normalize_origin("https://example.com/path").is_err());
        assert!(normalize_origin("null").is_err());
        assert!(normalize_origin("ftp://example.com").is_err());
    }

    #[test]
    fn an_unknown_voice_is_rejected() {
        let err = Config::from_raw(
            raw("voices = [\"eve\", \"bob\"]"),
            &env_with_key(),
            Path::new("."),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("\"bob\" is not an x.ai voice"),
            "{err}"
        );
    }

    const OPENAI_CLIENT: &str = r#"
            [[clients]]
            id = "gpt"
            provider = "openai"
            allowed_origins = ["http://127.0.0.1:8080"]
            model = "gpt-4.1-mini"
            instructions = "Be brief."
            voice = "eve"
            "#;

    #[test]
    fn a_provider_without_its_key_is_a_start_up_error_outside_demo_mode() {
        let raw: RawConfig = toml::from_str(OPENAI_CLIENT).unwrap();
        let err = Config::from_raw(raw, &env_with_key(), Path::new(".")).unwrap_err();
        assert!(
            err.to_string().contains("OPENAI_API_KEY is not set"),
            "{err}"
        );

        let raw: RawConfig = toml::from_str(OPENAI_CLIENT).unwrap();
        let env = EnvOverrides {
            demo_mode: Some("true".into()),
            ..Default::default()
        };
        let cfg = Config::from_raw(raw, &env, Path::new(".")).unwrap();
        let key = cfg.openai.api_key.as_ref().expect("demo placeholder");
        assert_eq!(key.expose(), DEMO_OPENAI_API_KEY);
        assert_eq!(cfg.openai.base_url.as_str(), DEFAULT_OPENAI_BASE_URL);
    }

    #[test]
    fn only_x_ai_clients_need_the_x_ai_key() {
        let raw: RawConfig = toml::from_str(OPENAI_CLIENT).unwrap();
        let env = EnvOverrides {
            openai_api_key: Some("sk-test".into()),
            openai_base_url: Some("http://127.0.0.1:9/openai/v1/".into()),
            ..Default::default()
        };
        let cfg = Config::from_raw(raw, &env, Path::new(".")).unwrap();
        assert_eq!(cfg.clients[0].provider, ProviderKind::Openai);
        assert_eq!(cfg.openai.base_url.as_str(), "http://127.0.0.1:9/openai/v1");
        assert!(cfg.anthropic.api_key.is_none());
        assert_eq!(cfg.anthropic.version, DEFAULT_ANTHROPIC_VERSION);
    }

    #[test]
    fn models_are_checked_against_the_clients_provider() {
        let mut r = raw("provider = \"anthropic\"");
        let env = EnvOverrides {
            anthropic_api_key: Some("sk-ant-test".into()),
            ..env_with_key()
        };
        let err = Config::from_raw(r, &env, Path::new(".")).unwrap_err();
        assert!(
            err.to_string().contains("[anthropic] allowed_models"),
            "{err}"
        );
        r = raw("provider = \"anthropic\"");
        r.clients[0].model = "claude-haiku-4-5".into();
        assert!(Config::from_raw(r, &env, Path::new(".")).is_ok());
        let mut r = raw("");
        r.clients[0].model = "claude-haiku-4-5".into();
        assert!(Config::from_raw(r, &env, Path::new(".")).is_err());
    }

    #[test]
    fn x_ai_only_settings_are_refused_for_other_providers() {
        let env = EnvOverrides {
            openai_api_key: Some("sk-test".into()),
            ..env_with_key()
        };
        for line in [
            "daily_usd_budget = 5.0",
            "tts_backend = \"realtime\"",
            "api = \"chat_completions\"",
        ] {
            let mut r = raw(&format!("provider = \"openai\"\n{line}"));
            r.clients[0].model = "gpt-4.1-mini".into();
            let err = Config::from_raw(r, &env, Path::new(".")).unwrap_err();
            assert!(
                err.to_string()
                    .contains("applies to provider = \"xai\" only"),
                "{err}"
            );
        }
    }

    /// Found with the `config` fuzz target: megabyte sizes overflowed (a panic with overflow
    /// checks, a silently tiny limit without).
    #[test]
    fn sizes_too_large_to_count_in_bytes_are_errors() {
        let mut big = raw("max_audio_mb = 40000000000000");
        let err = Config::from_raw(big, &env_with_key(), Path::new(".")).unwrap_err();
        assert!(err.to_string().contains("max_audio_mb"), "{err}");
        big = raw("");
        big.voice.cache_mb = Some(40_000_000_000_000);
        let err = Config::from_raw(big, &env_with_key(), Path::new(".")).unwrap_err();
        assert!(err.to_string().contains("cache_mb"), "{err}");
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let cfg = Config::from_raw(raw(""), &env_with_key(), Path::new(".")).unwrap();
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("xai-test"), "{shown}");
    }
}

#[cfg(test)]
mod documented_example {
    use super::*;

    /// The full example in docs/configuration.md must stay a valid configuration.
    #[test]
    fn the_documented_configuration_is_valid() {
        let doc = include_str!("../../docs/configuration.md");
        let start = doc.find("```toml\n").expect("a toml block") + 8;
        let end = start + doc[start..].find("```").expect("closed");
        let raw: RawConfig = toml::from_str(&doc[start..end]).expect("the documented TOML parses");
        let mut raw = raw;
        raw.widget_dir = None;
        raw.site_dir = None;
        let env = EnvOverrides {
            api_key: Some("xai-doc".into()),
            ..Default::default()
        };
        let cfg =
            Config::from_raw(raw, &env, Path::new(".")).expect("the documented TOML is valid");
        assert_eq!(cfg.clients[0].voices, ["eve", "ara", "leo"]);
        assert_eq!(cfg.voice.sample_rate, 24_000);
    }
}
