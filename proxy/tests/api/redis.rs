//! Several proxy processes sharing limits and budgets through a real `redis-server`, and what
//! happens when Redis goes away. `.ci/install` installs redis-server; without it (outside CI)
//! these tests say so and pass vacuously.

use std::time::Duration;

use fake_kit::client::Fetch;
use fake_xai::{FakeConfig, FakeXai};
use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{CANARY_KEY, CLIENTS, ORIGIN, Proc, spawn_proxy, start_redis};

/// A proxy replica sharing the Redis on `redis_port`.
fn replica(config: &std::path::Path, fake: &FakeXai, redis_port: u16) -> (Proc, String) {
    spawn_proxy(
        config,
        fake,
        &[("PROXY_REDIS_URL", format!("redis://127.0.0.1:{redis_port}"))],
    )
}

fn config(client_lines: &str, top: &str) -> tempfile::NamedTempFile {
    let f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    std::fs::write(
        f.path(),
        format!("{top}\n{CLIENTS}voice_enabled = false\n{client_lines}\n"),
    )
    .unwrap();
    f
}

async fn post_all(http: &reqwest::Client, urls: &[String], n: usize) -> Vec<u16> {
    join_all((0..n).map(|i| {
        let req = http
            .post(format!("{}/api/chat", urls[i % urls.len()]))
            .header("Origin", ORIGIN)
            .json(&json!({"client_id": "demo", "message": "hi"}));
        async move { req.send().await.unwrap().status().as_u16() }
    }))
    .await
}

/// A Redis server (its process and port) and a fake x.ai for the replicas; `None` where no
/// `redis-server` is installed (the test then passes without running).
async fn redis_and_fake() -> Option<(Proc, u16, FakeXai)> {
    let (redis, port) = start_redis().await?;
    let fake = FakeXai::start(FakeConfig {
        api_key: CANARY_KEY.into(),
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    Some((redis, port, fake))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_share_one_rate_limit() {
    let Some((_redis, port, fake)) = redis_and_fake().await else {
        return;
    };
    let cfg = config("rate_per_client = 5\nrate_per_ip = 1000", "");
    let replicas: Vec<_> = (0..3).map(|_| replica(cfg.path(), &fake, port)).collect();
    let urls: Vec<String> = replicas.iter().map(|(_, u)| u.clone()).collect();
    let got = post_all(&reqwest::Client::new(), &urls, 30).await;
    assert_eq!(got.iter().filter(|s| **s == 200).count(), 5, "{got:?}");
    assert_eq!(fake.count("/v1/responses"), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_share_one_budget() {
    let Some((_redis, port, fake)) = redis_and_fake().await else {
        return;
    };
    // A budget one turn nearly fills: 99% of it after the first turn.
    let http = reqwest::Client::new();
    let probe_cfg = config("", "");
    let (_probe, probe) = replica(probe_cfg.path(), &fake, port);
    let one: serde_json::Value = http
        .post(format!("{probe}/api/chat"))
        .header("Origin", ORIGIN)
        .json(&json!({"client_id": "demo", "message": "hi"}))
        .fetch_json()
        .await;
    let budget = one["usage"]["total_tokens"].as_u64().unwrap() * 100 / 99;
    // A fresh client id, so the probe's spending is not counted.
    let cfg = config(
        &format!("daily_token_budget = {budget}\nrate_per_ip = 1000\nrate_per_client = 1000"),
        "",
    );
    let text = std::fs::read_to_string(cfg.path())
        .unwrap()
        .replace("id = \"demo\"", "id = \"shared\"");
    let cfg_file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    std::fs::write(cfg_file.path(), text).unwrap();
    let replicas: Vec<_> = (0..3)
        .map(|_| replica(cfg_file.path(), &fake, port))
        .collect();
    let urls: Vec<String> = replicas.iter().map(|(_, u)| u.clone()).collect();
    let before = fake.count("/v1/responses");
    let first = http
        .post(format!("{}/api/chat", urls[0]))
        .header("Origin", ORIGIN)
        .json(&json!({"client_id": "shared", "message": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let got = join_all((0..50).map(|i| {
        let req = http
            .post(format!("{}/api/chat", urls[i % 3]))
            .header("Origin", ORIGIN)
            .json(&json!({"client_id": "shared", "message": "hi"}));
        async move { req.send().await.unwrap().status().as_u16() }
    }))
    .await;
    let passed = got.iter().filter(|s| **s == 200).count();
    assert!(
        passed <= 1,
        "{passed} turns passed 99% of a shared budget: {got:?}"
    );
    assert!(fake.count("/v1/responses") - before <= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_going_away_fails_closed_or_open_as_configured() {
    let Some((redis, port, fake)) = redis_and_fake().await else {
        return;
    };
    let closed_cfg = config("", "");
    let open_cfg = config("", "redis_fail_open = true");
    let (_closed, closed) = replica(closed_cfg.path(), &fake, port);
    let (_open, open) = replica(open_cfg.path(), &fake, port);
    let http = reqwest::Client::new();
    assert_eq!(
        post_all(&http, std::slice::from_ref(&closed), 1).await,
        [200]
    );
    assert_eq!(
        http.get(format!("{closed}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    drop(redis);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = fake.count("/v1/responses");
    let resp = http
        .post(format!("{closed}/api/chat"))
        .header("Origin", ORIGIN)
        .json(&json!({"client_id": "demo", "message": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
    assert_eq!(
        fake.count("/v1/responses"),
        before,
        "fail closed: x.ai is not called"
    );
    assert_eq!(
        http.get(format!("{closed}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
    assert_eq!(
        post_all(&http, std::slice::from_ref(&open), 1).await,
        [200],
        "fail open lets turns through"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_the_proxy_keeps_continues_on_another_replica() {
    let Some((_redis, port, fake)) = redis_and_fake().await else {
        return;
    };
    let cfg = config("api = \"chat_completions\"", "");
    let (_a, a) = replica(cfg.path(), &fake, port);
    let (_b, b) = replica(cfg.path(), &fake, port);
    let http = reqwest::Client::new();
    let ask = |base: &str, body: serde_json::Value| {
        http.post(format!("{base}/api/chat"))
            .header("Origin", ORIGIN)
            .json(&body)
            .fetch_json::<serde_json::Value>()
    };
    let first = ask(
        &a,
        json!({"client_id": "demo", "message": "My name is Alice"}),
    )
    .await;
    let next = json!({"client_id": "demo", "message": "What's my name?", "previous_response_id": first["response_id"]});
    let second = ask(&b, next).await;
    assert!(
        second["response"].as_str().unwrap().contains("Alice"),
        "{second}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_conversations_in_redis_are_capped_and_expire() {
    let Some((_redis, port, fake)) = redis_and_fake().await else {
        return;
    };
    let cfg = config(
        "api = \"chat_completions\"\nrate_per_ip = 1000\nrate_per_session = 1000",
        "max_conversations = 3\nmax_conversation_turns = 2\nconversation_ttl_hours = 2",
    );
    let (_proxy, url) = replica(cfg.path(), &fake, port);
    let http = reqwest::Client::new();
    let mut last = None::<String>;
    for i in 0..8 {
        let mut body = json!({"client_id": "demo", "message": format!("turn {i}")});
        if let Some(prev) = &last
            && i % 2 == 1
        {
            body["previous_response_id"] = json!(prev);
        }
        let v: serde_json::Value = http
            .post(format!("{url}/api/chat"))
            .header("Origin", ORIGIN)
            .json(&body)
            .fetch_json()
            .await;
        last = Some(v["response_id"].as_str().expect("a reply").to_owned());
    }
    let client = ::redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let ids: usize = ::redis::cmd("ZCARD")
        .arg("gw:conv:ids")
        .query_async(&mut conn)
        .await
        .unwrap();
    let keys: Vec<String> = ::redis::cmd("KEYS")
        .arg("gw:turn:*")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(ids, 3, "the index keeps the newest three");
    assert_eq!(keys.len(), 3, "{keys:?}");
    for key in keys {
        let ttl: i64 = ::redis::cmd("TTL")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!((1..=7200).contains(&ttl), "{key}: {ttl}");
    }
    // The newest conversation still continues.
    let resp = http
        .post(format!("{url}/api/chat"))
        .header("Origin", ORIGIN)
        .json(&json!({"client_id": "demo", "message": "again", "previous_response_id": last}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}
