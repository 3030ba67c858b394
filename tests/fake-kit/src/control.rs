//! The `/_control` routes every fake has: faults, delays, records, reset. Unauthenticated and
//! unrecorded; a fake adds its own next to them (see [`crate::Server::start`]).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};

use crate::fault::Fault;
use crate::shared::{Fake, StreamOutcomes};

pub(crate) fn router<F: Fake>() -> Router<Arc<F>> {
    Router::new()
        .route("/_control/faults", post(add_fault::<F>))
        .route("/_control/delays", put(set_delays::<F>))
        .route("/_control/requests", get(requests::<F>))
        .route("/_control/streams", get(streams::<F>))
        .route("/_control/reset", post(reset::<F>))
}

async fn add_fault<F: Fake>(
    State(shared): State<Arc<F>>,
    Json(fault): Json<Fault<F::Kind>>,
) -> StatusCode {
    shared.inject(fault);
    StatusCode::NO_CONTENT
}

async fn set_delays<F: Fake>(
    State(shared): State<Arc<F>>,
    Json(delays): Json<F::Delays>,
) -> StatusCode {
    F::set_delays(&mut shared.lock(), delays);
    StatusCode::NO_CONTENT
}

async fn requests<F: Fake>(State(shared): State<Arc<F>>) -> Json<Vec<F::Request>> {
    Json(shared.lock().requests.clone())
}

async fn streams<F: Fake>(State(shared): State<Arc<F>>) -> Json<StreamOutcomes> {
    Json(shared.lock().streams)
}

async fn reset<F: Fake>(State(shared): State<Arc<F>>) -> StatusCode {
    shared.reset();
    StatusCode::NO_CONTENT
}
