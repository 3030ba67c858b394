//! The one error type of every `/api/*` route and its one mapping to HTTP.
//!
//! Variants carry only what is safe to show a visitor. Upstream detail (bodies, reqwest errors,
//! which can hold URLs or key fragments) is logged where it happens and never reaches here as
//! text.

use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use protocol::{ErrorBody, ErrorDetail, codes};
use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("this chat is not configured on the server (unknown client \"{0}\")")]
    UnknownClient(String),
    #[error("not found")]
    NotFound,
    #[error("this address does not take that method; the Allow header lists the ones it takes")]
    MethodNotAllowed,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("the request body took too long to arrive")]
    BodyTimeout,
    #[error("{0}")]
    MessageTooLong(String),
    #[error("send the request as JSON with Content-Type: application/json")]
    UnsupportedMediaType,
    /// An image that is not PNG, JPEG, WebP or GIF (read from its bytes).
    #[error("{0}")]
    ImageUnsupported(String),
    /// An image over the client's byte or pixel cap.
    #[error("{0}")]
    ImageTooLarge(String),
    #[error("this website is not allowed to use this chat")]
    OriginNotAllowed,
    #[error("too many messages right now; please wait a moment and try again")]
    RateLimited { retry_after_secs: Option<u64> },
    #[error("this conversation has expired; start a new conversation")]
    ConversationNotFound,
    #[error("the assistant is unavailable right now; please come back later")]
    BudgetExhausted,
    #[error("the service is temporarily unavailable; please try again shortly")]
    LimitsUnavailable,
    #[error("this conversation has reached its length limit; please start a new conversation")]
    ConversationTooLong,
    #[error("your chat session has expired; please reload the page")]
    SessionInvalid,
    #[error("the assistant is very busy right now; please try again in a moment")]
    Overloaded,
    #[error("the assistant could not answer right now; please try again")]
    Upstream,
    #[error("the assistant is busy right now; please try again shortly")]
    UpstreamUnavailable { retry_after_secs: Option<u64> },
    #[error("the assistant took too long to answer; please try again")]
    UpstreamTimeout,
    #[error("something went wrong on our side; please try again")]
    Internal,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::UnknownClient(_) | AppError::NotFound | AppError::ConversationNotFound => {
                StatusCode::NOT_FOUND
            }
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            AppError::InvalidRequest(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::PayloadTooLarge
            | AppError::MessageTooLong(_)
            | AppError::ImageTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType | AppError::ImageUnsupported(_) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            AppError::OriginNotAllowed | AppError::SessionInvalid => StatusCode::FORBIDDEN,
            AppError::BudgetExhausted | AppError::LimitsUnavailable | AppError::Overloaded => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::ConversationTooLong => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Upstream => StatusCode::BAD_GATEWAY,
            AppError::UpstreamUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::UnknownClient(_) => codes::UNKNOWN_CLIENT,
            AppError::NotFound => codes::NOT_FOUND,
            AppError::MethodNotAllowed => codes::METHOD_NOT_ALLOWED,
            AppError::BadRequest(_) | AppError::BodyTimeout => codes::BAD_REQUEST,
            AppError::InvalidRequest(_) => codes::INVALID_REQUEST,
            AppError::PayloadTooLarge
            | AppError::MessageTooLong(_)
            | AppError::ImageTooLarge(_) => codes::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType | AppError::ImageUnsupported(_) => {
                codes::UNSUPPORTED_MEDIA_TYPE
            }
            AppError::OriginNotAllowed => codes::ORIGIN_NOT_ALLOWED,
            AppError::SessionInvalid => codes::SESSION_INVALID,
            AppError::BudgetExhausted => codes::BUDGET_EXHAUSTED,
            AppError::LimitsUnavailable | AppError::Overloaded => codes::UNAVAILABLE,
            AppError::ConversationTooLong => codes::CONVERSATION_TOO_LONG,
            AppError::RateLimited { .. } => codes::RATE_LIMITED,
            AppError::ConversationNotFound => codes::CONVERSATION_NOT_FOUND,
            AppError::Upstream => codes::UPSTREAM_ERROR,
            AppError::UpstreamUnavailable { .. } => codes::UPSTREAM_UNAVAILABLE,
            AppError::UpstreamTimeout => codes::UPSTREAM_TIMEOUT,
            AppError::Internal => codes::INTERNAL,
        }
    }

    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AppError::RateLimited { retry_after_secs }
            | AppError::UpstreamUnavailable { retry_after_secs } => *retry_after_secs,
            AppError::LimitsUnavailable | AppError::Overloaded => Some(5),
            _ => None,
        }
    }

    /// One of every variant, for the OpenAPI document and tests. A new variant does not
    /// compile until it is added to the match below, and so, alongside it, here.
    pub fn samples() -> Vec<AppError> {
        let all = vec![
            AppError::UnknownClient("demo".into()),
            AppError::NotFound,
            AppError::MethodNotAllowed,
            AppError::BadRequest("the request body is not valid JSON".into()),
            AppError::InvalidRequest("the message is empty".into()),
            AppError::PayloadTooLarge,
            AppError::BodyTimeout,
            AppError::MessageTooLong(
                "the message is 4800 characters long; the limit is 4000".into(),
            ),
            AppError::UnsupportedMediaType,
            AppError::ImageUnsupported(
                "image 1 is not a PNG, JPEG, WebP or GIF image (its bytes say so, whatever its \
                 declared type)"
                    .into(),
            ),
            AppError::ImageTooLarge("image 1 is 3.1 MB; the limit is 2 MB".into()),
            AppError::OriginNotAllowed,
            AppError::RateLimited {
                retry_after_secs: Some(12),
            },
            AppError::ConversationNotFound,
            AppError::BudgetExhausted,
            AppError::LimitsUnavailable,
            AppError::ConversationTooLong,
            AppError::SessionInvalid,
            AppError::Overloaded,
            AppError::Upstream,
            AppError::UpstreamUnavailable {
                retry_after_secs: Some(30),
            },
            AppError::UpstreamTimeout,
            AppError::Internal,
        ];
        for e in &all {
            match e {
                AppError::UnknownClient(_)
                | AppError::NotFound
                | AppError::MethodNotAllowed
                | AppError::BadRequest(_)
                | AppError::InvalidRequest(_)
                | AppError::PayloadTooLarge
                | AppError::BodyTimeout
                | AppError::MessageTooLong(_)
                | AppError::UnsupportedMediaType
                | AppError::ImageUnsupported(_)
                | AppError::ImageTooLarge(_)
                | AppError::OriginNotAllowed
                | AppError::RateLimited { .. }
                | AppError::ConversationNotFound
                | AppError::BudgetExhausted
                | AppError::LimitsUnavailable
                | AppError::ConversationTooLong
                | AppError::SessionInvalid
                | AppError::Overloaded
                | AppError::Upstream
                | AppError::UpstreamUnavailable { .. }
                | AppError::UpstreamTimeout
                | AppError::Internal => {}
            }
        }
        all
    }

    /// The body every error answers with; also used for SSE `error` events.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: self.to_string(),
                retry_after_secs: self.retry_after_secs(),
            },
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = self.retry_after_secs();
        let mut response = (status, axum::Json(self.body())).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType,
            JsonRejection::JsonDataError(e) => {
                // serde's message names the field and the problem, never a value of ours.
                AppError::InvalidRequest(format!(
                    "the request does not match the API: {}",
                    e.body_text()
                ))
            }
            JsonRejection::JsonSyntaxError(_) => {
                AppError::BadRequest("the request body is not valid JSON".into())
            }
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::PayloadTooLarge
            }
            _ => AppError::BadRequest("the request body could not be read".into()),
        }
    }
}

/// `axum::Json`, but extractor rejections answer with [`AppError`]'s body like every other error,
/// and only a JSON object is accepted: serde would otherwise read `["demo","hi"]` into a struct's
/// fields in order.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        if !has_json_content_type(req.headers()) {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::BadRequest("the request body could not be read".into())
            }
        })?;
        let axum::Json(value) = axum::Json::<T>::from_bytes(&bytes)?;
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(AppError::InvalidRequest(
                "the request body must be a JSON object".into(),
            ));
        }
        Ok(Json(value))
    }
}

/// `application/json` or `application/<anything>+json`, as axum's own extractor accepts.
fn has_json_content_type(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// `axum::extract::Path`, but a path segment that cannot be read (percent-encoded bytes that are
/// not UTF-8) answers with [`AppError`]'s body, not axum's plain-text 400.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, AppError> {
        let axum::extract::Path(value) = axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map_err(|e: PathRejection| {
                // axum's text names the segment and the problem, never more of the request.
                AppError::BadRequest(format!("the address is not valid: {}", e.body_text()))
            })?;
        Ok(Path(value))
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

impl From<crate::limits::LimitError> for AppError {
    fn from(e: crate::limits::LimitError) -> Self {
        use crate::limits::LimitError as L;
        match e {
            L::RateLimited { retry_after_secs } => AppError::RateLimited {
                retry_after_secs: Some(retry_after_secs),
            },
            L::BudgetExhausted => AppError::BudgetExhausted,
            L::Unavailable => AppError::LimitsUnavailable,
        }
    }
}

/// How an upstream failure looks to the visitor. `continuing`: the turn named a
/// `previous_response_id`, so an upstream 404 means that conversation is gone.
pub fn from_upstream(e: &crate::upstream::UpstreamError, continuing: bool) -> AppError {
    use crate::upstream::UpstreamError as U;
    let secs = |d: &Option<std::time::Duration>| d.map(|d| d.as_secs().max(1));
    match e {
        U::Status { status: 404, .. } if continuing => AppError::ConversationNotFound,
        U::Status {
            status: 401 | 403, ..
        } => AppError::UpstreamUnavailable {
            retry_after_secs: None,
        },
        U::Status { status: 413, .. } => AppError::PayloadTooLarge,
        U::Status {
            status: 429,
            retry_after,
        } => AppError::RateLimited {
            retry_after_secs: secs(retry_after),
        },
        U::Status {
            status: 503,
            retry_after,
        } => AppError::UpstreamUnavailable {
            retry_after_secs: secs(retry_after),
        },
        U::Status { status: 504, .. } => AppError::UpstreamTimeout,
        U::Status { .. } => AppError::Upstream,
        U::Timeout | U::Stalled | U::DeferredTimeout => AppError::UpstreamTimeout,
        U::UnknownConversation => AppError::ConversationNotFound,
        U::StoreUnavailable => AppError::LimitsUnavailable,
        U::Connect | U::Malformed | U::Truncated | U::MidStream | U::Failed | U::TooLarge => {
            AppError::Upstream
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limited_sets_retry_after_header_and_body() {
        let resp = AppError::RateLimited {
            retry_after_secs: Some(7),
        }
        .into_response();
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(resp.headers()[header::RETRY_AFTER], "7");
    }

    #[test]
    fn every_variant_has_a_human_message() {
        let all = [
            AppError::UnknownClient("x".into()),
            AppError::NotFound,
            AppError::PayloadTooLarge,
            AppError::UnsupportedMediaType,
            AppError::OriginNotAllowed,
            AppError::RateLimited {
                retry_after_secs: None,
            },
            AppError::ConversationNotFound,
            AppError::Upstream,
            AppError::UpstreamUnavailable {
                retry_after_secs: None,
            },
            AppError::UpstreamTimeout,
            AppError::Internal,
        ];
        for e in all {
            let body = e.body();
            assert!(body.error.message.len() > 8, "{body:?}");
            assert!(!body.error.code.is_empty());
        }
    }
}
