//! docs/deploy.md, tested: two proxy replicas sharing Redis behind the shipped nginx
//! configuration (docs/deploy/nginx.conf, with a self-signed certificate), on loopback. Needs nginx and redis-server (`.ci/install`); outside
//! CI the test says so and passes when they are missing.

use std::process::{Command, Stdio};

use fake_kit::client::Fetch;
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
        delays: Delays::text(0, 80),
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
        replicas.push((child, addr));
    }

    // The shipped file, with only the values its header says to fill in.
    let (port, plain_port) = (free_port(), free_port());
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(made.success(), "openssl made the test certificate");
    let shipped = include_str!("../../../docs/deploy/nginx.conf");
    let mut conf = shipped.to_owned();
    for (from, to) in [
        (
            "listen 80;".to_owned(),
            format!("listen 127.0.0.1:{plain_port};"),
        ),
        (
            "listen 443 ssl;".to_owned(),
            format!("listen 127.0.0.1:{port} ssl;"),
        ),
        (
            "server_name chat.example.com;".to_owned(),
            "server_name localhost;".to_owned(),
        ),
        (
            "/etc/ssl/certs/chat.example.com.pem".to_owned(),
            cert.display().to_string(),
        ),
        (
            "/etc/ssl/private/chat.example.com.key".to_owned(),
            key.display().to_string(),
        ),
        (
            "server 10.0.0.11:8080".to_owned(),
            format!("server {}", replicas[0].1),
        ),
        (
            "server 10.0.0.12:8080".to_owned(),
            format!("server {}", replicas[1].1),
        ),
        (
            "/var/log/nginx/widget-".to_owned(),
            format!("{}/", dir.path().display()),
        ),
    ] {
        assert!(
            conf.contains(&from),
            "the shipped config no longer has `{from}`"
        );
        conf = conf.replace(&from, &to);
    }
    let conf_path = dir.path().join("nginx.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let globals = format!("pid {}/nginx.pid; user root;", dir.path().display());
    let checked = Command::new("nginx")
        .arg("-t")
        .arg("-c")
        .arg(&conf_path)
        .args(["-g", &globals])
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let _nginx = Proc(
        Command::new("nginx")
            .arg("-c")
            .arg(&conf_path)
            .args(["-g", &format!("{globals} daemon off;")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port).await;
    let base = format!("https://localhost:{port}");
    // The certificate is the test's own, self-signed.
    let http = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let redirect = http
        .get(format!("http://127.0.0.1:{plain_port}/widget.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 301, "plain HTTP redirects to HTTPS");

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

/// README.md, followed as written: its smallest config (with the owner's own page origin and
/// widget directory filled in), the real binary, and a page on another port that loads the
/// widget and chats as a browser would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_smallest_config_serves_a_page_on_another_port() {
    let readme = include_str!("../../../README.md");
    let block = readme
        .split("The smallest useful one:")
        .nth(1)
        .and_then(|rest| rest.split("```toml").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("README has the smallest config");
    let fake = FakeXai::start(FakeConfig {
        api_key: CANARY_KEY.into(),
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    // The owner's page, on its own port.
    let page_port = free_port();
    let page_origin = format!("http://127.0.0.1:{page_port}");
    let dir = tempfile::tempdir().unwrap();
    let widget = dir.path().join("widget-dist");
    std::fs::create_dir(&widget).unwrap();
    crate::helpers::write_fake_bundle(&widget);
    // This test binary embeds no widget (release packages do): point it at one, as a
    // developer would.
    let config = format!(
        "widget_dir = \"{}\"\n{}",
        widget.display(),
        block.replace("https://shop.example", &page_origin)
    );
    let cfg = dir.path().join("proxy.toml");
    std::fs::write(&cfg, config).unwrap();
    let (_proxy, proxy_url) = spawn_proxy(&cfg, &fake, &[]);
    let page = format!(
        "<!doctype html><script src=\"{proxy_url}/widget.js\" data-client-id=\"shop\" async></script>"
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", page_port))
        .await
        .unwrap();
    let site = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let page = page.clone();
            async move { axum::response::Html(page) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, site).await });

    let http = reqwest::Client::new();
    let html = http.get(&page_origin).fetch_text().await;
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    let loader = http
        .get(script)
        .header("Origin", &page_origin)
        .send()
        .await
        .unwrap();
    assert_eq!(loader.status(), 200, "the widget is served");
    assert_eq!(loader.headers()["access-control-allow-origin"], "*");
    let info: serde_json::Value = http
        .get(format!("{proxy_url}/api/clients/shop"))
        .header("Origin", &page_origin)
        .fetch_json()
        .await;
    let token = info["session_token"]
        .as_str()
        .expect("sessions are on by default");
    let reply = http
        .post(format!("{proxy_url}/api/chat"))
        .header("Origin", &page_origin)
        .header("X-Widget-Session", token)
        .json(&json!({"client_id": "shop", "message": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
}
