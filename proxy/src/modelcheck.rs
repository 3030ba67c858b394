//! The configured x.ai models at start-up and in `proxy check`: whether x.ai offers them, their
//! input modalities and prices, clients on a model dearer than the recommended fast ones for
//! the same job, and, for clients with `images = true`, whether the model takes image input
//! (`GET /v1/language-models/{id}`): one that does not refuses the config, not the visitor.

use std::collections::HashMap;

use tracing::{info, warn};

use crate::config::{Config, ProviderKind};
use crate::keycheck::xai_models;
use crate::upstream::UpstreamError;
use crate::upstream::http::UpstreamClient;
use crate::upstream::xai::account::{self, LanguageModel};

/// x.ai's fast models, which the proxy recommends (`default_model`): a client on a dearer one
/// is pointed at them.
pub const RECOMMENDED_XAI_MODELS: &[&str] =
    &["grok-4-1-fast-non-reasoning", "grok-4-1-fast-reasoning"];

/// What `report` found, for `proxy check` to print (serve logs it).
#[derive(Debug, Default)]
pub struct ModelReport {
    /// One line per configured x.ai model: input modalities and prices.
    pub lines: Vec<String>,
    /// Configured models x.ai does not offer to this key.
    pub unknown: Vec<String>,
    /// Clients on a model dearer than a recommended one that does the same job.
    pub dearer: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelProblem {
    #[error(
        "client \"{client}\" has images = true, but x.ai says model {model} takes only {modalities} \
         (GET /v1/language-models/{model}); choose a model with image input (e.g. {}) or set \
         images = false",
        RECOMMENDED_XAI_MODELS[0]
    )]
    NoImageInput {
        client: String,
        model: String,
        modalities: String,
    },
}

/// US dollars per million tokens, from x.ai's cents per 100 million.
fn per_m(cents_per_100m: u64) -> f64 {
    cents_per_100m as f64 / 10_000.0
}

/// Lists the x.ai clients' models with modalities and prices, and flags unknown and dear ones.
pub async fn report(xai: &UpstreamClient, config: &Config) -> ModelReport {
    let mut out = ModelReport::default();
    let models = xai_models(config);
    if models.is_empty() {
        return out;
    }
    let list = match account::language_models(xai).await {
        Ok(list) => list,
        Err(e) => {
            warn!(error = %e, "cannot list x.ai models; prices unknown");
            return out;
        }
    };
    let by_name: HashMap<&str, &LanguageModel> = list
        .iter()
        .flat_map(|m| {
            std::iter::once((m.id.as_str(), m))
                .chain(m.aliases.iter().map(move |a| (a.as_str(), m)))
        })
        .collect();
    for name in models {
        let Some(m) = by_name.get(name) else {
            warn!(
                model = name,
                "model is not offered to this key by x.ai (GET /v1/language-models)"
            );
            out.unknown.push(name.to_owned());
            continue;
        };
        let (prompt, image, completion) = (
            per_m(m.prompt_text_token_price),
            per_m(m.prompt_image_token_price),
            per_m(m.completion_text_token_price),
        );
        let modalities = m.input_modalities.join(", ");
        info!(
            model = name, input_modalities = %modalities,
            prompt_usd_per_m = prompt,
            cached_prompt_usd_per_m = per_m(m.cached_prompt_text_token_price),
            image_prompt_usd_per_m = image, completion_usd_per_m = completion,
            "model available"
        );
        out.lines.push(format!(
            "model {name}: input {modalities}; per million tokens ${prompt:.2} in \
             (images ${image:.2}), ${completion:.2} out"
        ));
    }
    for c in config
        .clients
        .iter()
        .filter(|c| c.provider == ProviderKind::Xai)
    {
        let Some(m) = by_name.get(c.model.as_str()) else {
            continue;
        };
        // The cheapest recommended model that does the job: images too, if the client takes them.
        let cheaper = RECOMMENDED_XAI_MODELS
            .iter()
            .filter_map(|r| by_name.get(r).copied())
            .filter(|r| r.id != m.id && (!c.images || r.takes_images()))
            .filter(|r| {
                r.prompt_text_token_price <= m.prompt_text_token_price
                    && r.completion_text_token_price <= m.completion_text_token_price
                    && (r.prompt_text_token_price < m.prompt_text_token_price
                        || r.completion_text_token_price < m.completion_text_token_price)
            })
            .min_by_key(|r| r.prompt_text_token_price + r.completion_text_token_price);
        if let Some(r) = cheaper {
            let line = format!(
                "client \"{}\" uses {} at ${:.2}/${:.2} per million tokens in/out; {} does the \
                 same job{} for ${:.2}/${:.2}",
                c.id,
                c.model,
                per_m(m.prompt_text_token_price),
                per_m(m.completion_text_token_price),
                r.id,
                if c.images { " (text and images)" } else { "" },
                per_m(r.prompt_text_token_price),
                per_m(r.completion_text_token_price),
            );
            warn!("{line}");
            out.dearer.push(line);
        }
    }
    out
}

/// Each x.ai client with `images = true` must use a model whose `input_modalities` include
/// `image`. A model x.ai does not know is `report`'s to flag; a check that cannot be made is
/// logged and skipped (the upstream then refuses the first image itself).
pub async fn check_image_input(xai: &UpstreamClient, config: &Config) -> Result<(), ModelProblem> {
    let clients = config
        .clients
        .iter()
        .filter(|c| c.provider == ProviderKind::Xai && c.images);
    let mut seen: HashMap<&str, bool> = HashMap::new();
    for c in clients {
        let takes = match seen.get(c.model.as_str()) {
            Some(t) => *t,
            None => match account::language_model(xai, &c.model).await {
                Ok(m) if m.takes_images() => true,
                Ok(m) => {
                    return Err(ModelProblem::NoImageInput {
                        client: c.id.clone(),
                        model: c.model.clone(),
                        modalities: match m.input_modalities.join(", ") {
                            s if s.is_empty() => "no listed input".to_owned(),
                            s => s,
                        },
                    });
                }
                Err(UpstreamError::Status { status: 404, .. }) => true,
                Err(e) => {
                    warn!(model = %c.model, error = %e, "cannot check whether the model takes images");
                    true
                }
            },
        };
        seen.insert(c.model.as_str(), takes);
        info!(client = %c.id, model = %c.model, "model takes image input");
    }
    Ok(())
}
