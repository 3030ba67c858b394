//! `/healthz` (the process is up), `/readyz` (config loaded, Redis reachable when configured)
//! and `/metrics` (Prometheus). None of them calls x.ai.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::AppState;
use crate::error::Json;

pub async fn healthz(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "status": "ok", "demo_mode": state.config.demo_mode }))
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    let redis = state.config.redis_url.is_some();
    match state.limits.store().ping().await {
        Ok(()) => Json(json!({ "status": "ready", "redis": redis })).into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not_ready", "reason": "redis is unreachable" })),
        )
            .into_response(),
    }
}

fn render() -> Response {
    (
        [("content-type", "text/plain; version=0.0.4")],
        crate::telemetry::metrics_handle().render(),
    )
        .into_response()
}

/// Headers a reverse proxy adds when it forwards a request.
const FORWARDING_HEADERS: &[&str] = &["forwarded", "x-forwarded-for", "x-real-ip", "via"];

/// `/metrics` on the public port answers only a direct loopback peer: spend per client is not
/// for the world. A reverse proxy on the same host is also a loopback peer, so a request that
/// carries any forwarding header came from outside and is refused. Set `admin_listen` to serve
/// metrics elsewhere.
pub async fn metrics_local_only(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let ip = peer.ip();
    let local = ip.is_loopback()
        || matches!(ip, std::net::IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()));
    let forwarded = FORWARDING_HEADERS.iter().any(|h| headers.contains_key(*h));
    if local && !forwarded {
        render()
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

/// The router of the admin listener.
pub fn metrics_router() -> Router {
    Router::new().route("/metrics", get(|| async { render() }))
}
