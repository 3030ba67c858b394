//! The fakes answer as their providers document: auth, shapes, streams, faults.

use fake_kit::client::Fetch;
use fake_providers::{
    ANTHROPIC_MESSAGES, FakeConfig, FakeProviders, Fault, FaultKind, OPENAI_RESPONSES,
};
use serde_json::{Value, json};

async fn start() -> (FakeProviders, reqwest::Client) {
    (
        FakeProviders::start(FakeConfig::default()).await.unwrap(),
        reqwest::Client::new(),
    )
}

fn openai(
    http: &reqwest::Client,
    fake: &FakeProviders,
    key: Option<&str>,
) -> reqwest::RequestBuilder {
    let req = http.post(format!("{}/responses", fake.openai_base_url()));
    match key {
        Some(k) => req.bearer_auth(k),
        None => req,
    }
}

fn anthropic(
    http: &reqwest::Client,
    fake: &FakeProviders,
    key: Option<&str>,
    version: bool,
) -> reqwest::RequestBuilder {
    let mut req = http.post(format!("{}/messages", fake.anthropic_base_url()));
    if let Some(k) = key {
        req = req.header("x-api-key", k);
    }
    if version {
        req = req.header("anthropic-version", "2023-06-01");
    }
    req
}

/// Sends and unwraps: these tests are about the answer, not the transport.
async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    request.send().await.unwrap()
}

/// `data:` payloads of an SSE body, with their `event:` names.
fn sse(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter_map(|block| {
            let mut event = String::new();
            let mut data = None;
            for line in block.lines() {
                if let Some(e) = line.strip_prefix("event: ") {
                    event = e.to_owned();
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(d).ok();
                }
            }
            data.map(|d| (event, d))
        })
        .collect()
}

#[tokio::test]
async fn openai_rejects_missing_and_wrong_keys_with_its_error_shape() {
    let (fake, http) = start().await;
    for key in [None, Some("sk-wrong")] {
        let resp =
            send(openai(&http, &fake, key).json(&json!({"model": "gpt-4.1-mini", "input": "hi"})))
                .await;
        assert_eq!(resp.status(), 401);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["type"], "invalid_request_error");
        assert_eq!(body["error"]["code"], "invalid_api_key");
        assert!(body["error"]["message"].is_string());
    }
}

#[tokio::test]
async fn openai_remembers_stored_conversations_and_uses_resp_ids() {
    let (fake, http) = start().await;
    let key = Some(FakeConfig::default().openai_api_key);
    let first: Value = openai(&http, &fake, key.as_deref())
        .json(&json!({"model": "gpt-4.1-mini", "input": "My name is Alice", "instructions": "Be brief."}))
        .fetch_json().await;
    let id = first["id"].as_str().unwrap();
    assert!(id.starts_with("resp_"), "{first}");
    assert_eq!(first["status"], "completed");
    let second: Value = openai(&http, &fake, key.as_deref())
        .json(&json!({"model": "gpt-4.1-mini", "input": "What's my name?", "previous_response_id": id}))
        .fetch_json().await;
    assert_eq!(
        second["output"][0]["content"][0]["text"],
        "Your name is Alice."
    );
    let unknown = send(openai(&http, &fake, key.as_deref()).json(
        &json!({"model": "gpt-4.1-mini", "input": "x", "previous_response_id": "resp_nope"}),
    ))
    .await;
    assert_eq!(unknown.status(), 400);
}

#[tokio::test]
async fn openai_streams_have_event_lines_sequence_numbers_and_no_done_marker() {
    let (fake, http) = start().await;
    let key = Some(FakeConfig::default().openai_api_key);
    let body = openai(&http, &fake, key.as_deref())
        .json(
            &json!({"model": "gpt-4.1-mini", "input": "[[reply: One two three.]]", "stream": true}),
        )
        .fetch_text()
        .await;
    assert!(!body.contains("[DONE]"));
    let events = sse(&body);
    let text: String = events
        .iter()
        .filter(|(e, _)| e == "response.output_text.delta")
        .map(|(_, d)| d["delta"].as_str().unwrap())
        .collect();
    assert_eq!(text, "One two three.");
    for (n, (_, d)) in events.iter().enumerate() {
        assert_eq!(d["sequence_number"], n);
    }
    assert_eq!(events.last().unwrap().0, "response.completed");
}

#[tokio::test]
async fn anthropic_needs_its_key_and_version_headers() {
    let (fake, http) = start().await;
    let good = FakeConfig::default().anthropic_api_key;
    let body = json!({"model": "claude-haiku-4-5", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]});
    for (key, version, status) in [
        (None, true, 401),
        (Some("bad"), true, 401),
        (Some(good.as_str()), false, 400),
        (Some(good.as_str()), true, 200),
    ] {
        let resp = send(anthropic(&http, &fake, key, version).json(&body)).await;
        assert_eq!(resp.status(), status, "{key:?} {version}");
        if status == 401 {
            let err: Value = resp.json().await.unwrap();
            assert_eq!(err["type"], "error");
            assert_eq!(err["error"]["type"], "authentication_error");
        }
    }
    let no_max = send(anthropic(&http, &fake, Some(&good), true).json(
        &json!({"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "hi"}]}),
    ))
    .await;
    assert_eq!(no_max.status(), 400);
}

#[tokio::test]
async fn anthropic_replies_from_the_whole_conversation_and_streams_its_events() {
    let (fake, http) = start().await;
    let key = FakeConfig::default().anthropic_api_key;
    let msg: Value = anthropic(&http, &fake, Some(&key), true)
        .json(&json!({"model": "claude-haiku-4-5", "max_tokens": 100, "system": "Be brief.", "messages": [
            {"role": "user", "content": "My name is Alice"},
            {"role": "assistant", "content": "Hello"},
            {"role": "user", "content": "What's my name?"}]}))
        .fetch_json().await;
    assert_eq!(msg["content"][0]["text"], "Your name is Alice.");
    assert_eq!(msg["stop_reason"], "end_turn");
    let body = anthropic(&http, &fake, Some(&key), true)
        .json(
            &json!({"model": "claude-haiku-4-5", "max_tokens": 100, "stream": true,
                      "messages": [{"role": "user", "content": "[[reply: Hi there friend.]]"}]}),
        )
        .fetch_text()
        .await;
    let events = sse(&body);
    let names: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(names.last(), Some(&"message_stop"));
    assert!(names.contains(&"ping") && names.contains(&"message_delta"));
    let text: String = events
        .iter()
        .filter(|(e, _)| e == "content_block_delta")
        .map(|(_, d)| d["delta"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, "Hi there friend.");
}

#[tokio::test]
async fn faults_apply_to_their_path_with_the_providers_error_shape() {
    let (fake, http) = start().await;
    fake.inject(Fault {
        path: ANTHROPIC_MESSAGES.into(),
        times: 1,
        kind: FaultKind::Status {
            status: 429,
            retry_after: Some(3),
            body: None,
        },
    });
    fake.inject(Fault {
        path: OPENAI_RESPONSES.into(),
        times: 1,
        kind: FaultKind::MidStreamError { after_events: 3 },
    });
    let key = FakeConfig::default().anthropic_api_key;
    let resp = anthropic(&http, &fake, Some(&key), true)
        .json(&json!({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}))
        .send().await.unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "3");
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["error"]["type"], "rate_limit_error");
    let body = openai(&http, &fake, Some(&FakeConfig::default().openai_api_key))
        .json(&json!({"model": "m", "input": "hi", "stream": true}))
        .fetch_text()
        .await;
    let events = sse(&body);
    assert_eq!(events.len(), 4);
    assert_eq!(events.last().unwrap().1["type"], "error");
    assert_eq!(fake.count(ANTHROPIC_MESSAGES), 1);
}
