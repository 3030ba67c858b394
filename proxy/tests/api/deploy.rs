//! docs/deploy.md, tested: two proxy replicas sharing Redis behind the nginx configuration in
//! docs/deploy/nginx.conf, on loopback. Needs nginx and redis-server (`.ci/install`); outside
//! CI the test says so and passes when they are missing.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fake_xai::{Delays, FakeConfig, FakeXai};
use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{CANARY_KEY, CLIENTS, ORIGIN};

struct Proc(Child);

impl Drop for Proc {
    /// SIGTERM first: nginx's master then stops its workers (SIGKILL would orphan them).
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn have(bin: &str, arg: &str) -> bool {
    let ok = Command::new(bin).arg(arg).output().is_ok();
    if !ok {
        assert!(
            std::env::var("CI").is_err(),
            "{bin} must be installed in CI (.ci/install)"
        );
        eprintln!("{bin} is not installed; skipping");
    }
    ok
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_for_port(port: u16) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("nothing listens on {port}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_behind_nginx_share_limits_and_stream_unbuffered() {
    if !have("nginx", "-v") || !have("redis-server", "--version") {
        return;
    }
    let redis_port = free_port();
    let _redis = Proc(
        Command::new("redis-server")
            .args([
                "--port",
                &redis_port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(redis_port).await;
    let fake = FakeXai::start(FakeConfig {
        api_key: CANARY_KEY.into(),
        delays: Delays {
            first_token_ms: 0,
            per_delta_ms: 80,
            ..Delays::default()
        },
        ..FakeConfig::default()
    })
    .await
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("proxy.toml");
    std::fs::write(
        &cfg,
        format!("trusted_proxies = [\"127.0.0.1/32\"]\n{CLIENTS}voice_enabled = false\nrate_per_ip = 4\n"),
    )
    .unwrap();
    let mut replicas = Vec::new();
    let mut upstreams = String::new();
    for _ in 0..2 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_proxy"))
            .args(["serve", "--config"])
            .arg(&cfg)
            .args(["--listen", "127.0.0.1:0"])
            .env("XAI_API_KEY", CANARY_KEY)
            .env("XAI_BASE_URL", fake.base_url())
            .env("PROXY_REDIS_URL", format!("redis://127.0.0.1:{redis_port}"))
            .env(
                "PROXY_SESSION_SECRET",
                "a-shared-secret-for-all-replicas-0123456789",
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap()
            .to_owned();
        upstreams.push_str(&format!("server {addr};\n        "));
        replicas.push(Proc(child));
    }

    let port = free_port();
    let template = include_str!("../../../docs/deploy/nginx.conf");
    let conf = template
        .replace("{{DIR}}", &dir.path().display().to_string())
        .replace("{{PORT}}", &port.to_string())
        .replace("{{UPSTREAMS}}", upstreams.trim_end());
    let conf_path = dir.path().join("nginx.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let _nginx = Proc(
        Command::new("nginx")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf_path)
            .args(["-g", "daemon off; user root;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port).await;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();

    // One visitor (nginx adds their address to X-Forwarded-For), many requests over both
    // replicas: the limit is theirs, shared through Redis.
    let got = join_all((0..12).map(|_| {
        let req = http
            .post(format!("{base}/api/chat"))
            .header("Origin", ORIGIN)
            .json(&json!({"client_id": "demo", "message": "hi"}));
        async move { req.send().await.unwrap().status().as_u16() }
    }))
    .await;
    assert_eq!(got.iter().filter(|s| **s == 200).count(), 4, "{got:?}");

    // Another visitor, as identified by a trusted hop, has their own bucket; and streams are not
    // buffered by nginx: the first delta arrives while the fake is still writing.
    let mut resp = http
        .post(format!("{base}/api/chat/stream"))
        .header("Origin", ORIGIN)
        .header("X-Forwarded-For", "198.51.100.77")
        .json(&json!({"client_id": "demo", "message": "[[reply: a b c d e f g h i j k l m n o p q r s t]]"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut seen = String::new();
    while !seen.contains("event: delta") {
        seen.push_str(&String::from_utf8_lossy(
            &resp.chunk().await.unwrap().expect("a delta"),
        ));
    }
    assert_eq!(
        fake.stream_outcomes().completed,
        0,
        "nginx buffered the stream"
    );
    let rest = resp.text().await.unwrap();
    assert!(rest.contains("event: done"));
}
