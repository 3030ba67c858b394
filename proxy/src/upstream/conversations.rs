//! Conversation history the proxy keeps itself, for upstreams that store none (x.ai's legacy
//! chat-completions API, Anthropic's Messages API). Bounded in conversations and in turns per
//! conversation.
//!
//! Each reply gets a fresh opaque id that maps to the history up to and including it, so the
//! widget's `previous_response_id` works unchanged; an old id keeps working (a fork) until it
//! is evicted. In memory by default; with `redis_url` in Redis (JSON per id, kept 30 days), so
//! any replica can continue any conversation.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use tracing::warn;

use super::{ReplyEvent, ReplyStream, Turn, UpstreamError};

/// How long Redis keeps a conversation: as long as x.ai keeps stored responses.
const REDIS_TTL_SECS: u64 = 30 * 86_400;

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

pub type History = Arc<Vec<Message>>;

pub struct ConversationStore {
    inner: Mutex<Inner>,
    max_conversations: usize,
    max_messages: usize,
    /// When set, conversations live here instead of `inner`.
    redis: Option<ConnectionManager>,
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<String, History>,
    /// Ids in insertion order, oldest first, for eviction.
    order: VecDeque<String>,
}

impl ConversationStore {
    /// Keeps at most `max_conversations` ids and `max_turns` user/assistant pairs each.
    pub fn new(max_conversations: usize, max_turns: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            max_conversations: max_conversations.max(1),
            max_messages: max_turns.max(1) * 2,
            redis: None,
        }
    }

    /// The store the configuration asks for: Redis when `redis_url` is set, else memory.
    pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Self> {
        let mut store = Self::new(config.max_conversations, config.max_conversation_turns);
        if let Some(url) = &config.redis_url {
            let client = redis::Client::open(url.as_str())
                .map_err(|e| anyhow::anyhow!("redis_url is not valid: {e}"))?;
            let settings = redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(Some(std::time::Duration::from_secs(1)))
                .set_response_timeout(Some(std::time::Duration::from_secs(1)))
                .set_number_of_retries(1);
            store.redis = Some(ConnectionManager::new_lazy_with_config(client, settings)?);
        }
        Ok(store)
    }

    pub async fn get(&self, id: &str) -> Result<Option<History>, UpstreamError> {
        let Some(conn) = &self.redis else {
            return Ok(self.lock().map.get(id).cloned());
        };
        let mut conn = conn.clone();
        let json: Option<String> = conn.get(format!("gw:conv:{id}")).await.map_err(|e| {
            warn!(error = %e, "conversation store unreachable");
            UpstreamError::StoreUnavailable
        })?;
        Ok(json
            .and_then(|j| serde_json::from_str::<Vec<Message>>(&j).ok())
            .map(Arc::new))
    }

    /// Stores `previous` + this turn under `id`, dropping the oldest turns past the cap.
    pub async fn record(
        &self,
        id: String,
        previous: Option<&History>,
        user: &str,
        assistant: &str,
    ) -> Result<(), UpstreamError> {
        let mut messages: Vec<Message> = previous.map(|h| h.as_ref().clone()).unwrap_or_default();
        messages.push(Message {
            role: Role::User,
            content: user.to_owned(),
        });
        messages.push(Message {
            role: Role::Assistant,
            content: assistant.to_owned(),
        });
        if messages.len() > self.max_messages {
            messages.drain(..messages.len() - self.max_messages);
        }
        if let Some(conn) = &self.redis {
            let json =
                serde_json::to_string(&messages).map_err(|_| UpstreamError::StoreUnavailable)?;
            let mut conn = conn.clone();
            return conn
                .set_ex::<_, _, ()>(format!("gw:conv:{id}"), json, REDIS_TTL_SECS)
                .await
                .map_err(|e| {
                    warn!(error = %e, "conversation store unreachable");
                    UpstreamError::StoreUnavailable
                });
        }
        let mut inner = self.lock();
        if inner.map.insert(id.clone(), Arc::new(messages)).is_none() {
            inner.order.push_back(id);
        }
        while inner.map.len() > self.max_conversations {
            match inner.order.pop_front() {
                Some(old) => {
                    inner.map.remove(&old);
                }
                None => break,
            }
        }
        Ok(())
    }

    /// The history a turn continues: none for a first turn, `UnknownConversation` for an id
    /// this store does not hold (never issued, or evicted).
    pub async fn history(&self, turn: &Turn) -> Result<Option<History>, UpstreamError> {
        match &turn.previous_response_id {
            None => Ok(None),
            Some(id) => self
                .get(id)
                .await?
                .map(Some)
                .ok_or(UpstreamError::UnknownConversation),
        }
    }

    /// Records a finished turn under a fresh opaque id and returns the id.
    pub async fn remember(
        &self,
        history: Option<&History>,
        user: &str,
        assistant: &str,
    ) -> Result<String, UpstreamError> {
        let id = uuid::Uuid::new_v4().to_string();
        self.record(id.clone(), history, user, assistant).await?;
        Ok(id)
    }

    /// Wraps a reply stream so its `Done` reply is recorded and carries the new id.
    pub fn remember_at_end(
        store: &Arc<Self>,
        inner: ReplyStream,
        history: Option<History>,
        message: String,
    ) -> ReplyStream {
        let store = Arc::clone(store);
        Box::pin(inner.then(move |item| {
            let (store, history, message) = (Arc::clone(&store), history.clone(), message.clone());
            async move {
                match item {
                    Ok(ReplyEvent::Done(mut reply)) => {
                        reply.response_id = store
                            .remember(history.as_ref(), &message, &reply.text)
                            .await?;
                        Ok(ReplyEvent::Done(reply))
                    }
                    other => other,
                }
            }
        }))
    }

    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data (each step is atomic), so a
        // poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn history_grows_per_turn_and_old_ids_still_resolve() {
        let s = ConversationStore::new(10, 10);
        s.record("a".into(), None, "hi", "hello").await.unwrap();
        let a = s.get("a").await.unwrap().unwrap();
        s.record("b".into(), Some(&a), "again", "sure")
            .await
            .unwrap();
        assert_eq!(s.get("b").await.unwrap().unwrap().len(), 4);
        assert_eq!(s.get("a").await.unwrap().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn turns_beyond_the_cap_drop_the_oldest() {
        let s = ConversationStore::new(10, 2);
        let mut prev: Option<History> = None;
        for i in 0..5 {
            s.record(
                format!("t{i}"),
                prev.as_ref(),
                &format!("u{i}"),
                &format!("a{i}"),
            )
            .await
            .unwrap();
            prev = s.get(&format!("t{i}")).await.unwrap();
        }
        let h = s.get("t4").await.unwrap().unwrap();
        assert_eq!(h.len(), 4);
        assert_eq!(h[0].content, "u3");
    }

    #[tokio::test]
    async fn the_oldest_conversations_are_evicted_past_the_cap() {
        let s = ConversationStore::new(3, 5);
        for i in 0..5 {
            s.record(format!("c{i}"), None, "u", "a").await.unwrap();
        }
        assert_eq!(s.len(), 3);
        assert!(s.get("c0").await.unwrap().is_none() && s.get("c1").await.unwrap().is_none());
        assert!(s.get("c4").await.unwrap().is_some());
    }
}
