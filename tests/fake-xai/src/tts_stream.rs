//! The streaming TTS WebSocket (spec §6): `text.delta`s in, `audio.delta`s out, `text.done`
//! flushes and `audio.done` ends the utterance.
//!
//! When audio starts is UNCONFIRMED: x.ai streams text in, so it may speak as text arrives, or
//! it may wait for `text.done`. The fake does either ([`FakeConfig::tts_stream_incremental`]):
//! incrementally (the default), it says each complete word once it has it, the first audio
//! `tts_first_audio_ms` after the first text; otherwise it says everything on `text.done`, the
//! first audio `tts_first_audio_ms` after it. Either way the audio comes in 100 ms chunks, one
//! every `tts_per_chunk_ms`, and the whole is the same as for the text in one piece.
//!
//! [`FakeConfig::tts_stream_incremental`]: crate::FakeConfig::tts_stream_incremental

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::audio::{self, Speaker};
use crate::errors::ApiError;
use crate::server::{record_ws, record_ws_message, subprotocol_secret};
use crate::state::{FaultKind, Shared};
use crate::tts::{check_rate, check_voice};

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
    Ok(upgrade.on_upgrade(move |socket| session(shared, ws_id, path, rate, socket)))
}

/// The client left, or a fault cut the connection.
struct End;

type Sink = SplitSink<WebSocket, Message>;

async fn session(shared: Arc<Shared>, ws_id: u64, path: String, rate: u32, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    // Text is read while audio is sent: a reader task hands the client's events over.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let reader_shared = Arc::clone(&shared);
    let reader = tokio::spawn(async move {
        while let Some(Ok(message)) = stream.next().await {
            let raw = match message {
                Message::Text(raw) => raw,
                Message::Close(_) => break,
                _ => continue,
            };
            let event = serde_json::from_str::<Value>(raw.as_str())
                .unwrap_or_else(|_| Value::String(raw.to_string()));
            record_ws_message(&reader_shared, ws_id, event.clone());
            if tx.send(event).is_err() {
                break;
            }
        }
    });
    // Returning drops the socket; after a fault that is the abrupt close asked for.
    let _ = speak(&shared, &path, rate, &mut sink, &mut rx).await;
    reader.abort();
}

async fn send(sink: &mut Sink, event: Value) -> Result<(), End> {
    sink.send(Message::text(event.to_string()))
        .await
        .map_err(|_| End)
}

/// One utterance: the text so far, what of it was said, the audio waiting to be sent.
struct Utterance {
    text: String,
    /// Bytes of `text` already synthesised.
    said: usize,
    done: bool,
    floor_added: bool,
    speaker: Speaker,
    /// Samples not yet making a whole chunk.
    samples: Vec<i16>,
    chunks: VecDeque<Vec<i16>>,
    sent: usize,
    /// When the next chunk may go: the first after the first-audio delay, then paced.
    next_at: Option<Instant>,
    first_wait: u64,
    drop_after: Option<usize>,
}

impl Utterance {
    fn new(shared: &Shared, path: &str, rate: u32) -> Self {
        let config = shared.config();
        let fault = shared.take_fault(path, |k| {
            matches!(
                k,
                FaultKind::WsDropMidAudio { .. } | FaultKind::SlowFirstAudio { .. }
            )
        });
        let mut first_wait = config.delays.tts_first_audio_ms;
        let mut drop_after = None;
        match fault {
            Some(FaultKind::SlowFirstAudio { ms }) => first_wait += ms,
            Some(FaultKind::WsDropMidAudio { after_deltas }) => {
                drop_after = Some(after_deltas as usize);
            }
            _ => {}
        }
        Self {
            text: String::new(),
            said: 0,
            done: false,
            floor_added: false,
            speaker: Speaker::new(config.speech, rate),
            samples: Vec::new(),
            chunks: VecDeque::new(),
            sent: 0,
            next_at: None,
            first_wait,
            drop_after,
        }
    }

    /// Synthesises what can be said now: complete words as they come (incremental), or all of
    /// it once the text is done.
    async fn synthesise(&mut self, incremental: bool, rate: u32) {
        let end = if self.done {
            self.text.len()
        } else if incremental {
            self.text
                .rfind(char::is_whitespace)
                .map_or(self.said, |i| i + 1)
                .max(self.said)
        } else {
            self.said
        };
        if end > self.said {
            let part = self.text[self.said..end].to_owned();
            self.said = end;
            let samples = self.speaker.say(&part).await;
            self.samples.extend(samples);
        }
        if self.done && !self.floor_added {
            self.floor_added = true;
            let rest = self.speaker.finish();
            self.samples.extend(rest);
        }
        let len = audio::chunk_len(rate);
        while self.samples.len() >= len {
            self.chunks.push_back(self.samples.drain(..len).collect());
        }
        if self.done && !self.samples.is_empty() {
            self.chunks.push_back(std::mem::take(&mut self.samples));
        }
    }

    fn finished(&self) -> bool {
        self.done && self.floor_added && self.chunks.is_empty() && self.samples.is_empty()
    }
}

/// Speaks each utterance of the session as its text arrives.
async fn speak(
    shared: &Shared,
    path: &str,
    rate: u32,
    sink: &mut Sink,
    events: &mut mpsc::UnboundedReceiver<Value>,
) -> Result<(), End> {
    let mut stop = shared.stopping();
    let mut utt: Option<Utterance> = None;
    loop {
        let incremental = shared.config().tts_stream_incremental;
        let per_chunk = shared.config().delays.tts_per_chunk_ms;
        if let Some(u) = utt.as_mut() {
            u.synthesise(incremental, rate).await;
            if u.finished() {
                if u.drop_after.is_some_and(|n| n >= u.sent) {
                    return Err(End);
                }
                send(sink, json!({"type": "audio.done"})).await?;
                utt = None;
                continue;
            }
        }
        let due = utt
            .as_ref()
            .filter(|u| !u.chunks.is_empty())
            .and_then(|u| u.next_at);
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { return Ok(()) };
                let kind = event.get("type").and_then(Value::as_str);
                match kind {
                    Some("text.delta" | "text.done") => {
                        let u = utt.get_or_insert_with(|| Utterance::new(shared, path, rate));
                        let delta = event.get("delta").and_then(Value::as_str).unwrap_or("");
                        u.text.push_str(delta);
                        let done = kind == Some("text.done");
                        u.done |= done;
                        // The first-audio delay runs from the first text, or from the flush.
                        if u.next_at.is_none() && (done || (incremental && !u.text.is_empty())) {
                            u.next_at = Some(Instant::now() + Duration::from_millis(u.first_wait));
                        }
                    }
                    other => {
                        let message = format!("Unknown message type {}.", other.unwrap_or("(none)"));
                        send(sink, json!({"type": "error", "message": message})).await?;
                    }
                }
            }
            () = sleep_until(due), if due.is_some() => {
                let Some(u) = utt.as_mut() else { continue };
                if u.drop_after == Some(u.sent) {
                    return Err(End);
                }
                let Some(chunk) = u.chunks.pop_front() else { continue };
                let delta = BASE64.encode(audio::pcm_bytes(&chunk));
                send(sink, json!({"type": "audio.delta", "delta": delta})).await?;
                u.sent += 1;
                u.next_at = Some(Instant::now() + Duration::from_millis(per_chunk));
            }
            // Mapped to (): the watch guard must not live across the other arms' awaits.
            () = async { let _ = stop.wait_for(|s| *s).await; } => return Ok(()),
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at).await;
    }
}
