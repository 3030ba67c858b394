//! Start-up: the loader's settings, the host element with its shadow root, and the host-page
//! API `window.GrokWidget`.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, ShadowRootInit, ShadowRootMode};

use crate::settings::Settings;
use crate::state::UiState;

/// The global the loader creates and the widget then fills with real methods.
pub const GLOBAL: &str = "GrokWidget";
/// Tag of the element the widget lives in. A custom name: host-page rules for `div` or
/// `button` cannot match it.
const HOST_TAG: &str = "grok-chat-widget";
const STYLES: &str = include_str!("widget.css");

/// The settings of each tag the loader recorded: `window.GrokWidget.__cfgs` (one per
/// `<script>` tag; a loader of before several widgets only wrote `__cfg`).
pub fn settings_from_loader() -> Vec<Settings> {
    let global = crate::browser::js::value(&window(), GLOBAL);
    let cfgs = crate::browser::js::value(&global, "__cfgs");
    let list: Vec<JsValue> = if js_sys::Array::is_array(&cfgs) {
        js_sys::Array::from(&cfgs).iter().collect()
    } else {
        vec![crate::browser::js::value(&global, "__cfg")]
    };
    list.iter()
        .filter(|cfg| cfg.is_object())
        .map(|cfg| {
            Settings::from_fields(|key: &str| {
                crate::browser::js::string(cfg, key)
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
            })
        })
        .collect()
}

/// Creates `<grok-chat-widget>` at the end of `<body>` with an open shadow root holding the
/// styles and the element Leptos mounts into.
pub fn create_host(settings: &Settings) -> Option<HtmlElement> {
    let document = document();
    let host = document.create_element(HOST_TAG).ok()?;
    host.set_attribute("data-client-id", &settings.client_id)
        .ok()?;
    // The stylesheet reads it (`:host([data-theme=dark])`); unset, the page's colour scheme.
    if let Some(theme) = settings.theme {
        host.set_attribute("data-theme", theme).ok()?;
    }
    let shadow = host
        .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
        .ok()?;
    if !adopt_styles(&shadow) {
        let style = document.create_element("style").ok()?;
        style.set_text_content(Some(STYLES));
        shadow.append_child(&style).ok()?;
    }
    let root: HtmlElement = document.create_element("div").ok()?.dyn_into().ok()?;
    root.set_class_name("gw-root");
    shadow.append_child(&root).ok()?;
    document.body()?.append_child(&host).ok()?;
    Some(root)
}

/// Gives the shadow root its styles as a constructed stylesheet: unlike a `<style>` element,
/// it needs no `style-src 'unsafe-inline'` (or hash) in the host page's CSP. Reached through
/// `Reflect` because `adoptedStyleSheets` is an unstable web-sys API. False when unsupported.
fn adopt_styles(shadow: &web_sys::ShadowRoot) -> bool {
    let adopt = || -> Result<(), JsValue> {
        let ctor: js_sys::Function =
            js_sys::Reflect::get(&window(), &"CSSStyleSheet".into())?.dyn_into()?;
        let sheet = js_sys::Reflect::construct(&ctor, &js_sys::Array::new())?;
        let replace: js_sys::Function =
            js_sys::Reflect::get(&sheet, &"replaceSync".into())?.dyn_into()?;
        replace.call1(&sheet, &STYLES.into())?;
        if !js_sys::Reflect::has(shadow, &"adoptedStyleSheets".into())? {
            return Err(JsValue::NULL);
        }
        js_sys::Reflect::set(
            shadow,
            &"adoptedStyleSheets".into(),
            &js_sys::Array::of1(&sheet),
        )?;
        Ok(())
    };
    adopt().is_ok()
}

/// One widget's host-page methods: `open`, `close`, `send(text)`, `setVoice(name)`.
fn methods(ui: UiState) -> js_sys::Object {
    let obj = js_sys::Object::new();
    let set = |name: &str, f: JsValue| crate::browser::js::set(&obj, name, &f);
    // These closures live as long as the page: the API is never uninstalled.
    set(
        "open",
        Closure::<dyn Fn()>::new(move || ui.set_open(true)).into_js_value(),
    );
    set(
        "close",
        Closure::<dyn Fn()>::new(move || ui.set_open(false)).into_js_value(),
    );
    set(
        "send",
        Closure::<dyn Fn(JsValue)>::new(move |text: JsValue| {
            if let Some(text) = text.as_string() {
                ui.send_from_host(text);
            }
        })
        .into_js_value(),
    );
    set(
        "setVoice",
        Closure::<dyn Fn(JsValue)>::new(move |name: JsValue| {
            ui.chat.choose_voice(name.as_string().unwrap_or_default());
        })
        .into_js_value(),
    );
    obj
}

/// Replaces the loader's queuing stubs with real methods and replays what was queued:
/// `GrokWidget.open()` and the rest address the first widget, `GrokWidget.get(clientId)` any.
pub fn install_host_api(widgets: &[(String, UiState)]) {
    let global = crate::browser::js::value(&window(), GLOBAL);
    let Some((_, first)) = widgets.first() else {
        return;
    };
    if !global.is_object() {
        return;
    }
    let by_id = js_sys::Object::new();
    for (id, ui) in widgets {
        // A second tag for the same client is the first one's widget.
        if crate::browser::js::get(&by_id, id).is_none() {
            crate::browser::js::set(&by_id, id, &methods(*ui));
        }
    }
    let first = methods(*first);
    for name in ["open", "close", "send", "setVoice"] {
        crate::browser::js::set(&global, name, &crate::browser::js::value(&first, name));
    }
    let lookup = by_id.clone();
    crate::browser::js::set(
        &global,
        "get",
        &Closure::<dyn Fn(JsValue) -> JsValue>::new(move |id: JsValue| {
            id.as_string()
                .and_then(|id| crate::browser::js::get(&lookup, &id))
                .unwrap_or(JsValue::UNDEFINED)
        })
        .into_js_value(),
    );
    let queue = crate::browser::js::value(&global, "__q");
    if let Some(queue) = queue.dyn_ref::<js_sys::Array>() {
        for call in queue.iter() {
            let call = js_sys::Array::from(&call);
            let name = call.get(0).as_string().unwrap_or_default();
            let args = js_sys::Array::from(&call.get(1));
            // A call through `get(id)` before the widget was up names its client.
            let target = match call.get(2).as_string() {
                Some(id) => crate::browser::js::value(&by_id, &id),
                None => first.clone().into(),
            };
            if let Some(f) = crate::browser::js::value(&target, &name).dyn_ref::<js_sys::Function>()
            {
                let _ = f.apply(&target, &args);
            }
        }
        queue.set_length(0);
    }
}
