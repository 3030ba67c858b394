//! The image checks (`proxy::images`): the real type from the magic bytes and the dimensions
//! from a header, on malformed headers; and the real router refusing what they refuse.
//!
//! Input: arbitrary bytes, read as an image file (sniffed directly and inside a base64 data
//! URL) and as the text of a data URL. Properties: no panic; what passes has 1 to `max_side`
//! pixels a side, at most `max_bytes`, its real type, and the same bytes once forwarded; what
//! is refused gets the documented 4xx (415 type, 413 size, 422 anything else) from
//! `POST /api/chat`, never a 5xx, and x.ai is not called.
#![no_main]

#[path = "../common/app.rs"]
mod app;

use std::net::SocketAddr;
use std::sync::OnceLock;

use app::Harness;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use proxy::images::{self, ImageError, ImageKind, ImageLimits};
use tower::ServiceExt;

const KEY: &str = "xai-FUZZ-CANARY-0c4e8a2f6b1d93";
const ORIGIN: &str = "http://localhost:3000";
const LIMITS: ImageLimits = ImageLimits {
    max_bytes: 4 * 1024,
    max_side: 512,
};

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    app::shared(
        &HARNESS,
        KEY,
        "vision",
        "images = true\nmax_image_kb = 4\nmax_image_side = 512\n",
    )
}

/// What the proxy must answer for an image the checks refuse.
fn status_for(e: &ImageError) -> u16 {
    match e {
        ImageError::UnknownType => 415,
        ImageError::TooLarge { .. } | ImageError::TooBig { .. } => 413,
        ImageError::NotDataUrl | ImageError::NotBase64 | ImageError::Malformed => 422,
    }
}

/// Posts one turn with `url` and checks the refusal `e` is answered as documented, upstream
/// untouched.
fn refused_by_the_router(url: &str, e: &ImageError) {
    let h = harness();
    let before = h.fake.count("/v1/responses");
    let body = serde_json::json!({"client_id": "vision", "message": "hi", "images": [url]});
    let mut req = Request::post("/api/chat")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ORIGIN, ORIGIN)
        .body(Body::from(body.to_string()))
        .expect("a request");
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    let resp =
        h.rt.block_on(h.app.clone().oneshot(req))
            .expect("the router answers");
    let status = resp.status().as_u16();
    assert!(status < 500, "a refused image got {status}");
    assert_eq!(status, status_for(e), "{e}");
    assert_eq!(
        h.fake.count("/v1/responses"),
        before,
        "x.ai was called for a refused image"
    );
}

fuzz_target!(|data: &[u8]| {
    // The bytes as a file.
    if let Ok(info) = images::sniff(data) {
        assert!(info.width >= 1 && info.height >= 1, "{info:?}");
        let magic_ok = match info.kind {
            ImageKind::Png => data.starts_with(b"\x89PNG\r\n\x1a\n"),
            ImageKind::Jpeg => data.starts_with(&[0xFF, 0xD8, 0xFF]),
            ImageKind::Gif => data.starts_with(b"GIF8"),
            ImageKind::Webp => data.starts_with(b"RIFF") && data.get(8..12) == Some(b"WEBP"),
        };
        assert!(magic_ok, "{info:?} without its magic bytes");
    }
    let url = format!("data:image/png;base64,{}", STANDARD.encode(data));
    match images::from_data_url(&url, LIMITS) {
        Ok(img) => {
            assert!(img.info.width <= LIMITS.max_side && img.info.height <= LIMITS.max_side);
            assert!(img.bytes <= LIMITS.max_bytes && img.bytes == data.len());
            assert_eq!(
                img.base64(),
                STANDARD.encode(data),
                "forwarded bytes differ"
            );
            assert_eq!(img.mime(), img.info.kind.mime());
        }
        // Refusals of a wrapped file go through the router now and then (it is slower).
        Err(e) => {
            if data.first().is_some_and(|b| b % 8 == 0) {
                refused_by_the_router(&url, &e);
            }
        }
    }
    // The bytes as the text of a data URL.
    let text = String::from_utf8_lossy(data);
    if let Err(e) = images::from_data_url(&text, LIMITS) {
        if text.starts_with("data:") {
            refused_by_the_router(&text, &e);
        }
    }
});
