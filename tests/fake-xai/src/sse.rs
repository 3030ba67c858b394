//! How x.ai frames its two kinds of stream, for the kit's SSE writer.

use fake_kit::sse::SseStyle;
use serde_json::{Value, json};

/// Which API's conventions the stream follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `/v1/responses`: `sequence_number`s, optional `event:` lines and `[DONE]`.
    Responses { event_lines: bool, done: bool },
    /// `/v1/chat/completions`: data-only, always `[DONE]`.
    Chat,
}

impl SseStyle for Flavor {
    fn event_lines(self) -> bool {
        matches!(
            self,
            Flavor::Responses {
                event_lines: true,
                ..
            }
        )
    }

    fn done(self) -> bool {
        match self {
            Flavor::Responses { done, .. } => done,
            Flavor::Chat => true,
        }
    }

    fn error_event(self, sequence_number: u64) -> Value {
        match self {
            Flavor::Responses { .. } => json!({
                "type": "error",
                "code": "internal_error",
                "message": "The fake x.ai was told to fail this stream.",
                "param": null,
                "sequence_number": sequence_number,
            }),
            // Chat streams have no documented error event; use the REST error body shape.
            Flavor::Chat => json!({
                "code": "internal",
                "error": "The fake x.ai was told to fail this stream.",
            }),
        }
    }

    /// Without an `event:` line, whatever the framing.
    fn malformed_frame(self) -> &'static str {
        "data: {\"type\":\"response.output_text.delta\",\"delta\":\n\n"
    }
}
