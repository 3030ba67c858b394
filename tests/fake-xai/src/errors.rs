//! x.ai's REST error answers (flat `{"code","error"}`, plain-text 415/422) and JSON parsing.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fake_kit::StatusFault;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

pub(crate) use fake_kit::json_reply;

/// An error answer exactly as x.ai shapes it.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    retry_after: Option<u64>,
}

#[derive(Debug)]
enum ErrorBody {
    /// The flat `{"code","error"}` object.
    Flat { code: String, error: String },
    /// The JSON extractor's own rejections are plain text on x.ai.
    Text(String),
    /// A body injected verbatim by a `Status` fault.
    Raw(String),
}

impl ApiError {
    pub(crate) fn flat(status: StatusCode, code: &str, error: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody::Flat {
                code: code.to_owned(),
                error: error.into(),
            },
            retry_after: None,
        }
    }

    pub(crate) fn unauthenticated(error: &str) -> Self {
        Self::flat(StatusCode::UNAUTHORIZED, "unauthenticated", error)
    }

    pub(crate) fn missing_bearer() -> Self {
        Self::unauthenticated("Missing bearer authentication in header")
    }

    /// x.ai answers a present-but-wrong key with 400, not 401 (spec §1, measured).
    pub(crate) fn incorrect_key() -> Self {
        Self::invalid_argument(
            "Incorrect API key provided. You can obtain an API key from https://console.x.ai.",
        )
    }

    pub(crate) fn invalid_argument(error: impl Into<String>) -> Self {
        Self::flat(StatusCode::BAD_REQUEST, "invalid-argument", error)
    }

    pub(crate) fn permission_denied(error: impl Into<String>) -> Self {
        Self::flat(StatusCode::FORBIDDEN, "permission-denied", error)
    }

    pub(crate) fn not_found(error: impl Into<String>) -> Self {
        Self::flat(StatusCode::NOT_FOUND, "not-found", error)
    }

    pub(crate) fn unknown_model(model: &str, team_id: &uuid::Uuid) -> Self {
        Self::not_found(format!(
            "The model {model} does not exist or your team {team_id} does not have access to it. \
             Please ensure you're using the correct API key. If you believe this is a mistake, \
             please contact support and quote your team ID."
        ))
    }

    pub(crate) fn unprocessable(detail: impl std::fmt::Display) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: ErrorBody::Text(format!(
                "Failed to deserialize the JSON body into the target type: {detail}"
            )),
            retry_after: None,
        }
    }

    pub(crate) fn unsupported_media_type() -> Self {
        Self {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            body: ErrorBody::Text("Expected request with `Content-Type: application/json`".into()),
            retry_after: None,
        }
    }

    /// The answer a `Status` fault asks for.
    pub(crate) fn from_fault(fault: StatusFault, team_id: &uuid::Uuid, model: &str) -> Self {
        let status =
            StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut error = match fault.body {
            Some(raw) => Self {
                status,
                body: ErrorBody::Raw(raw),
                retry_after: None,
            },
            None => documented(status, team_id, model),
        };
        error.retry_after = fault.retry_after;
        error
    }
}

/// The documented (or, where x.ai's is unknown, a plausible) error body for a status.
fn documented(status: StatusCode, team_id: &uuid::Uuid, model: &str) -> ApiError {
    let code = status.as_u16();
    match code {
        400 => ApiError::invalid_argument("Client specified an invalid argument."),
        401 => ApiError::missing_bearer(),
        403 => ApiError::permission_denied(
            "Your team has either used all available credits or reached its monthly spending \
             limit. To continue making API requests, please purchase more credits or raise your \
             spending limit.",
        ),
        404 => ApiError::not_found("The requested resource was not found."),
        415 => ApiError::unsupported_media_type(),
        422 => ApiError::unprocessable("missing field"),
        429 => ApiError::flat(
            status,
            "resource-exhausted",
            format!(
                "Too many requests for team {team_id} and model {model}. Your team's rate limit \
                 is — Requests per Second (actual/limit): 2/2. Your rate limit tier is determined \
                 based on your historical API spend. To learn how to increase your rate limit \
                 tier, please visit https://console.x.ai/team/default/rate-limits."
            ),
        ),
        // 5xx bodies are UNCONFIRMED (spec §7.5); keep the flat shape.
        500 => ApiError::flat(status, "internal", "Internal server error."),
        502..=504 => ApiError::flat(
            status,
            "unavailable",
            "The service is currently unavailable. Please try again later.",
        ),
        _ => ApiError::flat(
            status,
            "unknown",
            status.canonical_reason().unwrap_or("Unknown error."),
        ),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (content_type, body) = match self.body {
            ErrorBody::Flat { code, error } => (
                "application/json",
                json!({ "code": code, "error": error }).to_string(),
            ),
            ErrorBody::Text(text) => ("text/plain; charset=utf-8", text),
            ErrorBody::Raw(raw) => {
                let is_json = serde_json::from_str::<Value>(&raw).is_ok();
                let ct = if is_json {
                    "application/json"
                } else {
                    "text/plain; charset=utf-8"
                };
                (ct, raw)
            }
        };
        let mut response = (self.status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// Parses a JSON request body the way x.ai's extractor does: 415 for a missing content type
/// or empty body, 422 plain text for anything that does not deserialize.
pub(crate) fn parse_json<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            let mime = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false);
    if !is_json || body.is_empty() {
        return Err(ApiError::unsupported_media_type());
    }
    serde_json::from_slice(body).map_err(ApiError::unprocessable)
}

/// A request body read the way x.ai reads it ([`parse_json`]): the one extractor every JSON
/// endpoint of the fake takes.
pub(crate) struct XaiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for XaiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let body = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        parse_json(&headers, &body)
            .map(XaiJson)
            .map_err(IntoResponse::into_response)
    }
}
