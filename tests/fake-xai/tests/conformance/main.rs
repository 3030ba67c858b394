//! Conformance suite for the fake x.ai: every endpoint and fault kind, against the spec.

mod helpers;

mod account;
mod binary;
mod chat;
mod control;
mod errors;
mod faults;
mod realtime;
mod responses;
mod tts;
