//! Binds the listener, builds the application and runs it until a shutdown signal.
//!
//! [`Application::build`] binds first and reports the port, so tests can ask for port 0 and
//! learn the real one before any request is made.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tracing::{info, warn};

use crate::config::{Config, KeyCheck};
use crate::keycheck;
use crate::routes::{self, AppState};

pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    state: AppState,
}

impl Application {
    /// Validates what the config points at (widget bundle, site), checks the API key unless
    /// `key_check = "off"`, and binds `listen`.
    pub async fn build(config: Config, listen: SocketAddr) -> anyhow::Result<Self> {
        let state = AppState::new(Arc::new(config))?;
        let config = &state.config;
        if config.key_check != KeyCheck::Off {
            match keycheck::check_key(&state.chat.xai, config).await {
                Ok(()) => {
                    keycheck::report_models(&state.chat.xai, config).await;
                }
                Err(problem) if problem.is_definitive() && config.key_check == KeyCheck::Refuse => {
                    anyhow::bail!(
                        "{problem}; refusing to start (set key_check = \"warn\" to start anyway)"
                    );
                }
                Err(problem) => warn!("{problem}; starting anyway"),
            }
        }
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
        let addr = listener.local_addr()?;
        Ok(Self {
            listener,
            addr,
            state,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Serves until SIGTERM or Ctrl-C, then drains (see [`Application::run_until`]).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes. Then it stops accepting connections and lets in-flight
    /// requests (streams included) finish, for at most the configured grace period.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let grace = self.state.config.shutdown_grace;
        let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
        let app = routes::router(self.state);
        let mut graceful_rx = stopping_tx.subscribe();
        let server = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = graceful_rx.wait_for(|s| *s).await;
        });
        tokio::spawn(async move {
            stop.await;
            info!("shutdown requested; draining in-flight requests");
            let _ = stopping_tx.send(true);
        });
        let deadline = async move {
            let _ = stopping_rx.wait_for(|s| *s).await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = server => {
                info!("stopped");
                result
            }
            () = deadline => {
                warn!(grace_secs = grace.as_secs(), "drain deadline passed; closing remaining connections");
                Ok(())
            }
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
