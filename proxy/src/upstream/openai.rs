//! OpenAI behind [`Provider`]: the Responses API (`POST {base}/responses`), which has x.ai's
//! request and stream shape with the differences listed in
//! `docs/upstreams.md#openai-responses-api`: `resp_…` ids, `{"error":{…}}` error bodies (only
//! ever logged, redacted) and no `data: [DONE]`. OpenAI stores the conversation
//! (`store: true`, `previous_response_id`).
//!
//! One more difference: OpenAI does not carry `instructions` over `previous_response_id`, so
//! the system prompt is sent on every turn (x.ai documents that the two cannot be combined; see
//! [`responses::CreateRequest::from_turn`]).
//!
//! No prices (cost is `None`) and no tokenizer call (the token cap counts bytes). No server
//! speech: the widget speaks OpenAI replies with the browser voice.

use super::http::{Auth, UpstreamClient};
use super::responses::{self, CreateRequest};
use super::sse::StreamLimits;
use super::{BoxFuture, Provider, Reply, ReplyStream, Turn, UpstreamError};
use crate::config::{ApiKey, ClientConfig, Config};

pub struct OpenAiProvider {
    http: UpstreamClient,
    limits: StreamLimits,
}

impl OpenAiProvider {
    pub fn new(config: &Config, key: ApiKey) -> anyhow::Result<Self> {
        Ok(Self {
            http: UpstreamClient::new(
                config,
                "openai",
                config.openai.base_url.clone(),
                key,
                Auth::Bearer,
            )?,
            limits: StreamLimits::from_config(config),
        })
    }
}

/// The Responses request for OpenAI: the x.ai one with `instructions` on every turn.
pub fn request(turn: &Turn, stream: bool) -> CreateRequest<'_> {
    CreateRequest {
        instructions: Some(turn.instructions.as_str()),
        ..CreateRequest::from_turn(turn, stream)
    }
}

impl Provider for OpenAiProvider {
    fn complete<'a>(
        &'a self,
        _client: &'a ClientConfig,
        turn: &'a Turn,
    ) -> BoxFuture<'a, Result<Reply, UpstreamError>> {
        Box::pin(async move { responses::create_with(&self.http, &request(turn, false)).await })
    }

    fn stream<'a>(
        &'a self,
        _client: &'a ClientConfig,
        turn: &'a Turn,
    ) -> BoxFuture<'a, Result<ReplyStream, UpstreamError>> {
        Box::pin(async move {
            responses::stream_with(&self.http, &request(turn, true), self.limits).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_go_with_every_turn() {
        let turn = Turn {
            model: "gpt-4.1-mini".into(),
            instructions: "Be brief.".into(),
            message: "hi".into(),
            images: Vec::new(),
            previous_response_id: Some("resp_abc".into()),
            max_output_tokens: Some(100),
        };
        let body = serde_json::to_value(request(&turn, true)).unwrap();
        assert_eq!(body["instructions"], "Be brief.");
        assert_eq!(body["previous_response_id"], "resp_abc");
        assert_eq!(body["stream"], true);
        assert_eq!(body["max_output_tokens"], 100);
    }
}
