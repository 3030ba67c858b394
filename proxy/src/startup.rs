//! Binds the listener, builds the application and runs it until a shutdown signal.
//!
//! [`Application::build`] binds first and reports the port, so tests can ask for port 0 and
//! learn the real one before any request is made.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;
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
    ///
    /// hyper-util's server is used directly (not `axum::serve`) for the header read timeout: a
    /// client that trickles its headers must not hold a connection open.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let config = Arc::clone(&self.state.config);
        if let Some(admin) = config.admin_listen {
            let listener = TcpListener::bind(admin).await?;
            info!(addr = %listener.local_addr()?, "metrics listening");
            tokio::spawn(async move {
                let _ = axum::serve(listener, routes::metrics_router()).await;
            });
        }
        let app = routes::router(self.state);
        let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(config.header_read_timeout);
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        tokio::pin!(stop);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut stop => break,
            };
            let _ = stream.set_nodelay(true);
            let svc = app
                .clone()
                .map_request(move |mut req: axum::extract::Request<Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    req
                });
            let conn = builder
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc))
                .into_owned();
            let conn = graceful.watch(conn);
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
        drop(self.listener);
        info!("shutdown requested; draining in-flight requests");
        tokio::select! {
            () = graceful.shutdown() => info!("stopped"),
            () = tokio::time::sleep(config.shutdown_grace) => {
                warn!(grace_secs = config.shutdown_grace.as_secs(), "drain deadline passed; closing remaining connections");
            }
        }
        Ok(())
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
