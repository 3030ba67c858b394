//! A JSON answer that a queued `MalformedJson` fault for its path turns into broken JSON.

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::Value;

use crate::fault::FaultKind;
use crate::shared::{Core, Fake};

/// A 200 JSON answer, unless a `MalformedJson` fault is queued for `path`: then the document
/// is cut in half.
pub fn json_reply<F: Fake>(core: &Core<F>, path: &str, value: &Value) -> Response {
    let mut text = value.to_string();
    if core
        .take_http_fault(path, |k| matches!(k, FaultKind::MalformedJson))
        .is_some()
    {
        // Cut mid-document so no JSON parser accepts it.
        let mut cut = text.len() / 2;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("\"{");
    }
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(text))
        .unwrap_or_default()
}
