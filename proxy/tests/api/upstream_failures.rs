//! When the upstream fails: every status mapped to the widget's error, retries before the first
//! byte and never after, stalls, mid-stream errors, malformed answers, visitors who leave.

use std::time::{Duration, Instant};

use fake_xai::{Delays, FaultKind};
use serde_json::json;

use crate::helpers::{Options, ask, body_json, spawn_app, spawn_app_with};

#[tokio::test]
async fn each_upstream_status_maps_to_the_right_widget_error() {
    let cases: &[(u16, Option<&str>, u16, &str)] = &[
        (400, None, 502, "upstream_error"),
        (401, None, 503, "upstream_unavailable"),
        (403, None, 503, "upstream_unavailable"),
        (404, None, 502, "upstream_error"),
        (
            404,
            Some("9f1c2d3e-0000-4000-8000-000000000000"),
            404,
            "conversation_not_found",
        ),
        (422, None, 502, "upstream_error"),
        (429, None, 429, "rate_limited"),
        (500, None, 502, "upstream_error"),
        (503, None, 503, "upstream_unavailable"),
        (504, None, 504, "upstream_timeout"),
    ];
    let app = spawn_app_with(Options {
        toml: format!("retry_max = 0\n{}", crate::helpers::CLIENTS),
        ..Options::default()
    })
    .await;
    // A conversation the proxy handed out, so a continuation reaches x.ai (which then says 404).
    let known: serde_json::Value = app.chat(ask("hi")).await.json().await.unwrap();
    let known = known["response_id"].as_str().unwrap().to_owned();
    for &(upstream, previous, status, code) in cases {
        app.inject(
            "/v1/responses",
            1,
            FaultKind::Status {
                status: upstream,
                retry_after: Some(7),
                body: None,
            },
        );
        let mut req = ask("hi");
        if previous.is_some() {
            req["previous_response_id"] = json!(known);
        }
        let resp = app.chat(req).await;
        assert_eq!(resp.status(), status, "upstream {upstream}");
        let retry_after = resp
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = body_json(resp).await;
        assert_eq!(body["error"]["code"], code, "upstream {upstream}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            !message.contains("x.ai") || !message.contains("http"),
            "{message}"
        );
        assert!(
            !message.contains("console.x.ai") && !message.contains("team"),
            "upstream text leaked: {message}"
        );
        if upstream == 429 || upstream == 503 {
            assert_eq!(retry_after.as_deref(), Some("7"), "upstream {upstream}");
        }
    }
}

#[tokio::test]
async fn a_429_is_retried_after_the_time_upstream_asked_for() {
    let app = spawn_app().await;
    app.inject(
        "/v1/responses",
        1,
        FaultKind::Status {
            status: 429,
            retry_after: Some(1),
            body: None,
        },
    );
    let started = Instant::now();
    let resp = app.chat(ask("[[reply: Second time lucky.]]")).await;
    assert_eq!(resp.status(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(body_json(resp).await["response"], "Second time lucky.");
    assert_eq!(app.fake.count("/v1/responses"), 2);
}

#[tokio::test]
async fn a_5xx_is_retried_with_backoff_and_bounded() {
    let app = spawn_app().await;
    app.inject(
        "/v1/responses",
        10,
        FaultKind::Status {
            status: 500,
            retry_after: None,
            body: None,
        },
    );
    let resp = app.chat(ask("hi")).await;
    assert_eq!(resp.status(), 502);
    assert_eq!(
        app.fake.count("/v1/responses"),
        3,
        "first attempt + retry_max (2) retries"
    );
}

#[tokio::test]
async fn nothing_is_retried_once_the_stream_has_started() {
    let app = spawn_app().await;
    app.inject(
        "/v1/responses",
        1,
        FaultKind::DropMidStream { after_events: 6 },
    );
    let events = app
        .stream_events("[[reply: This reply will be cut off midway.]]")
        .await;
    let (name, err) = events.last().unwrap();
    assert_eq!(name, "error", "{events:?}");
    assert_eq!(err["code"], "upstream_error");
    assert!(
        events.iter().any(|(e, _)| e == "delta"),
        "text that arrived was relayed"
    );
    assert_eq!(app.fake.count("/v1/responses"), 1);
}

#[tokio::test]
async fn a_mid_stream_error_event_ends_the_turn_with_a_typed_error() {
    let app = spawn_app().await;
    app.inject(
        "/v1/responses",
        1,
        FaultKind::MidStreamError { after_events: 6 },
    );
    let events = app
        .stream_events("[[reply: Some words before the failure.]]")
        .await;
    assert_eq!(events.last().unwrap().0, "error");
}

#[tokio::test]
async fn a_stalled_stream_ends_with_a_timeout_error() {
    let app = spawn_app_with(Options {
        toml: format!("stream_idle_timeout_secs = 1\n{}", crate::helpers::CLIENTS),
        ..Options::default()
    })
    .await;
    app.inject(
        "/v1/responses",
        1,
        FaultKind::StallMidStream {
            after_events: 6,
            ms: 60_000,
        },
    );
    let started = Instant::now();
    let events = app
        .stream_events("[[reply: It stops right about here and never resumes.]]")
        .await;
    let (name, err) = events.last().unwrap();
    assert_eq!(name, "error");
    assert_eq!(err["code"], "upstream_timeout");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn malformed_upstream_json_is_a_502_not_a_crash() {
    let app = spawn_app().await;
    app.inject("/v1/responses", 1, FaultKind::MalformedJson);
    let resp = app.chat(ask("hi")).await;
    assert_eq!(resp.status(), 502);
    app.inject("/v1/responses", 1, FaultKind::MalformedJson);
    let events = app.stream_events("[[reply: Half of this is fine.]]").await;
    assert_eq!(events.last().unwrap().0, "error");
}

#[tokio::test]
async fn a_visitor_who_leaves_mid_stream_cancels_the_upstream_request() {
    let app = spawn_app().await;
    app.fake.set_delays(Delays::text(0, 100));
    let mut resp = app
        .chat_stream(ask(&format!("[[reply: {}]]", "word ".repeat(60))))
        .await;
    let first = resp.chunk().await.unwrap();
    assert!(first.is_some());
    drop(resp);
    let started = Instant::now();
    while app.fake.stream_outcomes().abandoned == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "upstream stream still running"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.fake.stream_outcomes().completed, 0);
}
