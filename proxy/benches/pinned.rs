//! The proxy's overhead measured the way the open "On the Bench" gateway harness measures
//! gateways, so our figures compare with its published ones: one request at a time over one
//! keep-alive loopback connection, added p99 = proxy p99 − direct-to-mock p99, and the added
//! p99 to the first streamed frame; the gateway pinned to one core, the mock and the load
//! generator to the other (`scripts/bench-pinned` does the pinning with `taskset`).
//!
//! The client is deliberately minimal: blocking `std::net` sockets, requests written as
//! prepared bytes, responses read with just enough HTTP/1.1 to find their end (a
//! `content-length` or the last chunk). A general client (reqwest) would add its own tens of
//! microseconds and their jitter to both sides, which the subtraction cancels on average but
//! not in the tail.
//!
//! Several proxies can be measured in one run (`--target NAME=URL`, repeatable): requests go
//! round-robin direct, then each target, so a baseline binary and the current one meet the
//! same machine within microseconds of each other and their ratio means something.
//!
//! ```text
//! cargo bench -p proxy --bench pinned -- --fake http://127.0.0.1:F --target new=http://127.0.0.1:P \
//!     --key KEY --origin ORIGIN --client ID --out target/bench/pinned.json [--requests N] [--only-proxy]
//! ```
//! `--only-proxy` sends proxied turns only (no direct requests, no JSON), for instruction
//! counting under callgrind (`scripts/bench-instructions`).
//!
//! The floor: `pinned --relay 127.0.0.1:0 --upstream FAKE_ADDR` is a do-nothing relay (two
//! threads per connection copying bytes each way), run on the proxy's core; `--via NAME=URL`
//! sends the direct request through it. Its added latency is what the extra hop to another
//! core and back costs on this machine before a gateway does any work at all.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};

const MODEL: &str = "grok-4-1-fast-non-reasoning";
const INSTRUCTIONS: &str = "Be brief.";
/// The same scripted 8-word reply as `overhead.rs`.
const SHORT: &str = "[[reply: Hello! How can I help you today?]]";
const WARMUP: usize = 300;

/// Takes the figure a round trip is judged by from (first frame, last byte).
type Pick = fn((Option<f64>, f64)) -> f64;

struct Args {
    fake: String,
    targets: Vec<(String, String)>,
    key: String,
    origin: String,
    client: String,
    out: Option<String>,
    requests: usize,
    only_proxy: bool,
    /// Direct requests sent through a relay (`--via NAME=URL`).
    vias: Vec<(String, String)>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args {
        fake: String::new(),
        targets: Vec::new(),
        key: String::new(),
        origin: String::new(),
        client: String::new(),
        out: None,
        requests: 5000,
        only_proxy: false,
        vias: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--bench" {
            continue;
        }
        if flag == "--only-proxy" {
            a.only_proxy = true;
            continue;
        }
        let v = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--fake" => a.fake = v,
            "--target" | "--via" => {
                let (name, url) = v.split_once('=').context("--target/--via NAME=URL")?;
                let list = if flag == "--via" {
                    &mut a.vias
                } else {
                    &mut a.targets
                };
                list.push((name.to_owned(), url.to_owned()));
            }
            "--key" => a.key = v,
            "--origin" => a.origin = v,
            "--client" => a.client = v,
            "--out" => a.out = Some(v),
            "--requests" => a.requests = v.parse()?,
            other => bail!("unexpected argument {other}"),
        }
    }
    ensure!(!a.targets.is_empty(), "at least one --target NAME=URL");
    ensure!(
        a.only_proxy || !a.fake.is_empty(),
        "--fake URL is required (the direct side)"
    );
    Ok(a)
}

/// `http://host:port` → `host:port`.
fn authority(url: &str) -> anyhow::Result<&str> {
    url.strip_prefix("http://")
        .map(|s| s.trim_end_matches('/'))
        .context("only http:// URLs")
}

/// One keep-alive connection and the request it sends, ready as bytes.
struct Side {
    name: String,
    conn: TcpStream,
    request: Vec<u8>,
    /// What the first delta event of a streamed reply starts with on this side.
    delta_marker: &'static [u8],
    buf: Vec<u8>,
}

impl Side {
    fn new(
        name: &str,
        url: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &Value,
        delta: &'static [u8],
    ) -> anyhow::Result<Self> {
        let host = authority(url)?;
        let body = body.to_string();
        let mut req = format!(
            "POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-length: {}\r\ncontent-type: application/json\r\n",
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(&body);
        let conn = TcpStream::connect(host).with_context(|| format!("connect {host}"))?;
        conn.set_nodelay(true)?;
        Ok(Self {
            name: name.to_owned(),
            conn,
            request: req.into_bytes(),
            delta_marker: delta,
            buf: Vec::with_capacity(16 * 1024),
        })
    }

    /// The request the proxy sends upstream, sent to `url` (the fake, or a relay to it).
    fn direct(a: &Args, name: &str, url: &str, stream: bool) -> anyhow::Result<Self> {
        let body = json!({ "model": MODEL, "input": SHORT, "instructions": INSTRUCTIONS,
            "store": true, "stream": stream });
        let auth = format!("Bearer {}", a.key);
        Self::new(
            name,
            url,
            "/v1/responses",
            &[("authorization", &auth)],
            &body,
            b"event: response.output_text.delta\n",
        )
    }

    fn proxied(a: &Args, name: &str, url: &str, stream: bool) -> anyhow::Result<Self> {
        let body = json!({ "client_id": a.client, "message": SHORT });
        let path = if stream {
            "/api/chat/stream"
        } else {
            "/api/chat"
        };
        Self::new(
            name,
            url,
            path,
            &[("origin", &a.origin)],
            &body,
            b"event: delta\n",
        )
    }

    /// Sends the request and reads the whole response. Returns microseconds to the first
    /// delta event (streams; `None` when the reply is not a stream) and to the last byte.
    fn round_trip(&mut self) -> anyhow::Result<(Option<f64>, f64)> {
        let start = Instant::now();
        self.conn.write_all(&self.request)?;
        self.buf.clear();
        let mut first_frame = None;
        let mut head_end = None;
        let mut scanned = 0;
        loop {
            let mut chunk = [0u8; 16 * 1024];
            let n = self.conn.read(&mut chunk)?;
            ensure!(n > 0, "{}: connection closed mid-response", self.name);
            self.buf.extend_from_slice(&chunk[..n]);
            let now = start.elapsed().as_secs_f64() * 1e6;
            if head_end.is_none() {
                head_end = find(&self.buf, b"\r\n\r\n").map(|i| i + 4);
            }
            let Some(body_at) = head_end else { continue };
            let head = std::str::from_utf8(&self.buf[..body_at])?.to_ascii_lowercase();
            ensure!(
                head.starts_with("http/1.1 200"),
                "{}: {}",
                self.name,
                String::from_utf8_lossy(&self.buf)
            );
            let body = &self.buf[body_at..];
            if first_frame.is_none()
                && find(&body[scanned.min(body.len())..], self.delta_marker).is_some()
            {
                first_frame = Some(now);
            }
            // Where the next scan starts: a marker may straddle two reads.
            scanned = body.len().saturating_sub(self.delta_marker.len());
            let complete = if let Some(len) = header(&head, "content-length") {
                body.len() >= len.parse::<usize>()?
            } else if head.contains("transfer-encoding: chunked") {
                body.ends_with(b"\r\n0\r\n\r\n") || body == b"0\r\n\r\n"
            } else {
                bail!("{}: a response without length or chunks", self.name);
            };
            if complete {
                let stream = head.contains("text/event-stream");
                ensure!(!stream || first_frame.is_some(), "{}: no delta", self.name);
                return Ok((first_frame, now));
            }
        }
    }
}

/// Clears what the fake recorded (it keeps every request), so no stage pays for the last one's.
fn reset_fake(fake: &str) -> anyhow::Result<()> {
    let host = authority(fake)?;
    let mut c = TcpStream::connect(host)?;
    write!(
        c,
        "POST /_control/reset HTTP/1.1\r\nhost: {host}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    c.read_to_string(&mut answer)?;
    ensure!(answer.starts_with("HTTP/1.1 2"), "fake reset: {answer}");
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn header<'h>(head: &'h str, name: &str) -> Option<&'h str> {
    head.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn summary(mut v: Vec<f64>) -> Value {
    v.sort_by(f64::total_cmp);
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    json!({ "n": v.len(), "mean": mean, "p50": percentile(&v, 0.5), "p90": percentile(&v, 0.9),
            "p99": percentile(&v, 0.99), "p999": percentile(&v, 0.999) })
}

/// Round-robin over `sides` (direct first): `n` measured requests each after the warm-up.
/// `pick` takes the figure a round trip is judged by (last byte, or first frame).
fn run(sides: &mut [Side], n: usize, pick: Pick) -> anyhow::Result<Vec<Vec<f64>>> {
    let mut out = vec![Vec::with_capacity(n); sides.len()];
    for i in 0..WARMUP + n {
        // Rotate who goes first so no side always follows the same one.
        for k in 0..sides.len() {
            let j = (i + k) % sides.len();
            let t = pick(sides[j].round_trip()?);
            if i >= WARMUP {
                out[j].push(t);
            }
        }
    }
    Ok(out)
}

/// Per target: its percentiles and, against the direct side, the added figures.
fn stage(sides: &[Side], samples: Vec<Vec<f64>>) -> Value {
    let sums: Vec<Value> = samples.into_iter().map(summary).collect();
    let direct = &sums[0];
    let mut targets = serde_json::Map::new();
    for (side, s) in sides.iter().zip(&sums).skip(1) {
        let added =
            |k: &str| s[k].as_f64().unwrap_or(f64::NAN) - direct[k].as_f64().unwrap_or(f64::NAN);
        targets.insert(side.name.clone(), json!({
            "us": s,
            "added_us": { "p50": added("p50"), "p90": added("p90"), "p99": added("p99"), "mean": added("mean") },
        }));
    }
    json!({ "direct_us": direct, "targets": targets })
}

/// The do-nothing relay: accepts on `listen`, and for each connection opens one to `upstream`
/// and copies bytes both ways, a blocking thread per direction. Never returns.
fn relay(listen: &str, upstream: &str) -> anyhow::Result<()> {
    let listener = std::net::TcpListener::bind(listen)?;
    println!("listening on http://{}", listener.local_addr()?);
    std::io::stdout().flush()?;
    for visitor in listener.incoming() {
        let visitor = visitor?;
        let up = TcpStream::connect(upstream)?;
        for s in [&visitor, &up] {
            s.set_nodelay(true)?;
        }
        for (mut from, mut to) in [(visitor.try_clone()?, up.try_clone()?), (up, visitor)] {
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                while let Ok(n @ 1..) = from.read(&mut buf) {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = to.shutdown(std::net::Shutdown::Write);
            });
        }
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let argv: Vec<String> = std::env::args().collect();
    if let [_, flag, listen, up_flag, upstream, ..] = argv.as_slice()
        && flag == "--relay"
        && up_flag == "--upstream"
    {
        return relay(listen, upstream);
    }
    let a = parse_args()?;
    if a.only_proxy {
        for (name, url) in &a.targets {
            let mut side = Side::proxied(&a, name, url, false)?;
            let t = Instant::now();
            for _ in 0..a.requests {
                side.round_trip()?;
            }
            println!(
                "{name}: {} turns in {:.2} s",
                a.requests,
                t.elapsed().as_secs_f64()
            );
        }
        return Ok(());
    }
    let mut result = serde_json::Map::new();
    for stream in [false, true] {
        reset_fake(&a.fake)?;
        let mut sides = vec![Side::direct(&a, "direct", &a.fake, stream)?];
        for (name, url) in &a.targets {
            sides.push(Side::proxied(&a, name, url, stream)?);
        }
        for (name, url) in &a.vias {
            sides.push(Side::direct(&a, name, url, stream)?);
        }
        let (key, pick): (&str, Pick) = if stream {
            ("first_frame", |(first, _)| first.unwrap_or(f64::NAN))
        } else {
            ("sequential", |(_, last)| last)
        };
        let samples = run(&mut sides, a.requests, pick)?;
        let s = stage(&sides, samples);
        println!(
            "{key}: direct p50 {:.0} p99 {:.0} us",
            s["direct_us"]["p50"].as_f64().unwrap_or(0.0),
            s["direct_us"]["p99"].as_f64().unwrap_or(0.0)
        );
        for (name, t) in s["targets"].as_object().into_iter().flatten() {
            println!(
                "  {name}: p50 {:.0} p99 {:.0} us; added p50 {:.0} p99 {:.0} us",
                t["us"]["p50"].as_f64().unwrap_or(0.0),
                t["us"]["p99"].as_f64().unwrap_or(0.0),
                t["added_us"]["p50"].as_f64().unwrap_or(0.0),
                t["added_us"]["p99"].as_f64().unwrap_or(0.0)
            );
        }
        result.insert(key.into(), s);
    }
    result.insert("requests_each".into(), json!(a.requests));
    result.insert("warmup".into(), json!(WARMUP));
    if let Some(out) = &a.out {
        std::fs::write(out, serde_json::to_string_pretty(&Value::Object(result))?)?;
        println!("wrote {out}");
    }
    Ok(())
}
