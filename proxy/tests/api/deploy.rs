//! docs/deploy.md, tested: two proxy replicas sharing Redis behind the nginx configuration in
//! docs/deploy/nginx.conf, on loopback. Needs nginx and redis-server (`.ci/install`); outside
//! CI the test says so and passes when they are missing.

use std::process::{Command, Stdio};

use fake_xai::{Delays, FakeConfig, FakeXai};
use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{
    CANARY_KEY, CLIENTS, ORIGIN, Proc, free_port, have, spawn_proxy, start_redis, wait_for_port,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_behind_nginx_share_limits_and_stream_unbuffered() {
    if !have("nginx", "-v") {
        return;
    }
    let Some((_redis, redis_port)) = start_redis().await else {
        return;
    };
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
        let (child, base) = spawn_proxy(
            &cfg,
            &fake,
            &[
                ("PROXY_REDIS_URL", format!("redis://127.0.0.1:{redis_port}")),
                (
                    "PROXY_SESSION_SECRET",
                    "a-shared-secret-for-all-replicas-0123456789".into(),
                ),
            ],
        );
        let addr = base.trim_start_matches("http://").to_owned();
        upstreams.push_str(&format!("server {addr};\n        "));
        replicas.push(child);
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
