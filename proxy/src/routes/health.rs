//! `/healthz` (the process is up), `/readyz` (config loaded, Redis reachable when configured)
//! and `/metrics` (Prometheus). None of them calls x.ai.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use crate::error::Json;

/// `GET /healthz`: the process is up.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(pattern = "^ok$")]
    pub status: &'static str,
    /// The proxy answers from the bundled fake x.ai, not Grok.
    pub demo_mode: bool,
}

/// `GET /readyz` when the proxy can serve turns.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    /// Always `ready`.
    #[schema(pattern = "^ready$")]
    pub status: &'static str,
    /// Limits and conversations are shared through Redis (and it answers).
    pub redis: bool,
}

/// `GET /readyz` when it cannot: the load balancer should send visitors elsewhere.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotReady {
    /// Always `not_ready`.
    #[schema(pattern = "^not_ready$")]
    pub status: &'static str,
    /// What is missing, for the operator.
    pub reason: String,
}

#[utoipa::path(
    get, path = "/healthz", tag = "health",
    summary = "Whether the process is up (it never calls x.ai)",
    responses((status = 200, description = "Up", body = Health)),
)]
pub async fn healthz(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        demo_mode: state.config.demo_mode,
    })
}

#[utoipa::path(
    get, path = "/readyz", tag = "health",
    summary = "Whether the proxy can serve turns (Redis reachable when configured)",
    responses(
        (status = 200, description = "Ready", body = Ready),
        (status = 503, description = "Not ready: Redis does not answer", body = NotReady),
    ),
)]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let redis = state.config.redis_url.is_some();
    match state.limits.store().ping().await {
        Ok(()) => Json(Ready {
            status: "ready",
            redis,
        })
        .into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(NotReady {
                status: "not_ready",
                reason: "redis is unreachable".into(),
            }),
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
