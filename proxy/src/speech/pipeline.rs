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

use super::plan::{MIN_MS_PER_CHAR, SpeechPlan};
use super::sentences::{SentenceSplitter, speakable};
use super::voice::{Clip, VoiceService};
use crate::upstream::xai::utterance::TtsError;

type ClipFuture = Pin<Box<dyn Future<Output = (u32, String, Result<Clip, TtsError>)> + Send>>;

pub struct SpeechPipeline {
    voice: VoiceService,
    plan: SpeechPlan,
    splitter: SentenceSplitter,
    waiting: VecDeque<(u32, String)>,
    in_flight: FuturesOrdered<ClipFuture>,
    /// The audio each in-flight unit is expected to make, in the same order.
    in_flight_ms: VecDeque<u64>,
    next_index: u32,
    chars_left: usize,
    /// Units sent to the voice service (cache hits are free and not counted).
    units_sent: u32,
    /// Characters sent to the voice service, for the bill.
    chars_paid: usize,
    /// Audio received from a paid (not cached) synthesis, for the realtime bill.
    ms_paid: u64,
    used_ms: u64,
    used_bytes: usize,
    /// Characters and audio of the clips back so far: this voice's real pace.
    timed_chars: u64,
    timed_ms: u64,
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
            in_flight_ms: VecDeque::new(),
            next_index: 0,
            chars_left,
            units_sent: 0,
            chars_paid: 0,
            ms_paid: 0,
            used_ms: 0,
            used_bytes: 0,
            timed_chars: 0,
            timed_ms: 0,
        }
    }

    /// Expected milliseconds of audio per character: the pace of this reply's clips so far,
    /// never faster than the fastest voice.
    fn ms_per_char(&self) -> u64 {
        match self.timed_ms.checked_div(self.timed_chars) {
            Some(pace) => pace.max(MIN_MS_PER_CHAR),
            None => MIN_MS_PER_CHAR,
        }
    }

    /// What this reply's speech has cost so far (paid syntheses only), in micro-dollars.
    pub fn spent_micro_usd(&self) -> u64 {
        self.plan.prices.micro_usd(
            self.plan.backend,
            self.chars_paid,
            self.units_sent,
            self.ms_paid,
        )
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
            let expected_ms = chars as u64 * self.ms_per_char();
            let committed_ms = self.used_ms + self.in_flight_ms.iter().sum::<u64>();
            if chars > self.chars_left
                || committed_ms + expected_ms > self.plan.max_ms
                || self.units_sent >= self.plan.max_units
            {
                // Over the reply's speech caps: the browser voice can read it for free.
                self.chars_left = 0;
                self.in_flight_ms.push_back(0);
                self.in_flight.push_back(Box::pin(
                    async move { (index, text, Err(TtsError::TooLong)) },
                ));
                continue;
            }
            self.in_flight_ms.push_back(expected_ms);
            self.chars_left -= chars;
            self.units_sent += 1;
            self.chars_paid += chars;
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
        self.in_flight_ms.pop_front();
        match result {
            Ok(clip) => {
                self.timed_chars += text.chars().count() as u64;
                self.timed_ms += clip.duration_ms;
                if clip.cached {
                    // Served from the cache: nothing was paid for it.
                    self.units_sent = self.units_sent.saturating_sub(1);
                    self.chars_paid = self.chars_paid.saturating_sub(text.chars().count());
                } else {
                    self.ms_paid += clip.duration_ms;
                }
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
