//! What the speech backends share, and nothing else: the text to say (whole, or arriving word
//! by word) with its limits, where the PCM goes as it arrives, and why a clip could not be
//! made. A leaf: it imports none of the backends or the service using them.

use std::time::Duration;

use tokio::sync::mpsc;

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
    /// A socket opened ahead of the reply's first sentence that the reply never needed.
    #[error("there was no text to speak")]
    NoText,
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

/// How to say one thing, with its limits (the text itself is a [`TextFeed`]).
#[derive(Debug, Clone)]
pub struct Utterance<'a> {
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

/// The text of one utterance: all of it at once, or words as the reply is written (so a
/// socket that takes text deltas can start speaking before the sentence is complete).
#[derive(Debug)]
pub struct TextFeed {
    whole: Option<String>,
    words: Option<mpsc::UnboundedReceiver<String>>,
    /// Everything handed out so far.
    said: String,
}

impl TextFeed {
    pub fn whole(text: &str) -> Self {
        Self {
            whole: Some(text.to_owned()),
            words: None,
            said: String::new(),
        }
    }

    /// Text arriving on `words`; the channel closing means the text is complete.
    pub fn streamed(words: mpsc::UnboundedReceiver<String>) -> Self {
        Self {
            whole: None,
            words: Some(words),
            said: String::new(),
        }
    }

    /// The whole text, when it was given at once and not read yet.
    pub fn peek_whole(&self) -> Option<&str> {
        self.whole.as_deref()
    }

    /// The next part of the text; `None` once it is complete.
    pub async fn next(&mut self) -> Option<String> {
        let part = match self.whole.take() {
            Some(text) => Some(text),
            None => self.words.as_mut()?.recv().await,
        };
        if let Some(p) = &part {
            self.said.push_str(p);
        }
        part
    }

    /// The whole text, for backends that need it at once; waits until it is complete.
    pub async fn all(&mut self) -> String {
        while self.next().await.is_some() {}
        self.said.clone()
    }

    /// The text handed out so far (all of it, once [`TextFeed::next`] returned `None`).
    pub fn said(&self) -> &str {
        &self.said
    }
}

/// Where a backend puts PCM16 as it arrives; refuses bytes past the utterance's cap.
pub struct PcmSink<'a> {
    max_bytes: usize,
    received: usize,
    on_pcm: &'a mut (dyn FnMut(&[u8]) + Send),
}

impl<'a> PcmSink<'a> {
    pub fn new(max_bytes: usize, on_pcm: &'a mut (dyn FnMut(&[u8]) + Send)) -> Self {
        Self {
            max_bytes,
            received: 0,
            on_pcm,
        }
    }

    pub fn push(&mut self, pcm: &[u8]) -> Result<(), TtsError> {
        if self.received + pcm.len() > self.max_bytes {
            return Err(TtsError::TooLong);
        }
        self.received += pcm.len();
        if !pcm.is_empty() {
            (self.on_pcm)(pcm);
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.received == 0
    }
}
