//! The models the fake knows (ids, aliases, prices) and usage cost; the toy tokenizer is the
//! kit's.

pub(crate) use fake_kit::tokenizer::{count_tokens, fnv1a, tokenize, truncate_tokens, word_chunks};
use serde_json::{Value, json};

use crate::errors::ApiError;
use crate::reply::MessageContent;

/// A language model as the fake serves it. Prices are USD cents per 100 million tokens (spec §4),
/// which makes one price unit exactly one `cost_in_usd_ticks` per token.
#[derive(Debug)]
pub(crate) struct Model {
    pub id: &'static str,
    pub aliases: &'static [&'static str],
    /// Reasoning models emit a `reasoning` output item before the message.
    pub reasoning: bool,
    /// Takes image input (`input_modalities` has `image`); a text-only model refuses images.
    pub images: bool,
    pub prompt_price: u64,
    pub cached_prompt_price: u64,
    pub completion_price: u64,
    pub created: u64,
    pub version: &'static str,
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        id: "grok-4.3",
        aliases: &["grok-4.3-latest", "grok-latest"],
        images: true,
        reasoning: true,
        prompt_price: 30_000,
        cached_prompt_price: 7_500,
        completion_price: 150_000,
        created: 1_775_001_600,
        version: "4.3",
    },
    Model {
        id: "grok-4-1-fast-reasoning",
        aliases: &["grok-4-1-fast", "grok-4-1-fast-reasoning-latest"],
        images: true,
        reasoning: true,
        prompt_price: 2_000,
        cached_prompt_price: 500,
        completion_price: 5_000,
        created: 1_763_424_000,
        version: "4.1",
    },
    Model {
        id: "grok-4-1-fast-non-reasoning",
        aliases: &["grok-4-1-fast-non-reasoning-latest"],
        images: true,
        reasoning: false,
        prompt_price: 2_000,
        cached_prompt_price: 500,
        completion_price: 5_000,
        created: 1_763_424_000,
        version: "4.1",
    },
    Model {
        id: "grok-code-fast-1",
        aliases: &["grok-code-fast", "grok-code-fast-1-0825"],
        images: true,
        reasoning: true,
        prompt_price: 2_000,
        cached_prompt_price: 200,
        completion_price: 15_000,
        created: 1_755_993_600,
        version: "1.0",
    },
    Model {
        id: "grok-3-mini",
        aliases: &["grok-3-mini-latest", "grok-3-mini-beta"],
        images: false,
        reasoning: true,
        prompt_price: 3_000,
        cached_prompt_price: 750,
        completion_price: 5_000,
        created: 1_743_724_800,
        version: "1.0",
    },
];

/// Used when a `/v1/responses` request omits `model` (behaviour UNCONFIRMED, spec §2.1).
pub(crate) const DEFAULT_MODEL: &str = "grok-4-1-fast-non-reasoning";

/// Realtime voice models accepted in `/v1/realtime?model=` (spec §5.1).
pub(crate) const VOICE_MODELS: &[&str] = &[
    "grok-voice-latest",
    "grok-voice-think-fast-1.0",
    "grok-voice-think-fast-2.0",
    "grok-voice-3.0",
];

/// Refuses images the model cannot take or read, as x.ai answers: 400 `invalid-argument`.
pub(crate) fn check_images<'a>(
    model: &Model,
    contents: impl IntoIterator<Item = &'a MessageContent>,
) -> Result<(), ApiError> {
    for seen in contents.into_iter().flat_map(MessageContent::images) {
        if !model.images {
            return Err(ApiError::invalid_argument(format!(
                "Image inputs are not supported by model {}.",
                model.id
            )));
        }
        seen.map_err(|e| ApiError::invalid_argument(format!("Invalid image: {e}.")))?;
    }
    Ok(())
}

/// Resolves an id or alias.
pub(crate) fn find(name: &str) -> Option<&'static Model> {
    MODELS
        .iter()
        .find(|m| m.id == name || m.aliases.contains(&name))
}

impl Model {
    /// `cost_in_usd_ticks` for a turn.
    pub(crate) fn cost_ticks(&self, input_tokens: u64, output_tokens: u64) -> u64 {
        input_tokens * self.prompt_price + output_tokens * self.completion_price
    }

    /// The `/v1/models` shape.
    pub(crate) fn model_json(&self) -> Value {
        json!({
            "id": self.id,
            "created": self.created,
            "object": "model",
            "owned_by": "xai",
        })
    }

    /// The `/v1/language-models` shape.
    pub(crate) fn language_model_json(&self) -> Value {
        json!({
            "id": self.id,
            "fingerprint": format!("fp_{:010x}", fnv1a(self.id.as_bytes())),
            "created": self.created,
            "object": "model",
            "owned_by": "xai",
            "version": self.version,
            "input_modalities": if self.images { vec!["text", "image"] } else { vec!["text"] },
            "output_modalities": ["text"],
            "prompt_text_token_price": self.prompt_price,
            "cached_prompt_text_token_price": self.cached_prompt_price,
            "prompt_image_token_price": self.prompt_price,
            "completion_text_token_price": self.completion_price,
            "search_price": 250_000_000,
            "aliases": self.aliases,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_resolve() {
        assert_eq!(
            find("grok-code-fast").map(|m| m.id),
            Some("grok-code-fast-1")
        );
        assert!(find("grok-2-latest").is_none());
    }
}
