//! DOM events for the host page: `grokwidget:<name>` on `document`, so sites can hook analytics.

use wasm_bindgen::JsValue;
use web_sys::{CustomEvent, CustomEventInit};

pub fn dispatch(name: &str, detail: Option<&JsValue>) {
    let init = CustomEventInit::new();
    if let Some(detail) = detail {
        init.set_detail(detail);
    }
    let Ok(event) = CustomEvent::new_with_event_init_dict(&format!("grokwidget:{name}"), &init)
    else {
        return;
    };
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        let _ = doc.dispatch_event(&event);
    }
}
