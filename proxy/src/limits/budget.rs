//! Daily budgets: what one turn reserves, and the guard that settles it however the turn ends.

use std::sync::Arc;

use tracing::warn;

use super::Limits;

/// Amounts reserved for one turn; settle them with [`Limits::settle`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub client: String,
    pub day: String,
    pub tokens: u64,
    pub micro_usd: u64,
}

/// A budget reservation that is always settled: with the real cost when the turn finishes, or,
/// when it ends any other way (upstream error, visitor hang-up, timeout, panic), with an estimate
/// of what the upstream may have billed. Dropping it is the "any other way".
pub struct ReservationGuard {
    limits: Arc<Limits>,
    reservation: Option<Reservation>,
    /// Tokens the upstream bills even if the turn dies at once: the input it was sent.
    input_tokens: u64,
    /// Bytes of reply received so far (a token is at least a byte... of text, usually ~4).
    output_bytes: u64,
    /// The real token usage once the upstream reported it, with its price when known.
    real: Option<(u64, Option<u64>)>,
    /// Speech paid for, in micro-dollars.
    speech_micro: u64,
}

impl ReservationGuard {
    pub(super) fn none(limits: &Arc<Limits>) -> Self {
        Self {
            limits: Arc::clone(limits),
            reservation: None,
            input_tokens: 0,
            output_bytes: 0,
            real: None,
            speech_micro: 0,
        }
    }

    pub(super) fn new(limits: &Arc<Limits>, r: Reservation) -> Self {
        metrics::gauge!("budget_reservations_open").increment(1.0);
        let mut guard = Self::none(limits);
        guard.reservation = Some(r);
        guard
    }

    /// The input the upstream is sent, in tokens (an estimate is fine: an upper bound).
    pub fn set_input_tokens(&mut self, tokens: u64) {
        self.input_tokens = tokens;
    }

    /// Reply text received so far, for the estimate if the turn dies mid-stream.
    pub fn add_output_bytes(&mut self, bytes: usize) {
        self.output_bytes += bytes as u64;
    }

    /// What the upstream reported the turn used, and what it cost when the price is known.
    pub fn set_real(&mut self, tokens: u64, micro_usd: Option<u64>) {
        self.real = Some((tokens, micro_usd));
    }

    pub fn add_speech_micro(&mut self, micro_usd: u64) {
        self.speech_micro += micro_usd;
    }

    /// Settles now: the real usage when known, else the estimate.
    pub async fn settle(mut self) {
        if let Some(r) = self.reservation.take() {
            let (tokens, micro) = self.amounts(&r);
            self.limits.settle(&r, tokens, micro).await;
        }
    }

    fn amounts(&self, r: &Reservation) -> (u64, u64) {
        let (tokens, micro) = match self.real {
            Some((tokens, Some(micro))) => (tokens, micro),
            Some((tokens, None)) => (tokens, Self::pro_rata(r, tokens)),
            None => {
                // Unknown usage: bill the input and ~4 bytes a token of what arrived, never more
                // than was reserved.
                let tokens = (self.input_tokens + self.output_bytes.div_ceil(4)).min(r.tokens);
                (tokens, Self::pro_rata(r, tokens))
            }
        };
        (tokens, micro + self.speech_micro)
    }

    /// Dollars for `tokens` at the reservation's own rate (the model's prices, or the
    /// expensive guess when they were unknown).
    fn pro_rata(r: &Reservation, tokens: u64) -> u64 {
        if r.tokens == 0 {
            return r.micro_usd;
        }
        (u128::from(r.micro_usd) * u128::from(tokens)).div_ceil(u128::from(r.tokens)) as u64
    }
}

impl Drop for ReservationGuard {
    fn drop(&mut self) {
        let Some(r) = self.reservation.take() else {
            return;
        };
        let (tokens, micro) = self.amounts(&r);
        let limits = Arc::clone(&self.limits);
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move { limits.settle(&r, tokens, micro).await });
            }
            Err(_) => {
                warn!(client = %r.client, "a budget reservation was dropped outside the runtime")
            }
        }
    }
}
