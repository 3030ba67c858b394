//! The real `proxy` binary: start-up line, bad configuration, SIGTERM.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::CLIENTS;

fn write_config(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

fn proxy(config: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_proxy"));
    cmd.arg("serve")
        .arg("--config")
        .arg(config)
        .arg("--listen")
        .arg("127.0.0.1:0")
        .env_remove("XAI_API_KEY")
        .env_remove("XAI_BASE_URL")
        .env_remove("PROXY_DEMO_MODE")
        .env_remove("PROXY_LISTEN")
        .env_remove("PROXY_CONFIG");
    cmd
}

/// The address the started binary prints on its first line (`listening on http://ADDR`).
fn listening(child: &mut std::process::Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned()
}

fn run_to_exit(mut cmd: Command) -> (i32, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_typo_in_the_config_exits_non_zero_naming_the_key() {
    let cfg = write_config(&format!("bse_url = \"http://x\"\n{CLIENTS}"));
    let mut cmd = proxy(cfg.path());
    cmd.env("XAI_API_KEY", "xai-test");
    let (code, stderr) = run_to_exit(cmd);
    assert_ne!(code, 0);
    assert!(stderr.contains("unknown field `bse_url`"), "{stderr}");
}

#[test]
fn a_missing_key_outside_demo_mode_exits_non_zero_and_says_what_to_do() {
    let cfg = write_config(CLIENTS);
    let (code, stderr) = run_to_exit(proxy(cfg.path()));
    assert_ne!(code, 0);
    assert!(stderr.contains("XAI_API_KEY is not set"), "{stderr}");
    assert!(stderr.contains("demo_mode"), "{stderr}");
}

#[test]
fn a_missing_config_file_is_reported_by_path() {
    let (code, stderr) = run_to_exit(proxy(std::path::Path::new("/nonexistent/proxy.toml")));
    assert_ne!(code, 0);
    assert!(stderr.contains("/nonexistent/proxy.toml"), "{stderr}");
}

#[test]
fn an_invalid_client_is_reported_with_its_id() {
    let cfg = write_config(&CLIENTS.replace("grok-4-1-fast-non-reasoning", "gpt-9"));
    let mut cmd = proxy(cfg.path());
    cmd.env("XAI_API_KEY", "xai-test");
    let (code, stderr) = run_to_exit(cmd);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("client \"demo\": model \"gpt-9\" is not in allowed_models"),
        "{stderr}"
    );
}

#[test]
fn the_binary_prints_its_address_serves_and_stops_on_sigterm() {
    let cfg = write_config(CLIENTS);
    let mut child = proxy(cfg.path())
        .env("PROXY_DEMO_MODE", "true")
        // Nothing listens there; demo mode only needs the fake when a visitor chats.
        .env("XAI_BASE_URL", "http://127.0.0.1:9/v1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = listening(&mut child);

    let body = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            reqwest::get(format!("http://{addr}/healthz"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        })
    })
    .join()
    .unwrap();
    assert!(body.contains("\"demo_mode\":true"), "{body}");

    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "proxy ignored SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, Some(0));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("DEMO MODE"),
        "demo mode must be announced in the log: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_stream_lets_it_finish_then_exits_zero() {
    use fake_xai::{Delays, FakeConfig, FakeXai};
    let fake = FakeXai::start(FakeConfig {
        api_key: crate::helpers::CANARY_KEY.into(),
        delays: Delays::text(0, 60),
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let cfg = write_config(&format!("{CLIENTS}voice_enabled = false\n"));
    let mut child = proxy(cfg.path())
        .env("XAI_API_KEY", crate::helpers::CANARY_KEY)
        .env("XAI_BASE_URL", fake.base_url())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://{}", listening(&mut child));

    let reply = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen";
    let mut resp = reqwest::Client::new()
        .post(format!("{base}/api/chat/stream"))
        .header("Origin", crate::helpers::ORIGIN)
        .json(&serde_json::json!({"client_id": "demo", "message": format!("[[reply: {reply}]]")}))
        .send()
        .await
        .unwrap();
    let mut body = String::from_utf8_lossy(&resp.chunk().await.unwrap().unwrap()).into_owned();
    assert!(
        Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .unwrap()
            .success()
    );
    while let Some(chunk) = resp.chunk().await.unwrap() {
        body.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        body.contains("event: done"),
        "the stream was cut by the shutdown: {body}"
    );
    let code = tokio::task::spawn_blocking(move || child.wait().unwrap().code())
        .await
        .unwrap();
    assert_eq!(code, Some(0));
}
