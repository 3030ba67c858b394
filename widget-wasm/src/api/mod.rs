//! Talks to the proxy and returns what it said: no signals are set here (the state does that).

pub mod chat;
pub mod sse;

use wasm_bindgen::JsValue;

use crate::browser::http::{self, FetchError};
use crate::browser::js;
use crate::settings::is_hex_color;

fn info_url(proxy_url: &str, client_id: &str) -> String {
    format!("{proxy_url}/api/clients/{client_id}")
}

/// A fresh session token from `GET /api/clients/{id}` (after a `session_invalid`).
pub async fn session_token(proxy_url: &str, client_id: &str) -> Option<String> {
    let info = http::get_json(&info_url(proxy_url, client_id), &[])
        .await
        .ok()?;
    js::string(&info, "session_token")
}

/// A site's public settings, as `GET /api/clients/{id}` gives them (`protocol::ClientInfo`,
/// read without serde to keep it out of the bundle).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClientInfo {
    pub title: Option<String>,
    pub greeting: Option<String>,
    /// Only a `#rgb`/`#rrggbb` colour is kept.
    pub accent_color: Option<String>,
    pub voice_enabled: bool,
    /// The proxy sends `audio` events for this site's replies.
    pub server_voice: bool,
    pub voices: Vec<String>,
    pub stt_language: Option<String>,
    pub demo_mode: bool,
    /// Visitors may attach images: how many to a message, and how large each may be.
    pub images: bool,
    pub max_images: u32,
    pub max_image_bytes: u64,
    pub session_token: Option<String>,
    /// The proxy can send speech in pieces (ask with `audio_pieces` on each turn).
    pub audio_pieces: bool,
    /// The interface language the proxy chose, and its words (see [`crate::i18n`]).
    pub language: Option<String>,
    pub strings: Vec<String>,
}

impl ClientInfo {
    pub fn from_js(info: &JsValue) -> Self {
        let voice_enabled = js::boolean(info, "voice_enabled").unwrap_or(true);
        Self {
            title: js::string(info, "title"),
            greeting: js::string(info, "greeting"),
            accent_color: js::string(info, "accent_color").filter(|c| is_hex_color(c)),
            voice_enabled,
            server_voice: js::boolean(info, "server_voice").unwrap_or(voice_enabled),
            voices: js::strings(info, "voices"),
            stt_language: js::string(info, "stt_language"),
            demo_mode: js::boolean(info, "demo_mode").unwrap_or(false),
            images: js::boolean(info, "images").unwrap_or(false),
            max_images: js::count(info, "max_images") as u32,
            max_image_bytes: js::count(info, "max_image_bytes"),
            session_token: js::string(info, "session_token"),
            audio_pieces: js::boolean(info, "audio_pieces").unwrap_or(false),
            language: js::string(info, "language").filter(|l| !l.is_empty()),
            strings: js::strings(info, "strings"),
        }
    }
}

/// Why `GET /api/clients/{id}` failed: the words for it are the caller's (its language).
pub enum InfoError {
    /// The proxy's own message.
    Said(String),
    Unreachable,
    Status(u16),
    Malformed,
}

/// `GET /api/clients/{id}?lang=…&prefer=…`, presenting the session token a reload kept (so the
/// session and its conversation carry on). `lang`: `data-lang`; `prefer`: the page's and the
/// browser's languages, comma-separated (the proxy picks the interface language from them).
pub async fn client_info(
    proxy_url: &str,
    client_id: &str,
    kept_token: Option<&str>,
    lang: &str,
    prefer: &str,
) -> Result<ClientInfo, InfoError> {
    let headers: Vec<(&str, &str)> = kept_token
        .map(|t| ("x-widget-session", t))
        .into_iter()
        .collect();
    let url = info_url(proxy_url, client_id)
        + "?lang="
        + &String::from(js_sys::encode_uri_component(lang))
        + "&prefer="
        + &String::from(js_sys::encode_uri_component(prefer));
    match http::get_json(&url, &headers).await {
        Ok(info) => Ok(ClientInfo::from_js(&info)),
        Err(e) => Err(match e {
            FetchError::Network => InfoError::Unreachable,
            FetchError::Status {
                message: Some(m), ..
            } => InfoError::Said(m),
            FetchError::Status { status, .. } => InfoError::Status(status),
            FetchError::Malformed => InfoError::Malformed,
        }),
    }
}
