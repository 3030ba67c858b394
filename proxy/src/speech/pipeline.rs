//! Speaking a reply while it streams: sentences are cut from the text as it arrives, each is
//! synthesised as soon as it is complete (a few at a time), and their audio comes out strictly
//! in order, whatever order it is made in: all of a sentence's pieces, then the next's.
//!
//! With a socket backend the first sentence does not wait to be complete: its socket opens
//! with the reply's first text, and (streaming TTS) its words are sent as they are written.
//! A sentence whose speech fails becomes an `audio_error` for the text its audio had not yet
//! covered, so the widget speaks just that with the browser voice.

use std::collections::VecDeque;

use protocol::{StreamEvent, codes};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::pieces::Piecing;
use super::plan::{MIN_MS_PER_CHAR, SLOW_MS_PER_CHAR, SpeechPlan};
use super::sentences::{SentenceSplitter, speakable};
use super::voice::{Piece, Speak, Spoken, VoiceService};
use super::words::{EarlyWords, remaining_text};
use crate::config::TtsBackend;
use crate::upstream::xai::utterance::{TextFeed, TtsError};

/// The first sentence may be at most this long (the splitter cuts longer runs): an early
/// start is only made when the reply's caps can hold it whole.
const EARLY_MAX_CHARS: usize = 300;

/// What a sentence's task reports.
enum Msg {
    Piece(Piece),
    Last(Piece, Spoken),
    Failed(TtsError),
}

/// One sentence being synthesised.
struct Unit {
    index: u32,
    /// What it says; `None` while the first sentence is still being written.
    text: Option<String>,
    rx: mpsc::UnboundedReceiver<Msg>,
    task: JoinHandle<()>,
    expected_ms: u64,
    /// Audio of the pieces handed out so far.
    sent_ms: u64,
    pieces: u32,
}

impl Drop for Unit {
    fn drop(&mut self) {
        // The visitor left or the audio is no longer wanted: stop paying for it.
        self.task.abort();
    }
}

/// The first sentence, started before it was complete.
struct Early {
    words: Option<mpsc::UnboundedSender<String>>,
    streamed: EarlyWords,
}

pub struct SpeechPipeline {
    voice: VoiceService,
    plan: SpeechPlan,
    piecing: Piecing,
    splitter: SentenceSplitter,
    /// Segments the splitter returned so far (spoken or not).
    segments: usize,
    waiting: VecDeque<(u32, String)>,
    units: VecDeque<Unit>,
    early: Option<Early>,
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
    /// `pieces`: hand a sentence's audio out as it is synthesised (widgets that ask for it);
    /// otherwise each sentence is one clip, as older widgets expect.
    pub fn new(voice: VoiceService, plan: SpeechPlan, pieces: bool) -> Self {
        let chars_left = plan.max_chars;
        let piecing = if pieces {
            Piecing::pieces(voice.sample_rate)
        } else {
            Piecing::Whole
        };
        Self {
            voice,
            plan,
            piecing,
            // The first unit ends after a few words, so speech starts before the sentence ends.
            splitter: SentenceSplitter::with_early_start(),
            segments: 0,
            waiting: VecDeque::new(),
            units: VecDeque::new(),
            early: None,
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
        let sentences = self.splitter.push(delta);
        if sentences.is_empty() && self.segments == 0 && self.next_index == 0 {
            self.start_early();
        }
        for sentence in sentences {
            self.segments += 1;
            self.enqueue(&sentence);
        }
        self.stream_early_words();
        self.start();
    }

    /// The reply is complete: the last partial sentence is spoken too.
    pub fn finish(&mut self) {
        if let Some(rest) = self.splitter.finish() {
            self.segments += 1;
            self.enqueue(&rest);
        }
        self.cut_off();
    }

    /// The reply broke off: sentences already complete are still spoken, the one being
    /// written is not (and a socket opened for it early goes unused).
    pub fn cut_off(&mut self) {
        if self.early.take().is_some() {
            self.units.retain(|u| u.text.is_some());
            self.units_sent = self.units_sent.saturating_sub(1);
        }
        self.start();
    }

    /// Nothing left to synthesise or to hand out.
    pub fn is_idle(&self) -> bool {
        self.waiting.is_empty() && self.units.is_empty()
    }

    /// The next `audio` / `audio_error` event in sentence order. Cancel-safe; pending forever
    /// when idle (so it can sit in a `select!`).
    pub async fn next_event(&mut self) -> StreamEvent {
        loop {
            // The first sentence's audio waits until its text is known (the event carries it).
            let Some(unit) = self.units.front_mut().filter(|u| u.text.is_some()) else {
                return std::future::pending().await;
            };
            let msg = unit.rx.recv().await;
            if let Some(event) = self.account(msg) {
                self.start();
                return event;
            }
        }
    }

    /// Starts the first sentence's speech with the reply's first text (socket backends): its
    /// session is set up while the sentence is written.
    fn start_early(&mut self) {
        let opens_early = matches!(
            self.plan.backend,
            TtsBackend::TtsStream | TtsBackend::Realtime
        );
        let room = self.chars_left >= EARLY_MAX_CHARS
            && self.plan.max_ms >= EARLY_MAX_CHARS as u64 * MIN_MS_PER_CHAR
            && self.units_sent < self.plan.max_units;
        if !opens_early || !room || self.early.is_some() {
            return;
        }
        let (words, feed) = mpsc::unbounded_channel();
        self.next_index = 1;
        self.units_sent += 1;
        let unit = self.spawn(0, None, TextFeed::streamed(feed), 0);
        self.units.push_back(unit);
        self.early = Some(Early {
            words: Some(words),
            streamed: EarlyWords::default(),
        });
    }

    /// Sends the first sentence's complete plain words to its socket as they are written.
    fn stream_early_words(&mut self) {
        if self.plan.backend != TtsBackend::TtsStream || self.segments > 0 {
            return;
        }
        let Some(early) = self.early.as_mut() else {
            return;
        };
        let pending = self.splitter.pending();
        for word in early.streamed.advance(pending) {
            if let Some(tx) = &early.words {
                let _ = tx.send(word);
            }
        }
    }

    fn enqueue(&mut self, sentence: &str) {
        let Some(text) = speakable(sentence) else {
            return;
        };
        if let Some(mut early) = self.early.take() {
            // The first sentence is complete: the rest of its text, then its end.
            let chars = text.chars().count();
            self.chars_left = self.chars_left.saturating_sub(chars);
            self.chars_paid += chars;
            // Dropping the sender after the rest ends the text (`text.done`).
            if let Some(tx) = early.words.take()
                && let Some(rest) = early.streamed.rest_of(&text)
            {
                let _ = tx.send(rest);
            }
            let expected = chars as u64 * self.ms_per_char();
            if let Some(unit) = self.units.iter_mut().find(|u| u.index == 0) {
                unit.text = Some(text);
                unit.expected_ms = expected;
            }
            return;
        }
        let index = self.next_index;
        self.next_index += 1;
        self.waiting.push_back((index, text));
    }

    fn start(&mut self) {
        while self.units.len() < self.plan.concurrency {
            let Some((index, text)) = self.waiting.pop_front() else {
                break;
            };
            let chars = text.chars().count();
            let expected_ms = chars as u64 * self.ms_per_char();
            let committed_ms = self.used_ms + self.units.iter().map(|u| u.expected_ms).sum::<u64>();
            if chars > self.chars_left
                || committed_ms + expected_ms > self.plan.max_ms
                || self.units_sent >= self.plan.max_units
            {
                // Over the reply's speech caps: the browser voice can read it for free.
                self.chars_left = 0;
                let (tx, rx) = mpsc::unbounded_channel();
                let _ = tx.send(Msg::Failed(TtsError::TooLong));
                self.units.push_back(Unit {
                    index,
                    text: Some(text),
                    rx,
                    task: tokio::spawn(async {}),
                    expected_ms: 0,
                    sent_ms: 0,
                    pieces: 0,
                });
                continue;
            }
            self.chars_left -= chars;
            self.units_sent += 1;
            self.chars_paid += chars;
            let feed = TextFeed::whole(&text);
            let unit = self.spawn(index, Some(text), feed, expected_ms);
            self.units.push_back(unit);
        }
    }

    /// Synthesises one sentence in its own task, its pieces queued in order.
    fn spawn(&self, index: u32, text: Option<String>, feed: TextFeed, expected_ms: u64) -> Unit {
        let (tx, rx) = mpsc::unbounded_channel();
        let voice = self.voice.clone();
        let plan = self.plan.clone();
        let piecing = self.piecing;
        let max_bytes = plan.max_bytes.saturating_sub(self.used_bytes).max(1);
        let task = tokio::spawn(async move {
            let req = Speak {
                backend: plan.backend,
                voice: &plan.voice,
                language: &plan.language,
                max_bytes,
            };
            // The last piece waits for the outcome, so it can carry what the sentence cost.
            let mut last = None;
            let mut on_piece = |p: Piece| {
                if p.last {
                    last = Some(p);
                } else {
                    let _ = tx.send(Msg::Piece(p));
                }
            };
            let result = voice.speak(&req, feed, piecing, &mut on_piece).await;
            let msg = match (result, last) {
                (Ok(spoken), Some(piece)) => Msg::Last(piece, spoken),
                (Ok(_), None) => Msg::Failed(TtsError::Malformed),
                (Err(e), _) => Msg::Failed(e),
            };
            let _ = tx.send(msg);
        });
        Unit {
            index,
            text,
            rx,
            task,
            expected_ms,
            sent_ms: 0,
            pieces: 0,
        }
    }

    /// Checks the head sentence's news against the reply's audio budget and makes its event;
    /// `None` when there is nothing to send yet.
    fn account(&mut self, msg: Option<Msg>) -> Option<StreamEvent> {
        let (piece, spoken) = match msg {
            Some(Msg::Piece(p)) => (p, None),
            Some(Msg::Last(p, spoken)) => (p, Some(spoken)),
            Some(Msg::Failed(e)) => return Some(self.fail(e.code())),
            // The task ended without a word: treat it as a dropped connection.
            None => return Some(self.fail(TtsError::Dropped.code())),
        };
        let bytes = piece.data_url.len() * 3 / 4;
        if self.used_ms + piece.duration_ms > self.plan.max_ms
            || self.used_bytes + bytes > self.plan.max_bytes
        {
            return Some(self.fail(codes::TTS_TOO_LONG));
        }
        self.used_ms += piece.duration_ms;
        self.used_bytes += bytes;
        let unit = self.units.front_mut()?;
        unit.sent_ms += piece.duration_ms;
        unit.pieces += 1;
        let event = StreamEvent::Audio {
            index: unit.index,
            text: unit.text.clone().unwrap_or_default(),
            audio_url: piece.data_url,
            piece: unit.pieces - 1,
            last: piece.last,
        };
        if let Some(spoken) = spoken {
            let unit = self.units.pop_front()?;
            let chars = unit.text.as_deref().map_or(0, |t| t.chars().count());
            self.timed_chars += chars as u64;
            self.timed_ms += spoken.duration_ms;
            if spoken.cached {
                // Served from the cache: nothing was paid for it.
                self.units_sent = self.units_sent.saturating_sub(1);
                self.chars_paid = self.chars_paid.saturating_sub(chars);
            } else {
                self.ms_paid += spoken.duration_ms;
            }
        }
        Some(event)
    }

    /// The head sentence's speech ends here: an `audio_error` for the text its pieces did not
    /// cover (all of it when none were sent).
    fn fail(&mut self, code: &str) -> StreamEvent {
        let pace = match self.timed_ms.checked_div(self.timed_chars) {
            Some(pace) => pace.max(MIN_MS_PER_CHAR),
            None => SLOW_MS_PER_CHAR,
        };
        let Some(unit) = self.units.pop_front() else {
            return StreamEvent::AudioError {
                index: 0,
                text: String::new(),
                code: code.into(),
            };
        };
        // Paid for, whether or not it was heard.
        self.ms_paid += unit.sent_ms;
        let text = unit.text.clone().unwrap_or_default();
        StreamEvent::AudioError {
            index: unit.index,
            text: remaining_text(&text, unit.sent_ms, pace).to_owned(),
            code: code.into(),
        }
    }
}
