//! Whether a chat turn may go ahead, and what it holds while it runs. One entry point,
//! [`admit`], checks in order, before anything is sent upstream: known client, allowed origin,
//! valid session, a well-formed message, images ([`super::images`]) and voice, the
//! conversation's owner and size, the rate limits (an image counts as a message), the token
//! cap, a free upstream slot, and the daily budget, which is reserved for the most the turn
//! can cost (text, images and speech) and settled however the turn ends.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::{HeaderMap, header};
use protocol::ChatRequest;
use tokio::sync::OwnedSemaphorePermit;
use tracing::warn;

use super::{AppState, images, refuse_origin};
use crate::client_ip::client_ip;
use crate::config::ClientConfig;
use crate::error::{AppError, from_upstream};
use crate::limits::{Caller, ReservationGuard};
use crate::session;
use crate::speech::SpeechPlan;
use crate::upstream::xai::pricing::Prices;
use crate::upstream::{TokenUsage, Turn};

/// Longest `previous_response_id` accepted; x.ai's are 36-character UUIDs.
const MAX_RESPONSE_ID_LEN: usize = 128;

/// Tokens added to every input estimate for the request's framing (roles, separators).
const FRAMING_TOKENS: u64 = 512;

/// A turn that passed every check, with what it holds until it ends.
pub struct Admitted {
    pub client: Arc<ClientConfig>,
    pub turn: Turn,
    /// Speech for this reply, when the client has server voice.
    pub speech: Option<SpeechPlan>,
    /// The session the conversation belongs to ("" without session tokens).
    pub session: String,
    /// Turns of the conversation including this one.
    pub turns: u32,
    /// Tokens of the conversation before this turn (0 for a first turn).
    pub context_tokens: u64,
    /// The daily budget's reservation; settles itself if the turn dies.
    pub budget: ReservationGuard,
    /// A slot of the global cap on concurrent upstream calls, released when dropped.
    _slot: OwnedSemaphorePermit,
}

impl Admitted {
    /// Tokens the conversation holds once `usage` is added: the next turn's input. The real
    /// counts when the upstream sent them, else bytes (a token is at least one byte).
    pub fn context_after(&self, usage: &TokenUsage, reply_text: &str) -> u64 {
        let reported = usage.input_tokens + usage.output_tokens;
        if reported > 0 {
            reported
        } else {
            self.context_tokens + self.turn.message.len() as u64 + reply_text.len() as u64
        }
    }
}

pub async fn admit(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    req: ChatRequest,
) -> Result<Admitted, AppError> {
    let client = state.client(&req.client_id)?;
    let origin = check_origin(&client, headers)?;
    let session = if client.session_tokens {
        verify_session(state, &client, headers, origin.as_deref())?
    } else {
        String::new()
    };

    let message = req.message.trim();
    let images = images::check(&client, &req.images)?;
    if message.is_empty() && images.is_empty() {
        return Err(AppError::InvalidRequest("the message is empty".into()));
    }
    let chars = message.chars().count();
    if chars > client.max_message_chars {
        return Err(AppError::MessageTooLong(format!(
            "the message is {chars} characters long; the limit is {}",
            client.max_message_chars
        )));
    }
    if let Some(voice) = &req.voice
        && !client.voices.iter().any(|v| v.eq_ignore_ascii_case(voice))
    {
        return Err(AppError::InvalidRequest(format!(
            "the voice \"{}\" is not offered here; choose one of: {}",
            voice.chars().take(32).collect::<String>().escape_debug(),
            client.voices.join(", ")
        )));
    }
    if let Some(lang) = &req.language
        && !crate::config::strings::is_language_tag(lang)
    {
        return Err(AppError::InvalidRequest(
            "language must be a BCP-47 tag like fr or pt-BR".into(),
        ));
    }
    let (turns, context_tokens) = match &req.previous_response_id {
        None => (1, 0),
        Some(id) => continued(state, &client, &session, id).await?,
    };

    let ip = client_ip(peer, headers, &state.config.trusted_proxies);
    let caller = Caller::new(ip, client.session_tokens.then_some(session.as_str()));
    // An image costs far more than a line of text: each counts as one more message.
    let weight = 1 + images.len() as u32;
    state.limits.check_rate(&client, &caller, weight).await?;

    if let Some(limit) = client.max_input_tokens {
        // A token is at least one byte, so only messages longer than the limit in bytes can be
        // over it: count those (and only those) with the provider's count (x.ai's tokenizer).
        if message.len() > limit as usize {
            let tokens = state
                .chat
                .count_tokens(&client, message)
                .await
                .map_err(|e| from_upstream(&e, false))?;
            if tokens > limit as usize {
                return Err(AppError::MessageTooLong(format!(
                    "the message is {tokens} tokens long; the limit is {limit}. Please shorten it."
                )));
            }
        }
    }

    let slot = Arc::clone(&state.upstream_slots)
        .try_acquire_owned()
        .map_err(|_| {
            metrics::counter!("limiter_rejections_total", "scope" => "concurrency").increment(1);
            warn!(client = %client.id, "all upstream slots are busy");
            AppError::Overloaded
        })?;

    // The most this turn can cost. Input: the message (at most a token per byte), the
    // conversation so far (its real size, recorded with its last reply), the system prompt on a
    // first turn, and framing. Output: the cap the upstream is sent. Speech: the most the
    // reply's plan lets the voice service be paid for.
    let max_output = u64::from(client.max_output_tokens.unwrap_or(1024));
    let instructions = if turns == 1 {
        client.instructions.len() as u64
    } else {
        0
    };
    // Images: an upper bound from their pixel size (the upstream's usage settles it).
    let image_tokens: u64 = images.iter().map(|i| i.estimated_tokens()).sum();
    let est_input =
        message.len() as u64 + context_tokens + instructions + FRAMING_TOKENS + image_tokens;
    let estimate = TokenUsage {
        input_tokens: est_input,
        output_tokens: max_output,
        total_tokens: est_input + max_output,
        ..TokenUsage::default()
    };
    // Unknown prices: assume an expensive model rather than a free one.
    let prices = state.chat.prices(&client).await.unwrap_or(Prices::UNKNOWN);
    let text_micro = (prices.estimate_usd(&estimate, image_tokens) * 1e6).ceil() as u64;
    let speech = SpeechPlan::for_client(
        &client,
        req.voice.as_deref(),
        req.language.as_deref(),
        &state.config.voice,
    );
    let speech_micro = speech.as_ref().map_or(0, SpeechPlan::max_cost_micro_usd);
    let mut budget = state
        .limits
        .reserve(&client, estimate.total_tokens, text_micro + speech_micro)
        .await?;
    // Billed even if the turn dies at once: the input, at ~4 bytes a token for the new text.
    budget.set_input_tokens(
        context_tokens + (message.len() as u64 + instructions).div_ceil(4) + image_tokens,
    );

    let turn = Turn {
        model: client.model.clone(),
        instructions: client.instructions.clone(),
        message: message.to_owned(),
        images,
        previous_response_id: req.previous_response_id,
        max_output_tokens: client.max_output_tokens,
    };
    Ok(Admitted {
        client,
        turn,
        speech,
        session,
        turns,
        context_tokens,
        budget,
        _slot: slot,
    })
}

/// A continued conversation must be one this proxy handed out, on this client and session:
/// an unknown id (never issued here, issued by another application on the same x.ai team, or
/// forgotten) has an unknown size and owner, so it is refused. Returns the turn number and the
/// conversation's size so far.
async fn continued(
    state: &AppState,
    client: &ClientConfig,
    session: &str,
    id: &str,
) -> Result<(u32, u64), AppError> {
    let well_formed = !id.is_empty()
        && id.len() <= MAX_RESPONSE_ID_LEN
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !well_formed {
        return Err(AppError::InvalidRequest(
            "previous_response_id is not a valid id".into(),
        ));
    }
    // Someone else's conversation looks exactly like an unknown one.
    let rec = match state.limits.reply(id).await? {
        None => return Err(AppError::ConversationNotFound),
        Some(rec) if rec.client != client.id => {
            warn!(client = %client.id, "previous_response_id from another client refused");
            return Err(AppError::ConversationNotFound);
        }
        Some(rec) if client.session_tokens && rec.session != session => {
            warn!(client = %client.id, "previous_response_id from another session refused");
            return Err(AppError::ConversationNotFound);
        }
        Some(rec) => rec,
    };
    let turns = rec.turns + 1;
    if turns > client.max_turns {
        return Err(AppError::ConversationTooLong);
    }
    Ok((turns, rec.context_tokens))
}

/// The session id inside the request's `X-Widget-Session` token.
fn verify_session(
    state: &AppState,
    client: &ClientConfig,
    headers: &HeaderMap,
    origin: Option<&str>,
) -> Result<String, AppError> {
    let token = headers
        .get("x-widget-session")
        .and_then(|v| v.to_str().ok())
        .ok_or(AppError::SessionInvalid)?;
    let secret = &state.config.session_secret;
    let now = session::now();
    session::verify(secret, token, &client.id, origin.unwrap_or(""), now)
        .or_else(|| {
            // A same-origin page fetched its token without an `Origin` header; the token is
            // bound to the host it was fetched from instead.
            let binding = session::same_origin_binding(origin?, headers)?;
            session::verify(secret, token, &client.id, &binding, now)
        })
        .ok_or(AppError::SessionInvalid)
}

/// Exact match of the `Origin` header against the client's list. No header: refused unless the
/// owner allowed server-to-server use. `Origin: null` never matches (no list can contain it).
fn check_origin(client: &ClientConfig, headers: &HeaderMap) -> Result<Option<String>, AppError> {
    match headers.get(header::ORIGIN) {
        None if client.allow_server_to_server => Ok(None),
        None => Err(AppError::OriginNotAllowed),
        Some(origin) => {
            let origin = origin.to_str().map_err(|_| AppError::OriginNotAllowed)?;
            if client.allows_origin(origin) {
                Ok(Some(origin.to_owned()))
            } else {
                Err(refuse_origin(client, origin))
            }
        }
    }
}
