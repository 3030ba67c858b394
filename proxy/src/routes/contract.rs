//! What the handlers' `#[utoipa::path]` annotations name besides `protocol` types: the error
//! responses of each route (built from [`AppError`]), the stream's frame, the header docs. A
//! leaf: the handlers use it, and `openapi` puts it all together.

use std::collections::BTreeMap;

use protocol::{ErrorBody, StreamEvent};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{
    AllOfBuilder, ObjectBuilder, OneOfBuilder, Ref, Schema, SchemaFormat, Type,
};
use utoipa::openapi::{KnownFormat, RefOr};
use utoipa::{IntoResponses, PartialSchema, ToSchema};

use crate::error::AppError;

/// Request headers of the chat routes, for `#[utoipa::path(params(...))]`.
pub const ORIGIN_DOC: &str = "The page's origin, which browsers send themselves; it must be one of \
    the client's `allowed_origins`. Without it the request is refused (403 `origin_not_allowed`) \
    unless the client sets `allow_server_to_server = true`.";
pub const SESSION_DOC: &str = "The `session_token` of `GET /api/clients/{client_id}`, fetched \
    from the same origin. Required when the site has `session_tokens = true` (the default); \
    missing, expired or from another origin: 403 `session_invalid`.";

/// One frame of `POST /api/chat/stream`: `event: <name>` and `data: <StreamEvent as JSON>`,
/// the event's name the same as the data's `type`. Comment lines (`: keep-alive`) may come in
/// between and carry nothing.
pub struct SseEvent;

impl PartialSchema for SseEvent {
    fn schema() -> RefOr<Schema> {
        let frames = StreamEvent::NAMES.iter().map(|name| {
            let data = AllOfBuilder::new()
                .item(Ref::from_schema_name(<StreamEvent as ToSchema>::name()))
                .item(
                    ObjectBuilder::new()
                        .property("type", one_value(name))
                        .required("type"),
                );
            ObjectBuilder::new()
                .property("event", one_value(name))
                .property(
                    "data",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .content_media_type("application/json")
                        .content_schema(Some(data)),
                )
                .required("event")
                .required("data")
        });
        let mut one_of = OneOfBuilder::new().description(Some(
            "One server-sent event: `event` names it, `data` is the JSON of that `StreamEvent`. \
             `delta`s come as the text arrives, `audio` (or `audio_error`) for each sentence in \
             order, then exactly one `done` or `error`, last.",
        ));
        for frame in frames {
            one_of = one_of.item(frame);
        }
        Schema::OneOf(one_of.build()).into()
    }
}

impl ToSchema for SseEvent {}

fn one_value(value: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some([value]))
}

/// The errors of the two chat routes: every check of a turn, the body's reading and the
/// upstream's failures.
pub struct TurnErrors;

impl IntoResponses for TurnErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        error_responses(AppError::samples().into_iter().filter(|e| {
            !matches!(
                e,
                AppError::NotFound | AppError::MethodNotAllowed | AppError::Internal
            )
        }))
    }
}

/// The errors of `GET /api/clients/{client_id}`.
pub struct ClientErrors;

impl IntoResponses for ClientErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        error_responses(AppError::samples().into_iter().filter(|e| {
            matches!(
                e,
                AppError::BadRequest(_)
                    | AppError::UnknownClient(_)
                    | AppError::OriginNotAllowed
                    | AppError::PayloadTooLarge
                    | AppError::BodyTimeout
            )
        }))
    }
}

/// One response per status: the error body, its `code` narrowed to the codes that status
/// carries, an example of each, and `Retry-After` where one of them sets it.
fn error_responses(
    errors: impl Iterator<Item = AppError>,
) -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
    let mut by_status: BTreeMap<u16, Vec<AppError>> = BTreeMap::new();
    for e in errors {
        by_status.entry(e.status().as_u16()).or_default().push(e);
    }
    by_status
        .into_iter()
        .map(|(status, errors)| {
            let mut codes: Vec<&str> = errors.iter().map(AppError::code).collect();
            codes.dedup();
            let narrowed = AllOfBuilder::new()
                .item(Ref::from_schema_name(ErrorBody::name()))
                .item(
                    ObjectBuilder::new()
                        .property(
                            "error",
                            ObjectBuilder::new().property(
                                "code",
                                ObjectBuilder::new()
                                    .schema_type(Type::String)
                                    .enum_values(Some(codes.iter().copied())),
                            ),
                        )
                        .required("error"),
                );
            let examples = errors.iter().map(|e| {
                let body = serde_json::to_value(e.body()).unwrap_or_default();
                (
                    e.code(),
                    utoipa::openapi::example::ExampleBuilder::new().value(Some(body)),
                )
            });
            let content = ContentBuilder::new()
                .schema(Some(narrowed))
                .examples_from_iter(examples)
                .build();
            let description = errors
                .iter()
                .map(|e| format!("`{}`: {}", e.code(), e))
                .collect::<Vec<_>>()
                .join("; ");
            let mut response = ResponseBuilder::new()
                .description(description)
                .content("application/json", content);
            if errors.iter().any(|e| e.retry_after_secs().is_some()) {
                response = response.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(Some(
                            ObjectBuilder::new()
                                .schema_type(Type::Integer)
                                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                                .minimum(Some(0)),
                        ))
                        .description(Some(
                            "Seconds to wait before trying again, when known (the same as \
                             `error.retry_after_secs`)",
                        ))
                        .build(),
                );
            }
            (status.to_string(), response.build().into())
        })
        .collect()
}
