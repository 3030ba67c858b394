//! The browser voice (`speechSynthesis`): one utterance per sentence (Chrome cuts a long
//! utterance off after about 15 s), with the voice `speech::pick_voice` prefers.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use web_sys::{SpeechSynthesis, SpeechSynthesisUtterance, SpeechSynthesisVoice};

use crate::speech::{TtsOptions, pick_voice, unit};

/// The utterance being spoken, with its handlers. Dropping it unregisters them first, so
/// the browser never calls a freed closure (a `cancel()` fires `error` afterwards).
struct Utterance {
    u: SpeechSynthesisUtterance,
    _on_end: Closure<dyn FnMut(JsValue)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
}

impl Drop for Utterance {
    fn drop(&mut self) {
        self.u.set_onend(None);
        self.u.set_onerror(None);
    }
}

pub struct Synth {
    synth: SpeechSynthesis,
    current: RefCell<Option<Utterance>>,
}

/// Which voice an utterance got, for the `[TTS]` line.
pub struct Spoken {
    pub voice: Option<String>,
}

impl Synth {
    /// `None` where the browser has no speech synthesis.
    pub fn new() -> Option<Self> {
        let window = web_sys::window()?;
        if !Reflect::has(&window, &"speechSynthesis".into()).unwrap_or(false)
            || !Reflect::has(&window, &"SpeechSynthesisUtterance".into()).unwrap_or(false)
        {
            return None;
        }
        Some(Self {
            synth: window.speech_synthesis().ok()?,
            current: RefCell::new(None),
        })
    }

    /// Speaks `text`; `done` gets `Ok` at its end or the error name (`not-allowed`,
    /// `synthesis-failed`, …). Replaces (without cancelling) any utterance still tracked.
    pub fn speak(
        &self,
        text: &str,
        opts: &TtsOptions,
        done: impl FnOnce(Result<(), String>) + 'static,
    ) -> Result<Spoken, String> {
        let u = SpeechSynthesisUtterance::new_with_text(text).map_err(|_| "no_utterance")?;
        u.set_lang(&opts.lang);
        u.set_rate(unit(opts.rate));
        u.set_pitch(unit(opts.pitch));
        u.set_volume(unit(opts.volume));
        let voices: Vec<SpeechSynthesisVoice> = self
            .synth
            .get_voices()
            .iter()
            .map(JsCast::unchecked_into)
            .collect();
        let pairs: Vec<(String, String)> = voices.iter().map(|v| (v.name(), v.lang())).collect();
        let chosen = pick_voice(&pairs, &opts.lang).map(|i| {
            u.set_voice(Some(&voices[i]));
            pairs[i].0.clone()
        });
        let done = Rc::new(RefCell::new(Some(done)));
        let d = done.clone();
        let on_end = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            if let Some(f) = d.borrow_mut().take() {
                f(Ok(()));
            }
        });
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            let why = Reflect::get(&e, &"error".into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_else(|| "error".into());
            if let Some(f) = done.borrow_mut().take() {
                f(Err(why));
            }
        });
        u.set_onend(Some(on_end.as_ref().unchecked_ref()));
        u.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        // Keep the utterance referenced while it speaks: Chrome otherwise may collect it and
        // never fire `end`.
        let old = self.current.replace(Some(Utterance {
            u: u.clone(),
            _on_end: on_end,
            _on_error: on_error,
        }));
        drop(old);
        self.synth.speak(&u);
        Ok(Spoken { voice: chosen })
    }

    /// Silences it now and forgets the utterance (its handlers go first, so the `error`
    /// that `cancel()` causes reaches nobody).
    pub fn cancel(&self) {
        drop(self.current.take());
        self.synth.cancel();
    }
}

impl Drop for Synth {
    fn drop(&mut self) {
        self.cancel();
    }
}
