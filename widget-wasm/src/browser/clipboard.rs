//! The clipboard: `navigator.clipboard.writeText`, looked up when used (pages served over plain
//! HTTP have no clipboard API; the caller then says the copy failed).

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::js;

/// Puts `text` on the clipboard; false if the browser refused or has no clipboard API.
pub async fn write_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let clipboard = js::value(&js::value(&window, "navigator"), "clipboard");
    let Ok(write) = js::value(&clipboard, "writeText").dyn_into::<js_sys::Function>() else {
        return false;
    };
    match write.call1(&clipboard, &text.into()) {
        Ok(promise) => match promise.dyn_into::<js_sys::Promise>() {
            Ok(p) => JsFuture::from(p).await.is_ok(),
            Err(_) => false,
        },
        Err(_) => false,
    }
}
