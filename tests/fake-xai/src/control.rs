//! This fake's own `/_control` routes (SSE framing, key state, deferred polls, streaming TTS
//! mode, WebSocket records), next to the kit's (faults, delays, requests, streams, reset).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;

use crate::state::{ApiKeyState, RecordedWs, Shared};

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_control/sse", put(set_sse))
        .route("/_control/api-key", put(set_api_key))
        .route("/_control/deferred", put(set_deferred))
        .route("/_control/tts-stream", put(set_tts_stream))
        .route("/_control/ws", get(ws))
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

#[derive(Debug, Deserialize)]
struct TtsStream {
    incremental: bool,
}

async fn set_tts_stream(
    State(shared): State<Arc<Shared>>,
    Json(mode): Json<TtsStream>,
) -> StatusCode {
    shared.lock().config.tts_stream_incremental = mode.incremental;
    StatusCode::NO_CONTENT
}

async fn ws(State(shared): State<Arc<Shared>>) -> Json<Vec<RecordedWs>> {
    Json(shared.lock().ws.iter().map(|(_, ws)| ws.clone()).collect())
}
