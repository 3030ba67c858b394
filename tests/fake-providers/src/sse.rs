//! How the two providers frame their streams, for the kit's SSE writer: both send
//! `event: <type>` lines and no `data: [DONE]`; each has its own error event.

use fake_kit::sse::SseStyle;
use serde_json::{Value, json};

use crate::errors::{Flavor, error_body};

impl SseStyle for Flavor {
    const CONTENT_TYPE: &'static str = "text/event-stream; charset=utf-8";

    fn extra_headers(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Flavor::OpenAi => &[],
            Flavor::Anthropic => &[("request-id", "req_fake0000000000000000")],
        }
    }

    fn event_lines(self) -> bool {
        true
    }

    fn done(self) -> bool {
        false
    }

    fn error_event(self, sequence_number: u64) -> Value {
        match self {
            Flavor::OpenAi => json!({
                "type": "error",
                "code": "server_error",
                "message": "The fake OpenAI was told to fail this stream.",
                "param": null,
                "sequence_number": sequence_number,
            }),
            Flavor::Anthropic => error_body(self, "overloaded_error", "Overloaded", None, None),
        }
    }

    fn malformed_frame(self) -> &'static str {
        match self {
            Flavor::OpenAi => {
                "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\n\n"
            }
            Flavor::Anthropic => {
                "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":\n\n"
            }
        }
    }
}
