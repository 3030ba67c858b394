//! The chat store: the conversation, the turn in progress, the problem to show, and its
//! persistence (an `Effect` saves at every turn boundary).

mod attach;
mod conversation;
pub mod persist;
mod storage;
mod turn;
pub mod ui;
pub mod voice;
pub mod wording;

use leptos::prelude::*;
use web_sys::AbortController;

use crate::browser::log;
use crate::i18n::{T, word};
use crate::speech::TtsOptions;
pub use attach::Attachment;
pub use turn::dispatch_error;
use turn::dispatch_message;
pub use ui::{Mic, UiState};
pub use voice::Voice;
pub use wording::{describe, thousands};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Done,
    /// The reply is arriving.
    Streaming,
    /// The visitor pressed Stop; the text is what arrived.
    Stopped,
    /// The turn failed; for a reply, the text is what arrived before the failure.
    Failed,
    /// The page was left (reloaded, closed) while the reply arrived; the text is what came.
    Interrupted,
}

/// The longest message the proxy accepts (its default `max_message_chars`).
pub const MAX_CHARS: usize = 4000;

/// One message in the log. `Copy`: its parts are signals, so a streaming reply updates only
/// its own text.
#[derive(Debug, Clone, Copy)]
pub struct Message {
    /// Unique across tabs (a random base per page plus a counter), and stored: two tabs showing
    /// the same conversation agree on it.
    pub id: u64,
    pub role: Role,
    pub text: RwSignal<String>,
    pub status: RwSignal<Status>,
    /// Thumbnails of the images sent with it, shown above the text (`""`: a placeholder).
    pub images: StoredValue<Vec<String>>,
}

/// What went wrong, in words a visitor can read.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub code: String,
    pub message: String,
    /// The text Retry sends again; `None` when retrying makes no sense.
    pub retry: Option<String>,
}

#[derive(Clone, Copy)]
pub struct Chat {
    client_id: StoredValue<String>,
    proxy_url: StoredValue<String>,
    pub messages: RwSignal<Vec<Message>>,
    pub previous_response_id: RwSignal<Option<String>>,
    /// A reply is being generated.
    pub busy: RwSignal<bool>,
    pub problem: RwSignal<Option<Problem>>,
    /// The composer's text; lives here so a failed send can put the message back.
    pub draft: RwSignal<String>,
    pub muted: RwSignal<bool>,
    /// Speaks the replies.
    pub voice: Voice,
    /// The site's `voice_enabled`: the proxy sends audio with the reply.
    pub server_voice: StoredValue<bool>,
    /// The proxy offers speech in pieces (`ClientInfo.audio_pieces`).
    pub audio_pieces: StoredValue<bool>,
    /// The client's voices (`ClientInfo.voices`) and the one chosen on the page.
    voices: StoredValue<Vec<String>>,
    pub chosen_voice: RwSignal<Option<String>>,
    /// `ClientInfo.session_token`, sent back as `X-Widget-Session`.
    pub session_token: StoredValue<Option<String>>,
    /// `ClientInfo.stt_language`.
    pub stt_language: StoredValue<Option<String>>,
    /// The interface language (`ClientInfo.language`; `""` until the proxy said) and its
    /// words (`ClientInfo.strings`). Every text reads `lang`, so setting it redraws them.
    pub lang: RwSignal<String>,
    pub text: StoredValue<Vec<String>>,
    /// The site takes images (`ClientInfo.images`), how many to a message and how large.
    /// (Signal and value types the widget already has: each new one costs bundle size.)
    pub images_allowed: RwSignal<bool>,
    pub max_images: StoredValue<u64>,
    pub max_image_bytes: StoredValue<u64>,
    /// Images in the composer, to go with the next message; one still being prepared
    /// (decoded and scaled) has no `data_url` yet.
    pub attachments: RwSignal<Vec<Attachment>>,
    /// Why the last image could not be attached.
    pub attach_note: RwSignal<Option<String>>,
    /// The full images of the last message sent, by its id: a retry sends them again. Held
    /// in memory only, never stored.
    sent_images: StoredValue<Option<(u64, Vec<Attachment>)>>,
    abort: StoredValue<Option<AbortController>, LocalStorage>,
    next_id: StoredValue<u64>,
    /// The user message and reply of the turn in progress in this tab.
    turn: StoredValue<Option<(u64, u64)>>,
    /// Sent when the reply in progress ends (Enter while a reply streams).
    pub queued: RwSignal<Option<String>>,
    /// What "New conversation" cleared, while Undo is offered.
    pub undo: RwSignal<Option<(Vec<Message>, Option<String>)>>,
    /// The conversation as stored (without the draft) when this tab last wrote or read it:
    /// what another tab wrote is not written back.
    synced: StoredValue<String>,
    /// Owns the messages' signals. Not the owner current at `send`: that may be a view (the
    /// Retry button) which the send itself removes, taking its signals with it.
    owner: StoredValue<Owner, LocalStorage>,
}

/// Which automatic retries a turn may still make.
#[derive(Clone, Copy)]
struct Retries {
    /// The stored conversation expired at x.ai: start a new one.
    conversation: bool,
    /// The session token expired: fetch a fresh one.
    session: bool,
}

const ALL_RETRIES: Retries = Retries {
    conversation: true,
    session: true,
};

impl Chat {
    pub fn new(client_id: String, proxy_url: String, tts: TtsOptions) -> Self {
        let saved = persist::load(&client_id);
        let muted = RwSignal::new(persist::load_pref("muted"));
        let chat = Self {
            client_id: StoredValue::new(client_id),
            proxy_url: StoredValue::new(proxy_url),
            messages: RwSignal::new(Vec::new()),
            previous_response_id: RwSignal::new(saved.previous_response_id),
            busy: RwSignal::new(false),
            problem: RwSignal::new(None),
            draft: RwSignal::new(saved.draft),
            muted,
            voice: Voice::new(tts, muted),
            server_voice: StoredValue::new(true),
            audio_pieces: StoredValue::new(false),
            voices: StoredValue::new(Vec::new()),
            chosen_voice: RwSignal::new(None),
            session_token: StoredValue::new(None),
            stt_language: StoredValue::new(None),
            lang: RwSignal::new(String::new()),
            text: StoredValue::new(Vec::new()),
            images_allowed: RwSignal::new(false),
            max_images: StoredValue::new(0),
            max_image_bytes: StoredValue::new(0),
            attachments: RwSignal::new(Vec::new()),
            attach_note: RwSignal::new(None),
            sent_images: StoredValue::new(None),
            abort: StoredValue::new_local(None),
            // Ids from other tabs must not collide with this page's: a random base (2^52 is
            // still exact in a JSON number).
            next_id: StoredValue::new(((js_sys::Math::random() * 4_294_967_296.0) as u64) << 20),
            turn: StoredValue::new(None),
            queued: RwSignal::new(None),
            undo: RwSignal::new(None),
            synced: StoredValue::new(String::new()),
            owner: StoredValue::new_local(Owner::new()),
        };
        let mut last = None;
        for m in saved.messages {
            // No reply streams into a page that just loaded: one saved as arriving was cut off
            // when the page was left.
            let status = match m.status {
                Status::Streaming => Status::Interrupted,
                s => s,
            };
            last = Some(chat.push_with(m.id, m.role, m.text, status, m.images));
        }
        if let Some(reply) = last.filter(|m| m.status.get_untracked() == Status::Interrupted)
            && let Some(question) = chat.question_before(reply.id)
        {
            chat.problem.set(Some(Problem {
                code: "interrupted".into(),
                message: chat.t(T::LeftPage),
                retry: Some(question.text.get_untracked()),
            }));
        }
        chat
    }

    /// The interface's word for `key` in the chosen language (reactive: redrawn when the
    /// language arrives).
    pub fn t(&self, key: T) -> String {
        self.lang.track();
        self.text.with_value(|list| word(list, key).to_owned())
    }

    /// [`Chat::t`] as a reactive text for a view. One closure type for every key (the key is
    /// data), so the views' attribute and text code is generated once, not once per label.
    pub fn tr(self, key: T) -> impl Fn() -> String + Copy + 'static {
        move || self.t(key)
    }

    /// [`Chat::t`] with `{name}` replaced by `value`.
    pub fn fill(&self, key: T, name: &str, value: &str) -> String {
        self.t(key).replace(name, value)
    }

    /// The visitor's message just before message `id`.
    fn question_before(&self, id: u64) -> Option<Message> {
        self.messages.with_untracked(|list| {
            let i = list.iter().position(|m| m.id == id)?;
            list[..i].last().filter(|m| m.role == Role::User).copied()
        })
    }

    fn fresh_id(&self) -> u64 {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        id
    }

    fn make(&self, id: u64, role: Role, text: String, status: Status) -> Message {
        self.owner.with_value(|owner| {
            owner.with(|| Message {
                id,
                role,
                text: RwSignal::new(text),
                status: RwSignal::new(status),
                images: StoredValue::new(Vec::new()),
            })
        })
    }

    /// Appends a message; `id` when it has one already (stored), else a fresh one.
    fn push(&self, id: Option<u64>, role: Role, text: String, status: Status) -> Message {
        self.push_with(id, role, text, status, Vec::new())
    }

    /// [`Chat::push`] with image thumbnails.
    fn push_with(
        &self,
        id: Option<u64>,
        role: Role,
        text: String,
        status: Status,
        images: Vec<String>,
    ) -> Message {
        let id = id.unwrap_or_else(|| self.fresh_id());
        let m = self.make(id, role, text, status);
        m.images.set_value(images);
        self.messages.update(|list| list.push(m));
        m
    }

    fn remove(&self, id: u64) {
        self.messages.update(|list| list.retain(|m| m.id != id));
    }

    /// The client's voices, from `ClientInfo`; a choice not among them is dropped.
    /// The session token to send, kept across reloads so the session's conversation continues.
    pub fn set_session_token(&self, token: Option<String>) {
        self.client_id
            .with_value(|id| persist::save_session(id, token.as_deref()));
        self.session_token.set_value(token);
    }

    pub fn set_voices(&self, voices: Vec<String>) {
        self.voices.set_value(voices);
        if let Some(v) = self.chosen_voice.get_untracked() {
            self.choose_voice(v);
        }
    }

    /// `GrokWidget.setVoice(name)` or `data-voice`: one of the client's voices, or `""` for
    /// the client's default.
    pub fn choose_voice(&self, name: String) {
        let name = name.trim().to_ascii_lowercase();
        let known = self
            .voices
            .with_value(|v| v.is_empty() || v.contains(&name));
        if name.is_empty() || !known {
            if !name.is_empty() {
                log::warn(&format!(
                    "[widget] voice \"{name}\" is not one of this site's voices; using the default"
                ));
            }
            self.chosen_voice.set(None);
        } else {
            self.chosen_voice.set(Some(name));
        }
    }

    /// Sends `text` and the attached images as the next turn; while a reply is arriving text
    /// alone is queued and sent when that reply ends (images wait in the composer). Ignored
    /// when there is neither text nor an image; refused (the text stays) when too long.
    pub fn send(&self, text: String) {
        let text = text.trim().to_owned();
        let images = self.attachments.get_untracked();
        if text.is_empty() && images.is_empty() {
            return;
        }
        // Images wait for the reply in progress, and for any still being prepared.
        if !images.is_empty()
            && (self.busy.get_untracked() || images.iter().any(|a| a.data_url.is_empty()))
        {
            return;
        }
        let chars = text.chars().count();
        if chars > MAX_CHARS {
            self.problem.set(Some(Problem {
                code: "too_long".into(),
                message: self
                    .fill(T::TooLong, "{n}", &thousands(chars))
                    .replace("{max}", &thousands(MAX_CHARS)),
                retry: None,
            }));
            return;
        }
        if self.draft.get_untracked().trim() == text {
            self.draft.set(String::new());
        }
        if self.busy.get_untracked() {
            self.queued.set(Some(text));
            return;
        }
        self.problem.set(None);
        // A new exchange: the cleared conversation is not coming back over it.
        if self.undo.with_untracked(Option::is_some) {
            self.undo.set(None);
        }
        let thumbs = images.iter().map(|a| a.thumb.clone()).collect();
        let user = self.push_with(None, Role::User, text.clone(), Status::Done, thumbs);
        if !images.is_empty() {
            self.attachments.set(Vec::new());
        }
        self.sent_images.set_value(Some((user.id, images)));
        dispatch_message("user", &text, None);
        self.run(user, text, ALL_RETRIES);
    }

    /// Retry: the failed message goes again, once. A broken reply to it is replaced in place,
    /// under the same question bubble.
    pub fn retry(&self) {
        let Some(text) = self.problem.get_untracked().and_then(|p| p.retry) else {
            return;
        };
        if self.busy.get_untracked() {
            return;
        }
        let last = self.messages.with_untracked(|l| l.last().copied());
        if let Some(reply) = last.filter(|m| {
            m.role == Role::Assistant
                && matches!(
                    m.status.get_untracked(),
                    Status::Failed | Status::Interrupted
                )
        }) && let Some(user) = self
            .question_before(reply.id)
            .filter(|u| u.text.with_untracked(|t| *t == text))
        {
            self.problem.set(None);
            self.remove(reply.id);
            if user.status.get_untracked() != Status::Done {
                user.status.set(Status::Done);
            }
            self.run(user, text, ALL_RETRIES);
        } else {
            self.send(text);
        }
    }

    /// Stop generating: aborting the fetch makes the proxy cancel upstream.
    pub fn stop(&self) {
        self.voice.stop();
        self.abort.with_value(|a| {
            if let Some(a) = a {
                a.abort();
            }
        });
    }

    /// Forgets the conversation (here and in storage) and stops any reply in progress;
    /// [`Chat::undo`] brings it back while `undo` holds it.
    pub fn new_conversation(&self) {
        let kept = (
            self.messages.get_untracked(),
            self.previous_response_id.get_untracked(),
        );
        self.clear();
        if kept.0.is_empty() {
            return;
        }
        let first = kept.0[0].id;
        self.undo.set(Some(kept));
        // Offered for a few seconds, unless something newer replaced it.
        let chat = *self;
        set_timeout(
            move || {
                if chat
                    .undo
                    .with_untracked(|u| u.as_ref().is_some_and(|(m, _)| m[0].id == first))
                {
                    chat.undo.set(None);
                }
            },
            std::time::Duration::from_secs(6),
        );
    }

    fn clear(&self) {
        self.stop();
        self.messages.set(Vec::new());
        self.previous_response_id.set(None);
        self.problem.set(None);
        self.undo.set(None);
    }

    /// Undo "New conversation".
    pub fn undo(&self) {
        if let Some((messages, previous)) = self.undo.get_untracked() {
            self.undo.set(None);
            self.messages.set(messages);
            self.previous_response_id.set(previous);
        }
    }
}
