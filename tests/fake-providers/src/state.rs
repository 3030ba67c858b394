//! The fake's public knobs (config, faults, records) and the shared state behind them.

use std::collections::HashMap;
use std::ops::Deref;

use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use fake_kit::reply::Turn;
use fake_kit::{Core, Recorded, StatusFault, header_pairs};
use serde::{Deserialize, Serialize};

use crate::errors::{ApiError, Flavor};

/// Artificial latency of text streams, in milliseconds; zero means "as fast as possible".
pub type Delays = fake_kit::sse::Pace;

/// Everything the fake needs at start; a reset ([`fake_kit::Server::reset`]) returns to this.
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

/// A queued misbehaviour; `path` is `/openai/v1/responses`, `/anthropic/v1/messages` or `*`.
pub type Fault = fake_kit::Fault<FaultKind>;

/// The misbehaviours the fake can be told to show: the kit's HTTP ones, as the fake x.ai's.
pub use fake_kit::FaultKind;

/// How the SSE streams the fake started have ended so far.
pub use fake_kit::StreamOutcomes;

/// One HTTP request as received, recorded even when the fake rejected it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded for RecordedRequest {
    fn path(&self) -> &str {
        &self.path
    }
}

/// The fake's own state; the kit's [`Core`] keeps it next to faults and records.
#[derive(Clone, Debug)]
pub struct Inner {
    pub(crate) config: FakeConfig,
    /// OpenAI stored responses: id -> the conversation up to and including that reply.
    pub(crate) responses: HashMap<String, Vec<Turn>>,
}

/// What every handler shares. `pub` only because [`crate::FakeProviders`] derefs to
/// `fake_kit::Server<Shared>`; the module is private.
#[derive(Debug)]
pub struct Shared {
    core: Core<Shared>,
}

impl Shared {
    pub(crate) fn new(config: FakeConfig) -> Self {
        let core = Core::new(Inner {
            config,
            responses: HashMap::new(),
        });
        Self { core }
    }
}

impl Deref for Shared {
    type Target = Core<Shared>;

    fn deref(&self) -> &Core<Shared> {
        &self.core
    }
}

/// The gate knows the providers' paths only; anything else is the router's 404.
fn flavor(parts: &Parts) -> Flavor {
    Flavor::of(parts.uri.path()).unwrap_or(Flavor::OpenAi)
}

impl fake_kit::Fake for Shared {
    type State = Inner;
    type Kind = FaultKind;
    type Request = RecordedRequest;
    type Delays = Delays;
    const NAME: &'static str = "fake-providers";

    /// Only the two providers' prefixes; other paths are the router's plain 404.
    fn gated(path: &str) -> bool {
        Flavor::of(path).is_some()
    }

    fn record(parts: &Parts, body: &[u8]) -> RecordedRequest {
        RecordedRequest {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            headers: header_pairs(&parts.headers),
            body: String::from_utf8_lossy(body).into_owned(),
        }
    }

    fn set_delays(state: &mut Inner, delays: Delays) {
        state.config.delays = delays;
    }

    fn unreadable(&self, parts: &Parts) -> Response {
        ApiError::invalid_request(flavor(parts), "The request body could not be read.")
            .into_response()
    }

    fn refuse(&self, parts: &Parts, _body: &[u8], fault: StatusFault) -> Response {
        ApiError::from_fault(flavor(parts), fault).into_response()
    }

    fn unauthorized(&self, parts: &Parts) -> Option<Response> {
        let checked = crate::server::authorize(self, flavor(parts), parts);
        checked.err().map(IntoResponse::into_response)
    }
}
