//! Binds the listener, builds the application and runs it until a shutdown signal.
//!
//! [`Application::build`] binds first and reports the port, so tests can ask for port 0 and
//! learn the real one before any request is made.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;
use tracing::{info, warn};

use crate::config::{Config, KeyCheck};
use crate::connections::{self, ConnectionLimits, WriteDeadline, connections_the_fd_limit_allows};
use crate::routes::{self, AppState};
use crate::{keycheck, modelcheck};

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
                    modelcheck::report(&state.chat.xai, config).await;
                    // A model without image input refuses the config, whatever key_check says.
                    modelcheck::check_image_input(&state.chat.xai, config)
                        .await
                        .map_err(|p| anyhow::anyhow!("{p}; refusing to start"))?;
                }
                Err(problem) if problem.is_definitive() && config.key_check == KeyCheck::Refuse => {
                    anyhow::bail!(
                        "{problem}; refusing to start (set key_check = \"warn\" to start anyway)"
                    );
                }
                Err(problem) => warn!("{problem}; starting anyway"),
            }
        }
        // Prices load in the background; no turn waits for them.
        for client in config.clients.iter() {
            let _ = state.chat.prices(client).await;
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
        let config = Arc::clone(&self.state.config);
        let server = Server::new(&config);
        if let Some(admin) = config.admin_listen {
            let listener = TcpListener::bind(admin).await?;
            info!(addr = %listener.local_addr()?, "metrics listening");
            let admin_server = server.clone();
            tokio::spawn(async move {
                let graceful = GracefulShutdown::new();
                admin_server
                    .accept(
                        listener,
                        routes::metrics_router(),
                        &graceful,
                        std::future::pending(),
                    )
                    .await;
            });
        }
        let app = routes::router(self.state);
        let graceful = GracefulShutdown::new();
        server.accept(self.listener, app, &graceful, stop).await;
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

/// How connections are served: HTTP/1.1 only (browsers reach the proxy through TLS at a
/// balancer, which speaks HTTP/1.1 to it; cleartext HTTP/2 would only serve attackers, whose
/// idle connections hyper's HTTP/1 header timeout closes), with caps and deadlines.
#[derive(Clone)]
struct Server {
    limits: Arc<ConnectionLimits>,
    header_read_timeout: Duration,
    write_timeout: Duration,
}

impl Server {
    fn new(config: &Config) -> Self {
        let fit = connections_the_fd_limit_allows();
        let max_total = config.max_connections.unwrap_or(fit).min(fit);
        if config.max_connections.is_some_and(|n| n > fit) {
            warn!(
                configured = config.max_connections,
                fit,
                "max_connections is above what the open-files limit allows; using the lower figure"
            );
        }
        Self {
            limits: ConnectionLimits::new(
                max_total,
                config.max_connections_per_ip,
                config.trusted_proxies.clone(),
            ),
            header_read_timeout: config.header_read_timeout,
            write_timeout: config.stream_send_timeout,
        }
    }

    /// Accepts until `stop`; each connection is watched by `graceful`.
    async fn accept(
        &self,
        listener: TcpListener,
        app: Router,
        graceful: &GracefulShutdown,
        stop: impl Future<Output = ()>,
    ) {
        // The header timeout runs from the moment the connection is idle (accepted, or done
        // with its last response), so a connection that sends nothing is closed too.
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_read_timeout);
        tokio::pin!(stop);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
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
            let permit = match self.limits.admit(crate::client_ip::canonical(peer.ip())) {
                Ok(p) => p,
                Err(why) => {
                    tokio::spawn(connections::refuse(stream, why));
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let svc = app
                .clone()
                .map_request(move |mut req: axum::extract::Request<Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    req
                });
            let io = TokioIo::new(WriteDeadline::new(stream, self.write_timeout));
            let conn = graceful.watch(builder.serve_connection(io, TowerToHyperService::new(svc)));
            tokio::spawn(async move {
                let _ = conn.await;
                drop(permit);
            });
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
