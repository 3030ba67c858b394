//! Page-level events the conversation store follows: `storage` (another tab of the same site
//! changed the stored conversation) and `pagehide` (the page is being left or reloaded); and
//! the browser's languages.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

use super::listener::Listener;

/// Calls `f(new_value)` when another tab changes `key` in `localStorage`; `None` when it was
/// removed (or all of the site's storage was cleared).
pub fn on_storage(key: String, f: impl Fn(Option<String>) + 'static) -> Option<Listener> {
    let window = web_sys::window()?;
    Some(Listener::new(&window, "storage", move |ev| {
        let get = |k: &str| Reflect::get(&ev, &JsValue::from_str(k)).unwrap_or(JsValue::NULL);
        // `key` is null when the whole storage was cleared.
        let changed = get("key").as_string();
        if changed.is_none() || changed.as_deref() == Some(key.as_str()) {
            f(get("newValue").as_string());
        }
    }))
}

/// Calls `f` when the page is being left (reload, navigation, tab closed).
pub fn on_pagehide(f: impl Fn() + 'static) -> Option<Listener> {
    let window = web_sys::window()?;
    Some(Listener::new(&window, "pagehide", move |_| f()))
}

/// The browser's languages, best first (`navigator.languages`).
pub fn languages() -> Vec<String> {
    let navigator =
        web_sys::window().map_or(JsValue::UNDEFINED, |w| super::js::value(&w, "navigator"));
    super::js::strings(&navigator, "languages")
}
