//! A public proxy spending someone's money: limits, budgets, sessions, hostile input.

use std::time::Duration;

use fake_kit::client::Fetch;
use fake_xai::{Delays, FaultKind};
use futures_util::future::join_all;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{
    ORIGIN, Options, ask, assert_no_canary, captured_logs, spawn_app, spawn_app_with,
};

async fn statuses(
    app: &crate::helpers::TestApp,
    n: usize,
    xff: Option<&dyn Fn(usize) -> String>,
) -> Vec<u16> {
    let reqs = (0..n).map(|i| {
        let mut r = app
            .http
            .post(app.url("/api/chat"))
            .header("Origin", ORIGIN)
            .json(&ask("hi"));
        if let Some(f) = xff {
            r = r.header("X-Forwarded-For", f(i));
        }
        async move { r.send().await.unwrap().status().as_u16() }
    });
    join_all(reqs).await
}

#[tokio::test]
async fn a_burst_of_ten_times_the_ip_limit_lets_through_only_the_limit() {
    let app = spawn_app_with(Options::top("", "rate_per_ip = 3\nvoice_enabled = false")).await;
    let got = statuses(&app, 30, None).await;
    assert_eq!(got.iter().filter(|s| **s == 200).count(), 3, "{got:?}");
    assert_eq!(got.iter().filter(|s| **s == 429).count(), 27);
    assert_eq!(
        app.fake.count("/v1/responses"),
        3,
        "rejected requests never reach x.ai"
    );
    let resp = app.chat(ask("hi")).await;
    assert_eq!(resp.status(), 429);
    let wait = crate::helpers::retry_after(&resp);
    assert!((1..=20).contains(&wait), "{wait}");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(body["error"]["retry_after_secs"], wait);
}

#[tokio::test]
async fn a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = spawn_app_with(Options::top("", "rate_per_ip = 2\nvoice_enabled = false")).await;
    let spoof = |i: usize| format!("198.51.100.{i}");
    let got = statuses(&app, 6, Some(&spoof)).await;
    assert_eq!(got.iter().filter(|s| **s == 200).count(), 2, "{got:?}");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket() {
    let app = spawn_app_with(Options::top(
        "trusted_proxies = [\"127.0.0.1/32\"]",
        "rate_per_ip = 2\nvoice_enabled = false",
    ))
    .await;
    let distinct = |i: usize| format!("198.51.100.{i}");
    let got = statuses(&app, 6, Some(&distinct)).await;
    assert!(got.iter().all(|s| *s == 200), "{got:?}");
    // The same forwarded client, over its limit; a spoofed left-hand hop changes nothing.
    let same = |i: usize| format!("10.9.9.{i}, 203.0.113.5");
    let got = statuses(&app, 4, Some(&same)).await;
    assert_eq!(got.iter().filter(|s| **s == 200).count(), 2, "{got:?}");
}

#[tokio::test]
async fn the_per_site_limit_caps_all_visitors_together() {
    let app = spawn_app_with(Options::top(
        "trusted_proxies = [\"127.0.0.1/32\"]",
        "rate_per_ip = 100\nrate_per_client = 4\nvoice_enabled = false",
    ))
    .await;
    let distinct = |i: usize| format!("198.51.100.{i}");
    let got = statuses(&app, 12, Some(&distinct)).await;
    assert_eq!(got.iter().filter(|s| **s == 200).count(), 4, "{got:?}");
}

#[tokio::test]
async fn fifty_concurrent_turns_at_ninety_nine_percent_of_the_budget_overshoot_by_at_most_one() {
    // Learn what one turn costs, then set the budget so that turn is 99% of it.
    let probe = spawn_app_with(Options::top("", "voice_enabled = false")).await;
    let one: serde_json::Value = probe.chat(ask("hi")).await.json().await.unwrap();
    let per_turn = one["usage"]["total_tokens"].as_u64().unwrap();
    let budget = per_turn * 100 / 99;
    let app = spawn_app_with(Options::top(
        "",
        &format!("voice_enabled = false\nrate_per_ip = 1000\nrate_per_client = 1000\ndaily_token_budget = {budget}"),
    ))
    .await;
    assert_eq!(app.chat(ask("hi")).await.status(), 200);
    let got = statuses(&app, 50, None).await;
    let passed = got.iter().filter(|s| **s == 200).count();
    assert!(
        passed <= 1,
        "{passed} turns started past 99% of the budget: {got:?}"
    );
    assert!(got.iter().all(|s| *s == 200 || *s == 503), "{got:?}");
    assert!(app.fake.count("/v1/responses") <= 2);
    let resp = app.chat(ask("hi")).await;
    assert_eq!(resp.status(), 503);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "budget_exhausted");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unavailable")
    );
    assert!(captured_logs().contains("daily budget exhausted"));
}

#[tokio::test]
async fn a_dollar_budget_is_enforced_too() {
    let app = spawn_app_with(Options::top(
        "",
        "voice_enabled = false\ndaily_usd_budget = 0.000001",
    ))
    .await;
    assert_eq!(
        app.chat(ask("hi")).await.status(),
        200,
        "the first turn may start"
    );
    assert_eq!(app.chat(ask("hi")).await.status(), 503);
}

#[tokio::test]
async fn conversations_have_a_turn_limit() {
    let app = spawn_app_with(Options::top("", "voice_enabled = false\nmax_turns = 2")).await;
    let first: serde_json::Value = app.chat(ask("one")).await.json().await.unwrap();
    let second: serde_json::Value = app
        .chat(json!({"client_id": "demo", "message": "two", "previous_response_id": first["response_id"]}))
        .await
        .json()
        .await
        .unwrap();
    let third = app
        .chat(json!({"client_id": "demo", "message": "three", "previous_response_id": second["response_id"]}))
        .await;
    assert_eq!(third.status(), 413);
    let body: serde_json::Value = third.json().await.unwrap();
    assert_eq!(body["error"]["code"], "conversation_too_long");
    assert_eq!(app.fake.count("/v1/responses"), 2);
}

#[tokio::test]
async fn the_global_stream_cap_refuses_clearly_without_calling_upstream() {
    let app = spawn_app_with(Options::top(
        "max_concurrent_streams = 1",
        "voice_enabled = false",
    ))
    .await;
    app.fake.set_delays(Delays::text(0, 50));
    let mut first = app
        .chat_stream(ask(
            "[[reply: one two three four five six seven eight nine ten]]",
        ))
        .await;
    assert!(first.chunk().await.unwrap().is_some());
    let second = app.chat(ask("hi")).await;
    assert_eq!(second.status(), 503);
    assert!(second.headers().contains_key("retry-after"));
    assert_eq!(app.fake.count("/v1/responses"), 1);
    drop(first);
}

async fn session_app() -> (crate::helpers::TestApp, String) {
    let app = spawn_app_with(Options::top(
        "",
        "voice_enabled = false\nsession_tokens = true",
    ))
    .await;
    let info: serde_json::Value = app
        .http
        .get(app.url("/api/clients/demo"))
        .header("Origin", ORIGIN)
        .fetch_json()
        .await;
    let token = info["session_token"]
        .as_str()
        .expect("a session token")
        .to_owned();
    (app, token)
}

#[tokio::test]
async fn with_sessions_on_a_chat_needs_a_valid_token() {
    let (app, token) = session_app().await;
    let without = app.chat(ask("hi")).await;
    assert_eq!(without.status(), 403);
    let body: serde_json::Value = without.json().await.unwrap();
    assert_eq!(body["error"]["code"], "session_invalid");
    // The last hex digit of the tag changed (to 0, or to 1 when it already is 0).
    let last = if token.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &token[..token.len() - 1]);
    for t in [forged.as_str(), "v1.abc.1.def"] {
        let resp = app
            .http
            .post(app.url("/api/chat"))
            .header("Origin", ORIGIN)
            .header("X-Widget-Session", t)
            .json(&ask("hi"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403);
    }
    let ok = app
        .http
        .post(app.url("/api/chat"))
        .header("Origin", ORIGIN)
        .header("X-Widget-Session", &token)
        .json(&ask("hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(app.fake.count("/v1/responses"), 1);
}

#[tokio::test]
async fn a_visitor_cannot_continue_someone_elses_conversation() {
    let (app, alice) = session_app().await;
    let info: serde_json::Value = app
        .http
        .get(app.url("/api/clients/demo"))
        .header("Origin", ORIGIN)
        .fetch_json()
        .await;
    let mallory = info["session_token"].as_str().unwrap().to_owned();
    let send = |token: String, body: serde_json::Value| {
        let req = app
            .http
            .post(app.url("/api/chat"))
            .header("Origin", ORIGIN)
            .header("X-Widget-Session", token)
            .json(&body);
        async move { req.send().await.unwrap() }
    };
    let first: serde_json::Value = send(alice.clone(), ask("My name is Alice"))
        .await
        .json()
        .await
        .unwrap();
    let stolen = json!({"client_id": "demo", "message": "What's my name?", "previous_response_id": first["response_id"]});
    let resp = send(mallory, stolen.clone()).await;
    assert_eq!(
        resp.status(),
        404,
        "looks exactly like an unknown conversation"
    );
    let mine: serde_json::Value = send(alice, stolen).await.json().await.unwrap();
    assert!(mine["response"].as_str().unwrap().contains("Alice"));
    assert_eq!(app.fake.count("/v1/responses"), 2);
}

#[tokio::test]
async fn hostile_bodies_get_fast_clear_4xx() {
    let app = spawn_app().await;
    let post = |body: Vec<u8>, ct: &'static str, enc: Option<&'static str>| {
        let mut r = app
            .http
            .post(app.url("/api/chat"))
            .header("Origin", ORIGIN)
            .header("content-type", ct)
            .body(body);
        if let Some(e) = enc {
            r = r.header("content-encoding", e);
        }
        async move { r.send().await.unwrap() }
    };
    let bad_utf8 = b"{\"client_id\":\"demo\",\"message\":\"\xff\xfe\"}".to_vec();
    assert_eq!(post(bad_utf8, "application/json", None).await.status(), 400);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes();
    assert_eq!(post(deep, "application/json", None).await.status(), 413);
    let nested = format!(
        "{{\"client_id\":\"demo\",\"message\":\"hi\",\"voice\":{}{}}}",
        "[".repeat(500),
        "]".repeat(500)
    );
    assert!(matches!(
        post(nested.into_bytes(), "application/json", None)
            .await
            .status()
            .as_u16(),
        400 | 422
    ));
    let dup = br#"{"client_id":"demo","message":"hi","message":"again"}"#.to_vec();
    assert_eq!(post(dup, "application/json", None).await.status(), 422);
    assert_eq!(
        post(
            b"client_id=demo".to_vec(),
            "application/x-www-form-urlencoded",
            None
        )
        .await
        .status(),
        415
    );
    assert_eq!(post(b"{}".to_vec(), "text/plain", None).await.status(), 415);
    // A gzip "bomb" is never inflated: the body is not JSON as sent.
    let bomb = vec![
        0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03, 0xed, 0xc1, 0x01, 0x0d, 0, 0, 0,
    ];
    assert_eq!(
        post(bomb, "application/json", Some("gzip")).await.status(),
        400
    );
    assert_eq!(app.fake.count("/v1/responses"), 0);
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_is_disconnected() {
    let app = spawn_app_with(Options::top("header_read_timeout_secs = 1", "")).await;
    let mut conn = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    conn.write_all(b"POST /api/chat HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut buf)).await;
    assert!(
        read.is_ok(),
        "the connection was not closed after the header timeout"
    );
}

#[tokio::test]
async fn a_body_that_never_finishes_is_cut_off() {
    let app = spawn_app_with(Options::top("body_read_timeout_secs = 1", "")).await;
    let mut conn = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/chat HTTP/1.1\r\nHost: x\r\nOrigin: {ORIGIN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"client_id\":"
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), conn.read(&mut buf))
        .await
        .expect("answered in time")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(
        text.starts_with("HTTP/1.1 4") || text.starts_with("HTTP/1.1 5"),
        "{text}"
    );
}

#[tokio::test]
async fn control_characters_in_input_never_reach_log_lines_raw() {
    let app = spawn_app().await;
    let nasty = "evil\r\nINFO forged line \u{1b}[31mred";
    app.http
        .get(app.url(&format!("/api/clients/{}", urlencode(nasty))))
        .send()
        .await
        .unwrap();
    app.chat(json!({"client_id": nasty, "message": nasty}))
        .await;
    let logs = captured_logs();
    assert!(!logs.contains('\u{1b}'), "an ANSI escape reached the logs");
    assert!(
        !logs.contains("\r\nINFO forged line"),
        "a CRLF reached the logs"
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let resp = app.get("/healthz", &[]).await;
    assert_eq!(resp.headers()["x-request-id"].to_str().unwrap().len(), 36);
}

#[tokio::test]
async fn readyz_and_metrics_report_without_calling_upstream() {
    let app = spawn_app().await;
    assert_eq!(app.get("/readyz", &[]).await.status(), 200);
    app.chat(ask("[[reply: Counting tokens.]]"))
        .await
        .text()
        .await
        .unwrap();
    app.chat_stream(ask("[[reply: Streamed for the first token metric.]]"))
        .await
        .text()
        .await
        .unwrap();
    app.inject(
        "/v1/responses",
        5,
        FaultKind::Status {
            status: 500,
            retry_after: None,
            body: None,
        },
    );
    app.chat(ask("hi")).await.text().await.unwrap();
    let before = app.fake.requests().len();
    let metrics = app.http.get(app.url("/metrics")).fetch_text().await;
    assert_eq!(app.fake.requests().len(), before);
    for name in [
        "http_requests_total",
        "http_request_duration_seconds",
        "chat_tokens_total{client=\"demo\",kind=\"input\"}",
        "chat_cost_microdollars_total",
        "tts_clip_duration_seconds",
        "chat_time_to_first_token_seconds",
        "upstream_errors_total{kind=\"status\"}",
        "tts_requests_total",
    ] {
        assert!(
            metrics.contains(name),
            "{name} missing from /metrics:\n{metrics}"
        );
    }
    assert!(!metrics.contains("127.0.0.1"), "no per-IP labels");
    assert_no_canary("metrics", &metrics);
}

#[tokio::test]
async fn with_an_admin_address_metrics_leave_the_public_port() {
    let app = spawn_app_with(Options::top("admin_listen = \"127.0.0.1:0\"", "")).await;
    assert_eq!(app.get("/metrics", &[]).await.status(), 404);
}
