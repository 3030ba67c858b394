//! Speaking a reply while it streams: sentences are cut from the text as it arrives, each is
//! synthesised as soon as it is complete (a few at a time), and the clips come out strictly in
//! order, whatever order they finish in. A failed sentence becomes an `audio_error` for that
//! index only, so the widget speaks just that one with the browser voice.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;

use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;
use protocol::{StreamEvent, codes};

use crate::config::{ClientConfig, TtsBackend};
use crate::sentences::{SentenceSplitter, speakable};
use crate::upstream::voice::{Clip, TtsError, VoiceService};

/// What one reply may use, from the client's settings and the visitor's voice choice.
#[derive(Debug, Clone)]
pub struct SpeechPlan {
    pub backend: TtsBackend,
    pub voice: String,
    pub language: String,
    pub concurrency: usize,
    pub max_bytes: usize,
    pub max_ms: u64,
    pub max_chars: usize,
}

impl SpeechPlan {
    /// `None` when the client has voice off, or its provider has no server speech (OpenAI,
    /// Anthropic): then no audio is sent and the widget speaks with the browser voice.
    pub fn for_client(
        client: &ClientConfig,
        voice: Option<&str>,
        concurrency: usize,
        sample_rate: u32,
    ) -> Option<Self> {
        if !client.voice_enabled || !client.provider.has_server_voice() {
            return None;
        }
        let voice = voice.map_or_else(|| client.voice.clone(), str::to_ascii_lowercase);
        let bytes_for_secs = client.max_audio_secs as usize * sample_rate as usize * 2;
        Some(Self {
            backend: client.tts_backend,
            voice,
            language: client.stt_language.clone(),
            concurrency,
            max_bytes: client.max_audio_bytes.min(bytes_for_secs),
            max_ms: client.max_audio_secs * 1000,
            max_chars: client.max_tts_chars,
        })
    }
}

type ClipFuture = Pin<Box<dyn Future<Output = (u32, String, Result<Clip, TtsError>)> + Send>>;

pub struct SpeechPipeline {
    voice: VoiceService,
    plan: SpeechPlan,
    splitter: SentenceSplitter,
    waiting: VecDeque<(u32, String)>,
    in_flight: FuturesOrdered<ClipFuture>,
    next_index: u32,
    chars_left: usize,
    used_ms: u64,
    used_bytes: usize,
}

impl SpeechPipeline {
    pub fn new(voice: VoiceService, plan: SpeechPlan) -> Self {
        let chars_left = plan.max_chars;
        Self {
            voice,
            plan,
            splitter: SentenceSplitter::new(),
            waiting: VecDeque::new(),
            in_flight: FuturesOrdered::new(),
            next_index: 0,
            chars_left,
            used_ms: 0,
            used_bytes: 0,
        }
    }

    /// Feeds reply text; complete sentences start synthesising.
    pub fn push(&mut self, delta: &str) {
        for sentence in self.splitter.push(delta) {
            self.enqueue(&sentence);
        }
        self.start();
    }

    /// The reply is complete: the last partial sentence is spoken too.
    pub fn finish(&mut self) {
        if let Some(rest) = self.splitter.finish() {
            self.enqueue(&rest);
        }
        self.start();
    }

    /// Nothing left to synthesise or to hand out.
    pub fn is_idle(&self) -> bool {
        self.waiting.is_empty() && self.in_flight.is_empty()
    }

    /// The next `audio` / `audio_error` event in sentence order. Cancel-safe; pending forever
    /// when idle (so it can sit in a `select!`).
    pub async fn next_event(&mut self) -> StreamEvent {
        loop {
            if self.in_flight.is_empty() {
                std::future::pending::<()>().await;
            }
            if let Some((index, text, result)) = self.in_flight.next().await {
                let event = self.account(index, text, result);
                self.start();
                return event;
            }
        }
    }

    fn enqueue(&mut self, sentence: &str) {
        let Some(text) = speakable(sentence) else {
            return;
        };
        let index = self.next_index;
        self.next_index += 1;
        self.waiting.push_back((index, text));
    }

    fn start(&mut self) {
        while self.in_flight.len() < self.plan.concurrency {
            let Some((index, text)) = self.waiting.pop_front() else {
                break;
            };
            let chars = text.chars().count();
            if chars > self.chars_left {
                // Over the reply's speech budget: the browser voice can read it for free.
                self.chars_left = 0;
                self.in_flight.push_back(Box::pin(
                    async move { (index, text, Err(TtsError::TooLong)) },
                ));
                continue;
            }
            self.chars_left -= chars;
            let voice = self.voice.clone();
            let plan = self.plan.clone();
            let max_bytes = plan.max_bytes.saturating_sub(self.used_bytes).max(1);
            self.in_flight.push_back(Box::pin(async move {
                let result = voice
                    .synthesize(plan.backend, &plan.voice, &plan.language, &text, max_bytes)
                    .await;
                (index, text, result)
            }));
        }
    }

    /// Checks a finished clip against the reply's audio budget and makes its event.
    fn account(&mut self, index: u32, text: String, result: Result<Clip, TtsError>) -> StreamEvent {
        match result {
            Ok(clip) => {
                let bytes = clip.data_url.len() * 3 / 4;
                if self.used_ms + clip.duration_ms > self.plan.max_ms
                    || self.used_bytes + bytes > self.plan.max_bytes
                {
                    return StreamEvent::AudioError {
                        index,
                        text,
                        code: codes::TTS_TOO_LONG.into(),
                    };
                }
                self.used_ms += clip.duration_ms;
                self.used_bytes += bytes;
                StreamEvent::Audio {
                    index,
                    text,
                    audio_url: clip.data_url.to_string(),
                }
            }
            Err(e) => StreamEvent::AudioError {
                index,
                text,
                code: e.code().into(),
            },
        }
    }
}
