//! Fake OpenAI (Responses API) and Anthropic (Messages API) servers on one port, for tests and
//! demo mode: deterministic "model" replies, stored conversations (OpenAI), injectable faults
//! and request recording. It imports nothing from the proxy; the scaffolding it shares with
//! `tests/fake-xai` (binding, the gate and fault queue, the SSE writer, `/_control`, the toy
//! model, `main`) is in `tests/fake-kit`.
//!
//! Layout:
//! - `server`: the router, authentication and the [`FakeProviders`] handle
//! - `state`: public knobs ([`FakeConfig`], [`Fault`], records) and what the kit needs to know
//!   (what to record, how to refuse)
//! - `errors`: each provider's error bodies; `reply`: token counts and `max_tokens` cuts
//! - `openai`: `POST /openai/v1/responses`; `anthropic`: `POST /anthropic/v1/messages`
//! - `sse`: each provider's stream framing and error event
//!
//! Base URLs: `http://ADDR/openai/v1` (what `OPENAI_BASE_URL` points at) and
//! `http://ADDR/anthropic/v1` (`ANTHROPIC_BASE_URL`). Fault paths are the full request paths,
//! `/openai/v1/responses` and `/anthropic/v1/messages`.
//!
//! Written from the providers' public documentation as remembered (no recorded traffic); the
//! choices and assumptions:
//! - OpenAI: `Authorization: Bearer <key>`; a missing or wrong key gets 401
//!   `{"error":{"message","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`.
//!   Every error body is `{"error":{message,type,param,code}}`. Ids are `resp_<hex>` and
//!   `msg_<hex>`. Streams carry `event:` lines, a `sequence_number` per event, and no
//!   `data: [DONE]`. `instructions` are not carried over by `previous_response_id` (as OpenAI
//!   documents), so the fake uses the instructions of the current request only; an unknown
//!   `previous_response_id` is 400 `previous_response_not_found` (OpenAI's status for it is
//!   assumed). A mid-stream failure is an `error` event `{type,code,message,param,sequence_number}`.
//! - Anthropic: `x-api-key` and `anthropic-version` are required; a missing or wrong key gets
//!   401 `{"type":"error","error":{"type":"authentication_error","message"}}`, a missing
//!   version 400 `invalid_request_error`. `model`, `max_tokens` and `messages` are required;
//!   messages must start with `user` and alternate. `system` is a string (or text blocks).
//!   Streams: `message_start`, `content_block_start`, `ping`, `content_block_delta`
//!   (`text_delta`)…, `content_block_stop`, `message_delta` (`stop_reason`, `usage.output_tokens`),
//!   `message_stop`, each with an `event:` line; a mid-stream failure is an `error` event
//!   `{"type":"error","error":{"type":"overloaded_error","message"}}`. 529 is "overloaded".
//!   Anthropic stores nothing between requests: the caller sends the whole conversation.
//! - Tokens are counted with a toy tokenizer (words and punctuation); `max_output_tokens` /
//!   `max_tokens` cut the reply to that many tokens and mark it incomplete / `max_tokens`.
//! - Faults are consumed by the first request they can apply to: `Status`/`SlowFirstByte` at
//!   the gate (before auth), stream faults by the next stream, `MalformedJson` by the next JSON
//!   answer or stream on that path.

mod anthropic;
mod errors;
mod openai;
mod reply;
mod server;
mod sse;
mod state;

pub use server::FakeProviders;
pub use state::{Delays, FakeConfig, Fault, FaultKind, RecordedRequest, StreamOutcomes};

/// The path of OpenAI's Responses endpoint on the fake.
pub const OPENAI_RESPONSES: &str = "/openai/v1/responses";
/// The path of Anthropic's Messages endpoint on the fake.
pub const ANTHROPIC_MESSAGES: &str = "/anthropic/v1/messages";
