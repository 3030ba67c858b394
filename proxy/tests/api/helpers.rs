//! `spawn_app()`: a proxy on port 0 with its own config and its own fake x.ai, for one test.
//!
//! Every app runs with [`CANARY_KEY`]; logs of the whole test binary are captured so tests can
//! assert the key never reaches a log line.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use fake_xai::{ApiKeyState, FakeConfig, FakeXai, Fault, FaultKind};
use proxy::config::{Config, EnvOverrides, RawConfig};
use proxy::startup::Application;

/// A chat turn on the default client.
pub fn ask(message: &str) -> serde_json::Value {
    serde_json::json!({ "client_id": "demo", "message": message })
}

/// A turn that continues the conversation `previous` on the default client.
pub fn cont(message: &str, previous: &str) -> serde_json::Value {
    serde_json::json!({ "client_id": "demo", "message": message, "previous_response_id": previous })
}

/// The JSON body of a response, checked for the canary key first.
pub async fn body_json(resp: reqwest::Response) -> serde_json::Value {
    let text = resp.text().await.unwrap();
    assert_no_canary("response body", &text);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The events of an SSE response, checked for its content type and the canary key.
pub async fn sse_events(resp: reqwest::Response) -> Vec<(String, serde_json::Value)> {
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let text = resp.text().await.unwrap();
    assert_no_canary("SSE body", &text);
    parse_sse(&text)
}

/// The reply text the `delta` events carried.
pub fn delta_text(events: &[(String, serde_json::Value)]) -> String {
    events
        .iter()
        .filter(|(e, _)| e == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect()
}

/// The `Retry-After` seconds of a refusal, which must carry one.
pub fn retry_after(resp: &reqwest::Response) -> u64 {
    let value = resp.headers()["retry-after"].to_str().unwrap();
    value
        .parse()
        .unwrap_or_else(|_| panic!("Retry-After: {value:?}"))
}

/// The proxy's environment for the OpenAI and Anthropic tests: the x.ai canary, the given
/// provider keys (each test file has its own canaries) and the fake providers' base URLs.
pub fn provider_env(
    others: &fake_providers::FakeProviders,
    openai_key: &str,
    anthropic_key: &str,
) -> EnvOverrides {
    EnvOverrides {
        api_key: Some(CANARY_KEY.into()),
        openai_api_key: Some(openai_key.into()),
        openai_base_url: Some(others.openai_base_url()),
        anthropic_api_key: Some(anthropic_key.into()),
        anthropic_base_url: Some(others.anthropic_base_url()),
        ..Default::default()
    }
}

/// A recognisable key that must never show up in any response, event or log line.
pub const CANARY_KEY: &str = "xai-CANARY-7e1f0c3b9a5d4e2f8b6a";

/// The page origin tests send, as a browser on the configured site would.
pub const ORIGIN: &str = "http://localhost:3000";

/// A `[[clients]]` table for [`ORIGIN`] with brief instructions and no session tokens; `lines`
/// set the rest (`provider`, `model`, caps), one setting a line.
pub fn client_block(id: &str, lines: &[&str]) -> String {
    let mut table = format!(
        "\n[[clients]]\nid = \"{id}\"\nallowed_origins = [\"{ORIGIN}\"]\n\
         instructions = \"Be brief.\"\nsession_tokens = false\n"
    );
    for line in lines {
        table.push_str(line);
        table.push('\n');
    }
    table
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub fake: FakeXai,
    _widget_dir: Option<tempfile::TempDir>,
}

impl TestApp {
    /// The temporary widget bundle directory, when the app serves one.
    pub fn widget_dir(&self) -> Option<&Path> {
        self._widget_dir.as_ref().map(tempfile::TempDir::path)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// `GET path` with `headers` (none, or an `Origin`, a session...).
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.http.get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("request sent")
    }

    /// `POST /api/chat` as the configured site's page would send it.
    pub async fn chat(&self, body: serde_json::Value) -> reqwest::Response {
        self.post("/api/chat", body).await
    }

    /// The checked events of a streamed turn on the default client (see [`sse_events`]).
    pub async fn stream_events(&self, message: &str) -> Vec<(String, serde_json::Value)> {
        sse_events(self.chat_stream(ask(message)).await).await
    }

    /// `POST /api/chat/stream`.
    pub async fn chat_stream(&self, body: serde_json::Value) -> reqwest::Response {
        self.post("/api/chat/stream", body).await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .header("Origin", ORIGIN)
            .json(&body)
            .send()
            .await
            .expect("request sent")
    }

    /// Requests the fake received at `path`, bodies parsed as JSON.
    pub fn upstream_bodies(&self, path: &str) -> Vec<serde_json::Value> {
        self.fake
            .requests()
            .into_iter()
            .filter(|r| r.path == path)
            .map(|r| serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null))
            .collect()
    }

    pub fn inject(&self, path: &str, times: u32, kind: FaultKind) {
        self.fake.inject(Fault {
            path: path.into(),
            times,
            kind,
        });
    }
}

pub const CLIENTS: &str = r##"
[[clients]]
id = "demo"
allowed_origins = ["http://localhost:3000"]
model = "grok-4-1-fast-non-reasoning"
instructions = "Be brief."
voice = "eve"
voices = ["eve", "leo"]
title = "Ask us"
greeting = "Hello there"
accent_color = "#112233"
stt_language = "en-GB"
# Session tokens are on by default; most tests exercise other things. Those about sessions
# turn them back on.
session_tokens = false
"##;

/// [`CLIENTS`] with `lines` added to its table; lines that set `session_tokens` replace the
/// default's.
pub fn client_table(lines: &str) -> String {
    let table = if lines.contains("session_tokens") {
        CLIENTS.replace("session_tokens = false\n", "")
    } else {
        CLIENTS.to_owned()
    };
    format!("{table}{lines}")
}

pub struct Options {
    /// The whole config file; the fake's base URL is added by `spawn_app_with`.
    pub toml: String,
    pub widget: bool,
    pub env: EnvOverrides,
    pub fake: FakeConfig,
    pub key_state: Option<ApiKeyState>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            toml: format!("retry_budget_secs = 5\n{CLIENTS}"),
            widget: false,
            env: EnvOverrides {
                api_key: Some(CANARY_KEY.into()),
                ..Default::default()
            },
            fake: FakeConfig {
                api_key: CANARY_KEY.into(),
                ..Default::default()
            },
            key_state: None,
        }
    }
}

impl Options {
    /// `[voice]` settings and extra lines for the default client's table.
    pub fn voice(voice_lines: &str, client_lines: &str) -> Self {
        Self {
            toml: format!(
                "retry_budget_secs = 5\n[voice]\n{voice_lines}\n{}\n",
                client_table(client_lines)
            ),
            ..Self::default()
        }
    }

    /// Top-level settings and extra lines for the default client's table.
    pub fn top(top_lines: &str, client_lines: &str) -> Self {
        Self {
            toml: format!(
                "retry_budget_secs = 5\n{top_lines}\n{}\n",
                client_table(client_lines)
            ),
            ..Self::default()
        }
    }

    /// The default client with extra lines appended to its table.
    pub fn with_client_lines(lines: &str) -> Self {
        Self {
            toml: format!("retry_budget_secs = 5\n{}\n", client_table(lines)),
            ..Self::default()
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(opts: Options) -> TestApp {
    try_spawn_app(opts).await.expect("app starts")
}

/// Like [`spawn_app_with`] but returns start-up errors (e.g. the key check refusing).
pub async fn try_spawn_app(opts: Options) -> anyhow::Result<TestApp> {
    capture_logs();
    let fake = FakeXai::start(opts.fake).await?;
    if let Some(state) = opts.key_state {
        fake.set_api_key_info(state);
    }
    let mut raw: RawConfig = toml::from_str(&opts.toml).expect("test config parses");
    let widget_dir = opts.widget.then(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        write_fake_bundle(dir.path());
        dir
    });
    raw.widget_dir = widget_dir.as_ref().map(|d| d.path().to_owned());
    let env = EnvOverrides {
        base_url: Some(fake.base_url()),
        ..opts.env
    };
    let config = Config::from_raw(raw, &env, Path::new(".")).expect("test config is valid");
    let app = Application::build(config, "127.0.0.1:0".parse().expect("addr")).await?;
    let addr = app.addr();
    tokio::spawn(app.run_until(std::future::pending()));
    Ok(TestApp {
        addr,
        http: reqwest::Client::new(),
        fake,
        _widget_dir: widget_dir,
    })
}

/// Files shaped like Trunk's output.
pub fn write_fake_bundle(dir: &Path) {
    std::fs::write(
        dir.join("widget-wasm-0123abcd.js"),
        "export default async function init() {}",
    )
    .expect("write glue");
    std::fs::write(dir.join("widget-wasm-0123abcd_bg.wasm"), b"\0asm\x01\0\0\0")
        .expect("write wasm");
}

static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs (once per test binary) a subscriber that records every log line at debug level.
pub fn capture_logs() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug")
            .with_writer(|| LogWriter)
            .with_ansi(false)
            .try_init();
    });
}

/// Everything logged so far by any test in this binary.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
}

/// Fails if `text` holds the canary key or any 8-character piece of it.
pub fn assert_no_canary(what: &str, text: &str) {
    assert!(!text.contains(CANARY_KEY), "{what} contains the API key");
    let secret = &CANARY_KEY[4..];
    for w in secret.as_bytes().windows(8) {
        let frag = std::str::from_utf8(w).expect("ascii");
        assert!(
            !text.contains(frag),
            "{what} contains a fragment of the API key: {frag}"
        );
    }
}

/// Fails if `text` holds `secret` or any 8-character piece of its part after `skip` bytes
/// (a shared prefix such as `sk-` is not secret).
pub fn assert_no_secret(what: &str, text: &str, secret: &str, skip: usize) {
    assert!(!text.contains(secret), "{what} contains an API key");
    for w in secret.as_bytes()[skip..].windows(8) {
        let frag = std::str::from_utf8(w).expect("ascii");
        assert!(
            !text.contains(frag),
            "{what} contains a fragment of an API key: {frag}"
        );
    }
}

/// Parses an SSE body into `(event name, data JSON)` pairs.
pub fn parse_sse(body: &str) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    for block in body.split("\n\n") {
        let mut event = String::new();
        let mut data = String::new();
        for line in block.lines() {
            if let Some(e) = line.strip_prefix("event: ") {
                event = e.to_owned();
            } else if let Some(d) = line.strip_prefix("data: ") {
                data.push_str(d);
            }
        }
        if !data.is_empty() {
            out.push((
                event,
                serde_json::from_str(&data).expect("SSE data is JSON"),
            ));
        }
    }
    out
}

/// A child process that is stopped when dropped: SIGTERM first (nginx's master then stops its
/// workers; SIGKILL would orphan them), SIGKILL if it lingers.
pub struct Proc(pub std::process::Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let pid = self.0.id().to_string();
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid)
            .status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether `bin` is installed; in CI it must be (`.ci/install`), elsewhere the caller skips.
pub fn have(bin: &str, version_arg: &str) -> bool {
    let ok = std::process::Command::new(bin)
        .arg(version_arg)
        .output()
        .is_ok();
    if !ok {
        assert!(
            std::env::var("CI").is_err(),
            "{bin} must be installed in CI (.ci/install)"
        );
        eprintln!("{bin} is not installed; skipping");
    }
    ok
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

pub async fn wait_for_port(port: u16) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("nothing listens on {port}");
}

/// A throwaway redis-server on a loopback port, or `None` when it is not installed (outside CI).
pub async fn start_redis() -> Option<(Proc, u16)> {
    if !have("redis-server", "--version") {
        return None;
    }
    let port = free_port();
    let child = Proc(
        std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server starts"),
    );
    wait_for_port(port).await;
    Some((child, port))
}

/// Starts the real proxy binary with `config` against `fake` (plus `env`); returns it and its
/// base URL, read from its `listening on` line. Call from a multi-threaded runtime: this blocks
/// while the proxy's start-up key check calls the fake.
pub fn spawn_proxy(config: &Path, fake: &FakeXai, env: &[(&str, String)]) -> (Proc, String) {
    use std::io::BufRead;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_proxy"));
    cmd.args(["serve", "--config"])
        .arg(config)
        .args(["--listen", "127.0.0.1:0"])
        .env("XAI_API_KEY", CANARY_KEY)
        .env("XAI_BASE_URL", fake.base_url())
        .env_remove("PROXY_DEMO_MODE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the proxy starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("a line");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();
    (Proc(child), base)
}
