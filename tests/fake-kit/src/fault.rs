//! Queued misbehaviours: [`Fault`], the HTTP [`FaultKind`]s every fake shows, and
//! [`AsHttpFault`], which lets a fake with more kinds (WebSocket ones) use the kit's.

use serde::{Deserialize, Serialize};

/// A queued misbehaviour: applies to the next `times` requests to `path` it can apply to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault<K> {
    /// Exact request path (`/v1/responses`, `/openai/v1/responses`, ...) or `*` for any path.
    pub path: String,
    #[serde(default = "one")]
    pub times: u32,
    pub kind: K,
}

fn one() -> u32 {
    1
}

/// The HTTP misbehaviours every fake can be told to show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with this status; `body` defaults to the fake's documented error body for it.
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
    /// SSE: send `after_events` events, then the API's `error` event, then end.
    MidStreamError { after_events: u32 },
}

impl FaultKind {
    /// Applied by the gate, before authentication.
    pub(crate) fn at_gate(&self) -> bool {
        matches!(self, Self::Status { .. } | Self::SlowFirstByte { .. })
    }

    /// Applied by the next SSE stream.
    pub(crate) fn in_stream(&self) -> bool {
        matches!(
            self,
            Self::StallMidStream { .. }
                | Self::DropMidStream { .. }
                | Self::MalformedJson
                | Self::MidStreamError { .. }
        )
    }
}

/// A fake's fault kind as the kit sees it.
pub trait AsHttpFault {
    /// This kind as one of the kit's HTTP kinds; `None` for a kind only the fake applies.
    fn http(&self) -> Option<FaultKind>;
}

impl AsHttpFault for FaultKind {
    fn http(&self) -> Option<FaultKind> {
        Some(self.clone())
    }
}
