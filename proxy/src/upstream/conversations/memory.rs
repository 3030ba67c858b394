//! Conversations in this process: each id holds its own turn and an `Arc` to the turn before,
//! so forks and continuations share their common history. The bytes counted are the bytes
//! alive: a turn is counted while any id still reaches it, whichever id stored it.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::{Caps, History, StoredTurn, rebuilt};

struct Node {
    turn: StoredTurn,
    parent: Option<Arc<Node>>,
    /// The store's count of live bytes, given back when this turn is freed.
    live: Arc<AtomicUsize>,
    /// Turns in the chain ending here.
    depth: usize,
    /// Text bytes of the chain ending here.
    chain_bytes: usize,
}

impl Node {
    fn new(turn: StoredTurn, parent: Option<Arc<Node>>, live: &Arc<AtomicUsize>) -> Arc<Node> {
        let (depth, bytes) = parent.as_ref().map_or((0, 0), |p| (p.depth, p.chain_bytes));
        live.fetch_add(turn.bytes(), Ordering::Relaxed);
        Arc::new(Node {
            depth: depth + 1,
            chain_bytes: bytes + turn.bytes(),
            turn,
            parent,
            live: Arc::clone(live),
        })
    }

    fn chain(from: Vec<StoredTurn>, live: &Arc<AtomicUsize>) -> Option<Arc<Node>> {
        from.into_iter()
            .fold(None, |parent, turn| Some(Node::new(turn, parent, live)))
    }

    /// The newest `max` turns of the chain ending here, oldest first.
    fn turns(self: &Arc<Self>, max: usize) -> Vec<StoredTurn> {
        let mut out = Vec::new();
        let mut node = Some(self);
        while let Some(n) = node {
            if out.len() >= max {
                break;
            }
            out.push(n.turn.clone());
            node = n.parent.as_ref();
        }
        out.reverse();
        out
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.live.fetch_sub(self.turn.bytes(), Ordering::Relaxed);
    }
}

#[derive(Default)]
struct Inner {
    map: HashMap<String, Arc<Node>>,
    /// Ids in insertion order, oldest first, for eviction.
    order: VecDeque<String>,
}

#[derive(Default)]
pub struct MemoryConversations {
    inner: Mutex<Inner>,
    live: Arc<AtomicUsize>,
}

impl MemoryConversations {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Every step under the lock leaves consistent data, so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, id: &str, max_turns: usize) -> Option<Vec<StoredTurn>> {
        let node = Arc::clone(self.lock().map.get(id)?);
        Some(node.turns(max_turns))
    }

    pub fn record(
        &self,
        id: String,
        parent: Option<&str>,
        previous: Option<&History>,
        turn: StoredTurn,
        caps: &Caps,
    ) {
        let mut inner = self.lock();
        let parent_node = parent.and_then(|p| inner.map.get(p)).map(Arc::clone);
        let fits = |p: &Node| {
            p.depth < caps.max_turns && p.chain_bytes + turn.bytes() <= caps.max_conversation_bytes
        };
        let node = match parent_node {
            Some(p) if fits(&p) => Node::new(turn, Some(p), &self.live),
            _ => {
                // Over a cap, or the parent was evicted meanwhile: a new chain of the newest
                // turns that fit, from the history this turn was answered with.
                let known = parent_node.as_ref().map(|p| p.turns(usize::MAX));
                let newest = rebuilt(known, previous, turn, caps);
                match Node::chain(newest, &self.live) {
                    Some(node) => node,
                    None => return,
                }
            }
        };
        if inner.map.insert(id.clone(), node).is_none() {
            inner.order.push_back(id);
        }
        // Evicting an id frees its turns once no newer id reaches them, so keep going (oldest
        // first) until the bytes alive fit.
        while (inner.map.len() > caps.max_conversations || self.bytes() > caps.max_total_bytes)
            && inner.order.len() > 1
        {
            if let Some(old) = inner.order.pop_front() {
                inner.map.remove(&old);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn bytes(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }
}
