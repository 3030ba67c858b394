//! Rejections: status codes and the flat `{"code","error"}` / plain-text bodies.

use fake_xai::{ApiKeyState, FaultKind};
use serde_json::{Value, json};

use crate::helpers::{KEY, spawn_fake};

const BODY: &str = r#"{"model":"grok-3-mini","input":"hi"}"#;

#[tokio::test]
async fn a_missing_bearer_gets_401_unauthenticated() {
    let app = spawn_fake().await;
    let response = app
        .http
        .post(app.url("/v1/responses"))
        .header("content-type", "application/json")
        .body(BODY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"code": "unauthenticated", "error": "Missing bearer authentication in header"})
    );
}

#[tokio::test]
async fn a_wrong_key_gets_400_not_401() {
    let app = spawn_fake().await;
    let response = app
        .http
        .get(app.url("/v1/models"))
        .bearer_auth("xai-wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"code": "invalid-argument", "error": "Incorrect API key provided. You can obtain an API key from https://console.x.ai."})
    );
}

#[tokio::test]
async fn a_blocked_or_disabled_key_gets_403_but_can_still_read_its_own_info() {
    let app = spawn_fake().await;
    for state in [
        ApiKeyState {
            api_key_disabled: true,
            ..ApiKeyState::default()
        },
        ApiKeyState {
            api_key_blocked: true,
            ..ApiKeyState::default()
        },
        ApiKeyState {
            team_blocked: true,
            ..ApiKeyState::default()
        },
        ApiKeyState {
            acls: vec!["api-key:model:*".into(), "api-key:endpoint:tts".into()],
            ..ApiKeyState::default()
        },
    ] {
        app.fake.set_api_key_info(state.clone());
        let response = app
            .post("/v1/responses", &serde_json::from_str(BODY).unwrap())
            .await;
        assert_eq!(response.status(), 403, "{state:?}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["code"],
            "permission-denied"
        );
        let info: Value = app.get("/v1/api-key").await.json().await.unwrap();
        assert_eq!(info["api_key_disabled"], state.api_key_disabled);
        assert_eq!(info["api_key_blocked"], state.api_key_blocked);
        assert_eq!(info["team_blocked"], state.team_blocked);
        assert_eq!(info["acls"], json!(state.acls));
    }
}

#[tokio::test]
async fn a_model_outside_the_key_acls_gets_403() {
    let app = spawn_fake().await;
    app.fake.set_api_key_info(ApiKeyState {
        acls: vec![
            "api-key:model:grok-3-mini".into(),
            "api-key:endpoint:*".into(),
        ],
        ..ApiKeyState::default()
    });
    assert_eq!(app.turn_status("grok-3-mini").await, 200);
    assert_eq!(app.turn_status("grok-4.3").await, 403);
}

#[tokio::test]
async fn an_unknown_model_gets_404_naming_the_model_and_team() {
    let app = spawn_fake().await;
    let response = app
        .post(
            "/v1/responses",
            &json!({"model": "grok-2-latest", "input": "x"}),
        )
        .await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "not-found");
    let error = body["error"].as_str().unwrap();
    assert!(
        error.starts_with("The model grok-2-latest does not exist or your team "),
        "{error}"
    );
    let team = app.get("/v1/api-key").await.json::<Value>().await.unwrap()["team_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(error.contains(&team));
}

#[tokio::test]
async fn a_missing_content_type_or_empty_body_gets_415() {
    let app = spawn_fake().await;
    let no_type = app.post_raw("/v1/responses", None, BODY).await;
    assert_eq!(no_type.status(), 415);
    let empty = app
        .http
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 415);
}

#[tokio::test]
async fn invalid_json_or_missing_fields_get_422_as_plain_text() {
    let app = spawn_fake().await;
    for (path, body) in [
        ("/v1/responses", "{not json"),
        ("/v1/responses", r#"{"model":"grok-3-mini"}"#),
        ("/v1/responses", r#"{"model":"grok-3-mini","input":42}"#),
        ("/v1/chat/completions", r#"{"model":"grok-3-mini"}"#),
        ("/v1/tts", r#"{"text":"hi"}"#),
        ("/v1/tokenize-text", r#"{"text":"hi"}"#),
    ] {
        let response = app.post_raw(path, Some("application/json"), body).await;
        assert_eq!(response.status(), 422, "{path} {body}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        let text = response.text().await.unwrap();
        assert!(
            text.starts_with("Failed to deserialize the JSON body into the target type: "),
            "{text}"
        );
    }
}

#[tokio::test]
async fn an_injected_429_has_the_documented_body_and_retry_after() {
    let app = spawn_fake().await;
    app.inject(
        "/v1/responses",
        2,
        FaultKind::Status {
            status: 429,
            retry_after: Some(7),
            body: None,
        },
    );
    for _ in 0..2 {
        let response = app
            .post(
                "/v1/responses",
                &json!({"model": "grok-3-mini", "input": "x"}),
            )
            .await;
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "7");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "resource-exhausted");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("and model grok-3-mini")
        );
    }
    assert_eq!(app.turn_status("grok-3-mini").await, 200);
}

#[tokio::test]
async fn a_status_fault_can_carry_a_custom_body_and_target_any_path() {
    let app = spawn_fake().await;
    app.inject(
        "*",
        1,
        FaultKind::Status {
            status: 503,
            retry_after: None,
            body: Some("upstream sad".into()),
        },
    );
    let response = app.get("/v1/models").await;
    assert_eq!(response.status(), 503);
    assert!(response.headers().get("retry-after").is_none());
    assert_eq!(response.text().await.unwrap(), "upstream sad");
    assert_eq!(app.get("/v1/models").await.status(), 200);
}

#[tokio::test]
async fn an_unknown_url_gets_404() {
    let app = spawn_fake().await;
    let response = app.get("/v1/audio/speech").await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.json::<Value>().await.unwrap()["code"], "not-found");
}
