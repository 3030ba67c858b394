//! Thin wrappers over browser APIs; the only module that touches `web_sys` callbacks.

pub mod events;
pub mod http;
pub mod log;
