//! The `fake-providers` binary: flags with `FAKE_PROVIDERS_*` twins, a `listening on` line,
//! serve until signal.

use std::net::SocketAddr;

use clap::Parser;
use fake_providers::{Delays, FakeConfig, FakeProviders};

/// Fake OpenAI (Responses) and Anthropic (Messages) APIs for tests and demo mode.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "FAKE_PROVIDERS_LISTEN", default_value = "127.0.0.1:8091")]
    listen: SocketAddr,
    /// The only OpenAI key accepted.
    #[arg(
        long,
        env = "FAKE_PROVIDERS_OPENAI_API_KEY",
        default_value = "sk-fake-openai-key"
    )]
    openai_api_key: String,
    /// The only Anthropic key accepted.
    #[arg(
        long,
        env = "FAKE_PROVIDERS_ANTHROPIC_API_KEY",
        default_value = "sk-ant-fake-anthropic-key"
    )]
    anthropic_api_key: String,
    #[arg(long, env = "FAKE_PROVIDERS_FIRST_TOKEN_MS", default_value_t = 0)]
    first_token_ms: u64,
    #[arg(long, env = "FAKE_PROVIDERS_PER_DELTA_MS", default_value_t = 0)]
    per_delta_ms: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config = FakeConfig {
        openai_api_key: args.openai_api_key,
        anthropic_api_key: args.anthropic_api_key,
        delays: Delays {
            first_token_ms: args.first_token_ms,
            per_delta_ms: args.per_delta_ms,
        },
    };
    let banner = |fake: &FakeProviders| {
        vec![
            format!("listening on http://{}", fake.addr()),
            format!("OpenAI base URL:    {}", fake.openai_base_url()),
            format!("Anthropic base URL: {}", fake.anthropic_base_url()),
        ]
    };
    let start = FakeProviders::start_on(args.listen, config);
    fake_kit::cli::run(args.listen, start, banner, FakeProviders::shutdown).await
}
