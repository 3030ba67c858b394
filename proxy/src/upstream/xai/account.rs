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
    #[serde(default)]
    pub prompt_image_token_price: u64,
    /// `"text"`, `"image"`, …
    #[serde(default)]
    pub input_modalities: Vec<String>,
}

impl LanguageModel {
    /// Whether the model takes images. x.ai spells modalities in lower case in its examples;
    /// any case is accepted.
    pub fn takes_images(&self) -> bool {
        self.input_modalities
            .iter()
            .any(|m| m.eq_ignore_ascii_case("image"))
    }
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

/// `GET /v1/language-models/{id}`: one model, by id or alias.
pub async fn language_model(
    xai: &UpstreamClient,
    id: &str,
) -> Result<LanguageModel, UpstreamError> {
    // Ids are letters, digits, `-`, `.` and `_`; anything else is escaped, never a path.
    const ID: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_');
    let path = format!(
        "language-models/{}",
        percent_encoding::utf8_percent_encode(id, ID)
    );
    xai.get_json("language-models", &path).await
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
