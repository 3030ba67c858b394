//! The fake's public knobs (config, faults, records) and the shared mutable state behind them.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::reply::Turn;

/// Artificial latency, all in milliseconds; zero means "as fast as possible".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Delays {
    /// Before the first text delta of a stream.
    pub first_token_ms: u64,
    /// Between consecutive text deltas.
    pub per_delta_ms: u64,
}

/// Everything the fake needs at start; [`crate::FakeProviders::reset`] returns to this.
#[derive(Clone, Debug)]
pub struct FakeConfig {
    /// The only OpenAI key accepted (`Authorization: Bearer`).
    pub openai_api_key: String,
    /// The only Anthropic key accepted (`x-api-key`).
    pub anthropic_api_key: String,
    pub delays: Delays,
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            openai_api_key: "sk-fake-openai-key".to_owned(),
            anthropic_api_key: "sk-ant-fake-anthropic-key".to_owned(),
            delays: Delays::default(),
        }
    }
}

/// A queued misbehaviour: applies to the next `times` requests to `path` it can apply to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// Exact request path (`/openai/v1/responses`, `/anthropic/v1/messages`) or `*`.
    pub path: String,
    #[serde(default = "one")]
    pub times: u32,
    pub kind: FaultKind,
}

fn one() -> u32 {
    1
}

/// The misbehaviours the fake can be told to show (the same set as the fake x.ai's HTTP ones).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with this status; `body` defaults to the provider's documented error body.
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
    /// SSE: send `after_events` events, then the provider's `error` event, then end.
    MidStreamError { after_events: u32 },
}

/// One HTTP request as received, recorded even when the fake rejected it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// How the SSE streams the fake started have ended so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamOutcomes {
    /// Written to the end (including streams a fault cut short on purpose).
    pub completed: u64,
    /// The client went away before the stream's end.
    pub abandoned: u64,
}

/// Everything that changes while the fake runs.
#[derive(Debug)]
pub(crate) struct Inner {
    pub config: FakeConfig,
    pub faults: VecDeque<Fault>,
    pub requests: Vec<RecordedRequest>,
    /// OpenAI stored responses: id -> the conversation up to and including that reply.
    pub responses: HashMap<String, Vec<Turn>>,
    pub streams: StreamOutcomes,
}

impl Inner {
    fn new(config: FakeConfig) -> Self {
        Self {
            config,
            faults: VecDeque::new(),
            requests: Vec::new(),
            responses: HashMap::new(),
            streams: StreamOutcomes::default(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Shared {
    initial: FakeConfig,
    inner: Mutex<Inner>,
    pub shutdown: watch::Sender<bool>,
}

/// Long sleeps are capped so `Instant` arithmetic cannot overflow.
const MAX_SLEEP_MS: u64 = 10 * 365 * 24 * 3600 * 1000;

impl Shared {
    pub(crate) fn new(config: FakeConfig) -> Self {
        Self {
            initial: config.clone(),
            inner: Mutex::new(Inner::new(config)),
            shutdown: watch::Sender::new(false),
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
