//! Conversation history the proxy keeps itself, for upstreams that store none (x.ai's legacy
//! chat-completions API, Anthropic's Messages API). Bounded in conversations and in turns per
//! conversation.
//!
//! Each reply gets a fresh opaque id that maps to the history up to and including it, so the
//! widget's `previous_response_id` works unchanged; an old id keeps working (a fork) until it
//! is evicted.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;

use super::{ReplyEvent, ReplyStream, Turn, UpstreamError};

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

#[derive(Debug)]
pub struct ConversationStore {
    inner: Mutex<Inner>,
    max_conversations: usize,
    max_messages: usize,
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
        }
    }

    pub fn get(&self, id: &str) -> Option<History> {
        self.lock().map.get(id).cloned()
    }

    /// Stores `previous` + this turn under `id`, dropping the oldest turns past the cap.
    pub fn record(&self, id: String, previous: Option<&History>, user: &str, assistant: &str) {
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
    }

    /// The history a turn continues: none for a first turn, `UnknownConversation` for an id
    /// this store does not hold (never issued, or evicted).
    pub fn history(&self, turn: &Turn) -> Result<Option<History>, UpstreamError> {
        match &turn.previous_response_id {
            None => Ok(None),
            Some(id) => self
                .get(id)
                .map(Some)
                .ok_or(UpstreamError::UnknownConversation),
        }
    }

    /// Records a finished turn under a fresh opaque id and returns the id.
    pub fn remember(&self, history: Option<&History>, user: &str, assistant: &str) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        self.record(id.clone(), history, user, assistant);
        id
    }

    /// Wraps a reply stream so its `Done` reply is recorded and carries the new id.
    pub fn remember_at_end(
        store: &Arc<Self>,
        inner: ReplyStream,
        history: Option<History>,
        message: String,
    ) -> ReplyStream {
        let store = Arc::clone(store);
        Box::pin(inner.map(move |item| match item {
            Ok(ReplyEvent::Done(mut reply)) => {
                reply.response_id = store.remember(history.as_ref(), &message, &reply.text);
                Ok(ReplyEvent::Done(reply))
            }
            other => other,
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

    #[test]
    fn history_grows_per_turn_and_old_ids_still_resolve() {
        let s = ConversationStore::new(10, 10);
        s.record("a".into(), None, "hi", "hello");
        let a = s.get("a").unwrap();
        s.record("b".into(), Some(&a), "again", "sure");
        assert_eq!(s.get("b").unwrap().len(), 4);
        assert_eq!(s.get("a").unwrap().len(), 2);
    }

    #[test]
    fn turns_beyond_the_cap_drop_the_oldest() {
        let s = ConversationStore::new(10, 2);
        let mut prev: Option<History> = None;
        for i in 0..5 {
            s.record(
                format!("t{i}"),
                prev.as_ref(),
                &format!("u{i}"),
                &format!("a{i}"),
            );
            prev = s.get(&format!("t{i}"));
        }
        let h = s.get("t4").unwrap();
        assert_eq!(h.len(), 4);
        assert_eq!(h[0].content, "u3");
    }

    #[test]
    fn the_oldest_conversations_are_evicted_past_the_cap() {
        let s = ConversationStore::new(3, 5);
        for i in 0..5 {
            s.record(format!("c{i}"), None, "u", "a");
        }
        assert_eq!(s.len(), 3);
        assert!(s.get("c0").is_none() && s.get("c1").is_none());
        assert!(s.get("c4").is_some());
    }
}
