//! The conversation in `localStorage`, one versioned key per client id.
//!
//! Images are never stored: a message keeps at most small JPEG thumbnails, and only the
//! newest [`KEEP_THUMBS`] messages with images keep theirs (older ones keep a placeholder,
//! `""`), so a long conversation of photos cannot fill the site's storage.
//!
//! Stored as JSON written and read with the browser's `JSON` (no serde_json in the bundle).
//! Reading is tolerant: corrupt JSON, a wrong shape or unknown entries give an empty or partial
//! conversation, never a failed start. Storage may be missing or throw (private mode,
//! sandboxed frames, quota): then the widget simply does not remember.

use js_sys::{Array, JSON, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::browser::js;

use super::{Role, Status};

/// Bump when the stored shape changes incompatibly; old keys are then ignored.
pub const VERSION: u32 = 1;
/// How many messages are kept; older ones are dropped first.
pub const MAX_MESSAGES: usize = 200;
/// Messages that keep their image thumbnails in storage; older ones keep placeholders.
pub const KEEP_THUMBS: usize = 8;
/// The longest thumbnail kept (a 128-pixel JPEG is a few KB); anything longer, or not a JPEG
/// data URL, is a placeholder: storage holds no full image, whatever wrote it.
pub const MAX_THUMB_CHARS: usize = 24 * 1024;

/// A stored thumbnail, or the placeholder `""`.
fn thumb_or_placeholder(t: &str) -> &str {
    if t.len() <= MAX_THUMB_CHARS && t.starts_with("data:image/jpeg;base64,") {
        t
    } else {
        ""
    }
}

/// One message as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    /// The message's id, the same in every tab (absent in conversations saved before ids).
    pub id: Option<u64>,
    pub role: Role,
    pub text: String,
    pub status: Status,
    /// Thumbnails of the images sent with it (`""` where only a placeholder is kept).
    pub images: Vec<String>,
}

/// A conversation as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conversation {
    pub previous_response_id: Option<String>,
    pub messages: Vec<Saved>,
    /// Text typed but not sent (a failed send puts it back here).
    pub draft: String,
}

pub fn key(client_id: &str) -> String {
    format!("grokwidget:v{VERSION}:{client_id}")
}

const PREFS_KEY: &str = "grokwidget:v1:prefs";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn set(obj: &Object, k: &str, v: &JsValue) {
    let _ = Reflect::set(obj, &k.into(), v);
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Done => "done",
        Status::Streaming => "streaming",
        Status::Stopped => "stopped",
        Status::Failed => "failed",
        Status::Interrupted => "interrupted",
    }
}

/// Serialises `c` as JSON.
pub fn to_json(c: &Conversation) -> String {
    let obj = Object::new();
    set(&obj, "v", &VERSION.into());
    if let Some(id) = &c.previous_response_id {
        set(&obj, "previous_response_id", &id.into());
    }
    let skip = c.messages.len().saturating_sub(MAX_MESSAGES);
    // Counted from the newest: past KEEP_THUMBS messages with images, placeholders.
    let mut with_images = 0;
    let list: Array = c.messages[skip..]
        .iter()
        .rev()
        .map(|m| {
            with_images += usize::from(!m.images.is_empty());
            let kept_thumbs = with_images <= KEEP_THUMBS;
            let o = Object::new();
            if let Some(id) = m.id {
                set(&o, "id", &(id as f64).into());
            }
            set(&o, "role", &role_name(m.role).into());
            set(&o, "text", &m.text.as_str().into());
            set(&o, "status", &status_name(m.status).into());
            if !m.images.is_empty() {
                let images: Array = m
                    .images
                    .iter()
                    .map(|t| {
                        JsValue::from(if kept_thumbs {
                            thumb_or_placeholder(t)
                        } else {
                            ""
                        })
                    })
                    .collect();
                set(&o, "images", &images);
            }
            JsValue::from(o)
        })
        .collect();
    list.reverse();
    set(&obj, "messages", &list);
    if !c.draft.is_empty() {
        set(&obj, "draft", &c.draft.as_str().into());
    }
    JSON::stringify(&obj)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// Reads what [`to_json`] wrote; `None` if it is not a conversation of this version.
pub fn from_json(json: &str) -> Option<Conversation> {
    let v = JSON::parse(json).ok()?;
    if js::value(&v, "v").as_f64() != Some(f64::from(VERSION)) {
        return None;
    }
    let list = js::value(&v, "messages");
    if !Array::is_array(&list) {
        return None;
    }
    let messages = Array::from(&list)
        .iter()
        .filter_map(|m| {
            let role = match js::value(&m, "role").as_string()?.as_str() {
                "user" => Role::User,
                "assistant" => Role::Assistant,
                _ => return None,
            };
            let status = match js::value(&m, "status").as_string().as_deref() {
                Some("stopped") => Status::Stopped,
                Some("failed") => Status::Failed,
                Some("interrupted") => Status::Interrupted,
                // Still arriving in another tab (a page that loads it marks it interrupted).
                Some("streaming") => Status::Streaming,
                _ => Status::Done,
            };
            Some(Saved {
                id: js::value(&m, "id")
                    .as_f64()
                    .filter(|n| n.fract() == 0.0 && *n >= 0.0 && *n < 9e15)
                    .map(|n| n as u64),
                role,
                text: js::value(&m, "text").as_string()?,
                status,
                images: js::strings(&m, "images")
                    .iter()
                    .map(|t| thumb_or_placeholder(t).to_owned())
                    .collect(),
            })
        })
        .collect();
    Some(Conversation {
        previous_response_id: js::value(&v, "previous_response_id")
            .as_string()
            .filter(|s| !s.is_empty()),
        messages,
        draft: js::value(&v, "draft").as_string().unwrap_or_default(),
    })
}

pub fn load(client_id: &str) -> Conversation {
    let key = key(client_id);
    let Some(raw) = storage().and_then(|s| s.get_item(&key).ok().flatten()) else {
        return Conversation::default();
    };
    from_json(&raw).unwrap_or_else(|| {
        // Corrupt or from an incompatible version: forget it rather than fail every start.
        if let Some(s) = storage() {
            let _ = s.remove_item(&key);
        }
        Conversation::default()
    })
}

pub fn save(client_id: &str, c: &Conversation) {
    let Some(s) = storage() else { return };
    if c.messages.is_empty() && c.previous_response_id.is_none() && c.draft.is_empty() {
        let _ = s.remove_item(&key(client_id));
    } else {
        let _ = s.set_item(&key(client_id), &to_json(c));
    }
}

fn session_key(client_id: &str) -> String {
    format!("grokwidget:v1:session:{client_id}")
}

/// The session token this browser last had for `client_id`: presented again after a reload so
/// the conversation, which the proxy binds to the session, carries on.
pub fn load_session(client_id: &str) -> Option<String> {
    storage()?.get_item(&session_key(client_id)).ok().flatten()
}

pub fn save_session(client_id: &str, token: Option<&str>) {
    if let Some(s) = storage() {
        let _ = match token {
            Some(t) => s.set_item(&session_key(client_id), t),
            None => s.remove_item(&session_key(client_id)),
        };
    }
}

fn prefs() -> Option<JsValue> {
    let raw = storage()?.get_item(PREFS_KEY).ok().flatten()?;
    JSON::parse(&raw).ok().filter(JsValue::is_object)
}

/// A preference of the visitor kept across conversations: `muted` (replies are not spoken),
/// `conversation` (conversation mode).
pub fn load_pref(name: &str) -> bool {
    prefs().is_some_and(|v| js::value(&v, name).is_truthy())
}

pub fn save_pref(name: &str, on: bool) {
    let obj = prefs().unwrap_or_else(|| Object::new().into());
    set(obj.unchecked_ref(), name, &on.into());
    if let (Some(s), Ok(json)) = (storage(), JSON::stringify(&obj)) {
        let _ = s.set_item(PREFS_KEY, &String::from(json));
    }
}
