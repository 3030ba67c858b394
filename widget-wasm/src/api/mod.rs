//! Talks to the proxy.

pub mod chat;
pub mod sse;

use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::boot::{Settings, is_hex_color};
use crate::browser::http::{self, FetchError};
use crate::components::UiState;

fn string_field(obj: &JsValue, key: &str) -> Option<String> {
    js_sys::Reflect::get(obj, &key.into()).ok()?.as_string()
}

fn info_url(proxy_url: &str, client_id: &str) -> String {
    format!("{proxy_url}/api/clients/{client_id}")
}

/// A fresh session token from `GET /api/clients/{id}` (after a `session_invalid`).
pub async fn session_token(proxy_url: &str, client_id: &str) -> Option<String> {
    let info = http::get_json(&info_url(proxy_url, client_id)).await.ok()?;
    string_field(&info, "session_token")
}

/// Fetches `GET /api/clients/{id}` and applies it; `data-*` overrides from the tag win.
pub fn load_client_info(settings: Settings, ui: UiState) {
    leptos::task::spawn_local(async move {
        let url = info_url(&settings.proxy_url, &settings.client_id);
        match http::get_json(&url).await {
            Ok(info) => {
                let chat = ui.chat;
                chat.session_token
                    .set_value(string_field(&info, "session_token"));
                chat.stt_language
                    .set_value(string_field(&info, "stt_language"));
                let voice_enabled = js_sys::Reflect::get(&info, &"voice_enabled".into())
                    .ok()
                    .and_then(|v| v.as_bool())
                    .unwrap_or(true);
                chat.server_voice.set_value(voice_enabled);
                let voices = js_sys::Reflect::get(&info, &"voices".into())
                    .ok()
                    .filter(js_sys::Array::is_array)
                    .map(|a| {
                        js_sys::Array::from(&a)
                            .iter()
                            .filter_map(|v| v.as_string())
                            .collect()
                    })
                    .unwrap_or_default();
                chat.set_voices(voices);
                if settings.title.is_none()
                    && let Some(t) = string_field(&info, "title")
                {
                    ui.title.set(t);
                }
                if let Some(g) = string_field(&info, "greeting") {
                    ui.greeting.set(g);
                }
                if settings.accent_color.is_none()
                    && let Some(c) = string_field(&info, "accent_color").filter(|c| is_hex_color(c))
                {
                    ui.accent.set(c);
                }
                let demo = js_sys::Reflect::get(&info, &"demo_mode".into())
                    .ok()
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false);
                ui.demo_mode.set(demo);
            }
            Err(e) => {
                let text = match e {
                    FetchError::Network => {
                        "The chat service cannot be reached right now.".to_owned()
                    }
                    FetchError::Status {
                        message: Some(m), ..
                    } => m,
                    FetchError::Status { status, .. } => {
                        format!("The chat service answered with error {status}.")
                    }
                    FetchError::Malformed => {
                        "The chat service sent an unexpected answer.".to_owned()
                    }
                };
                crate::browser::log::error(&format!("[widget] {text}"));
                ui.notice.set(Some(text));
            }
        }
    });
}
