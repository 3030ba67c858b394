//! What one reply's speech may use and cost: its caps and prices, checked before paying.

use crate::config::{ClientConfig, SpeechPrices, TtsBackend, VoiceSettings};

/// The fastest speech a voice produces at normal speed, in characters per second (people speak
/// about 15): a text of `n` characters lasts at least `n / 20` seconds, so a text that cannot
/// fit the audio cap is refused before it is paid for, not after. Once a clip of the reply has
/// come back, its real pace is used instead.
const MAX_CHARS_PER_SEC: u64 = 20;
pub(super) const MIN_MS_PER_CHAR: u64 = 1000 / MAX_CHARS_PER_SEC;
/// A slow speaker (12.5 characters a second): how far a broken-off sentence got is estimated
/// at this pace until the reply's own clips tell the voice's, so the browser voice repeats a
/// little rather than skips.
pub(super) const SLOW_MS_PER_CHAR: u64 = 80;

/// What one reply may use, from the client's settings and the visitor's voice choice. Every cap
/// is checked before a sentence is sent to the voice service.
#[derive(Debug, Clone)]
pub struct SpeechPlan {
    pub backend: TtsBackend,
    pub voice: String,
    pub language: String,
    pub concurrency: usize,
    pub max_bytes: usize,
    pub max_ms: u64,
    /// Characters of the reply sent to the voice service, at most.
    pub max_chars: usize,
    /// Speech units (sentences) sent to the voice service, at most; realtime bills each.
    pub max_units: u32,
    pub prices: SpeechPrices,
}

impl SpeechPlan {
    /// `None` when the client has voice off, or its provider has no server speech (OpenAI,
    /// Anthropic): then no audio is sent and the widget speaks with the browser voice.
    /// `language`: the widget's ([`protocol::ChatRequest::language`]); the site's
    /// `stt_language` wins over it, English when neither is known.
    pub fn for_client(
        client: &ClientConfig,
        voice: Option<&str>,
        language: Option<&str>,
        settings: &VoiceSettings,
    ) -> Option<Self> {
        if !client.voice_enabled || !client.provider.has_server_voice() {
            return None;
        }
        let voice = voice.map_or_else(|| client.voice.clone(), str::to_ascii_lowercase);
        let bytes_for_secs = client.max_audio_secs as usize * settings.sample_rate as usize * 2;
        // No more text than the audio cap can hold even at the fastest speaking rate.
        let chars_for_secs = (client.max_audio_secs * MAX_CHARS_PER_SEC) as usize;
        Some(Self {
            backend: client.tts_backend,
            voice,
            language: client
                .stt_language
                .as_deref()
                .or(language)
                .unwrap_or("en")
                .to_owned(),
            concurrency: settings.concurrency,
            max_bytes: client.max_audio_bytes.min(bytes_for_secs),
            max_ms: client.max_audio_secs * 1000,
            max_chars: client.max_tts_chars.min(chars_for_secs),
            max_units: settings.max_units,
            prices: settings.prices,
        })
    }

    /// The most this reply's speech can cost: what the budget reserves with the turn.
    pub fn max_cost_micro_usd(&self) -> u64 {
        self.prices
            .micro_usd(self.backend, self.max_chars, self.max_units, self.max_ms)
    }

    /// The characters of `text` if it fits the caps as one unit, judged before paying: what
    /// `/api/chat` checks for its one whole-reply clip.
    pub fn admit_whole(&self, text: &str) -> Option<usize> {
        let chars = text.chars().count();
        (chars <= self.max_chars && chars as u64 * MIN_MS_PER_CHAR <= self.max_ms).then_some(chars)
    }
}
