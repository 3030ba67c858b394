//! Spoken replies: feeds [`Queue`] from the stream's `audio` / `audio_error` / `delta` events
//! and carries out what it decides with the one audio element and the browser voice.
//!
//! Every sentence is spoken in index order on one of two paths: the server's clip, or the
//! browser's `speechSynthesis` when the server sent an `audio_error`, the clip failed, or the
//! site has server voice off. `[TTS]` console lines and `grokwidget:speech` events say which.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::browser::audio_player::{AudioPlayer, PlayerEvent};
use crate::browser::speech_synthesis::Synth;
use crate::browser::{events, log};
use crate::speech::{
    PlayFailure, Queue, Sentence, Source, Splitter, TtsOptions, classify_play_error,
    synthesis_blocked,
};

#[derive(Default)]
struct Inner {
    queue: Queue,
    /// The rest of this reply is not to be spoken (barge-in, mute).
    discarded: bool,
    /// The reply is still streaming.
    open: bool,
    /// The site has server voice on: `audio` events are expected.
    server_voice: bool,
    /// An `audio` or `audio_error` event came for this reply.
    got_server: bool,
    /// Cuts the reply into sentences: spoken by the browser when the server speaks none of it,
    /// and counted either way (the same splitter as the proxy's, so the same indices).
    splitter: Splitter,
    /// Complete sentences of the reply shown so far.
    shown: u32,
    next_local: u32,
    /// Tags the clip or utterance in progress; callbacks for older ones are ignored.
    token: u32,
    /// Autoplay was refused: waiting for "Tap to enable sound".
    blocked: bool,
    player: Option<Rc<AudioPlayer>>,
    synth: Option<Rc<Synth>>,
    opts: TtsOptions,
}

/// The speech controller. `Copy`: its state lives in the arena.
#[derive(Clone, Copy)]
pub struct Voice {
    inner: StoredValue<Rc<RefCell<Inner>>, LocalStorage>,
    /// Autoplay was refused: the panel shows "Tap to enable sound".
    pub needs_tap: RwSignal<bool>,
    muted: RwSignal<bool>,
}

fn dispatch(index: u32, path: &str, reason: Option<&str>, voice: Option<&str>) {
    let detail = js_sys::Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&detail, &k.into(), &v);
    };
    set("index", index.into());
    set("path", path.into());
    if let Some(r) = reason {
        set("reason", r.into());
    }
    if let Some(v) = voice {
        set("voice", v.into());
    }
    events::dispatch("speech", Some(&detail));
}

impl Voice {
    pub fn new(opts: TtsOptions, muted: RwSignal<bool>) -> Self {
        Self {
            inner: StoredValue::new_local(Rc::new(RefCell::new(Inner {
                opts,
                server_voice: true,
                ..Inner::default()
            }))),
            needs_tap: RwSignal::new(false),
            muted,
        }
    }

    fn rc(&self) -> Rc<RefCell<Inner>> {
        self.inner.get_value()
    }

    /// A new reply starts; `server_voice`: the site's `voice_enabled`.
    pub fn begin(&self, server_voice: bool) {
        self.stop();
        let rc = self.rc();
        let mut s = rc.borrow_mut();
        s.queue.clear();
        // Muted replies are still followed (not played), so unmuting can join in.
        s.discarded = false;
        s.open = true;
        s.shown = 0;
        s.server_voice = server_voice;
        s.got_server = false;
        s.splitter = Splitter::new();
        s.next_local = 0;
    }

    /// Reply text arrived: spoken by the browser sentence by sentence when the site has
    /// server voice off.
    pub fn delta(&self, text: &str) {
        let rc = self.rc();
        {
            let mut s = rc.borrow_mut();
            if s.discarded {
                return;
            }
            for t in s.splitter.push(text) {
                s.shown += 1;
                if !s.server_voice {
                    push_local(&mut s, t, "voice_off");
                }
            }
        }
        self.pump();
    }

    /// Mute: silence now, but keep following the reply (its clips and sentences still queue up)
    /// so that unmuting can speak from where the visitor is reading.
    pub fn silence(&self) {
        self.hush(|s| s.queue.interrupt_current());
    }

    /// Unmute: while a reply is still arriving, speak from the sentence on screen now (its
    /// server clip when it has one, else the browser voice), skipping what was already read.
    pub fn unmute(&self) {
        {
            let rc = self.rc();
            let mut s = rc.borrow_mut();
            if s.discarded || !s.open {
                return;
            }
            let from = s.shown.saturating_sub(1);
            s.queue.skip_to(from);
            log::info(&format!("[TTS] unmuted: speaking from sentence {from}"));
        }
        self.pump();
    }

    /// An `audio` event.
    pub fn audio(&self, index: u32, text: String, url: String) {
        self.server(Sentence {
            index,
            text,
            source: Source::Server(url),
        });
    }

    /// An `audio_error` event: that sentence goes to the browser voice.
    pub fn audio_error(&self, index: u32, text: String, code: String) {
        self.server(Sentence {
            index,
            text,
            source: Source::Browser(code),
        });
    }

    fn server(&self, sentence: Sentence) {
        {
            let rc = self.rc();
            let mut s = rc.borrow_mut();
            s.got_server = true;
            if s.discarded {
                return;
            }
            s.queue.push(sentence);
        }
        self.pump();
    }

    /// The reply ended; `text` is the whole reply when it completed. With server voice on but
    /// not one audio event (speech off at the proxy), the browser reads it all.
    pub fn end(&self, text: Option<&str>) {
        let rc = self.rc();
        {
            let mut s = rc.borrow_mut();
            s.open = false;
            if s.discarded {
                return;
            }
            if !s.server_voice {
                if let Some(rest) = s.splitter.finish() {
                    push_local(&mut s, rest, "voice_off");
                }
            } else if !s.got_server
                && let Some(text) = text
            {
                let mut split = Splitter::new();
                let mut all = split.push(text);
                all.extend(split.finish());
                for t in all {
                    push_local(&mut s, t, "no_server_audio");
                }
            }
        }
        self.pump();
    }

    /// Speech is playing or due for the current reply.
    pub fn is_active(&self) -> bool {
        let rc = self.rc();
        let s = rc.borrow();
        !s.discarded && (s.open || s.queue.is_active())
    }

    /// Barge-in: silence everything now and drop the rest of this reply.
    pub fn stop(&self) {
        let mut was = false;
        self.hush(|s| {
            was = s.queue.is_active();
            s.discarded = true;
            s.queue.clear();
        });
        if was {
            log::log("[TTS] Speech stopped");
        }
    }

    /// Silences what is playing or speaking now, after `change` updated the queue: both mute
    /// and barge-in come through here.
    fn hush(&self, change: impl FnOnce(&mut Inner)) {
        let rc = self.rc();
        let (player, synth) = {
            let mut s = rc.borrow_mut();
            change(&mut s);
            s.blocked = false;
            s.token = s.token.wrapping_add(1);
            (s.player.clone(), synth(&mut s))
        };
        if self.needs_tap.get_untracked() {
            self.needs_tap.set(false);
        }
        if let Some(p) = player {
            p.stop();
        }
        if let Some(synth) = synth {
            synth.cancel();
        }
    }

    /// Barge-in only when something is to be silenced (typing calls this on every key).
    pub fn interrupt(&self) {
        if self.is_active() {
            self.stop();
        }
    }

    /// "Tap to enable sound": inside the click, so the browser lets it play.
    pub fn tap(&self) {
        self.needs_tap.set(false);
        let rc = self.rc();
        let current = {
            let mut s = rc.borrow_mut();
            s.blocked = false;
            s.queue.current().cloned()
        };
        match current {
            Some(sentence) => self.start(sentence),
            None => self.pump(),
        }
    }

    /// Starts the next sentence when nothing is playing.
    fn pump(&self) {
        let sentence = {
            let rc = self.rc();
            let mut s = rc.borrow_mut();
            if s.discarded || s.blocked || self.muted.get_untracked() {
                return;
            }
            match s.queue.start_next() {
                Some(next) => next,
                None => return,
            }
        };
        self.start(sentence);
    }

    fn start(&self, sentence: Sentence) {
        let rc = self.rc();
        let token = {
            let mut s = rc.borrow_mut();
            s.token = s.token.wrapping_add(1);
            s.token
        };
        match &sentence.source {
            Source::Server(url) => match self.player(&rc) {
                Some(p) => p.play(url, token),
                None => self.fall_back(sentence.index, "no_audio_element"),
            },
            Source::Browser(reason) => self.speak(&sentence, reason, token),
        }
    }

    fn player(&self, rc: &Rc<RefCell<Inner>>) -> Option<Rc<AudioPlayer>> {
        if let Some(p) = rc.borrow().player.clone() {
            return Some(p);
        }
        let voice = *self;
        let p = Rc::new(AudioPlayer::new(move |token, ev| {
            voice.on_player(token, ev)
        })?);
        rc.borrow_mut().player = Some(p.clone());
        Some(p)
    }

    fn on_player(&self, token: u32, ev: PlayerEvent) {
        let rc = self.rc();
        let index = {
            let s = rc.borrow();
            if s.token != token {
                return;
            }
            match s.queue.current() {
                Some(c) if matches!(c.source, Source::Server(_)) => c.index,
                _ => return,
            }
        };
        match ev {
            PlayerEvent::Playing => {
                log::log(&format!(
                    "[TTS] Successfully generated audio (sentence {index})"
                ));
                dispatch(index, "server", None, None);
            }
            PlayerEvent::Ended => self.finished(index),
            PlayerEvent::Error(why) => self.fall_back(index, &why),
            PlayerEvent::Rejected(name) => match classify_play_error(&name) {
                PlayFailure::Blocked => self.block(index),
                PlayFailure::Failed(why) => self.fall_back(index, &why),
                PlayFailure::Interrupted => {}
            },
        }
    }

    fn block(&self, index: u32) {
        self.rc().borrow_mut().blocked = true;
        log::warn(&format!(
            "[TTS] Autoplay was blocked (sentence {index}); waiting for \"Tap to enable sound\""
        ));
        self.needs_tap.set(true);
    }

    fn fall_back(&self, index: u32, why: &str) {
        let rc = self.rc();
        let sentence = rc.borrow_mut().queue.fall_back(index, why);
        if let Some(sentence) = sentence {
            self.start(sentence);
        }
    }

    fn finished(&self, index: u32) {
        if self.rc().borrow_mut().queue.finish(index) {
            self.pump();
        }
    }

    fn speak(&self, sentence: &Sentence, reason: &str, token: u32) {
        let index = sentence.index;
        log::warn(&format!(
            "[TTS] Falling back to browser speech synthesis (sentence {index}: {reason})"
        ));
        let rc = self.rc();
        let (synth, opts) = {
            let mut s = rc.borrow_mut();
            (synth(&mut s), s.opts.clone())
        };
        let voice = *self;
        let spoken = match synth {
            Some(synth) => synth.speak(&sentence.text, &opts, move |result| {
                voice.on_utterance(token, index, result);
            }),
            None => Err("unsupported".into()),
        };
        match spoken {
            Ok(spoken) => {
                log::log(&format!(
                    "[TTS] Speaking with browser speech synthesis (sentence {index}, voice {}, rate {})",
                    spoken.voice.as_deref().unwrap_or("default"),
                    crate::speech::two_decimals(opts.rate)
                ));
                dispatch(index, "browser", Some(reason), spoken.voice.as_deref());
            }
            Err(e) => self.on_utterance(token, index, Err(e)),
        }
    }

    fn on_utterance(&self, token: u32, index: u32, result: Result<(), String>) {
        if self.rc().borrow().token != token {
            return;
        }
        if let Err(e) = result {
            if synthesis_blocked(&e) {
                self.block(index);
                return;
            }
            log::error(&format!(
                "[TTS] Browser speech synthesis failed (sentence {index}: {e})"
            ));
        }
        self.finished(index);
    }
}

fn synth(s: &mut Inner) -> Option<Rc<Synth>> {
    if s.synth.is_none() {
        s.synth = Synth::new().map(Rc::new);
    }
    s.synth.clone()
}

fn push_local(s: &mut Inner, text: String, why: &str) {
    let index = s.next_local;
    s.next_local += 1;
    s.queue.push(Sentence {
        index,
        text,
        source: Source::Browser(why.into()),
    });
}
