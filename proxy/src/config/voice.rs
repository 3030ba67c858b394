//! `[voice]`: how replies become speech, what it may use and what it costs.

use std::time::Duration;

use super::raw::{RawVoice, RealtimeAuth, TtsBackend};
use super::{ConfigError, mebibytes, positive};

/// The voices x.ai documents (lowercase ids): the classic five first, then the 2026 roster.
pub const KNOWN_VOICES: &[&str] = &[
    "ara", "rex", "sal", "eve", "leo", "carina", "zagan", "helix", "orion", "luna", "iris",
    "altair", "zenith", "perseus", "helios", "lux", "kepler", "rigel", "cosmo", "celeste", "ursa",
    "sirius", "lumen", "castor", "naksh", "atlas",
];

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
    /// Sentences of one reply sent to the voice service; the rest is left to the browser voice.
    pub max_units: u32,
    /// What speech costs; it is reserved against the daily budget with each turn.
    pub prices: SpeechPrices,
}

/// PCM rates x.ai documents.
pub const PCM_RATES: &[u32] = &[8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000];

/// What speech costs, from `[voice]`; the proxy reserves and settles it like tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpeechPrices {
    pub tts_usd_per_char: f64,
    pub realtime_usd_per_minute: f64,
    pub realtime_usd_per_item: f64,
}

impl SpeechPrices {
    /// Micro-dollars for `chars` characters in `units` items making `ms` of audio.
    pub fn micro_usd(&self, backend: TtsBackend, chars: usize, units: u32, ms: u64) -> u64 {
        let usd = match backend {
            TtsBackend::Tts | TtsBackend::TtsStream => chars as f64 * self.tts_usd_per_char,
            TtsBackend::Realtime => {
                ms as f64 / 60_000.0 * self.realtime_usd_per_minute
                    + f64::from(units) * self.realtime_usd_per_item
            }
        };
        (usd * 1e6).ceil() as u64
    }
}

pub(super) fn validate_voice(raw: RawVoice) -> Result<VoiceSettings, ConfigError> {
    let sample_rate = raw.sample_rate;
    if !PCM_RATES.contains(&sample_rate) {
        return Err(ConfigError::Invalid(format!(
            "[voice] sample_rate {sample_rate} is not one x.ai offers ({PCM_RATES:?})"
        )));
    }
    let secs = |n: u64, name: &str| match n {
        0 => Err(ConfigError::Invalid(format!(
            "[voice] {name} must be at least 1 second"
        ))),
        n => Ok(Duration::from_secs(n)),
    };
    Ok(VoiceSettings {
        sample_rate,
        max_sessions: positive(raw.max_sessions, "[voice] max_sessions")?,
        concurrency: positive(raw.concurrency, "[voice] concurrency")?,
        connect_timeout: secs(raw.connect_timeout_secs, "connect_timeout_secs")?,
        first_audio_timeout: secs(raw.first_audio_timeout_secs, "first_audio_timeout_secs")?,
        timeout: secs(raw.timeout_secs, "timeout_secs")?,
        realtime_model: raw.realtime_model,
        realtime_auth: raw.realtime_auth,
        // 0 is meaningful here: no cache.
        cache_entries: raw.cache_entries,
        cache_bytes: mebibytes(raw.cache_mb, "[voice] cache_mb")?,
        max_units: positive(raw.max_units_per_reply, "[voice] max_units_per_reply")?,
        prices: SpeechPrices {
            tts_usd_per_char: price(raw.tts_usd_per_million_chars, "tts_usd_per_million_chars")?
                / 1e6,
            realtime_usd_per_minute: price(raw.realtime_usd_per_minute, "realtime_usd_per_minute")?,
            realtime_usd_per_item: price(raw.realtime_usd_per_item, "realtime_usd_per_item")?,
        },
    })
}

/// A `[voice]` price: finite and not negative.
fn price(v: f64, name: &str) -> Result<f64, ConfigError> {
    match v {
        p if p.is_finite() && p >= 0.0 => Ok(p),
        p => Err(ConfigError::Invalid(format!(
            "[voice] {name} = {p} must be a price in US dollars, 0 or more"
        ))),
    }
}

/// Lowercases a voice name and checks it against the documented roster.
pub(super) fn normalize_voice(voice: &str) -> Result<String, String> {
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
