//! Thin wrappers over browser APIs; the only module that touches `web_sys` callbacks. Each
//! detects its feature first, keeps its closures alive while registered and unregisters them
//! when dropped.

pub mod audio_player;
pub mod clipboard;
pub mod events;
pub mod http;
pub mod image;
pub mod js;
pub mod listener;
pub mod log;
pub mod page;
pub mod speech_recognition;
pub mod speech_synthesis;
pub mod viewport;
pub mod web_audio;
