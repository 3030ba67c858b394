//! The chat store: the conversation, the turn in progress, the problem to show, and its
//! persistence (an `Effect` saves at every turn boundary).

pub mod persist;
pub mod voice;

use leptos::prelude::*;
use protocol::codes;
use wasm_bindgen::JsValue;
use web_sys::AbortController;

use crate::api::chat::{self, Failure, Turn};
use crate::browser::{events, log, page};
use crate::speech::TtsOptions;
pub use voice::Voice;

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
    /// The client's voices (`ClientInfo.voices`) and the one chosen on the page.
    voices: StoredValue<Vec<String>>,
    pub chosen_voice: RwSignal<Option<String>>,
    /// `ClientInfo.session_token`, sent back as `X-Widget-Session`.
    pub session_token: StoredValue<Option<String>>,
    /// `ClientInfo.stt_language`.
    pub stt_language: StoredValue<Option<String>>,
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

/// The problem shown for a failure, or `None` when nothing needs saying (Stop).
pub fn describe(failure: &Failure, had_text: bool) -> Option<(String, String)> {
    let (code, message) = match failure {
        Failure::Aborted => return None,
        Failure::Network => (
            "network".into(),
            "The chat service can't be reached. Check your connection and try again.".into(),
        ),
        Failure::Refused {
            status,
            code,
            message,
            retry_after_secs,
        } => {
            let text = match (*status, code.as_str()) {
                (429, _) | (_, codes::RATE_LIMITED) => match retry_after_secs {
                    Some(s) if *s > 0 => format!(
                        "Too many messages right now. Please try again in {}.",
                        seconds(*s)
                    ),
                    _ => "Too many messages right now. Please wait a moment and try again.".into(),
                },
                (_, codes::BUDGET_EXHAUSTED) => {
                    "This chat has reached its limit for now. Please try again later.".into()
                }
                (s, _) if s >= 500 => format!(
                    "The chat service is having trouble (error {s}). Please try again in a moment."
                ),
                (s, _) => message
                    .clone()
                    .unwrap_or_else(|| format!("The message could not be sent (error {s}).")),
            };
            (
                if code.is_empty() {
                    status.to_string()
                } else {
                    code.clone()
                },
                text,
            )
        }
        Failure::Broken { code, .. } => (
            code.clone(),
            if had_text {
                "The reply was cut off. You can retry.".into()
            } else {
                "Something went wrong while answering. Please try again.".into()
            },
        ),
    };
    Some((code, message))
}

/// `4100` as "4,100".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn seconds(s: u64) -> String {
    match s {
        1 => "1 second".into(),
        s if s < 90 => format!("{s} seconds"),
        s => format!("{} minutes", s.div_ceil(60)),
    }
}

impl Chat {
    pub fn new(client_id: String, proxy_url: String, tts: TtsOptions) -> Self {
        let saved = persist::load(&client_id);
        let muted = RwSignal::new(persist::load_muted());
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
            voices: StoredValue::new(Vec::new()),
            chosen_voice: RwSignal::new(None),
            session_token: StoredValue::new(None),
            stt_language: StoredValue::new(None),
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
            last = Some(chat.push(m.id, m.role, m.text, status));
        }
        if let Some(reply) = last.filter(|m| m.status.get_untracked() == Status::Interrupted)
            && let Some(question) = chat.question_before(reply.id)
        {
            chat.problem.set(Some(Problem {
                code: "interrupted".into(),
                message: "The page was left while this reply was arriving. You can retry.".into(),
                retry: Some(question.text.get_untracked()),
            }));
        }
        chat
    }

    /// The visitor's message just before message `id`.
    fn question_before(&self, id: u64) -> Option<Message> {
        self.messages.with_untracked(|list| {
            let i = list.iter().position(|m| m.id == id)?;
            list[..i].last().filter(|m| m.role == Role::User).copied()
        })
    }

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
                    None => self.make(id, s.role, s.text, s.status),
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
            persist::save_muted(muted);
            if muted {
                // Takes effect at once: whatever is speaking stops.
                chat.voice.stop();
            }
        });
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
            })
        })
    }

    /// Appends a message; `id` when it has one already (stored), else a fresh one.
    fn push(&self, id: Option<u64>, role: Role, text: String, status: Status) -> Message {
        let id = id.unwrap_or_else(|| self.fresh_id());
        let m = self.make(id, role, text, status);
        self.messages.update(|list| list.push(m));
        m
    }

    fn remove(&self, id: u64) {
        self.messages.update(|list| list.retain(|m| m.id != id));
    }

    /// The client's voices, from `ClientInfo`; a choice not among them is dropped.
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

    /// Sends `text` as the next turn; while a reply is arriving it is queued and sent when
    /// that reply ends. Ignored when blank; refused (the text stays) when too long.
    pub fn send(&self, text: String) {
        let text = text.trim().to_owned();
        if text.is_empty() {
            return;
        }
        let chars = text.chars().count();
        if chars > MAX_CHARS {
            self.problem.set(Some(Problem {
                code: "too_long".into(),
                message: format!(
                    "This message is too long to send: {} characters, the limit is {}. Please shorten it.",
                    thousands(chars),
                    thousands(MAX_CHARS)
                ),
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
        let user = self.push(None, Role::User, text.clone(), Status::Done);
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

    fn run(&self, user: Message, text: String, retries: Retries) {
        let chat = *self;
        let reply = self.push(None, Role::Assistant, String::new(), Status::Streaming);
        self.turn.set_value(Some((user.id, reply.id)));
        let Ok(controller) = AbortController::new() else {
            return;
        };
        let signal = controller.signal();
        self.abort.set_value(Some(controller));
        self.busy.set(true);
        // Sending is a barge-in: the previous reply stops speaking.
        let voice = self.voice;
        voice.begin(self.server_voice.get_value());
        leptos::task::spawn_local(async move {
            let client_id = chat.client_id.get_value();
            let proxy_url = chat.proxy_url.get_value();
            let previous = chat.previous_response_id.get_untracked();
            let chosen = chat.chosen_voice.get_untracked();
            let session = chat.session_token.get_value();
            let turn = Turn {
                client_id: &client_id,
                message: &text,
                previous_response_id: previous.as_deref(),
                voice: chosen.as_deref(),
                session_token: session.as_deref(),
            };
            let result = chat::stream(&proxy_url, &turn, &signal, |ev| match ev {
                chat::Event::Delta(d) => {
                    reply.text.update(|t| t.push_str(&d));
                    voice.delta(&d);
                }
                chat::Event::Audio {
                    index,
                    text,
                    audio_url,
                } => voice.audio(index, text, audio_url),
                chat::Event::AudioError { index, text, code } => {
                    voice.audio_error(index, text, code);
                }
                _ => {}
            })
            .await;
            chat.finish(user, reply, text, retries, result);
        });
    }

    /// The end of a turn: outside the `async` block, so its state machine stays small.
    fn finish(
        &self,
        user: Message,
        reply: Message,
        text: String,
        retries: Retries,
        result: Result<chat::Done, Failure>,
    ) {
        let chat = *self;
        chat.abort.set_value(None);
        chat.busy.set(false);
        chat.turn.set_value(None);
        let full = result.is_ok().then(|| reply.text.get_untracked());
        chat.voice.end(full.as_deref());
        match result {
            Ok(done) => {
                reply.status.set(Status::Done);
                chat.previous_response_id
                    .set(Some(done.response_id.clone()));
                dispatch_message("assistant", &reply.text.get_untracked(), Some(&done));
                if let Some(next) = chat.queued.get_untracked() {
                    chat.queued.set(None);
                    chat.send(next);
                }
            }
            Err(Failure::Refused { code, .. })
                if retries.conversation && code == codes::CONVERSATION_NOT_FOUND =>
            {
                // The stored conversation expired at x.ai: start a new one and resend.
                chat.remove(reply.id);
                chat.previous_response_id.set(None);
                chat.run(
                    user,
                    text,
                    Retries {
                        conversation: false,
                        ..retries
                    },
                );
            }
            Err(Failure::Refused { code, .. })
                if retries.session && code == codes::SESSION_INVALID =>
            {
                // The session token expired (or the proxy restarted): fetch a fresh one and
                // send once more. If that fails too, the text goes back into the textbox.
                chat.remove(reply.id);
                chat.busy.set(true);
                leptos::task::spawn_local(async move {
                    let proxy_url = chat.proxy_url.get_value();
                    let client_id = chat.client_id.get_value();
                    if let Some(token) = crate::api::session_token(&proxy_url, &client_id).await {
                        chat.session_token.set_value(Some(token));
                    }
                    chat.run(
                        user,
                        text,
                        Retries {
                            session: false,
                            ..retries
                        },
                    );
                });
            }
            // The page is being left: save_on_leave marked and saved the reply.
            Err(_) if reply.status.get_untracked() == Status::Interrupted => {}
            Err(failure) => {
                // A message queued behind this reply goes back into the box, never lost.
                if let Some(next) = chat.queued.get_untracked() {
                    chat.queued.set(None);
                    chat.draft.update(|d| {
                        *d = if d.trim().is_empty() {
                            next
                        } else {
                            format!("{next}\n{d}")
                        }
                    });
                }
                let had_text = !reply.text.with_untracked(String::is_empty);
                if failure == Failure::Aborted {
                    reply.status.set(Status::Stopped);
                    return;
                }
                if had_text {
                    reply.status.set(Status::Failed);
                } else {
                    // Nothing arrived: the message goes back into the textbox, so it is never
                    // lost, and its bubble goes away until it is sent again.
                    chat.remove(reply.id);
                    chat.remove(user.id);
                    if chat.draft.with_untracked(|d| d.trim().is_empty()) {
                        chat.draft.set(text.clone());
                    } else {
                        chat.push(None, Role::User, text.clone(), Status::Failed);
                    }
                }
                if let Some((code, message)) = describe(&failure, had_text) {
                    dispatch_error(&code, &message);
                    chat.problem.set(Some(Problem {
                        code,
                        message,
                        retry: Some(text),
                    }));
                }
            }
        }
    }
}

fn dispatch_message(role: &str, text: &str, done: Option<&chat::Done>) {
    let detail = js_sys::Object::new();
    let set = |o: &js_sys::Object, k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(o, &k.into(), &v);
    };
    set(&detail, "role", role.into());
    set(&detail, "text", text.into());
    if let Some(done) = done {
        set(&detail, "response_id", done.response_id.as_str().into());
        let usage = js_sys::Object::new();
        let u = &done.usage;
        set(&usage, "input_tokens", (u.input_tokens as f64).into());
        set(&usage, "output_tokens", (u.output_tokens as f64).into());
        set(&usage, "total_tokens", (u.total_tokens as f64).into());
        set(
            &usage,
            "reasoning_tokens",
            (u.reasoning_tokens as f64).into(),
        );
        if let Some(c) = u.cost_usd {
            set(&usage, "cost_usd", c.into());
        }
        set(&detail, "usage", usage.into());
    }
    events::dispatch("message", Some(&detail));
}

pub fn dispatch_error(code: &str, message: &str) {
    let detail = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&detail, &"code".into(), &code.into());
    let _ = js_sys::Reflect::set(&detail, &"message".into(), &message.into());
    events::dispatch("error", Some(&detail));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_say_when_to_retry() {
        let f = Failure::Refused {
            status: 429,
            code: "rate_limited".into(),
            message: None,
            retry_after_secs: Some(12),
        };
        assert_eq!(
            describe(&f, false).unwrap().1,
            "Too many messages right now. Please try again in 12 seconds."
        );
        let f = Failure::Refused {
            status: 429,
            code: "rate_limited".into(),
            message: None,
            retry_after_secs: Some(600),
        };
        assert!(describe(&f, false).unwrap().1.contains("10 minutes"));
    }

    #[test]
    fn server_errors_give_the_status_and_a_plain_sentence() {
        let f = Failure::Refused {
            status: 503,
            code: "upstream_unavailable".into(),
            message: Some("x".into()),
            retry_after_secs: None,
        };
        let (code, text) = describe(&f, false).unwrap();
        assert_eq!(code, "upstream_unavailable");
        assert!(text.contains("error 503"), "{text}");
    }

    #[test]
    fn long_counts_get_thousands_separators() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(4000), "4,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn stopping_is_not_a_problem() {
        assert_eq!(describe(&Failure::Aborted, true), None);
    }
}
