//! Conversations in Redis, shared by every replica: one key per reply holding its own turn and
//! its parent's id (`gw:turn:<id>`, with a time to live). Writing a turn and enforcing the
//! count and byte caps is one Lua script, so replicas cannot race past them; reading a history
//! walks the parent links in one script too.

use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use tracing::warn;

use super::{Caps, History, StoredTurn, UpstreamError, rebuilt};

/// The newest turns of a chain, newest first: ARGV[1] the id, ARGV[2] the most to read.
const READ: &str = r#"
local out = {}
local id = ARGV[1]
for i = 1, tonumber(ARGV[2]) do
  local v = redis.call('GET', 'gw:turn:' .. id)
  if not v then break end
  out[#out + 1] = v
  local parent = cjson.decode(v)['p']
  if type(parent) ~= 'string' then break end
  id = parent
end
return out
"#;

/// Stores one turn and evicts the oldest ids past the caps. ARGV: id, value, own bytes, ttl
/// secs, max ids, max bytes, now (ms). The index `gw:conv:ids` (by write time) and the byte
/// counts `gw:conv:own` let ids that expired on their own be forgotten too.
const WRITE: &str = r#"
local id, ttl = ARGV[1], tonumber(ARGV[4])
local max_ids, max_bytes, now = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local function forget(old)
  local own = tonumber(redis.call('HGET', 'gw:conv:own', old) or '0')
  redis.call('HDEL', 'gw:conv:own', old)
  redis.call('ZREM', 'gw:conv:ids', old)
  redis.call('DEL', 'gw:turn:' .. old)
  redis.call('DECRBY', 'gw:conv:bytes', own)
end
for _, old in ipairs(redis.call('ZRANGEBYSCORE', 'gw:conv:ids', '-inf', now - ttl * 1000)) do
  forget(old)
end
if redis.call('HEXISTS', 'gw:conv:own', id) == 1 then forget(id) end
redis.call('SET', 'gw:turn:' .. id, ARGV[2], 'EX', ttl)
redis.call('ZADD', 'gw:conv:ids', now, id)
redis.call('HSET', 'gw:conv:own', id, ARGV[3])
redis.call('INCRBY', 'gw:conv:bytes', ARGV[3])
while redis.call('ZCARD', 'gw:conv:ids') > 1 and
      (redis.call('ZCARD', 'gw:conv:ids') > max_ids or
       tonumber(redis.call('GET', 'gw:conv:bytes') or '0') > max_bytes) do
  local oldest = redis.call('ZRANGE', 'gw:conv:ids', 0, 0)[1]
  forget(oldest)
end
return 1
"#;

/// One key's value. A chain rebuilt under the caps is stored whole in its first key (`t`).
#[derive(Debug, Serialize, Deserialize)]
struct Value {
    /// The parent id, when the chain continues in another key.
    p: Option<String>,
    /// Turns this key holds, oldest first (usually one).
    t: Vec<StoredTurn>,
    /// Turns and text bytes of the chain ending here.
    n: usize,
    b: usize,
}

pub struct RedisConversations {
    conn: ConnectionManager,
    read: Script,
    write: Script,
}

fn down(e: &redis::RedisError) -> UpstreamError {
    warn!(error = %e, "conversation store unreachable");
    UpstreamError::StoreUnavailable
}

impl RedisConversations {
    pub fn new(url: &str) -> anyhow::Result<Self> {
        let client =
            redis::Client::open(url).map_err(|e| anyhow::anyhow!("redis_url is not valid: {e}"))?;
        let settings = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(1)))
            .set_number_of_retries(1);
        Ok(Self {
            conn: ConnectionManager::new_lazy_with_config(client, settings)?,
            read: Script::new(READ),
            write: Script::new(WRITE),
        })
    }

    async fn chain(
        &self,
        id: &str,
        max_turns: usize,
    ) -> Result<Option<(Vec<StoredTurn>, usize, usize)>, UpstreamError> {
        let mut conn = self.conn.clone();
        let raw: Vec<String> = self
            .read
            .arg(id)
            .arg(max_turns)
            .invoke_async(&mut conn)
            .await
            .map_err(|e| down(&e))?;
        let Some(first) = raw.first() else {
            return Ok(None);
        };
        let head: Value =
            serde_json::from_str(first).map_err(|_| UpstreamError::StoreUnavailable)?;
        let (depth, bytes) = (head.n, head.b);
        let mut turns = Vec::new();
        for v in raw.iter().rev() {
            let v: Value = serde_json::from_str(v).map_err(|_| UpstreamError::StoreUnavailable)?;
            turns.extend(v.t);
        }
        let skip = turns.len().saturating_sub(max_turns);
        turns.drain(..skip);
        Ok(Some((turns, depth, bytes)))
    }

    pub async fn get(
        &self,
        id: &str,
        max_turns: usize,
    ) -> Result<Option<Vec<StoredTurn>>, UpstreamError> {
        Ok(self.chain(id, max_turns).await?.map(|(turns, _, _)| turns))
    }

    pub async fn record(
        &self,
        id: &str,
        parent: Option<&str>,
        previous: Option<&History>,
        turn: StoredTurn,
        caps: &Caps,
    ) -> Result<(), UpstreamError> {
        let parent_chain = match parent {
            Some(p) => self.chain(p, caps.max_turns).await?,
            None => None,
        };
        let value = match (parent, parent_chain) {
            (Some(p), Some((_, depth, bytes)))
                if depth < caps.max_turns
                    && bytes + turn.bytes() <= caps.max_conversation_bytes =>
            {
                Value {
                    p: Some(p.to_owned()),
                    n: depth + 1,
                    b: bytes + turn.bytes(),
                    t: vec![turn],
                }
            }
            (_, chain) => {
                // Over a cap, or the parent expired: the newest turns that fit, stored whole.
                let turns = rebuilt(chain.map(|(turns, _, _)| turns), previous, turn, caps);
                Value {
                    p: None,
                    n: turns.len(),
                    b: turns.iter().map(StoredTurn::bytes).sum(),
                    t: turns,
                }
            }
        };
        let own: usize = value.t.iter().map(StoredTurn::bytes).sum();
        let json = serde_json::to_string(&value).map_err(|_| UpstreamError::StoreUnavailable)?;
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let mut conn = self.conn.clone();
        let _: i64 = self
            .write
            .arg(id)
            .arg(json)
            .arg(own)
            .arg(caps.ttl.as_secs().max(1))
            .arg(caps.max_conversations)
            .arg(caps.max_total_bytes)
            .arg(now_ms)
            .invoke_async(&mut conn)
            .await
            .map_err(|e| down(&e))?;
        Ok(())
    }
}
