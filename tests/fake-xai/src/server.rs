//! The running fake: the router, what the kit's gate asks of this fake (records, status faults,
//! auth, key state, ACLs) and [`FakeXai`].

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::http::{Method, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use fake_kit::{LOCALHOST_ANY_PORT, Server, StatusFault, header_pairs};
use serde_json::Value;

use crate::errors::ApiError;
use crate::state::{
    ApiKeyState, Delays, FakeConfig, FaultKind, Inner, RecordedRequest, RecordedWs, Shared,
    now_unix,
};
use crate::{account, chat, control, realtime, responses, tts, tts_stream};

/// A running fake x.ai server; dropping it (or [`FakeXai::shutdown`]) stops it. Faults, delays,
/// records and reset are the kit's [`Server`] methods, reached through `Deref`.
#[derive(Debug)]
pub struct FakeXai {
    server: Server<Shared>,
}

impl FakeXai {
    /// Starts on `127.0.0.1` with an OS-chosen port.
    pub async fn start(config: FakeConfig) -> anyhow::Result<FakeXai> {
        Self::start_on(LOCALHOST_ANY_PORT, config).await
    }

    pub async fn start_on(addr: SocketAddr, config: FakeConfig) -> anyhow::Result<FakeXai> {
        let shared = Arc::new(Shared::new(config));
        let server = Server::start(addr, shared, api(), control::router()).await?;
        Ok(FakeXai { server })
    }

    /// `http://127.0.0.1:PORT/v1`, what a client uses as its x.ai base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr())
    }

    pub fn set_sse_framing(&self, event_lines: bool, done: bool) {
        let mut inner = self.shared().lock();
        inner.config.sse_event_lines = event_lines;
        inner.config.sse_done = done;
    }

    pub fn set_api_key_info(&self, info: ApiKeyState) {
        self.shared().lock().key_state = info;
    }

    /// Whether the streaming TTS socket speaks as text arrives or only on `text.done`.
    pub fn set_tts_stream_incremental(&self, incremental: bool) {
        self.shared().lock().config.tts_stream_incremental = incremental;
    }

    /// How many polls of a new deferred completion answer 202 before it is ready.
    pub fn set_deferred_polls_pending(&self, polls: u32) {
        self.shared().lock().config.deferred_polls_pending = polls;
    }

    /// Every WebSocket connection accepted, with the client's messages so far.
    pub fn ws_messages(&self) -> Vec<RecordedWs> {
        self.shared()
            .lock()
            .ws
            .iter()
            .map(|(_, ws)| ws.clone())
            .collect()
    }

    /// Stops accepting, ends stalled streams and open sockets, and waits (briefly) for the server.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

impl Deref for FakeXai {
    type Target = Server<Shared>;

    fn deref(&self) -> &Server<Shared> {
        &self.server
    }
}

/// The x.ai API under `/v1`; the kit puts it behind the gate.
fn api() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1/responses", post(responses::create))
        .route(
            "/v1/responses/{id}",
            get(responses::fetch).delete(responses::delete),
        )
        .route("/v1/chat/completions", post(chat::create))
        .route(
            "/v1/chat/deferred-completion/{id}",
            get(chat::deferred_completion),
        )
        .route("/v1/api-key", get(account::api_key))
        .route("/v1/models", get(account::models))
        .route("/v1/models/{id}", get(account::model))
        .route("/v1/language-models", get(account::language_models))
        .route("/v1/language-models/{id}", get(account::language_model))
        .route("/v1/tokenize-text", post(account::tokenize))
        .route("/v1/realtime/client_secrets", post(realtime::client_secret))
        .route("/v1/realtime", get(realtime::connect))
        .route("/v1/tts", post(tts::speak).get(tts_stream::connect))
        .route("/v1/tts/voices", get(tts::voices))
        .route("/v1/tts/voices/{id}", get(tts::voice))
        .fallback(unknown_url)
}

async fn unknown_url() -> ApiError {
    ApiError::not_found("The requested URL was not found on this server.")
}

impl fake_kit::Fake for Shared {
    const NAME: &'static str = "fake-xai";
    type State = Inner;
    type Kind = FaultKind;
    type Request = RecordedRequest;
    type Delays = Delays;

    fn set_delays(state: &mut Inner, delays: Delays) {
        state.config.delays = delays;
    }

    fn record(parts: &Parts, body: &[u8]) -> RecordedRequest {
        RecordedRequest {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: header_pairs(&parts.headers),
            body: String::from_utf8_lossy(body).into_owned(),
        }
    }

    fn unreadable(&self, _parts: &Parts) -> Response {
        ApiError::invalid_argument("The request body could not be read.").into_response()
    }

    fn refuse(&self, parts: &Parts, body: &[u8], fault: StatusFault) -> Response {
        let model = model_hint(parts, body);
        ApiError::from_fault(fault, &self.team_id, &model).into_response()
    }

    fn unauthorized(&self, parts: &Parts) -> Option<Response> {
        authorize(self, parts)
            .err()
            .map(IntoResponse::into_response)
    }
}

/// The model a request is about, for the 429 message.
fn model_hint(parts: &Parts, body: &[u8]) -> String {
    let from_body = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("model").and_then(Value::as_str).map(str::to_owned));
    let from_query = parts.uri.query().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("model="))
            .map(str::to_owned)
    });
    from_body
        .or(from_query)
        .unwrap_or_else(|| crate::models::DEFAULT_MODEL.to_owned())
}

/// 401 without credentials, 400 for a wrong key, 403 for a blocked key or a missing ACL.
fn authorize(shared: &Shared, parts: &Parts) -> Result<(), ApiError> {
    let path = parts.uri.path();
    // Ephemeral secrets only open WebSockets (realtime, streaming TTS).
    let socket_path = path == "/v1/realtime" || (path == "/v1/tts" && parts.method == Method::GET);
    let inner = shared.lock();
    let secret_valid = |secret: &str| {
        inner
            .secrets
            .get(secret)
            .is_some_and(|expires_at| *expires_at >= now_unix())
    };
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Some(value) = authorization {
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(ApiError::missing_bearer)?;
        if token == inner.config.api_key {
            // fall through to the key state checks
        } else if socket_path && token.starts_with("xai-realtime-client-secret-") {
            if !secret_valid(token) {
                return Err(ApiError::unauthenticated(
                    "Invalid or expired client secret.",
                ));
            }
        } else {
            return Err(ApiError::incorrect_key());
        }
    } else {
        let secret = socket_path
            .then(|| subprotocol_secret(&parts.headers))
            .flatten()
            .ok_or_else(ApiError::missing_bearer)?;
        if !secret_valid(&secret) {
            return Err(ApiError::unauthenticated(
                "Invalid or expired client secret.",
            ));
        }
    }

    if path == "/v1/api-key" {
        // A blocked key can still look itself up.
        return Ok(());
    }
    let state = &inner.key_state;
    if state.team_blocked {
        return Err(ApiError::permission_denied(format!(
            "Your team {} is blocked. Please contact support.",
            shared.team_id
        )));
    }
    if state.api_key_blocked {
        return Err(ApiError::permission_denied(
            "The API key is blocked. Please contact your team administrator.",
        ));
    }
    if state.api_key_disabled {
        return Err(ApiError::permission_denied(
            "The API key is disabled. Enable it in the console (https://console.x.ai) to use it.",
        ));
    }
    if let Some(endpoint) = endpoint_name(path)
        && !acl_allows(&state.acls, "endpoint", endpoint)
    {
        return Err(ApiError::permission_denied(format!(
            "Access to the {endpoint} endpoint is denied. Please check the ACLs of your API key \
             in the console."
        )));
    }
    Ok(())
}

/// The secret in `Sec-WebSocket-Protocol: xai-client-secret.<secret>`.
pub(crate) fn subprotocol_secret(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| {
            p.trim()
                .strip_prefix("xai-client-secret.")
                .map(str::to_owned)
        })
}

/// The ACL name of the endpoint a path belongs to.
fn endpoint_name(path: &str) -> Option<&'static str> {
    let name = if path.starts_with("/v1/responses") || path.starts_with("/v1/chat") {
        "chat"
    } else if path.starts_with("/v1/tokenize-text") {
        "tokenize-text"
    } else if path.starts_with("/v1/models") || path.starts_with("/v1/language-models") {
        "models"
    } else if path.starts_with("/v1/realtime") {
        "realtime"
    } else if path.starts_with("/v1/tts") {
        "tts"
    } else {
        return None;
    };
    Some(name)
}

fn acl_allows(acls: &[String], kind: &str, name: &str) -> bool {
    acls.iter()
        .any(|acl| acl == &format!("api-key:{kind}:*") || acl == &format!("api-key:{kind}:{name}"))
}

/// 403 unless the key's ACLs allow `model` (a canonical id).
pub(crate) fn check_model_acl(shared: &Shared, model: &str) -> Result<(), ApiError> {
    if acl_allows(&shared.lock().key_state.acls, "model", model) {
        Ok(())
    } else {
        Err(ApiError::permission_denied(format!(
            "The API key does not have access to the model {model}. Please check the ACLs of \
             your API key in the console."
        )))
    }
}

/// Registers a WebSocket connection for [`FakeXai::ws_messages`]; returns its id.
pub(crate) fn record_ws(
    shared: &Shared,
    parts_path: &str,
    query: Option<&str>,
    headers: &axum::http::HeaderMap,
) -> u64 {
    let id = shared.next_ws_id.fetch_add(1, Ordering::Relaxed);
    shared.lock().ws.push((
        id,
        RecordedWs {
            path: parts_path.to_owned(),
            query: query.map(str::to_owned),
            headers: header_pairs(headers),
            messages: Vec::new(),
        },
    ));
    id
}

/// Appends a client message to connection `id`'s record.
pub(crate) fn record_ws_message(shared: &Shared, id: u64, message: Value) {
    let mut inner = shared.lock();
    if let Some((_, ws)) = inner.ws.iter_mut().find(|(ws_id, _)| *ws_id == id) {
        ws.messages.push(message);
    }
}
