//! `/v1/realtime`: handshake auth, session config, force messages, replies, WebSocket faults.

use std::time::{Duration, Instant};

use fake_xai::{Delays, FaultKind, tone_samples};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{KEY, decode_samples, drain, next_json, send_json, spawn_fake, types, until};

fn force(text: &str) -> Value {
    json!({"type": "conversation.item.create", "item": {"type": "force_message", "role": "assistant",
           "interruptible": false, "content": [{"type": "output_text", "text": text}]}})
}

async fn rejected_status(
    request: tokio_tungstenite::tungstenite::handshake::client::Request,
) -> u16 {
    match tokio_tungstenite::connect_async(request).await {
        Err(WsError::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("the handshake should fail"),
    }
}

#[tokio::test]
async fn the_handshake_needs_a_key_and_status_faults_apply_before_the_upgrade() {
    let app = spawn_fake().await;
    let url = app.ws_url("/v1/realtime?model=grok-voice-latest");
    assert_eq!(
        rejected_status(url.clone().into_client_request().unwrap()).await,
        401
    );
    let mut wrong = url.clone().into_client_request().unwrap();
    wrong
        .headers_mut()
        .insert("authorization", "Bearer xai-nope".parse().unwrap());
    assert_eq!(rejected_status(wrong).await, 400);
    let mut bad_model = app
        .ws_url("/v1/realtime?model=gpt-realtime")
        .into_client_request()
        .unwrap();
    bad_model
        .headers_mut()
        .insert("authorization", format!("Bearer {KEY}").parse().unwrap());
    assert_eq!(rejected_status(bad_model).await, 404);

    app.inject(
        "/v1/realtime",
        1,
        FaultKind::Status {
            status: 429,
            retry_after: Some(1),
            body: None,
        },
    );
    let mut good = url.into_client_request().unwrap();
    good.headers_mut()
        .insert("authorization", format!("Bearer {KEY}").parse().unwrap());
    assert_eq!(rejected_status(good.clone()).await, 429);
    assert!(tokio_tungstenite::connect_async(good).await.is_ok());
}

#[tokio::test]
async fn a_client_secret_opens_the_socket_through_the_subprotocol() {
    let app = spawn_fake().await;
    let secret = app
        .post_ok(
            "/v1/realtime/client_secrets",
            &json!({"expires_after": {"seconds": 300}}),
        )
        .await;
    let value = secret["value"].as_str().unwrap();
    assert!(value.starts_with("xai-realtime-client-secret-"));
    let expires_at = secret["expires_at"].as_u64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!((now + 295..=now + 305).contains(&expires_at));

    let protocol = format!("xai-client-secret.{value}");
    let mut request = app.ws_url("/v1/realtime").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", protocol.parse().unwrap());
    let (mut ws, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("opens");
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        protocol.as_str()
    );
    assert_eq!(next_json(&mut ws).await["type"], "session.created");

    // A secret is no REST credential, and an unknown secret opens nothing.
    let rest = app
        .http
        .get(app.url("/v1/models"))
        .bearer_auth(value)
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), 400);
    let mut bogus = app.ws_url("/v1/realtime").into_client_request().unwrap();
    bogus.headers_mut().insert(
        "sec-websocket-protocol",
        "xai-client-secret.xai-realtime-client-secret-nope"
            .parse()
            .unwrap(),
    );
    assert_eq!(rejected_status(bogus).await, 401);
    let too_long = app
        .post(
            "/v1/realtime/client_secrets",
            &json!({"expires_after": {"seconds": 7200}}),
        )
        .await;
    assert_eq!(too_long.status(), 400);
}

#[tokio::test]
async fn the_session_starts_with_session_created_then_conversation_created() {
    let app = spawn_fake().await;
    let mut ws = app.ws("/v1/realtime?model=grok-voice-think-fast-1.0").await;
    let created = next_json(&mut ws).await;
    assert_eq!(created["type"], "session.created");
    assert_eq!(created["session"]["object"], "realtime.session");
    assert_eq!(created["session"]["model"], "grok-voice-think-fast-1.0");
    assert!(created["event_id"].is_string());
    let conversation = next_json(&mut ws).await;
    assert_eq!(conversation["type"], "conversation.created");
    assert_eq!(
        conversation["conversation"]["object"],
        "realtime.conversation"
    );
}

#[tokio::test]
async fn a_force_message_is_spoken_verbatim_with_the_full_response_lifecycle() {
    let app = spawn_fake().await;
    let mut ws = app.realtime().await;
    let text = "This call is being recorded. Thank you!";
    send_json(&mut ws, &force(text)).await;
    let events = until(&mut ws, "response.done").await;
    assert!(events.iter().all(|e| e["event_id"].is_string()));
    let kinds = types(&events);
    let skeleton: Vec<&str> = kinds
        .iter()
        .map(String::as_str)
        .filter(|t| !t.ends_with(".delta"))
        .collect();
    assert_eq!(
        skeleton,
        [
            "conversation.item.added",
            "response.created",
            "response.output_item.added",
            "conversation.item.added",
            "response.content_part.added",
            "response.output_audio.done",
            "response.output_audio_transcript.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.done",
        ]
    );
    assert_eq!(events[0]["item"]["type"], "force_message");
    assert_eq!(
        decode_samples(&events, "response.output_audio.delta"),
        tone_samples(text, 24000)
    );
    // 100 ms chunks at 24 kHz.
    let audio: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "response.output_audio.delta")
        .collect();
    assert_eq!(audio.len(), tone_samples(text, 24000).div_ceil(2400));
    let transcript: String = events
        .iter()
        .filter(|e| e["type"] == "response.output_audio_transcript.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(transcript, text);
    let done_transcript = events
        .iter()
        .find(|e| e["type"] == "response.output_audio_transcript.done")
        .unwrap();
    assert_eq!(done_transcript["transcript"], text);
    let first_audio = kinds
        .iter()
        .position(|t| t == "response.output_audio.delta")
        .unwrap();
    let first_word = kinds
        .iter()
        .position(|t| t == "response.output_audio_transcript.delta")
        .unwrap();
    let last_word = kinds
        .iter()
        .rposition(|t| t == "response.output_audio_transcript.delta")
        .unwrap();
    assert!(
        first_word < first_audio && first_audio < last_word,
        "interleaved"
    );
    let done = events.last().unwrap();
    assert_eq!(done["response"]["status"], "completed");
    assert!(done["response"]["usage"]["total_tokens"].is_u64());
    let delta = &events[first_audio];
    for field in ["response_id", "item_id", "output_index", "content_index"] {
        assert!(delta.get(field).is_some(), "{field}");
    }
}

#[tokio::test]
async fn session_update_is_echoed_and_changes_the_output_rate() {
    let app = spawn_fake().await;
    let mut ws = app.realtime().await;
    send_json(
        &mut ws,
        &json!({"type": "session.update", "session": {
        "voice": "rex", "turn_detection": {"type": null},
        "audio": {"output": {"format": {"type": "audio/pcm", "rate": 16000}}}}}),
    )
    .await;
    let updated = next_json(&mut ws).await;
    assert_eq!(updated["type"], "session.updated");
    assert_eq!(updated["session"]["voice"], "rex");
    assert_eq!(
        updated["session"]["audio"]["output"]["format"]["rate"],
        16000
    );
    assert_eq!(updated["session"]["turn_detection"]["type"], Value::Null);
    send_json(&mut ws, &force("Sixteen k.")).await;
    let events = until(&mut ws, "response.done").await;
    assert_eq!(
        decode_samples(&events, "response.output_audio.delta"),
        tone_samples("Sixteen k.", 16000)
    );
}

#[tokio::test]
async fn an_invalid_session_update_is_an_error_event_and_changes_nothing() {
    let app = spawn_fake().await;
    let mut ws = app.realtime().await;
    for (session, code) in [
        (json!({"voice": "Eve"}), "invalid_voice"),
        (json!({"voice": "nobody"}), "invalid_voice"),
        (
            json!({"audio": {"output": {"format": {"type": "audio/pcm", "rate": 12345}}}}),
            "invalid_audio_format",
        ),
        (
            json!({"audio": {"output": {"format": {"type": "audio/mp3", "rate": 24000}}}}),
            "invalid_audio_format",
        ),
    ] {
        send_json(
            &mut ws,
            &json!({"type": "session.update", "event_id": "c1", "session": session}),
        )
        .await;
        let error = next_json(&mut ws).await;
        assert_eq!(error["type"], "error");
        assert_eq!(error["error"]["code"], code);
        assert_eq!(error["error"]["event_id"], "c1");
    }
    send_json(&mut ws, &force("still default")).await;
    let events = until(&mut ws, "response.done").await;
    assert_eq!(
        decode_samples(&events, "response.output_audio.delta"),
        tone_samples("still default", 24000)
    );
}

#[tokio::test]
async fn a_user_message_and_response_create_speak_the_models_reply() {
    let app = spawn_fake().await;
    let mut ws = app.realtime().await;
    send_json(
        &mut ws,
        &json!({"type": "conversation.item.create", "item": {"type": "message",
        "role": "user", "content": [{"type": "input_text", "text": "My name is Bob"}]}}),
    )
    .await;
    assert_eq!(next_json(&mut ws).await["type"], "conversation.item.added");
    send_json(&mut ws, &json!({"type": "response.create"})).await;
    until(&mut ws, "response.done").await;
    send_json(
        &mut ws,
        &json!({"type": "conversation.item.create", "item": {"type": "message",
        "role": "user", "content": [{"type": "input_text", "text": "what is my name?"}]}}),
    )
    .await;
    next_json(&mut ws).await;
    send_json(&mut ws, &json!({"type": "response.create", "response": {}})).await;
    let events = until(&mut ws, "response.done").await;
    let transcript = events
        .iter()
        .find(|e| e["type"] == "response.output_audio_transcript.done")
        .unwrap();
    assert_eq!(transcript["transcript"], "Your name is Bob.");
    assert_eq!(
        decode_samples(&events, "response.output_audio.delta"),
        tone_samples("Your name is Bob.", 24000)
    );
}

#[tokio::test]
async fn an_unknown_client_event_is_an_invalid_event_error_and_the_socket_stays_open() {
    let app = spawn_fake().await;
    let mut ws = app.realtime().await;
    send_json(&mut ws, &json!({"type": "conversation.item.retrieve"})).await;
    let error = next_json(&mut ws).await;
    assert_eq!(error["type"], "error");
    assert_eq!(error["error"]["type"], "invalid_event");
    send_json(&mut ws, &json!({"type": "input_audio_buffer.clear"})).await;
    assert_eq!(
        next_json(&mut ws).await["type"],
        "input_audio_buffer.cleared"
    );
    let recorded = app.fake.ws_messages();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].path, "/v1/realtime");
    assert_eq!(
        recorded[0].query.as_deref(),
        Some("model=grok-voice-latest")
    );
    assert_eq!(
        recorded[0].messages[0]["type"],
        "conversation.item.retrieve"
    );
    assert_eq!(recorded[0].messages.len(), 2);
}

#[tokio::test]
async fn a_ws_drop_fault_closes_the_socket_after_n_audio_deltas() {
    let app = spawn_fake().await;
    app.inject(
        "/v1/realtime",
        1,
        FaultKind::WsDropMidAudio { after_deltas: 2 },
    );
    let mut ws = app.realtime().await;
    send_json(
        &mut ws,
        &force("A sentence long enough for several chunks of audio."),
    )
    .await;
    let (events, clean_close) = drain(&mut ws).await;
    assert!(!clean_close, "no close frame");
    assert_eq!(
        types(&events)
            .iter()
            .filter(|t| *t == "response.output_audio.delta")
            .count(),
        2
    );
    assert!(!types(&events).contains(&"response.done".to_owned()));
}

#[tokio::test]
async fn a_ws_error_fault_answers_with_an_error_event_instead_of_audio() {
    let app = spawn_fake().await;
    app.inject(
        "/v1/realtime",
        1,
        FaultKind::WsErrorEvent {
            code: "internal_error".into(),
            message: "boom".into(),
        },
    );
    let mut ws = app.realtime().await;
    send_json(&mut ws, &force("hello")).await;
    assert_eq!(next_json(&mut ws).await["type"], "conversation.item.added");
    let error = next_json(&mut ws).await;
    assert_eq!(error["type"], "error");
    assert_eq!(error["error"]["code"], "internal_error");
    assert_eq!(error["error"]["message"], "boom");
    // The next turn is normal again.
    send_json(&mut ws, &force("hello")).await;
    let events = until(&mut ws, "response.done").await;
    assert_eq!(
        decode_samples(&events, "response.output_audio.delta"),
        tone_samples("hello", 24000)
    );
}

#[tokio::test]
async fn slow_first_audio_and_tts_delays_hold_back_the_audio() {
    let app = spawn_fake().await;
    app.fake.set_delays(Delays {
        tts_first_audio_ms: 50,
        tts_per_chunk_ms: 10,
        ..Delays::default()
    });
    app.inject("/v1/realtime", 1, FaultKind::SlowFirstAudio { ms: 150 });
    let mut ws = app.realtime().await;
    let start = Instant::now();
    send_json(&mut ws, &force("hi")).await;
    let events = until(&mut ws, "response.output_audio.delta").await;
    assert!(start.elapsed() >= Duration::from_millis(200));
    assert_eq!(events[0]["type"], "conversation.item.added");
}
