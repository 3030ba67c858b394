//! Text to speech (spec §6): `POST /v1/tts` (the audio body streamed as it is synthesised) and
//! voices. The streaming socket is [`crate::tts_stream`].

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::audio::{self, PCM_RATES};
use crate::errors::{ApiError, XaiJson, json_reply};
use crate::state::{FaultKind, Shared};

/// The 26 built-in voice ids, lowercase: the classic five and the 2026 additions (spec §5.2).
pub(crate) const VOICES: &[&str] = &[
    "ara", "rex", "sal", "eve", "leo", "carina", "zagan", "helix", "orion", "luna", "iris",
    "altair", "zenith", "perseus", "helios", "lux", "kepler", "rigel", "cosmo", "celeste", "ursa",
    "sirius", "lumen", "castor", "naksh", "atlas",
];

const MAX_TEXT_CHARS: usize = 15_000;

#[derive(Debug, Deserialize)]
pub(crate) struct TtsRequest {
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
    /// 0, 1 or 2 in x.ai's reference (details UNCONFIRMED, spec §7.8): accepted up to 4, as
    /// similar APIs allow; the fake streams the body at every setting.
    #[serde(default)]
    optimize_streaming_latency: Option<u8>,
    #[serde(default)]
    text_normalization: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
struct OutputFormat {
    #[serde(default)]
    codec: Option<String>,
    #[serde(default)]
    sample_rate: Option<u32>,
}

pub(crate) fn check_voice(voice: &str) -> Result<(), ApiError> {
    if VOICES.contains(&voice) {
        Ok(())
    } else {
        Err(ApiError::invalid_argument(format!(
            "Unknown voice_id '{voice}'. List voices with GET /v1/tts/voices."
        )))
    }
}

pub(crate) fn check_rate(rate: u32) -> Result<(), ApiError> {
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
    uri: Uri,
    XaiJson(request): XaiJson<TtsRequest>,
) -> Result<Response, ApiError> {
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
    if request.optimize_streaming_latency.is_some_and(|o| o > 4) {
        return Err(ApiError::invalid_argument(
            "optimize_streaming_latency must be between 0 and 4.",
        ));
    }
    let _ = request.text_normalization;
    let format = request.output_format.unwrap_or_default();
    let codec = format.codec.as_deref().unwrap_or("mp3");
    check_codec(codec)?;
    let rate = format.sample_rate.unwrap_or(24000);
    check_rate(rate)?;

    let config = shared.config();
    let fault = shared.take_fault(uri.path(), |k| {
        matches!(
            k,
            FaultKind::SlowFirstAudio { .. } | FaultKind::WsDropMidAudio { .. }
        )
    });
    let (extra, drop_after) = match fault {
        Some(FaultKind::SlowFirstAudio { ms }) => (ms, None),
        Some(FaultKind::WsDropMidAudio { after_deltas }) => (0, Some(after_deltas as usize)),
        _ => (0, None),
    };
    let samples = audio::synthesize(config.speech, &request.text, rate).await;
    let content_type = if codec == "wav" {
        "audio/wav"
    } else {
        "audio/pcm"
    };
    if request.with_timestamps.unwrap_or(false) {
        // A JSON answer comes once all of it is synthesised: the first-audio delay plus the
        // per-chunk (100 ms of audio) time for every chunk, as the streaming endpoints pace them.
        let chunks = samples.len().div_ceil(audio::chunk_len(rate)) as u64;
        shared
            .pause(
                config.delays.tts_first_audio_ms + extra + chunks * config.delays.tts_per_chunk_ms,
            )
            .await;
        let bytes = if codec == "wav" {
            audio::wav_bytes(&samples, rate)
        } else {
            audio::pcm_bytes(&samples)
        };
        let duration = samples.len() as f64 / f64::from(rate);
        return Ok(json_reply(
            &shared,
            uri.path(),
            &json!({"audio": BASE64.encode(&bytes), "content_type": content_type,
                    "duration": duration, "audio_timestamps": []}),
        ));
    }
    // The audio body is streamed as it is synthesised, 100 ms of audio per chunk, paced like
    // the sockets: the first chunk after the first-audio delay, then one every per-chunk delay.
    // A WAV starts with its header (sizes known: the fake synthesises before it speaks).
    let mut chunks: Vec<Vec<u8>> = samples
        .chunks(audio::chunk_len(rate))
        .map(audio::pcm_bytes)
        .collect();
    if codec == "wav" {
        let header = audio::wav_bytes(&[], rate);
        let data_len = u32::try_from(samples.len() * 2).unwrap_or(u32::MAX);
        let mut first = header;
        first[4..8].copy_from_slice(&(36 + data_len).to_le_bytes());
        first[40..44].copy_from_slice(&data_len.to_le_bytes());
        match chunks.first_mut() {
            Some(c) => {
                first.extend_from_slice(c);
                *c = first;
            }
            None => chunks.push(first),
        }
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let first_wait = config.delays.tts_first_audio_ms + extra;
    let per_chunk = config.delays.tts_per_chunk_ms;
    tokio::spawn(async move {
        // Paced from the start, not from the last chunk: timer overshoot does not add up.
        let start = tokio::time::Instant::now();
        for (i, chunk) in chunks.into_iter().enumerate() {
            if drop_after == Some(i) {
                cut(&tx).await;
                return;
            }
            let due = start + Duration::from_millis(first_wait + i as u64 * per_chunk);
            let wait = due.saturating_duration_since(tokio::time::Instant::now());
            if !shared.pause(wait.as_millis() as u64).await {
                return;
            }
            if tx.send(Ok(Bytes::from(chunk))).await.is_err() {
                return;
            }
        }
        if drop_after.is_some() {
            cut(&tx).await;
        }
    });
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }));
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .unwrap_or_default())
}

/// An error mid-body: the connection is cut and the chunked body never ends. It comes a moment
/// after the last chunk, so what was sent reaches the client (an error right behind buffered
/// chunks would make hyper drop them unsent).
async fn cut(tx: &tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>) {
    tokio::time::sleep(Duration::from_millis(30)).await;
    let _ = tx
        .send(Err(std::io::Error::other("fault: drop mid audio")))
        .await;
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
