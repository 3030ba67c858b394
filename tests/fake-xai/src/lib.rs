//! A fake `api.x.ai`, written from `docs/upstreams.md`, for tests and demo mode: deterministic
//! "model" replies, tone (or espeak-ng) audio, stored conversations, and injectable faults.
//! It imports nothing from the proxy.
//!
//! The scaffolding it shares with `tests/fake-providers` (binding, the gate and fault queue, the
//! SSE writer, `/_control`, the toy model and tokenizer, `main`) is in `tests/fake-kit`.
//!
//! Layout:
//! - `server`: the router, what the kit's gate asks of this fake (records, status faults, auth,
//!   key state, ACLs) and the [`FakeXai`] handle
//! - `state`: public knobs ([`FakeConfig`], [`Fault`], records) and the shared state
//! - `errors`: x.ai error bodies and JSON body parsing (415 / 422 plain text)
//! - `models`: model catalogue, prices; `reply`: the kit's "model" as Grok, reasoning summaries
//! - `responses`, `chat`, `account`: the REST text endpoints; `sse`: x.ai's stream framing
//! - `realtime`: client secrets and the voice-agent WebSocket; `tts`: REST TTS (the body streamed
//!   in 100 ms chunks) and voices; `tts_stream`: the streaming TTS socket
//! - `audio`: tone, espeak-ng, WAV, resampling; `control`: this fake's own `/_control` routes
//!
//! Where the spec leaves a choice open (UNCONFIRMED items), the fake takes the strict or the
//! documented-example reading:
//! - `instructions` with `previous_response_id` is rejected (400 `invalid-argument`).
//! - A missing bearer gets 401 `unauthenticated` "Missing bearer authentication in header"; a
//!   wrong key 400. An unknown or expired ephemeral secret gets 401. Secrets open only the
//!   WebSockets (`/v1/realtime`, streaming `/v1/tts`); the subprotocol form accepts secrets only.
//! - A `/v1/responses` request without `model` uses `grok-4-1-fast-non-reasoning`.
//! - `event:` lines and `data: [DONE]` in `/v1/responses` streams are switchable (both on by
//!   default); chat streams are data-only and always end with `[DONE]`. A mid-stream `error`
//!   event ends the stream without `[DONE]`.
//! - Chat completion ids carry the `_us-east-1` suffix when not streamed; chunk ids do not.
//!   Chat `usage.total_tokens` counts reasoning tokens too, as recorded.
//! - Deliberate deviation: `/v1/tts` and the streaming TTS socket produce only `wav`/`pcm`
//!   (streaming: `pcm`); `mp3` (x.ai's default codec) and the G.711 codecs are refused with 400
//!   `invalid-argument`. Realtime output likewise accepts only `audio/pcm`.
//! - Realtime: a fresh session uses voice `eve`, server VAD and 24 kHz PCM; unknown voices (ids
//!   are lowercase) and non-PCM output formats get an `error` event (`invalid_voice`,
//!   `invalid_audio_format`) and leave the session unchanged. Audio always travels as base64
//!   JSON (`transport: "binary"` is ignored), and there is no voice activity detection: the
//!   fake speaks on `force_message` and `response.create` only. Streaming TTS speaks complete
//!   words as their text arrives (switchable to: once per `text.done`).
//! - `/v1/tts` accepts `optimize_streaming_latency` 0–4 and `text_normalization`, and always
//!   streams its audio body in 100 ms chunks (a WAV header first, with its sizes filled in).
//! - Faults are consumed by the first request that they can apply to: `Status`/`SlowFirstByte`
//!   at the gate (before auth, so also before a WebSocket upgrade), stream faults by the next
//!   stream, WebSocket faults by the next spoken response on that path.

mod account;
mod audio;
mod chat;
mod control;
mod errors;
mod models;
mod realtime;
mod reply;
mod responses;
mod server;
mod sse;
mod state;
mod tts;
mod tts_stream;

pub use audio::tone_samples;
pub use server::FakeXai;
pub use state::{
    ApiKeyState, Delays, FakeConfig, Fault, FaultKind, RecordedRequest, RecordedWs, SpeechMode,
    StreamOutcomes,
};
