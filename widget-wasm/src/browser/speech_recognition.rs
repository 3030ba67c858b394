//! Speech input: `SpeechRecognition` or `webkitSpeechRecognition`, reached through `Reflect`
//! (the constructor's name differs between browsers). One utterance per `start`, interim
//! results on.

use js_sys::{Function, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::js;

/// What the recogniser reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Heard {
    /// The words so far (not final): shown in the textbox.
    Interim(String),
    /// The finished transcript: sent.
    Final(String),
    /// `not-allowed`, `service-not-allowed`, `no-speech`, `audio-capture`, `network`, …
    Error(String),
    /// Listening stopped (after a result, an error or `stop`).
    End,
}

const HANDLERS: [&str; 3] = ["onresult", "onerror", "onend"];

pub struct Recognizer {
    rec: JsValue,
    _handlers: [Closure<dyn FnMut(JsValue)>; 3],
}

fn constructor() -> Option<Function> {
    let window = web_sys::window()?;
    ["SpeechRecognition", "webkitSpeechRecognition"]
        .into_iter()
        .find_map(|name| Reflect::get(&window, &name.into()).ok()?.dyn_into().ok())
}

fn call(v: &JsValue, method: &str) -> Result<(), JsValue> {
    let f: Function = js::value(v, method).dyn_into()?;
    f.call0(v).map(drop)
}

impl Recognizer {
    pub fn is_supported() -> bool {
        constructor().is_some()
    }

    /// `None` where the browser has no speech recognition.
    pub fn new(lang: &str, on_heard: impl Fn(Heard) + 'static) -> Option<Self> {
        let rec = Reflect::construct(&constructor()?, &js_sys::Array::new()).ok()?;
        let set = |k: &str, v: &JsValue| {
            let _ = Reflect::set(&rec, &k.into(), v);
        };
        set("lang", &lang.into());
        set("interimResults", &true.into());
        set("continuous", &false.into());
        set("maxAlternatives", &1.into());
        let on_heard = std::rc::Rc::new(on_heard);
        let h = on_heard.clone();
        let on_result = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            let results = js::value(&e, "results");
            let n = js::value(&results, "length").as_f64().unwrap_or(0.0) as u32;
            let (mut done, mut interim) = (String::new(), String::new());
            for i in 0..n {
                let r = Reflect::get_u32(&results, i).unwrap_or(JsValue::UNDEFINED);
                let alt = Reflect::get_u32(&r, 0).unwrap_or(JsValue::UNDEFINED);
                let text = js::value(&alt, "transcript")
                    .as_string()
                    .unwrap_or_default();
                if js::value(&r, "isFinal").is_truthy() {
                    done.push_str(&text);
                } else {
                    interim.push_str(&text);
                }
            }
            if !done.trim().is_empty() {
                h(Heard::Final(done.trim().to_owned()));
            } else if !interim.trim().is_empty() {
                h(Heard::Interim(interim.trim().to_owned()));
            }
        });
        let h = on_heard.clone();
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            h(Heard::Error(
                js::value(&e, "error").as_string().unwrap_or_default(),
            ));
        });
        let on_end = Closure::<dyn FnMut(JsValue)>::new(move |_| on_heard(Heard::End));
        let handlers = [on_result, on_error, on_end];
        for (name, f) in HANDLERS.iter().zip(&handlers) {
            set(name, f.as_ref());
        }
        Some(Self {
            rec,
            _handlers: handlers,
        })
    }

    pub fn start(&self) -> Result<(), JsValue> {
        call(&self.rec, "start")
    }

    /// Stops listening; what was heard so far still comes as a final result.
    pub fn stop(&self) {
        let _ = call(&self.rec, "stop");
    }
}

impl Drop for Recognizer {
    fn drop(&mut self) {
        for name in HANDLERS {
            let _ = Reflect::set(&self.rec, &name.into(), &JsValue::NULL);
        }
        let _ = call(&self.rec, "abort");
    }
}
