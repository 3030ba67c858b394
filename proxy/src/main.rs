//! `proxy serve` and `proxy check`: parse flags, load the config once, run.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use proxy::config::{Config, EnvOverrides};
use proxy::routes::WidgetAssets;
use proxy::startup::Application;
use proxy::telemetry::{self, LogFormat};
use proxy::{init, keycheck, modelcheck};
use tracing::{info, warn};

/// mimalloc instead of glibc's malloc, only with `--features mimalloc`: a turn allocates and
/// frees about a thousand small blocks, and mimalloc's thread-local free lists serve them in
/// fewer instructions (callgrind, docs/benchmarks.md §7), but it holds on to far more memory
/// (RSS 18.6 against 10.6 MiB idle, 92.5 against 63.8 MiB with 1,000 streams open), so the
/// default stays glibc's.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Every environment variable the proxy reads, for `--help`.
const ENVIRONMENT: &str = "\
Environment (keys come from here only, never from the file):
  XAI_API_KEY            the x.ai key (required for x.ai clients unless demo mode)
  XAI_BASE_URL           x.ai API root, default https://api.x.ai/v1
  XAI_WS_BASE_URL        voice WebSocket root, default derived from XAI_BASE_URL
  OPENAI_API_KEY         for clients with provider = \"openai\"; OPENAI_BASE_URL overrides its root
  ANTHROPIC_API_KEY      for clients with provider = \"anthropic\"; ANTHROPIC_BASE_URL likewise
  PROXY_CONFIG           the config file (--config)
  PROXY_LISTEN           listen address (--listen)
  PROXY_DEMO_MODE        true: answer from the bundled fake x.ai (see docs/configuration.md)
  PROXY_REDIS_URL        share limits, budgets and conversations between replicas
  PROXY_SESSION_SECRET   32+ characters; signs session tokens (the same on every replica)
  PROXY_WIDGET_DIR       the built widget bundle (overrides widget_dir)
  PROXY_SITE_DIR         a static site to serve (overrides site_dir)
  PROXY_LOG_FORMAT       text | json (--log-format)
  PROXY_RUNTIME          auto | current-thread | multi-thread (--runtime)
  RUST_LOG               log filter, e.g. info or proxy=debug";

#[derive(Parser)]
#[command(
    version,
    about = "Chat widget proxy: holds the x.ai key and serves the widget",
    after_help = ENVIRONMENT
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
    /// The async runtime: one thread for everything (current-thread), a worker per CPU
    /// (multi-thread), or auto: current-thread when the process may run on one CPU only.
    #[arg(
        long,
        global = true,
        env = "PROXY_RUNTIME",
        value_enum,
        default_value = "auto"
    )]
    runtime: RuntimeKind,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum RuntimeKind {
    Auto,
    CurrentThread,
    MultiThread,
}

/// Builds the runtime `kind` asks for. On one CPU (a one-core container, or `taskset -c 0`)
/// the multi-thread scheduler has one worker anyway, and pays for being able to have more:
/// atomic task states, a shared injection queue and a wake-up of the parked worker (a futex)
/// whenever a task is woken from outside it. The current-thread scheduler does the same work
/// without those (count it with `PROXY_RUNTIME=current-thread scripts/bench-instructions`,
/// docs/benchmarks.md §7).
fn runtime(kind: RuntimeKind) -> std::io::Result<tokio::runtime::Runtime> {
    let one_cpu = std::thread::available_parallelism().is_ok_and(|n| n.get() == 1);
    let current = match kind {
        RuntimeKind::Auto => one_cpu,
        RuntimeKind::CurrentThread => true,
        RuntimeKind::MultiThread => false,
    };
    if current {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API, the widget and the demo site (the default).
    Serve,
    /// Validate the configuration and the API key, then exit.
    Check,
    /// Write a commented starter config for one site to --config (never overwrites).
    Init {
        /// A page origin that may embed the widget, e.g. https://shop.example (repeatable).
        #[arg(long = "origin", required = true)]
        origins: Vec<String>,
        /// The site's id: data-client-id in the script tag.
        #[arg(long, default_value = "site")]
        client_id: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Init { origins, client_id }) = &cli.command {
        return match init::write(&cli.config, origins, client_id) {
            Ok(next) => {
                println!("{next}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        };
    }
    telemetry::init(cli.log_format);
    let config = match Config::load(&cli.config, &EnvOverrides::from_process()) {
        Ok(c) => c,
        Err(e) => {
            // Once, on stderr: the log is not set up for a process that never started.
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match runtime(cli.runtime) {
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
            // Written above, before any config was loaded.
            Command::Init { .. } => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config, listen: SocketAddr) -> anyhow::Result<()> {
    announce_mode(&config);
    if let Some(warning) = widget_warning(&config) {
        warn!("{warning}");
    }
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
    let mut problems = Vec::new();
    if let Some(warning) = widget_warning(&config) {
        println!("warning: {warning}");
    }
    if keycheck::has_xai_clients(&config) {
        let client = proxy::upstream::xai::client(&config)?;
        match keycheck::check_key(&client, &config).await {
            Ok(()) => {
                let report = modelcheck::report(&client, &config).await;
                for line in &report.lines {
                    println!("{line}");
                }
                for line in &report.dearer {
                    println!("warning: {line}");
                }
                if !report.unknown.is_empty() {
                    problems.push(format!(
                        "x.ai does not offer model(s) {} to this key",
                        report.unknown.join(", ")
                    ));
                }
                if let Err(p) = modelcheck::check_image_input(&client, &config).await {
                    problems.push(p.to_string());
                }
            }
            Err(e) => problems.push(e.to_string()),
        }
    }
    if config.redis_url.is_some() {
        let limits = proxy::limits::Limits::new(&config)?;
        if limits.store().ping().await.is_err() {
            problems.push(
                "Redis (redis_url / PROXY_REDIS_URL) does not answer; serve would refuse every \
                 turn (fail closed)"
                    .into(),
            );
        }
    }
    for c in &config.clients {
        info!(client = %c.id, model = %c.model, origins = ?c.allowed_origins, "client configured");
    }
    if problems.is_empty() {
        println!(
            "OK: configuration valid, {} client(s){}",
            config.clients.len(),
            if config.redis_url.is_some() {
                ", Redis answers"
            } else {
                ""
            }
        );
        Ok(())
    } else {
        anyhow::bail!("{}", problems.join("\n  and: "))
    }
}

/// Said loudly by `check` and `serve`: a proxy without a widget answers `/widget.js` with 404.
fn widget_warning(config: &Config) -> Option<String> {
    if config.widget_dir.is_some() {
        return None;
    }
    if WidgetAssets::embedded().is_some() {
        info!("serving the widget embedded in this binary (set widget_dir to serve another)");
        return None;
    }
    Some(
        "no widget is served: this binary embeds none and widget_dir is not set, so /widget.js \
         will answer 404. Use a release package (scripts/package), or set widget_dir (or \
         PROXY_WIDGET_DIR) to the built bundle (scripts/build-widget writes target/widget-dist)"
            .to_owned(),
    )
}
