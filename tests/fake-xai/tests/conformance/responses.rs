//! `/v1/responses`: JSON answers, stored conversations, streaming order and framing.

use std::time::Duration;

use fake_xai::{Delays, FakeConfig};
use serde_json::{Value, json};

use crate::helpers::{Frame, TestFake, spawn_fake, spawn_fake_with};

fn text_of(response: &Value) -> String {
    let message = response["output"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["type"] == "message")
        .expect("a message item");
    message["content"][0]["text"].as_str().unwrap().to_owned()
}

async fn ask(app: &TestFake, body: Value) -> Value {
    app.post_ok("/v1/responses", &body).await
}

#[tokio::test]
async fn a_plain_request_gets_a_completed_response_with_full_usage() {
    let app = spawn_fake().await;
    let r = ask(
        &app,
        json!({"model": "grok-4-1-fast-non-reasoning", "input": "hi"}),
    )
    .await;
    let id = r["id"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "bare uuid id: {id}");
    assert_eq!(r["object"], "response");
    assert_eq!(r["status"], "completed");
    assert_eq!(r["model"], "grok-4-1-fast-non-reasoning");
    assert_eq!(r["store"], true);
    let output = r["output"].as_array().unwrap();
    assert_eq!(output.len(), 1);
    assert_eq!(output[0]["id"], format!("msg_{id}"));
    assert_eq!(output[0]["role"], "assistant");
    assert_eq!(output[0]["content"][0]["type"], "output_text");
    assert_eq!(
        text_of(&r),
        "You said: \"hi\". I'm the offline stand-in for Grok, so my answers are canned. \
         This is turn 1 of our conversation."
    );
    let u = &r["usage"];
    let (input, output_tokens) = (
        u["input_tokens"].as_u64().unwrap(),
        u["output_tokens"].as_u64().unwrap(),
    );
    assert!(input > 0 && output_tokens > 0);
    assert_eq!(u["total_tokens"].as_u64().unwrap(), input + output_tokens);
    assert_eq!(u["output_tokens_details"]["reasoning_tokens"], 0);
    assert_eq!(u["input_tokens_details"]["cached_tokens"], 0);
    // grok-4-1-fast-non-reasoning: 2000 and 5000 ticks per token.
    assert_eq!(
        u["cost_in_usd_ticks"].as_u64().unwrap(),
        input * 2000 + output_tokens * 5000
    );
}

#[tokio::test]
async fn a_reasoning_model_puts_its_reasoning_item_before_the_message() {
    let app = spawn_fake().await;
    let r = ask(&app, json!({"model": "grok-4.3", "input": "hello"})).await;
    let id = r["id"].as_str().unwrap();
    let output = r["output"].as_array().unwrap();
    assert_eq!(output.len(), 2);
    assert_eq!(output[0]["type"], "reasoning");
    assert_eq!(output[0]["id"], format!("rs_{id}"));
    assert_eq!(output[0]["summary"][0]["type"], "summary_text");
    assert!(!output[0]["summary"][0]["text"].as_str().unwrap().is_empty());
    assert_eq!(output[1]["type"], "message");
    let u = &r["usage"];
    let reasoning = u["output_tokens_details"]["reasoning_tokens"]
        .as_u64()
        .unwrap();
    assert!(reasoning > 0);
    assert!(u["output_tokens"].as_u64().unwrap() > reasoning);
}

#[tokio::test]
async fn previous_response_id_continues_the_conversation_and_remembers_the_name() {
    let app = spawn_fake().await;
    let first = ask(
        &app,
        json!({"model": "grok-4-1-fast-non-reasoning", "instructions": "Be brief.",
               "input": "My name is Alice."}),
    )
    .await;
    let second = ask(
        &app,
        json!({"model": "grok-4-1-fast-non-reasoning", "input": "What's my name?",
               "previous_response_id": first["id"]}),
    )
    .await;
    assert_eq!(text_of(&second), "Your name is Alice.");
    assert_eq!(second["previous_response_id"], first["id"]);
    // The stored history is billed again, as cached prompt tokens.
    let usage = &second["usage"];
    assert!(
        usage["input_tokens_details"]["cached_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(
        usage["input_tokens"].as_u64().unwrap() > first["usage"]["input_tokens"].as_u64().unwrap()
    );

    let fresh = ask(
        &app,
        json!({"model": "grok-4-1-fast-non-reasoning", "input": "What is my name?"}),
    )
    .await;
    assert_eq!(text_of(&fresh), "You haven't told me your name yet.");
}

#[tokio::test]
async fn a_message_array_with_parts_is_read_and_the_turn_counted() {
    let app = spawn_fake().await;
    let r = ask(
        &app,
        json!({"model": "grok-4-1-fast-non-reasoning", "input": [
            {"role": "system", "content": "You are nice."},
            {"role": "user", "content": "first"},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "ok"}]},
            {"role": "user", "content": [{"type": "input_text", "text": "second"}]}
        ]}),
    )
    .await;
    assert_eq!(
        text_of(&r),
        "You said: \"second\". I'm the offline stand-in for Grok, so my answers are canned. \
         This is turn 2 of our conversation."
    );
}

#[tokio::test]
async fn a_scripted_reply_is_returned_verbatim() {
    let app = spawn_fake().await;
    let r = ask(
        &app,
        json!({"model": "grok-4-1-fast-non-reasoning",
               "input": "[[reply: First sentence. Second one! **Bold** and <i>tags</i>.]]"}),
    )
    .await;
    assert_eq!(
        text_of(&r),
        "First sentence. Second one! **Bold** and <i>tags</i>."
    );
}

#[tokio::test]
async fn stored_responses_can_be_fetched_and_deleted_but_unstored_ones_cannot() {
    let app = spawn_fake().await;
    let r = ask(&app, json!({"model": "grok-3-mini", "input": "keep me"})).await;
    let path = format!("/v1/responses/{}", r["id"].as_str().unwrap());
    let fetched: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(fetched, r);

    let deleted = app
        .http
        .delete(app.url(&path))
        .bearer_auth(crate::helpers::KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    let body: Value = deleted.json().await.unwrap();
    assert_eq!(
        body,
        json!({"id": r["id"], "object": "response", "deleted": true})
    );
    let gone = app.get(&path).await;
    assert_eq!(gone.status(), 404);
    assert_eq!(gone.json::<Value>().await.unwrap()["code"], "not-found");

    let unstored = ask(
        &app,
        json!({"model": "grok-3-mini", "input": "forget me", "store": false}),
    )
    .await;
    assert_eq!(unstored["store"], false);
    let follow_up = app
        .post(
            "/v1/responses",
            &json!({"model": "grok-3-mini", "input": "again",
                                       "previous_response_id": unstored["id"]}),
        )
        .await;
    assert_eq!(follow_up.status(), 404);
    let body: Value = follow_up.json().await.unwrap();
    assert_eq!(body["code"], "not-found");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("No responses could be found")
    );
}

#[tokio::test]
async fn instructions_together_with_previous_response_id_are_rejected() {
    let app = spawn_fake().await;
    let first = ask(&app, json!({"model": "grok-3-mini", "input": "hi"})).await;
    let response = app
        .post(
            "/v1/responses",
            &json!({"model": "grok-3-mini", "input": "hi",
              "instructions": "x", "previous_response_id": first["id"]}),
        )
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["code"],
        "invalid-argument"
    );
}

#[tokio::test]
async fn a_small_max_output_tokens_cuts_the_reply_and_marks_it_incomplete() {
    let app = spawn_fake().await;
    let r = ask(
        &app,
        json!({"model": "grok-4-1-fast-non-reasoning", "input": "hello there", "max_output_tokens": 3}),
    )
    .await;
    assert_eq!(r["status"], "incomplete");
    assert_eq!(r["incomplete_details"]["reason"], "max_output_tokens");
    assert_eq!(text_of(&r), "You said:");
    assert_eq!(r["usage"]["output_tokens"], 3);
}

fn data_types(frames: &[Frame]) -> Vec<String> {
    frames
        .iter()
        .filter(|f| f.data != "[DONE]")
        .map(|f| f.json()["type"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_contiguous(frames: &[Frame]) {
    for (n, frame) in frames.iter().filter(|f| f.data != "[DONE]").enumerate() {
        assert_eq!(frame.json()["sequence_number"], n, "frame {n}");
    }
}

#[tokio::test]
async fn streaming_follows_the_documented_event_order_with_contiguous_sequence_numbers() {
    let app = spawn_fake().await;
    let frames = app
        .stream(
            "/v1/responses",
            &json!({"model": "grok-4-1-fast-non-reasoning",
                "input": "[[reply: One two three four.]]", "stream": true}),
        )
        .await;
    assert_eq!(frames.last().unwrap().data, "[DONE]");
    assert!(frames.last().unwrap().event.is_none());
    let types = data_types(&frames);
    assert_eq!(
        types,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    assert_contiguous(&frames);
    for frame in frames.iter().filter(|f| f.data != "[DONE]") {
        assert_eq!(frame.event.as_deref(), frame.json()["type"].as_str());
    }
    let events: Vec<Value> = frames[..frames.len() - 1].iter().map(Frame::json).collect();
    assert_eq!(events[0]["response"]["status"], "in_progress");
    assert_eq!(events[0]["response"]["output"], json!([]));
    assert!(events[0]["response"].get("usage").is_none());
    let deltas: String = events
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(deltas, "One two three four.");
    assert_eq!(events[8]["text"], "One two three four.");
    assert_eq!(events[4]["output_index"], 0);
    assert_eq!(events[4]["logprobs"], json!([]));
    let completed = &events[11]["response"];
    assert_eq!(completed["status"], "completed");
    assert!(completed["usage"]["total_tokens"].as_u64().unwrap() > 0);
    // The stored copy equals the final object.
    let stored: Value = app
        .get(&format!(
            "/v1/responses/{}",
            completed["id"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(&stored, completed);
}

#[tokio::test]
async fn streaming_a_reasoning_model_emits_the_reasoning_item_first() {
    let app = spawn_fake().await;
    let frames = app
        .stream(
            "/v1/responses",
            &json!({"model": "grok-code-fast-1", "input": "hi", "stream": true}),
        )
        .await;
    assert_contiguous(&frames);
    let types = data_types(&frames);
    let summary_deltas = types
        .iter()
        .filter(|t| *t == "response.reasoning_summary_text.delta")
        .count();
    assert!(summary_deltas > 1);
    let expected_head = [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
    ];
    assert_eq!(&types[..5], expected_head);
    let after = &types[4 + summary_deltas..];
    assert_eq!(
        &after[..5],
        [
            "response.reasoning_summary_text.done",
            "response.reasoning_summary_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.content_part.added",
        ]
    );
    let events: Vec<Value> = frames
        .iter()
        .filter(|f| f.data != "[DONE]")
        .map(Frame::json)
        .collect();
    assert_eq!(events[2]["item"]["type"], "reasoning");
    assert_eq!(events[2]["output_index"], 0);
    let message_added = &events[4 + summary_deltas + 3];
    assert_eq!(message_added["item"]["type"], "message");
    assert_eq!(message_added["output_index"], 1);
}

#[tokio::test]
async fn sse_framing_toggles_remove_event_lines_and_the_done_terminator() {
    let app = spawn_fake_with(FakeConfig {
        sse_event_lines: false,
        sse_done: false,
        ..FakeConfig::default()
    })
    .await;
    let body = json!({"model": "grok-3-mini", "input": "hi", "stream": true});
    let frames = app.stream("/v1/responses", &body).await;
    assert!(frames.iter().all(|f| f.event.is_none()));
    assert_eq!(frames.last().unwrap().json()["type"], "response.completed");

    app.fake.set_sse_framing(true, false);
    let frames = app.stream("/v1/responses", &body).await;
    assert!(frames.iter().all(|f| f.event.is_some()));
    assert_eq!(frames.last().unwrap().json()["type"], "response.completed");

    app.fake.set_sse_framing(false, true);
    let frames = app.stream("/v1/responses", &body).await;
    assert!(frames.iter().all(|f| f.event.is_none()));
    assert_eq!(frames.last().unwrap().data, "[DONE]");
}

#[tokio::test]
async fn stream_events_arrive_incrementally_with_the_configured_delays() {
    let app = spawn_fake().await;
    app.fake.set_delays(Delays::text(100, 40));
    let (chunks, errored) = app
        .stream_chunks(
            "/v1/responses",
            &json!({"model": "grok-4-1-fast-non-reasoning",
            "input": "[[reply: a b c d e f]]", "stream": true}),
        )
        .await;
    assert!(!errored);
    let first_delta = chunks
        .iter()
        .position(|(_, c)| c.contains("output_text.delta"))
        .unwrap();
    let completed = chunks
        .iter()
        .position(|(_, c)| c.contains("response.completed"))
        .unwrap();
    assert!(completed > first_delta, "events arrive in separate chunks");
    let created_at = chunks[0].0;
    assert!(chunks[first_delta].0 - created_at >= Duration::from_millis(90));
    // Six deltas: five gaps of 40 ms between the first and the last.
    assert!(chunks[completed].0 - chunks[first_delta].0 >= Duration::from_millis(190));
}
