//! What can go wrong talking to an upstream, the same for every provider.

use std::time::Duration;

/// What went wrong talking to an upstream (x.ai, OpenAI, Anthropic), with no URL or body text in
/// it: those stay in the logs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UpstreamError {
    #[error("the model provider did not answer in time")]
    Timeout,
    #[error("could not reach the model provider")]
    Connect,
    #[error("the model provider answered HTTP {status}")]
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("the model provider sent a reply the proxy could not read")]
    Malformed,
    #[error("the model provider stopped sending mid-reply")]
    Stalled,
    #[error("the reply exceeded the proxy's size cap")]
    TooLarge,
    #[error("the reply stream ended before it was complete")]
    Truncated,
    #[error("the model provider reported an error mid-reply")]
    MidStream,
    #[error("the model provider could not finish the reply")]
    Failed,
    #[error("the deferred completion did not finish in time")]
    DeferredTimeout,
    #[error("the conversation to continue is unknown or expired")]
    UnknownConversation,
    #[error("the shared conversation store is unreachable")]
    StoreUnavailable,
}

impl UpstreamError {
    /// Maps a reqwest failure without keeping its text (it contains the URL).
    pub fn from_reqwest(e: &reqwest::Error) -> Self {
        if e.is_timeout() {
            UpstreamError::Timeout
        } else if e.is_decode() || e.is_body() {
            UpstreamError::Malformed
        } else {
            UpstreamError::Connect
        }
    }

    /// A short label for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            UpstreamError::Timeout => "timeout",
            UpstreamError::Connect => "connect",
            UpstreamError::Status { .. } => "status",
            UpstreamError::Malformed => "malformed",
            UpstreamError::Stalled => "stalled",
            UpstreamError::TooLarge => "too_large",
            UpstreamError::Truncated => "truncated",
            UpstreamError::MidStream => "mid_stream_error",
            UpstreamError::Failed => "failed",
            UpstreamError::DeferredTimeout => "deferred_timeout",
            UpstreamError::UnknownConversation => "unknown_conversation",
            UpstreamError::StoreUnavailable => "store_unavailable",
        }
    }
}

impl From<reqwest::Error> for UpstreamError {
    fn from(e: reqwest::Error) -> Self {
        UpstreamError::from_reqwest(&e)
    }
}
