//! What one TCP connection may hold, so that idle, slow and greedy peers cannot exhaust the
//! process: a cap on connections per address and in all (below the file-descriptor limit, so
//! the proxy answers a clear 503 instead of failing to accept), and a write deadline (a peer
//! that stops reading is dropped with whatever was queued for it). Deadlines on reading the
//! request head and body live in `startup` (hyper's header timeout) and `routes` (the body).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use ipnet::IpNet;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;
use tracing::{info, warn};

/// File descriptors kept free for everything that is not a visitor connection: upstream
/// connections, Redis, logs, the listener itself.
const FD_RESERVE: u64 = 256;

/// Counts of open connections, in all and per address.
pub struct ConnectionLimits {
    max_total: usize,
    max_per_ip: usize,
    /// Peers exempt from the per-address cap: a load balancer carries every visitor.
    trusted: Vec<IpNet>,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Why a connection was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The process is at its connection cap.
    Full,
    /// This address holds its share already.
    PerAddress,
}

impl ConnectionLimits {
    pub fn new(max_total: usize, max_per_ip: usize, trusted: Vec<IpNet>) -> Arc<Self> {
        Arc::new(Self {
            max_total,
            max_per_ip,
            trusted,
            open: Mutex::new(Open::default()),
        })
    }

    pub fn max_total(&self) -> usize {
        self.max_total
    }

    /// Takes a slot for a connection from `ip`; released when the permit drops.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<ConnectionPermit, Refusal> {
        let counted = !self.trusted.iter().any(|n| n.contains(&ip));
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.total >= self.max_total {
            return Err(Refusal::Full);
        }
        if counted {
            let n = open.per_ip.entry(ip).or_default();
            if *n >= self.max_per_ip {
                return Err(Refusal::PerAddress);
            }
            *n += 1;
        }
        open.total += 1;
        metrics::gauge!("http_connections_open").set(open.total as f64);
        Ok(ConnectionPermit {
            limits: Arc::clone(self),
            ip: counted.then_some(ip),
        })
    }
}

/// One admitted connection; gives its slot back when dropped.
pub struct ConnectionPermit {
    limits: Arc<ConnectionLimits>,
    ip: Option<IpAddr>,
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        let mut open = self.limits.open.lock().unwrap_or_else(|p| p.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(ip) = self.ip
            && let Some(n) = open.per_ip.get_mut(&ip)
        {
            *n -= 1;
            if *n == 0 {
                open.per_ip.remove(&ip);
            }
        }
        metrics::gauge!("http_connections_open").set(open.total as f64);
    }
}

/// Answers a refused connection with a short 503 and closes it, without reading the request.
pub async fn refuse(mut stream: TcpStream, why: Refusal) {
    let (counter, message) = match why {
        Refusal::Full => (
            "full",
            "the server is at its connection limit; please try again shortly",
        ),
        Refusal::PerAddress => (
            "per_address",
            "too many open connections from your address; close some and try again",
        ),
    };
    metrics::counter!("http_connections_refused_total", "reason" => counter).increment(1);
    let body = format!(
        r#"{{"error":{{"code":"unavailable","message":"{message}","retry_after_secs":5}}}}"#
    );
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 5\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}

/// Raises the soft limit on open files to the hard limit (where the system allows) and returns
/// how many connections fit below it with [`FD_RESERVE`] to spare.
pub fn connections_the_fd_limit_allows() -> usize {
    let soft = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            warn!(error = %e, "cannot read or raise the open-files limit; assuming 1024");
            1024
        }
    };
    let fit = soft.saturating_sub(FD_RESERVE).max(16);
    info!(
        open_files_limit = soft,
        connections = fit,
        "connection capacity"
    );
    usize::try_from(fit).unwrap_or(usize::MAX)
}

/// A connection whose writes must make progress: a write (or flush) that stays blocked for
/// `timeout`, because the peer stopped reading, fails, and the connection with everything
/// queued for it is dropped.
pub struct WriteDeadline<T> {
    inner: T,
    timeout: Duration,
    blocked: Option<Pin<Box<Sleep>>>,
}

impl<T> WriteDeadline<T> {
    pub fn new(inner: T, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            blocked: None,
        }
    }

    /// Called when a write is pending: arms the deadline, or fails once it has passed.
    fn still_blocked<R>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        let timeout = self.timeout;
        let sleep = self
            .blocked
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                metrics::counter!("http_write_timeouts_total").increment(1);
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the peer stopped reading",
                )))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn progressed<R>(
        &mut self,
        result: Poll<io::Result<R>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<R>> {
        match result {
            Poll::Ready(r) => {
                self.blocked = None;
                Poll::Ready(r)
            }
            Poll::Pending => self.still_blocked(cx),
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteDeadline<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.progressed(result, cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.progressed(result, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = Pin::new(&mut self.inner).poll_flush(cx);
        self.progressed(result, cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.progressed(result, cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_per_address_cap_spares_trusted_proxies_and_slots_come_back() {
        let limits = ConnectionLimits::new(10, 2, vec!["10.0.0.0/8".parse().unwrap()]);
        let visitor: IpAddr = "203.0.113.5".parse().unwrap();
        let a = limits.admit(visitor).unwrap();
        let _b = limits.admit(visitor).unwrap();
        assert_eq!(limits.admit(visitor).err(), Some(Refusal::PerAddress));
        drop(a);
        assert!(
            limits.admit(visitor).is_ok(),
            "a closed connection frees its slot"
        );
        let balancer: IpAddr = "10.0.0.2".parse().unwrap();
        let held: Vec<_> = (0..9).map(|_| limits.admit(balancer).unwrap()).collect();
        assert_eq!(held.len(), 9, "the balancer is not capped per address");
        assert_eq!(limits.admit(balancer).err(), Some(Refusal::Full));
    }
}
