//! The fake's public knobs (config, faults, records) and the shared mutable state behind them.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;
use uuid::Uuid;

use crate::reply::Turn;

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

/// Everything the fake needs at start; [`crate::FakeXai::reset`] returns to this.
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

/// A queued misbehaviour: applies to the next `times` requests to `path` it can apply to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// Exact request path (`/v1/responses`, `/v1/realtime`, ...) or `*` for any path.
    pub path: String,
    #[serde(default = "one")]
    pub times: u32,
    pub kind: FaultKind,
}

fn one() -> u32 {
    1
}

/// The misbehaviours the fake can be told to show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with this status; `body` defaults to the documented x.ai error body for it.
    Status {
        status: u16,
        #[serde(default)]
        retry_after: Option<u64>,
        #[serde(default)]
        body: Option<String>,
    },
    /// Sleep before sending status and headers.
    SlowFirstByte { ms: u64 },
    /// SSE: send `after_events` events, then pause `ms` before continuing.
    StallMidStream { after_events: u32, ms: u64 },
    /// SSE: send `after_events` events, then cut the body without terminating it.
    DropMidStream { after_events: u32 },
    /// JSON: 200 with truncated JSON; SSE: one `data:` line of invalid JSON mid-stream.
    MalformedJson,
    /// SSE: send `after_events` events, then an `error` event, then end.
    MidStreamError { after_events: u32 },
    /// Realtime and TTS WebSockets: close abruptly after `after_deltas` audio deltas.
    WsDropMidAudio { after_deltas: u32 },
    /// Realtime: answer the next item/response with this `error` event instead of audio.
    WsErrorEvent { code: String, message: String },
    /// Realtime and TTS: extra delay before the first audio delta.
    SlowFirstAudio { ms: u64 },
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
pub(crate) struct StoredResponse {
    pub object: Value,
    pub history: Vec<Turn>,
}

/// A deferred chat completion waiting to be polled.
#[derive(Clone, Debug)]
pub(crate) struct Deferred {
    pub polls_pending: u32,
    pub completion: Value,
}

/// Everything that changes while the fake runs.
#[derive(Debug)]
pub(crate) struct Inner {
    pub config: FakeConfig,
    pub key_state: ApiKeyState,
    pub faults: VecDeque<Fault>,
    pub requests: Vec<RecordedRequest>,
    pub ws: Vec<(u64, RecordedWs)>,
    pub responses: HashMap<String, StoredResponse>,
    pub deferred: HashMap<String, Deferred>,
    /// Ephemeral realtime secret -> expiry (unix seconds).
    pub secrets: HashMap<String, u64>,
    pub streams: StreamOutcomes,
}

/// How the SSE streams the fake started have ended so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamOutcomes {
    /// Written to the end (including streams a fault cut short on purpose).
    pub completed: u64,
    /// The client went away before the stream's end: a proxy cancelling upstream shows here.
    pub abandoned: u64,
}

impl Inner {
    fn new(config: FakeConfig) -> Self {
        Self {
            config,
            key_state: ApiKeyState::default(),
            faults: VecDeque::new(),
            requests: Vec::new(),
            ws: Vec::new(),
            responses: HashMap::new(),
            deferred: HashMap::new(),
            secrets: HashMap::new(),
            streams: StreamOutcomes::default(),
        }
    }
}

/// State shared by every handler; identities (team, user, key id) stay fixed for the fake's life.
#[derive(Debug)]
pub(crate) struct Shared {
    initial: FakeConfig,
    inner: Mutex<Inner>,
    pub team_id: Uuid,
    pub user_id: Uuid,
    pub api_key_id: Uuid,
    pub shutdown: watch::Sender<bool>,
    /// Never reset, so a socket opened before a reset cannot write into a newer record.
    pub next_ws_id: AtomicU64,
}

/// Long sleeps (a stall of `u64::MAX` ms) are capped so `Instant` arithmetic cannot overflow.
const MAX_SLEEP_MS: u64 = 10 * 365 * 24 * 3600 * 1000;

impl Shared {
    pub(crate) fn new(config: FakeConfig) -> Self {
        Self {
            initial: config.clone(),
            inner: Mutex::new(Inner::new(config)),
            team_id: Uuid::new_v4(),
            user_id: Uuid::new_v4(),
            api_key_id: Uuid::new_v4(),
            shutdown: watch::Sender::new(false),
            next_ws_id: AtomicU64::new(0),
        }
    }

    /// A panicking handler must not take the whole fake down with a poisoned lock.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn config(&self) -> FakeConfig {
        self.lock().config.clone()
    }

    pub(crate) fn reset(&self) {
        *self.lock() = Inner::new(self.initial.clone());
    }

    pub(crate) fn inject(&self, fault: Fault) {
        if fault.times > 0 {
            self.lock().faults.push_back(fault);
        }
    }

    /// Consumes one use of the first queued fault for `path` whose kind `applies` here.
    pub(crate) fn take_fault(
        &self,
        path: &str,
        applies: impl Fn(&FaultKind) -> bool,
    ) -> Option<FaultKind> {
        let mut inner = self.lock();
        let index = inner
            .faults
            .iter()
            .position(|f| (f.path == path || f.path == "*") && applies(&f.kind))?;
        let fault = inner.faults.get_mut(index)?;
        let kind = fault.kind.clone();
        fault.times -= 1;
        if fault.times == 0 {
            inner.faults.remove(index);
        }
        Some(kind)
    }

    /// Sleeps `ms`, returning early (false) when the fake shuts down.
    pub(crate) async fn pause(&self, ms: u64) -> bool {
        if ms == 0 {
            return true;
        }
        let mut stop = self.shutdown.subscribe();
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(ms.min(MAX_SLEEP_MS))) => true,
            _ = stop.wait_for(|s| *s) => false,
        }
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
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
