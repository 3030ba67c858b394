use crate::helpers::spawn_app;

#[tokio::test]
async fn client_info_exposes_only_the_public_settings() {
    let app = spawn_app().await;
    let resp = app.get("/api/clients/demo", &[]).await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["title"], "Ask us");
    assert_eq!(body["greeting"], "Hello there");
    assert_eq!(body["accent_color"], "#112233");
    assert_eq!(body["voices"], serde_json::json!(["eve", "leo"]));
    assert_eq!(body["default_voice"], "eve");
    assert_eq!(body["stt_language"], "en-GB");
    let text = body.to_string();
    assert!(!text.contains("Be brief"), "instructions leaked: {text}");
    assert!(!text.contains("grok-"), "model leaked: {text}");
    assert!(!text.contains("localhost:3000"), "origins leaked: {text}");
}

#[tokio::test]
async fn an_unknown_client_is_a_404_with_a_readable_message() {
    let app = spawn_app().await;
    let resp = app.get("/api/clients/other", &[]).await;
    assert_eq!(resp.status(), 404);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unknown_client");
}

#[tokio::test]
async fn cors_preflight_is_answered_only_for_configured_origins() {
    let app = spawn_app().await;
    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, app.url("/api/clients/demo"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .send()
    };
    let ok = preflight("http://localhost:3000").await.unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
    let other = preflight("http://localhost:3000.evil.test").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

/// OpenAI and Anthropic clients have no server speech: the widget is told so, and reads their
/// replies with the browser voice sentence by sentence as they stream.
#[tokio::test]
async fn client_info_says_whether_the_server_speaks() {
    let openai = crate::helpers::client_block(
        "gpt",
        &["provider = \"openai\"", "model = \"gpt-4.1-mini\""],
    );
    let app = crate::helpers::spawn_app_with(crate::helpers::Options {
        toml: format!("{}\n{openai}", crate::helpers::CLIENTS),
        env: proxy::config::EnvOverrides {
            api_key: Some(crate::helpers::CANARY_KEY.into()),
            openai_api_key: Some("sk-test".into()),
            ..Default::default()
        },
        ..crate::helpers::Options::default()
    })
    .await;
    let info = |id: &'static str| {
        let req = app
            .http
            .get(app.url(&format!("/api/clients/{id}")))
            .header("Origin", crate::helpers::ORIGIN)
            .send();
        async move {
            req.await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let xai = info("demo").await;
    assert_eq!(xai["voice_enabled"], true);
    assert_eq!(xai["server_voice"], true);
    let gpt = info("gpt").await;
    assert_eq!(
        gpt["voice_enabled"], true,
        "the visitor still hears the reply"
    );
    assert_eq!(gpt["server_voice"], false, "but from the browser voice");
}
