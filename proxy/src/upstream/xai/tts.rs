//! x.ai's text-to-speech endpoint (`docs/upstreams.md#xai-text-to-speech`): `POST /v1/tts`
//! asking for raw PCM, read as the body streams in, and the streaming TTS WebSocket (text in
//! as `text.delta`s while the reply is written, `text.done`, then `audio.delta`s until
//! `audio.done`; `docs/upstreams.md#xai-streaming-text-to-speech`). Both hand PCM to a
//! [`PcmSink`] the moment it arrives.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};

use super::utterance::{PcmSink, TextFeed, TtsError, Utterance};
use crate::speech::audio::{WavHead, wav_head};
use crate::upstream::http::parse_retry_after;

/// `POST {base}/tts` → PCM16 at `utt.sample_rate`, passed on chunk by chunk.
pub async fn rest(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    utt: &Utterance<'_>,
    text: &mut TextFeed,
    sink: &mut PcmSink<'_>,
) -> Result<(), TtsError> {
    let text = text.all().await;
    let body = json!({
        "text": text,
        "language": utt.language,
        "voice_id": utt.voice,
        "output_format": { "codec": "pcm", "sample_rate": utt.sample_rate },
        // The body is read as it streams; ask x.ai to start it as early as it can.
        "optimize_streaming_latency": 1,
    });
    let first_audio_by = Instant::now() + utt.first_audio_timeout;
    let send = http
        .post(format!("{base}/tts"))
        .bearer_auth(key)
        .timeout(utt.timeout)
        .json(&body)
        .send();
    let resp = match tokio::time::timeout_at(first_audio_by, send).await {
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
    // Asked for PCM but got a WAV: its header is read first, then its samples pass through.
    let mut head = is_wav.then(Vec::new);
    let mut data_left = usize::MAX;
    let mut body = resp.bytes_stream();
    loop {
        let next = if sink.is_empty() {
            match tokio::time::timeout_at(first_audio_by, body.next()).await {
                Ok(next) => next,
                Err(_) => return Err(TtsError::FirstAudioTimeout),
            }
        } else {
            body.next().await
        };
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|e| {
            if e.is_timeout() {
                TtsError::Timeout
            } else {
                TtsError::Dropped
            }
        })?;
        let mut pcm: &[u8] = &chunk;
        let buffered;
        if let Some(h) = head.as_mut() {
            h.extend_from_slice(&chunk);
            match wav_head(h) {
                WavHead::NeedMore if h.len() <= 64 * 1024 => continue,
                WavHead::NeedMore | WavHead::Bad => return Err(TtsError::Malformed),
                WavHead::Pcm16 {
                    sample_rate,
                    channels,
                    data_at,
                    data_len,
                } => {
                    if sample_rate != utt.sample_rate || channels != 1 {
                        return Err(TtsError::Malformed);
                    }
                    data_left = data_len.unwrap_or(usize::MAX);
                    buffered = head.take().unwrap_or_default();
                    pcm = &buffered[data_at..];
                }
            }
        }
        let take = pcm.len().min(data_left);
        data_left -= take;
        sink.push(&pcm[..take])?;
    }
    if head.is_some() {
        return Err(TtsError::Malformed);
    }
    if sink.is_empty() {
        return Err(TtsError::Upstream("empty audio".into()));
    }
    Ok(())
}

/// The streaming TTS socket: text deltas go in as they come (so x.ai may start speaking before
/// the sentence is complete), `text.done` when it is; audio until `audio.done`.
pub async fn stream(
    ws_base: &str,
    key: &str,
    utt: &Utterance<'_>,
    text: &mut TextFeed,
    sink: &mut PcmSink<'_>,
) -> Result<(), TtsError> {
    let deadline = Instant::now() + utt.timeout;
    let url = format!(
        "{ws_base}/tts?language={}&voice={}&codec=pcm&sample_rate={}",
        utt.language, utt.voice, utt.sample_rate
    );
    let mut request = url.into_client_request().map_err(|_| TtsError::Connect)?;
    let bearer = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| TtsError::Connect)?;
    request.headers_mut().insert("authorization", bearer);
    // No Nagle: the text goes out word by word, and a word held back for the previous one's
    // ACK (up to a delayed-ACK interval, 40 ms) delays the first audio.
    let mut ws = match tokio::time::timeout(
        utt.first_audio_timeout,
        tokio_tungstenite::connect_async_with_config(request, None, true),
    )
    .await
    {
        Err(_) => return Err(TtsError::FirstAudioTimeout),
        Ok(Err(e)) => return Err(handshake_error(&e)),
        Ok(Ok((ws, _))) => ws,
    };
    let send = |msg: Value| Message::text(msg.to_string());
    // Until `text.done` only the whole deadline applies: the text may still be being written.
    let mut first_audio_by: Option<Instant> = None;
    let mut text_open = true;
    loop {
        let by = match first_audio_by {
            Some(at) if sink.is_empty() => at.min(deadline),
            _ => deadline,
        };
        let msg = tokio::select! {
            part = text.next(), if text_open => {
                match part {
                    Some(delta) => {
                        ws.send(send(json!({"type": "text.delta", "delta": delta})))
                            .await
                            .map_err(|_| TtsError::Dropped)?;
                    }
                    None => {
                        text_open = false;
                        if text.said().trim().is_empty() {
                            // Opened early for a reply that had nothing to say.
                            let _ = ws.close(None).await;
                            return Err(TtsError::NoText);
                        }
                        ws.send(send(json!({"type": "text.done"})))
                            .await
                            .map_err(|_| TtsError::Dropped)?;
                        first_audio_by = Some(Instant::now() + utt.first_audio_timeout);
                    }
                }
                continue;
            }
            msg = tokio::time::timeout_at(by, ws.next()) => msg,
        };
        let msg = match msg {
            Err(_) if sink.is_empty() && first_audio_by.is_some() => {
                return Err(TtsError::FirstAudioTimeout);
            }
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
                sink.push(&STANDARD.decode(b64).map_err(|_| TtsError::Malformed)?)?;
            }
            "audio.done" => {
                let _ = ws.close(None).await;
                return if sink.is_empty() {
                    Err(TtsError::Upstream("no audio".into()))
                } else {
                    Ok(())
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
