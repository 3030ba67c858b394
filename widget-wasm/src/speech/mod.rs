//! The decisions behind spoken replies, pure so they are tested natively: which sentence plays
//! next and on which path, which of its pieces are still to be played, what a failed clip turns
//! into, and (when the server sends no audio) where the reply's sentences end.
//!
//! - [`browser_voice`]: the browser voice's settings and which voice to prefer.
//! - [`wav`]: the server's WAV pieces read for Web Audio, or joined for the audio element.
//!
//! The browser side (`browser::web_audio`, `browser::audio_player`,
//! `browser::speech_synthesis`) only carries out what [`Queue`] decides; `state::voice` glues
//! the two.

pub mod browser_voice;
pub mod wav;

pub use browser_voice::{TtsOptions, pick_voice, synthesis_blocked, two_decimals, unit};

/// How a sentence is to be spoken.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// Audio from the server (`audio` events): its pieces so far, `data:audio/wav` URLs, each
    /// played right after the one before.
    Server(Vec<String>),
    /// The browser's `speechSynthesis`, and why (an `audio_error` code, a clip's failure,
    /// `voice_off`, `no_server_audio`).
    Browser(String),
}

/// One sentence of a reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    /// 0-based position in the reply: sentences are spoken strictly in this order.
    pub index: u32,
    pub text: String,
    pub source: Source,
    /// All of its audio has arrived: its last piece, or an `audio_error` after some pieces.
    pub complete: bool,
    /// The browser voice says this after the server's pieces (their sentence broke off): the
    /// text they did not cover, and why.
    pub rest: Option<(String, String)>,
}

impl Sentence {
    /// A piece of the server's audio for sentence `index` (a whole clip is one, `last`).
    pub fn server(index: u32, text: String, url: String, last: bool) -> Self {
        Self {
            index,
            text,
            source: Source::Server(vec![url]),
            complete: last,
            rest: None,
        }
    }

    /// A sentence for the browser voice.
    pub fn browser(index: u32, text: String, why: &str) -> Self {
        Self {
            index,
            text,
            source: Source::Browser(why.to_owned()),
            complete: true,
            rest: None,
        }
    }

    /// Takes the pieces of `more`, a later event of the same sentence.
    fn add(&mut self, more: Sentence) {
        if let (Source::Server(pieces), Source::Server(new)) = (&mut self.source, more.source)
            && !self.complete
        {
            pieces.extend(new);
            self.complete = more.complete;
        }
    }
}

/// The sentences of one reply, spoken strictly in index order whichever path each takes and
/// whatever order they arrive in: a browser-voice sentence waits for the clip before it and
/// a clip waits for the browser-voice sentence before it. A sentence's pieces play in order,
/// as they arrive.
#[derive(Debug, Default)]
pub struct Queue {
    /// Index of the next sentence to start.
    next: u32,
    /// Arrived, not yet started; sorted by index.
    waiting: Vec<Sentence>,
    /// Being spoken.
    current: Option<Sentence>,
    /// Pieces of the current sentence handed to the player.
    handed: usize,
}

impl Queue {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a sentence, or more pieces of one already here. One already spoken, or a duplicate
    /// of one whose audio is complete, is ignored.
    pub fn push(&mut self, s: Sentence) {
        if s.index < self.next {
            return;
        }
        if let Some(c) = self.current.as_mut().filter(|c| c.index == s.index) {
            c.add(s);
            return;
        }
        match self.waiting.binary_search_by_key(&s.index, |w| w.index) {
            Ok(at) => self.waiting[at].add(s),
            Err(at) => self.waiting.insert(at, s),
        }
    }

    /// The server's speech of sentence `index` failed: after pieces of it, the browser voice
    /// says `text` (the rest) once they have played; otherwise it says the sentence.
    pub fn fail(&mut self, index: u32, text: String, why: &str) {
        let with_pieces = self
            .current
            .iter_mut()
            .chain(self.waiting.iter_mut())
            .find(|s| s.index == index && !s.complete && matches!(s.source, Source::Server(_)));
        match with_pieces {
            Some(s) => {
                s.complete = true;
                s.rest = Some((text, why.to_owned()));
            }
            None => self.push(Sentence::browser(index, text, why)),
        }
    }

    /// Starts the next sentence if nothing is being spoken and it has arrived.
    pub fn start_next(&mut self) -> Option<Sentence> {
        if self.current.is_some() {
            return None;
        }
        let first = self.waiting.first()?;
        if first.index != self.next {
            return None;
        }
        let s = self.waiting.remove(0);
        self.current = Some(s.clone());
        self.handed = 0;
        Some(s)
    }

    /// The sentence that would start next, if it has arrived.
    pub fn peek_next(&self) -> Option<&Sentence> {
        self.waiting.first().filter(|s| s.index == self.next)
    }

    /// The sentence being spoken.
    pub fn current(&self) -> Option<&Sentence> {
        self.current.as_ref()
    }

    /// The current sentence's pieces not yet handed to the player, in order.
    pub fn take_pieces(&mut self) -> Vec<String> {
        let Some(Sentence {
            source: Source::Server(pieces),
            ..
        }) = &self.current
        else {
            return Vec::new();
        };
        let new = pieces[self.handed.min(pieces.len())..].to_vec();
        self.handed = pieces.len();
        new
    }

    /// Every piece of the current (server) sentence has arrived and was handed out.
    pub fn all_handed(&self) -> bool {
        matches!(&self.current, Some(Sentence { source: Source::Server(p), complete: true, .. })
            if self.handed >= p.len())
    }

    /// The current sentence's pieces are done and it broke off: the rest goes to the browser
    /// voice, as the same sentence.
    pub fn take_rest(&mut self) -> Option<Sentence> {
        let c = self.current.as_mut().filter(|c| c.complete)?;
        let (text, why) = c.rest.take()?;
        c.text = text;
        c.source = Source::Browser(why);
        Some(c.clone())
    }

    /// Sentence `index` ended (or its browser voice failed: it is skipped, never retried, so
    /// one bad sentence cannot stall the rest). False when `index` is not the current one.
    pub fn finish(&mut self, index: u32) -> bool {
        if self.current.as_ref().is_some_and(|c| c.index == index) {
            self.current = None;
            self.next = index + 1;
            true
        } else {
            false
        }
    }

    /// The clip of the current sentence failed: the same sentence goes to the browser voice.
    /// `None` when `index` is not current or already on the browser path (a failure is acted
    /// on once, though `play()` rejecting and the `error` event may both report it).
    pub fn fall_back(&mut self, index: u32, reason: &str) -> Option<Sentence> {
        let c = self.current.as_mut().filter(|c| c.index == index)?;
        if matches!(c.source, Source::Browser(_)) {
            return None;
        }
        c.source = Source::Browser(reason.to_owned());
        c.rest = None;
        c.complete = true;
        Some(c.clone())
    }

    /// Something is being spoken or waits to be.
    pub fn is_active(&self) -> bool {
        self.current.is_some() || !self.waiting.is_empty()
    }

    /// Forgets everything (barge-in, a new reply).
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Skips every sentence before `index` (unmuting mid-reply starts from the one on screen);
    /// the one being spoken, if older, is dropped too.
    pub fn skip_to(&mut self, index: u32) {
        self.waiting.retain(|w| w.index >= index);
        if self.current.as_ref().is_some_and(|c| c.index < index) {
            self.current = None;
        }
        self.next = self.next.max(index);
    }

    /// Stops the sentence being spoken without finishing it, so it can be started again (from
    /// its first piece).
    pub fn interrupt_current(&mut self) {
        if let Some(c) = self.current.take() {
            self.next = c.index;
            self.push(c);
        }
    }
}

/// What a rejected `play()` means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlayFailure {
    /// Autoplay refused (`NotAllowedError`): wait for a tap, then play the same clip.
    Blocked,
    /// The clip itself is bad or unsupported: speak that sentence with the browser voice.
    Failed(String),
    /// `pause()` or a new `src` interrupted it (barge-in): nothing to do.
    Interrupted,
}

/// Classifies the `DOMException` name of a rejected `play()`.
pub fn classify_play_error(name: &str) -> PlayFailure {
    match name {
        "NotAllowedError" => PlayFailure::Blocked,
        "AbortError" => PlayFailure::Interrupted,
        "" => PlayFailure::Failed("play_rejected".into()),
        other => PlayFailure::Failed(other.to_owned()),
    }
}

/// Cuts streamed reply text into speakable sentences for the browser voice. It is the proxy's own
/// splitter (`speech-text`), with the same early first segment, so the browser voice and the
/// server's clips read a reply alike (and count its sentences alike).
#[derive(Debug)]
pub struct Splitter(speech_text::SentenceSplitter);

impl Default for Splitter {
    fn default() -> Self {
        Self(speech_text::SentenceSplitter::with_early_start())
    }
}

impl Splitter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds reply text; returns the sentences it completed, as they should be said.
    pub fn push(&mut self, delta: &str) -> Vec<String> {
        self.0
            .push(delta)
            .iter()
            .filter_map(|s| speakable(s))
            .collect()
    }

    /// The reply ended: the rest, as it should be said.
    pub fn finish(&mut self) -> Option<String> {
        self.0.finish().as_deref().and_then(speakable)
    }
}

pub use speech_text::speakable;

#[cfg(test)]
mod tests {
    use super::*;

    fn server(index: u32) -> Sentence {
        Sentence::server(
            index,
            format!("Sentence {index}."),
            format!("data:audio/wav;base64,{index}"),
            true,
        )
    }

    fn browser(index: u32, why: &str) -> Sentence {
        Sentence::browser(index, format!("Sentence {index}."), why)
    }

    fn piece(index: u32, n: u32, last: bool) -> Sentence {
        Sentence::server(
            index,
            format!("Sentence {index}."),
            format!("data:audio/wav;base64,{index}.{n}"),
            last,
        )
    }

    #[test]
    fn sentences_play_in_index_order_whatever_order_they_arrive_in() {
        let mut q = Queue::new();
        q.push(server(1));
        assert_eq!(q.start_next(), None, "sentence 0 has not arrived");
        q.push(server(0));
        assert_eq!(q.start_next().unwrap().index, 0);
        assert_eq!(q.start_next(), None, "one at a time");
        q.push(server(2));
        assert!(q.finish(0));
        assert_eq!(q.start_next().unwrap().index, 1);
        assert!(q.finish(1));
        assert_eq!(q.start_next().unwrap().index, 2);
        assert!(q.finish(2));
        assert!(!q.is_active());
    }

    #[test]
    fn a_browser_sentence_waits_for_the_clip_before_it_and_vice_versa() {
        let mut q = Queue::new();
        q.push(server(0));
        q.push(browser(1, "tts_failed"));
        q.push(server(2));
        let order: Vec<bool> = std::iter::from_fn(|| {
            let s = q.start_next()?;
            assert_eq!(q.start_next(), None);
            q.finish(s.index);
            Some(matches!(s.source, Source::Server(_)))
        })
        .collect();
        assert_eq!(order, [true, false, true]);
    }

    #[test]
    fn a_failed_clip_falls_back_once_for_exactly_that_sentence() {
        let mut q = Queue::new();
        q.push(server(0));
        q.push(server(1));
        q.start_next();
        assert_eq!(q.fall_back(1, "error"), None, "not the current sentence");
        let s = q.fall_back(0, "NotSupportedError").unwrap();
        assert_eq!(s.index, 0);
        assert_eq!(s.source, Source::Browser("NotSupportedError".into()));
        assert_eq!(
            q.fall_back(0, "error"),
            None,
            "the error event after the rejection"
        );
        q.finish(0);
        assert_eq!(q.start_next().unwrap().source, server(1).source);
    }

    #[test]
    fn late_and_duplicate_sentences_are_ignored_and_clear_forgets_all() {
        let mut q = Queue::new();
        q.push(server(0));
        q.start_next();
        q.push(server(0));
        q.finish(0);
        q.push(server(0));
        assert_eq!(q.start_next(), None);
        q.push(server(1));
        q.clear();
        assert!(!q.is_active());
    }

    #[test]
    fn play_errors_decide_between_tap_fallback_and_nothing() {
        assert_eq!(classify_play_error("NotAllowedError"), PlayFailure::Blocked);
        assert_eq!(classify_play_error("AbortError"), PlayFailure::Interrupted);
        assert_eq!(
            classify_play_error("NotSupportedError"),
            PlayFailure::Failed("NotSupportedError".into())
        );
        assert!(synthesis_blocked("not-allowed"));
        assert!(!synthesis_blocked("synthesis-failed"));
    }

    #[test]
    fn unmuting_mid_reply_skips_to_the_sentence_on_screen() {
        let mut q = Queue::new();
        for i in 0..4 {
            q.push(server(i));
        }
        assert_eq!(q.start_next().map(|s| s.index), Some(0));
        q.interrupt_current();
        q.skip_to(2);
        assert_eq!(q.start_next().map(|s| s.index), Some(2));
        assert!(q.finish(2));
        assert_eq!(q.start_next().map(|s| s.index), Some(3));
    }

    #[test]
    fn pieces_are_handed_out_in_order_as_they_arrive() {
        let mut q = Queue::new();
        q.push(piece(1, 0, true));
        q.push(piece(0, 0, false));
        assert_eq!(q.start_next().unwrap().index, 0);
        assert_eq!(q.take_pieces(), ["data:audio/wav;base64,0.0"]);
        assert!(q.take_pieces().is_empty(), "each piece once");
        assert!(!q.all_handed(), "sentence 0 is not complete yet");
        q.push(piece(0, 1, false));
        q.push(piece(0, 2, true));
        q.push(piece(0, 3, false));
        assert_eq!(
            q.take_pieces(),
            ["data:audio/wav;base64,0.1", "data:audio/wav;base64,0.2"],
            "nothing after the last piece"
        );
        assert!(q.all_handed());
        assert_eq!(q.take_rest(), None);
        assert!(q.finish(0));
        assert_eq!(q.start_next().unwrap().index, 1);
    }

    #[test]
    fn a_sentence_that_broke_off_is_finished_by_the_browser_voice() {
        let mut q = Queue::new();
        q.push(piece(0, 0, false));
        q.start_next();
        q.take_pieces();
        q.fail(0, "the rest of it.".into(), "tts_failed");
        assert!(q.all_handed());
        let rest = q.take_rest().unwrap();
        assert_eq!((rest.index, rest.text.as_str()), (0, "the rest of it."));
        assert_eq!(rest.source, Source::Browser("tts_failed".into()));
        // Without pieces, the whole sentence goes to the browser voice.
        q.finish(0);
        q.fail(1, "Sentence 1.".into(), "tts_timeout");
        assert_eq!(q.start_next().unwrap(), browser(1, "tts_timeout"));
    }

    #[test]
    fn an_interrupted_sentence_starts_again_from_its_first_piece() {
        let mut q = Queue::new();
        q.push(piece(0, 0, false));
        q.push(piece(0, 1, true));
        q.start_next();
        assert_eq!(q.take_pieces().len(), 2);
        q.interrupt_current();
        assert_eq!(q.peek_next().map(|s| s.index), Some(0));
        q.start_next();
        assert_eq!(q.take_pieces().len(), 2);
    }

    #[test]
    fn the_splitter_cuts_at_sentence_ends_wherever_the_deltas_break() {
        let text = "Hello there, friend. This is sentence two! Is it? Yes, it is three.\n\nA `code` **bold** end";
        for chunk in [1, 3, 7, 100] {
            let mut s = Splitter::new();
            let mut out = Vec::new();
            let chars: Vec<char> = text.chars().collect();
            for piece in chars.chunks(chunk) {
                out.extend(s.push(&piece.iter().collect::<String>()));
            }
            out.extend(s.finish());
            assert_eq!(
                out,
                [
                    "Hello there, friend.",
                    "This is sentence two!",
                    "Is it? Yes, it is three.",
                    "A code bold end"
                ],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn code_and_links_are_not_read_aloud() {
        assert_eq!(
            speakable("See [the docs](https://x.io/a) or https://y.io now"),
            Some("See the docs or now".into())
        );
        assert_eq!(speakable("```\nlet x = 1;\n```"), None);
        assert_eq!(speakable("## Title\n- item"), Some("Title. item.".into()));
    }
}
