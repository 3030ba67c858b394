//! The chat store: the conversation, the turn in progress, the problem to show, and its
//! persistence (an `Effect` saves at every turn boundary).

pub mod persist;
pub mod voice;

use leptos::prelude::*;
use protocol::codes;
use wasm_bindgen::JsValue;
use web_sys::AbortController;

use crate::api::chat::{self, Failure, Turn};
use crate::browser::{events, log};
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
}

/// One message in the log. `Copy`: its parts are signals, so a streaming reply updates only
/// its own text.
#[derive(Debug, Clone, Copy)]
pub struct Message {
    pub id: u32,
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
    next_id: StoredValue<u32>,
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
            next_id: StoredValue::new(0),
            owner: StoredValue::new_local(Owner::new()),
        };
        for m in saved.messages {
            chat.push(m.role, m.text, m.status);
        }
        chat
    }

    /// Saves at every turn boundary: tracks the list, each status and the response id, but
    /// not the streaming text.
    pub fn persist_effect(&self) {
        let chat = *self;
        Effect::new(move |_| {
            let messages = chat
                .messages
                .get()
                .iter()
                .filter(|m| !(m.role == Role::Assistant && m.status.get() == Status::Streaming))
                .map(|m| persist::Saved {
                    role: m.role,
                    text: m.text.get_untracked(),
                    status: m.status.get(),
                })
                .collect();
            let conversation = persist::Conversation {
                previous_response_id: chat.previous_response_id.get(),
                messages,
                draft: chat.draft.get_untracked(),
            };
            chat.client_id
                .with_value(|id| persist::save(id, &conversation));
        });
        Effect::new(move |_| {
            let muted = chat.muted.get();
            persist::save_muted(muted);
            if muted {
                // Takes effect at once: whatever is speaking stops.
                chat.voice.stop();
            }
        });
    }

    fn push(&self, role: Role, text: String, status: Status) -> Message {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        let m = self.owner.with_value(|owner| {
            owner.with(|| Message {
                id,
                role,
                text: RwSignal::new(text),
                status: RwSignal::new(status),
            })
        });
        self.messages.update(|list| list.push(m));
        m
    }

    fn remove(&self, id: u32) {
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

    /// Sends `text` as the next turn. Ignored while a reply is arriving or when blank.
    pub fn send(&self, text: String) {
        let text = text.trim().to_owned();
        if text.is_empty() || self.busy.get_untracked() {
            return;
        }
        if self.draft.get_untracked().trim() == text {
            self.draft.set(String::new());
        }
        self.problem.set(None);
        let user = self.push(Role::User, text.clone(), Status::Done);
        dispatch_message("user", &text, None);
        self.run(user, text, ALL_RETRIES);
    }

    /// Retry: the failed message goes again, without a second copy of its bubble.
    pub fn retry(&self) {
        let Some(text) = self.problem.get_untracked().and_then(|p| p.retry) else {
            return;
        };
        self.send(text);
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

    /// Forgets the conversation (here and in storage) and stops any reply in progress.
    pub fn new_conversation(&self) {
        self.stop();
        self.messages.set(Vec::new());
        self.previous_response_id.set(None);
        self.problem.set(None);
    }

    fn run(&self, user: Message, text: String, retries: Retries) {
        let chat = *self;
        let reply = self.push(Role::Assistant, String::new(), Status::Streaming);
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
        let full = result.is_ok().then(|| reply.text.get_untracked());
        chat.voice.end(full.as_deref());
        match result {
            Ok(done) => {
                reply.status.set(Status::Done);
                chat.previous_response_id
                    .set(Some(done.response_id.clone()));
                dispatch_message("assistant", &reply.text.get_untracked(), Some(&done));
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
            Err(failure) => {
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
                        chat.push(Role::User, text.clone(), Status::Failed);
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
    fn stopping_is_not_a_problem() {
        assert_eq!(describe(&Failure::Aborted, true), None);
    }
}
