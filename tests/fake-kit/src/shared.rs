//! The [`Fake`] trait and [`Core`]: a fake's mutable state behind one lock, next to what every
//! fake keeps (queued faults, recorded requests, stream outcomes) and its stop switch.

use std::collections::VecDeque;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::http::request::Parts;
use axum::response::Response;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::watch;

use crate::fault::{AsHttpFault, Fault, FaultKind};

/// What a fake plugs into the kit: its types and the answers only it knows how to shape.
/// Implemented by the fake's shared state (the `Arc` every handler gets), which derefs to its
/// [`Core`] so handlers call `shared.lock()`, `shared.take_fault(..)` directly.
pub trait Fake: Deref<Target = Core<Self>> + Send + Sync + Sized + 'static {
    /// Names the fake in logs (`fake-xai`).
    const NAME: &'static str;
    /// Config and stores; a reset puts back a clone of the start value.
    type State: Clone + Send + Sync + 'static;
    /// The fake's fault kinds.
    type Kind: AsHttpFault + Clone + Serialize + DeserializeOwned + Send + 'static;
    /// One recorded HTTP request.
    type Request: Recorded + Clone + Serialize + Send + 'static;
    /// What `PUT /_control/delays` and `set_delays` take.
    type Delays: DeserializeOwned + Send + 'static;

    fn set_delays(state: &mut Self::State, delays: Self::Delays);
    /// The record of a request that reached the gate.
    fn record(parts: &Parts, body: &[u8]) -> Self::Request;
    /// The answer to a request whose body could not be read.
    fn unreadable(&self, parts: &Parts) -> Response;
    /// The answer a `Status` fault asks for.
    fn refuse(&self, parts: &Parts, body: &[u8], fault: StatusFault) -> Response;
    /// The answer to a request whose credentials do not pass; `None` lets it through.
    fn unauthorized(&self, parts: &Parts) -> Option<Response>;

    /// Whether the gate handles `path` at all; other paths pass unrecorded and unchecked.
    fn gated(path: &str) -> bool {
        let _ = path;
        true
    }
}

/// A recorded request, as far as the kit reads it.
pub trait Recorded {
    fn path(&self) -> &str;
}

/// A `Status` fault taken at the gate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusFault {
    pub status: u16,
    pub retry_after: Option<u64>,
    /// Sent verbatim instead of the documented error body.
    pub body: Option<String>,
}

/// How the SSE streams the fake started have ended so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StreamOutcomes {
    /// Written to the end (including streams a fault cut short on purpose).
    pub completed: u64,
    /// The client went away before the stream's end: a proxy cancelling upstream shows here.
    pub abandoned: u64,
}

/// Everything that changes while the fake runs; derefs to the fake's own state.
pub struct Records<F: Fake> {
    pub state: F::State,
    pub faults: VecDeque<Fault<F::Kind>>,
    pub requests: Vec<F::Request>,
    pub streams: StreamOutcomes,
}

impl<F: Fake> Records<F> {
    fn new(state: F::State) -> Self {
        Self {
            state,
            faults: VecDeque::new(),
            requests: Vec::new(),
            streams: StreamOutcomes::default(),
        }
    }
}

impl<F: Fake> Deref for Records<F> {
    type Target = F::State;

    fn deref(&self) -> &F::State {
        &self.state
    }
}

impl<F: Fake> DerefMut for Records<F> {
    fn deref_mut(&mut self) -> &mut F::State {
        &mut self.state
    }
}

/// A fake's state, shared by every handler.
pub struct Core<F: Fake> {
    initial: F::State,
    inner: Mutex<Records<F>>,
    shutdown: watch::Sender<bool>,
}

impl<F: Fake> fmt::Debug for Core<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("fake", &F::NAME)
            .field("stopping", &*self.shutdown.borrow())
            .finish_non_exhaustive()
    }
}

/// Long sleeps (a stall of `u64::MAX` ms) are capped so `Instant` arithmetic cannot overflow.
const MAX_SLEEP_MS: u64 = 10 * 365 * 24 * 3600 * 1000;

impl<F: Fake> Core<F> {
    pub fn new(initial: F::State) -> Self {
        Self {
            inner: Mutex::new(Records::new(initial.clone())),
            initial,
            shutdown: watch::Sender::new(false),
        }
    }

    /// A panicking handler must not take the whole fake down with a poisoned lock.
    pub fn lock(&self) -> MutexGuard<'_, Records<F>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Clears faults, records and stores; restores the start state.
    pub fn reset(&self) {
        *self.lock() = Records::new(self.initial.clone());
    }

    pub fn inject(&self, fault: Fault<F::Kind>) {
        if fault.times > 0 {
            self.lock().faults.push_back(fault);
        }
    }

    /// Consumes one use of the first queued fault for `path` whose kind `applies` here.
    pub fn take_fault(&self, path: &str, applies: impl Fn(&F::Kind) -> bool) -> Option<F::Kind> {
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

    /// [`Core::take_fault`] for the kit's HTTP kinds.
    pub fn take_http_fault(
        &self,
        path: &str,
        applies: impl Fn(&FaultKind) -> bool,
    ) -> Option<FaultKind> {
        self.take_fault(path, |k| k.http().is_some_and(|h| applies(&h)))?
            .http()
    }

    /// Number of recorded requests whose path is exactly `path`.
    pub fn count(&self, path: &str) -> usize {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.path() == path)
            .count()
    }

    /// Sleeps `ms`, returning early (false) when the fake shuts down.
    pub async fn pause(&self, ms: u64) -> bool {
        if ms == 0 {
            return true;
        }
        let mut stop = self.stopping();
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(ms.min(MAX_SLEEP_MS))) => true,
            _ = stop.wait_for(|s| *s) => false,
        }
    }

    /// Turns true when the fake shuts down: stalled streams and open sockets end then.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    pub(crate) fn stop(&self) {
        self.shutdown.send_replace(true);
    }
}

/// Seconds since the Unix epoch.
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
