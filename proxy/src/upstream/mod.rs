//! Clients for x.ai. Base URL and timeouts come from configuration, so tests point them at the
//! fake x.ai; nothing here knows about axum.

pub mod xai;
