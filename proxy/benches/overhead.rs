//! What the proxy costs: added latency of `/api/chat` (one at a time and under an open-model
//! fixed-rate load), added time to first delta and widest inter-delta gap of
//! `/api/chat/stream`, and the proxy's resident memory idle and with 1,000 slow streams open.
//! Every figure is measured side by side with the same request sent straight to the fake x.ai.
//!
//! It drives processes started by `scripts/bench` (the release `proxy` with a bench config and
//! the release `fake-xai`), so the load generator never shares a runtime with either. Writes
//! one JSON file for `tests/browser/bench/report.mjs`; prints a summary. Not a test.
//!
//! ```text
//! cargo bench -p proxy --bench overhead -- --proxy http://127.0.0.1:P --fake http://127.0.0.1:F \
//!     --proxy-pid PID --key KEY --origin ORIGIN --client ID --out target/bench/overhead.json [--quick]
//! ```
//!
//! The load generator is open-loop: a pacing thread sleeps until each request's scheduled
//! instant and hands it to a tokio runtime, whatever is still in flight; latency counts from
//! the scheduled instant (no coordinated omission). Direct and proxied requests alternate in
//! one-second blocks of one run, each block at the full rate, so slow drifts of the machine
//! (someone compiling) and of the fake (its records grow) reach both sides alike and the
//! difference of their percentiles stays meaningful, while the machine only ever carries the
//! stated rate. Loads are bounded in requests (rate x
//! duration), in flight ([`MAX_IN_FLIGHT`], excess counted as errors) and time (per-request
//! timeout).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};

const MODEL: &str = "grok-4-1-fast-non-reasoning";
const INSTRUCTIONS: &str = "Be brief.";
/// A short scripted reply, so both paths carry the same bytes.
const SHORT: &str = "[[reply: Hello! How can I help you today?]]";
const MAX_IN_FLIGHT: usize = 4000;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const SLOW_STREAMS: usize = 1000;

struct Args {
    proxy: String,
    fake: String,
    key: String,
    origin: String,
    client: String,
    pid: u32,
    out: String,
    quick: bool,
    stages: Vec<String>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut map = HashMap::new();
    let mut quick = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            // `cargo bench` appends `--bench`.
            "--bench" => {}
            flag if flag.starts_with("--") => {
                let v = it.next().with_context(|| format!("{flag} needs a value"))?;
                map.insert(flag.trim_start_matches("--").to_owned(), v);
            }
            other => bail!("unexpected argument {other}"),
        }
    }
    let mut take = |k: &str| {
        map.remove(k)
            .with_context(|| format!("--{k} is required (scripts/bench passes it)"))
    };
    Ok(Args {
        proxy: take("proxy")?,
        fake: take("fake")?,
        key: take("key")?,
        origin: take("origin")?,
        client: take("client")?,
        pid: take("proxy-pid")?.parse()?,
        out: take("out")?,
        stages: take("stages")
            .unwrap_or_else(|_| "memory,sequential,load,streaming".into())
            .split(',')
            .map(str::to_owned)
            .collect(),
        quick,
    })
}

/// One way to send a chat turn: straight to the fake, or through the proxy.
#[derive(Clone)]
struct Target {
    url: String,
    headers: Vec<(&'static str, String)>,
    body: bytes::Bytes,
}

impl Target {
    fn direct(a: &Args, message: &str, stream: bool) -> Self {
        let body = json!({ "model": MODEL, "input": message, "instructions": INSTRUCTIONS,
            "store": true, "stream": stream });
        Self {
            url: format!("{}/v1/responses", a.fake),
            headers: vec![
                ("authorization", format!("Bearer {}", a.key)),
                ("content-type", "application/json".into()),
            ],
            body: body.to_string().into(),
        }
    }

    fn proxied(a: &Args, message: &str, stream: bool) -> Self {
        let body = json!({ "client_id": a.client, "message": message });
        let path = if stream {
            "/api/chat/stream"
        } else {
            "/api/chat"
        };
        Self {
            url: format!("{}{path}", a.proxy),
            headers: vec![
                ("origin", a.origin.clone()),
                ("content-type", "application/json".into()),
            ],
            body: body.to_string().into(),
        }
    }

    fn request(&self, http: &reqwest::Client) -> reqwest::RequestBuilder {
        let mut r = http.post(&self.url).body(self.body.clone());
        for (k, v) in &self.headers {
            r = r.header(*k, v);
        }
        r
    }

    /// Sends once and reads the whole body; `Ok` only for a 200.
    async fn send(&self, http: &reqwest::Client) -> anyhow::Result<()> {
        let resp = self.request(http).send().await?;
        let status = resp.status();
        let body = resp.bytes().await?;
        ensure!(
            status.is_success(),
            "HTTP {status}: {}",
            String::from_utf8_lossy(&body)
        );
        Ok(())
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .tcp_nodelay(true)
        .build()
        .expect("a plain HTTP client builds")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let fake = Fake {
        base: args.fake.clone(),
        http: client(),
    };
    let mut out = serde_json::Map::new();
    out.insert("quick".into(), json!(args.quick));
    for stage in args.stages.clone() {
        fake.reset(0, 0).await?;
        let result = match stage.as_str() {
            "memory" => memory(&args, &fake).await?,
            "sequential" => sequential(&args).await?,
            "load" => load(&args, &fake).await?,
            "streaming" => streaming(&args, &fake).await?,
            other => bail!("unknown stage {other}"),
        };
        println!("{stage}: {}", serde_json::to_string_pretty(&result)?);
        out.insert(stage, result);
    }
    fake.reset(0, 0).await?;
    if let Some(dir) = std::path::Path::new(&args.out).parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(
        &args.out,
        serde_json::to_string_pretty(&Value::Object(out))?,
    )?;
    println!("wrote {}", args.out);
    Ok(())
}

/// The fake's `/_control` channel.
struct Fake {
    base: String,
    http: reqwest::Client,
}

impl Fake {
    /// Clears what the fake recorded and stored (it keeps every request), then sets text delays.
    async fn reset(&self, first_token_ms: u64, per_delta_ms: u64) -> anyhow::Result<()> {
        let r = self
            .http
            .post(format!("{}/_control/reset", self.base))
            .send()
            .await?;
        ensure!(r.status().is_success(), "fake reset: {}", r.status());
        let r = self
            .http
            .put(format!("{}/_control/delays", self.base))
            .json(
                &json!({ "first_token_ms": first_token_ms, "per_delta_ms": per_delta_ms,
                "tts_first_audio_ms": 0, "tts_per_chunk_ms": 0 }),
            )
            .send()
            .await?;
        ensure!(r.status().is_success(), "fake delays: {}", r.status());
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// 1a. One request at a time.

async fn sequential(a: &Args) -> anyhow::Result<Value> {
    let n = if a.quick { 500 } else { 2500 };
    let warmup = 200;
    let (direct, proxied) = (
        Target::direct(a, SHORT, false),
        Target::proxied(a, SHORT, false),
    );
    // One keep-alive connection each, as a single visitor would have.
    let (hd, hp) = (client(), client());
    let (mut d, mut p) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..warmup + n {
        // Alternate which goes first so neither always runs on a warmer cache.
        let order = if i % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for is_direct in order {
            let (t, h) = if is_direct {
                (&direct, &hd)
            } else {
                (&proxied, &hp)
            };
            let start = Instant::now();
            t.send(h).await?;
            let us = start.elapsed().as_secs_f64() * 1e6;
            if i >= warmup {
                if is_direct { &mut d } else { &mut p }.push(us);
            }
        }
    }
    let (ds, ps) = (summary(&mut d), summary(&mut p));
    Ok(json!({
        "requests_each": n,
        "direct_us": ds,
        "proxy_us": ps,
        "added_us": { "p50": ps["p50"].as_f64().unwrap_or(0.0) - ds["p50"].as_f64().unwrap_or(0.0),
                      "p99": ps["p99"].as_f64().unwrap_or(0.0) - ds["p99"].as_f64().unwrap_or(0.0) },
    }))
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn summary(v: &mut [f64]) -> Value {
    v.sort_by(f64::total_cmp);
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    json!({
        "n": v.len(), "mean": mean,
        "p50": percentile(v, 0.5), "p90": percentile(v, 0.9), "p99": percentile(v, 0.99),
        "p999": percentile(v, 0.999), "max": v.last().copied().unwrap_or(f64::NAN),
    })
}

// ---------------------------------------------------------------------------------------------
// 1b. Open-model fixed-rate load.

async fn load(a: &Args, fake: &Fake) -> anyhow::Result<Value> {
    let secs = if a.quick { 3 } else { 20 };
    let targets = [
        Target::direct(a, SHORT, false),
        Target::proxied(a, SHORT, false),
    ];
    let mut rows = Vec::new();
    for rate in [500u64, 1000, 2000] {
        fake.reset(0, 0).await?;
        // A short warm-up at the same rate opens the connections both sides will reuse.
        open_loop(&targets, rate, Duration::from_millis(500)).await;
        let [direct, proxy] = open_loop(&targets, rate, Duration::from_secs(secs))
            .await
            .try_into()
            .map_err(|_| anyhow::anyhow!("one result per target"))?;
        for (name, r) in [("direct", &direct), ("proxy", &proxy)] {
            println!(
                "  {rate} req/s {name}: p50 {:.0} us, p99 {:.0} us, errors {}",
                r["latency_us"]["p50"].as_f64().unwrap_or(f64::NAN),
                r["latency_us"]["p99"].as_f64().unwrap_or(f64::NAN),
                r["errors"]
            );
        }
        let added = ["p50", "p90", "p99", "p999"]
            .iter()
            .map(|k| {
                let p = proxy["latency_us"][k].as_f64().unwrap_or(f64::NAN);
                let d = direct["latency_us"][k].as_f64().unwrap_or(f64::NAN);
                ((*k).to_owned(), json!(p - d))
            })
            .collect::<serde_json::Map<_, _>>();
        rows.push(json!({ "rate": rate, "direct": direct, "proxy": proxy, "added_us": added }));
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(json!({ "seconds_each": secs, "rates": rows }))
}

/// Per-target tallies of one open-loop run.
#[derive(Default)]
struct Tally {
    latencies: Mutex<Vec<f64>>,
    errors: AtomicUsize,
    first_error: Mutex<Option<String>>,
}

/// Sends `rate` requests a second for `duration` to each target, the targets taking turns in
/// one-second blocks, each request at its scheduled instant regardless of how many are still in
/// flight. Returns, per target, latency percentiles counted from the scheduled instant and the
/// error rate.
async fn open_loop(targets: &[Target], rate: u64, duration: Duration) -> Vec<Value> {
    let http = client();
    let n = targets.len();
    let total = (rate as f64 * duration.as_secs_f64()).round() as usize * n;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let block = (rate as usize).min(total / n).max(1);
    let tallies: Arc<Vec<Tally>> = Arc::new((0..n).map(|_| Tally::default()).collect());
    let in_flight = Arc::new(AtomicUsize::new(0));
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let handle = tokio::runtime::Handle::current();
    let start = Instant::now() + Duration::from_millis(20);
    let pacer = {
        let (targets, tallies, in_flight) = (
            targets.to_vec(),
            Arc::clone(&tallies),
            Arc::clone(&in_flight),
        );
        // A plain thread: `std::thread::sleep` wakes within tens of microseconds, tokio's timer
        // only to the millisecond, which would smear 0.5 ms intervals into bursts.
        std::thread::spawn(move || {
            for i in 0..total {
                let scheduled = start + interval * i as u32;
                let now = Instant::now();
                if scheduled > now {
                    std::thread::sleep(scheduled - now);
                }
                let which = (i / block) % n;
                if in_flight.load(Ordering::Relaxed) >= MAX_IN_FLIGHT {
                    tallies[which].errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                in_flight.fetch_add(1, Ordering::Relaxed);
                let (t, h, tallies, inf, done) = (
                    targets[which].clone(),
                    http.clone(),
                    Arc::clone(&tallies),
                    Arc::clone(&in_flight),
                    done_tx.clone(),
                );
                handle.spawn(async move {
                    let tally = &tallies[which];
                    match t.send(&h).await {
                        Ok(()) => {
                            let us = scheduled.elapsed().as_secs_f64() * 1e6;
                            tally.latencies.lock().expect("not poisoned").push(us);
                        }
                        Err(e) => {
                            tally.errors.fetch_add(1, Ordering::Relaxed);
                            tally
                                .first_error
                                .lock()
                                .expect("not poisoned")
                                .get_or_insert(e.to_string());
                        }
                    }
                    inf.fetch_sub(1, Ordering::Relaxed);
                    let _ = done.send(());
                });
            }
        })
    };
    // Every spawned request reports once; the channel closes when the pacer and all requests
    // have dropped their senders.
    while done_rx.recv().await.is_some() {}
    let _ = pacer.join();
    let elapsed = start.elapsed();
    tallies
        .iter()
        .map(|t| {
            let mut lat = std::mem::take(&mut *t.latencies.lock().expect("not poisoned"));
            let errors = t.errors.load(Ordering::Relaxed);
            let scheduled = total / n;
            json!({
                "scheduled": scheduled,
                "ok": lat.len(),
                "errors": errors,
                "error_rate": errors as f64 / scheduled.max(1) as f64,
                "first_error": *t.first_error.lock().expect("not poisoned"),
                // Each target had the line for 1/n of the run.
                "achieved_rps": lat.len() as f64 * n as f64 / elapsed.as_secs_f64(),
                "latency_us": summary(&mut lat),
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 2. Streaming: time to first delta and the widest gap between deltas.

/// A reply of exactly 64 words, so the fake streams 64 deltas.
fn words(n: usize) -> String {
    let words: Vec<String> = (1..=n).map(|i| format!("word{i}")).collect();
    format!("[[reply: {}]]", words.join(" "))
}

struct StreamRun {
    first_delta: Duration,
    max_gap: Duration,
    deltas: usize,
}

/// Reads one SSE stream to its end, timing each delta as its bytes arrive.
async fn stream_once(
    http: &reqwest::Client,
    t: &Target,
    is_delta: fn(&str) -> bool,
) -> anyhow::Result<StreamRun> {
    let start = Instant::now();
    let mut resp = t.request(http).send().await?;
    ensure!(resp.status().is_success(), "HTTP {}", resp.status());
    let mut buf = String::new();
    let mut times = Vec::with_capacity(64);
    while let Some(chunk) = resp.chunk().await? {
        let now = start.elapsed();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(nl) = buf.find('\n') {
            let line: String = buf.drain(..=nl).collect();
            if is_delta(line.trim_end()) {
                times.push(now);
            }
        }
    }
    ensure!(!times.is_empty(), "the stream carried no delta");
    let max_gap = times
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or_default();
    Ok(StreamRun {
        first_delta: times[0],
        max_gap,
        deltas: times.len(),
    })
}

async fn streaming(a: &Args, fake: &Fake) -> anyhow::Result<Value> {
    let runs = if a.quick { 5 } else { 20 };
    let deltas = 64;
    let per_delta_ms = 20;
    fake.reset(0, per_delta_ms).await?;
    let message = words(deltas);
    let direct = Target::direct(a, &message, true);
    let proxied = Target::proxied(a, &message, true);
    let (hd, hp) = (client(), client());
    let direct_delta: fn(&str) -> bool = |l| l == "event: response.output_text.delta";
    let proxy_delta: fn(&str) -> bool = |l| l == "event: delta";
    let (mut dr, mut pr) = (Vec::new(), Vec::new());
    // One untimed run each to open connections.
    stream_once(&hd, &direct, direct_delta).await?;
    stream_once(&hp, &proxied, proxy_delta).await?;
    for i in 0..runs {
        if i % 2 == 0 {
            dr.push(stream_once(&hd, &direct, direct_delta).await?);
            pr.push(stream_once(&hp, &proxied, proxy_delta).await?);
        } else {
            pr.push(stream_once(&hp, &proxied, proxy_delta).await?);
            dr.push(stream_once(&hd, &direct, direct_delta).await?);
        }
    }
    let side = |runs: &[StreamRun]| {
        let mut first: Vec<f64> = runs
            .iter()
            .map(|r| r.first_delta.as_secs_f64() * 1e3)
            .collect();
        let mut gap: Vec<f64> = runs.iter().map(|r| r.max_gap.as_secs_f64() * 1e3).collect();
        first.sort_by(f64::total_cmp);
        gap.sort_by(f64::total_cmp);
        json!({
            "first_delta_ms_p50": percentile(&first, 0.5),
            "max_gap_ms_p50": percentile(&gap, 0.5),
            "max_gap_ms_max": gap.last().copied().unwrap_or(f64::NAN),
            "deltas_min": runs.iter().map(|r| r.deltas).min().unwrap_or(0),
        })
    };
    let (d, p) = (side(&dr), side(&pr));
    let diff = |k: &str| p[k].as_f64().unwrap_or(f64::NAN) - d[k].as_f64().unwrap_or(f64::NAN);
    Ok(json!({
        "runs": runs, "deltas": deltas, "per_delta_ms": per_delta_ms,
        "added_ms": { "first_delta": diff("first_delta_ms_p50"),
                      "max_gap_p50": diff("max_gap_ms_p50"), "max_gap_max": diff("max_gap_ms_max") },
        "direct": d, "proxy": p,
    }))
}

// ---------------------------------------------------------------------------------------------
// 4. Memory.

/// `VmRSS` and `VmHWM` of a process, in KiB.
fn rss_kib(pid: u32) -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read /proc/{pid}/status"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        let line = status
            .lines()
            .find(|l| l.starts_with(name))
            .with_context(|| format!("{name} missing"))?;
        Ok(line
            .split_whitespace()
            .nth(1)
            .context("no value")?
            .parse()?)
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

async fn memory(a: &Args, fake: &Fake) -> anyhow::Result<Value> {
    let (idle_start, _) = rss_kib(a.pid)?;
    // One turn initialises the upstream pool and the price book, as the first visitor would.
    Target::proxied(a, SHORT, false).send(&client()).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (idle, _) = rss_kib(a.pid)?;

    // Slow streams: a delta a second, 64 of them, so each stays open for a minute.
    fake.reset(0, 1000).await?;
    let target = Target::proxied(a, &words(64), true);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .pool_max_idle_per_host(0)
        .build()?;
    let opened = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let (release_tx, _) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::with_capacity(SLOW_STREAMS);
    let t0 = Instant::now();
    for i in 0..SLOW_STREAMS {
        let (http, target, opened, failed) = (
            http.clone(),
            target.clone(),
            Arc::clone(&opened),
            Arc::clone(&failed),
        );
        let mut stop = release_tx.subscribe();
        tasks.push(tokio::spawn(async move {
            let run = async {
                let mut resp = target.request(&http).send().await?;
                ensure!(resp.status().is_success(), "HTTP {}", resp.status());
                let mut seen = String::new();
                while let Some(chunk) = resp.chunk().await? {
                    seen.push_str(&String::from_utf8_lossy(&chunk));
                    if seen.contains("event: delta") {
                        opened.fetch_add(1, Ordering::Relaxed);
                        // Hold the stream open until told to let go.
                        let _ = stop.wait_for(|s| *s).await;
                        return Ok(());
                    }
                }
                bail!("the stream ended before its first delta")
            };
            if run.await.is_err() {
                failed.fetch_add(1, Ordering::Relaxed);
            }
        }));
        // Open them in bursts of 100 so the accept queue never overflows.
        if i % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while opened.load(Ordering::Relaxed) + failed.load(Ordering::Relaxed) < SLOW_STREAMS
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let open_after = t0.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (loaded, peak) = rss_kib(a.pid)?;
    let still_open = opened.load(Ordering::Relaxed);
    release_tx.send_replace(true);
    for t in tasks {
        let _ = t.await;
    }
    // Give the proxy a moment to notice the visitors left and cancel upstream.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (after, _) = rss_kib(a.pid)?;
    Ok(json!({
        "idle_at_start_kib": idle_start,
        "idle_kib": idle,
        "streams": SLOW_STREAMS,
        "streams_open": still_open,
        "streams_failed": failed.load(Ordering::Relaxed),
        "seconds_to_open": open_after.as_secs_f64(),
        "loaded_kib": loaded,
        "peak_kib": peak,
        "after_close_kib": after,
    }))
}
