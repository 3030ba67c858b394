//! The `fake-xai` binary: flags with `FAKE_XAI_*` twins, a `listening on` line, serve until signal.

use std::net::SocketAddr;

use clap::{Parser, ValueEnum};
use fake_xai::{Delays, FakeConfig, FakeXai, SpeechMode};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Speech {
    Tone,
    Espeak,
}

/// A fake api.x.ai for tests and demo mode.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "FAKE_XAI_LISTEN", default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// The only API key accepted.
    #[arg(long, env = "FAKE_XAI_API_KEY", default_value = "xai-fake-key")]
    api_key: String,
    /// How speech is produced: a deterministic tone, or espeak-ng if installed.
    #[arg(long, env = "FAKE_XAI_SPEECH", value_enum, default_value = "tone")]
    speech: Speech,
    #[arg(long, env = "FAKE_XAI_FIRST_TOKEN_MS", default_value_t = 0)]
    first_token_ms: u64,
    #[arg(long, env = "FAKE_XAI_PER_DELTA_MS", default_value_t = 0)]
    per_delta_ms: u64,
    #[arg(long, env = "FAKE_XAI_TTS_FIRST_AUDIO_MS", default_value_t = 0)]
    tts_first_audio_ms: u64,
    #[arg(long, env = "FAKE_XAI_TTS_PER_CHUNK_MS", default_value_t = 0)]
    tts_per_chunk_ms: u64,
    /// Emit `event:` lines in /v1/responses streams.
    #[arg(long, env = "FAKE_XAI_SSE_EVENT_LINES", default_value_t = true, action = clap::ArgAction::Set)]
    sse_event_lines: bool,
    /// End /v1/responses streams with `data: [DONE]`.
    #[arg(long, env = "FAKE_XAI_SSE_DONE", default_value_t = true, action = clap::ArgAction::Set)]
    sse_done: bool,
    /// Polls of a deferred completion that answer 202 before it is ready.
    #[arg(long, env = "FAKE_XAI_DEFERRED_POLLS_PENDING", default_value_t = 1)]
    deferred_polls_pending: u32,
    /// The streaming TTS socket speaks words as their text arrives (true) or on `text.done`.
    #[arg(long, env = "FAKE_XAI_TTS_STREAM_INCREMENTAL", default_value_t = true, action = clap::ArgAction::Set)]
    tts_stream_incremental: bool,
}

impl From<Args> for FakeConfig {
    fn from(args: Args) -> Self {
        FakeConfig {
            api_key: args.api_key,
            delays: Delays {
                first_token_ms: args.first_token_ms,
                per_delta_ms: args.per_delta_ms,
                tts_first_audio_ms: args.tts_first_audio_ms,
                tts_per_chunk_ms: args.tts_per_chunk_ms,
            },
            speech: match args.speech {
                Speech::Tone => SpeechMode::Tone,
                Speech::Espeak => SpeechMode::Espeak,
            },
            sse_event_lines: args.sse_event_lines,
            sse_done: args.sse_done,
            deferred_polls_pending: args.deferred_polls_pending,
            tts_stream_incremental: args.tts_stream_incremental,
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let listen = args.listen;
    let start = FakeXai::start_on(listen, args.into());
    let banner = |fake: &FakeXai| vec![format!("listening on http://{}", fake.addr())];
    fake_kit::cli::run(listen, start, banner, FakeXai::shutdown).await
}
