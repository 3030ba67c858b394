//! One `AudioContext` that plays a reply's pieces back to back: each piece is a buffer
//! scheduled at the exact end time of the one before, so consecutive pieces (and sentences)
//! join without a gap. It only plays what it is told and says when all of it has ended; the
//! order and the fallbacks are `speech::Queue`'s.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{AudioBufferSourceNode, AudioContext, AudioContextState, AudioScheduledSourceNode};

pub struct WebAudio {
    ctx: AudioContext,
    /// Where the audio scheduled so far ends, in the context's time.
    end: Cell<f64>,
    playing: Rc<RefCell<Vec<AudioBufferSourceNode>>>,
    on_ended: Closure<dyn FnMut(web_sys::Event)>,
}

impl WebAudio {
    /// `None` where there is no Web Audio, or the browser refuses a context. `on_idle` is
    /// called when everything scheduled has played to its end.
    pub fn new(on_idle: impl Fn() + 'static) -> Option<Self> {
        let ctx = AudioContext::new().ok()?;
        let playing: Rc<RefCell<Vec<AudioBufferSourceNode>>> = Rc::default();
        let list = playing.clone();
        let on_ended = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let target = e.target().map(JsValue::from);
            let idle = {
                let mut list = list.borrow_mut();
                list.retain(|s| Some(JsValue::from(s)) != target);
                list.is_empty()
            };
            if idle {
                on_idle();
            }
        });
        Some(Self {
            ctx,
            end: Cell::new(0.0),
            playing,
            on_ended,
        })
    }

    /// The context may play now (autoplay allowed, not suspended).
    pub fn running(&self) -> bool {
        self.ctx.state() == AudioContextState::Running
    }

    /// Asks to start the context (inside a tap, the browser lets it); resolves once it runs.
    pub fn resume(&self) -> Option<Promise> {
        self.ctx.resume().ok()
    }

    /// Plays `samples` (mono, -1..1, at `rate`) right after what is already scheduled, or now
    /// when nothing is. Returns how many seconds from now it starts.
    pub fn schedule(&self, samples: &[f32], rate: u32) -> Result<f64, JsValue> {
        let len = u32::try_from(samples.len()).map_err(|_| JsValue::from("too long"))?;
        let buffer = self.ctx.create_buffer(1, len.max(1), rate as f32)?;
        buffer.copy_to_channel(samples, 0)?;
        let source = self.ctx.create_buffer_source()?;
        source.set_buffer(Some(&buffer));
        source.connect_with_audio_node(&self.ctx.destination())?;
        let node: &AudioScheduledSourceNode = source.as_ref();
        node.set_onended(Some(self.on_ended.as_ref().unchecked_ref()));
        let now = self.ctx.current_time();
        let at = self.end.get().max(now);
        node.start_with_when(at)?;
        self.end.set(at + buffer.duration());
        self.playing.borrow_mut().push(source);
        Ok(at - now)
    }

    /// Something scheduled has not ended yet.
    pub fn busy(&self) -> bool {
        !self.playing.borrow().is_empty()
    }

    /// Silences everything scheduled, at once; no end is reported for it.
    pub fn stop(&self) {
        for source in self.playing.take() {
            let node: &AudioScheduledSourceNode = source.as_ref();
            node.set_onended(None);
            let _ = node.stop();
        }
        self.end.set(0.0);
    }
}

impl Drop for WebAudio {
    fn drop(&mut self) {
        self.stop();
        let _ = self.ctx.close();
    }
}
