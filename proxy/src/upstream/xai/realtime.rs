//! The Grok Voice Agent realtime WebSocket used as a text-to-speech engine
//! (`docs/upstreams.md#xai-realtime-voice`): `session.update` with the voice, manual turns and
//! PCM output, then one `force_message` so the text is read verbatim, then audio deltas until
//! `response.done`, each passed on as it arrives. The session is set up before the text is
//! awaited, so it can be opened while the sentence is still being written.
//!
//! The session logic ([`speak`]) is generic over a message sink and stream, so tests drive it
//! with channels; [`connect`] supplies the real socket.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tracing::debug;

use super::utterance::{PcmSink, TextFeed, TtsError, Utterance};

/// Opens `{ws_base}/realtime?model=…` with `Authorization: Bearer <token>` (the API key or an
/// ephemeral secret).
pub async fn connect(
    ws_base: &str,
    model: &str,
    token: &str,
    timeout: Duration,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    TtsError,
> {
    let url = format!("{ws_base}/realtime?model={model}");
    let mut request = url.into_client_request().map_err(|_| TtsError::Connect)?;
    let bearer =
        HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| TtsError::Connect)?;
    request.headers_mut().insert("authorization", bearer);
    // No Nagle: small events must not wait for the ACK of the one before.
    let connect = tokio_tungstenite::connect_async_with_config(request, None, true);
    match tokio::time::timeout(timeout, connect).await {
        Err(_) => Err(TtsError::Timeout),
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(e)) => Err(super::tts::handshake_error(&e)),
    }
}

/// Runs one verbatim utterance over an open session, its PCM16 going to `sink`.
pub async fn speak<S, E>(
    ws: &mut S,
    utt: &Utterance<'_>,
    text: &mut TextFeed,
    sink: &mut PcmSink<'_>,
) -> Result<(), TtsError>
where
    S: Sink<Message> + Stream<Item = Result<Message, E>> + Unpin,
{
    let deadline = Instant::now() + utt.timeout;
    wait_for(ws, deadline, "session.created").await?;
    let update = json!({
        "type": "session.update",
        "session": {
            "voice": utt.voice,
            "turn_detection": { "type": null },
            "audio": { "output": { "format": { "type": "audio/pcm", "rate": utt.sample_rate } } },
        }
    });
    send(ws, &update).await?;
    wait_for(ws, deadline, "session.updated").await?;
    let text = text.all().await;
    if text.trim().is_empty() {
        let _ = ws.close().await;
        return Err(TtsError::NoText);
    }
    let item = json!({
        "type": "conversation.item.create",
        "item": {
            "type": "force_message",
            "role": "assistant",
            "interruptible": false,
            "content": [{ "type": "output_text", "text": text }],
        }
    });
    send(ws, &item).await?;

    let first_audio_by = Instant::now() + utt.first_audio_timeout;
    loop {
        let by = if sink.is_empty() {
            first_audio_by.min(deadline)
        } else {
            deadline
        };
        let event = next_event(ws, by, sink.is_empty()).await?;
        match event.get("type").and_then(Value::as_str).unwrap_or("") {
            // GA name, and the legacy one some servers still send.
            "response.output_audio.delta" | "response.audio.delta" => {
                let b64 = event.get("delta").and_then(Value::as_str).unwrap_or("");
                sink.push(&STANDARD.decode(b64).map_err(|_| TtsError::Malformed)?)?;
            }
            "response.done" => {
                let status = event
                    .pointer("/response/status")
                    .and_then(Value::as_str)
                    .unwrap_or("completed");
                if sink.is_empty() || status == "failed" {
                    return Err(TtsError::Upstream(format!(
                        "response {status} without audio"
                    )));
                }
                let _ = ws.close().await;
                return Ok(());
            }
            "error" => return Err(error_event(&event)),
            _ => {}
        }
    }
}

async fn send<S: Sink<Message> + Unpin>(ws: &mut S, value: &Value) -> Result<(), TtsError> {
    ws.send(Message::text(value.to_string()))
        .await
        .map_err(|_| TtsError::Dropped)
}

/// Reads events until one of type `wanted`; an `error` event fails.
async fn wait_for<S, E>(ws: &mut S, deadline: Instant, wanted: &str) -> Result<Value, TtsError>
where
    S: Stream<Item = Result<Message, E>> + Unpin,
{
    loop {
        let event = next_event(ws, deadline, false).await?;
        match event.get("type").and_then(Value::as_str) {
            Some(t) if t == wanted => return Ok(event),
            Some("error") => return Err(error_event(&event)),
            other => debug!(event = other.unwrap_or("?"), "realtime event ignored"),
        }
    }
}

/// The next JSON event, or why there is none. `first_audio` picks the timeout's name.
async fn next_event<S, E>(ws: &mut S, by: Instant, first_audio: bool) -> Result<Value, TtsError>
where
    S: Stream<Item = Result<Message, E>> + Unpin,
{
    loop {
        let msg = match tokio::time::timeout_at(by, ws.next()).await {
            Err(_) if first_audio => return Err(TtsError::FirstAudioTimeout),
            Err(_) => return Err(TtsError::Timeout),
            Ok(None) | Ok(Some(Err(_))) => return Err(TtsError::Dropped),
            Ok(Some(Ok(m))) => m,
        };
        match msg {
            Message::Text(text) => {
                return serde_json::from_str(&text).map_err(|_| TtsError::Malformed);
            }
            Message::Close(_) => return Err(TtsError::Dropped),
            _ => {} // pings are answered by tungstenite; binary frames are not ours
        }
    }
}

fn error_event(event: &Value) -> TtsError {
    let code = event
        .pointer("/error/code")
        .or_else(|| event.pointer("/error/type"))
        .and_then(Value::as_str)
        .unwrap_or("error");
    TtsError::Upstream(code.chars().take(64).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use tokio::sync::mpsc;

    /// A socket made of two channels: what the code sends, and what the "server" says.
    struct Duplex {
        out: mpsc::UnboundedSender<Message>,
        inc: mpsc::UnboundedReceiver<Result<Message, ()>>,
    }

    impl Sink<Message> for Duplex {
        type Error = ();
        fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), ()>> {
            Poll::Ready(Ok(()))
        }
        fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), ()> {
            self.out.send(item).map_err(|_| ())
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), ()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), ()>> {
            Poll::Ready(Ok(()))
        }
    }

    impl Stream for Duplex {
        type Item = Result<Message, ()>;
        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            self.inc.poll_recv(cx)
        }
    }

    fn utterance() -> Utterance<'static> {
        Utterance {
            voice: "eve",
            language: "en",
            sample_rate: 24_000,
            max_bytes: 1 << 20,
            first_audio_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
        }
    }

    fn server(events: &[Value]) -> (Duplex, mpsc::UnboundedReceiver<Message>) {
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let (in_tx, in_rx) = mpsc::unbounded_channel();
        for e in events {
            in_tx.send(Ok(Message::text(e.to_string()))).unwrap();
        }
        // Keep the sender alive only as long as the events need: dropping it ends the stream.
        drop(in_tx);
        (
            Duplex {
                out: out_tx,
                inc: in_rx,
            },
            out_rx,
        )
    }

    /// Runs [`speak`] for `text`, collecting what reaches the sink.
    async fn speak_text(
        ws: &mut Duplex,
        utt: &Utterance<'_>,
        text: &str,
    ) -> Result<Vec<u8>, TtsError> {
        let mut pcm = Vec::new();
        let mut collect = |b: &[u8]| pcm.extend_from_slice(b);
        let mut sink = PcmSink::new(utt.max_bytes, &mut collect);
        speak(ws, utt, &mut TextFeed::whole(text), &mut sink).await?;
        Ok(pcm)
    }

    fn sent_json(rx: &mut mpsc::UnboundedReceiver<Message>) -> Vec<Value> {
        let mut out = Vec::new();
        while let Ok(Message::Text(t)) = rx.try_recv() {
            out.push(serde_json::from_str(&t).unwrap());
        }
        out
    }

    #[tokio::test]
    async fn a_force_message_session_collects_the_audio() {
        let audio = STANDARD.encode([1u8, 0, 2, 0]);
        let (mut ws, mut sent) = server(&[
            json!({"type": "session.created", "session": {}}),
            json!({"type": "conversation.created"}),
            json!({"type": "session.updated", "session": {}}),
            json!({"type": "response.created"}),
            json!({"type": "response.output_audio.delta", "delta": audio}),
            json!({"type": "response.output_audio_transcript.delta", "delta": "Hi"}),
            json!({"type": "response.output_audio.delta", "delta": audio}),
            json!({"type": "response.done", "response": {"status": "completed"}}),
        ]);
        let pcm = speak_text(&mut ws, &utterance(), "Hello there.")
            .await
            .unwrap();
        assert_eq!(pcm, [1, 0, 2, 0, 1, 0, 2, 0]);
        let sent = sent_json(&mut sent);
        assert_eq!(sent[0]["type"], "session.update");
        assert_eq!(sent[0]["session"]["voice"], "eve");
        assert!(sent[0]["session"]["turn_detection"]["type"].is_null());
        assert_eq!(
            sent[0]["session"]["audio"]["output"]["format"]["rate"],
            24_000
        );
        assert_eq!(sent[1]["item"]["type"], "force_message");
        assert_eq!(sent[1]["item"]["content"][0]["text"], "Hello there.");
        assert!(
            !sent.iter().any(|e| e["type"] == "response.create"),
            "force_message is the whole turn"
        );
    }

    #[tokio::test]
    async fn an_error_event_fails_the_utterance_with_its_code() {
        let (mut ws, _sent) = server(&[
            json!({"type": "session.created"}),
            json!({"type": "error", "error": {"type": "invalid_request_error", "code": "invalid_voice"}}),
        ]);
        assert_eq!(
            speak_text(&mut ws, &utterance(), "x").await,
            Err(TtsError::Upstream("invalid_voice".into()))
        );
    }

    #[tokio::test]
    async fn a_socket_that_closes_mid_audio_is_a_drop_not_a_hang() {
        let (mut ws, _sent) = server(&[
            json!({"type": "session.created"}),
            json!({"type": "session.updated"}),
            json!({"type": "response.output_audio.delta", "delta": STANDARD.encode([0u8; 4])}),
        ]);
        assert_eq!(
            speak_text(&mut ws, &utterance(), "x").await,
            Err(TtsError::Dropped)
        );
    }

    #[tokio::test]
    async fn audio_past_the_cap_is_refused() {
        let (mut ws, _sent) = server(&[
            json!({"type": "session.created"}),
            json!({"type": "session.updated"}),
            json!({"type": "response.output_audio.delta", "delta": STANDARD.encode([0u8; 64])}),
        ]);
        let mut utt = utterance();
        utt.max_bytes = 32;
        assert_eq!(speak_text(&mut ws, &utt, "x").await, Err(TtsError::TooLong));
    }
}
