//! `proxy serve` and `proxy check`: parse flags, load the config once, run.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use proxy::config::{Config, EnvOverrides};
use proxy::keycheck;
use proxy::startup::Application;
use proxy::telemetry::{self, LogFormat};
use tracing::{error, info, warn};

#[derive(Parser)]
#[command(
    version,
    about = "Chat widget proxy: holds the x.ai key and serves the widget"
)]
struct Cli {
    /// The TOML configuration file.
    #[arg(
        long,
        short,
        global = true,
        env = "PROXY_CONFIG",
        default_value = "proxy.toml"
    )]
    config: PathBuf,
    /// Log line format.
    #[arg(
        long,
        global = true,
        env = "PROXY_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,
    /// Address to listen on (serve); port 0 picks a free port.
    #[arg(
        long,
        global = true,
        env = "PROXY_LISTEN",
        default_value = "127.0.0.1:8080"
    )]
    listen: SocketAddr,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API, the widget and the demo site (the default).
    Serve,
    /// Validate the configuration and the API key, then exit.
    Check,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    let config = match Config::load(&cli.config, &EnvOverrides::from_process()) {
        Ok(c) => c,
        Err(e) => {
            error!("{e}");
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listen = cli.listen;
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(config, listen).await,
            Command::Check => check(config).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config, listen: SocketAddr) -> anyhow::Result<()> {
    announce_mode(&config);
    let app = Application::build(config, listen).await?;
    info!(addr = %app.addr(), "listening");
    // The one stdout line: scripts and tests read the bound address from it.
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on http://{}", app.addr())?;
    out.flush()?;
    drop(out);
    app.run_until_stopped().await?;
    Ok(())
}

fn announce_mode(config: &Config) {
    if config.demo_mode {
        warn!(
            base_url = %config.base_url,
            "DEMO MODE: answers come from the bundled fake x.ai, not Grok. \
             Set XAI_API_KEY and PROXY_DEMO_MODE=false to talk to Grok."
        );
    } else {
        info!(base_url = %config.base_url, clients = config.clients.len(), "live mode");
    }
}

async fn check(config: Config) -> anyhow::Result<()> {
    announce_mode(&config);
    let client = proxy::upstream::xai::client(&config)?;
    keycheck::check_key(&client, &config).await?;
    let unknown = keycheck::report_models(&client, &config).await;
    for c in &config.clients {
        info!(client = %c.id, model = %c.model, origins = ?c.allowed_origins, "client configured");
    }
    if !unknown.is_empty() {
        anyhow::bail!(
            "x.ai does not offer model(s) {} to this key",
            unknown.join(", ")
        );
    }
    Ok(())
}
