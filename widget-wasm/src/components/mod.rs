//! The widget's components, one per file, and the UI state they share through context.

mod composer;
mod launcher;
pub mod markdown;
mod panel;
mod transcript;

use leptos::prelude::*;

use crate::boot::Settings;
use crate::state::Chat;
pub use composer::Composer;
pub use launcher::Launcher;
pub use panel::Panel;
pub use transcript::Transcript;

/// UI state shared by the components. `Copy`: every field is an arena-allocated signal.
#[derive(Clone, Copy)]
pub struct UiState {
    pub settings: StoredValue<Settings>,
    pub open: RwSignal<bool>,
    pub title: RwSignal<String>,
    pub greeting: RwSignal<String>,
    pub accent: RwSignal<String>,
    pub demo_mode: RwSignal<bool>,
    /// A note shown in the log (the proxy could not be reached, an unsupported feature).
    pub notice: RwSignal<Option<String>>,
    pub chat: Chat,
}

impl UiState {
    pub fn new(settings: Settings) -> Self {
        let title = settings.title.clone().unwrap_or_else(|| "Chat".into());
        let accent = settings
            .accent_color
            .clone()
            .unwrap_or_else(|| "#1d4ed8".into());
        let open = settings.open_on_load;
        let chat = Chat::new(settings.client_id.clone(), settings.proxy_url.clone());
        Self {
            settings: StoredValue::new(settings),
            open: RwSignal::new(open),
            title: RwSignal::new(title),
            greeting: RwSignal::new("Hi! How can I help you today?".into()),
            accent: RwSignal::new(accent),
            demo_mode: RwSignal::new(false),
            notice: RwSignal::new(None),
            chat,
        }
    }

    pub fn set_open(&self, open: bool) {
        if self.open.get_untracked() != open {
            self.open.set(open);
            crate::browser::events::dispatch(if open { "opened" } else { "closed" }, None);
        }
    }

    /// `window.GrokWidget.send(text)` from the host page.
    pub fn send_from_host(&self, text: String) {
        self.set_open(true);
        if self.chat.busy.get_untracked() {
            // A reply is arriving: keep the text in the box rather than drop it.
            self.chat.draft.set(text);
        } else {
            self.chat.send(text);
        }
    }
}

#[component]
pub fn App() -> impl IntoView {
    let ui = expect_context::<UiState>();
    let launcher_ref = NodeRef::<leptos::html::Button>::new();
    let left = ui.settings.with_value(|s| s.position_left);
    view! {
        <div
            class=if left { "gw-app gw-left" } else { "gw-app gw-right" }
            class:gw-open=move || ui.open.get()
            style:--gw-accent=move || ui.accent.get()
            style:--gw-on-accent=move || crate::boot::text_on(&ui.accent.get())
        >
            {move || ui.open.get().then(|| view! { <Panel launcher=launcher_ref /> })}
            <Launcher node_ref=launcher_ref />
        </div>
    }
}
