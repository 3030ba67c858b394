//! The widget bundle compiled into the binary (feature `embed-widget`, on for release packages),
//! so `proxy serve` needs nothing else on disk. Without the feature, or when the bundle was not
//! built before the proxy, there is nothing embedded and start-up says so.
//!
//! Files are served as `/widget/<name>`, the brotli or gzip copy `scripts/build-widget` wrote
//! when the browser accepts it, cached for a year (the names carry a content hash).

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[cfg(feature = "embed-widget")]
#[derive(rust_embed::Embed)]
#[folder = "$CARGO_MANIFEST_DIR/../target/widget-dist/"]
#[include = "widget-wasm-*"]
#[allow_missing = true]
struct Widget;

/// The names of the embedded files.
pub fn names() -> Box<dyn Iterator<Item = String>> {
    #[cfg(feature = "embed-widget")]
    return Box::new(Widget::iter().map(|n| n.into_owned()));
    #[cfg(not(feature = "embed-widget"))]
    Box::new(std::iter::empty())
}

fn get(name: &str) -> Option<std::borrow::Cow<'static, [u8]>> {
    #[cfg(feature = "embed-widget")]
    return Widget::get(name).map(|f| f.data);
    #[cfg(not(feature = "embed-widget"))]
    {
        let _ = name;
        None
    }
}

/// `GET /widget/{file}` from the embedded bundle.
pub async fn file(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let content_type = if name.ends_with(".wasm") {
        "application/wasm"
    } else if name.ends_with(".js") {
        "text/javascript; charset=utf-8"
    } else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let accepts = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let accepted = |coding: &str| {
        accepts.split(',').any(|part| {
            let mut it = part.split(';');
            let name = it.next().unwrap_or("").trim();
            let refused = it.any(|p| p.trim().replace(' ', "") == "q=0");
            name == coding && !refused
        })
    };
    let (body, encoding) = [("br", ".br"), ("gzip", ".gz")]
        .iter()
        .filter(|(coding, _)| accepted(coding))
        .find_map(|(coding, ext)| get(&format!("{name}{ext}")).map(|b| (b, Some(*coding))))
        .or_else(|| get(&name).map(|b| (b, None)))
        .unzip();
    let Some(body) = body else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::VARY, "accept-encoding"),
        ],
        body.into_owned(),
    )
        .into_response();
    if let Some(Some(coding)) = encoding {
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    response
}
