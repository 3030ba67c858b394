//! One turn on its way: streaming it from the proxy, the automatic retries (expired
//! conversation, expired session), and how it ends; with the page events it raises.

use leptos::prelude::*;
use protocol::codes;
use wasm_bindgen::JsValue;

use super::{Chat, Message, Problem, Retries, Role, Status, describe};
use crate::api::chat::{self, Failure, Turn};
use crate::browser::events;
use web_sys::AbortController;

impl Chat {
    pub(super) fn run(&self, user: Message, text: String, retries: Retries) {
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
            let images = chat.images_of(user.id);
            let language = chat.lang.get_untracked();
            let turn = Turn {
                client_id: &client_id,
                message: &text,
                images: &images,
                previous_response_id: previous.as_deref(),
                voice: chosen.as_deref(),
                session_token: session.as_deref(),
                audio_pieces: chat.audio_pieces.get_value(),
                language: Some(language.as_str()).filter(|l| !l.is_empty()),
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
                    last,
                } => voice.audio(index, text, audio_url, last),
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
                        chat.set_session_token(Some(token));
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
                    chat.restore_attachments(user.id);
                    if chat.draft.with_untracked(|d| d.trim().is_empty()) {
                        chat.draft.set(text.clone());
                    } else {
                        chat.push(None, Role::User, text.clone(), Status::Failed);
                    }
                }
                if let Some((code, message)) =
                    chat.text.with_value(|t| describe(t, &failure, had_text))
                {
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

pub(super) fn dispatch_message(role: &str, text: &str, done: Option<&chat::Done>) {
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
