//! The proxy's configuration loader: TOML text → `RawConfig` (`toml`, unknown keys refused) →
//! `Config::from_raw`, the validation `Config::load` runs after reading the file.
//!
//! Properties: bad input is an `Err`, never a panic; no key from the environment appears in an
//! error message or in a valid config's `Debug`; what validates holds the invariants the rest
//! of the proxy relies on (bare, normalised origins; a client's voice among its voices; limits
//! of at least one).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use proxy::config::{Config, EnvOverrides, RawConfig, normalize_origin};

const XAI_KEY: &str = "xai-FUZZ-CANARY-91c3e07a";
const OPENAI_KEY: &str = "sk-FUZZ-CANARY-4d2b88e1";
const ANTHROPIC_KEY: &str = "sk-ant-FUZZ-CANARY-0f6a1c55";
const SESSION_SECRET: &str = "FUZZ-CANARY-session-secret-0123456789abcdef";

/// `shown` holds none of the secrets, unless the file itself had them.
fn without_keys(file: &str, shown: &str) {
    for key in [XAI_KEY, OPENAI_KEY, ANTHROPIC_KEY, SESSION_SECRET] {
        assert!(
            file.contains(key) || !shown.contains(key),
            "a secret in {shown:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let raw: RawConfig = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => return without_keys(text, &e.to_string()),
    };
    let env = EnvOverrides {
        api_key: Some(XAI_KEY.into()),
        openai_api_key: Some(OPENAI_KEY.into()),
        anthropic_api_key: Some(ANTHROPIC_KEY.into()),
        session_secret: Some(SESSION_SECRET.into()),
        ..EnvOverrides::default()
    };
    // Relative paths in the file resolve against a directory that does not exist.
    let config = match Config::from_raw(raw, &env, Path::new("/nonexistent-fuzz-config-dir")) {
        Ok(config) => config,
        Err(e) => return without_keys(text, &e.to_string()),
    };
    without_keys(text, &format!("{config:?}"));
    assert_eq!(config.api_key.expose(), XAI_KEY);
    assert!(config.max_body_bytes >= 1 && config.max_concurrent_streams >= 1);
    for client in &config.clients {
        assert!(!client.id.is_empty(), "{client:?}");
        // Clients without server speech (OpenAI, Anthropic) have no voice and no voice list.
        assert!(
            client.voices.contains(&client.voice)
                || (client.voice.is_empty() && client.voices.is_empty()),
            "{client:?}"
        );
        for origin in &client.allowed_origins {
            assert_eq!(normalize_origin(origin).as_ref(), Ok(origin), "{client:?}");
            assert!(client.allows_origin(origin));
        }
        assert!(!client.allows_origin("null"));
        assert!(
            client.max_message_chars >= 1 && client.max_tts_chars >= 1,
            "{client:?}"
        );
        assert!(
            client.max_audio_bytes >= 1 && client.max_audio_secs >= 1,
            "{client:?}"
        );
        assert!(
            client.rate_per_ip >= 1 && client.rate_per_session >= 1,
            "{client:?}"
        );
        assert!(client.rate_per_client >= 1, "{client:?}");
        assert!(
            client.max_output_tokens.is_none_or(|t| t >= 1),
            "{client:?}"
        );
        assert!(client.max_input_tokens.is_none_or(|t| t >= 1), "{client:?}");
    }
});
