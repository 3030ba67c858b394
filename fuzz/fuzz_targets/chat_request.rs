//! The chat request body as the proxy takes it: `serde_json` into `protocol::ChatRequest`, and
//! the real router (`proxy::routes::router`, in process) answering `POST /api/chat` with it,
//! its upstream the in-repo fake x.ai.
//!
//! Properties: the parse never panics and what parses serialises back to the same request; the
//! proxy never answers 5xx; a body that is not a valid request gets exactly the 4xx the API
//! documents (docs/protocol.md) with a JSON error body, and x.ai is not called; only a valid
//! request reaches x.ai; the key never appears in a response.
#![no_main]

#[path = "../common/app.rs"]
mod app;

use std::net::SocketAddr;
use std::sync::OnceLock;

use app::Harness;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use libfuzzer_sys::fuzz_target;
use protocol::{ChatRequest, ChatResponse, ErrorBody, codes};
use tower::ServiceExt;

const KEY: &str = "xai-FUZZ-CANARY-5b0d2c71e9a3f4";
const ORIGIN: &str = "http://localhost:3000";
const MAX_MESSAGE_CHARS: usize = 200;
const VOICES: [&str; 2] = ["eve", "leo"];
/// As `routes/chat.rs` has it.
const MAX_RESPONSE_ID_LEN: usize = 128;
/// The proxy with one client whose limits valid requests never reach, so they get to the fake
/// x.ai; no server speech, which is not what this target is about.
fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    app::shared(
        &HARNESS,
        KEY,
        "demo",
        "voice = \"eve\"\nvoices = [\"eve\", \"leo\"]\nmax_message_chars = 200\n",
    )
}

/// The documented checks, in the order the proxy makes them: the error code a parsed request
/// must get, or `None` when it is valid.
fn expected_error(req: &ChatRequest, body: &[u8]) -> Option<&'static str> {
    // serde would read `["demo","hi"]` into the struct; the proxy takes objects only.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Some(codes::INVALID_REQUEST);
    }
    let message = req.message.trim();
    let unknown_voice = |v: &str| !VOICES.iter().any(|known| known.eq_ignore_ascii_case(v));
    let malformed_id = |id: &str| {
        id.is_empty()
            || id.len() > MAX_RESPONSE_ID_LEN
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if req.client_id != "demo" {
        Some(codes::UNKNOWN_CLIENT)
    } else if !req.images.is_empty() {
        // This client takes no images (the `images` target fuzzes one that does).
        Some(codes::INVALID_REQUEST)
    } else if message.chars().count() > MAX_MESSAGE_CHARS {
        Some(codes::PAYLOAD_TOO_LARGE)
    } else if message.is_empty()
        || req.voice.as_deref().is_some_and(unknown_voice)
        || req
            .previous_response_id
            .as_deref()
            .is_some_and(malformed_id)
    {
        Some(codes::INVALID_REQUEST)
    } else {
        None
    }
}

fuzz_target!(|data: &[u8]| {
    let parsed = serde_json::from_slice::<ChatRequest>(data);
    if let Ok(req) = &parsed {
        let again = serde_json::to_vec(req).expect("a request serialises");
        assert_eq!(
            serde_json::from_slice::<ChatRequest>(&again).ok().as_ref(),
            Some(req)
        );
    }

    let h = harness();
    // The fake records every request; keep its memory (and `count`) small.
    if h.fake.count("/v1/responses") > 500 {
        h.fake.reset();
    }
    let upstream_before = h.fake.count("/v1/responses");
    let mut request = Request::post("/api/chat")
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(data.to_vec()))
        .expect("a request");
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([203, 0, 113, 7], 40_000))));
    let (status, body) = h.rt.block_on(async {
        let response = h.app.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("the body is read");
        (status, body)
    });
    let upstream_calls = h.fake.count("/v1/responses") - upstream_before;
    let input = String::from_utf8_lossy(data);

    assert!(!status.is_server_error(), "{status} for {input:?}");
    assert!(
        !String::from_utf8_lossy(&body).contains(KEY),
        "the key in a response"
    );
    let error = serde_json::from_slice::<ErrorBody>(&body).ok();
    if status != StatusCode::OK {
        assert!(
            error.is_some(),
            "{status} without an error body for {input:?}"
        );
    }
    let code = error.as_ref().map(|e| e.error.code.as_str());

    match &parsed {
        Err(_) => {
            assert!(
                matches!(
                    code,
                    Some(codes::BAD_REQUEST | codes::INVALID_REQUEST | codes::PAYLOAD_TOO_LARGE)
                ),
                "{status} {code:?} for a body that is not a request: {input:?}"
            );
            assert_eq!(upstream_calls, 0, "x.ai called for {input:?}");
        }
        Ok(req) => match expected_error(req, data) {
            Some(want) => {
                assert_eq!(code, Some(want), "{status} for {req:?}");
                assert_eq!(upstream_calls, 0, "x.ai called for {req:?}");
            }
            None if status == StatusCode::OK => {
                serde_json::from_slice::<ChatResponse>(&body).expect("a chat response");
                assert!(upstream_calls >= 1, "a reply without x.ai for {req:?}");
            }
            // The proxy (or x.ai) does not know that conversation.
            None => assert_eq!(
                code,
                Some(codes::CONVERSATION_NOT_FOUND),
                "{status} for {req:?}"
            ),
        },
    }
});
