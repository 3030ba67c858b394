//! Spoken replies: feeds [`Queue`] from the stream's `audio` / `audio_error` / `delta` events
//! and carries out what it decides ([`play`]) with one `AudioContext` (the server's pieces
//! scheduled back to back), or where Web Audio is missing the one audio element, and the
//! browser voice.
//!
//! Every sentence is spoken in index order on one of two paths: the server's audio, or the
//! browser's `speechSynthesis` when the server sent an `audio_error` (after some pieces: for the
//! rest of the sentence only), the audio failed, or the site has server voice off. `[TTS]`
//! console lines and `grokwidget:speech` events say which.

mod play;

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::browser::audio_player::AudioPlayer;
use crate::browser::speech_synthesis::Synth;
use crate::browser::web_audio::WebAudio;
use crate::browser::{events, log};
use crate::speech::{Queue, Sentence, Splitter, TtsOptions};

/// What plays the server's audio: chosen once, Web Audio where the browser has it.
#[derive(Clone)]
enum Player {
    Web(Rc<WebAudio>),
    Element(Rc<AudioPlayer>),
}

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
    /// Changes whenever speech is silenced: Web Audio's callbacks and timers from before are
    /// ignored.
    generation: u32,
    /// Autoplay was refused: waiting for "Tap to enable sound".
    blocked: bool,
    player: Option<Player>,
    /// Scheduled Web Audio has not finished (the queue may have moved past its sentence).
    playing: bool,
    /// The current sentence's audio was started (its event sent; the element is playing it).
    started: bool,
    /// A resume of the suspended context is on its way.
    resuming: bool,
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
    /// Speech is playing or due for the current reply (conversation mode waits for it).
    pub speaking: RwSignal<bool>,
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
            speaking: RwSignal::new(false),
        }
    }

    /// The interface language is known: the browser voice prefers it (see
    /// [`TtsOptions::follow`]).
    pub fn follow_language(&self, tag: &str) {
        self.rc().borrow_mut().opts.follow(tag);
    }

    fn rc(&self) -> Rc<RefCell<Inner>> {
        self.inner.get_value()
    }

    /// A new reply starts; `server_voice`: the site's `voice_enabled`. Called from the Send
    /// press (a user gesture), so this is where the audio context is created or resumed.
    pub fn begin(&self, server_voice: bool) {
        self.stop();
        self.prepare();
        let rc = self.rc();
        {
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
        self.refresh();
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

    /// An `audio` event: a piece of sentence `index` (a whole clip is its only, last piece).
    pub fn audio(&self, index: u32, text: String, url: String, last: bool) {
        self.server(|q| q.push(Sentence::server(index, text, url, last)));
    }

    /// An `audio_error` event: that sentence, or what its pieces did not cover, goes to the
    /// browser voice.
    pub fn audio_error(&self, index: u32, text: String, code: String) {
        self.server(|q| q.fail(index, text, &code));
    }

    fn server(&self, change: impl FnOnce(&mut Queue)) {
        {
            let rc = self.rc();
            let mut s = rc.borrow_mut();
            s.got_server = true;
            if s.discarded {
                return;
            }
            change(&mut s.queue);
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
            if !s.discarded {
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
        }
        self.pump();
    }

    /// Speech is playing or due for the current reply (while muted, only until the reply has
    /// arrived: nothing of it is due then).
    pub fn is_active(&self) -> bool {
        let rc = self.rc();
        let s = rc.borrow();
        let due = !self.muted.get_untracked() && (s.queue.is_active() || s.playing);
        !s.discarded && (s.open || due)
    }

    /// Keeps [`Voice::speaking`] in step.
    fn refresh(&self) {
        let active = self.is_active();
        if self.speaking.get_untracked() != active {
            self.speaking.set(active);
        }
    }

    /// Barge-in: silence everything now and drop the rest of this reply.
    pub fn stop(&self) {
        let mut was = false;
        self.hush(|s| {
            was = s.queue.is_active() || s.playing;
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
        let (web, element, synth) = {
            let mut s = rc.borrow_mut();
            change(&mut s);
            s.blocked = false;
            s.playing = false;
            s.started = false;
            s.resuming = false;
            s.token = s.token.wrapping_add(1);
            s.generation = s.generation.wrapping_add(1);
            let (web, element) = match &s.player {
                Some(Player::Web(w)) => (Some(w.clone()), None),
                Some(Player::Element(p)) => (None, Some(p.clone())),
                None => (None, None),
            };
            (web, element, synth(&mut s))
        };
        if self.needs_tap.get_untracked() {
            self.needs_tap.set(false);
        }
        if let Some(w) = web {
            w.stop();
        }
        if let Some(p) = element {
            p.stop();
        }
        if let Some(synth) = synth {
            synth.cancel();
        }
        self.refresh();
    }

    /// Barge-in only when something is to be silenced (typing calls this on every key).
    pub fn interrupt(&self) {
        if self.is_active() {
            self.stop();
        }
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
    s.queue.push(Sentence::browser(index, text, why));
}
