//! The chat panel: title bar, message log, close.

use leptos::prelude::*;

use super::UiState;

#[component]
pub fn Panel(launcher: NodeRef<leptos::html::Button>) -> impl IntoView {
    let ui = expect_context::<UiState>();
    let close = move || {
        ui.set_open(false);
        if let Some(button) = launcher.get_untracked() {
            let _ = button.focus();
        }
    };
    let close_button = NodeRef::<leptos::html::Button>::new();
    // Focus moves into the panel when it opens, so keyboard users land in it.
    Effect::new(move |_| {
        if let Some(b) = close_button.get() {
            let _ = b.focus();
        }
    });
    view! {
        <section
            class="gw-panel"
            role="dialog"
            aria-label=move || ui.title.get()
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" {
                    ev.stop_propagation();
                    close();
                }
            }
        >
            <header class="gw-header">
                <h2 class="gw-title">{move || ui.title.get()}</h2>
                <Show when=move || ui.demo_mode.get()>
                    <span class="gw-badge" title="Answers come from the offline fake x.ai, not Grok">"Demo"</span>
                </Show>
                <button class="gw-icon" type="button" aria-label="Close chat" node_ref=close_button on:click=move |_| close()>
                    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
                        <path fill="currentColor" d="M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4L12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z" />
                    </svg>
                </button>
            </header>
            <div class="gw-log" role="log" aria-live="polite">
                <p class="gw-msg gw-assistant">{move || ui.greeting.get()}</p>
                {move || ui.notice.get().map(|n| view! { <p class="gw-notice" role="status">{n}</p> })}
            </div>
        </section>
    }
}
