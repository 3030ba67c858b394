//! Carrying out what the queue decides: the next step is worked out under the state's borrow
//! ([`next_step`]), then taken with it released (browser calls may call back).
//!
//! With Web Audio a server sentence's pieces are scheduled as they arrive, each at the end of
//! the one before; once all of a sentence is scheduled the next sentence's pieces follow it
//! the same way, so sentences join without a gap too. A browser-voice sentence (or the rest of
//! a sentence that broke off) waits until the scheduled audio has ended. Without Web Audio a
//! sentence's pieces are joined and played as one clip on the audio element, as before pieces.

use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::{Inner, Player, Voice, dispatch, synth};
use crate::browser::audio_player::{AudioPlayer, PlayerEvent};
use crate::browser::log;
use crate::browser::web_audio::WebAudio;
use crate::speech::{PlayFailure, Sentence, Source, classify_play_error, synthesis_blocked, wav};

/// How long a suspended context may take to start before "Tap to enable sound" is offered.
const RESUME_GRACE: Duration = Duration::from_millis(300);

enum Step {
    /// Schedule these pieces of sentence `index`; `first`: its first ones (announce it).
    Schedule(Rc<WebAudio>, u32, Vec<String>, bool),
    /// The context is suspended: start it first.
    Resume(Rc<WebAudio>, u32),
    /// Play the current sentence as one clip on the audio element.
    Element(Rc<AudioPlayer>, String),
    /// Say this with the browser voice, and why.
    Speak(Sentence, String),
    /// The server's audio of sentence `index` cannot be played: the browser voice says it.
    FallBack(u32, &'static str),
}

fn next_step(s: &mut Inner) -> Option<Step> {
    /// What the current sentence is, taken out of the borrow of the queue.
    enum Now {
        Browser(Sentence, String),
        Web(Rc<WebAudio>),
        Element(Rc<AudioPlayer>, Vec<String>),
        Nothing,
    }
    loop {
        let Some(cur) = s.queue.current() else {
            // A browser-voice sentence waits for the audio before it to end.
            let next = s.queue.peek_next()?;
            if s.playing && matches!(next.source, Source::Browser(_)) {
                return None;
            }
            s.queue.start_next();
            s.started = false;
            continue;
        };
        let (index, complete, has_rest) = (cur.index, cur.complete, cur.rest.is_some());
        let now = match (&cur.source, &s.player) {
            (Source::Browser(why), _) => Now::Browser(cur.clone(), why.clone()),
            (Source::Server(_), Some(Player::Web(w))) => Now::Web(w.clone()),
            (Source::Server(p), Some(Player::Element(e))) => Now::Element(e.clone(), p.clone()),
            (Source::Server(_), None) => Now::Nothing,
        };
        match now {
            Now::Browser(sentence, why) => {
                if s.started || s.playing {
                    return None;
                }
                s.started = true;
                return Some(Step::Speak(sentence, why));
            }
            Now::Web(w) => {
                if !w.running() {
                    if s.resuming {
                        return None;
                    }
                    s.resuming = true;
                    return Some(Step::Resume(w, index));
                }
                let new = s.queue.take_pieces();
                if !new.is_empty() {
                    let first = !std::mem::replace(&mut s.started, true);
                    return Some(Step::Schedule(w, index, new, first));
                }
                if !s.queue.all_handed() {
                    return None; // more pieces are on their way
                }
                if has_rest {
                    if s.playing {
                        return None;
                    }
                    let rest = s.queue.take_rest()?;
                    let why = match &rest.source {
                        Source::Browser(why) => why.clone(),
                        Source::Server(_) => String::new(),
                    };
                    s.started = true;
                    return Some(Step::Speak(rest, why));
                }
                // All of it is scheduled: the next sentence may follow at its end.
                s.queue.finish(index);
                s.started = false;
            }
            Now::Element(p, pieces) => {
                if s.started || !complete {
                    return None;
                }
                s.started = true;
                return Some(match wav::join(&pieces) {
                    Some(url) => Step::Element(p, url),
                    None => Step::FallBack(index, "decode_error"),
                });
            }
            Now::Nothing => return Some(Step::FallBack(index, "no_audio_element")),
        }
    }
}

impl Voice {
    /// Creates the player (best inside a user gesture, when the browser lets audio start) and
    /// wakes a suspended context.
    pub fn prepare(&self) {
        if let Some(Player::Web(w)) = self.player()
            && !w.running()
        {
            let _ = w.resume();
        }
    }

    /// The player, made at first use: Web Audio where the browser has it, else the element.
    fn player(&self) -> Option<Player> {
        let rc = self.rc();
        if let Some(p) = rc.borrow().player.clone() {
            return Some(p);
        }
        let voice = *self;
        let made = match WebAudio::new(move || voice.on_idle()) {
            Some(w) => Player::Web(Rc::new(w)),
            None => Player::Element(Rc::new(AudioPlayer::new(move |token, ev| {
                voice.on_player(token, ev)
            })?)),
        };
        rc.borrow_mut().player = Some(made.clone());
        Some(made)
    }

    /// Takes every step there is to take now.
    pub(super) fn pump(&self) {
        let rc = self.rc();
        if rc.borrow().player.is_none() && rc.borrow().queue.is_active() {
            self.player();
        }
        loop {
            let step = {
                let mut s = rc.borrow_mut();
                if s.discarded || s.blocked || self.muted.get_untracked() {
                    None
                } else {
                    next_step(&mut s)
                }
            };
            let Some(step) = step else {
                break;
            };
            self.take(step);
        }
        self.refresh();
    }

    fn take(&self, step: Step) {
        let rc = self.rc();
        match step {
            Step::Schedule(w, index, urls, first) => {
                let generation = rc.borrow().generation;
                for (i, url) in urls.iter().enumerate() {
                    let scheduled =
                        wav::decode(url).and_then(|pcm| w.schedule(&pcm.samples(), pcm.rate).ok());
                    match scheduled {
                        Some(delay) => {
                            rc.borrow_mut().playing = true;
                            if first && i == 0 {
                                self.announce(index, delay, generation);
                            }
                        }
                        None if first && i == 0 => {
                            rc.borrow_mut().started = false;
                            self.fall_back(index, "decode_error");
                            return;
                        }
                        // A later piece that will not play: the rest of the sentence still does.
                        None => log::warn(&format!(
                            "[TTS] A piece of sentence {index} could not be played; skipped"
                        )),
                    }
                }
            }
            Step::Resume(w, index) => {
                let generation = rc.borrow().generation;
                self.resume(&w);
                let voice = *self;
                set_timeout(
                    move || {
                        let rc = voice.rc();
                        let still = rc.borrow().generation == generation && !w.running();
                        if still && !rc.borrow().blocked {
                            voice.block(index);
                        }
                    },
                    RESUME_GRACE,
                );
            }
            Step::Element(p, url) => {
                let token = {
                    let mut s = rc.borrow_mut();
                    s.token = s.token.wrapping_add(1);
                    s.token
                };
                p.play(&url, token);
            }
            Step::Speak(sentence, why) => self.speak(&sentence, &why),
            Step::FallBack(index, why) => self.fall_back(index, why),
        }
    }

    /// The `[TTS]` line and `grokwidget:speech` event of a server sentence, when its first
    /// piece starts: now, or when the audio before it has played.
    fn announce(&self, index: u32, delay_secs: f64, generation: u32) {
        let voice = *self;
        let go = move || {
            if voice.rc().borrow().generation == generation {
                log::log(&format!(
                    "[TTS] Successfully generated audio (sentence {index})"
                ));
                dispatch(index, "server", None, None);
            }
        };
        if delay_secs < 0.005 {
            go();
        } else {
            // Whole milliseconds: `from_secs_f64` brings float formatting into the bundle.
            set_timeout(go, Duration::from_millis((delay_secs * 1000.0) as u64));
        }
    }

    /// Everything scheduled on the context has played.
    fn on_idle(&self) {
        self.rc().borrow_mut().playing = false;
        self.pump();
    }

    /// "Tap to enable sound": inside the click, so the browser lets it play.
    pub fn tap(&self) {
        self.needs_tap.set(false);
        let rc = self.rc();
        {
            let mut s = rc.borrow_mut();
            s.blocked = false;
            // What was refused starts again.
            s.started = false;
        }
        let web = match &rc.borrow().player {
            Some(Player::Web(w)) => Some(w.clone()),
            _ => None,
        };
        if let Some(w) = web {
            self.resume(&w);
        }
        self.pump();
    }

    /// Starts the context; once it runs, speech carries on.
    fn resume(&self, w: &WebAudio) {
        if let Some(promise) = w.resume() {
            let voice = *self;
            wasm_bindgen_futures::spawn_local(async move {
                let _ = JsFuture::from(promise).await;
                voice.rc().borrow_mut().resuming = false;
                voice.pump();
            });
        }
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
            PlayerEvent::Ended => {
                let rest = rc.borrow_mut().queue.take_rest();
                if rest.is_some() {
                    rc.borrow_mut().started = false;
                    self.pump();
                } else {
                    self.finished(index);
                }
            }
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
        let changed = rc.borrow_mut().queue.fall_back(index, why).is_some();
        if changed {
            rc.borrow_mut().started = false;
            self.pump();
        }
    }

    fn finished(&self, index: u32) {
        let rc = self.rc();
        let done = rc.borrow_mut().queue.finish(index);
        if done {
            rc.borrow_mut().started = false;
            self.pump();
        }
    }

    fn speak(&self, sentence: &Sentence, reason: &str) {
        let index = sentence.index;
        log::warn(&format!(
            "[TTS] Falling back to browser speech synthesis (sentence {index}: {reason})"
        ));
        let rc = self.rc();
        let (synth, opts, token) = {
            let mut s = rc.borrow_mut();
            s.token = s.token.wrapping_add(1);
            (synth(&mut s), s.opts.clone(), s.token)
        };
        if sentence.text.trim().is_empty() {
            // The server's pieces covered all of it.
            self.on_utterance(token, index, Ok(()));
            return;
        }
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
