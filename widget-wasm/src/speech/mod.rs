//! The decisions behind spoken replies, pure so they are tested natively: which sentence plays
//! next and on which path, what a failed clip turns into, which browser voice to prefer, and
//! (when the server sends no audio) where the reply's sentences end.
//!
//! The browser side (`browser::audio_player`, `browser::speech_synthesis`) only carries out
//! what [`Queue`] decides; `state::voice` glues the two.

/// How a sentence is to be spoken.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A clip from the server (`audio` event): a `data:audio/wav` URL.
    Server(String),
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
}

/// The sentences of one reply, spoken strictly in index order whichever path each takes and
/// whatever order they arrive in: a browser-voice sentence waits for the clip before it and
/// a clip waits for the browser-voice sentence before it.
#[derive(Debug, Default)]
pub struct Queue {
    /// Index of the next sentence to start.
    next: u32,
    /// Arrived, not yet started; sorted by index.
    waiting: Vec<Sentence>,
    /// Being spoken.
    current: Option<Sentence>,
}

impl Queue {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a sentence. One already spoken or a duplicate index is ignored.
    pub fn push(&mut self, s: Sentence) {
        if s.index < self.next || self.current.as_ref().is_some_and(|c| c.index == s.index) {
            return;
        }
        match self.waiting.binary_search_by_key(&s.index, |w| w.index) {
            Ok(_) => {}
            Err(at) => self.waiting.insert(at, s),
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
        Some(s)
    }

    /// The sentence being spoken.
    pub fn current(&self) -> Option<&Sentence> {
        self.current.as_ref()
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

    /// Stops the sentence being spoken without finishing it, so it can be started again.
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

/// What a failed browser utterance (`SpeechSynthesisErrorEvent.error`) means.
pub fn synthesis_blocked(error: &str) -> bool {
    error == "not-allowed"
}

/// The browser voice's settings (`data-tts-*`).
#[derive(Debug, Clone, PartialEq)]
pub struct TtsOptions {
    /// Preferred voice language, matched against `SpeechSynthesisVoice.lang`.
    pub lang: String,
    /// Rate, pitch and volume in hundredths (95 = 0.95): integers keep the float printer and
    /// parser out of the bundle.
    pub rate: u16,
    pub pitch: u16,
    pub volume: u16,
}

impl Default for TtsOptions {
    fn default() -> Self {
        Self {
            lang: "en-GB".into(),
            rate: 95,
            pitch: 100,
            volume: 100,
        }
    }
}

impl TtsOptions {
    /// From `ttsLang`, `ttsRate`, `ttsPitch`, `ttsVolume` (the dataset's names); values out of
    /// the Web Speech API's ranges are clamped, unparsable ones keep the default.
    pub fn from_fields(get: impl Fn(&str) -> Option<String>) -> Self {
        let d = Self::default();
        let num = |k: &str, default: u16, lo: u16, hi: u16| {
            get(k)
                .and_then(|v| parse_decimal(v.trim()))
                .map_or(default, |v| v.clamp(lo, hi))
        };
        Self {
            lang: get("ttsLang")
                .filter(|l| {
                    l.len() <= 35 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                })
                .unwrap_or(d.lang),
            rate: num("ttsRate", d.rate, 10, 1000),
            pitch: num("ttsPitch", d.pitch, 0, 200),
            volume: num("ttsVolume", d.volume, 0, 100),
        }
    }
}

/// `12`, `0.95`, `.5` in hundredths (1200, 95, 50): a plain non-negative decimal, digits past
/// the second decimal ignored. Not `str::parse::<f32>`, whose general float parser adds
/// kilobytes to the bundle for three optional attributes.
fn parse_decimal(s: &str) -> Option<u16> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    let whole: u16 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut part = 0;
    for (i, b) in frac.bytes().take(2).enumerate() {
        part += u16::from(b - b'0') * if i == 0 { 10 } else { 1 };
    }
    whole.checked_mul(100)?.checked_add(part)
}

/// Hundredths as a decimal ("0.95"), for the `[TTS]` line.
pub fn two_decimals(v: u16) -> String {
    format!("{}.{:02}", v / 100, v % 100)
}

/// Hundredths as the `f32` the Web Speech API takes.
pub fn unit(v: u16) -> f32 {
    f32::from(v) / 100.0
}

/// The browser voice to use among `(name, lang)` pairs: the first whose language is `lang`
/// (`en-GB` matches `en-GB` and `en_GB`, any case); for British English, failing that, one
/// whose name says "British" or has the word "UK" (a substring match would take "Lukas").
/// `None`: let the browser choose (the utterance still carries `lang`).
pub fn pick_voice(voices: &[(String, String)], lang: &str) -> Option<usize> {
    let want = lang.replace('_', "-").to_ascii_lowercase();
    if let Some(i) = voices
        .iter()
        .position(|(_, l)| l.replace('_', "-").to_ascii_lowercase().contains(&want))
    {
        return Some(i);
    }
    if want != "en-gb" {
        return None;
    }
    voices.iter().position(|(name, _)| {
        let name = name.to_ascii_lowercase();
        name.contains("british")
            || name
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == "uk")
    })
}

/// Cuts streamed reply text into speakable sentences for the browser voice. It is the proxy's own
/// splitter (`speech-text`), so the browser voice and the server's clips read a reply alike.
#[derive(Debug, Default)]
pub struct Splitter(speech_text::SentenceSplitter);

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
        Sentence {
            index,
            text: format!("Sentence {index}."),
            source: Source::Server(format!("data:audio/wav;base64,{index}")),
        }
    }

    fn browser(index: u32, why: &str) -> Sentence {
        Sentence {
            index,
            text: format!("Sentence {index}."),
            source: Source::Browser(why.into()),
        }
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
    fn british_voices_are_preferred() {
        let v = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(n, l)| ((*n).into(), (*l).into()))
                .collect()
        };
        let voices = v(&[
            ("Google US English", "en-US"),
            ("Lukas", "de-DE"),
            ("Google UK English Female", "en-GB"),
        ]);
        assert_eq!(pick_voice(&voices, "en-GB"), Some(2));
        let by_name = v(&[("Lukas", "de"), ("Daniel (British)", "en"), ("x", "en")]);
        assert_eq!(pick_voice(&by_name, "en-GB"), Some(1));
        assert_eq!(pick_voice(&v(&[("UK male", "")]), "en-GB"), Some(0));
        assert_eq!(pick_voice(&v(&[("Lukas", "de-DE")]), "en-GB"), None);
        assert_eq!(pick_voice(&v(&[("x", "en_gb")]), "en-GB"), Some(0));
        assert_eq!(pick_voice(&voices, "de-DE"), Some(1));
    }

    #[test]
    fn tts_options_default_to_the_original_voice_and_clamp() {
        let d = TtsOptions::from_fields(|_| None);
        assert_eq!(d, TtsOptions::default());
        assert_eq!((d.rate, d.pitch, d.volume), (95, 100, 100));
        let o = TtsOptions::from_fields(|k| match k {
            "ttsRate" => Some("1.2".into()),
            "ttsVolume" => Some("7".into()),
            "ttsPitch" => Some("loud".into()),
            "ttsLang" => Some("en-US".into()),
            _ => None,
        });
        assert_eq!((o.rate, o.pitch, o.volume), (120, 100, 100));
        assert_eq!(o.lang, "en-US");
        assert_eq!(parse_decimal(".5"), Some(50));
        assert_eq!(parse_decimal("0.955"), Some(95));
        assert_eq!(parse_decimal("-1"), None);
        assert_eq!(parse_decimal("1e3"), None);
        assert_eq!(two_decimals(95), "0.95");
        assert_eq!(two_decimals(100), "1.00");
        assert_eq!(unit(95), 0.95);
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
        assert_eq!(speakable("## Title\n- item"), Some("Title item".into()));
    }
}
