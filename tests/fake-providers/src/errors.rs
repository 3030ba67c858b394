//! Each provider's error answers, and JSON body parsing.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fake_kit::StatusFault;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Whose conventions an answer follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    OpenAi,
    Anthropic,
}

impl Flavor {
    /// The flavor of a request path, if it belongs to one of the fakes.
    pub(crate) fn of(path: &str) -> Option<Self> {
        if path.starts_with("/openai/") {
            Some(Self::OpenAi)
        } else if path.starts_with("/anthropic/") {
            Some(Self::Anthropic)
        } else {
            None
        }
    }
}

/// An error answer shaped as the provider shapes it (boxed: it travels in `Result`s).
#[derive(Debug)]
pub(crate) struct ApiError(Box<ErrorParts>);

#[derive(Debug)]
pub(crate) struct ErrorParts {
    flavor: Flavor,
    status: StatusCode,
    /// OpenAI `error.type` / Anthropic `error.type`.
    kind: String,
    message: String,
    /// OpenAI only: `error.code` and `error.param`.
    code: Option<String>,
    param: Option<String>,
    raw: Option<String>,
    retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(
        flavor: Flavor,
        status: StatusCode,
        kind: &str,
        message: impl Into<String>,
    ) -> Self {
        Self(Box::new(ErrorParts {
            flavor,
            status,
            kind: kind.to_owned(),
            message: message.into(),
            code: None,
            param: None,
            raw: None,
            retry_after: None,
        }))
    }

    pub(crate) fn with_code(mut self, code: &str) -> Self {
        self.0.code = Some(code.to_owned());
        self
    }

    pub(crate) fn with_param(mut self, param: &str) -> Self {
        self.0.param = Some(param.to_owned());
        self
    }

    pub(crate) fn invalid_request(flavor: Flavor, message: impl Into<String>) -> Self {
        Self::new(
            flavor,
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            message,
        )
    }

    /// The answer to a missing or wrong key.
    pub(crate) fn bad_key(flavor: Flavor, missing: bool) -> Self {
        match flavor {
            Flavor::OpenAi => Self::new(
                flavor,
                StatusCode::UNAUTHORIZED,
                "invalid_request_error",
                if missing {
                    "You didn't provide an API key. You need to provide your API key in an \
                     Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
                } else {
                    "Incorrect API key provided. You can find your API key at \
                     https://platform.openai.com/account/api-keys."
                },
            )
            .with_code("invalid_api_key"),
            Flavor::Anthropic => Self::new(
                flavor,
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                if missing {
                    "x-api-key header is required"
                } else {
                    "invalid x-api-key"
                },
            ),
        }
    }

    /// The answer a `Status` fault asks for.
    pub(crate) fn from_fault(flavor: Flavor, fault: StatusFault) -> Self {
        let status =
            StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut error = documented(flavor, status);
        error.0.raw = fault.body;
        error.0.retry_after = fault.retry_after;
        error
    }
}

/// The documented error body for a status.
fn documented(flavor: Flavor, status: StatusCode) -> ApiError {
    let code = status.as_u16();
    match flavor {
        Flavor::OpenAi => {
            let (kind, message, code_name) = match code {
                400 => ("invalid_request_error", "Invalid request.", None),
                401 => return ApiError::bad_key(flavor, false),
                403 => (
                    "invalid_request_error",
                    "You are not allowed to sample from this model",
                    Some("model_not_found"),
                ),
                404 => ("invalid_request_error", "Not found.", None),
                429 => (
                    "requests",
                    "Rate limit reached for requests. Please try again in 1s.",
                    Some("rate_limit_exceeded"),
                ),
                500 => (
                    "server_error",
                    "The server had an error while processing your request. Sorry about that!",
                    None,
                ),
                503 => (
                    "server_error",
                    "The engine is currently overloaded, please try again later.",
                    None,
                ),
                _ => ("server_error", "Unexpected error.", None),
            };
            let mut e = ApiError::new(flavor, status, kind, message);
            e.0.code = code_name.map(str::to_owned);
            e
        }
        Flavor::Anthropic => {
            let (kind, message) = match code {
                400 => ("invalid_request_error", "Invalid request."),
                401 => ("authentication_error", "invalid x-api-key"),
                403 => (
                    "permission_error",
                    "Your API key does not have permission to use the specified resource.",
                ),
                404 => (
                    "not_found_error",
                    "The requested resource could not be found.",
                ),
                413 => (
                    "request_too_large",
                    "Request exceeds the maximum allowed size.",
                ),
                429 => (
                    "rate_limit_error",
                    "Number of request tokens has exceeded your per-minute rate limit.",
                ),
                529 => ("overloaded_error", "Overloaded"),
                _ => ("api_error", "Internal server error"),
            };
            ApiError::new(flavor, status, kind, message)
        }
    }
}

/// The body of an error, as a JSON value.
pub(crate) fn error_body(
    flavor: Flavor,
    kind: &str,
    message: &str,
    code: Option<&str>,
    param: Option<&str>,
) -> Value {
    match flavor {
        Flavor::OpenAi => json!({"error": {
            "message": message, "type": kind, "param": param, "code": code,
        }}),
        Flavor::Anthropic => json!({"type": "error", "error": {"type": kind, "message": message}}),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = *self.0;
        let body = match e.raw {
            Some(raw) => raw,
            None => error_body(
                e.flavor,
                &e.kind,
                &e.message,
                e.code.as_deref(),
                e.param.as_deref(),
            )
            .to_string(),
        };
        let mut response = (e.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if e.flavor == Flavor::Anthropic {
            headers.insert(
                "request-id",
                HeaderValue::from_static("req_fake0000000000000000"),
            );
        }
        if let Some(secs) = e.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// Parses a JSON request body; anything unreadable is a 400 `invalid_request_error`.
pub(crate) fn parse_json<T: DeserializeOwned>(flavor: Flavor, body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::invalid_request(flavor, format!("{e}")))
}
