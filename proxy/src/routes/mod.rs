//! HTTP routes: what each path answers. HTTP only; calls into `upstream` for x.ai.

mod admission;
mod assets;
mod chat;
mod clients;
mod contract;
mod embedded;
mod health;
mod images;
mod openapi;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::Semaphore;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::warn;

use crate::config::{ClientConfig, Config};
use crate::error::AppError;
use crate::limits::Limits;
use crate::speech::voice::VoiceService;
use crate::upstream::chat::ChatService;

pub use assets::{Bundle, WidgetAssets};
pub use health::metrics_router;
pub use openapi::document as openapi_document;

/// What every handler can reach: one `Arc`, so a clone is one atomic increment. axum clones
/// the state with every route service it clones, its handler calls, `State` extractors and
/// stateful middleware: 77 times in one `/api/chat` turn (callgrind). Cloning the fields
/// themselves cost a dozen atomic increments and the `String`s inside the upstream and voice
/// clients each time, and dropping them as much again: 17 % of a turn's instructions
/// (docs/benchmarks.md §7).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The state behind [`AppState`]; its fields are reached through `Deref`.
pub struct Shared {
    pub config: Arc<Config>,
    pub clients: Arc<HashMap<String, Arc<ClientConfig>>>,
    pub assets: Arc<Option<WidgetAssets>>,
    pub chat: ChatService,
    pub voice: VoiceService,
    pub limits: Arc<Limits>,
    /// The global cap on upstream calls in flight (chat streams and JSON turns).
    pub upstream_slots: Arc<Semaphore>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub fn new(config: Arc<Config>) -> anyhow::Result<Self> {
        // Install the recorder before the first request records anything.
        crate::telemetry::metrics_handle();
        // widget_dir wins (development, an owner's own build); else what the binary embeds.
        let assets = match &config.widget_dir {
            Some(dir) => Some(WidgetAssets::discover(dir)?),
            None => WidgetAssets::embedded(),
        };
        let clients = config
            .clients
            .iter()
            .map(|c| (c.id.clone(), Arc::new(c.clone())))
            .collect();
        Ok(Self(Arc::new(Shared {
            chat: ChatService::new(&config)?,
            voice: VoiceService::new(&config)?,
            limits: Arc::new(Limits::new(&config)?),
            upstream_slots: Arc::new(Semaphore::new(config.max_concurrent_streams)),
            clients: Arc::new(clients),
            assets: Arc::new(assets),
            config,
        })))
    }

    pub fn client(&self, id: &str) -> Result<Arc<ClientConfig>, AppError> {
        self.clients.get(id).cloned().ok_or_else(|| {
            AppError::UnknownClient(
                id.chars()
                    .take(64)
                    .collect::<String>()
                    .escape_debug()
                    .to_string(),
            )
        })
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/clients/{client_id}", get(clients::get_client))
        .route("/chat", post(chat::chat))
        .route("/chat/stream", post(chat::chat_stream))
        .fallback(|| async { AppError::NotFound })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(state.config.max_request_bytes))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            read_body_in_time,
        ))
        .layer(cors(&state.config))
        .layer(middleware::from_fn(readable_errors));
    let mut app = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/openapi.json", get(openapi::openapi_json))
        .nest("/api", api)
        .merge(assets::router(&state));
    if state.config.admin_listen.is_none() {
        app = app.route("/metrics", get(health::metrics_local_only));
    }
    // Outside /api too: a wrong method is told with the same body (and axum's Allow header).
    app = app.method_not_allowed_fallback(|| async { AppError::MethodNotAllowed });
    app.layer(middleware::from_fn(http_metrics))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(middleware::from_fn(drop_unsafe_request_id))
        .with_state(state)
}

/// Longest `X-Request-Id` taken from a caller.
const MAX_REQUEST_ID: usize = 64;

/// A caller's `X-Request-Id` is kept only when it is short and made of safe characters; anything
/// else is dropped so a fresh one is generated. The id is echoed and written into every log
/// line of the request, so a free-form value would let a visitor forge log fields.
async fn drop_unsafe_request_id(mut req: Request, next: Next) -> Response {
    let safe = |v: &HeaderValue| {
        let b = v.as_bytes();
        !b.is_empty()
            && b.len() <= MAX_REQUEST_ID
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    };
    let headers = req.headers_mut();
    let values: Vec<&HeaderValue> = headers.get_all(&REQUEST_ID).iter().collect();
    let keep = values.len() <= 1 && values.into_iter().all(safe);
    if !keep {
        headers.remove(&REQUEST_ID);
    }
    next.run(req).await
}

/// Reads the whole request body within `body_read_timeout` from the moment its head arrived.
/// A timeout that restarts with every chunk (tower-http's) would let a body trickled in one byte
/// every few seconds hold the connection for hours.
async fn read_body_in_time(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let limit = state.config.max_request_bytes;
    let bytes = match tokio::time::timeout(
        state.config.body_read_timeout,
        axum::body::to_bytes(body, limit),
    )
    .await
    {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return AppError::PayloadTooLarge.into_response(),
        Err(_) => return AppError::BodyTimeout.into_response(),
    };
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// An error answer carries `Access-Control-Allow-Origin` for whatever page asked, so a site the
/// owner has not (yet) allowed reads "this website is not allowed" instead of an opaque network
/// failure. Only errors: a refused origin never gets anything else, and CORS is not what keeps
/// it out (the origin check in every handler is).
async fn readable_errors(req: Request, next: Next) -> Response {
    let origin = req.headers().get(header::ORIGIN).cloned();
    let mut response = next.run(req).await;
    if let Some(origin) = origin
        && response.status().as_u16() >= 400
        && !response
            .headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    {
        let h = response.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.append(header::VARY, HeaderValue::from_static("origin"));
    }
    response
}

/// Refuses a page's origin, and tells the owner which one (at most once a minute for each pair,
/// so a hostile page cannot flood the log).
pub fn refuse_origin(client: &ClientConfig, origin: &str) -> AppError {
    static SEEN: Mutex<Option<HashMap<(String, String), Instant>>> = Mutex::new(None);
    let origin: String = origin.chars().take(200).collect();
    let key = (client.id.clone(), origin);
    let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    let seen = seen.get_or_insert_with(HashMap::new);
    if seen.len() > 1024 {
        seen.clear();
    }
    let due = seen
        .get(&key)
        .is_none_or(|t| t.elapsed() >= std::time::Duration::from_secs(60));
    if due {
        warn!(
            client = %key.0, origin = %key.1.escape_debug(),
            "a page on an origin this client does not allow tried to use it; add the origin to \
             the client's allowed_origins if it is yours"
        );
        seen.insert(key, Instant::now());
    }
    AppError::OriginNotAllowed
}

/// Requests by route and status, and their latency (to the response head, for streams).
async fn http_metrics(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// CORS for `/api/*`: only origins some client allows get an answer to a preflight.
fn cors(config: &Config) -> CorsLayer {
    let allowed: Vec<HeaderValue> = config
        .clients
        .iter()
        .flat_map(|c| c.allowed_origins.iter())
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| {
            allowed.contains(origin)
        }))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            HeaderName::from_static("x-widget-session"),
        ])
        .expose_headers([header::RETRY_AFTER])
        .max_age(std::time::Duration::from_secs(600))
}
