//! The message box with Send / Stop generating, the microphone button and, for sites that
//! take images, the attach button with the attached images' thumbnails.

use leptos::prelude::*;

use super::thumbnails;
use crate::browser::image::{ACCEPTED, files_of};
use crate::i18n::T;
use crate::state::{MAX_CHARS, thousands};
use crate::state::{Mic, UiState};

#[component]
pub fn Composer(input: NodeRef<leptos::html::Textarea>) -> impl IntoView {
    let ui = expect_context::<UiState>();
    let chat = ui.chat;
    let send = move || {
        let text = chat.draft.get_untracked();
        chat.send(text);
    };
    let file_input = NodeRef::<leptos::html::Input>::new();
    let attach_button = NodeRef::<leptos::html::Button>::new();
    let images_on = move || chat.images_allowed.get();
    let attached = NodeRef::<leptos::html::Ul>::new();
    Effect::new(move |_| {
        chat.attachments.with(|list| {
            if let Some(ul) = attached.get() {
                chat.lang.track();
                chat.text
                    .with_value(|t| thumbnails::attachments(&ul, list, t));
            }
        });
    });
    let nothing_to_send =
        move || chat.draft.with(|d| d.trim().is_empty()) && chat.attachments.with(Vec::is_empty);
    let mic = ui.mic;
    let listening = move || mic.get() == Mic::Listening;
    let why = move || mic.get().explanation();
    // Shown from 90 % of the limit; past it Send refuses (the text stays, never cut).
    let count = move || {
        let n = chat.draft.with(|d| d.trim().chars().count());
        (n * 10 > MAX_CHARS * 9).then(|| format!("{} / {}", thousands(n), thousands(MAX_CHARS)))
    };
    view! {
        <form class="gw-composer" part="composer" on:submit=move |ev| { ev.prevent_default(); send(); }>
            {move || chat.queued.get().map(|q| view! {
                <p class="gw-queued" role="status">{chat.t(T::Queued)} {q}</p>
            })}
            // Drawn by `thumbnails`; a click on a remove button is read here, and the keyboard
            // goes back to the attach button.
            <ul
                class="gw-attachments"
                aria-label=chat.tr(T::Attached)
                node_ref=attached
                on:click=move |ev| if let Some(id) = thumbnails::removed(&ev) {
                    chat.remove_attachment(id);
                    if let Some(b) = attach_button.get_untracked() {
                        let _ = b.focus();
                    }
                }
            ></ul>
            {move || images_on().then(|| view! {
                // Picked from files, or on a phone taken with the camera (the picker offers it
                // for image types); hidden, the button opens it.
                <input
                    type="file"
                    class="gw-file"
                    accept=ACCEPTED
                    multiple
                    tabindex="-1"
                    aria-hidden="true"
                    node_ref=file_input
                    on:change=move |ev| {
                        let input = event_target::<web_sys::HtmlInputElement>(&ev);
                        let files = files_of(input.files());
                        // The same file picked again must fire `change` again.
                        input.set_value("");
                        chat.attach_files(files);
                    }
                />
                <button
                    type="button"
                    class="gw-icon gw-attach"
                    part="button"
                    aria-label=chat.tr(T::Attach)
                    title=chat.tr(T::Attach)
                    node_ref=attach_button
                    on:click=move |_| if let Some(i) = file_input.get_untracked() { i.click() }
                >
                    <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
                        <path fill="currentColor" d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z" />
                    </svg>
                </button>
            })}
            <textarea
                class="gw-input"
                part="input"
                rows="1"
                aria-label=chat.tr(T::Message)
                aria-describedby=move || count().map(|_| "gw-count")
                placeholder=move || chat.t(if listening() { T::Listening } else { T::Placeholder })
                node_ref=input
                prop:value=move || chat.draft.get()
                on:input=move |ev| {
                    // Typing is a barge-in: the reply stops speaking, conversation mode ends.
                    chat.voice.interrupt();
                    ui.end_conversation(None);
                    chat.draft.set(event_target_value(&ev));
                }
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    // Enter sends, Shift+Enter is a new line; never while an IME is composing.
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        send();
                    }
                }
            ></textarea>
            <button
                type="button"
                class="gw-icon gw-talk"
                part="button"
                aria-label=chat.tr(T::ConversationMode)
                aria-pressed=move || ui.conversation.get().to_string()
                aria-disabled=move || why().is_some().to_string()
                title=move || chat.t(why().unwrap_or(T::ConversationHint))
                on:click=move |_| if why().is_none() { ui.toggle_conversation() }
            >
                <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
                    <path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 5v3h2V9zm4-2v7h2V7zm4 2v3h2V9z" />
                </svg>
            </button>
            <button
                type="button"
                class="gw-icon gw-mic"
                part="button"
                class:gw-listening=listening
                aria-label=move || chat.t(if listening() { T::StopListening } else { T::VoiceInput })
                aria-pressed=move || listening().to_string()
                aria-disabled=move || why().is_some().to_string()
                aria-describedby=move || why().map(|_| "gw-mic-why")
                title=move || chat.t(why().unwrap_or(T::Speak))
                on:click=move |_| ui.toggle_mic()
            >
                <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
                    <path fill="currentColor" d="M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.9V21h2v-3.1A7 7 0 0 0 19 11h-2z" />
                </svg>
            </button>
            // One button that is Send or Stop generating, so keyboard focus stays on it.
            <button
                type="button"
                class="gw-icon gw-send"
                part="button send"
                class:gw-stop=move || chat.busy.get()
                // Looks disabled with nothing to send; still focusable and named "Send".
                class:gw-empty=move || !chat.busy.get() && nothing_to_send()
                aria-label=move || chat.t(if chat.busy.get() { T::Stop } else { T::Send })
                on:click=move |_| if chat.busy.get_untracked() { chat.stop() } else { send() }
            >
                <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
                    <path fill="currentColor" d=move || if chat.busy.get() { "M7 6h10a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H7a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1z" } else { "M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z" } />
                </svg>
            </button>
            {move || count().map(|c| view! { <p class="gw-count" id="gw-count">{c}</p> })}
            {move || why().map(|w| view! { <p class="gw-hint" id="gw-mic-why" role="status">{chat.t(w)}</p> })}
            {move || chat.attachments.with(|l| l.iter().any(|a| a.data_url.is_empty())).then(|| view! { <p class="gw-hint" role="status">{chat.t(T::Preparing)}</p> })}
            {move || chat.attach_note.get().map(|n| view! { <p class="gw-hint gw-attach-note" role="alert">{n}</p> })}
            <p class="gw-fine">{chat.tr(T::FinePrint)}</p>
        </form>
    }
}
