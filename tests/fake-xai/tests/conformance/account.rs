//! `/v1/api-key`, models, language models and the tokenizer.

use serde_json::{Value, json};

use crate::helpers::spawn_fake;

#[tokio::test]
async fn api_key_info_is_redacted_and_has_default_acls() {
    let app = spawn_fake().await;
    let info: Value = app.get("/v1/api-key").await.json().await.unwrap();
    assert_eq!(info["redacted_api_key"], "xai-...-key");
    assert_eq!(
        info["acls"],
        json!(["api-key:model:*", "api-key:endpoint:*"])
    );
    for flag in ["team_blocked", "api_key_blocked", "api_key_disabled"] {
        assert_eq!(info[flag], false);
    }
    for id in ["user_id", "team_id", "api_key_id", "modified_by"] {
        assert!(
            uuid::Uuid::parse_str(info[id].as_str().unwrap()).is_ok(),
            "{id}"
        );
    }
}

#[tokio::test]
async fn models_are_listed_and_looked_up_by_id_or_alias() {
    let app = spawn_fake().await;
    let list: Value = app.get("/v1/models").await.json().await.unwrap();
    assert_eq!(list["object"], "list");
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "grok-4.3",
            "grok-4-1-fast-reasoning",
            "grok-4-1-fast-non-reasoning",
            "grok-code-fast-1",
            "grok-3-mini"
        ]
    );
    let one: Value = app
        .get("/v1/models/grok-code-fast-1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["owned_by"], "xai");
    assert_eq!(app.get("/v1/models/grok-2").await.status(), 404);

    let lms: Value = app.get("/v1/language-models").await.json().await.unwrap();
    assert_eq!(lms["models"].as_array().unwrap().len(), 5);
    let by_alias: Value = app
        .get("/v1/language-models/grok-code-fast")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_alias["id"], "grok-code-fast-1");
    assert!(by_alias["prompt_text_token_price"].as_u64().unwrap() > 0);
    assert!(
        by_alias["aliases"]
            .as_array()
            .unwrap()
            .contains(&json!("grok-code-fast"))
    );
    assert_eq!(app.get("/v1/language-models/nope").await.status(), 404);
}

#[tokio::test]
async fn the_tokenizer_splits_words_with_leading_spaces_and_punctuation() {
    let app = spawn_fake().await;
    let body = json!({"model": "grok-3-mini", "text": "Hello world!"});
    let tokens = app.post_ok("/v1/tokenize-text", &body).await;
    let list = tokens["token_ids"].as_array().unwrap();
    let strings: Vec<&str> = list
        .iter()
        .map(|t| t["string_token"].as_str().unwrap())
        .collect();
    assert_eq!(strings, ["Hello", " world", "!"]);
    assert_eq!(list[0]["token_bytes"], json!([72, 101, 108, 108, 111]));
    let again = app.post_ok("/v1/tokenize-text", &body).await;
    assert_eq!(again, tokens, "ids are deterministic");
    let unknown = app
        .post("/v1/tokenize-text", &json!({"model": "nope", "text": "x"}))
        .await;
    assert_eq!(unknown.status(), 404);
}
