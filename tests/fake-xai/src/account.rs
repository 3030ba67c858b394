//! Account and catalogue endpoints: `/v1/api-key`, models, language models, tokenizer (spec §4).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::errors::{ApiError, XaiJson, json_reply};
use crate::models::{self, MODELS};
use crate::state::Shared;

/// Fixed so answers are stable across runs.
const KEY_CREATED: &str = "2026-01-05T09:30:00.000000Z";

pub(crate) async fn api_key(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let (key, state) = {
        let inner = shared.lock();
        (inner.config.api_key.clone(), inner.key_state.clone())
    };
    let tail: String = {
        let chars: Vec<char> = key.chars().collect();
        chars[chars.len().saturating_sub(4)..].iter().collect()
    };
    let body = json!({
        "redacted_api_key": format!("xai-...{tail}"),
        "user_id": shared.user_id,
        "name": "fake-xai key",
        "create_time": KEY_CREATED,
        "modify_time": KEY_CREATED,
        "modified_by": shared.user_id,
        "team_id": shared.team_id,
        "acls": state.acls,
        "api_key_id": shared.api_key_id,
        "team_blocked": state.team_blocked,
        "api_key_blocked": state.api_key_blocked,
        "api_key_disabled": state.api_key_disabled,
    });
    json_reply(&shared, uri.path(), &body)
}

pub(crate) async fn models(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let data: Vec<Value> = MODELS.iter().map(models::Model::model_json).collect();
    json_reply(
        &shared,
        uri.path(),
        &json!({"data": data, "object": "list"}),
    )
}

fn lookup(shared: &Shared, id: &str) -> Result<&'static models::Model, ApiError> {
    models::find(id).ok_or_else(|| ApiError::unknown_model(id, &shared.team_id))
}

pub(crate) async fn model(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let model = lookup(&shared, &id)?;
    Ok(json_reply(&shared, uri.path(), &model.model_json()))
}

pub(crate) async fn language_models(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let list: Vec<Value> = MODELS
        .iter()
        .map(models::Model::language_model_json)
        .collect();
    json_reply(&shared, uri.path(), &json!({"models": list}))
}

pub(crate) async fn language_model(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let model = lookup(&shared, &id)?;
    Ok(json_reply(
        &shared,
        uri.path(),
        &model.language_model_json(),
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct TokenizeRequest {
    model: String,
    text: String,
}

pub(crate) async fn tokenize(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    XaiJson(request): XaiJson<TokenizeRequest>,
) -> Result<Response, ApiError> {
    lookup(&shared, &request.model)?;
    let tokens: Vec<Value> = models::tokenize(&request.text)
        .into_iter()
        .map(
            |t| json!({"token_id": t.id, "string_token": t.text, "token_bytes": t.text.as_bytes()}),
        )
        .collect();
    Ok(json_reply(
        &shared,
        uri.path(),
        &json!({"token_ids": tokens}),
    ))
}
