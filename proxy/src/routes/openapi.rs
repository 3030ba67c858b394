//! `GET /openapi.json`: the OpenAPI 3.1 document of the public API, generated from the
//! `protocol` types, the handlers' `#[utoipa::path]` annotations and [`AppError`], so the
//! published contract cannot drift from what the proxy does. Built once per process.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use protocol::{ErrorBody, StreamEvent};
use utoipa::OpenApi;

use super::contract::SseEvent;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Chat widget proxy",
        description = "What the embeddable chat widget (and anything else a site owner allows) \
            exchanges with the proxy. Errors always have the body `ErrorBody` with the HTTP \
            status; `Retry-After` comes with 429 and 503 when the wait is known. Browsers send \
            `Origin` themselves; it must be one of the client's `allowed_origins` (or absent, \
            for a client with `allow_server_to_server = true`). Sites with \
            `session_tokens = true` (the default) also need `X-Widget-Session`: the \
            `session_token` of `GET /api/clients/{client_id}`, fetched from the same origin.",
        license(name = "MIT"),
    ),
    paths(
        super::chat::chat,
        super::chat::chat_stream,
        super::clients::get_client,
        super::health::healthz,
        super::health::readyz,
    ),
    components(schemas(ErrorBody, StreamEvent, SseEvent)),
    tags(
        (name = "chat", description = "Turns of a conversation"),
        (name = "site", description = "A site's public settings"),
        (name = "health", description = "For load balancers and monitoring"),
    ),
)]
pub struct ApiDoc;

/// The document as served, serialised once.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        // Serialising a tree of strings, numbers and maps cannot fail.
        ApiDoc::openapi().to_pretty_json().unwrap_or_default()
    })
}

/// `GET /openapi.json`. Public and readable from any origin, like the widget itself, so API
/// explorers on other sites can load it.
pub async fn openapi_json() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        document(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;
    use serde_json::Value;

    fn doc() -> Value {
        serde_json::from_str(document()).unwrap()
    }

    #[test]
    fn the_document_is_openapi_3_1_with_the_five_public_routes() {
        let doc = doc();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths: Vec<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for p in [
            "/api/chat",
            "/api/chat/stream",
            "/api/clients/{client_id}",
            "/healthz",
            "/readyz",
        ] {
            assert!(paths.contains(&p), "{p} missing from {paths:?}");
        }
    }

    #[test]
    fn every_error_a_turn_can_end_in_is_documented_under_its_status() {
        let doc = doc();
        let responses = &doc["paths"]["/api/chat"]["post"]["responses"];
        for e in AppError::samples() {
            if matches!(
                e,
                AppError::NotFound | AppError::MethodNotAllowed | AppError::Internal
            ) {
                continue;
            }
            let status = e.status().as_u16().to_string();
            let codes = &responses[&status]["content"]["application/json"]["schema"]["allOf"][1]["properties"]
                ["error"]["properties"]["code"]["enum"];
            assert!(
                codes.as_array().unwrap().contains(&Value::from(e.code())),
                "{} not under {status}",
                e.code()
            );
        }
        assert!(responses["429"]["headers"]["Retry-After"].is_object());
        assert!(responses.get("500").is_none(), "nothing answers 500");
    }

    #[test]
    fn every_code_the_proxy_answers_is_in_the_published_list() {
        for e in AppError::samples() {
            assert!(
                protocol::codes::ERRORS.contains(&e.code()),
                "{} is not in protocol::codes::ERRORS",
                e.code()
            );
        }
    }

    #[test]
    fn the_stream_documents_one_frame_per_event_type() {
        let doc = doc();
        let frames = doc["components"]["schemas"]["SseEvent"]["oneOf"]
            .as_array()
            .unwrap();
        let named: Vec<&str> = frames
            .iter()
            .map(|f| f["properties"]["event"]["enum"][0].as_str().unwrap())
            .collect();
        assert_eq!(named, StreamEvent::NAMES);
        // The data's own `type` tags: the same names, so an event and its data cannot disagree.
        let variants = doc["components"]["schemas"]["StreamEvent"]["oneOf"]
            .as_array()
            .unwrap();
        let tags: Vec<&str> = variants
            .iter()
            .map(|v| v["properties"]["type"]["enum"][0].as_str().unwrap())
            .collect();
        assert_eq!(tags, StreamEvent::NAMES);
        let stream = &doc["paths"]["/api/chat/stream"]["post"]["responses"]["200"]["content"];
        assert_eq!(
            stream["text/event-stream"]["schema"]["$ref"],
            "#/components/schemas/SseEvent"
        );
    }

    #[test]
    fn the_chat_routes_name_the_headers_a_page_sends() {
        let doc = doc();
        for path in ["/api/chat", "/api/chat/stream"] {
            let params = doc["paths"][path]["post"]["parameters"].as_array().unwrap();
            let headers: Vec<&str> = params
                .iter()
                .filter(|p| p["in"] == "header")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            assert_eq!(headers, ["Origin", "X-Widget-Session"], "{path}");
            for p in params {
                assert_eq!(p["required"], false, "{path} {}", p["name"]);
                assert_eq!(p["schema"]["type"], "string", "a header is never null");
            }
        }
        // The stateful fuzzer follows these: a session into a turn, a reply into the next turn.
        let link = &doc["paths"]["/api/chat"]["post"]["responses"]["200"]["links"]["continue"];
        assert_eq!(
            link["requestBody"]["previous_response_id"],
            "$response.body#/response_id"
        );
        let link = &doc["paths"]["/api/clients/{client_id}"]["get"]["responses"]["200"]["links"];
        assert_eq!(
            link["chat_in_session"]["parameters"]["header.X-Widget-Session"],
            "$response.body#/session_token"
        );
        let body = &doc["components"]["schemas"]["ChatRequest"];
        assert_eq!(
            body["additionalProperties"], false,
            "unknown fields are refused"
        );
    }
}
