//! The JSON the widget and the proxy exchange — and nothing else.
//!
//! Serde only, so it builds for `wasm32-unknown-unknown` (the widget) and natively (the proxy).
//! x.ai's own wire types never appear here: they live in the proxy's `upstream/` module, so a
//! change at x.ai never ripples into deployed widgets.
//!
//! Field names of [`ChatRequest`] and [`ChatResponse`] are what existing widgets already send and
//! read; keep them.
//!
//! With the `openapi` feature (the proxy turns it on, the widget never does) every type also
//! derives its OpenAPI schema, from which the proxy writes `/openapi.json`: the published
//! contract is these types, so it cannot drift from them.

#[cfg(feature = "openapi")]
mod openapi;

use serde::{Deserialize, Serialize};

/// `POST /api/chat` and `POST /api/chat/stream` request body.
///
/// Unknown fields are rejected: a visitor must not be able to smuggle `model`, `tools` or
/// `instructions` past the proxy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"client_id": "demo", "message": "Hello"})))]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    /// The site's id: `data-client-id` of the script tag.
    pub client_id: String,
    /// What the visitor typed or said: not blank, at most the site's `max_message_chars`
    /// characters (4,000 unless configured) and `max_input_tokens` tokens.
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub message: String,
    /// Continues a conversation: the `response_id` of its last reply, as this proxy handed it
    /// out to this site (and session).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9._-]{1,128}$"))]
    pub previous_response_id: Option<String>,
    /// One of the client's allowed voices; the client's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    /// Images shown with the message, each a `data:image/png;base64,…` URL (PNG, JPEG, WebP or
    /// GIF; the proxy reads the real type from the file). Only for clients whose
    /// [`ClientInfo::images`] is true; `message` may then be empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// Send each sentence's speech in pieces as it is synthesised (`StreamEvent::Audio`'s
    /// `piece` and `last`). Only for proxies whose [`ClientInfo::audio_pieces`] is true: older
    /// ones refuse the field. Without it each sentence is one clip.
    #[serde(default, skip_serializing_if = "is_false")]
    pub audio_pieces: bool,
    /// The widget's interface language ([`ClientInfo::language`]): the reply's server speech is
    /// in it unless the site configured `stt_language`. A BCP-47 tag such as `fr` or `pt-BR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9-]{1,35}$"))]
    pub language: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `POST /api/chat` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatResponse {
    pub response: String,
    pub response_id: String,
    /// `data:audio/wav;base64,...` of the whole reply, or `null` when speech is off or failed.
    pub audio_url: Option<String>,
    pub usage: Usage,
    /// Why `audio_url` is `null` although the client has voice on, one of [`codes::SPEECH`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = openapi::speech_code))]
    pub tts_error: Option<String>,
}

/// Token usage of one reply, as the widget and site analytics see it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub total_tokens: u64,
    #[serde(default)]
    pub reasoning_tokens: u64,
    /// Price of this reply in US dollars when the proxy knows the model's prices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
}

/// `GET /api/clients/{client_id}`: the public part of a site's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientInfo {
    pub client_id: String,
    pub title: String,
    pub greeting: String,
    /// CSS colour, e.g. `#2563eb`.
    pub accent_color: String,
    pub voice_enabled: bool,
    /// The proxy speaks this site's replies (`audio` events): voice on and a provider with
    /// server speech (x.ai). False for OpenAI and Anthropic clients, whose replies the widget
    /// reads with the browser voice, sentence by sentence as they stream. Older proxies did
    /// not send it: read `voice_enabled` then.
    #[serde(default)]
    pub server_voice: bool,
    pub voices: Vec<String>,
    pub default_voice: String,
    /// BCP-47 language for speech recognition, e.g. `en-GB`.
    pub stt_language: String,
    /// True when the proxy talks to the built-in fake x.ai instead of Grok.
    pub demo_mode: bool,
    /// Visitors may attach images ([`ChatRequest::images`]). Older proxies did not send it.
    #[serde(default)]
    pub images: bool,
    /// Images one message may carry (0 when `images` is false).
    #[serde(default)]
    pub max_images: u32,
    /// Bytes one image file may have (0 when `images` is false).
    #[serde(default)]
    pub max_image_bytes: u64,
    /// When the site requires sessions: send it back as `X-Widget-Session` on chat requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
    /// The proxy can send speech in pieces ([`ChatRequest::audio_pieces`]). Older proxies do
    /// not send it.
    #[serde(default)]
    pub audio_pieces: bool,
    /// The interface language the proxy chose (from `?lang=`, the site's `language`, then
    /// `?prefer=`, else `en`), e.g. `fr`. Older proxies did not send it.
    #[serde(default)]
    pub language: String,
    /// The interface's words in [`ClientInfo::language`], in [`STRING_KEYS`] order, with the
    /// site's overrides; `""` (or a list of another length) means the widget's own English.
    /// Empty for English without overrides.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub strings: Vec<String>,
}

/// Names of the widget's interface strings, in the order of [`ClientInfo::strings`]: the keys
/// of the proxy's catalogues and of `[clients.strings.<lang>]`. Append only: widgets already
/// deployed read the list by position (and ignore one of another length).
pub const STRING_KEYS: [&str; 68] = [
    "open_chat",
    "close_chat",
    "new_conversation",
    "mute",
    "unmute",
    "demo",
    "demo_note",
    "tap_for_sound",
    "message",
    "placeholder",
    "listening",
    "conversation_mode",
    "conversation_hint",
    "voice_input",
    "stop_listening",
    "speak",
    "send",
    "stop",
    "queued",
    "fine_print",
    "cleared",
    "undo",
    "retry",
    "stopped",
    "incomplete",
    "interrupted",
    "not_sent",
    "writing",
    "mic_unsupported",
    "mic_blocked",
    "mic_failed",
    "no_speech",
    "no_mic",
    "mic_network",
    "conversation_off",
    "left_page",
    "too_long",
    "offline",
    "rate_wait",
    "rate_limited",
    "budget",
    "server_error",
    "send_error",
    "cut_off",
    "failed",
    "second",
    "seconds",
    "minutes",
    "attach",
    "attached",
    "preparing",
    "not_an_image",
    "unreadable",
    "too_large",
    "drop_image",
    "sent_image",
    "image_not_kept",
    "one_image",
    "images_max",
    "attached_n",
    "remove_n",
    "unreachable",
    "status_error",
    "malformed",
    "copy_code",
    "copied",
    "copy_failed",
    "scroll_table",
];

/// The one error body every `/api/*` route answers with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable machine-readable code, one of [`codes::ERRORS`].
    #[cfg_attr(feature = "openapi", schema(schema_with = openapi::error_code))]
    pub code: String,
    /// A sentence a visitor can read.
    pub message: String,
    /// Seconds to wait before retrying, when that is known (mirrors `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

/// Events of `POST /api/chat/stream`. Each is sent as one SSE frame whose `event:` line is
/// [`StreamEvent::name`] and whose `data:` line is this enum as JSON (tagged by `type`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// A piece of reply text, relayed as soon as it arrives.
    Delta { text: String },
    /// Speech for one sentence of the reply, in order of `index` (0-based): the whole clip, or
    /// (when the request asked for `audio_pieces`) piece `piece` of it, each a complete WAV to
    /// be played right after the one before. All of a sentence's pieces come before the next
    /// sentence's.
    Audio {
        index: u32,
        text: String,
        audio_url: String,
        /// 0-based; always 0 for a whole clip.
        #[serde(default)]
        piece: u32,
        /// The sentence's audio is complete (always true for a whole clip).
        #[serde(default = "yes")]
        last: bool,
    },
    /// Speech for sentence `index` failed; the widget speaks `text` with the browser voice.
    /// After pieces of that sentence, `text` is only what they did not cover (possibly empty).
    AudioError {
        index: u32,
        text: String,
        #[cfg_attr(feature = "openapi", schema(schema_with = openapi::speech_code))]
        code: String,
    },
    /// The reply is complete.
    Done { response_id: String, usage: Usage },
    /// The turn failed; text already sent stays valid.
    Error {
        #[cfg_attr(feature = "openapi", schema(schema_with = openapi::error_code))]
        code: String,
        message: String,
    },
}

fn yes() -> bool {
    true
}

impl StreamEvent {
    /// Every [`StreamEvent::name`], in the order of the variants.
    pub const NAMES: &'static [&'static str] = &["delta", "audio", "audio_error", "done", "error"];

    /// The SSE `event:` name of this event.
    pub fn name(&self) -> &'static str {
        match self {
            StreamEvent::Delta { .. } => "delta",
            StreamEvent::Audio { .. } => "audio",
            StreamEvent::AudioError { .. } => "audio_error",
            StreamEvent::Done { .. } => "done",
            StreamEvent::Error { .. } => "error",
        }
    }
}

/// Error codes of [`ErrorDetail::code`], [`StreamEvent::Error`] and `tts_error`.
pub mod codes {
    pub const BAD_REQUEST: &str = "bad_request";
    pub const UNKNOWN_CLIENT: &str = "unknown_client";
    pub const NOT_FOUND: &str = "not_found";
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
    pub const INVALID_REQUEST: &str = "invalid_request";
    pub const ORIGIN_NOT_ALLOWED: &str = "origin_not_allowed";
    pub const RATE_LIMITED: &str = "rate_limited";
    pub const BUDGET_EXHAUSTED: &str = "budget_exhausted";
    pub const CONVERSATION_TOO_LONG: &str = "conversation_too_long";
    pub const SESSION_INVALID: &str = "session_invalid";
    pub const UNAVAILABLE: &str = "unavailable";
    pub const CONVERSATION_NOT_FOUND: &str = "conversation_not_found";
    pub const UPSTREAM_ERROR: &str = "upstream_error";
    pub const UPSTREAM_UNAVAILABLE: &str = "upstream_unavailable";
    pub const UPSTREAM_TIMEOUT: &str = "upstream_timeout";
    pub const INTERNAL: &str = "internal";
    pub const TTS_FAILED: &str = "tts_failed";
    pub const TTS_TIMEOUT: &str = "tts_timeout";
    pub const TTS_UNAVAILABLE: &str = "tts_unavailable";
    pub const TTS_TOO_LONG: &str = "tts_too_long";

    /// Every code of [`super::ErrorDetail::code`] and [`super::StreamEvent::Error`].
    pub const ERRORS: &[&str] = &[
        BAD_REQUEST,
        UNKNOWN_CLIENT,
        NOT_FOUND,
        METHOD_NOT_ALLOWED,
        PAYLOAD_TOO_LARGE,
        UNSUPPORTED_MEDIA_TYPE,
        INVALID_REQUEST,
        ORIGIN_NOT_ALLOWED,
        RATE_LIMITED,
        BUDGET_EXHAUSTED,
        CONVERSATION_TOO_LONG,
        SESSION_INVALID,
        UNAVAILABLE,
        CONVERSATION_NOT_FOUND,
        UPSTREAM_ERROR,
        UPSTREAM_UNAVAILABLE,
        UPSTREAM_TIMEOUT,
        INTERNAL,
    ];

    /// Every code of `tts_error` and [`super::StreamEvent::AudioError`].
    pub const SPEECH: &[&str] = &[TTS_FAILED, TTS_TIMEOUT, TTS_UNAVAILABLE, TTS_TOO_LONG];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_request_rejects_fields_the_owner_controls() {
        let err = serde_json::from_str::<ChatRequest>(
            r#"{"client_id":"demo","message":"hi","model":"grok-4"}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown field `model`"), "{err}");
    }

    #[test]
    fn chat_request_keeps_the_legacy_field_names() {
        let req: ChatRequest = serde_json::from_str(
            r#"{"client_id":"demo","message":"hi","previous_response_id":"abc"}"#,
        )
        .unwrap();
        assert_eq!(req.previous_response_id.as_deref(), Some("abc"));
        assert_eq!(req.voice, None);
        assert!(req.images.is_empty());
        let json = serde_json::to_value(&req).unwrap();
        assert!(json.get("images").is_none(), "no images, no field: {json}");
    }

    #[test]
    fn chat_request_carries_images_as_data_urls() {
        let req: ChatRequest = serde_json::from_str(
            r#"{"client_id":"demo","message":"","images":["data:image/png;base64,iVBORw0KGgo="]}"#,
        )
        .unwrap();
        assert_eq!(req.images, ["data:image/png;base64,iVBORw0KGgo="]);
    }

    #[test]
    fn stream_events_are_tagged_by_type_and_named_alike() {
        let ev = StreamEvent::AudioError {
            index: 2,
            text: "Hi.".into(),
            code: "tts_failed".into(),
        };
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["type"], "audio_error");
        assert_eq!(ev.name(), "audio_error");
        let back: StreamEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, ev);
    }

    #[test]
    fn every_stream_event_name_is_listed_in_order() {
        let usage = Usage::default();
        let all = [
            StreamEvent::Delta { text: "Hi".into() },
            StreamEvent::Audio {
                index: 0,
                text: "Hi.".into(),
                audio_url: "data:audio/wav;base64,".into(),
                piece: 0,
                last: true,
            },
            StreamEvent::AudioError {
                index: 0,
                text: "Hi.".into(),
                code: codes::TTS_FAILED.into(),
            },
            StreamEvent::Done {
                response_id: "r1".into(),
                usage,
            },
            StreamEvent::Error {
                code: codes::UPSTREAM_ERROR.into(),
                message: "failed".into(),
            },
        ];
        let names: Vec<&str> = all.iter().map(StreamEvent::name).collect();
        assert_eq!(names, StreamEvent::NAMES);
    }

    #[test]
    fn error_and_speech_codes_are_apart_and_unique() {
        let mut all: Vec<&str> = codes::ERRORS.iter().chain(codes::SPEECH).copied().collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), codes::ERRORS.len() + codes::SPEECH.len());
        assert!(codes::SPEECH.iter().all(|c| c.starts_with("tts_")));
        assert!(!codes::ERRORS.iter().any(|c| c.starts_with("tts_")));
    }

    #[test]
    fn audio_events_without_piece_fields_are_whole_clips() {
        let old: StreamEvent = serde_json::from_str(
            r#"{"type":"audio","index":1,"text":"Hi.","audio_url":"data:audio/wav;base64,"}"#,
        )
        .unwrap();
        assert_eq!(
            old,
            StreamEvent::Audio {
                index: 1,
                text: "Hi.".into(),
                audio_url: "data:audio/wav;base64,".into(),
                piece: 0,
                last: true,
            }
        );
        let req: ChatRequest =
            serde_json::from_str(r#"{"client_id":"demo","message":"hi"}"#).unwrap();
        assert!(!req.audio_pieces);
        let json = serde_json::to_value(&req).unwrap();
        assert!(
            json.get("audio_pieces").is_none(),
            "older proxies refuse it"
        );
    }

    #[test]
    fn chat_response_omits_tts_error_when_absent() {
        let resp = ChatResponse {
            response: "Hello".into(),
            response_id: "r1".into(),
            audio_url: None,
            usage: Usage::default(),
            tts_error: None,
        };
        let json = serde_json::to_value(&resp).unwrap();
        assert!(json.get("tts_error").is_none());
        assert!(json["audio_url"].is_null());
    }
}
