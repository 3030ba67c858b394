//! [`Server`], the running fake, and the gate every API request passes before its handler.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::control;
use crate::fault::{Fault, FaultKind};
use crate::shared::{Core, Fake, StatusFault, StreamOutcomes};

/// `127.0.0.1:0`: the OS picks a free port, which [`Server::addr`] reports.
pub const LOCALHOST_ANY_PORT: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// A running fake; dropping it (or [`Server::shutdown`]) stops it.
#[derive(Debug)]
pub struct Server<F: Fake> {
    addr: SocketAddr,
    shared: Arc<F>,
    task: Option<JoinHandle<()>>,
}

impl<F: Fake> Server<F> {
    /// Binds `addr` and serves the kit's `/_control` routes plus `control` (both unrecorded and
    /// unauthenticated) and `api`, which every request enters through the gate.
    pub async fn start(
        addr: SocketAddr,
        shared: Arc<F>,
        api: Router<Arc<F>>,
        control: Router<Arc<F>>,
    ) -> io::Result<Server<F>> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let api = api.layer(from_fn_with_state(Arc::clone(&shared), gate::<F>));
        let app = control::router::<F>()
            .merge(control)
            .merge(api)
            .with_state(Arc::clone(&shared));
        let mut stop = shared.stopping();
        let task = tokio::spawn(async move {
            // No Nagle, as streaming servers run: a chunk written right after another must not
            // wait for the ACK of the first (a delayed-ACK interval, up to 40 ms).
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await;
            if let Err(error) = served {
                tracing::error!(%error, "{} server stopped", F::NAME);
            }
        });
        tracing::info!(%addr, "{} listening", F::NAME);
        Ok(Server {
            addr,
            shared,
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The state the handlers share.
    pub fn shared(&self) -> &F {
        &self.shared
    }

    pub fn inject(&self, fault: Fault<F::Kind>) {
        self.shared.inject(fault);
    }

    pub fn set_delays(&self, delays: F::Delays) {
        F::set_delays(&mut self.shared.lock(), delays);
    }

    /// Every API request received, in order, rejected ones included.
    pub fn requests(&self) -> Vec<F::Request> {
        self.shared.lock().requests.clone()
    }

    /// Number of recorded requests whose path is exactly `path`.
    pub fn count(&self, path: &str) -> usize {
        self.shared.count(path)
    }

    /// How the SSE streams started so far have ended.
    pub fn stream_outcomes(&self) -> StreamOutcomes {
        self.shared.lock().streams
    }

    /// Clears faults, records and the fake's stores; restores the start config.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Stops accepting, ends stalled streams and open sockets, and waits (briefly) for the server.
    pub async fn shutdown(mut self) {
        self.shared.stop();
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(2), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl<F: Fake> Drop for Server<F> {
    fn drop(&mut self) {
        self.shared.stop();
    }
}

/// Records the request, applies status faults, then authenticates, before any handler runs.
async fn gate<F: Fake>(State(shared): State<Arc<F>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    if !F::gated(&path) {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let Ok(bytes) = axum::body::to_bytes(body, 64 << 20).await else {
        return shared.unreadable(&parts);
    };
    let core: &Core<F> = &shared;
    core.lock().requests.push(F::record(&parts, &bytes));
    tracing::info!(method = %parts.method, %path, "request");

    match core.take_http_fault(&path, FaultKind::at_gate) {
        Some(FaultKind::Status {
            status,
            retry_after,
            body,
        }) => {
            let fault = StatusFault {
                status,
                retry_after,
                body,
            };
            return shared.refuse(&parts, &bytes, fault);
        }
        Some(FaultKind::SlowFirstByte { ms }) => {
            core.pause(ms).await;
        }
        _ => {}
    }

    if let Some(answer) = shared.unauthorized(&parts) {
        return answer;
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Headers as recorded: names and (lossily decoded) values, in order.
pub fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}
