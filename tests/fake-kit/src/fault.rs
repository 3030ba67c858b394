//! Queued misbehaviours: [`Fault`], the HTTP [`FaultKind`]s every fake shows, and
//! [`fault_kinds!`], which gives a fake with more kinds (WebSocket ones) the same HTTP ones.

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

/// Defines a fault-kind enum: the kit's HTTP kinds (the names, fields, docs and `kind` tags of
/// [`FaultKind`]) followed by the fake's own, and its [`AsHttpFault`] impl. So a fake with more
/// kinds keeps one flat enum, and the HTTP ones are written once. The crate that uses it
/// depends on `serde`.
#[macro_export]
macro_rules! fault_kinds {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident $({ $($field:ident : $ty:ty),* $(,)? })?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        $vis enum $name {
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
            $(
                $(#[$variant_meta])*
                $variant $({ $($field: $ty),* })?,
            )*
        }

        impl $crate::AsHttpFault for $name {
            fn http(&self) -> Option<$crate::FaultKind> {
                use $crate::FaultKind as Http;
                Some(match self.clone() {
                    Self::Status {
                        status,
                        retry_after,
                        body,
                    } => Http::Status {
                        status,
                        retry_after,
                        body,
                    },
                    Self::SlowFirstByte { ms } => Http::SlowFirstByte { ms },
                    Self::StallMidStream { after_events, ms } => {
                        Http::StallMidStream { after_events, ms }
                    }
                    Self::DropMidStream { after_events } => Http::DropMidStream { after_events },
                    Self::MalformedJson => Http::MalformedJson,
                    Self::MidStreamError { after_events } => Http::MidStreamError { after_events },
                    $(Self::$variant { .. } => return None,)*
                })
            }
        }
    };
}

fault_kinds! {
    /// The HTTP misbehaviours every fake can be told to show.
    pub enum FaultKind {}
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

/// A fake's fault kind as the kit sees it; [`fault_kinds!`] writes the impl.
pub trait AsHttpFault {
    /// This kind as one of the kit's HTTP kinds; `None` for a kind only the fake applies.
    fn http(&self) -> Option<FaultKind>;
}
