//! The published API contract: `/openapi.json` as served, and the answers a fuzzer cannot
//! reach through it (scripts/api-fuzz runs schemathesis for the rest).

use crate::helpers::{ask, body_json, spawn_app};

#[tokio::test]
async fn the_openapi_document_is_served_as_json_to_any_origin() {
    let app = spawn_app().await;
    let resp = app.get("/openapi.json", &[]).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let doc: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(doc["paths"]["/api/chat/stream"]["post"].is_object());
}

/// A real `/api/chat` reply matches what the document says of it: the names the schema
/// requires are there, and nothing it does not list (`additionalProperties` aside).
#[tokio::test]
async fn a_real_reply_carries_every_field_the_document_requires() {
    let app = spawn_app().await;
    let doc = body_json(app.get("/openapi.json", &[]).await).await;
    let reply = body_json(app.chat(ask("Hello")).await).await;
    let schema = &doc["components"]["schemas"]["ChatResponse"];
    for field in schema["required"].as_array().unwrap() {
        let field = field.as_str().unwrap();
        assert!(reply.get(field).is_some(), "{field} missing from {reply}");
    }
    for field in reply.as_object().unwrap().keys() {
        assert!(
            schema["properties"].get(field).is_some(),
            "{field} not documented"
        );
    }
}

/// Found by probing what schemathesis cannot send (it percent-encodes valid UTF-8 only): a
/// client id that is not UTF-8 was answered by axum's own text/plain 400.
#[tokio::test]
async fn a_client_id_that_is_not_utf8_gets_the_usual_error_body() {
    let app = spawn_app().await;
    for path in ["/api/clients/%FF", "/api/clients/%C3%28"] {
        let resp = app.get(path, &[]).await;
        assert_eq!(resp.status(), 400, "{path}");
        assert_eq!(resp.headers()["content-type"], "application/json", "{path}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_request", "{path}");
    }
}

/// Found the same way: a wrong method on a route was a bare 405 with no body.
#[tokio::test]
async fn a_wrong_method_gets_405_with_allow_and_the_error_body() {
    let app = spawn_app().await;
    for (method, path, allow) in [
        (reqwest::Method::PUT, "/api/chat", "POST"),
        (reqwest::Method::GET, "/api/chat/stream", "POST"),
        (reqwest::Method::DELETE, "/api/clients/demo", "GET,HEAD"),
        (reqwest::Method::POST, "/healthz", "GET,HEAD"),
        (reqwest::Method::POST, "/openapi.json", "GET,HEAD"),
    ] {
        let resp = app
            .http
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 405, "{method} {path}");
        assert_eq!(resp.headers()["allow"], allow, "{method} {path}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(
            body["error"]["code"], "method_not_allowed",
            "{method} {path}"
        );
    }
}
