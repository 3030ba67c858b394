//! `/healthz`: the process is up. Never calls x.ai.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AppState;

pub async fn healthz(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "status": "ok", "demo_mode": state.config.demo_mode }))
}
