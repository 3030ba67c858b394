//! Who may spend how much: rate limits (per IP, per session, per client), daily budgets (tokens
//! and dollars, reserved before a call and settled after), and conversation bookkeeping (which
//! session a reply belongs to, how many turns deep it is).
//!
//! State lives in memory, or in Redis when `redis_url` is set so several replicas share it.
//! When Redis cannot be reached the proxy refuses the turn (fail closed) unless the owner chose
//! `redis_fail_open = true`.

mod budget;
mod memory;
mod redis_store;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tracing::warn;

use crate::config::{ClientConfig, Config};

pub use budget::{Reservation, ReservationGuard};
pub use memory::MemoryStore;
pub use redis_store::RedisStore;

/// What a limit is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One address (an IPv6 /64) on one client.
    Ip,
    /// One address across every client of the proxy.
    ProxyIp,
    /// An IPv6 /48 across every client: one holder of a /48 has 65,536 /64s.
    Ipv6Site,
    Session,
    Client,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ip => "ip",
            Scope::ProxyIp => "proxy_ip",
            Scope::Ipv6Site => "ipv6_48",
            Scope::Session => "session",
            Scope::Client => "client",
        }
    }
}

/// A token bucket: `capacity` requests at once, refilled at `capacity` per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bucket {
    pub capacity: u32,
    pub period: Duration,
}

impl Bucket {
    pub fn per_minute(n: u32) -> Self {
        Self {
            capacity: n.max(1),
            period: Duration::from_secs(60),
        }
    }

    /// Time between two refilled tokens.
    pub fn emission_interval(&self) -> Duration {
        self.period / self.capacity
    }
}

/// Limiting key for an IP: the address, or its /64 for IPv6 (one household or phone gets a
/// whole /64, so per-address limits would be trivially dodged).
pub fn ip_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The coarser IPv6 key, the /48 a site or provider customer is usually given; `None` for IPv4.
pub fn ipv6_site_key(ip: IpAddr) -> Option<String> {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            Some(format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]))
        }
        _ => None,
    }
}

/// Who is asking, as the rate limits see it.
#[derive(Debug, Clone)]
pub struct Caller {
    /// [`ip_key`] of the visitor's address.
    pub ip: String,
    /// [`ipv6_site_key`] of it.
    pub ipv6_site: Option<String>,
    /// The session id, when the client uses session tokens.
    pub session: Option<String>,
}

impl Caller {
    pub fn new(ip: IpAddr, session: Option<&str>) -> Self {
        Self {
            ip: ip_key(ip),
            ipv6_site: ipv6_site_key(ip),
            session: session.map(str::to_owned),
        }
    }
}

/// A reply's place in a conversation: who owns it and how big it has grown. Every reply the
/// proxy hands out is recorded; an id without a record is refused, not taken for a new
/// conversation, since its history (and so its cost) is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRecord {
    /// The client (site) the conversation was started on.
    pub client: String,
    /// The session the conversation belongs to (empty without session tokens).
    pub session: String,
    /// Turns so far, this reply included.
    pub turns: u32,
    /// Tokens the conversation holds after this reply: what the upstream re-reads as input on
    /// the next turn (an upper bound, from the real usage of this turn).
    pub context_tokens: u64,
}

impl ConversationRecord {
    /// `turns|context|client|session`: the client id and session never contain `|`.
    fn encode(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.turns, self.context_tokens, self.client, self.session
        )
    }

    fn decode(value: &str) -> Option<Self> {
        let mut parts = value.splitn(4, '|');
        Some(Self {
            turns: parts.next()?.parse().ok()?,
            context_tokens: parts.next()?.parse().ok()?,
            client: parts.next()?.to_owned(),
            session: parts.next()?.to_owned(),
        })
    }
}

/// Store failures; only Redis can fail.
#[derive(Debug, thiserror::Error)]
#[error("the shared limits store is unreachable")]
pub struct StoreDown;

pub enum Store {
    Memory(MemoryStore),
    Redis(RedisStore),
}

impl Store {
    /// `Ok(None)`: allowed. `Ok(Some(wait))`: over the limit, retry after `wait`.
    async fn hit(&self, key: &str, bucket: Bucket) -> Result<Option<Duration>, StoreDown> {
        match self {
            Store::Memory(m) => Ok(m.hit(key, bucket)),
            Store::Redis(r) => r.hit(key, bucket).await,
        }
    }

    async fn reserve(
        &self,
        r: &Reservation,
        limit_tokens: u64,
        limit_micro: u64,
    ) -> Result<bool, StoreDown> {
        match self {
            Store::Memory(m) => Ok(m.reserve(r, limit_tokens, limit_micro)),
            Store::Redis(s) => s.reserve(r, limit_tokens, limit_micro).await,
        }
    }

    async fn settle(&self, r: &Reservation, tokens: u64, micro_usd: u64) -> Result<(), StoreDown> {
        match self {
            Store::Memory(m) => {
                m.settle(r, tokens, micro_usd);
                Ok(())
            }
            Store::Redis(s) => s.settle(r, tokens, micro_usd).await,
        }
    }

    async fn usage(&self, client: &str, day: &str) -> Result<(u64, u64), StoreDown> {
        match self {
            Store::Memory(m) => Ok(m.usage(client, day)),
            Store::Redis(s) => s.usage(client, day).await,
        }
    }

    async fn record_reply(
        &self,
        response_id: &str,
        rec: &ConversationRecord,
    ) -> Result<(), StoreDown> {
        match self {
            Store::Memory(m) => {
                m.record_reply(response_id, rec);
                Ok(())
            }
            Store::Redis(s) => s.record_reply(response_id, rec).await,
        }
    }

    async fn reply(&self, response_id: &str) -> Result<Option<ConversationRecord>, StoreDown> {
        match self {
            Store::Memory(m) => Ok(m.reply(response_id)),
            Store::Redis(s) => s.reply(response_id).await,
        }
    }

    pub async fn ping(&self) -> Result<(), StoreDown> {
        match self {
            Store::Memory(_) => Ok(()),
            Store::Redis(s) => s.ping().await,
        }
    }
}

/// Why a turn may not go ahead; the route maps these to HTTP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("rate limit reached; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("the daily budget is spent")]
    BudgetExhausted,
    #[error("the shared limits store is unreachable")]
    Unavailable,
}

pub struct Limits {
    store: Store,
    fail_open: bool,
    /// Proxy-wide bucket per address (all clients together).
    rate_per_ip: u32,
    /// Proxy-wide bucket per IPv6 /48.
    rate_per_ipv6_48: u32,
}

impl Limits {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let store = match &config.redis_url {
            Some(url) => Store::Redis(RedisStore::new(url)?),
            None => Store::Memory(MemoryStore::new()),
        };
        Ok(Self {
            store,
            fail_open: config.redis_fail_open,
            rate_per_ip: config.rate_per_ip,
            rate_per_ipv6_48: config.rate_per_ipv6_48,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A store failure: refuse (fail closed) or, if configured, let the turn through.
    fn down<T>(&self, what: &str, allow: T) -> Result<T, LimitError> {
        if self.fail_open {
            warn!(
                what,
                "limits store unreachable; allowing (redis_fail_open = true)"
            );
            metrics::counter!("limits_store_errors_total", "outcome" => "allowed").increment(1);
            Ok(allow)
        } else {
            warn!(what, "limits store unreachable; refusing (fail closed)");
            metrics::counter!("limits_store_errors_total", "outcome" => "refused").increment(1);
            Err(LimitError::Unavailable)
        }
    }

    /// Takes `weight` requests (a turn with images weighs one more per image) from every
    /// bucket the caller falls in: session, address on this client, address across the proxy,
    /// IPv6 /48, and the site. Over any: 429 with the wait.
    pub async fn check_rate(
        &self,
        client: &ClientConfig,
        caller: &Caller,
        weight: u32,
    ) -> Result<(), LimitError> {
        for _ in 0..weight.max(1) {
            self.check_rate_once(client, caller).await?;
        }
        Ok(())
    }

    async fn check_rate_once(
        &self,
        client: &ClientConfig,
        caller: &Caller,
    ) -> Result<(), LimitError> {
        // The narrowest scope first: one visitor's flood must not drain the wider buckets.
        let mut checks = Vec::with_capacity(5);
        if let Some(s) = &caller.session {
            checks.push((
                Scope::Session,
                format!("rl:s:{}:{s}", client.id),
                Bucket::per_minute(client.rate_per_session),
            ));
        }
        checks.push((
            Scope::Ip,
            format!("rl:i:{}:{}", client.id, caller.ip),
            Bucket::per_minute(client.rate_per_ip),
        ));
        checks.push((
            Scope::ProxyIp,
            format!("rl:pi:{}", caller.ip),
            Bucket::per_minute(self.rate_per_ip),
        ));
        if let Some(site) = &caller.ipv6_site {
            checks.push((
                Scope::Ipv6Site,
                format!("rl:p48:{site}"),
                Bucket::per_minute(self.rate_per_ipv6_48),
            ));
        }
        checks.push((
            Scope::Client,
            format!("rl:c:{}", client.id),
            Bucket::per_minute(client.rate_per_client),
        ));
        for (scope, key, bucket) in checks {
            match self.store.hit(&key, bucket).await {
                Ok(None) => {}
                Ok(Some(wait)) => {
                    metrics::counter!("limiter_rejections_total", "scope" => scope.as_str())
                        .increment(1);
                    warn!(client = %client.id, scope = scope.as_str(), "rate limit reached");
                    return Err(LimitError::RateLimited {
                        retry_after_secs: wait.as_secs().max(1),
                    });
                }
                Err(StoreDown) => return self.down("rate limit", ()),
            }
        }
        Ok(())
    }

    /// Reserves the most a turn may cost against the client's daily budgets. The guard settles
    /// the reservation however the turn ends.
    pub async fn reserve(
        self: &Arc<Self>,
        client: &ClientConfig,
        tokens: u64,
        micro_usd: u64,
    ) -> Result<ReservationGuard, LimitError> {
        if client.daily_token_budget == 0 && client.daily_micro_usd_budget == 0 {
            return Ok(ReservationGuard::none(self));
        }
        let r = Reservation {
            client: client.id.clone(),
            day: today(),
            tokens,
            micro_usd,
        };
        match self
            .store
            .reserve(&r, client.daily_token_budget, client.daily_micro_usd_budget)
            .await
        {
            Ok(true) => Ok(ReservationGuard::new(self, r)),
            Ok(false) => {
                metrics::counter!("limiter_rejections_total", "scope" => "budget").increment(1);
                warn!(client = %client.id, "daily budget exhausted; the assistant is unavailable until tomorrow (UTC)");
                Err(LimitError::BudgetExhausted)
            }
            Err(StoreDown) => self.down("budget", ReservationGuard::none(self)),
        }
    }

    /// Replaces a reservation with what the turn really cost.
    pub(super) async fn settle(&self, r: &Reservation, tokens: u64, micro_usd: u64) {
        metrics::gauge!("budget_reservations_open").decrement(1.0);
        if self.store.settle(r, tokens, micro_usd).await.is_err() {
            warn!(client = %r.client, tokens, micro_usd, "could not settle a budget reservation");
        }
    }

    /// Tokens and micro-dollars spent today by `client`.
    pub async fn usage_today(&self, client: &str) -> Result<(u64, u64), StoreDown> {
        self.store.usage(client, &today()).await
    }

    pub async fn record_reply(&self, response_id: &str, rec: &ConversationRecord) {
        if self.store.record_reply(response_id, rec).await.is_err() {
            warn!("could not record a reply in the limits store");
        }
    }

    /// The record of an earlier reply; `Ok(None)` when unknown.
    pub async fn reply(&self, response_id: &str) -> Result<Option<ConversationRecord>, LimitError> {
        match self.store.reply(response_id).await {
            Ok(r) => Ok(r),
            Err(StoreDown) => self.down("conversation lookup", None),
        }
    }
}

/// The budget day, UTC, as `YYYY-MM-DD`.
pub fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    civil_date(days as i64)
}

/// Days since 1970-01-01 → `YYYY-MM-DD` (Howard Hinnant's algorithm).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_is_limited_per_64_and_mapped_v4_as_v4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(ip_key(a), ip_key(b));
        assert_ne!(ip_key(a), ip_key("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(ip_key("::ffff:10.0.0.1".parse().unwrap()), "10.0.0.1");
    }

    #[test]
    fn civil_dates_are_right() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_000), "2024-10-04");
        assert_eq!(civil_date(11_016), "2000-02-29");
    }
}
