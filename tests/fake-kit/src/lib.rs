//! The scaffolding every in-repo fake server shares: binding, the request gate and fault queue,
//! the SSE writer with stream faults, the `/_control` channel, the toy model and tokenizer, and
//! the binary's `main`. The fakes (`tests/fake-xai`, `tests/fake-providers`) keep only their
//! wire formats; this crate knows nothing of any provider.
//!
//! Layout:
//! - `shared`: the [`Fake`] trait a fake's shared state implements, and [`Core`]: its state
//!   behind one lock, with the fault queue, the request records, stream outcomes and the stop
//!   switch
//! - `fault`: [`Fault`], the HTTP [`FaultKind`]s every fake shows, and [`fault_kinds!`] for a
//!   fake with more kinds
//! - `server`: [`Server`], the running fake (bound on port 0 or a given address), and the gate
//!   every API request passes (record, status faults, auth)
//! - `control`: the `/_control` routes every fake has (faults, delays, records, reset)
//! - `sse`: the stream writer and its faults (stall, drop, mid-stream error, malformed JSON);
//!   `json`: a JSON answer that a `MalformedJson` fault can break
//! - `reply`: the deterministic "model"; `tokenizer`: the toy tokenizer and stream chunks;
//!   `vision`: what the model "sees" in an image (size, format, mean colour)
//! - `cli`: a fake binary's `main`: logs, the `listening on` line, serve until a signal
//! - `client` (feature `client`): [`client::Fetch`], for the tests that call a fake or the proxy

mod control;
mod fault;
mod json;
mod server;
mod shared;

pub mod cli;
#[cfg(feature = "client")]
pub mod client;
pub mod reply;
pub mod sse;
pub mod tokenizer;
pub mod vision;

pub use fault::{AsHttpFault, Fault, FaultKind};
pub use json::json_reply;
pub use server::{LOCALHOST_ANY_PORT, Server, header_pairs};
pub use shared::{Core, Fake, Recorded, Records, StatusFault, StreamOutcomes, now_unix};
