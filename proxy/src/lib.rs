//! The proxy: holds the site owner's x.ai key, forwards widget chat turns to Grok, and serves
//! the widget bundle and the demo site.
//!
//! Layout (no module imports one that imports it back; `scripts/import-cycles` checks):
//! - [`config`]: TOML file + environment → validated [`config::Config`] (raw, env, clients,
//!   voice, providers, secrets); keys stay secret.
//! - [`startup`]: binds the listener (port 0 allowed), serves HTTP/1.1, graceful shutdown.
//! - [`connections`]: per-connection caps and the write deadline.
//! - [`error`]: the one error enum and the one `IntoResponse` for every `/api/*` route.
//! - [`routes`]: HTTP only (chat, admission, clients, health, assets); no reqwest in there.
//! - [`limits`]: rate limits, budgets (reserved, settled by a guard) and reply records; in
//!   memory or in Redis.
//! - [`upstream`]: x.ai, OpenAI and Anthropic behind one `Provider` trait; base URLs from
//!   config, no axum in there.
//! - [`speech`]: reply text in, speech clips out (splitter, caps and prices, pipeline, voice
//!   service, PCM → WAV).
//! - [`images`]: visitors' images: data URLs, the real type from the magic bytes, the
//!   dimensions from the header (pure; fuzzed).
//! - [`keycheck`]: the start-up check of the key; [`modelcheck`]: of the models (offered,
//!   prices, image input, dearer than the fast ones); [`init`]: `proxy init`.
//! - [`session`]: HMAC session tokens; [`client_ip`]: the visitor's address behind proxies.
//! - [`telemetry`]: logs and metrics set-up.

pub mod client_ip;
pub mod config;
pub mod connections;
pub mod error;
pub mod images;
pub mod init;
pub mod keycheck;
pub mod limits;
pub mod modelcheck;
pub mod routes;
pub mod session;
pub mod speech;
pub mod startup;
pub mod telemetry;
pub mod upstream;
