//! Conversation mode, hands-free: once a reply has been spoken the microphone reopens by
//! itself, and what the visitor says is sent when they stop talking (the recogniser's final
//! result). It turns off when listening hears nothing for a while, on Escape, when the visitor
//! types, when the panel closes, and when the microphone is refused. The choice is remembered
//! like mute; after a reload it applies from the next use of the microphone, which never opens
//! by itself on a page that was just loaded.

use std::time::Duration;

use leptos::prelude::*;

use super::{Mic, UiState, persist};
use crate::browser::log;
use crate::browser::speech_recognition::Heard;
use crate::i18n::T;

/// Conversation mode's own bookkeeping.
#[derive(Default)]
pub struct Talk {
    /// Listen again once the current reply has been spoken.
    reopen: bool,
    /// Something (interim or final) was heard since listening started.
    heard: bool,
    /// A final transcript came since listening started (and was sent).
    sent: bool,
    /// Ends listening that hears nothing.
    timer: Option<TimeoutHandle>,
}

impl Talk {
    fn clear_timer(&mut self) {
        if let Some(t) = self.timer.take() {
            t.clear();
        }
    }
}

impl UiState {
    /// The conversation-mode button: on starts listening now (or once the reply speaking has
    /// ended).
    pub fn toggle_conversation(&self) {
        if self.conversation.get_untracked() {
            self.end_conversation(None);
            return;
        }
        self.conversation.set(true);
        self.talk.update_value(|t| t.reopen = true);
        // Inside the click: the reply's audio may start later without a tap.
        self.chat.voice.prepare();
        log::info("[widget] conversation mode on");
        self.conversation_step();
    }

    /// Conversation mode off (Escape, typing, the panel closing, silence): listening stops
    /// without sending what was heard.
    pub fn end_conversation(&self, note: Option<T>) {
        if self.conversation_off(note) {
            self.cancel_listening();
        }
    }

    /// Turns the mode off; false when it was off already.
    fn conversation_off(&self, note: Option<T>) -> bool {
        if !self.conversation.get_untracked() {
            return false;
        }
        self.conversation.set(false);
        self.talk.update_value(|t| {
            t.reopen = false;
            t.clear_timer();
        });
        if let Some(n) = note {
            self.notice.set(Some(self.chat.t(n)));
        }
        log::info("[widget] conversation mode off");
        true
    }

    /// Reopens the microphone once the reply has been spoken.
    fn conversation_step(&self) {
        let due = self.conversation.get_untracked()
            && self.open.get_untracked()
            && !self.chat.busy.get_untracked()
            && !self.chat.voice.speaking.get_untracked()
            && self.mic.get_untracked() == Mic::Ready
            && self.talk.with_value(|t| t.reopen);
        if due {
            self.talk.update_value(|t| t.reopen = false);
            self.listen();
        }
    }

    /// The effects behind conversation mode: it follows the panel, the turn, the voice and the
    /// microphone, and the choice is saved.
    pub fn conversation_effect(&self) {
        let ui = *self;
        Effect::new(move |_| persist::save_pref("conversation", ui.conversation.get()));
        Effect::new(move |_| {
            ui.conversation.track();
            ui.open.track();
            ui.chat.busy.track();
            ui.chat.voice.speaking.track();
            ui.mic.track();
            ui.conversation_step();
        });
    }

    /// Listening began: in conversation mode, listening that hears nothing ends the mode.
    pub(super) fn listening_started(&self) {
        if !self.conversation.get_untracked() {
            return;
        }
        let secs = self.settings.with_value(|s| s.conversation_timeout_secs);
        let ui = *self;
        let timer = set_timeout_with_handle(
            move || {
                let silent = ui.talk.with_value(|t| !t.heard);
                if silent && ui.mic.get_untracked() == Mic::Listening {
                    ui.end_conversation(Some(T::ConversationOff));
                }
            },
            Duration::from_secs(secs.into()),
        )
        .ok();
        self.talk.update_value(|t| {
            t.clear_timer();
            t.timer = timer;
            t.heard = false;
            t.sent = false;
        });
    }

    /// What the recogniser reported, as conversation mode sees it. Called from the
    /// recogniser's own callbacks, so it never drops the recogniser.
    pub(super) fn heard_in_conversation(&self, heard: &Heard) {
        if !self.conversation.get_untracked() {
            return;
        }
        match heard {
            Heard::Interim(_) => self.talk.update_value(|t| t.heard = true),
            Heard::Final(_) => self.talk.update_value(|t| {
                t.heard = true;
                t.sent = true;
                t.reopen = true;
                t.clear_timer();
            }),
            Heard::Error(e) => {
                self.conversation_off((e == "no-speech").then_some(T::ConversationOff));
            }
            Heard::End => {
                if !self.talk.with_value(|t| t.sent) {
                    self.conversation_off(Some(T::ConversationOff));
                }
            }
        }
    }
}
