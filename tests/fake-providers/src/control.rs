//! The unauthenticated, unrecorded `/_control` test channel: faults, delays, records.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};

use crate::state::{Delays, Fault, RecordedRequest, Shared, StreamOutcomes};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_control/faults", post(add_fault))
        .route("/_control/delays", put(set_delays))
        .route("/_control/requests", get(requests))
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

async fn requests(State(shared): State<Arc<Shared>>) -> Json<Vec<RecordedRequest>> {
    Json(shared.lock().requests.clone())
}

async fn streams(State(shared): State<Arc<Shared>>) -> Json<StreamOutcomes> {
    Json(shared.lock().streams)
}

async fn reset(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.reset();
    StatusCode::NO_CONTENT
}
