//! `/v1/tts` REST and streaming, and the voice list.

use fake_xai::{FakeConfig, FaultKind, SpeechMode, tone_samples};
use serde_json::{Value, json};

use crate::helpers::{
    decode_samples, drain, next_json, send_json, spawn_fake, spawn_fake_with, until,
};

fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn le_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
}

#[tokio::test]
async fn wav_output_has_a_correct_44_byte_header() {
    let app = spawn_fake().await;
    let text = "Hello from the fake.";
    let response = app
        .post(
            "/v1/tts",
            &json!({"text": text, "language": "en", "voice_id": "ara",
                                 "output_format": {"codec": "wav", "sample_rate": 24000}}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "audio/wav");
    let wav = response.bytes().await.unwrap();
    let samples = tone_samples(text, 24000);
    assert_eq!(wav.len(), 44 + 2 * samples);
    assert_eq!(&wav[0..4], b"RIFF");
    assert_eq!(le_u32(&wav, 4) as usize, wav.len() - 8);
    assert_eq!(&wav[8..16], b"WAVEfmt ");
    assert_eq!(le_u32(&wav, 16), 16);
    assert_eq!(le_u16(&wav, 20), 1, "PCM");
    assert_eq!(le_u16(&wav, 22), 1, "mono");
    assert_eq!(le_u32(&wav, 24), 24000);
    assert_eq!(le_u32(&wav, 28), 48000, "byte rate");
    assert_eq!(le_u16(&wav, 32), 2, "block align");
    assert_eq!(le_u16(&wav, 34), 16, "bits");
    assert_eq!(&wav[36..40], b"data");
    assert_eq!(le_u32(&wav, 40) as usize, 2 * samples);
}

#[tokio::test]
async fn pcm_output_is_raw_samples_at_the_requested_rate() {
    let app = spawn_fake().await;
    let response = app
        .post(
            "/v1/tts",
            &json!({"text": "pcm please", "language": "en",
                                 "output_format": {"codec": "pcm", "sample_rate": 16000}}),
        )
        .await;
    assert_eq!(response.headers()["content-type"], "audio/pcm");
    assert_eq!(
        response.bytes().await.unwrap().len(),
        2 * tone_samples("pcm please", 16000)
    );
}

#[tokio::test]
async fn unsupported_tts_requests_get_400_invalid_argument() {
    let app = spawn_fake().await;
    for body in [
        json!({"text": "hi", "language": "en"}), // mp3 is x.ai's default; the fake has no encoder
        json!({"text": "hi", "language": "en", "output_format": {"codec": "mulaw"}}),
        json!({"text": "hi", "language": "en", "voice_id": "bob", "output_format": {"codec": "wav"}}),
        json!({"text": "x".repeat(15_001), "language": "en", "output_format": {"codec": "wav"}}),
        json!({"text": "hi", "language": "en", "output_format": {"codec": "wav", "sample_rate": 1234}}),
    ] {
        let response = app.post("/v1/tts", &body).await;
        assert_eq!(response.status(), 400);
        assert_eq!(
            response.json::<Value>().await.unwrap()["code"],
            "invalid-argument"
        );
    }
}

#[tokio::test]
async fn espeak_mode_produces_real_speech_or_falls_back_to_the_tone() {
    let app = spawn_fake_with(FakeConfig {
        speech: SpeechMode::Espeak,
        ..FakeConfig::default()
    })
    .await;
    let response = app
        .post(
            "/v1/tts",
            &json!({"text": "Testing one two.", "language": "en",
                                 "output_format": {"codec": "wav", "sample_rate": 24000}}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let wav = response.bytes().await.unwrap();
    assert!(wav.len() > 44 + 2 * 2400, "at least 100 ms of audio");
    assert_eq!(le_u32(&wav, 24), 24000);
}

#[tokio::test]
async fn voices_are_listed_and_looked_up() {
    let app = spawn_fake().await;
    let voices: Value = app.get("/v1/tts/voices").await.json().await.unwrap();
    let ids: Vec<&str> = voices["voices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["voice_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 26);
    for classic in ["ara", "rex", "sal", "eve", "leo"] {
        assert!(ids.contains(&classic));
    }
    let eve: Value = app.get("/v1/tts/voices/eve").await.json().await.unwrap();
    assert_eq!(eve, json!({"voice_id": "eve", "name": "Eve"}));
    assert_eq!(app.get("/v1/tts/voices/bob").await.status(), 404);
}

#[tokio::test]
async fn streaming_tts_speaks_the_collected_text_on_text_done() {
    let app = spawn_fake().await;
    let mut ws = app
        .ws("/v1/tts?language=en&voice=eve&codec=pcm&sample_rate=24000")
        .await;
    send_json(&mut ws, &json!({"type": "text.delta", "delta": "Hello "})).await;
    send_json(
        &mut ws,
        &json!({"type": "text.delta", "delta": "streaming world."}),
    )
    .await;
    send_json(&mut ws, &json!({"type": "text.done"})).await;
    let events = until(&mut ws, "audio.done").await;
    assert_eq!(
        decode_samples(&events, "audio.delta"),
        tone_samples("Hello streaming world.", 24000)
    );
    send_json(&mut ws, &json!({"type": "bogus"})).await;
    assert_eq!(next_json(&mut ws).await["type"], "error");
    let recorded = app.fake.ws_messages();
    assert_eq!(recorded[0].path, "/v1/tts");
    assert_eq!(recorded[0].messages.len(), 4);
}

#[tokio::test]
async fn streaming_tts_can_be_dropped_mid_audio() {
    let app = spawn_fake().await;
    app.inject("/v1/tts", 1, FaultKind::WsDropMidAudio { after_deltas: 1 });
    let mut ws = app.ws("/v1/tts?language=en&voice=eve").await;
    send_json(
        &mut ws,
        &json!({"type": "text.delta", "delta": "A fairly long sentence to speak."}),
    )
    .await;
    send_json(&mut ws, &json!({"type": "text.done"})).await;
    let (events, clean) = drain(&mut ws).await;
    assert!(!clean);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["type"], "audio.delta");
}

/// Arrival time (ms after the request) of each body chunk of a `/v1/tts` answer.
async fn body_chunks(mut response: reqwest::Response) -> (Vec<u128>, Vec<u8>) {
    let started = std::time::Instant::now();
    let (mut times, mut bytes) = (Vec::new(), Vec::new());
    while let Some(chunk) = response.chunk().await.unwrap() {
        times.push(started.elapsed().as_millis());
        bytes.extend_from_slice(&chunk);
    }
    (times, bytes)
}

#[tokio::test]
async fn the_rest_body_is_streamed_as_it_is_synthesised() {
    let app = spawn_fake().await;
    app.fake.set_delays(fake_xai::Delays {
        tts_first_audio_ms: 100,
        tts_per_chunk_ms: 50,
        ..Default::default()
    });
    let text = "Five hundred milliseconds.";
    let response = app
        .post(
            "/v1/tts",
            &json!({"text": text, "language": "en", "optimize_streaming_latency": 1,
                    "output_format": {"codec": "pcm", "sample_rate": 24000}}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let (times, bytes) = body_chunks(response).await;
    assert_eq!(bytes.len(), 2 * tone_samples(text, 24000));
    // 1.56 s of audio in 100 ms chunks, 50 ms apart: they arrive one by one.
    assert!(
        times.len() >= 10,
        "chunk by chunk, not all at once: {times:?}"
    );
}

#[tokio::test]
async fn a_streamed_wav_body_starts_with_its_header_and_can_be_cut() {
    let app = spawn_fake().await;
    let text = "A header first, then samples.";
    let body = json!({"text": text, "language": "en",
                      "output_format": {"codec": "wav", "sample_rate": 16000}});
    let (_, wav) = body_chunks(app.post("/v1/tts", &body).await).await;
    assert_eq!(&wav[36..40], b"data");
    assert_eq!(le_u32(&wav, 40) as usize, 2 * tone_samples(text, 16000));
    app.inject("/v1/tts", 1, FaultKind::WsDropMidAudio { after_deltas: 2 });
    let mut response = app.post("/v1/tts", &body).await;
    assert_eq!(response.status(), 200);
    let mut got = 0;
    let cut = loop {
        match response.chunk().await {
            Ok(Some(c)) => got += c.len(),
            Ok(None) => break false,
            Err(_) => break true,
        }
    };
    assert!(cut, "the body ends in an error, not cleanly");
    assert_eq!(got, 44 + 2 * 2 * 1600, "the header and two 100 ms chunks");
    let bad = json!({"text": "hi", "language": "en", "optimize_streaming_latency": 9,
                     "output_format": {"codec": "pcm"}});
    assert_eq!(app.post("/v1/tts", &bad).await.status(), 400);
}

#[tokio::test]
async fn streaming_tts_speaks_words_as_they_arrive_or_waits_for_text_done() {
    for incremental in [true, false] {
        let app = spawn_fake().await;
        app.fake.set_tts_stream_incremental(incremental);
        let mut ws = app
            .ws("/v1/tts?language=en&voice=eve&codec=pcm&sample_rate=24000")
            .await;
        send_json(
            &mut ws,
            &json!({"type": "text.delta", "delta": "Words as they "}),
        )
        .await;
        let early = tokio::time::timeout(std::time::Duration::from_millis(300), next_json(&mut ws))
            .await
            .ok();
        assert_eq!(
            early.as_ref().map(|e| e["type"].clone()),
            incremental.then(|| json!("audio.delta")),
            "incremental: {incremental}"
        );
        send_json(&mut ws, &json!({"type": "text.delta", "delta": "come."})).await;
        send_json(&mut ws, &json!({"type": "text.done"})).await;
        let mut events: Vec<Value> = early.into_iter().collect();
        events.extend(until(&mut ws, "audio.done").await);
        assert_eq!(
            decode_samples(&events, "audio.delta"),
            tone_samples("Words as they come.", 24000),
            "incremental: {incremental}"
        );
    }
}
