//! Injected misbehaviour on HTTP: slow first byte, stalls, drops, malformed JSON, stream errors.

use std::time::{Duration, Instant};

use fake_xai::{Fault, FaultKind};
use serde_json::{Value, json};

use crate::helpers::{parse_sse, spawn_fake};

fn fault(path: &str, kind: FaultKind) -> Fault {
    Fault {
        path: path.into(),
        times: 1,
        kind,
    }
}

fn streaming() -> Value {
    json!({"model": "grok-4-1-fast-non-reasoning", "input": "[[reply: a b c d e f]]", "stream": true})
}

#[tokio::test]
async fn slow_first_byte_delays_the_status_line() {
    let app = spawn_fake().await;
    app.fake
        .inject(fault("/v1/models", FaultKind::SlowFirstByte { ms: 200 }));
    let start = Instant::now();
    assert_eq!(app.get("/v1/models").await.status(), 200);
    assert!(start.elapsed() >= Duration::from_millis(200));
    let start = Instant::now();
    app.get("/v1/models").await;
    assert!(start.elapsed() < Duration::from_millis(200));
}

#[tokio::test]
async fn a_stall_pauses_the_stream_then_it_completes() {
    let app = spawn_fake().await;
    app.fake.inject(fault(
        "/v1/responses",
        FaultKind::StallMidStream {
            after_events: 3,
            ms: 250,
        },
    ));
    let (chunks, errored) = app.stream_chunks("/v1/responses", &streaming()).await;
    assert!(!errored);
    let text: String = chunks.iter().map(|(_, c)| c.as_str()).collect();
    let frames = parse_sse(&text);
    assert_eq!(frames.last().unwrap().data, "[DONE]");
    let gap = chunks.windows(2).map(|w| w[1].0 - w[0].0).max().unwrap();
    assert!(gap >= Duration::from_millis(240), "longest gap {gap:?}");
}

#[tokio::test]
async fn a_drop_ends_the_body_without_completion_or_done() {
    let app = spawn_fake().await;
    app.fake.inject(fault(
        "/v1/responses",
        FaultKind::DropMidStream { after_events: 5 },
    ));
    let (chunks, errored) = app.stream_chunks("/v1/responses", &streaming()).await;
    assert!(errored, "the body ends with an error, not a clean end");
    let text: String = chunks.iter().map(|(_, c)| c.as_str()).collect();
    let frames = parse_sse(&text);
    assert_eq!(frames.len(), 5);
    assert!(!text.contains("response.completed"));
    assert!(!text.contains("[DONE]"));
}

#[tokio::test]
async fn a_mid_stream_error_event_has_the_next_sequence_number_and_ends_the_stream() {
    let app = spawn_fake().await;
    app.fake.inject(fault(
        "/v1/responses",
        FaultKind::MidStreamError { after_events: 4 },
    ));
    let frames = app.stream("/v1/responses", &streaming()).await;
    assert_eq!(frames.len(), 5);
    let error = frames[4].json();
    assert_eq!(error["type"], "error");
    assert_eq!(error["sequence_number"], 4);
    for field in ["code", "message", "param"] {
        assert!(error.get(field).is_some(), "{field}");
    }
    assert_eq!(frames[4].event.as_deref(), Some("error"));
}

#[tokio::test]
async fn malformed_json_breaks_a_json_answer_and_one_line_of_a_stream() {
    let app = spawn_fake().await;
    app.fake
        .inject(fault("/v1/responses", FaultKind::MalformedJson));
    let response = app
        .post(
            "/v1/responses",
            &json!({"model": "grok-3-mini", "input": "x"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(serde_json::from_str::<Value>(&response.text().await.unwrap()).is_err());

    app.fake
        .inject(fault("/v1/responses", FaultKind::MalformedJson));
    let frames = app.stream("/v1/responses", &streaming()).await;
    let bad: Vec<_> = frames
        .iter()
        .filter(|f| f.data != "[DONE]" && serde_json::from_str::<Value>(&f.data).is_err())
        .collect();
    assert_eq!(bad.len(), 1);
    let good: Vec<Value> = frames
        .iter()
        .filter_map(|f| serde_json::from_str::<Value>(&f.data).ok())
        .collect();
    assert_eq!(good.last().unwrap()["type"], "response.completed");
    for (n, event) in good.iter().enumerate() {
        assert_eq!(event["sequence_number"], n);
    }
}

#[tokio::test]
async fn stream_faults_wait_for_a_streaming_request() {
    let app = spawn_fake().await;
    app.fake.inject(fault(
        "/v1/responses",
        FaultKind::DropMidStream { after_events: 1 },
    ));
    // A non-streaming request does not consume the stream fault.
    assert_eq!(app.turn_status("grok-3-mini").await, 200);
    let (_, errored) = app.stream_chunks("/v1/responses", &streaming()).await;
    assert!(errored);
    let (_, errored) = app.stream_chunks("/v1/responses", &streaming()).await;
    assert!(!errored);
}
