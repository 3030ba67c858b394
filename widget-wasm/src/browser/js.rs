//! Reading and writing JavaScript object properties: the one place the widget calls
//! `js_sys::Reflect` for plain values.

use wasm_bindgen::JsValue;

/// `obj[key]`, when the object has it.
pub fn get(obj: &JsValue, key: &str) -> Option<JsValue> {
    js_sys::Reflect::get(obj, &key.into())
        .ok()
        .filter(|v| !v.is_undefined())
}

/// `obj[key]`, `undefined` when the object lacks it (so it chains like JavaScript's `a.b.c`).
pub fn value(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[key]` as a count: a non-negative number, 0 otherwise.
pub fn count(obj: &JsValue, key: &str) -> u64 {
    number(obj, key)
        .filter(|n| *n >= 0.0)
        .map_or(0, |n| n as u64)
}

/// `obj[key]` as a string.
pub fn string(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key)?.as_string()
}

/// `obj[key]` as a boolean.
pub fn boolean(obj: &JsValue, key: &str) -> Option<bool> {
    get(obj, key)?.as_bool()
}

/// `obj[key]` as a number.
pub fn number(obj: &JsValue, key: &str) -> Option<f64> {
    get(obj, key)?.as_f64()
}

/// `obj[key]` as a list of strings (non-strings skipped); empty when it is not an array.
pub fn strings(obj: &JsValue, key: &str) -> Vec<String> {
    get(obj, key)
        .filter(js_sys::Array::is_array)
        .map(|a| {
            js_sys::Array::from(&a)
                .iter()
                .filter_map(|v| v.as_string())
                .collect()
        })
        .unwrap_or_default()
}

/// `obj[key] = value`; a frozen object is left as it is.
pub fn set(obj: &JsValue, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(obj, &key.into(), value);
}
