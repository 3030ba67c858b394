//! Time to first audio for a five-sentence reply: pipelined (`/api/chat/stream`, speech sent
//! in pieces as it is synthesised, the first sentence started with the reply's first words)
//! against whole-reply-then-speak (`/api/chat`: wait for all the text, synthesise it in one
//! go, the baseline). Every backend is measured, and the streaming socket both ways x.ai may
//! behave (speaking as text arrives, or only on `text.done`), plus the one-clip-per-sentence
//! events older widgets get; all in the same run. The fake x.ai runs with realistic delays.
//! Prints medians and ratios; not a test.
//!
//! `cargo bench -p proxy --bench time_to_first_audio [-- --runs N] [--json PATH]`
//! (`--json` also writes the figures for `scripts/bench`).

use std::path::Path;
use std::time::{Duration, Instant};

use fake_xai::{Delays, FakeConfig, FakeXai};
use proxy::config::{Config, EnvOverrides, RawConfig};
use proxy::startup::Application;

const KEY: &str = "xai-bench-key-not-secret";
const REPLY: &str = "Thanks for asking about our opening hours. We are open from nine in the morning \
until six in the evening. On Saturdays we close a little earlier, at four. We are closed on Sundays \
and public holidays. Is there anything else I can help you with today?";

/// Delays of a fast hosted model and TTS: 400 ms to the first token, a word every 15 ms
/// (about 85 tokens/s),
/// 250 ms to the first audio, then synthesis 10x faster than real time.
const DELAYS: Delays = Delays {
    first_token_ms: 400,
    per_delta_ms: 15,
    tts_first_audio_ms: 250,
    tts_per_chunk_ms: 10,
};

/// One way of speaking the reply: a client (its backend), whether the request asks for
/// pieces, and whether the fake's streaming socket speaks as text arrives.
struct Mode {
    name: &'static str,
    client: &'static str,
    pieces: bool,
    incremental: bool,
}

const MODES: &[Mode] = &[
    Mode {
        name: "tts_stream, pieces (default)",
        client: "tts_stream",
        pieces: true,
        incremental: true,
    },
    Mode {
        name: "tts_stream, pieces, x.ai waiting for text.done",
        client: "tts_stream",
        pieces: true,
        incremental: false,
    },
    Mode {
        name: "tts (REST), pieces",
        client: "tts",
        pieces: true,
        incremental: true,
    },
    Mode {
        name: "realtime, pieces",
        client: "realtime",
        pieces: true,
        incremental: true,
    },
    Mode {
        name: "tts (REST), one clip per sentence (older widgets)",
        client: "tts",
        pieces: false,
        incremental: true,
    },
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let arg = |name: &str| std::env::args().skip_while(|a| a != name).nth(1);
    let runs: usize = arg("--runs").and_then(|n| n.parse().ok()).unwrap_or(10);
    let json_out = arg("--json");
    let fake = FakeXai::start(FakeConfig {
        api_key: KEY.into(),
        delays: DELAYS,
        ..FakeConfig::default()
    })
    .await?;
    let client = |id: &str| {
        format!(
            "[[clients]]\nid = \"{id}\"\nallowed_origins = [\"http://bench.local\"]\n\
             model = \"grok-4-1-fast-non-reasoning\"\ninstructions = \"Be helpful.\"\n\
             voice = \"eve\"\nsession_tokens = false\ntts_backend = \"{id}\"\n\
             rate_per_ip = 100000\nrate_per_session = 100000\nrate_per_client = 100000\n"
        )
    };
    let toml = format!(
        "[voice]\ncache_entries = 0\n{}{}{}",
        client("tts_stream"),
        client("tts"),
        client("realtime")
    );
    let raw: RawConfig = toml::from_str(&toml)?;
    let env = EnvOverrides {
        api_key: Some(KEY.into()),
        base_url: Some(fake.base_url()),
        ..Default::default()
    };
    let app = Application::build(
        Config::from_raw(raw, &env, Path::new("."))?,
        "127.0.0.1:0".parse()?,
    )
    .await?;
    let base = format!("http://{}", app.addr());
    tokio::spawn(app.run_until(std::future::pending()));
    let http = reqwest::Client::new();
    let body = |client: &str, pieces: bool| {
        serde_json::json!({
            "client_id": client,
            "message": format!("[[reply: {REPLY}]]"),
            "audio_pieces": pieces,
        })
    };

    let mut first_audio: Vec<Vec<Duration>> = vec![Vec::new(); MODES.len()];
    let mut first_text = Vec::with_capacity(runs);
    let mut whole = Vec::with_capacity(runs);
    let mut first_clip = None;
    for _ in 0..runs {
        // Interleaved, so every mode meets the same machine.
        for (i, mode) in MODES.iter().enumerate() {
            fake.set_tts_stream_incremental(mode.incremental);
            let s = first_audio_streamed(&http, &base, &body(mode.client, mode.pieces)).await?;
            if i == 0 {
                first_text.push(s.first_text);
                first_clip = Some((s.first_clip_text, s.first_clip_secs));
            }
            first_audio[i].push(s.first_audio);
        }
        fake.set_tts_stream_incremental(true);
        whole.push(first_audio_whole(&http, &base, &body("tts", false)).await?);
    }
    let w = median(&mut whole);
    let t = median(&mut first_text);
    let medians: Vec<Duration> = first_audio.iter_mut().map(|v| median(v)).collect();
    let p = medians[0];
    let (clip_text, clip_secs) = first_clip.unwrap_or_default();
    let ratio = p.as_secs_f64() / w.as_secs_f64();
    let absolute_target = t + Duration::from_millis(300);
    println!("time to first audio, 5-sentence reply, median of {runs} runs");
    println!(
        "  fake delays: first token {} ms, {} ms per word, TTS first audio {} ms, {} ms per 100 ms of audio",
        DELAYS.first_token_ms,
        DELAYS.per_delta_ms,
        DELAYS.tts_first_audio_ms,
        DELAYS.tts_per_chunk_ms
    );
    println!(
        "  whole reply, then speak (/api/chat, baseline): {:>7.1} ms",
        ms(w)
    );
    for (mode, m) in MODES.iter().zip(&medians) {
        println!(
            "  {:<52} {:>7.1} ms  ratio {:.3}",
            mode.name,
            ms(*m),
            m.as_secs_f64() / w.as_secs_f64()
        );
    }
    println!(
        "  default: first text at {:.1} ms; first piece {clip_secs:.2} s of speech for {clip_text:?}",
        ms(t)
    );
    println!(
        "  ratio pipelined / whole: {ratio:.3} (target <= 0.25); first audio {:.1} ms vs first text + 300 ms = {:.1} ms",
        ms(p),
        ms(absolute_target)
    );
    if let Some(path) = json_out {
        let modes: Vec<serde_json::Value> = MODES
            .iter()
            .zip(&medians)
            .map(|(mode, m)| {
                serde_json::json!({
                    "name": mode.name,
                    "backend": mode.client,
                    "pieces": mode.pieces,
                    "incremental": mode.incremental,
                    "first_audio_ms": ms(*m),
                    "ratio": m.as_secs_f64() / w.as_secs_f64(),
                })
            })
            .collect();
        let figures = serde_json::json!({
            "runs": runs,
            "delays": {
                "first_token_ms": DELAYS.first_token_ms,
                "per_delta_ms": DELAYS.per_delta_ms,
                "tts_first_audio_ms": DELAYS.tts_first_audio_ms,
                "tts_per_chunk_ms": DELAYS.tts_per_chunk_ms,
            },
            "pipelined_ms": ms(p),
            "pipelined_first_text_ms": ms(t),
            "first_clip_text": clip_text,
            "first_clip_secs": clip_secs,
            "whole_ms": ms(w),
            "ratio": ratio,
            "modes": modes,
        });
        std::fs::write(&path, serde_json::to_string_pretty(&figures)?)?;
    }
    Ok(())
}

/// Where the pipelined time goes: the first text, the first audio, and how much speech that
/// first clip (or piece) holds.
struct Streamed {
    first_text: Duration,
    first_audio: Duration,
    first_clip_text: String,
    first_clip_secs: f64,
}

async fn first_audio_streamed(
    http: &reqwest::Client,
    base: &str,
    body: &serde_json::Value,
) -> anyhow::Result<Streamed> {
    let started = Instant::now();
    let mut resp = http
        .post(format!("{base}/api/chat/stream"))
        .header("Origin", "http://bench.local")
        .json(body)
        .send()
        .await?;
    let mut seen = String::new();
    let mut first_text = None;
    let mut first_audio = None;
    while let Some(chunk) = resp.chunk().await? {
        seen.push_str(&String::from_utf8_lossy(&chunk));
        if first_text.is_none() && seen.contains("event: delta\n") {
            first_text = Some(started.elapsed());
        }
        if let Some(at) = seen.find("event: audio\n") {
            let t = *first_audio.get_or_insert_with(|| started.elapsed());
            // The event is timed on arrival; its data line may take another chunk to complete.
            let Some(data) = seen[at..]
                .lines()
                .nth(1)
                .and_then(|l| l.strip_prefix("data: "))
                .filter(|_| seen[at..].contains("\n\n"))
            else {
                continue;
            };
            let event: serde_json::Value = serde_json::from_str(data)?;
            let url = event["audio_url"].as_str().unwrap_or_default();
            let b64 = url.split_once(',').map_or(0, |(_, b)| b.len());
            let pcm_bytes = (b64 * 3 / 4).saturating_sub(proxy::speech::audio::WAV_HEADER_LEN);
            drop(resp);
            return Ok(Streamed {
                first_text: first_text.unwrap_or(t),
                first_audio: t,
                first_clip_text: event["text"].as_str().unwrap_or_default().to_owned(),
                first_clip_secs: pcm_bytes as f64 / 2.0 / 24_000.0,
            });
        }
    }
    anyhow::bail!("the stream ended without audio: {seen}")
}

async fn first_audio_whole(
    http: &reqwest::Client,
    base: &str,
    body: &serde_json::Value,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let resp = http
        .post(format!("{base}/api/chat"))
        .header("Origin", "http://bench.local")
        .json(body)
        .send()
        .await?;
    let json: serde_json::Value = resp.json().await?;
    anyhow::ensure!(json["audio_url"].is_string(), "no audio: {json}");
    Ok(started.elapsed())
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
