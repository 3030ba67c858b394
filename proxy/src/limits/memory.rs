//! In-process state for one replica: governor's keyed GCRA limiters, budgets and reply records
//! behind mutexes.

use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{Quota, RateLimiter};

use super::{Bucket, ConversationRecord, Reservation};

type Keyed =
    RateLimiter<String, governor::state::keyed::DefaultKeyedStateStore<String>, DefaultClock>;

/// Reply records kept at most; the oldest go first.
const MAX_REPLIES: usize = 200_000;

#[derive(Default)]
pub struct MemoryStore {
    limiters: Mutex<HashMap<Bucket, Arc<Keyed>>>,
    budgets: Mutex<HashMap<(String, String), Spend>>,
    replies: Mutex<Replies>,
    clock: DefaultClock,
}

#[derive(Debug, Default, Clone, Copy)]
struct Spend {
    used_tokens: u64,
    reserved_tokens: u64,
    used_micro: u64,
    reserved_micro: u64,
}

#[derive(Default)]
struct Replies {
    map: HashMap<String, ConversationRecord>,
    order: VecDeque<String>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn hit(&self, key: &str, bucket: Bucket) -> Option<Duration> {
        let limiter = {
            let mut map = lock(&self.limiters);
            Arc::clone(map.entry(bucket).or_insert_with(|| {
                let cap = NonZeroU32::new(bucket.capacity).unwrap_or(NonZeroU32::MIN);
                let quota = Quota::with_period(bucket.emission_interval())
                    .unwrap_or_else(|| Quota::per_minute(cap))
                    .allow_burst(cap);
                let limiter = Arc::new(RateLimiter::keyed(quota));
                // Forget idle keys now and then so the map does not grow with every IP seen.
                let weak = Arc::downgrade(&limiter);
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        match weak.upgrade() {
                            Some(l) => l.retain_recent(),
                            None => return,
                        }
                    }
                });
                limiter
            }))
        };
        match limiter.check_key(&key.to_owned()) {
            Ok(()) => None,
            Err(not_until) => Some(not_until.wait_time_from(self.clock.now())),
        }
    }

    pub fn reserve(&self, r: &Reservation, limit_tokens: u64, limit_micro: u64) -> bool {
        let mut budgets = lock(&self.budgets);
        let spend = budgets
            .entry((r.client.clone(), r.day.clone()))
            .or_default();
        if over(spend, limit_tokens, limit_micro) {
            return false;
        }
        spend.reserved_tokens += r.tokens;
        spend.reserved_micro += r.micro_usd;
        true
    }

    pub fn settle(&self, r: &Reservation, tokens: u64, micro_usd: u64) {
        let mut budgets = lock(&self.budgets);
        let spend = budgets
            .entry((r.client.clone(), r.day.clone()))
            .or_default();
        spend.reserved_tokens = spend.reserved_tokens.saturating_sub(r.tokens);
        spend.reserved_micro = spend.reserved_micro.saturating_sub(r.micro_usd);
        spend.used_tokens += tokens;
        spend.used_micro += micro_usd;
    }

    pub fn usage(&self, client: &str, day: &str) -> (u64, u64) {
        let budgets = lock(&self.budgets);
        budgets
            .get(&(client.to_owned(), day.to_owned()))
            .map_or((0, 0), |s| (s.used_tokens, s.used_micro))
    }

    pub fn record_reply(&self, response_id: &str, rec: &ConversationRecord) {
        let mut r = lock(&self.replies);
        if r.map.insert(response_id.to_owned(), rec.clone()).is_none() {
            r.order.push_back(response_id.to_owned());
        }
        while r.map.len() > MAX_REPLIES {
            if let Some(old) = r.order.pop_front() {
                r.map.remove(&old);
            }
        }
    }

    pub fn reply(&self, response_id: &str) -> Option<ConversationRecord> {
        lock(&self.replies).map.get(response_id).cloned()
    }
}

/// A new turn may start while anything is left: spent plus reserved below the limit. So at most
/// one reservation can overshoot, and only by what that turn really costs beyond the rest.
fn over(s: &Spend, limit_tokens: u64, limit_micro: u64) -> bool {
    (limit_tokens > 0 && s.used_tokens + s.reserved_tokens >= limit_tokens)
        || (limit_micro > 0 && s.used_micro + s.reserved_micro >= limit_micro)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(tokens: u64) -> Reservation {
        Reservation {
            client: "c".into(),
            day: "d".into(),
            tokens,
            micro_usd: 0,
        }
    }

    #[tokio::test]
    async fn a_burst_gets_exactly_the_bucket_capacity() {
        let s = MemoryStore::new();
        let b = Bucket::per_minute(5);
        let allowed = (0..50).filter(|_| s.hit("k", b).is_none()).count();
        assert_eq!(allowed, 5);
        let wait = s.hit("k", b).unwrap();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(12),
            "{wait:?}"
        );
        assert!(s.hit("other", b).is_none(), "keys are independent");
    }

    #[test]
    fn reservations_stop_once_the_budget_is_spoken_for() {
        let s = MemoryStore::new();
        assert!(s.reserve(&res(60), 100, 0));
        assert!(s.reserve(&res(30), 100, 0));
        assert!(s.reserve(&res(30), 100, 0), "90 < 100: one more may start");
        assert!(!s.reserve(&res(30), 100, 0), "120 >= 100");
        s.settle(&res(60), 10, 0);
        assert!(
            s.reserve(&res(30), 100, 0),
            "settled below the reservation frees room"
        );
        assert_eq!(s.usage("c", "d"), (10, 0));
    }
}
