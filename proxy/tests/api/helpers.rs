//! `spawn_app()`: a proxy on port 0 with its own config (and, once chat exists, its own fake
//! x.ai), for one test.

use std::net::SocketAddr;
use std::path::Path;

use proxy::config::{Config, EnvOverrides, RawConfig};
use proxy::startup::Application;

pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    _widget_dir: Option<tempfile::TempDir>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
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
"##;

pub struct Options {
    pub toml: String,
    pub widget: bool,
    pub env: EnvOverrides,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            toml: CLIENTS.to_owned(),
            widget: false,
            env: EnvOverrides { api_key: Some("xai-test-key".into()), ..Default::default() },
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(opts: Options) -> TestApp {
    let mut raw: RawConfig = toml::from_str(&opts.toml).expect("test config parses");
    let widget_dir = opts.widget.then(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        write_fake_bundle(dir.path());
        dir
    });
    raw.widget_dir = widget_dir.as_ref().map(|d| d.path().to_owned());
    let config = Config::from_raw(raw, &opts.env, Path::new(".")).expect("test config is valid");
    let app = Application::build(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("app builds");
    let addr = app.addr();
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp { addr, http: reqwest::Client::new(), _widget_dir: widget_dir }
}

/// Files shaped like Trunk's output.
pub fn write_fake_bundle(dir: &Path) {
    std::fs::write(dir.join("widget-wasm-0123abcd.js"), "export default async function init() {}")
        .expect("write glue");
    std::fs::write(dir.join("widget-wasm-0123abcd_bg.wasm"), b"\0asm\x01\0\0\0")
        .expect("write wasm");
}
