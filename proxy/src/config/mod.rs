//! Configuration: read once at start from a TOML file and the environment, validated, then
//! immutable.
//!
//! Two layers: [`RawConfig`] mirrors the file (`deny_unknown_fields`, so a typo is an error, not
//! a silently ignored setting) and [`Config`] is what the rest of the proxy uses, with every
//! value checked and defaults applied. Keys come from the environment only and live in
//! [`ApiKey`], which has no `Debug` or `Display` so it cannot end up in a log line by accident.
//!
//! - [`raw`]: the file as written.
//! - [`env`]: environment overrides.
//! - [`clients`]: `[[clients]]`, one site each.
//! - [`voice`]: `[voice]`, speech settings and prices.
//! - [`providers`]: x.ai, OpenAI and Anthropic endpoints, keys and default models.
//! - [`secrets`]: the API keys and the session secret.
//! - [`strings`]: the widget's words in each language, a site's overrides, the page's choice.

mod checks;
mod clients;
mod env;
mod providers;
mod raw;
mod secrets;
pub mod strings;
mod voice;

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

pub use clients::{ClientConfig, normalize_origin};
pub use env::EnvOverrides;
pub use providers::{
    DEFAULT_ANTHROPIC_BASE_URL, DEFAULT_BASE_URL, DEFAULT_OPENAI_BASE_URL, DEMO_ANTHROPIC_API_KEY,
    DEMO_API_KEY, DEMO_OPENAI_API_KEY, ProviderSettings,
};
pub use raw::{
    Api, DEFAULT_ALLOWED_MODELS, DEFAULT_ANTHROPIC_MODELS, DEFAULT_ANTHROPIC_VERSION,
    DEFAULT_OPENAI_MODELS, DEFAULT_VOICE, KeyCheck, ProviderKind, RawAnthropic, RawClient,
    RawConfig, RawOpenai, RawVoice, RealtimeAuth, TOP_LEVEL_KEYS, TtsBackend,
};
pub use secrets::{ApiKey, SessionSecret};
pub use voice::{KNOWN_VOICES, PCM_RATES, SpeechPrices, VoiceSettings};

use checks::{check_redis_url, missing_dir, parse_cidrs, refuse_secrets_in_site, with_shape_hint};
use clients::validate_client;
use env::parse_bool;
use providers::{derive_ws_base, parse_http_base, parse_ws_base};
use secrets::session_secret;
use voice::validate_voice;

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
    /// Text of one kept conversation; its oldest turns are dropped past it.
    pub max_conversation_bytes: usize,
    /// Text of all kept conversations; the oldest are evicted past it.
    pub max_conversation_store_bytes: usize,
    /// How long Redis keeps a conversation after its last reply.
    pub conversation_ttl: Duration,
    pub max_body_bytes: usize,
    /// `max_body_bytes` plus, when a client takes images, room for its images in base64: the
    /// cap on a chat request's body.
    pub max_request_bytes: usize,
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
    /// The whole request body, however it is trickled in.
    pub body_read_timeout: Duration,
    /// The whole of one upstream reply stream; the idle timeout alone lets a trickle run forever.
    pub upstream_stream_timeout: Duration,
    /// Bytes of one upstream answer (JSON body or SSE stream), whatever `max_output_tokens` said.
    pub max_reply_bytes: usize,
    /// Messages per minute from one address across every client (each client also has its own
    /// `rate_per_ip`), so several sites on one proxy do not multiply a visitor's allowance.
    /// Default: the largest client `rate_per_ip`.
    pub rate_per_ip: u32,
    /// Messages per minute from one IPv6 /48 across every client. Default: 8 × `rate_per_ip`.
    pub rate_per_ipv6_48: u32,
    /// Visitor connections open at once; by default what the open-files limit allows.
    pub max_connections: Option<usize>,
    /// Connections one address may hold open (trusted proxies are exempt).
    pub max_connections_per_ip: usize,
    /// Signs widget session tokens; from `PROXY_SESSION_SECRET`, else random per process.
    pub session_secret: SessionSecret,
    pub voice: VoiceSettings,
    /// `[openai]`, with `OPENAI_API_KEY`.
    pub openai: ProviderSettings,
    /// `[anthropic]`, with `ANTHROPIC_API_KEY`.
    pub anthropic: ProviderSettings,
    pub clients: Vec<ClientConfig>,
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

impl Config {
    /// Reads and validates `path`, applying environment overrides.
    pub fn load(path: &Path, env: &EnvOverrides) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let raw: RawConfig = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: with_shape_hint(&e.to_string()),
        })?;
        let base_dir = path.parent().unwrap_or_else(|| Path::new("."));
        let config = Self::from_raw(raw, env, base_dir)?;
        if let Some(site) = &config.site_dir {
            refuse_secrets_in_site(site, path)?;
        }
        Ok(config)
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
        let (api_key, openai, anthropic) = providers::settings(&raw, env, demo_mode)?;

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

        // From the environment, a path is taken as it is; from the file, relative to the file.
        let from_env = |v: &Option<String>| v.as_ref().map(PathBuf::from);
        let in_file = |p: PathBuf| (p.is_relative(), base_dir.join(p));
        let widget_dir = from_env(&env.widget_dir)
            .map(|p| (false, p))
            .or(raw.widget_dir.map(in_file));
        let site_dir = from_env(&env.site_dir)
            .map(|p| (false, p))
            .or(raw.site_dir.map(in_file));
        for (name, dir) in [("widget_dir", &widget_dir), ("site_dir", &site_dir)] {
            if let Some((relative, dir)) = dir
                && !dir.is_dir()
            {
                return Err(ConfigError::Invalid(missing_dir(name, *relative, dir)));
            }
        }
        let widget_dir = widget_dir.map(|(_, p)| p);
        let site_dir = site_dir.map(|(_, p)| p);

        let nonempty = |models: Vec<String>, name: &str| {
            if models.is_empty() {
                Err(ConfigError::Invalid(format!("{name} is empty")))
            } else {
                Ok(models)
            }
        };
        let allowed_models = nonempty(raw.allowed_models, "allowed_models")?;
        let openai_models = nonempty(raw.openai.allowed_models, "[openai] allowed_models")?;
        let anthropic_models =
            nonempty(raw.anthropic.allowed_models, "[anthropic] allowed_models")?;
        let (openai_images, anthropic_images) =
            (raw.openai.image_models, raw.anthropic.image_models);

        if raw.clients.is_empty() {
            return Err(ConfigError::Invalid(
                "no [[clients]] configured; add one table per site that embeds the widget".into(),
            ));
        }
        let mut seen = HashSet::new();
        let mut clients = Vec::with_capacity(raw.clients.len());
        for raw_client in raw.clients {
            // x.ai's image models are asked of x.ai at start-up; the others are listed here.
            let (models, image_models) = match raw_client.provider {
                ProviderKind::Xai => (&allowed_models, None),
                ProviderKind::Openai => (&openai_models, Some(&openai_images[..])),
                ProviderKind::Anthropic => (&anthropic_models, Some(&anthropic_images[..])),
            };
            let client = validate_client(raw_client, models, image_models)?;
            if !seen.insert(client.id.clone()) {
                return Err(ConfigError::Invalid(format!(
                    "client id \"{}\" is configured twice",
                    client.id
                )));
            }
            clients.push(client);
        }

        // By default one address gets, across all clients together, what the most generous
        // client gives it: several sites on one proxy do not multiply a visitor's allowance.
        let widest_ip_rate = clients.iter().map(|c| c.rate_per_ip).max().unwrap_or(20);
        let secs = |n: u64, name: &str| match n {
            0 => Err(ConfigError::Invalid(format!(
                "{name} must be at least 1 second"
            ))),
            n => Ok(Duration::from_secs(n)),
        };
        let redis_url = env
            .redis_url
            .clone()
            .or(raw.redis_url)
            .filter(|u| !u.trim().is_empty());
        if let Some(url) = &redis_url {
            check_redis_url(url)?;
            if env.session_secret.is_none()
                && let Some(c) = clients.iter().find(|c| c.session_tokens)
            {
                return Err(ConfigError::Invalid(format!(
                    "redis_url is set (several replicas) and client \"{}\" uses session tokens, \
                     but PROXY_SESSION_SECRET is not set: each replica would sign with its own \
                     random secret and a visitor's token would fail on the next replica. Set \
                     PROXY_SESSION_SECRET to the same value (32+ characters, e.g. `openssl rand \
                     -hex 32`) on every replica.",
                    c.id
                )));
            }
        }
        if demo_mode && base_url.as_str().trim_end_matches('/') == DEFAULT_BASE_URL {
            return Err(ConfigError::Invalid(format!(
                "demo mode answers from the bundled fake x.ai, but base_url is the real x.ai \
                 ({DEFAULT_BASE_URL}). Run `scripts/demo`, which starts the fake, or start it \
                 yourself (`fake-xai --listen 127.0.0.1:8090 --api-key {DEMO_API_KEY}`) and set \
                 XAI_BASE_URL=http://127.0.0.1:8090/v1. To talk to Grok instead, set \
                 XAI_API_KEY and demo_mode = false."
            )));
        }
        Ok(Config {
            api_key,
            base_url,
            ws_base_url,
            demo_mode,
            widget_dir,
            site_dir,
            upstream_timeout: secs(raw.upstream_timeout_secs, "upstream_timeout_secs")?,
            connect_timeout: secs(raw.connect_timeout_secs, "connect_timeout_secs")?,
            shutdown_grace: secs(raw.shutdown_grace_secs, "shutdown_grace_secs")?,
            stream_idle_timeout: secs(raw.stream_idle_timeout_secs, "stream_idle_timeout_secs")?,
            retry_max: match raw.retry_max {
                n @ 0..=10 => n,
                n => {
                    return Err(ConfigError::Invalid(format!(
                        "retry_max = {n} is more than 10; retries multiply what one turn may cost"
                    )));
                }
            },
            retry_budget: secs(raw.retry_budget_secs, "retry_budget_secs")?,
            max_conversations: positive(raw.max_conversations, "max_conversations")?,
            max_conversation_turns: positive(raw.max_conversation_turns, "max_conversation_turns")?,
            max_conversation_bytes: kibibytes(
                positive(raw.max_conversation_kb, "max_conversation_kb")?,
                "max_conversation_kb",
            )?,
            max_conversation_store_bytes: mebibytes(
                positive(raw.max_conversation_store_mb, "max_conversation_store_mb")?,
                "max_conversation_store_mb",
            )?,
            conversation_ttl: match positive(raw.conversation_ttl_hours, "conversation_ttl_hours")?
                .checked_mul(3600)
            {
                Some(secs) => Duration::from_secs(secs),
                None => {
                    return Err(ConfigError::Invalid(format!(
                        "conversation_ttl_hours = {} is too large",
                        raw.conversation_ttl_hours
                    )));
                }
            },
            max_body_bytes: positive(raw.max_body_bytes, "max_body_bytes")?,
            max_request_bytes: raw.max_body_bytes + image_room(&clients),
            log_message_text: raw.log_message_text,
            key_check: raw.key_check,
            redis_url: redis_url.clone(),
            redis_fail_open: raw.redis_fail_open,
            trusted_proxies: parse_cidrs(raw.trusted_proxies)?,
            max_concurrent_streams: positive(raw.max_concurrent_streams, "max_concurrent_streams")?,
            admin_listen: match raw.admin_listen {
                Some(a) => Some(a.parse().map_err(|_| {
                    ConfigError::Invalid(format!(
                        "admin_listen \"{a}\" is not an address like 127.0.0.1:9090"
                    ))
                })?),
                None => None,
            },
            stream_send_timeout: secs(raw.stream_send_timeout_secs, "stream_send_timeout_secs")?,
            header_read_timeout: secs(raw.header_read_timeout_secs, "header_read_timeout_secs")?,
            body_read_timeout: secs(raw.body_read_timeout_secs, "body_read_timeout_secs")?,
            upstream_stream_timeout: secs(
                raw.upstream_stream_timeout_secs,
                "upstream_stream_timeout_secs",
            )?,
            max_reply_bytes: positive(raw.max_reply_bytes, "max_reply_bytes")?,
            rate_per_ip: positive(raw.rate_per_ip.unwrap_or(widest_ip_rate), "rate_per_ip")?,
            max_connections: match raw.max_connections {
                Some(0) => {
                    return Err(ConfigError::Invalid(
                        "max_connections must be at least 1".into(),
                    ));
                }
                n => n,
            },
            max_connections_per_ip: positive(raw.max_connections_per_ip, "max_connections_per_ip")?,
            rate_per_ipv6_48: positive(
                raw.rate_per_ipv6_48
                    .unwrap_or(widest_ip_rate.saturating_mul(8)),
                "rate_per_ipv6_48",
            )?,
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

/// Megabytes from the file in bytes; a number too large for that is an error, not a wrap
/// (found by the `config` fuzz target).
pub(super) fn mebibytes(mb: usize, name: &str) -> Result<usize, ConfigError> {
    mb.checked_mul(1024 * 1024)
        .ok_or_else(|| ConfigError::Invalid(format!("{name} = {mb} is too large")))
}

/// Kilobytes from the file in bytes, refusing a number too large for that.
fn kibibytes(kb: usize, name: &str) -> Result<usize, ConfigError> {
    kb.checked_mul(1024)
        .ok_or_else(|| ConfigError::Invalid(format!("{name} = {kb} is too large")))
}

/// `v` unless it is zero, which is refused with a message naming the setting (no value is
/// silently raised to 1).
/// Bytes a chat request may need beyond `max_body_bytes` for the most generous image client:
/// base64 is 4 characters per 3 bytes, plus the `data:` prefix of each image.
fn image_room(clients: &[ClientConfig]) -> usize {
    clients
        .iter()
        .filter(|c| c.images)
        .map(|c| c.max_images * (c.max_image_bytes.div_ceil(3) * 4 + 64))
        .max()
        .unwrap_or(0)
}

pub(super) fn positive<T: Copy + Default + PartialEq>(v: T, name: &str) -> Result<T, ConfigError> {
    if v == T::default() {
        Err(ConfigError::Invalid(format!("{name} must be at least 1")))
    } else {
        Ok(v)
    }
}

#[cfg(test)]
mod tests;
