//! The running fake: the router, authentication, and [`FakeProviders`].

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use fake_kit::{LOCALHOST_ANY_PORT, Server};

use crate::errors::{ApiError, Flavor};
use crate::state::{FakeConfig, Shared};
use crate::{ANTHROPIC_MESSAGES, OPENAI_RESPONSES, anthropic, openai};

/// A running fake; dropping it (or [`FakeProviders::shutdown`]) stops it. Faults, delays,
/// records and reset are the kit's [`Server`] methods, reached through `Deref`.
#[derive(Debug)]
pub struct FakeProviders {
    server: Server<Shared>,
}

impl Deref for FakeProviders {
    type Target = Server<Shared>;

    fn deref(&self) -> &Server<Shared> {
        &self.server
    }
}

impl FakeProviders {
    /// Starts on `127.0.0.1` with an OS-chosen port.
    pub async fn start(config: FakeConfig) -> anyhow::Result<FakeProviders> {
        Self::start_on(LOCALHOST_ANY_PORT, config).await
    }

    pub async fn start_on(addr: SocketAddr, config: FakeConfig) -> anyhow::Result<FakeProviders> {
        let api = Router::new()
            .route(OPENAI_RESPONSES, post(openai::create))
            .route(ANTHROPIC_MESSAGES, post(anthropic::create))
            .fallback(unknown_url);
        let shared = Arc::new(Shared::new(config));
        let server = Server::start(addr, shared, api, Router::new()).await?;
        Ok(FakeProviders { server })
    }

    /// `http://127.0.0.1:PORT/openai/v1`, what a client uses as its OpenAI base URL.
    pub fn openai_base_url(&self) -> String {
        format!("http://{}/openai/v1", self.addr())
    }

    /// `http://127.0.0.1:PORT/anthropic/v1`, what a client uses as its Anthropic base URL.
    pub fn anthropic_base_url(&self) -> String {
        format!("http://{}/anthropic/v1", self.addr())
    }

    /// Stops accepting, ends stalled streams, and waits (briefly) for the server.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
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

/// OpenAI: `Authorization: Bearer`. Anthropic: `x-api-key` and `anthropic-version`.
pub(crate) fn authorize(shared: &Shared, flavor: Flavor, parts: &Parts) -> Result<(), ApiError> {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let inner = shared.lock();
    let config = &inner.config;
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
