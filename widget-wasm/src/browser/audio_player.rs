//! One `HtmlAudioElement` that plays the reply's clips one after another. It only plays what
//! it is told and reports what happened; the order and the fallbacks are `speech::Queue`'s.

use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlAudioElement;

use super::listener::Listener;

/// What the element reports about the clip it is playing.
#[derive(Debug, Clone, PartialEq)]
pub enum PlayerEvent {
    /// The clip is audible (the `playing` event).
    Playing,
    Ended,
    /// The `error` event: the clip could not be decoded or loaded.
    Error(String),
    /// `play()` was rejected; the `DOMException` name (`NotAllowedError`: autoplay refused).
    Rejected(String),
}

pub struct AudioPlayer {
    el: HtmlAudioElement,
    on_event: Rc<dyn Fn(u32, PlayerEvent)>,
    /// Which play request the element's events belong to; the controller ignores old ones.
    token: Rc<std::cell::Cell<u32>>,
    _listeners: [Listener; 3],
}

impl AudioPlayer {
    /// `None` where `Audio` cannot be created. `on_event` gets the token of the request
    /// each event belongs to.
    pub fn new(on_event: impl Fn(u32, PlayerEvent) + 'static) -> Option<Self> {
        let el = HtmlAudioElement::new().ok()?;
        el.set_preload("auto");
        let on_event: Rc<dyn Fn(u32, PlayerEvent)> = Rc::new(on_event);
        let token = Rc::new(std::cell::Cell::new(0));
        let listen = |kind: &'static str, make: fn(&HtmlAudioElement) -> PlayerEvent| {
            let (f, t, e) = (on_event.clone(), token.clone(), el.clone());
            Listener::new(&el, kind, move |_| f(t.get(), make(&e)))
        };
        let listeners = [
            listen("playing", |_| PlayerEvent::Playing),
            listen("ended", |_| PlayerEvent::Ended),
            listen("error", |e| {
                PlayerEvent::Error(match e.error().map(|m| m.code()) {
                    Some(3) => "decode_error".into(),
                    Some(4) => "src_not_supported".into(),
                    Some(2) => "network_error".into(),
                    _ => "media_error".into(),
                })
            }),
        ];
        Some(Self {
            el,
            on_event,
            token,
            _listeners: listeners,
        })
    }

    /// Plays `url` at once (called from the previous clip's `ended`, so there is no gap);
    /// `token` tags the events of this request.
    pub fn play(&self, url: &str, token: u32) {
        self.token.set(token);
        self.el.set_src(url);
        self.resume();
    }

    /// Plays the current clip again from where it is (after a tap enabled sound).
    pub fn resume(&self) {
        let token = self.token.get();
        let Ok(promise) = self.el.play() else {
            (self.on_event)(token, PlayerEvent::Rejected(String::new()));
            return;
        };
        let on_event = self.on_event.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = JsFuture::from(promise).await {
                on_event(token, PlayerEvent::Rejected(error_name(&e)));
            }
        });
    }

    /// Silences it now. The clip is kept, so no `error` event follows; a new `play` replaces it.
    pub fn stop(&self) {
        // Events still on their way belong to no request the controller knows.
        self.token.set(u32::MAX);
        let _ = self.el.pause();
    }
}

impl Drop for AudioPlayer {
    fn drop(&mut self) {
        let _ = self.el.pause();
    }
}

/// `DOMException.name`, or `""`.
pub fn error_name(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.name()))
        .or_else(|| {
            js_sys::Reflect::get(e, &"name".into())
                .ok()
                .and_then(|n| n.as_string())
        })
        .unwrap_or_default()
}
