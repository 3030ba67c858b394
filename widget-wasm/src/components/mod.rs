//! The widget's components, one per file; the UI state they share through context is
//! `state::UiState`.

mod composer;
mod launcher;
pub mod markdown;
mod panel;
mod thumbnails;
mod transcript;

use leptos::prelude::*;

use crate::browser::viewport::{self, Rect};
use crate::state::UiState;
pub use composer::Composer;
pub use launcher::Launcher;
pub use panel::Panel;
pub use transcript::Transcript;

#[component]
pub fn App() -> impl IntoView {
    let ui = expect_context::<UiState>();
    let launcher_ref = NodeRef::<leptos::html::Button>::new();
    let (offset_x, offset_y) = ui
        .settings
        .with_value(|s| (s.offset_x.clone(), s.offset_y.clone()));
    // The widget covers the visual viewport (what is on screen), not the layout viewport that
    // `position: fixed` alone would use: see browser::viewport.
    let vv = RwSignal::new(None::<Rect>);
    let listeners = viewport::watch(move |r| {
        vv.set(Some(r));
        ui.narrow.set(viewport::is_narrow());
    });
    StoredValue::new_local(listeners);
    let px = |v: f64| format!("{}px", viewport::css_number(v));
    view! {
        <div
            class="gw-app"
            class:gw-left=move || ui.launcher_left()
            class:gw-open=move || ui.open.get()
            // The whole shadow tree in the interface language and its direction.
            dir=ui.dir()
            lang=move || Some(ui.chat.lang.get()).filter(|l| !l.is_empty())
            style:--gw-cfg-accent=move || ui.accent.get()
            style:--gw-cfg-on-accent=move || crate::settings::text_on(&ui.accent.get())
            style:--grokwidget-offset-x=offset_x.unwrap_or_default()
            style:--grokwidget-offset-y=offset_y.unwrap_or_default()
            // Zoomed in, the widget keeps its size on screen: scaled by 1 / zoom.
            style:width=move || vv.get().map(|r| px(r.width * r.scale)).unwrap_or_default()
            style:height=move || vv.get().map(|r| px(r.height * r.scale)).unwrap_or_default()
            style:transform=move || vv.get().map(|r| format!("translate({}px,{}px) scale({})", viewport::css_number(r.left), viewport::css_number(r.top), viewport::css_number(1.0 / r.scale))).unwrap_or_default()
        >
            {move || ui.open.get().then(|| view! { <Panel launcher=launcher_ref /> })}
            <Launcher node_ref=launcher_ref />
        </div>
    }
}
