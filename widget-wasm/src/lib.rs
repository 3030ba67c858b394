//! The embeddable chat widget: a Leptos CSR app mounted in an open shadow root.
//!
//! Layout:
//! - [`boot`]: reads the settings the loader took from the `<script>` tag, creates the host
//!   element and its shadow root, and installs the host-page API (`window.GrokWidget`).
//! - [`components`]: one component per file (launcher, panel, transcript, composer) and the
//!   DOM renderer of markdown nodes.
//! - [`state`]: the chat store and its persistence in `localStorage`.
//! - [`i18n`]: the interface's words (English built in, others from the proxy), RTL scripts.
//! - [`markdown`]: the safe markdown subset replies are shown in (pure).
//! - [`api`]: talks to the proxy; the SSE parser (pure).
//! - [`speech`]: which sentence is spoken next and how, the browser voice's settings (pure).
//! - [`browser`]: the only place that touches `web_sys` callbacks.

pub mod api;
pub mod boot;
pub mod browser;
pub mod components;
pub mod i18n;
pub mod markdown;
pub mod settings;
pub mod speech;
pub mod state;

use leptos::prelude::*;

/// Mounts one widget per `<script>` tag (each its own element, state and storage). Called by
/// `main` when the module is initialised.
pub fn start() {
    let all = boot::settings_from_loader();
    if all.is_empty() {
        browser::log::error("[widget] started without the loader's settings; embed /widget.js");
        return;
    }
    let mut widgets = Vec::new();
    for settings in all {
        if widgets.iter().any(|(id, _)| *id == settings.client_id) {
            continue;
        }
        let Some(mount_point) = boot::create_host(&settings) else {
            browser::log::error("[widget] could not create its host element");
            continue;
        };
        let ui = state::UiState::new(settings.clone());
        leptos::mount::mount_to(mount_point, move || {
            provide_context(ui);
            ui.chat.persist_effect();
            ui.conversation_effect();
            view! { <components::App /> }
        })
        .forget();
        ui.load_client_info();
        widgets.push((settings.client_id, ui));
    }
    boot::install_host_api(&widgets);
}
