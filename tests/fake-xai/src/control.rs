//! The unauthenticated, unrecorded `/_control` test channel: faults, delays, key state, records.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;

use crate::state::{ApiKeyState, Delays, Fault, RecordedRequest, RecordedWs, Shared};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_control/faults", post(add_fault))
        .route("/_control/delays", put(set_delays))
        .route("/_control/sse", put(set_sse))
        .route("/_control/api-key", put(set_api_key))
        .route("/_control/deferred", put(set_deferred))
        .route("/_control/requests", get(requests))
        .route("/_control/ws", get(ws))
        .route("/_control/streams", get(streams))
        .route("/_control/reset", post(reset))
        .with_state(shared)
}

async fn add_fault(State(shared): State<Arc<Shared>>, Json(fault): Json<Fault>) -> StatusCode {
    shared.inject(fault);
    StatusCode::NO_CONTENT
}

async fn set_delays(State(shared): State<Arc<Shared>>, Json(delays): Json<Delays>) -> StatusCode {
    shared.lock().config.delays = delays;
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
struct SseFraming {
    event_lines: bool,
    done: bool,
}

async fn set_sse(State(shared): State<Arc<Shared>>, Json(framing): Json<SseFraming>) -> StatusCode {
    let mut inner = shared.lock();
    inner.config.sse_event_lines = framing.event_lines;
    inner.config.sse_done = framing.done;
    StatusCode::NO_CONTENT
}

async fn set_api_key(
    State(shared): State<Arc<Shared>>,
    Json(state): Json<ApiKeyState>,
) -> StatusCode {
    shared.lock().key_state = state;
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
struct DeferredPolls {
    polls_pending: u32,
}

async fn set_deferred(
    State(shared): State<Arc<Shared>>,
    Json(polls): Json<DeferredPolls>,
) -> StatusCode {
    shared.lock().config.deferred_polls_pending = polls.polls_pending;
    StatusCode::NO_CONTENT
}

async fn requests(State(shared): State<Arc<Shared>>) -> Json<Vec<RecordedRequest>> {
    Json(shared.lock().requests.clone())
}

async fn streams(State(shared): State<Arc<Shared>>) -> Json<crate::state::StreamOutcomes> {
    Json(shared.lock().streams)
}

async fn ws(State(shared): State<Arc<Shared>>) -> Json<Vec<RecordedWs>> {
    Json(shared.lock().ws.iter().map(|(_, ws)| ws.clone()).collect())
}

async fn reset(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.reset();
    StatusCode::NO_CONTENT
}
