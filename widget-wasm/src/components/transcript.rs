//! The message log: greeting, messages (replies rendered as safe markdown), and the problem
//! banner with Retry.

use leptos::either::Either;
use leptos::prelude::*;

use crate::i18n::T;
use crate::state::UiState;
use crate::state::{Message, Role, Status};

#[component]
pub fn Transcript(input: NodeRef<leptos::html::Textarea>) -> impl IntoView {
    let ui = expect_context::<UiState>();
    let chat = ui.chat;
    let log = NodeRef::<leptos::html::Div>::new();
    // Keep the newest text in view while it streams, unless the visitor scrolled up to read.
    let stick = StoredValue::new(true);
    Effect::new(move |_| {
        chat.messages.with(|list| {
            if let Some(last) = list.last() {
                last.text.track();
                last.status.track();
            }
        });
        chat.problem.track();
        ui.notice.track();
        if stick.get_value()
            && let Some(log) = log.get_untracked()
        {
            // After this tick's rendering (the reply's markdown is drawn by its own effect).
            // The frame may come after the panel closed, when this view's signals are gone:
            // it holds the element itself, never a signal.
            request_animation_frame(move || log.set_scroll_top(log.scroll_height()));
        }
    });
    // A scroll event can also arrive after the panel closed: read the element from the event.
    let on_scroll = move |ev: leptos::ev::Event| {
        let log = event_target::<web_sys::Element>(&ev);
        stick.set_value(log.scroll_height() - log.scroll_top() - log.client_height() < 40);
    };
    view! {
        <div class="gw-log" part="messages" role="log" aria-live="polite" aria-busy=move || chat.busy.get().to_string() node_ref=log on:scroll=on_scroll>
            <div class="gw-msg gw-assistant" dir="auto"><p>{move || ui.greeting.get()}</p></div>
            <For each=move || chat.messages.get() key=|m| m.id let:m>
                <MessageView m=m />
            </For>
            {move || ui.notice.get().map(|n| view! { <p class="gw-notice" role="status">{n}</p> })}
            {move || chat.undo.with(Option::is_some).then(|| view! {
                <p class="gw-notice gw-undo" role="status">
                    {chat.tr(T::Cleared)}
                    <button type="button" class="gw-retry" part="button" on:click=move |_| { chat.undo(); focus(input); }>{chat.tr(T::Undo)}</button>
                </p>
            })}
            {move || chat.problem.get().map(|p| {
                let retry = p.retry.is_some();
                view! {
                    <div class="gw-problem" role="alert">
                        <p>{p.message}</p>
                        {retry.then(|| view! {
                            <button type="button" class="gw-retry" part="button" on:click=move |_| { chat.retry(); focus(input); }>{chat.tr(T::Retry)}</button>
                        })}
                    </div>
                }
            })}
        </div>
    }
}

/// Puts the keyboard in the message box (after Retry, Undo, "Tap to enable sound").
pub fn focus(input: NodeRef<leptos::html::Textarea>) {
    if let Some(i) = input.get_untracked() {
        let _ = i.focus();
    }
}

#[component]
fn MessageView(m: Message) -> impl IntoView {
    let chat = expect_context::<UiState>().chat;
    let body = NodeRef::<leptos::html::Div>::new();
    if m.role == Role::Assistant {
        let shown = StoredValue::new(super::markdown::Shown::default());
        Effect::new(move |_| {
            // While it streams, an unfinished marker line waits (see `parse_streaming`).
            let streaming = m.status.get() == Status::Streaming;
            let blocks = m.text.with(|t| {
                if streaming {
                    crate::markdown::parse_streaming(t)
                } else {
                    crate::markdown::parse(t)
                }
            });
            if let Some(el) = body.get() {
                chat.text
                    .with_value(|t| shown.update_value(|s| s.update_in(&el, blocks, t)));
            }
        });
    }
    let class = match m.role {
        Role::User => "gw-msg gw-user",
        Role::Assistant => "gw-msg gw-assistant",
    };
    // One closure, no type-erased views: each note is a fixed text.
    let note = move || {
        let text = match (m.role, m.status.get()) {
            (Role::Assistant, Status::Stopped) => T::Stopped,
            (Role::Assistant, Status::Failed) => T::Incomplete,
            (Role::Assistant, Status::Interrupted) => T::Interrupted,
            (Role::User, Status::Failed) => T::NotSent,
            _ => return None,
        };
        Some(view! { <p class="gw-note">{chat.t(text)}</p> })
    };
    let typing = move || {
        (m.role == Role::Assistant && m.status.get() == Status::Streaming && m.text.with(String::is_empty)).then(|| view! {
            <span class="gw-typing" role="status"><span></span><span></span><span></span><span class="gw-sr">{chat.t(T::Writing)}</span></span>
        })
    };
    let status = move || match m.status.get() {
        Status::Done => "done",
        Status::Streaming => "streaming",
        Status::Stopped => "stopped",
        Status::Failed => "failed",
        Status::Interrupted => "interrupted",
    };
    // Above the text: the thumbnails, or a placeholder where none was kept.
    let thumbs = m.images.get_value();
    let images = (!thumbs.is_empty()).then(|| {
        let div = NodeRef::<leptos::html::Div>::new();
        Effect::new(move |_| {
            if let Some(el) = div.get() {
                chat.lang.track();
                chat.text
                    .with_value(|t| super::thumbnails::sent(&el, &thumbs, t));
            }
        });
        view! { <div class="gw-images" node_ref=div></div> }
    });
    view! {
        // `dir="auto"`: each message takes the direction of its own first strong letter, so
        // a Hebrew question in an English widget (or English in an Arabic one) reads right.
        <div class=class dir="auto" data-status=status>
            {images}
            {match m.role {
                Role::User => Either::Left(view! { <p class="gw-text">{move || m.text.get()}</p> }),
                Role::Assistant => Either::Right(view! { <div class="gw-md" node_ref=body on:click=move |ev| super::markdown::on_click(ev, chat)></div> }),
            }}
            {typing}
            {note}
        </div>
    }
}
