//! The conversation kept in `localStorage` and in step with other tabs of the same site: what is
//! saved, when, and how a stored conversation is adopted.

use leptos::prelude::*;

use super::{Chat, Message, Status, persist};
use crate::browser::page;

impl Chat {
    /// The conversation as it is to be stored; tracks the list, the statuses and the response
    /// id when called in an effect, but not the text (saved as it is at each turn boundary).
    /// A reply still arriving is saved empty: its text changes all the time, and tabs compare
    /// what they store.
    fn snapshot(&self) -> persist::Conversation {
        persist::Conversation {
            previous_response_id: self.previous_response_id.get(),
            messages: self
                .messages
                .get()
                .iter()
                .map(|m| {
                    let (text, status) = match m.status.get() {
                        Status::Streaming => (String::new(), Status::Streaming),
                        s => (m.text.get_untracked(), s),
                    };
                    persist::Saved {
                        id: Some(m.id),
                        role: m.role,
                        text,
                        status,
                        images: m.images.get_value(),
                    }
                })
                .collect(),
            draft: self.draft.get_untracked(),
        }
    }

    fn save(&self, conversation: persist::Conversation) {
        let key = persist::to_json(&persist::Conversation {
            draft: String::new(),
            ..conversation.clone()
        });
        if self.synced.with_value(|s| *s == key) {
            return;
        }
        self.synced.set_value(key);
        self.client_id
            .with_value(|id| persist::save(id, &conversation));
    }

    /// Another tab changed the stored conversation (`None`: it was cleared there). This tab
    /// follows: a cleared conversation is cleared here too (never written back), otherwise the
    /// stored messages are shown, plus this tab's turn in progress if the other had not seen it.
    pub fn adopt(&self, stored: Option<persist::Conversation>) {
        let Some(stored) = stored.filter(|c| !c.messages.is_empty()) else {
            self.synced
                .set_value(persist::to_json(&persist::Conversation::default()));
            if !self.messages.with_untracked(Vec::is_empty) {
                self.clear();
            }
            return;
        };
        self.synced
            .set_value(persist::to_json(&persist::Conversation {
                draft: String::new(),
                ..stored.clone()
            }));
        let turn = self.turn.get_value();
        let in_turn = |id: u64| turn.is_some_and(|(u, r)| id == u || id == r);
        let local = self.messages.get_untracked();
        let mut list: Vec<Message> = stored
            .messages
            .into_iter()
            .map(|s| {
                let id = s.id.unwrap_or_else(|| self.fresh_id());
                match local.iter().find(|m| m.id == id) {
                    // This tab's reply in progress is more current than any stored copy.
                    Some(m) if in_turn(id) => *m,
                    Some(m) => {
                        m.text.set(s.text);
                        m.status.set(s.status);
                        *m
                    }
                    None => {
                        let m = self.make(id, s.role, s.text, s.status);
                        m.images.set_value(s.images);
                        m
                    }
                }
            })
            .collect();
        for m in local.iter().filter(|m| in_turn(m.id)) {
            if !list.iter().any(|l| l.id == m.id) {
                list.push(*m);
            }
        }
        self.messages.set(list);
        if self
            .problem
            .with_untracked(|p| p.as_ref().is_some_and(|p| p.code == "interrupted"))
        {
            // The other tab may be the one still writing it.
            self.problem.set(None);
        }
        if !self.busy.get_untracked() {
            self.previous_response_id.set(stored.previous_response_id);
        }
    }

    /// Saves the reply in progress as far as it came, marked interrupted: the page is being
    /// left.
    pub fn save_on_leave(&self) {
        let Some((_, reply)) = self.turn.get_value() else {
            return;
        };
        // Marked here too: the stream breaking as the page goes must not overwrite it.
        if let Some(reply) = self
            .messages
            .with_untracked(|l| l.iter().find(|m| m.id == reply).copied())
        {
            reply.status.set(Status::Interrupted);
        }
        self.save(self.snapshot());
    }

    /// Saves at every turn boundary: tracks the list, each status and the response id, but
    /// not the streaming text. Follows the other tabs' changes, and saves the reply in
    /// progress when the page is left.
    pub fn persist_effect(&self) {
        let chat = *self;
        Effect::new(move |_| chat.save(chat.snapshot()));
        let key = self.client_id.with_value(|id| persist::key(id));
        let listeners = page::on_storage(key, move |json| {
            chat.adopt(json.and_then(|j| persist::from_json(&j)));
        })
        .into_iter()
        .chain(page::on_pagehide(move || chat.save_on_leave()))
        .collect::<Vec<_>>();
        StoredValue::new_local(listeners);
        Effect::new(move |_| {
            let muted = chat.muted.get();
            persist::save_pref("muted", muted);
            // Takes effect at once: muting silences what is speaking; unmuting mid-reply
            // speaks from the sentence on screen.
            if muted {
                chat.voice.silence();
            } else {
                chat.voice.unmute();
            }
        });
    }
}
