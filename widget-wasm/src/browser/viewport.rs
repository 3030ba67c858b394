//! The visual viewport (`window.visualViewport`): the part of the page actually on screen.
//!
//! `position: fixed` places things against the layout viewport. On a phone that is wider than
//! the screen when the page's content is (Chrome widens it to the content), and the visual
//! viewport moves inside it when the visitor pinch-zooms or the on-screen keyboard opens. The
//! widget follows the visual viewport instead, so it is never drawn off screen.

use std::rc::Rc;

use super::listener::Listener;

/// The visual viewport in CSS pixels, relative to the layout viewport.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
    /// Pinch-zoom factor (1 when not zoomed).
    pub scale: f64,
}

/// Calls `f` now and whenever the visual viewport moves or resizes, for as long as the
/// returned listeners live. `None` where there is no `visualViewport` (fixed positioning is
/// then all there is).
pub fn watch(f: impl Fn(Rect) + 'static) -> Option<[Listener; 2]> {
    let vv = web_sys::window()?.visual_viewport()?;
    let v = vv.clone();
    let update = Rc::new(move || {
        f(Rect {
            left: v.offset_left(),
            top: v.offset_top(),
            width: v.width(),
            height: v.height(),
            scale: v.scale(),
        })
    });
    update();
    let again = update.clone();
    Some([
        Listener::new(&vv, "resize", move |_| update()),
        Listener::new(&vv, "scroll", move |_| again()),
    ])
}

/// The screen is phone-sized: the open panel covers the page (the stylesheet's breakpoint).
pub fn is_narrow() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(max-width: 480px)").ok().flatten())
        .is_some_and(|m| m.matches())
}
