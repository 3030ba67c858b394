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

async fn info(app: &crate::helpers::TestApp, query: &str) -> serde_json::Value {
    let resp = app
        .http
        .get(app.url(&format!("/api/clients/demo{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

fn string<'a>(body: &'a serde_json::Value, key: &str) -> &'a str {
    let i = protocol::STRING_KEYS
        .iter()
        .position(|k| *k == key)
        .unwrap();
    body["strings"][i].as_str().unwrap()
}

#[tokio::test]
async fn the_interface_language_follows_data_lang_then_the_page_then_english() {
    let app = spawn_app().await;
    let body = info(&app, "?prefer=fr-CA,en").await;
    assert_eq!(body["language"], "fr");
    assert_eq!(string(&body, "open_chat"), "Ouvrir le chat");
    assert_eq!(
        body["strings"].as_array().unwrap().len(),
        protocol::STRING_KEYS.len()
    );
    // The site's own title and greeting stay as configured.
    assert_eq!(body["title"], "Ask us");
    let body = info(&app, "?lang=ja&prefer=fr").await;
    assert_eq!(body["language"], "ja");
    assert_eq!(string(&body, "send"), "送信");
    let body = info(&app, "?prefer=ko,xx").await;
    assert_eq!(body["language"], "en");
    assert!(body.get("strings").is_none(), "English is the widget's own");
    let body = info(&app, "?lang=%ZZ&prefer").await;
    assert_eq!(body["language"], "en");
}

#[tokio::test]
async fn a_site_overrides_words_sets_its_language_and_adds_languages() {
    let lines = "language = \"de\"\n\
                 [clients.strings.de]\nopen_chat = \"Mit Anna sprechen\"\n\
                 [clients.strings.sv]\nsend = \"Skicka\"\n";
    let toml = format!(
        "retry_budget_secs = 5\n{}",
        crate::helpers::CLIENTS
            .replace("title = \"Ask us\"\n", "")
            .replace("stt_language = \"en-GB\"\n", "")
            + lines
    );
    let app = crate::helpers::spawn_app_with(crate::helpers::Options {
        toml,
        ..Default::default()
    })
    .await;
    let body = info(&app, "?prefer=fr").await;
    assert_eq!(
        body["language"], "de",
        "the site's language before the page's"
    );
    assert_eq!(string(&body, "open_chat"), "Mit Anna sprechen");
    assert_eq!(string(&body, "close_chat"), "Chat schließen");
    assert_eq!(body["title"], "Chatten Sie mit uns");
    assert_eq!(body["stt_language"], "de-DE");
    let body = info(&app, "?lang=sv-SE").await;
    assert_eq!(body["language"], "sv");
    assert_eq!(string(&body, "send"), "Skicka");
    assert_eq!(
        string(&body, "open_chat"),
        "",
        "missing words are the widget's English"
    );
    assert_eq!(body["stt_language"], "sv-SE");
}
