//! Signed, short-lived widget session tokens: HMAC-SHA256 over the client id, the page origin,
//! the expiry and a random session id. A token only works for the site and page origin it was
//! issued to, and conversations are bound to the session that started them.

use axum::http::HeaderMap;
use axum::http::header::HOST;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::SessionSecret;

/// How long a token lasts; the widget fetches a new one when told `session_invalid`.
pub const TOKEN_TTL_SECS: u64 = 2 * 3600;

type HmacSha256 = Hmac<Sha256>;

fn mac(
    secret: &SessionSecret,
    client: &str,
    origin: &str,
    expiry: u64,
    sid: &str,
) -> Option<HmacSha256> {
    let mut m = HmacSha256::new_from_slice(secret.expose()).ok()?;
    // Length-prefixed fields: no two different inputs give the same bytes.
    for part in ["v1", client, origin, &expiry.to_string(), sid] {
        m.update(&(part.len() as u32).to_be_bytes());
        m.update(part.as_bytes());
    }
    Some(m)
}

/// A new token for `client` on `origin`, valid until `now + TOKEN_TTL_SECS`.
pub fn issue(secret: &SessionSecret, client: &str, origin: &str, now: u64) -> String {
    use rand::RngCore;
    let mut raw = [0u8; 16];
    rand::rng().fill_bytes(&mut raw);
    renew(secret, client, origin, now, &hex::encode(raw))
}

/// A fresh token for the existing session `sid` (a reload keeps its conversation), valid until
/// `now + TOKEN_TTL_SECS`. Only call it with a `sid` taken from a token that verified.
pub fn renew(secret: &SessionSecret, client: &str, origin: &str, now: u64, sid: &str) -> String {
    let expiry = now + TOKEN_TTL_SECS;
    let tag = mac(secret, client, origin, expiry, sid)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default();
    format!("v1.{sid}.{expiry}.{tag}")
}

/// The session id inside a valid, unexpired token for this client and origin.
pub fn verify(
    secret: &SessionSecret,
    token: &str,
    client: &str,
    origin: &str,
    now: u64,
) -> Option<String> {
    let mut parts = token.split('.');
    let (Some("v1"), Some(sid), Some(expiry), Some(tag), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let expiry: u64 = expiry.parse().ok()?;
    if expiry <= now || sid.len() != 32 || !sid.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let tag = hex::decode(tag).ok()?;
    // verify_slice compares in constant time.
    mac(secret, client, origin, expiry, sid)?
        .verify_slice(&tag)
        .ok()?;
    Some(sid.to_owned())
}

/// What a token is bound to when the widget's page is on the proxy's own origin: browsers send
/// no `Origin` on a same-origin GET, so the token names the `Host` it was fetched from.
pub fn host_binding(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(HOST)?.to_str().ok()?;
    Some(format!("same-origin {}", host.to_ascii_lowercase()))
}

/// The [`host_binding`] a request from `origin` may use: only when `origin` is the very host
/// the request was sent to.
pub fn same_origin_binding(origin: &str, headers: &HeaderMap) -> Option<String> {
    let (_, authority) = origin.split_once("://")?;
    let binding = host_binding(headers)?;
    (binding["same-origin ".len()..] == authority.to_ascii_lowercase()).then_some(binding)
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, EnvOverrides, RawConfig};

    fn secret() -> SessionSecret {
        let env = EnvOverrides {
            api_key: Some("k".into()),
            session_secret: Some("0123456789abcdef0123456789abcdef".into()),
            ..Default::default()
        };
        let raw: RawConfig = toml::from_str(
            "[[clients]]\nid='a'\nallowed_origins=[]\nmodel='grok-4.3'\ninstructions='x'\nvoice='eve'",
        )
        .unwrap();
        Config::from_raw(raw, &env, std::path::Path::new("."))
            .unwrap()
            .session_secret
    }

    #[test]
    fn a_token_verifies_only_for_its_client_origin_and_lifetime() {
        let s = secret();
        let t = issue(&s, "shop", "https://shop.example", 1000);
        let sid = verify(&s, &t, "shop", "https://shop.example", 1001).unwrap();
        assert_eq!(sid.len(), 32);
        assert!(verify(&s, &t, "other", "https://shop.example", 1001).is_none());
        assert!(verify(&s, &t, "shop", "https://evil.example", 1001).is_none());
        assert!(
            verify(
                &s,
                &t,
                "shop",
                "https://shop.example",
                1000 + TOKEN_TTL_SECS
            )
            .is_none()
        );
    }

    #[test]
    fn a_tampered_token_fails() {
        let s = secret();
        let t = issue(&s, "shop", "https://shop.example", 1000);
        let mut forged: Vec<&str> = t.split('.').collect();
        let later = (1000 + TOKEN_TTL_SECS * 10).to_string();
        forged[2] = &later;
        assert!(verify(&s, &forged.join("."), "shop", "https://shop.example", 1001).is_none());
        assert!(verify(&s, "garbage", "shop", "https://shop.example", 1001).is_none());
    }
}
