//! The round button that opens and closes the panel.

use leptos::prelude::*;

use crate::i18n::T;
use crate::state::UiState;

#[component]
pub fn Launcher(node_ref: NodeRef<leptos::html::Button>) -> impl IntoView {
    let ui = expect_context::<UiState>();
    view! {
        <button
            class="gw-launcher"
            part="launcher"
            type="button"
            node_ref=node_ref
            aria-label=move || ui.chat.t(if ui.open.get() { T::CloseChat } else { T::OpenChat })
            aria-expanded=move || ui.open.get().to_string()
            on:click=move |_| ui.set_open(!ui.open.get_untracked())
        >
            <svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false">
                <path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z" />
            </svg>
        </button>
    }
}
