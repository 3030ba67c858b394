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

/// `v` for CSS with three decimals, formatted as integers: `f64`'s `Display` would add
/// kilobytes of float formatting to the bundle.
pub fn css_number(v: f64) -> String {
    let m = (v * 1000.0 + 0.5).floor() as i64;
    let sign = if m < 0 { "-" } else { "" };
    let m = m.unsigned_abs();
    format!("{sign}{}.{:03}", m / 1000, m % 1000)
}

/// The screen is phone-sized: the open panel covers the page (the stylesheet's breakpoint).
pub fn is_narrow() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(max-width: 480px)").ok().flatten())
        .is_some_and(|m| m.matches())
}

#[cfg(test)]
mod tests {
    use super::css_number;

    #[test]
    fn numbers_for_css_have_three_decimals() {
        assert_eq!(css_number(390.0), "390.000");
        assert_eq!(css_number(1.0 / 3.0), "0.333");
        assert_eq!(css_number(0.6666), "0.667");
        assert_eq!(css_number(-12.25), "-12.250");
    }
}
