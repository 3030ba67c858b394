//! What the speech backends share, and nothing else: the text to say with its limits, and why
//! a clip could not be made. A leaf: it imports none of the backends or the service using them.

use std::time::Duration;

/// Why a clip could not be made. No upstream text: codes only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TtsError {
    #[error("all voice sessions are busy")]
    Busy,
    #[error("could not reach the voice service")]
    Connect,
    #[error("the voice service answered HTTP {status}")]
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("no audio arrived in time")]
    FirstAudioTimeout,
    #[error("the audio did not finish in time")]
    Timeout,
    #[error("the voice connection dropped mid-audio")]
    Dropped,
    #[error("the voice service sent something unreadable")]
    Malformed,
    #[error("the voice service reported {0}")]
    Upstream(String),
    #[error("the audio would exceed the cap")]
    TooLong,
}

impl TtsError {
    /// The `tts_error` / `audio_error` code the widget sees.
    pub fn code(&self) -> &'static str {
        use protocol::codes;
        match self {
            TtsError::Busy | TtsError::Connect => codes::TTS_UNAVAILABLE,
            TtsError::Status {
                status: 401 | 403 | 429 | 503,
                ..
            } => codes::TTS_UNAVAILABLE,
            TtsError::FirstAudioTimeout | TtsError::Timeout => codes::TTS_TIMEOUT,
            TtsError::TooLong => codes::TTS_TOO_LONG,
            _ => codes::TTS_FAILED,
        }
    }
}

/// One thing to say, with its limits.
#[derive(Debug, Clone)]
pub struct Utterance<'a> {
    pub text: &'a str,
    /// Lowercase x.ai voice id.
    pub voice: &'a str,
    /// BCP-47, for the TTS endpoint.
    pub language: &'a str,
    pub sample_rate: u32,
    /// PCM bytes beyond which the clip is refused.
    pub max_bytes: usize,
    pub first_audio_timeout: Duration,
    /// The whole utterance, connection included.
    pub timeout: Duration,
}
