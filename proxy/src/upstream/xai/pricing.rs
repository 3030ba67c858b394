//! Model prices from `GET /v1/language-models`, refreshed in the background and cached, and
//! the price of one reply.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tracing::warn;

use super::account::{self, LanguageModel};
use crate::upstream::TokenUsage;
use crate::upstream::http::UpstreamClient;

/// How long fetched prices are trusted.
const TTL: Duration = Duration::from_secs(3600);
/// After a failed fetch, how long to wait before asking again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(60);

/// Prices of one model in USD cents per 100 million tokens, as x.ai publishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prices {
    pub prompt: u64,
    pub cached_prompt: u64,
    pub completion: u64,
    /// Input tokens of an image (`prompt_image_token_price`).
    pub image_prompt: u64,
}

impl Prices {
    /// What a turn is estimated at when the model's prices are not known (yet): an expensive
    /// model ($30 per million tokens in and out), rather than a free one.
    pub const UNKNOWN: Prices = Prices {
        prompt: 300_000,
        cached_prompt: 300_000,
        completion: 300_000,
        image_prompt: 300_000,
    };

    /// US dollars for `usage`. Cached input tokens are billed at the cached price.
    pub fn cost_usd(&self, usage: &TokenUsage) -> f64 {
        let cached = usage.cached_input_tokens.min(usage.input_tokens);
        let fresh = usage.input_tokens - cached;
        let cents_per_100m = fresh as f64 * self.prompt as f64
            + cached as f64 * self.cached_prompt as f64
            + usage.output_tokens as f64 * self.completion as f64;
        cents_per_100m / 100_000_000.0 / 100.0
    }

    /// US dollars for an estimate whose input includes `image_tokens` of images, priced at
    /// the image price (the rest as [`Prices::cost_usd`]).
    pub fn estimate_usd(&self, usage: &TokenUsage, image_tokens: u64) -> f64 {
        let image_tokens = image_tokens.min(usage.input_tokens);
        let text = TokenUsage {
            input_tokens: usage.input_tokens - image_tokens,
            ..usage.clone()
        };
        self.cost_usd(&text) + image_tokens as f64 * self.image_prompt as f64 / 1e10
    }
}

#[derive(Default)]
struct Cache {
    by_model: HashMap<String, Prices>,
    fetched: Option<Instant>,
    failed: Option<Instant>,
}

impl Cache {
    fn due(&self) -> bool {
        let fresh = self.fetched.is_some_and(|t| t.elapsed() < TTL);
        let cooling = self
            .failed
            .is_some_and(|t| t.elapsed() < RETRY_AFTER_FAILURE);
        !fresh && !cooling
    }
}

/// Prices, refreshed in the background: a turn reads what is cached and never waits on
/// `/v1/language-models` (which may be slow or down); the last good prices serve meanwhile.
#[derive(Clone, Default)]
pub struct PriceBook {
    cache: Arc<RwLock<Cache>>,
    refreshing: Arc<AtomicBool>,
}

impl PriceBook {
    /// The cost of a reply: x.ai's own figure when it sent one, else computed from prices.
    pub async fn cost_usd(
        &self,
        xai: &UpstreamClient,
        model: &str,
        usage: &TokenUsage,
    ) -> Option<f64> {
        if let Some(ticks) = usage.cost_in_usd_ticks {
            return Some(ticks as f64 / 1e10);
        }
        self.prices(xai, model).await.map(|p| p.cost_usd(usage))
    }

    /// The cached prices of `model`; starts a background refresh when they are due.
    pub async fn prices(&self, xai: &UpstreamClient, model: &str) -> Option<Prices> {
        let (found, due) = {
            let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
            (cache.by_model.get(model).copied(), cache.due())
        };
        if due {
            self.refresh_in_background(xai);
        }
        found
    }

    /// Fetches prices once, unless a fetch is already running. No lock is held while waiting.
    fn refresh_in_background(&self, xai: &UpstreamClient) {
        if self.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let (book, xai) = (self.clone(), xai.clone());
        tokio::spawn(async move {
            let result = account::language_models(&xai).await;
            {
                let mut cache = book.cache.write().unwrap_or_else(|p| p.into_inner());
                match result {
                    Ok(models) => {
                        cache.by_model = index(&models);
                        cache.fetched = Some(Instant::now());
                        cache.failed = None;
                    }
                    Err(e) => {
                        warn!(error = %e, "cannot fetch model prices; the last known prices stay in use");
                        cache.failed = Some(Instant::now());
                    }
                }
            }
            book.refreshing.store(false, Ordering::Release);
        });
    }
}

/// Prices by id and by every alias.
pub fn index(models: &[LanguageModel]) -> HashMap<String, Prices> {
    let mut map = HashMap::new();
    for m in models {
        let p = Prices {
            prompt: m.prompt_text_token_price,
            cached_prompt: m.cached_prompt_text_token_price,
            completion: m.completion_text_token_price,
            // Not listed: images cost what text does.
            image_prompt: match m.prompt_image_token_price {
                0 => m.prompt_text_token_price,
                p => p,
            },
        };
        map.insert(m.id.clone(), p);
        for a in &m.aliases {
            map.insert(a.clone(), p);
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_uses_cents_per_hundred_million_tokens_and_cached_price() {
        // $2/M prompt, $0.5/M cached, $10/M completion.
        let p = Prices {
            prompt: 20_000,
            cached_prompt: 5_000,
            completion: 100_000,
            image_prompt: 40_000,
        };
        let usage = TokenUsage {
            input_tokens: 1_000_000,
            cached_input_tokens: 500_000,
            output_tokens: 100_000,
            ..Default::default()
        };
        let cost = p.cost_usd(&usage);
        // 0.5M * $2 + 0.5M * $0.5 + 0.1M * $10 = 1 + 0.25 + 1 = 2.25
        assert!((cost - 2.25).abs() < 1e-9, "{cost}");
        // 0.1M of the input were image tokens at $4/M instead of $2/M: + $0.2.
        let est = p.estimate_usd(&usage, 100_000);
        assert!((est - 2.45).abs() < 1e-9, "{est}");
    }
}
