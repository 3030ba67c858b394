//! The proxy: holds the site owner's x.ai key, forwards widget chat turns to Grok, and serves
//! the widget bundle and the demo site.
//!
//! Layout:
//! - [`config`]: TOML file + environment → validated [`config::Config`]; the key stays secret.
//! - [`startup`]: binds the listener (port 0 allowed), builds the router, graceful shutdown.
//! - [`error`]: the one error enum and the one `IntoResponse` for every `/api/*` route.
//! - [`routes`]: HTTP only (health, assets, clients); no reqwest or tungstenite in there.
//! - [`upstream`]: x.ai, OpenAI and Anthropic clients behind one `Provider` trait; base URLs
//!   from config, no axum in there.
//! - [`telemetry`]: log set-up.

pub mod audio;
pub mod client_ip;
pub mod config;
pub mod connections;
pub mod error;
pub mod keycheck;
pub mod limits;
pub mod routes;
pub mod sentences;
pub mod session;
pub mod speech;
pub mod startup;
pub mod telemetry;
pub mod upstream;
