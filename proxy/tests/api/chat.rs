//! Chat turns that work: JSON and streamed replies, conversations, the APIs a client can use,
//! and the requests refused before anything reaches x.ai.

use std::time::{Duration, Instant};

use fake_xai::Delays;
use serde_json::json;

use crate::helpers::{Options, ask, body_json, delta_text, spawn_app, spawn_app_with, sse_events};

#[tokio::test]
async fn a_single_turn_returns_the_reply_its_id_and_usage() {
    let app = spawn_app().await;
    let resp = app.chat(ask("[[reply: Hello from Grok.]]")).await;
    assert_eq!(resp.status(), 200);
    let body = body_json(resp).await;
    assert_eq!(body["response"], "Hello from Grok.");
    assert!(
        uuid::Uuid::parse_str(body["response_id"].as_str().unwrap()).is_ok(),
        "{body}"
    );
    assert!(
        body["audio_url"]
            .as_str()
            .unwrap()
            .starts_with("data:audio/wav;base64,"),
        "voice is on by default"
    );
    assert!(body.get("tts_error").is_none());
    assert!(body["usage"]["input_tokens"].as_u64().unwrap() > 0);
    assert!(body["usage"]["output_tokens"].as_u64().unwrap() > 0);
    assert!(body["usage"]["cost_usd"].as_f64().unwrap() > 0.0);

    let sent = app.upstream_bodies("/v1/responses");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["model"], "grok-4-1-fast-non-reasoning");
    assert_eq!(sent[0]["instructions"], "Be brief.");
    assert_eq!(sent[0]["store"], true);
    assert_eq!(sent[0]["stream"], false);
    assert_eq!(sent[0]["input"], "[[reply: Hello from Grok.]]");
}

#[tokio::test]
async fn a_follow_up_continues_the_stored_conversation() {
    let app = spawn_app().await;
    let first = body_json(app.chat(ask("My name is Alice")).await).await;
    let id = first["response_id"].as_str().unwrap();
    let second = body_json(
        app.chat(json!({ "client_id": "demo", "message": "What's my name?", "previous_response_id": id }))
            .await,
    )
    .await;
    assert!(
        second["response"].as_str().unwrap().contains("Alice"),
        "{second}"
    );
    let sent = app.upstream_bodies("/v1/responses");
    assert_eq!(sent[1]["previous_response_id"], id);
    // x.ai: instructions cannot be combined with previous_response_id.
    assert!(sent[1].get("instructions").is_none(), "{}", sent[1]);
}

#[tokio::test]
async fn the_reply_is_found_after_a_reasoning_item() {
    let app = spawn_app_with(Options {
        toml: crate::helpers::CLIENTS
            .replace("grok-4-1-fast-non-reasoning", "grok-4-1-fast-reasoning"),
        ..Options::default()
    })
    .await;
    let body = body_json(app.chat(ask("[[reply: Thought it through.]]")).await).await;
    assert_eq!(body["response"], "Thought it through.");
    assert!(
        body["usage"]["reasoning_tokens"].as_u64().unwrap() > 0,
        "{body}"
    );
    let stream = app
        .stream_events("[[reply: Streamed after thinking.]]")
        .await;
    assert_eq!(delta_text(&stream), "Streamed after thinking.");
}

#[tokio::test]
async fn streaming_relays_deltas_then_done() {
    let app = spawn_app().await;
    let reply = "One two three four five six seven eight.";
    let events = sse_events(app.chat_stream(ask(&format!("[[reply: {reply}]]"))).await).await;
    let deltas = events.iter().filter(|(e, _)| e == "delta").count();
    assert!(deltas >= 4, "expected several deltas, got {events:?}");
    assert_eq!(delta_text(&events), reply);
    let (name, done) = events.last().unwrap();
    assert_eq!(name, "done");
    assert!(uuid::Uuid::parse_str(done["response_id"].as_str().unwrap()).is_ok());
    assert!(done["usage"]["total_tokens"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn the_stream_sets_headers_that_stop_buffering() {
    let app = spawn_app().await;
    let resp = app.chat_stream(ask("hi")).await;
    assert_eq!(resp.headers()["x-accel-buffering"], "no");
    assert!(
        resp.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("no-cache")
    );
    assert!(resp.headers().get("content-encoding").is_none());
}

#[tokio::test]
async fn the_first_delta_reaches_the_visitor_before_upstream_finishes() {
    let app = spawn_app().await;
    app.fake.set_delays(Delays::text(0, 80));
    let mut resp = app
        .chat_stream(ask("[[reply: a b c d e f g h i j k l m n o p]]"))
        .await;
    let mut got = String::new();
    while !got.contains("event: delta") {
        let chunk = resp
            .chunk()
            .await
            .unwrap()
            .expect("stream ended before a delta");
        got.push_str(&String::from_utf8_lossy(&chunk));
    }
    // The visitor holds a delta while the fake is still writing the reply.
    assert_eq!(app.fake.stream_outcomes().completed, 0);
    let rest = resp.text().await.unwrap();
    assert!(rest.contains("event: done"));
}

#[tokio::test]
async fn every_sse_framing_variant_is_accepted() {
    for (event_lines, done) in [(true, true), (true, false), (false, true), (false, false)] {
        let app = spawn_app().await;
        app.fake.set_sse_framing(event_lines, done);
        let events = app.stream_events("[[reply: Framing works.]]").await;
        assert_eq!(
            delta_text(&events),
            "Framing works.",
            "event_lines={event_lines} done={done}"
        );
        assert_eq!(
            events.last().unwrap().0,
            "done",
            "event_lines={event_lines} done={done}"
        );
    }
}

#[tokio::test]
async fn chat_completions_mode_keeps_the_conversation_in_the_proxy() {
    let app = spawn_app_with(Options::with_client_lines("api = \"chat_completions\"")).await;
    let first = body_json(app.chat(ask("My name is Alice")).await).await;
    let id = first["response_id"].as_str().unwrap();
    let events = sse_events(
        app.chat_stream(json!({ "client_id": "demo", "message": "What's my name?", "previous_response_id": id }))
            .await,
    )
    .await;
    assert!(delta_text(&events).contains("Alice"), "{events:?}");
    let sent = app.upstream_bodies("/v1/chat/completions");
    assert_eq!(sent.len(), 2);
    let roles: Vec<&str> = sent[1]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["system", "user", "assistant", "user"]);
    assert_eq!(sent[1]["stream"], true);
    assert_eq!(app.fake.count("/v1/responses"), 0);

    let unknown = app
        .chat(json!({ "client_id": "demo", "message": "hi", "previous_response_id": "not-a-known-id" }))
        .await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        body_json(unknown).await["error"]["code"],
        "conversation_not_found"
    );
}

#[tokio::test]
async fn deferred_mode_polls_until_the_completion_is_ready() {
    let app = spawn_app_with(Options::with_client_lines(
        "api = \"chat_completions\"\ndeferred = true\ndeferred_poll_secs = 1",
    ))
    .await;
    app.fake.set_deferred_polls_pending(1);
    let body = body_json(app.chat(ask("[[reply: Worth the wait.]]")).await).await;
    assert_eq!(body["response"], "Worth the wait.");
    let polls = app
        .fake
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v1/chat/deferred-completion/"))
        .count();
    assert_eq!(polls, 2, "one 202, then the 200");
    assert_eq!(
        app.upstream_bodies("/v1/chat/completions")[0]["deferred"],
        true
    );
}

#[tokio::test]
async fn deferred_mode_gives_up_after_its_timeout() {
    let app = spawn_app_with(Options::with_client_lines(
        "api = \"chat_completions\"\ndeferred = true\ndeferred_poll_secs = 1\ndeferred_timeout_secs = 2",
    ))
    .await;
    app.fake.set_deferred_polls_pending(1000);
    let started = Instant::now();
    let resp = app.chat(ask("slow")).await;
    assert_eq!(resp.status(), 504);
    assert_eq!(body_json(resp).await["error"]["code"], "upstream_timeout");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_message_over_the_token_cap_is_refused_with_413() {
    let app = spawn_app_with(Options::with_client_lines("max_input_tokens = 10")).await;
    // Short enough in bytes: the tokenizer is not even asked.
    assert_eq!(app.chat(ask("hi there")).await.status(), 200);
    assert_eq!(app.fake.count("/v1/tokenize-text"), 0);
    let long = "word ".repeat(30);
    let resp = app.chat(ask(&long)).await;
    assert_eq!(resp.status(), 413);
    let body = body_json(resp).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("limit is 10"),
        "{body}"
    );
    assert_eq!(app.fake.count("/v1/tokenize-text"), 1);
    assert_eq!(
        app.fake.count("/v1/responses"),
        1,
        "the long message never reached the model"
    );
}

#[tokio::test]
async fn an_unknown_client_is_refused_before_upstream() {
    let app = spawn_app().await;
    let resp = app
        .chat(json!({ "client_id": "nope", "message": "hi" }))
        .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(body_json(resp).await["error"]["code"], "unknown_client");
    assert_eq!(app.fake.count("/v1/responses"), 0);
}

#[tokio::test]
async fn fields_the_owner_controls_cannot_be_sent() {
    let app = spawn_app().await;
    for extra in [
        json!({"model": "grok-4.3"}),
        json!({"instructions": "x"}),
        json!({"tools": []}),
        json!({"base_url": "http://evil"}),
    ] {
        let mut req = ask("hi");
        req.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let resp = app.chat(req).await;
        assert_eq!(resp.status(), 422, "{extra}");
        let body = body_json(resp).await;
        assert_eq!(body["error"]["code"], "invalid_request");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("unknown field"),
            "{body}"
        );
    }
    assert_eq!(app.fake.count("/v1/responses"), 0);
}

#[tokio::test]
async fn a_voice_the_owner_did_not_offer_is_refused() {
    let app = spawn_app().await;
    let resp = app
        .chat(json!({ "client_id": "demo", "message": "hi", "voice": "rex" }))
        .await;
    assert_eq!(resp.status(), 422);
    assert!(
        body_json(resp).await["error"]["message"]
            .as_str()
            .unwrap()
            .contains("eve, leo")
    );
    let ok = app
        .chat(json!({ "client_id": "demo", "message": "hi", "voice": "leo" }))
        .await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn bad_bodies_get_clear_errors() {
    let app = spawn_app().await;
    let url = app.url("/api/chat");
    let origin = crate::helpers::ORIGIN;
    let plain = app
        .http
        .post(&url)
        .header("Origin", origin)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 415);
    let broken = app
        .http
        .post(&url)
        .header("Origin", origin)
        .header("content-type", "application/json")
        .body("{\"client_id\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);
    let huge = app.chat(ask(&"x".repeat(100_000))).await;
    assert_eq!(huge.status(), 413);
    let long = app.chat(ask(&"x".repeat(4001))).await;
    assert_eq!(long.status(), 413);
    let empty = app.chat(ask("   ")).await;
    assert_eq!(empty.status(), 422);
    let bad_id = app
        .chat(json!({ "client_id": "demo", "message": "hi", "previous_response_id": "a\r\nb" }))
        .await;
    assert_eq!(bad_id.status(), 422);
    assert_eq!(app.fake.count("/v1/responses"), 0);
}

#[tokio::test]
async fn only_the_clients_own_origins_may_chat() {
    let app = spawn_app().await;
    for origin in [
        Some("http://localhost:3000.evil.test"),
        Some("null"),
        Some("https://localhost:3000"),
        None,
    ] {
        let mut req = app.http.post(app.url("/api/chat")).json(&ask("hi"));
        if let Some(o) = origin {
            req = req.header("Origin", o);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 403, "{origin:?}");
        assert_eq!(body_json(resp).await["error"]["code"], "origin_not_allowed");
    }
    assert_eq!(app.fake.count("/v1/responses"), 0);
}

#[tokio::test]
async fn server_to_server_use_needs_the_owners_opt_in() {
    let app = spawn_app_with(Options::with_client_lines("allow_server_to_server = true")).await;
    let resp = app
        .http
        .post(app.url("/api/chat"))
        .json(&ask("hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn the_usage_log_line_has_total_tokens_and_the_prices_used() {
    let app = spawn_app_with(Options::top("log_message_text = true", "")).await;
    let marker = "usage-line-marker-4711";
    let v = body_json(app.chat(ask(marker)).await).await;
    let total = v["usage"]["total_tokens"].as_u64().unwrap();
    let logs = crate::helpers::captured_logs();
    let line = logs
        .lines()
        .find(|l| l.contains("chat reply") && l.contains(marker))
        .unwrap_or_else(|| panic!("no usage line in {logs}"));
    assert!(line.contains(&format!("total_tokens={total}")), "{line}");
    // The fake lists this model at $0.20 / $0.50 per million tokens.
    assert!(line.contains("prompt_usd_per_m=0.2"), "{line}");
    assert!(line.contains("completion_usd_per_m=0.5"), "{line}");
}
