//! The chat panel: title bar (new conversation, mute, close), message log, composer.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use super::transcript::focus;
use super::{Composer, Transcript};
use crate::browser::image::files_of;
use crate::i18n::T;
use crate::state::UiState;

#[component]
pub fn Panel(launcher: NodeRef<leptos::html::Button>) -> impl IntoView {
    let ui = expect_context::<UiState>();
    let chat = ui.chat;
    let close = move || {
        ui.set_open(false);
        if let Some(button) = launcher.get_untracked() {
            let _ = button.focus();
        }
    };
    let input = NodeRef::<leptos::html::Textarea>::new();
    // Focus moves to the message box when the panel opens, so keyboard users can type at once.
    Effect::new(move |_| {
        if let Some(i) = input.get() {
            let _ = i.focus();
        }
    });
    let new_conversation = move || {
        chat.new_conversation();
        ui.notice.set(None);
        if let Some(i) = input.get_untracked() {
            let _ = i.focus();
        }
    };
    let panel = NodeRef::<leptos::html::Section>::new();
    // Images dropped or pasted anywhere on the panel are attached (sites that take images).
    let images_on = move || chat.images_allowed.get_untracked();
    let dragging = RwSignal::new(false);
    let carries_files = |ev: &leptos::ev::DragEvent| {
        ev.data_transfer().is_some_and(|d| {
            d.types()
                .iter()
                .any(|t| t.as_string().as_deref() == Some("Files"))
        })
    };
    // On a phone the panel covers the page: it is modal, and Tab goes round inside it.
    let keep_focus = move |ev: &leptos::ev::KeyboardEvent| {
        let Some(panel) = panel.get_untracked().filter(|_| ui.narrow.get_untracked()) else {
            return;
        };
        let ends = (
            panel.query_selector(".gw-header button").ok().flatten(),
            panel.query_selector(".gw-send").ok().flatten(),
        );
        let (Some(first), Some(last)) = ends else {
            return;
        };
        let (from, to) = if ev.shift_key() {
            (first, last)
        } else {
            (last, first)
        };
        if ev
            .target()
            .is_some_and(|t| JsValue::from(t) == JsValue::from(from))
            && let Ok(to) = to.dyn_into::<web_sys::HtmlElement>()
        {
            ev.prevent_default();
            let _ = to.focus();
        }
    };
    view! {
        <section
            class="gw-panel"
            part="panel"
            role="dialog"
            dir=ui.dir()
            node_ref=panel
            aria-label=move || ui.title.get()
            aria-modal=move || ui.narrow.get().then_some("true")
            class:gw-dragging=move || dragging.get()
            on:dragover=move |ev: leptos::ev::DragEvent| {
                if images_on() && carries_files(&ev) {
                    // Without this the browser opens the file instead of dropping it here.
                    ev.prevent_default();
                    dragging.set(true);
                }
            }
            on:dragleave=move |ev: leptos::ev::DragEvent| {
                // Leaving for a child element is not leaving the panel.
                if ev.related_target().is_none() {
                    dragging.set(false);
                }
            }
            on:drop=move |ev: leptos::ev::DragEvent| {
                dragging.set(false);
                if images_on() {
                    ev.prevent_default();
                    chat.attach_files(files_of(ev.data_transfer().and_then(|d| d.files())));
                }
            }
            on:paste=move |ev: leptos::ev::ClipboardEvent| {
                let files = files_of(ev.clipboard_data().and_then(|d| d.files()));
                // Pasted text stays text; only a pasted image is attached.
                if images_on() && !files.is_empty() {
                    ev.prevent_default();
                    chat.attach_files(files);
                }
            }
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" {
                    ev.stop_propagation();
                    // Escape ends conversation mode first; pressed again, it closes.
                    if ui.conversation.get_untracked() {
                        ui.end_conversation(None);
                    } else {
                        close();
                    }
                } else if ev.key() == "Tab" {
                    keep_focus(&ev);
                }
            }
        >
            <header class="gw-header" part="header">
                <h2 class="gw-title" part="title">{move || ui.title.get()}</h2>
                {move || ui.demo_mode.get().then(|| view! {
                    <span class="gw-badge" title=chat.tr(T::DemoNote)>{chat.tr(T::Demo)}</span>
                })}
                <button class="gw-icon" part="button" type="button" aria-label=chat.tr(T::NewConversation) title=chat.tr(T::NewConversation) on:click=move |_| new_conversation()>
                    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
                        <path fill="currentColor" d="M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z" />
                    </svg>
                </button>
                <button
                    class="gw-icon"
                    part="button"
                    type="button"
                    aria-label=move || chat.t(if chat.muted.get() { T::Unmute } else { T::Mute })
                    title=move || chat.t(if chat.muted.get() { T::Unmute } else { T::Mute })
                    on:click=move |_| chat.muted.update(|m| *m = !*m)
                >
                    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
                        <path fill="currentColor" d="M4 9v6h4l5 5V4L8 9H4z" />
                        <path fill="currentColor" d=move || if chat.muted.get() {
                            "m16.6 8.2 1.4-1.4 2.1 2.1 2.1-2.1 1.4 1.4-2.1 2.1 2.1 2.1-1.4 1.4-2.1-2.1-2.1 2.1-1.4-1.4 2.1-2.1z"
                        } else {
                            "M16.5 12a4.5 4.5 0 0 0-2.5-4v8a4.5 4.5 0 0 0 2.5-4zM14 3.2v2.1a7 7 0 0 1 0 13.4v2.1a9 9 0 0 0 0-17.6z"
                        } />
                    </svg>
                </button>
                <button class="gw-icon" part="button" type="button" aria-label=chat.tr(T::CloseChat) title=chat.tr(T::CloseChat) on:click=move |_| close()>
                    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
                        <path fill="currentColor" d="M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4L12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z" />
                    </svg>
                </button>
            </header>
            <Transcript input=input />
            {move || chat.voice.needs_tap.get().then(|| view! {
                <button type="button" class="gw-tap" part="button" on:click=move |_| { chat.voice.tap(); focus(input); }>
                    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
                        <path fill="currentColor" d="M4 9v6h4l5 5V4L8 9H4zm12.5 3a4.5 4.5 0 0 0-2.5-4v8a4.5 4.5 0 0 0 2.5-4z" />
                    </svg>
                    {chat.tr(T::TapForSound)}
                </button>
            })}
            <Composer input=input />
            {move || dragging.get().then(|| view! { <div class="gw-drop" aria-hidden="true">{chat.tr(T::DropImage)}</div> })}
        </section>
    }
}
