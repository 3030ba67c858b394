//! HTTP routes: what each path answers. HTTP only; calls into `upstream` for x.ai.

mod assets;
mod chat;
mod clients;
mod health;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, header};
use axum::routing::{get, post};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::config::{ClientConfig, Config};
use crate::error::AppError;
use crate::upstream::chat::ChatService;
use crate::upstream::voice::VoiceService;

pub use assets::WidgetAssets;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub clients: Arc<HashMap<String, Arc<ClientConfig>>>,
    pub assets: Arc<Option<WidgetAssets>>,
    pub chat: ChatService,
    pub voice: VoiceService,
}

impl AppState {
    pub fn new(config: Arc<Config>) -> anyhow::Result<Self> {
        let assets = match &config.widget_dir {
            Some(dir) => Some(WidgetAssets::discover(dir)?),
            None => None,
        };
        let clients = config
            .clients
            .iter()
            .map(|c| (c.id.clone(), Arc::new(c.clone())))
            .collect();
        let chat = ChatService::new(&config)?;
        let voice = VoiceService::new(&config)?;
        Ok(Self {
            config,
            clients: Arc::new(clients),
            assets: Arc::new(assets),
            chat,
            voice,
        })
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

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/clients/{client_id}", get(clients::get_client))
        .route("/chat", post(chat::chat))
        .route("/chat/stream", post(chat::chat_stream))
        .fallback(|| async { AppError::NotFound })
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(cors(&state.config));
    Router::new()
        .route("/healthz", get(health::healthz))
        .nest("/api", api)
        .merge(assets::router(&state))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
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
        .allow_headers([header::CONTENT_TYPE])
        .max_age(std::time::Duration::from_secs(600))
}
