//! The widget's components, one per file, and the UI state they share through context.

mod launcher;
mod panel;

use leptos::prelude::*;

use crate::boot::Settings;
pub use launcher::Launcher;
pub use panel::Panel;

/// UI state shared by the components. `Copy`: every field is an arena-allocated signal.
#[derive(Clone, Copy)]
pub struct UiState {
    pub settings: StoredValue<Settings>,
    pub open: RwSignal<bool>,
    pub title: RwSignal<String>,
    pub greeting: RwSignal<String>,
    pub accent: RwSignal<String>,
    pub demo_mode: RwSignal<bool>,
    /// Set when the proxy could not be reached; shown in the panel.
    pub notice: RwSignal<Option<String>>,
}

impl UiState {
    pub fn new(settings: Settings) -> Self {
        let title = settings.title.clone().unwrap_or_else(|| "Chat".into());
        let accent = settings
            .accent_color
            .clone()
            .unwrap_or_else(|| "#1d4ed8".into());
        let open = settings.open_on_load;
        Self {
            settings: StoredValue::new(settings),
            open: RwSignal::new(open),
            title: RwSignal::new(title),
            greeting: RwSignal::new("Hi! How can I help you today?".into()),
            accent: RwSignal::new(accent),
            demo_mode: RwSignal::new(false),
            notice: RwSignal::new(None),
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
        // Chat arrives with the chat issue; until then the text is shown so nothing is lost.
        self.notice
            .set(Some(format!("Message not sent yet: {text}")));
    }
}

#[component]
pub fn App() -> impl IntoView {
    let ui = expect_context::<UiState>();
    let launcher_ref = NodeRef::<leptos::html::Button>::new();
    let side = move || {
        if ui.settings.with_value(|s| s.position_left) {
            "gw-left"
        } else {
            "gw-right"
        }
    };
    view! {
        <div class=move || format!("gw-app {}{}", side(), if ui.open.get() { " gw-open" } else { "" }) style=move || format!("--gw-accent: {}", ui.accent.get())>
            <Show when=move || ui.open.get()>
                <Panel launcher=launcher_ref />
            </Show>
            <Launcher node_ref=launcher_ref />
        </div>
    }
}
