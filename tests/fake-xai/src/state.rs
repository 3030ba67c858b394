//! The fake's public knobs (config, faults, records) and the shared mutable state behind them.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::atomic::AtomicU64;

use fake_kit::sse::Pace;
use fake_kit::{Core, Recorded};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::reply::Turn;

pub(crate) use fake_kit::now_unix;

/// How the fake turns text into audio.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpeechMode {
    /// A deterministic 440 Hz tone whose length depends only on the text (see [`crate::tone_samples`]).
    #[default]
    Tone,
    /// Real speech from `espeak-ng --stdout`; falls back to `Tone` when espeak-ng is missing or fails.
    Espeak,
}

/// Artificial latency, all in milliseconds; zero means "as fast as possible".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Delays {
    /// Before the first `*.delta` event of a text stream.
    pub first_token_ms: u64,
    /// Between consecutive `*.delta` events of a text stream.
    pub per_delta_ms: u64,
    /// Before the first audio chunk (realtime, streaming TTS) or the REST TTS answer.
    pub tts_first_audio_ms: u64,
    /// Between consecutive audio chunks.
    pub tts_per_chunk_ms: u64,
}

impl Delays {
    /// Text-stream delays only (no speech delays): the pace tests most often want.
    pub fn text(first_token_ms: u64, per_delta_ms: u64) -> Self {
        Self {
            first_token_ms,
            per_delta_ms,
            ..Self::default()
        }
    }

    /// The text-stream part, for the kit's SSE writer.
    pub(crate) fn pace(self) -> Pace {
        Pace {
            first_token_ms: self.first_token_ms,
            per_delta_ms: self.per_delta_ms,
        }
    }
}

/// Everything the fake needs at start; a reset ([`fake_kit::Server::reset`]) returns to this.
#[derive(Clone, Debug)]
pub struct FakeConfig {
    /// The only bearer accepted (plus the ephemeral realtime secrets the fake issued).
    pub api_key: String,
    pub delays: Delays,
    pub speech: SpeechMode,
    /// Emit `event: <type>` before each `data:` line of `/v1/responses` streams.
    pub sse_event_lines: bool,
    /// End `/v1/responses` streams with `data: [DONE]`.
    pub sse_done: bool,
    /// How many polls of a deferred chat completion answer 202 before the result is ready.
    pub deferred_polls_pending: u32,
    /// The streaming TTS socket speaks words as their text arrives (true), or only once
    /// `text.done` came (false): x.ai's choice is unconfirmed.
    pub tts_stream_incremental: bool,
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            api_key: "xai-fake-key".to_owned(),
            delays: Delays::default(),
            speech: SpeechMode::Tone,
            sse_event_lines: true,
            sse_done: true,
            deferred_polls_pending: 1,
            tts_stream_incremental: true,
        }
    }
}

/// What `GET /v1/api-key` reports, and what the auth gate enforces (403 when blocked or disabled).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApiKeyState {
    pub acls: Vec<String>,
    pub api_key_disabled: bool,
    pub api_key_blocked: bool,
    pub team_blocked: bool,
}

impl Default for ApiKeyState {
    fn default() -> Self {
        Self {
            acls: vec![
                "api-key:model:*".to_owned(),
                "api-key:endpoint:*".to_owned(),
            ],
            api_key_disabled: false,
            api_key_blocked: false,
            team_blocked: false,
        }
    }
}

/// A queued misbehaviour; `path` is an exact request path (`/v1/responses`, `/v1/realtime`,
/// ...) or `*` for any path.
pub type Fault = fake_kit::Fault<FaultKind>;

fake_kit::fault_kinds! {
    /// The misbehaviours the fake can be told to show: the kit's HTTP ones, then its own.
    pub enum FaultKind {
        /// Realtime, the TTS WebSocket and the streamed `/v1/tts` body: cut the connection
        /// after `after_deltas` audio chunks.
        WsDropMidAudio { after_deltas: u32 },
        /// Realtime: answer the next item/response with this `error` event instead of audio.
        WsErrorEvent { code: String, message: String },
        /// Realtime and TTS: extra delay before the first audio delta.
        SlowFirstAudio { ms: u64 },
    }
}

/// One HTTP request as received, recorded even when the fake rejected it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded for RecordedRequest {
    fn path(&self) -> &str {
        &self.path
    }
}

/// One WebSocket connection: its handshake and the client's text messages in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedWs {
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    /// Client text frames parsed as JSON; a frame that is not JSON is kept as a JSON string.
    pub messages: Vec<Value>,
}

/// A stored `/v1/responses` answer and the conversation it closes.
#[derive(Clone, Debug)]
pub struct StoredResponse {
    pub object: Value,
    pub history: Vec<Turn>,
}

/// A deferred chat completion waiting to be polled.
#[derive(Clone, Debug)]
pub struct Deferred {
    pub polls_pending: u32,
    pub completion: Value,
}

/// The fake's own state; the kit's [`Core`] keeps it next to faults, records and stream
/// outcomes, and a reset puts back a clone of the start value.
#[derive(Clone, Debug)]
pub struct Inner {
    pub(crate) config: FakeConfig,
    pub(crate) key_state: ApiKeyState,
    pub(crate) ws: Vec<(u64, RecordedWs)>,
    pub(crate) responses: HashMap<String, StoredResponse>,
    pub(crate) deferred: HashMap<String, Deferred>,
    /// Ephemeral realtime secret -> expiry (unix seconds).
    pub(crate) secrets: HashMap<String, u64>,
}

/// How the SSE streams the fake started have ended so far.
pub use fake_kit::StreamOutcomes;

/// State shared by every handler; identities (team, user, key id) stay fixed for the fake's
/// life. `pub` only because [`crate::FakeXai`] derefs to `fake_kit::Server<Shared>`; the module
/// is private.
#[derive(Debug)]
pub struct Shared {
    pub(crate) core: Core<Shared>,
    pub(crate) team_id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) api_key_id: Uuid,
    /// Never reset, so a socket opened before a reset cannot write into a newer record.
    pub(crate) next_ws_id: AtomicU64,
}

impl Shared {
    pub(crate) fn new(config: FakeConfig) -> Self {
        Self {
            core: Core::new(Inner {
                config,
                key_state: ApiKeyState::default(),
                ws: Vec::new(),
                responses: HashMap::new(),
                deferred: HashMap::new(),
                secrets: HashMap::new(),
            }),
            team_id: Uuid::new_v4(),
            user_id: Uuid::new_v4(),
            api_key_id: Uuid::new_v4(),
            next_ws_id: AtomicU64::new(0),
        }
    }

    pub(crate) fn config(&self) -> FakeConfig {
        self.lock().config.clone()
    }
}

impl Deref for Shared {
    type Target = Core<Shared>;

    fn deref(&self) -> &Core<Shared> {
        &self.core
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_kinds_use_snake_case_tags_for_the_control_channel() {
        let cases = [
            (
                json_of(FaultKind::SlowFirstByte { ms: 5 }),
                "slow_first_byte",
            ),
            (
                json_of(FaultKind::StallMidStream {
                    after_events: 1,
                    ms: u64::MAX,
                }),
                "stall_mid_stream",
            ),
            (
                json_of(FaultKind::DropMidStream { after_events: 1 }),
                "drop_mid_stream",
            ),
            (json_of(FaultKind::MalformedJson), "malformed_json"),
            (
                json_of(FaultKind::MidStreamError { after_events: 2 }),
                "mid_stream_error",
            ),
            (
                json_of(FaultKind::WsDropMidAudio { after_deltas: 3 }),
                "ws_drop_mid_audio",
            ),
            (
                json_of(FaultKind::WsErrorEvent {
                    code: "c".into(),
                    message: "m".into(),
                }),
                "ws_error_event",
            ),
            (
                json_of(FaultKind::SlowFirstAudio { ms: 1 }),
                "slow_first_audio",
            ),
        ];
        for (value, tag) in cases {
            assert_eq!(value["kind"], tag);
            let back: FaultKind = serde_json::from_value(value.clone()).unwrap();
            assert_eq!(json_of(back), value);
        }
    }

    fn json_of(kind: FaultKind) -> Value {
        serde_json::to_value(kind).unwrap()
    }
}
