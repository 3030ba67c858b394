//! Conversation history the proxy keeps itself, for upstreams that store none (x.ai's legacy
//! chat-completions API, Anthropic's Messages API).
//!
//! Each reply gets a fresh opaque id that maps to the history up to and including it, so the
//! widget's `previous_response_id` works unchanged; an old id keeps working (a fork) until it
//! is evicted. History is stored once: each id holds only its own turn and a link to the turn
//! before it, so a long conversation costs its length once, not once per reply.
//!
//! Bounded everywhere: turns and bytes per conversation (the oldest turns are dropped past
//! either), ids and bytes in all (the oldest ids are evicted), and in Redis a time to live.
//! Backends: [`memory`] by default, [`redis`] when `redis_url` is set, so any replica can
//! continue any conversation.

mod memory;
mod redis;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::{ReplyEvent, ReplyStream, Turn, UpstreamError};

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

/// The history one turn continues, read from the store for this request only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// Oldest first, user/assistant pairs.
    messages: Vec<Message>,
    /// The id this history was read from: the next turn links to it.
    parent: String,
}

impl Conversation {
    pub fn as_slice(&self) -> &[Message] {
        &self.messages
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

pub type History = Arc<Conversation>;

/// How much the store may hold.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    pub max_conversations: usize,
    pub max_turns: usize,
    /// Text of one conversation; the oldest turns are dropped past it.
    pub max_conversation_bytes: usize,
    /// Text of all conversations; the oldest ids are evicted past it.
    pub max_total_bytes: usize,
    /// Redis only: how long an id is kept after it was written.
    pub ttl: Duration,
}

impl Caps {
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            max_conversations: config.max_conversations,
            max_turns: config.max_conversation_turns,
            max_conversation_bytes: config.max_conversation_bytes,
            max_total_bytes: config.max_conversation_store_bytes,
            ttl: config.conversation_ttl,
        }
    }
}

/// One stored turn, as both backends keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StoredTurn {
    user: String,
    assistant: String,
}

impl StoredTurn {
    fn bytes(&self) -> usize {
        self.user.len() + self.assistant.len()
    }
}

/// The newest turns of `turns` (oldest first) that fit both per-conversation caps; the turn
/// just taken always stays.
fn keep_newest(turns: &[StoredTurn], caps: &Caps) -> usize {
    let mut bytes = 0;
    let mut kept = 0;
    for t in turns.iter().rev() {
        if kept > 0 && (kept >= caps.max_turns || bytes + t.bytes() > caps.max_conversation_bytes) {
            break;
        }
        bytes += t.bytes();
        kept += 1;
    }
    kept
}

/// The chain stored for `turn` when it cannot simply link to its parent (a cap is reached, or the
/// parent is gone): the parent's turns (`known`) or, failing those, the history the turn was
/// answered with, then this turn, keeping the newest that fit the caps.
fn rebuilt(
    known: Option<Vec<StoredTurn>>,
    previous: Option<&History>,
    turn: StoredTurn,
    caps: &Caps,
) -> Vec<StoredTurn> {
    let mut turns = known.unwrap_or_else(|| {
        previous.map_or_else(Vec::new, |h| {
            h.messages
                .chunks(2)
                .map(|pair| StoredTurn {
                    user: pair[0].content.clone(),
                    assistant: pair.get(1).map(|m| m.content.clone()).unwrap_or_default(),
                })
                .collect()
        })
    });
    turns.push(turn);
    let kept = keep_newest(&turns, caps);
    turns.split_off(turns.len() - kept)
}

fn to_messages(turns: &[StoredTurn]) -> Vec<Message> {
    turns
        .iter()
        .flat_map(|t| {
            [
                Message {
                    role: Role::User,
                    content: t.user.clone(),
                },
                Message {
                    role: Role::Assistant,
                    content: t.assistant.clone(),
                },
            ]
        })
        .collect()
}

enum Backend {
    Memory(memory::MemoryConversations),
    Redis(redis::RedisConversations),
}

pub struct ConversationStore {
    backend: Backend,
    caps: Caps,
}

impl ConversationStore {
    /// An in-memory store with the given caps.
    pub fn in_memory(caps: Caps) -> Self {
        Self {
            backend: Backend::Memory(memory::MemoryConversations::default()),
            caps,
        }
    }

    /// Keeps at most `max_conversations` ids and `max_turns` user/assistant pairs each.
    pub fn new(max_conversations: usize, max_turns: usize) -> Self {
        Self::in_memory(Caps {
            max_conversations: max_conversations.max(1),
            max_turns: max_turns.max(1),
            max_conversation_bytes: usize::MAX,
            max_total_bytes: usize::MAX,
            ttl: Duration::from_secs(86_400),
        })
    }

    /// The store the configuration asks for: Redis when `redis_url` is set, else memory.
    pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Self> {
        let caps = Caps::from_config(config);
        Ok(match &config.redis_url {
            Some(url) => Self {
                backend: Backend::Redis(redis::RedisConversations::new(url)?),
                caps,
            },
            None => Self::in_memory(caps),
        })
    }

    /// The history up to and including `id`, or `None` when the id is unknown.
    pub async fn get(&self, id: &str) -> Result<Option<History>, UpstreamError> {
        let turns = match &self.backend {
            Backend::Memory(m) => m.get(id, self.caps.max_turns),
            Backend::Redis(r) => r.get(id, self.caps.max_turns).await?,
        };
        Ok(turns.map(|turns| {
            Arc::new(Conversation {
                messages: to_messages(&turns),
                parent: id.to_owned(),
            })
        }))
    }

    /// Stores this turn under `id`, linked to `previous`.
    pub async fn record(
        &self,
        id: String,
        previous: Option<&History>,
        user: &str,
        assistant: &str,
    ) -> Result<(), UpstreamError> {
        let turn = StoredTurn {
            user: user.to_owned(),
            assistant: assistant.to_owned(),
        };
        let parent = previous.map(|p| p.parent.as_str());
        match &self.backend {
            Backend::Memory(m) => {
                m.record(id, parent, previous, turn, &self.caps);
                Ok(())
            }
            Backend::Redis(r) => r.record(&id, parent, previous, turn, &self.caps).await,
        }
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

    /// Ids held (memory backend; Redis reports 0).
    pub fn len(&self) -> usize {
        match &self.backend {
            Backend::Memory(m) => m.len(),
            Backend::Redis(_) => 0,
        }
    }

    /// Bytes of text held (memory backend; Redis reports 0).
    pub fn bytes(&self) -> usize {
        match &self.backend {
            Backend::Memory(m) => m.bytes(),
            Backend::Redis(_) => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        assert_eq!(h.as_slice()[0].content, "u3");
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

    #[tokio::test]
    async fn a_long_conversation_is_stored_once_not_once_per_reply() {
        let s = ConversationStore::new(1000, 1000);
        let long = "x".repeat(10_000);
        let mut prev: Option<History> = None;
        for i in 0..50 {
            let id = format!("t{i}");
            s.record(id.clone(), prev.as_ref(), &long, "ok")
                .await
                .unwrap();
            prev = s.get(&id).await.unwrap();
        }
        assert_eq!(prev.unwrap().len(), 100, "the whole history is still there");
        // Deep copies would hold 50 * 51 / 2 turns of 10 KB (12.7 MB); stored once it is 50.
        assert!(s.bytes() <= 51 * 10_002, "{} bytes held", s.bytes());
    }

    #[tokio::test]
    async fn byte_caps_drop_old_turns_and_evict_old_conversations() {
        let s = ConversationStore::in_memory(Caps {
            max_conversations: 1000,
            max_turns: 1000,
            max_conversation_bytes: 25,
            max_total_bytes: 100,
            ttl: Duration::from_secs(60),
        });
        let mut prev: Option<History> = None;
        for i in 0..5 {
            let id = format!("t{i}");
            s.record(id.clone(), prev.as_ref(), "0123456789", "")
                .await
                .unwrap();
            prev = s.get(&id).await.unwrap();
        }
        assert_eq!(prev.unwrap().len(), 4, "two turns of 10 bytes fit in 25");
        for i in 0..20 {
            s.record(format!("other{i}"), None, "0123456789", "")
                .await
                .unwrap();
        }
        assert!(s.bytes() <= 100, "{}", s.bytes());
        assert!(
            s.get("t0").await.unwrap().is_none(),
            "the oldest went first"
        );
    }
}
