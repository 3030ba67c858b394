//! x.ai's text-to-speech endpoint (`docs/upstreams.md#xai-text-to-speech`): `POST /v1/tts`
//! asking for raw PCM, and the streaming TTS WebSocket (`text.delta`/`text.done` in,
//! `audio.delta`/`audio.done` out; `docs/upstreams.md#xai-streaming-text-to-speech`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};

use super::utterance::{TtsError, Utterance};
use crate::speech::audio::parse_wav;
use crate::upstream::http::parse_retry_after;

/// `POST {base}/tts` → PCM16 bytes at `utt.sample_rate`.
pub async fn rest(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    utt: &Utterance<'_>,
) -> Result<Vec<u8>, TtsError> {
    let body = json!({
        "text": utt.text,
        "language": utt.language,
        "voice_id": utt.voice,
        "output_format": { "codec": "pcm", "sample_rate": utt.sample_rate },
    });
    let send = http
        .post(format!("{base}/tts"))
        .bearer_auth(key)
        .timeout(utt.timeout)
        .json(&body)
        .send();
    let resp = match tokio::time::timeout(utt.first_audio_timeout, send).await {
        Err(_) => return Err(TtsError::FirstAudioTimeout),
        Ok(Err(e)) if e.is_timeout() => return Err(TtsError::Timeout),
        Ok(Err(_)) => return Err(TtsError::Connect),
        Ok(Ok(resp)) => resp,
    };
    let status = resp.status();
    if !status.is_success() {
        return Err(TtsError::Status {
            status: status.as_u16(),
            retry_after: parse_retry_after(resp.headers()),
        });
    }
    let is_wav = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("wav"));
    let mut pcm = Vec::new();
    let mut body = resp.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            if e.is_timeout() {
                TtsError::Timeout
            } else {
                TtsError::Dropped
            }
        })?;
        pcm.extend_from_slice(&chunk);
        if pcm.len() > utt.max_bytes + crate::speech::audio::WAV_HEADER_LEN {
            return Err(TtsError::TooLong);
        }
    }
    if is_wav {
        // Asked for PCM but got a WAV: take its samples if the rate is the one asked for.
        let (info, data) = parse_wav(&pcm).ok_or(TtsError::Malformed)?;
        if info.sample_rate != utt.sample_rate || info.channels != 1 || info.bits_per_sample != 16 {
            return Err(TtsError::Malformed);
        }
        return Ok(data.to_vec());
    }
    if pcm.is_empty() {
        return Err(TtsError::Upstream("empty audio".into()));
    }
    Ok(pcm)
}

/// The streaming TTS socket: the whole text in one delta, then audio until `audio.done`.
pub async fn stream(ws_base: &str, key: &str, utt: &Utterance<'_>) -> Result<Vec<u8>, TtsError> {
    let deadline = Instant::now() + utt.timeout;
    let url = format!(
        "{ws_base}/tts?language={}&voice={}&codec=pcm&sample_rate={}",
        utt.language, utt.voice, utt.sample_rate
    );
    let mut request = url.into_client_request().map_err(|_| TtsError::Connect)?;
    let bearer = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| TtsError::Connect)?;
    request.headers_mut().insert("authorization", bearer);
    let mut ws = match tokio::time::timeout(
        utt.first_audio_timeout,
        tokio_tungstenite::connect_async(request),
    )
    .await
    {
        Err(_) => return Err(TtsError::FirstAudioTimeout),
        Ok(Err(e)) => return Err(handshake_error(&e)),
        Ok(Ok((ws, _))) => ws,
    };
    for msg in [
        json!({"type": "text.delta", "delta": utt.text}),
        json!({"type": "text.done"}),
    ] {
        ws.send(Message::text(msg.to_string()))
            .await
            .map_err(|_| TtsError::Dropped)?;
    }
    let first_audio_by = Instant::now() + utt.first_audio_timeout;
    let mut pcm = Vec::new();
    loop {
        let by = if pcm.is_empty() {
            first_audio_by.min(deadline)
        } else {
            deadline
        };
        let msg = match tokio::time::timeout_at(by, ws.next()).await {
            Err(_) if pcm.is_empty() => return Err(TtsError::FirstAudioTimeout),
            Err(_) => return Err(TtsError::Timeout),
            Ok(None) | Ok(Some(Err(_))) => return Err(TtsError::Dropped),
            Ok(Some(Ok(m))) => m,
        };
        let event: Value = match msg {
            Message::Text(t) => serde_json::from_str(&t).map_err(|_| TtsError::Malformed)?,
            Message::Close(_) => return Err(TtsError::Dropped),
            _ => continue,
        };
        match event.get("type").and_then(Value::as_str).unwrap_or("") {
            "audio.delta" => {
                let b64 = event.get("delta").and_then(Value::as_str).unwrap_or("");
                pcm.extend_from_slice(&STANDARD.decode(b64).map_err(|_| TtsError::Malformed)?);
                if pcm.len() > utt.max_bytes {
                    return Err(TtsError::TooLong);
                }
            }
            "audio.done" => {
                let _ = ws.close(None).await;
                return if pcm.is_empty() {
                    Err(TtsError::Upstream("no audio".into()))
                } else {
                    Ok(pcm)
                };
            }
            "error" => {
                let code = event.get("code").and_then(Value::as_str).unwrap_or("error");
                return Err(TtsError::Upstream(code.chars().take(64).collect()));
            }
            _ => {}
        }
    }
}

/// A refused WebSocket upgrade carries the REST status (401, 429, …).
pub fn handshake_error(e: &tungstenite::Error) -> TtsError {
    match e {
        tungstenite::Error::Http(resp) => TtsError::Status {
            status: resp.status().as_u16(),
            retry_after: parse_retry_after(resp.headers()),
        },
        _ => TtsError::Connect,
    }
}
