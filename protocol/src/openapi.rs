//! Schemas for the fields serde sees as plain strings but that always hold one of [`crate::codes`].

use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

fn one_of(codes: &[&str], description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(codes.iter().copied()))
        .description(Some(description))
        .build()
}

/// `error.code` of an error body and `code` of a stream's `error` event.
pub fn error_code() -> Object {
    one_of(
        crate::codes::ERRORS,
        "Stable machine-readable code; the HTTP status tells the class, the code the cause.",
    )
}

/// `tts_error` of a JSON reply and `code` of a stream's `audio_error` event.
pub fn speech_code() -> Object {
    one_of(
        crate::codes::SPEECH,
        "Why there is no server speech: the text stays valid; speak it with the browser voice.",
    )
}
