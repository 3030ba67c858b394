//! `[[clients]]`: one table per site that embeds the widget, validated.

use std::time::Duration;

use url::Url;

use super::providers::default_model;
use super::raw::{Api, DEFAULT_VOICE, ProviderKind, RawClient, TtsBackend};
use super::strings::{SiteStrings, is_language_tag};
use super::voice::normalize_voice;
use super::{ConfigError, mebibytes, positive};

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
    pub accent_color: String,
    /// Speech recognition's and server speech's language, when the site set one; otherwise
    /// both follow the widget's language.
    pub stt_language: Option<String>,
    /// The interface words in each language, title and greeting included.
    pub strings: SiteStrings,
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
    /// Visitors may attach images; the caps below apply to each message.
    pub images: bool,
    pub max_images: usize,
    pub max_image_bytes: usize,
    pub max_image_side: u32,
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

impl ClientConfig {
    /// Exact comparison with a browser's `Origin` header: scheme, host and port, no suffixes.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|o| o == origin)
    }
}

pub(super) fn validate_client(
    raw: RawClient,
    allowed_models: &[String],
    image_models: Option<&[String]>,
) -> Result<ClientConfig, ConfigError> {
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

    let provider = raw.provider;
    let model = raw
        .model
        .clone()
        .unwrap_or_else(|| default_model(provider).to_owned());
    if !allowed_models.iter().any(|m| m == &model) {
        let list = match provider {
            ProviderKind::Xai => "allowed_models",
            ProviderKind::Openai => "[openai] allowed_models",
            ProviderKind::Anthropic => "[anthropic] allowed_models",
        };
        return Err(invalid(format!(
            "model \"{}\" is not in {list} for provider \"{}\" ({})",
            model,
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
            ("voice", raw.voice.is_some()),
            ("voices", raw.voices.is_some()),
        ];
        if let Some((name, _)) = xai_only.iter().find(|(_, set)| *set) {
            return Err(invalid(format!(
                "{name} applies to provider = \"xai\" only{}",
                match *name {
                    "daily_usd_budget" => {
                        "; prices are known for x.ai models only, use daily_token_budget"
                    }
                    "voice" | "voices" => {
                        "; x.ai voices cannot speak this client's replies (the visitor's browser \
                         voice does), so remove it"
                    }
                    _ => "",
                }
            )));
        }
    }
    if raw.instructions.trim().is_empty() {
        return Err(invalid("instructions (the system prompt) is empty".into()));
    }

    // Server voices are x.ai's: other providers' replies are read by the browser voice.
    let (voice, voices) = if provider == ProviderKind::Xai {
        let voice =
            normalize_voice(raw.voice.as_deref().unwrap_or(DEFAULT_VOICE)).map_err(&invalid)?;
        let voices = match &raw.voices {
            Some(list) => {
                let mut out = Vec::with_capacity(list.len());
                for v in list {
                    out.push(normalize_voice(v).map_err(&invalid)?);
                }
                out
            }
            None => vec![voice.clone()],
        };
        (voice, voices)
    } else {
        (String::new(), Vec::new())
    };
    if provider == ProviderKind::Xai && !voices.contains(&voice) {
        return Err(invalid(format!(
            "voice \"{voice}\" is not in its own voices list ({})",
            voices.join(", ")
        )));
    }

    let accent_color = raw.accent_color;
    if !is_hex_color(&accent_color) {
        return Err(invalid(format!(
            "accent_color \"{}\" must be a hex colour like #1d4ed8",
            accent_color.escape_debug()
        )));
    }
    let stt_language = raw.stt_language;
    if let Some(tag) = stt_language.as_deref().filter(|t| !is_language_tag(t)) {
        return Err(invalid(format!(
            "stt_language \"{}\" is not a BCP-47 tag like en-GB",
            tag.escape_debug()
        )));
    }
    let strings = SiteStrings::build(
        raw.title.as_deref(),
        raw.greeting.as_deref(),
        raw.language,
        raw.strings,
    )
    .map_err(&invalid)?;

    let api = raw.api.unwrap_or_default();
    let deferred = raw.deferred.unwrap_or(false);
    if deferred && api != Api::ChatCompletions {
        return Err(invalid(
            "deferred = true needs api = \"chat_completions\" (x.ai defers only chat completions)"
                .into(),
        ));
    }
    let named = |name: &str| format!("client \"{id}\": {name}");
    let deferred_timeout = Duration::from_secs(positive(
        raw.deferred_timeout_secs,
        &named("deferred_timeout_secs"),
    )?);
    let deferred_poll = Duration::from_secs(positive(
        raw.deferred_poll_secs,
        &named("deferred_poll_secs"),
    )?);
    if raw.max_input_tokens == Some(0) {
        return Err(invalid("max_input_tokens must be at least 1".into()));
    }
    if raw.images
        && let Some(list) = image_models
        && !list.iter().any(|m| m == &model)
    {
        return Err(invalid(format!(
            "images = true, but model \"{model}\" does not take image input (it is not in \
             [{}] image_models: {}); choose one that does, or set images = false",
            provider.as_str(),
            list.join(", ")
        )));
    }
    // Anthropic takes at most 5 MB and 8,000 pixels a side; the others more.
    let (kb_cap, side_cap) = match provider {
        ProviderKind::Anthropic => (5 * 1024, 8000),
        ProviderKind::Xai | ProviderKind::Openai => (20 * 1024, 16_384),
    };
    let max_image_kb = positive(raw.max_image_kb, &named("max_image_kb"))?;
    let max_image_side = positive(raw.max_image_side, &named("max_image_side"))?;
    if max_image_kb > kb_cap || max_image_side > side_cap {
        return Err(invalid(format!(
            "max_image_kb may be at most {kb_cap} and max_image_side at most {side_cap} for \
             provider \"{}\" (what it accepts)",
            provider.as_str()
        )));
    }
    let max_images = positive(raw.max_images, &named("max_images"))?;
    if max_images > 16 {
        return Err(invalid("max_images may be at most 16".into()));
    }

    Ok(ClientConfig {
        provider,
        api,
        deferred,
        deferred_timeout,
        deferred_poll,
        max_input_tokens: raw.max_input_tokens,
        max_output_tokens: Some(positive(
            raw.max_output_tokens,
            &named("max_output_tokens"),
        )?),
        max_message_chars: positive(raw.max_message_chars, &named("max_message_chars"))?,
        images: raw.images,
        max_images,
        max_image_bytes: max_image_kb * 1024,
        max_image_side,
        allow_server_to_server: raw.allow_server_to_server,
        tts_backend: raw.tts_backend.unwrap_or_default(),
        max_audio_secs: positive(raw.max_audio_secs, &named("max_audio_secs"))?,
        max_audio_bytes: mebibytes(
            positive(raw.max_audio_mb, &named("max_audio_mb"))?,
            &named("max_audio_mb"),
        )?,
        max_tts_chars: positive(raw.max_tts_chars, &named("max_tts_chars"))?,
        rate_per_ip: positive(raw.rate_per_ip, &named("rate_per_ip"))?,
        rate_per_session: positive(raw.rate_per_session, &named("rate_per_session"))?,
        rate_per_client: positive(raw.rate_per_client, &named("rate_per_client"))?,
        daily_token_budget: raw.daily_token_budget,
        daily_micro_usd_budget: match raw.daily_usd_budget {
            Some(d) if d.is_finite() && d >= 0.0 => (d * 1_000_000.0).round() as u64,
            Some(_) => {
                return Err(invalid(
                    "daily_usd_budget must be a positive number of dollars".into(),
                ));
            }
            None => 0,
        },
        max_turns: positive(raw.max_turns, &named("max_turns"))?,
        // On unless the site says otherwise: a conversation is then bound to the session that
        // started it, and each session has its own rate limit.
        session_tokens: raw.session_tokens,
        allowed_origins,
        model,
        instructions: raw.instructions,
        voice,
        voices,
        voice_enabled: raw.voice_enabled,
        accent_color,
        stt_language,
        strings,
        id,
    })
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

/// `#rrggbb` or `#rgb`, as the widget accepts them.
fn is_hex_color(s: &str) -> bool {
    matches!(s.len(), 4 | 7) && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit())
}
