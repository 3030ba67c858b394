//! x.ai's account endpoints: the key's own record (`GET /v1/api-key`), the models with their
//! prices (`GET /v1/language-models`) and the tokenizer (`POST /v1/tokenize-text`).

use serde::Deserialize;

use crate::upstream::UpstreamError;
use crate::upstream::http::UpstreamClient;

/// `GET /v1/api-key`.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiKeyInfo {
    #[serde(default)]
    pub redacted_api_key: String,
    #[serde(default)]
    pub acls: Vec<String>,
    #[serde(default)]
    pub api_key_blocked: bool,
    #[serde(default)]
    pub api_key_disabled: bool,
    #[serde(default)]
    pub team_blocked: bool,
}

/// One entry of `GET /v1/language-models`. Prices are USD cents per 100 million tokens.
#[derive(Debug, Clone, Deserialize)]
pub struct LanguageModel {
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub prompt_text_token_price: u64,
    #[serde(default)]
    pub cached_prompt_text_token_price: u64,
    #[serde(default)]
    pub completion_text_token_price: u64,
}

#[derive(Deserialize)]
struct LanguageModels {
    models: Vec<LanguageModel>,
}

#[derive(Deserialize)]
struct Tokenized {
    token_ids: Vec<serde_json::Value>,
}

pub async fn api_key_info(xai: &UpstreamClient) -> Result<ApiKeyInfo, UpstreamError> {
    xai.get_json("api-key", "api-key").await
}

pub async fn language_models(xai: &UpstreamClient) -> Result<Vec<LanguageModel>, UpstreamError> {
    let list: LanguageModels = xai.get_json("language-models", "language-models").await?;
    Ok(list.models)
}

/// Number of tokens `text` is for `model` (`POST /v1/tokenize-text`).
pub async fn count_tokens(
    xai: &UpstreamClient,
    model: &str,
    text: &str,
) -> Result<usize, UpstreamError> {
    let body = serde_json::json!({ "model": model, "text": text });
    let t: Tokenized = xai
        .post_json("tokenize-text", "tokenize-text", &body)
        .await?;
    Ok(t.token_ids.len())
}
