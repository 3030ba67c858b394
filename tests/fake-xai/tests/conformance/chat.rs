//! `/v1/chat/completions`: JSON, streamed chunks, deferred completions.

use serde_json::{Value, json};

use crate::helpers::spawn_fake;

#[tokio::test]
async fn a_chat_completion_has_the_recorded_shape() {
    let app = spawn_fake().await;
    let c = app
        .post_ok(
            "/v1/chat/completions",
            &json!({"model": "grok-code-fast-1", "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "[[reply: Oi!]]"}
            ]}),
        )
        .await;
    let id = c["id"].as_str().unwrap();
    let (uuid, region) = id.split_once('_').unwrap();
    assert!(uuid::Uuid::parse_str(uuid).is_ok());
    assert_eq!(region, "us-east-1");
    assert_eq!(c["object"], "chat.completion");
    assert_eq!(c["model"], "grok-code-fast-1");
    let choice = &c["choices"][0];
    assert_eq!(choice["message"]["role"], "assistant");
    assert_eq!(choice["message"]["content"], "Oi!");
    assert!(choice["message"]["reasoning_content"].is_string());
    assert_eq!(choice["finish_reason"], "stop");
    let u = &c["usage"];
    let reasoning = u["completion_tokens_details"]["reasoning_tokens"]
        .as_u64()
        .unwrap();
    assert!(reasoning > 0);
    assert_eq!(
        u["total_tokens"].as_u64().unwrap(),
        u["prompt_tokens"].as_u64().unwrap() + u["completion_tokens"].as_u64().unwrap() + reasoning
    );
    assert!(c["system_fingerprint"].as_str().unwrap().starts_with("fp_"));
}

#[tokio::test]
async fn a_chat_stream_sends_chunks_a_finish_chunk_usage_and_done() {
    let app = spawn_fake().await;
    let frames = app
        .stream(
            "/v1/chat/completions",
            &json!({"model": "grok-4-1-fast-non-reasoning",
            "messages": [{"role": "user", "content": "[[reply: Hello big world.]]"}],
            "stream": true, "stream_options": {"include_usage": true}}),
        )
        .await;
    assert!(
        frames.iter().all(|f| f.event.is_none()),
        "chat streams are data-only"
    );
    assert_eq!(frames.last().unwrap().data, "[DONE]");
    let chunks: Vec<Value> = frames[..frames.len() - 1]
        .iter()
        .map(|f| f.json())
        .collect();
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Hello big world.");
    assert!(
        chunks
            .iter()
            .all(|c| c["object"] == "chat.completion.chunk")
    );
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["delta"], json!({}));
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    let usage = &chunks[chunks.len() - 1];
    assert_eq!(usage["choices"], json!([]));
    assert!(usage["usage"]["total_tokens"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn a_chat_stream_of_a_reasoning_model_sends_reasoning_content_first() {
    let app = spawn_fake().await;
    let frames = app
        .stream(
            "/v1/chat/completions",
            &json!({"model": "grok-3-mini",
            "messages": [{"role": "user", "content": "hi"}], "stream": true}),
        )
        .await;
    let first = frames[0].json();
    assert!(first["choices"][0]["delta"]["reasoning_content"].is_string());
    // Without include_usage the finish chunk is last before [DONE].
    assert_eq!(
        frames[frames.len() - 2].json()["choices"][0]["finish_reason"],
        "stop"
    );
}

#[tokio::test]
async fn max_tokens_cuts_a_chat_completion_with_finish_reason_length() {
    let app = spawn_fake().await;
    let c = app
        .post_ok(
            "/v1/chat/completions",
            &json!({"model": "grok-4-1-fast-non-reasoning",
            "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}),
        )
        .await;
    assert_eq!(c["choices"][0]["message"]["content"], "You said");
    assert_eq!(c["choices"][0]["finish_reason"], "length");
}

#[tokio::test]
async fn a_deferred_completion_is_pending_then_delivered_exactly_once() {
    let app = spawn_fake().await;
    let body = json!({"model": "grok-3-mini", "deferred": true,
                      "messages": [{"role": "user", "content": "[[reply: later]]"}]});
    let accepted = app.post_ok("/v1/chat/completions", &body).await;
    let request_id = accepted["request_id"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(request_id).is_ok());
    assert_eq!(accepted.as_object().unwrap().len(), 1);
    let path = format!("/v1/chat/deferred-completion/{request_id}");

    let pending = app.get(&path).await;
    assert_eq!(pending.status(), 202);
    assert!(pending.text().await.unwrap().is_empty());
    let done = app.get(&path).await;
    assert_eq!(done.status(), 200);
    let completion: Value = done.json().await.unwrap();
    assert_eq!(completion["object"], "chat.completion");
    assert_eq!(completion["choices"][0]["message"]["content"], "later");
    assert_eq!(app.get(&path).await.status(), 404);
    assert_eq!(
        app.get("/v1/chat/deferred-completion/nope").await.status(),
        404
    );

    app.fake.set_deferred_polls_pending(2);
    let accepted = app.post_ok("/v1/chat/completions", &body).await;
    let path = format!(
        "/v1/chat/deferred-completion/{}",
        accepted["request_id"].as_str().unwrap()
    );
    assert_eq!(app.get(&path).await.status(), 202);
    assert_eq!(app.get(&path).await.status(), 202);
    assert_eq!(app.get(&path).await.status(), 200);
}
