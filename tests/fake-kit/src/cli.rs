//! A fake binary's `main`: logs to stderr, the `listening on` line on stdout, serve until
//! Ctrl-C or SIGTERM, then a graceful stop.

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;

/// Starts the fake, prints `banner` (its first line `listening on http://ADDR`, which scripts
/// and harnesses wait for), serves until a signal, then `stop`s it.
pub async fn run<T, Stopped>(
    listen: SocketAddr,
    start: impl Future<Output = anyhow::Result<T>>,
    banner: impl FnOnce(&T) -> Vec<String>,
    stop: impl FnOnce(T) -> Stopped,
) -> anyhow::Result<()>
where
    Stopped: Future<Output = ()>,
{
    init_tracing();
    let fake = start
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let mut stdout = std::io::stdout();
    for line in banner(&fake) {
        writeln!(stdout, "{line}")?;
    }
    stdout.flush()?;
    shutdown_signal().await;
    tracing::info!("shutting down");
    stop(fake).await;
    Ok(())
}

/// Logs to stderr (colours only on a terminal), `RUST_LOG` or `info`.
fn init_tracing() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
