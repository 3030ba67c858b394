//! Shared state in Redis for several replicas: every check is one Lua script, so it is atomic
//! across replicas, and it reads the time from Redis, so replica clocks do not matter.

use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};

use super::{Bucket, ConversationRecord, Reservation, StoreDown};

/// GCRA: one "theoretical arrival time" per key. Returns 0 when allowed, else the wait in ms.
const GCRA: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - interval * capacity
if allow_at > now then return allow_at - now end
redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now + 1000)
return 0
"#;

/// Reserve against a day's budget: refused once spent + reserved reaches a limit (0 = none).
const RESERVE: &str = r#"
local ut = tonumber(redis.call('HGET', KEYS[1], 'ut') or '0')
local rt = tonumber(redis.call('HGET', KEYS[1], 'rt') or '0')
local um = tonumber(redis.call('HGET', KEYS[1], 'um') or '0')
local rm = tonumber(redis.call('HGET', KEYS[1], 'rm') or '0')
local lt = tonumber(ARGV[3])
local lm = tonumber(ARGV[4])
if (lt > 0 and ut + rt >= lt) or (lm > 0 and um + rm >= lm) then return 0 end
redis.call('HINCRBY', KEYS[1], 'rt', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'rm', ARGV[2])
redis.call('EXPIRE', KEYS[1], 172800)
return 1
"#;

const SETTLE: &str = r#"
redis.call('HINCRBY', KEYS[1], 'rt', -tonumber(ARGV[1]))
redis.call('HINCRBY', KEYS[1], 'rm', -tonumber(ARGV[2]))
redis.call('HINCRBY', KEYS[1], 'ut', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'um', ARGV[4])
redis.call('EXPIRE', KEYS[1], 172800)
return 1
"#;

/// Conversations are kept by x.ai for 30 days; so are our records of them.
const REPLY_TTL_SECS: u64 = 30 * 86_400;

pub struct RedisStore {
    conn: ConnectionManager,
    gcra: Script,
    reserve: Script,
    settle: Script,
}

impl RedisStore {
    /// Connects lazily: a Redis that is down at start makes the proxy not ready, not dead.
    pub fn new(url: &str) -> anyhow::Result<Self> {
        let client =
            redis::Client::open(url).map_err(|e| anyhow::anyhow!("redis_url is not valid: {e}"))?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(1)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let conn = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(Self {
            conn,
            gcra: Script::new(GCRA),
            reserve: Script::new(RESERVE),
            settle: Script::new(SETTLE),
        })
    }

    pub async fn hit(&self, key: &str, bucket: Bucket) -> Result<Option<Duration>, StoreDown> {
        let interval = bucket.emission_interval().as_millis().max(1) as u64;
        let mut conn = self.conn.clone();
        let wait_ms: u64 = self
            .gcra
            .key(format!("gw:{key}"))
            .arg(interval)
            .arg(bucket.capacity)
            .invoke_async(&mut conn)
            .await
            .map_err(|_| StoreDown)?;
        Ok((wait_ms > 0).then(|| Duration::from_millis(wait_ms)))
    }

    fn budget_key(client: &str, day: &str) -> String {
        format!("gw:budget:{client}:{day}")
    }

    pub async fn reserve(
        &self,
        r: &Reservation,
        limit_tokens: u64,
        limit_micro: u64,
    ) -> Result<bool, StoreDown> {
        let mut conn = self.conn.clone();
        let ok: i64 = self
            .reserve
            .key(Self::budget_key(&r.client, &r.day))
            .arg(r.tokens)
            .arg(r.micro_usd)
            .arg(limit_tokens)
            .arg(limit_micro)
            .invoke_async(&mut conn)
            .await
            .map_err(|_| StoreDown)?;
        Ok(ok == 1)
    }

    pub async fn settle(
        &self,
        r: &Reservation,
        tokens: u64,
        micro_usd: u64,
    ) -> Result<(), StoreDown> {
        let mut conn = self.conn.clone();
        let _: i64 = self
            .settle
            .key(Self::budget_key(&r.client, &r.day))
            .arg(r.tokens)
            .arg(r.micro_usd)
            .arg(tokens)
            .arg(micro_usd)
            .invoke_async(&mut conn)
            .await
            .map_err(|_| StoreDown)?;
        Ok(())
    }

    pub async fn usage(&self, client: &str, day: &str) -> Result<(u64, u64), StoreDown> {
        let mut conn = self.conn.clone();
        let (ut, um): (Option<u64>, Option<u64>) = redis::cmd("HMGET")
            .arg(Self::budget_key(client, day))
            .arg("ut")
            .arg("um")
            .query_async(&mut conn)
            .await
            .map_err(|_| StoreDown)?;
        Ok((ut.unwrap_or(0), um.unwrap_or(0)))
    }

    pub async fn record_reply(
        &self,
        response_id: &str,
        rec: &ConversationRecord,
    ) -> Result<(), StoreDown> {
        let mut conn = self.conn.clone();
        let value = rec.encode();
        conn.set_ex::<_, _, ()>(format!("gw:reply:{response_id}"), value, REPLY_TTL_SECS)
            .await
            .map_err(|_| StoreDown)
    }

    pub async fn reply(&self, response_id: &str) -> Result<Option<ConversationRecord>, StoreDown> {
        let mut conn = self.conn.clone();
        let value: Option<String> = conn
            .get(format!("gw:reply:{response_id}"))
            .await
            .map_err(|_| StoreDown)?;
        // A record in an older format decodes to nothing: that conversation is refused as
        // unknown rather than continued with an unknown owner and size.
        Ok(value.as_deref().and_then(ConversationRecord::decode))
    }

    pub async fn ping(&self) -> Result<(), StoreDown> {
        let mut conn = self.conn.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map(|_| ())
            .map_err(|_| StoreDown)
    }
}
