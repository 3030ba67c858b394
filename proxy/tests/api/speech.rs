//! Text-to-speech: WAV data URLs from each backend, per-sentence audio while the reply streams,
//! and text that survives every speech failure.

use std::time::{Duration, Instant};

use fake_xai::{FaultKind, tone_samples};
use proxy::speech::audio::{decode_wav_data_url, parse_wav};
use serde_json::json;

use crate::helpers::{self, Options, ask, spawn_app, spawn_app_with};

async fn body_json(resp: reqwest::Response) -> serde_json::Value {
    assert_eq!(resp.status(), 200);
    helpers::body_json(resp).await
}

async fn events(resp: reqwest::Response) -> Vec<(String, serde_json::Value)> {
    helpers::sse_events(resp).await
}

/// Samples in a WAV data URL, checking the header says PCM16 mono at `rate`.
fn wav_samples(url: &str, rate: u32) -> usize {
    let wav = decode_wav_data_url(url).expect("a WAV data URL");
    let (info, _) = parse_wav(&wav).expect("a PCM WAV");
    assert_eq!(
        (info.channels, info.bits_per_sample, info.sample_rate),
        (1, 16, rate)
    );
    info.samples
}

#[tokio::test]
async fn the_tts_endpoint_backend_returns_the_whole_reply_as_a_wav() {
    let app = spawn_app_with(Options::voice("", "tts_backend = \"tts\"")).await;
    let body = body_json(app.chat(ask("[[reply: Hello from Grok.]]")).await).await;
    assert_eq!(body["response"], "Hello from Grok.");
    let samples = wav_samples(body["audio_url"].as_str().unwrap(), 24_000);
    assert_eq!(samples, tone_samples("Hello from Grok.", 24_000));
    let sent = app.upstream_bodies("/v1/tts");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["text"], "Hello from Grok.");
    assert_eq!(sent[0]["voice_id"], "eve");
    assert_eq!(sent[0]["output_format"]["codec"], "pcm");
    assert_eq!(sent[0]["output_format"]["sample_rate"], 24_000);
}

#[tokio::test]
async fn the_realtime_backend_reads_the_text_verbatim_with_the_chosen_voice() {
    let app = spawn_app_with(Options::voice("", "tts_backend = \"realtime\"")).await;
    let req = json!({ "client_id": "demo", "message": "[[reply: Read me exactly, please.]]", "voice": "leo" });
    let body = body_json(app.chat(req).await).await;
    let samples = wav_samples(body["audio_url"].as_str().unwrap(), 24_000);
    assert_eq!(samples, tone_samples("Read me exactly, please.", 24_000));

    let sessions = app.fake.ws_messages();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].path, "/v1/realtime");
    let sent = &sessions[0].messages;
    let update = sent
        .iter()
        .find(|m| m["type"] == "session.update")
        .expect("session.update sent");
    assert_eq!(update["session"]["voice"], "leo");
    assert!(
        update["session"]["turn_detection"]["type"].is_null(),
        "manual turns"
    );
    assert_eq!(
        update["session"]["audio"]["output"]["format"]["type"],
        "audio/pcm"
    );
    assert_eq!(
        update["session"]["audio"]["output"]["format"]["rate"],
        24_000
    );
    let item = sent
        .iter()
        .find(|m| m["type"] == "conversation.item.create")
        .expect("item sent");
    assert_eq!(item["item"]["type"], "force_message");
    assert_eq!(
        item["item"]["content"][0]["text"],
        "Read me exactly, please."
    );
    assert!(!sent.iter().any(|m| m["type"] == "response.create"));
    // Authenticated with the key from the server, on the socket only.
    let auth = sessions[0]
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.clone());
    assert!(auth.unwrap().starts_with("Bearer xai-"));
}

#[tokio::test]
async fn the_streaming_tts_backend_works_too() {
    let app = spawn_app_with(Options::voice("", "tts_backend = \"tts_stream\"")).await;
    let body = body_json(app.chat(ask("[[reply: Streaming speech works.]]")).await).await;
    assert_eq!(
        wav_samples(body["audio_url"].as_str().unwrap(), 24_000),
        tone_samples("Streaming speech works.", 24_000)
    );
    assert_eq!(app.fake.ws_messages()[0].path, "/v1/tts");
}

#[tokio::test]
async fn the_configured_sample_rate_is_asked_for_and_written_in_the_header() {
    let app = spawn_app_with(Options::voice(
        "sample_rate = 16000",
        "tts_backend = \"realtime\"",
    ))
    .await;
    let body = body_json(app.chat(ask("[[reply: Sixteen kilohertz.]]")).await).await;
    assert_eq!(
        wav_samples(body["audio_url"].as_str().unwrap(), 16_000),
        tone_samples("Sixteen kilohertz.", 16_000)
    );
}

#[tokio::test]
async fn an_upstream_error_event_keeps_the_text_and_names_the_failure() {
    let app = spawn_app_with(Options::voice("", "tts_backend = \"realtime\"")).await;
    app.inject(
        "/v1/realtime",
        1,
        FaultKind::WsErrorEvent {
            code: "internal_error".into(),
            message: "boom".into(),
        },
    );
    let body = body_json(app.chat(ask("[[reply: The text survives.]]")).await).await;
    assert_eq!(body["response"], "The text survives.");
    assert!(body["audio_url"].is_null());
    assert_eq!(body["tts_error"], "tts_failed");
}

#[tokio::test]
async fn a_socket_dropped_mid_audio_ends_that_clip_without_a_hang() {
    let app = spawn_app_with(Options::voice("", "tts_backend = \"realtime\"")).await;
    app.inject(
        "/v1/realtime",
        1,
        FaultKind::WsDropMidAudio { after_deltas: 2 },
    );
    let started = Instant::now();
    let body = body_json(
        app.chat(ask(
            "[[reply: A fairly long sentence so several audio chunks are sent.]]",
        ))
        .await,
    )
    .await;
    assert!(body["audio_url"].is_null());
    assert_eq!(body["tts_error"], "tts_failed");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn slow_first_audio_times_out_with_a_typed_error() {
    let app = spawn_app_with(Options::voice(
        "first_audio_timeout_secs = 1",
        "tts_backend = \"realtime\"",
    ))
    .await;
    app.inject("/v1/realtime", 1, FaultKind::SlowFirstAudio { ms: 5_000 });
    let started = Instant::now();
    let body = body_json(app.chat(ask("[[reply: Too slow to start.]]")).await).await;
    assert_eq!(body["response"], "Too slow to start.");
    assert_eq!(body["tts_error"], "tts_timeout");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_429_for_the_ephemeral_secret_keeps_the_text() {
    let app = spawn_app_with(Options::voice(
        "realtime_auth = \"ephemeral\"",
        "tts_backend = \"realtime\"",
    ))
    .await;
    app.inject(
        "/v1/realtime/client_secrets",
        1,
        FaultKind::Status {
            status: 429,
            retry_after: Some(3),
            body: None,
        },
    );
    let body = body_json(app.chat(ask("[[reply: Rate limited voice.]]")).await).await;
    assert_eq!(body["response"], "Rate limited voice.");
    assert_eq!(body["tts_error"], "tts_unavailable");
    // Without the fault, the secret is fetched and used on the socket instead of the key.
    let ok = body_json(app.chat(ask("[[reply: Now it speaks.]]")).await).await;
    assert!(ok["audio_url"].is_string());
    let auth = app.fake.ws_messages()[0]
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .unwrap()
        .1
        .clone();
    assert!(
        auth.starts_with("Bearer xai-realtime-client-secret-"),
        "{auth}"
    );
}

#[tokio::test]
async fn audio_beyond_the_per_reply_cap_is_not_sent() {
    let app = spawn_app_with(Options::voice("", "max_audio_secs = 1")).await;
    let long = "This reply is far too long to be spoken within a one second audio budget.";
    let body = body_json(app.chat(ask(&format!("[[reply: {long}]]"))).await).await;
    assert_eq!(body["response"], long);
    assert!(body["audio_url"].is_null());
    assert_eq!(body["tts_error"], "tts_too_long");
}

#[tokio::test]
async fn a_repeated_phrase_comes_from_the_cache() {
    let app = spawn_app().await;
    for _ in 0..3 {
        let body = body_json(app.chat(ask("[[reply: Same words every time.]]")).await).await;
        assert!(body["audio_url"].is_string());
    }
    assert_eq!(app.fake.count("/v1/tts"), 1);
}

#[tokio::test]
async fn voice_off_means_no_audio_and_no_error() {
    let app = spawn_app_with(Options::voice("", "voice_enabled = false")).await;
    let body = body_json(app.chat(ask("hi")).await).await;
    assert!(body["audio_url"].is_null());
    assert!(body.get("tts_error").is_none());
    assert_eq!(app.fake.count("/v1/tts"), 0);
}

const THREE_SENTENCES: &str =
    "The first sentence is here. The second sentence follows it. And the third one ends the reply.";

#[tokio::test]
async fn streaming_speaks_each_sentence_in_order_before_the_reply_ends() {
    let app = spawn_app_with(Options::voice("", "tts_backend = \"tts\"")).await;
    app.fake.set_delays(fake_xai::Delays::text(0, 30));
    let events = events(
        app.chat_stream(ask(&format!("[[reply: {THREE_SENTENCES}]]")))
            .await,
    )
    .await;
    let audio: Vec<&serde_json::Value> = events
        .iter()
        .filter(|(e, _)| e == "audio")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(audio.len(), 3, "{events:?}");
    for (i, a) in audio.iter().enumerate() {
        assert_eq!(a["index"], i);
    }
    assert_eq!(audio[0]["text"], "The first sentence is here.");
    assert_eq!(audio[2]["text"], "And the third one ends the reply.");
    for a in &audio {
        let text = a["text"].as_str().unwrap();
        assert_eq!(
            wav_samples(a["audio_url"].as_str().unwrap(), 24_000),
            tone_samples(text, 24_000)
        );
    }
    let first_audio = events.iter().position(|(e, _)| e == "audio").unwrap();
    let last_delta = events.iter().rposition(|(e, _)| e == "delta").unwrap();
    assert!(
        first_audio < last_delta,
        "the first clip must come before the last text delta"
    );
    assert_eq!(events.last().unwrap().0, "done");
    // Each sentence was its own TTS request, sent as soon as it was complete.
    let texts: Vec<String> = app
        .upstream_bodies("/v1/tts")
        .iter()
        .map(|b| b["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(texts.len(), 3);
}

#[tokio::test]
async fn one_failed_sentence_yields_an_audio_error_for_that_index_only() {
    let app = spawn_app_with(Options::voice("concurrency = 1", "")).await;
    app.inject(
        "/v1/tts",
        1,
        FaultKind::Status {
            status: 500,
            retry_after: None,
            body: None,
        },
    );
    let events = events(
        app.chat_stream(ask(&format!("[[reply: {THREE_SENTENCES}]]")))
            .await,
    )
    .await;
    let speech: Vec<(String, u64)> = events
        .iter()
        .filter(|(e, _)| e == "audio" || e == "audio_error")
        .map(|(e, d)| (e.clone(), d["index"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        speech,
        [
            ("audio_error".into(), 0),
            ("audio".into(), 1),
            ("audio".into(), 2)
        ]
    );
    let err = &events.iter().find(|(e, _)| e == "audio_error").unwrap().1;
    assert_eq!(err["text"], "The first sentence is here.");
    assert_eq!(err["code"], "tts_failed");
    assert_eq!(events.last().unwrap().0, "done");
}

#[tokio::test]
async fn the_global_voice_session_cap_refuses_clearly_and_keeps_the_text() {
    let app = spawn_app_with(Options::voice("max_sessions = 1\nconcurrency = 3", "")).await;
    app.fake.set_delays(fake_xai::Delays {
        tts_first_audio_ms: 300,
        ..Default::default()
    });
    let events = events(
        app.chat_stream(ask(&format!("[[reply: {THREE_SENTENCES}]]")))
            .await,
    )
    .await;
    let busy = events
        .iter()
        .filter(|(e, d)| e == "audio_error" && d["code"] == "tts_unavailable")
        .count();
    assert!(busy >= 1, "{events:?}");
    let text: String = events
        .iter()
        .filter(|(e, _)| e == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, THREE_SENTENCES);
}

#[tokio::test]
async fn markdown_and_code_are_not_read_aloud() {
    let app = spawn_app().await;
    let reply = "Use **this** command:\n```\nrm -rf /tmp/x\n```\nSee [the docs](https://example.com) for more.";
    let events = events(app.chat_stream(ask(&format!("[[reply: {reply}]]"))).await).await;
    let spoken: Vec<String> = events
        .iter()
        .filter(|(e, _)| e == "audio")
        .map(|(_, d)| d["text"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        spoken
            .iter()
            .all(|s| !s.contains('*') && !s.contains("rm -rf") && !s.contains("https")),
        "{spoken:?}"
    );
    assert!(
        spoken.iter().any(|s| s.contains("See the docs for more.")),
        "{spoken:?}"
    );
}

#[tokio::test]
async fn server_speech_is_in_the_widget_language_unless_the_site_set_one() {
    let toml = format!(
        "retry_budget_secs = 5\n[voice]\n\n{}tts_backend = \"tts\"\n",
        crate::helpers::CLIENTS.replace("stt_language = \"en-GB\"\n", "")
    );
    let app = spawn_app_with(Options {
        toml,
        ..Options::default()
    })
    .await;
    let req =
        json!({ "client_id": "demo", "message": "[[reply: Bonjour à tous.]]", "language": "fr" });
    body_json(app.chat(req).await).await;
    body_json(app.chat(ask("[[reply: No language given.]]")).await).await;
    let sent = app.upstream_bodies("/v1/tts");
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0]["language"], "fr");
    assert_eq!(sent[1]["language"], "en");

    // The site's stt_language wins over the widget's language.
    let app = spawn_app_with(Options::voice("", "tts_backend = \"tts\"")).await;
    let req = json!({ "client_id": "demo", "message": "[[reply: Bonjour.]]", "language": "fr" });
    body_json(app.chat(req).await).await;
    assert_eq!(app.upstream_bodies("/v1/tts")[0]["language"], "en-GB");

    let req = json!({ "client_id": "demo", "message": "Hi", "language": "fr;x" });
    assert_eq!(app.chat(req).await.status(), 422);
}
