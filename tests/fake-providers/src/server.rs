//! The running fake: binding, router, the gate (record, status faults, auth) and
//! [`FakeProviders`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, request::Parts};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::errors::{ApiError, Flavor};
use crate::state::{Delays, FakeConfig, Fault, FaultKind, RecordedRequest, Shared, StreamOutcomes};
use crate::{ANTHROPIC_MESSAGES, OPENAI_RESPONSES, anthropic, control, openai};

/// A running fake; dropping it (or [`FakeProviders::shutdown`]) stops it.
#[derive(Debug)]
pub struct FakeProviders {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: Option<JoinHandle<()>>,
}

impl FakeProviders {
    /// Starts on `127.0.0.1` with an OS-chosen port.
    pub async fn start(config: FakeConfig) -> anyhow::Result<FakeProviders> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
    }

    pub async fn start_on(addr: SocketAddr, config: FakeConfig) -> anyhow::Result<FakeProviders> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config));
        let app = router(Arc::clone(&shared));
        let mut stop = shared.shutdown.subscribe();
        let server = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await;
            if let Err(error) = served {
                tracing::error!(%error, "fake-providers server stopped");
            }
        });
        tracing::info!(%addr, "fake-providers listening");
        Ok(FakeProviders {
            addr,
            shared,
            server: Some(server),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/openai/v1`, what a client uses as its OpenAI base URL.
    pub fn openai_base_url(&self) -> String {
        format!("http://{}/openai/v1", self.addr)
    }

    /// `http://127.0.0.1:PORT/anthropic/v1`, what a client uses as its Anthropic base URL.
    pub fn anthropic_base_url(&self) -> String {
        format!("http://{}/anthropic/v1", self.addr)
    }

    pub fn inject(&self, fault: Fault) {
        self.shared.inject(fault);
    }

    pub fn set_delays(&self, d: Delays) {
        self.shared.lock().config.delays = d;
    }

    /// Every API request received, in order, rejected ones included.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Number of recorded requests whose path is exactly `path`.
    pub fn count(&self, path: &str) -> usize {
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| r.path == path)
            .count()
    }

    /// How the SSE streams started so far have ended.
    pub fn stream_outcomes(&self) -> StreamOutcomes {
        self.shared.lock().streams
    }

    /// Clears faults, records and stored responses; restores the start config.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Stops accepting, ends stalled streams, and waits (briefly) for the server.
    pub async fn shutdown(mut self) {
        self.shared.shutdown.send_replace(true);
        if let Some(mut server) = self.server.take()
            && tokio::time::timeout(Duration::from_secs(2), &mut server)
                .await
                .is_err()
        {
            server.abort();
        }
    }
}

impl Drop for FakeProviders {
    fn drop(&mut self) {
        self.shared.shutdown.send_replace(true);
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route(OPENAI_RESPONSES, post(openai::create))
        .route(ANTHROPIC_MESSAGES, post(anthropic::create))
        .fallback(unknown_url)
        .layer(from_fn_with_state(Arc::clone(&shared), gate))
        .with_state(Arc::clone(&shared));
    control::router(shared).merge(api)
}

async fn unknown_url(request: Request) -> Response {
    let path = request.uri().path().to_owned();
    match Flavor::of(&path) {
        Some(flavor) => ApiError::new(
            flavor,
            StatusCode::NOT_FOUND,
            if flavor == Flavor::OpenAi {
                "invalid_request_error"
            } else {
                "not_found_error"
            },
            format!("Invalid URL (POST {path})"),
        )
        .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Records the request, applies status faults, then authenticates, before any handler runs.
async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let Some(flavor) = Flavor::of(&path) else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let Ok(bytes) = axum::body::to_bytes(body, 64 << 20).await else {
        return ApiError::invalid_request(flavor, "The request body could not be read.")
            .into_response();
    };
    shared.lock().requests.push(RecordedRequest {
        method: parts.method.to_string(),
        path: path.clone(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    });
    tracing::info!(method = %parts.method, %path, "request");

    match shared.take_fault(&path, |k| {
        matches!(
            k,
            FaultKind::Status { .. } | FaultKind::SlowFirstByte { .. }
        )
    }) {
        Some(FaultKind::Status {
            status,
            retry_after,
            body,
        }) => {
            return ApiError::from_fault(flavor, status, retry_after, body).into_response();
        }
        Some(FaultKind::SlowFirstByte { ms }) => {
            shared.pause(ms).await;
        }
        _ => {}
    }

    if let Err(error) = authorize(&shared, flavor, &parts) {
        return error.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// OpenAI: `Authorization: Bearer`. Anthropic: `x-api-key` and `anthropic-version`.
fn authorize(shared: &Shared, flavor: Flavor, parts: &Parts) -> Result<(), ApiError> {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let config = shared.config();
    match flavor {
        Flavor::OpenAi => {
            let token = header("authorization")
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
                .map(str::trim);
            match token {
                None => Err(ApiError::bad_key(flavor, true)),
                Some(t) if t == config.openai_api_key => Ok(()),
                Some(_) => Err(ApiError::bad_key(flavor, false)),
            }
        }
        Flavor::Anthropic => {
            match header("x-api-key") {
                None => return Err(ApiError::bad_key(flavor, true)),
                Some(k) if k == config.anthropic_api_key => {}
                Some(_) => return Err(ApiError::bad_key(flavor, false)),
            }
            if header("anthropic-version").is_none() {
                return Err(ApiError::invalid_request(
                    flavor,
                    "anthropic-version: header is required",
                ));
            }
            Ok(())
        }
    }
}
