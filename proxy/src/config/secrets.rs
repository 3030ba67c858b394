//! Secrets: the API keys and the session-signing key, in types with no `Debug` or `Display`
//! so they cannot reach a log line or an error message by accident.

use super::ConfigError;

/// The x.ai API key. Deliberately neither `Debug` nor `Display`.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself, for the one place that builds the `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The key that signs session tokens. Deliberately neither `Debug` nor `Display`.
#[derive(Clone)]
pub struct SessionSecret(Vec<u8>);

impl SessionSecret {
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

pub(super) fn session_secret(from_env: Option<&str>) -> Result<SessionSecret, ConfigError> {
    match from_env {
        Some(s) if s.len() >= 32 => Ok(SessionSecret(s.as_bytes().to_vec())),
        Some(_) => Err(ConfigError::Invalid(
            "PROXY_SESSION_SECRET must be at least 32 characters".into(),
        )),
        None => {
            use rand::RngCore;
            let mut bytes = vec![0u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            Ok(SessionSecret(bytes))
        }
    }
}
