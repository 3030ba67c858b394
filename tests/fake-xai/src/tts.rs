//! Text to speech (spec §6): `POST /v1/tts`, the streaming `/v1/tts` WebSocket, and voices.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::audio::{self, PCM_RATES};
use crate::errors::{ApiError, json_reply, parse_json};
use crate::server::{record_ws, record_ws_message, subprotocol_secret};
use crate::state::{FaultKind, Shared};

/// The 26 built-in voice ids, lowercase: the classic five and the 2026 additions (spec §5.2).
pub(crate) const VOICES: &[&str] = &[
    "ara", "rex", "sal", "eve", "leo", "carina", "zagan", "helix", "orion", "luna", "iris",
    "altair", "zenith", "perseus", "helios", "lux", "kepler", "rigel", "cosmo", "celeste", "ursa",
    "sirius", "lumen", "castor", "naksh", "atlas",
];

const MAX_TEXT_CHARS: usize = 15_000;

#[derive(Debug, Deserialize)]
struct TtsRequest {
    text: String,
    language: String,
    #[serde(default)]
    voice_id: Option<String>,
    #[serde(default)]
    output_format: Option<OutputFormat>,
    #[serde(default)]
    speed: Option<f64>,
    #[serde(default)]
    with_timestamps: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
struct OutputFormat {
    #[serde(default)]
    codec: Option<String>,
    #[serde(default)]
    sample_rate: Option<u32>,
}

fn check_voice(voice: &str) -> Result<(), ApiError> {
    if VOICES.contains(&voice) {
        Ok(())
    } else {
        Err(ApiError::invalid_argument(format!(
            "Unknown voice_id '{voice}'. List voices with GET /v1/tts/voices."
        )))
    }
}

fn check_rate(rate: u32) -> Result<(), ApiError> {
    if PCM_RATES.contains(&rate) {
        Ok(())
    } else {
        Err(ApiError::invalid_argument(format!(
            "Unsupported sample_rate {rate}; use one of {PCM_RATES:?}."
        )))
    }
}

/// The fake synthesises PCM only, so it refuses the compressed codecs instead of faking them.
fn check_codec(codec: &str) -> Result<(), ApiError> {
    if codec == "wav" || codec == "pcm" {
        Ok(())
    } else {
        Err(ApiError::invalid_argument(format!(
            "The fake x.ai supports only the wav and pcm codecs, not '{codec}'. Ask for \
             output_format.codec \"wav\" or \"pcm\"."
        )))
    }
}

pub(crate) async fn speak(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: TtsRequest = parse_json(&headers, &body)?;
    let chars = request.text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(ApiError::invalid_argument(format!(
            "text is {chars} characters long; the limit is {MAX_TEXT_CHARS}."
        )));
    }
    if request.text.trim().is_empty() {
        return Err(ApiError::invalid_argument("text must not be empty."));
    }
    if request.language.trim().is_empty() {
        return Err(ApiError::invalid_argument("language must not be empty."));
    }
    let voice = request.voice_id.as_deref().unwrap_or("eve");
    check_voice(voice)?;
    if let Some(speed) = request.speed
        && !(0.7..=1.5).contains(&speed)
    {
        return Err(ApiError::invalid_argument(
            "speed must be between 0.7 and 1.5.",
        ));
    }
    let format = request.output_format.unwrap_or_default();
    let codec = format.codec.as_deref().unwrap_or("mp3");
    check_codec(codec)?;
    let rate = format.sample_rate.unwrap_or(24000);
    check_rate(rate)?;

    let config = shared.config();
    let extra = match shared.take_fault(uri.path(), |k| {
        matches!(k, FaultKind::SlowFirstAudio { .. })
    }) {
        Some(FaultKind::SlowFirstAudio { ms }) => ms,
        _ => 0,
    };
    let samples = audio::synthesize(config.speech, &request.text, rate).await;
    // A whole-file answer comes once all of it is synthesised: the first-audio delay plus the
    // per-chunk (100 ms of audio) time for every chunk, as the streaming endpoints pace them.
    let chunks = samples.len().div_ceil((rate as usize / 10).max(1)) as u64;
    shared
        .pause(config.delays.tts_first_audio_ms + extra + chunks * config.delays.tts_per_chunk_ms)
        .await;
    let (content_type, bytes) = if codec == "wav" {
        ("audio/wav", audio::wav_bytes(&samples, rate))
    } else {
        ("audio/pcm", audio::pcm_bytes(&samples))
    };
    if request.with_timestamps.unwrap_or(false) {
        let duration = samples.len() as f64 / f64::from(rate);
        return Ok(json_reply(
            &shared,
            uri.path(),
            &json!({"audio": BASE64.encode(&bytes), "content_type": content_type,
                    "duration": duration, "audio_timestamps": []}),
        ));
    }
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(bytes))
        .unwrap_or_default())
}

pub(crate) async fn voices(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let list: Vec<Value> = VOICES.iter().map(|v| voice_json(v)).collect();
    json_reply(&shared, uri.path(), &json!({"voices": list}))
}

pub(crate) async fn voice(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    if !VOICES.contains(&id.as_str()) {
        return Err(ApiError::not_found(format!(
            "The voice {id} does not exist."
        )));
    }
    Ok(json_reply(&shared, uri.path(), &voice_json(&id)))
}

fn voice_json(id: &str) -> Value {
    let mut name = id.to_owned();
    if let Some(first) = name.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    json!({"voice_id": id, "name": name})
}

/// `GET /v1/tts?language=&voice=&codec=&sample_rate=` upgraded to the streaming TTS socket.
pub(crate) async fn connect(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let voice = query.get("voice").map_or("eve", String::as_str);
    check_voice(voice)?;
    let codec = query.get("codec").map_or("pcm", String::as_str);
    if codec != "pcm" {
        return Err(ApiError::invalid_argument(format!(
            "The fake x.ai streams only the pcm codec, not '{codec}'."
        )));
    }
    let rate = match query.get("sample_rate") {
        Some(r) => r
            .parse::<u32>()
            .map_err(|_| ApiError::invalid_argument(format!("Invalid sample_rate '{r}'.")))?,
        None => 24000,
    };
    check_rate(rate)?;
    let upgrade = match subprotocol_secret(&headers) {
        Some(secret) => upgrade.protocols([format!("xai-client-secret.{secret}")]),
        None => upgrade,
    };
    let ws_id = record_ws(&shared, uri.path(), uri.query(), &headers);
    let path = uri.path().to_owned();
    Ok(upgrade.on_upgrade(move |mut socket| async move {
        // Returning drops the socket; after a fault that is the abrupt close asked for.
        let _ = stream_session(&shared, ws_id, &path, rate, &mut socket).await;
    }))
}

/// The client left, or a fault cut the connection.
struct End;

async fn send(socket: &mut WebSocket, event: Value) -> Result<(), End> {
    socket
        .send(Message::text(event.to_string()))
        .await
        .map_err(|_| End)
}

/// Collects `text.delta`s; on `text.done` speaks them as `audio.delta`s then `audio.done`.
async fn stream_session(
    shared: &Shared,
    ws_id: u64,
    path: &str,
    rate: u32,
    socket: &mut WebSocket,
) -> Result<(), End> {
    let mut text = String::new();
    let mut stop = shared.stopping();
    loop {
        let message = tokio::select! {
            m = socket.recv() => m,
            _ = stop.wait_for(|s| *s) => return Ok(()),
        };
        let raw = match message {
            Some(Ok(Message::Text(raw))) => raw,
            Some(Ok(Message::Close(_)) | Err(_)) | None => return Ok(()),
            Some(Ok(_)) => continue,
        };
        let event = serde_json::from_str::<Value>(raw.as_str())
            .unwrap_or_else(|_| Value::String(raw.to_string()));
        record_ws_message(shared, ws_id, event.clone());
        match event.get("type").and_then(Value::as_str) {
            Some("text.delta") => {
                text.push_str(event.get("delta").and_then(Value::as_str).unwrap_or(""));
            }
            Some("text.done") => {
                speak_stream(shared, path, rate, &std::mem::take(&mut text), socket).await?;
            }
            other => {
                let message = format!("Unknown message type {}.", other.unwrap_or("(none)"));
                send(socket, json!({"type": "error", "message": message})).await?;
            }
        }
    }
}

async fn speak_stream(
    shared: &Shared,
    path: &str,
    rate: u32,
    text: &str,
    socket: &mut WebSocket,
) -> Result<(), End> {
    let fault = shared.take_fault(path, |k| {
        matches!(
            k,
            FaultKind::WsDropMidAudio { .. } | FaultKind::SlowFirstAudio { .. }
        )
    });
    let config = shared.config();
    let samples = audio::synthesize(config.speech, text, rate).await;
    let mut first_wait = config.delays.tts_first_audio_ms;
    let mut drop_after = None;
    match fault {
        Some(FaultKind::SlowFirstAudio { ms }) => first_wait += ms,
        Some(FaultKind::WsDropMidAudio { after_deltas }) => {
            drop_after = Some(after_deltas as usize)
        }
        _ => {}
    }
    let chunks: Vec<&[i16]> = samples.chunks(audio::chunk_len(rate)).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        if drop_after == Some(i) {
            return Err(End);
        }
        let wait = if i == 0 {
            first_wait
        } else {
            config.delays.tts_per_chunk_ms
        };
        if !shared.pause(wait).await {
            return Err(End);
        }
        let delta = BASE64.encode(audio::pcm_bytes(chunk));
        send(socket, json!({"type": "audio.delta", "delta": delta})).await?;
    }
    if drop_after.is_some_and(|n| n >= chunks.len()) {
        return Err(End);
    }
    send(socket, json!({"type": "audio.done"})).await
}
