//! Shows [`crate::markdown`] blocks as DOM elements. Text only ever goes in through text nodes,
//! and the only attributes set are the renderer's own (a vetted `href` with its `rel`/`target`,
//! classes, ARIA), so a reply cannot inject markup. While a reply streams, only the blocks that
//! changed are rebuilt: the others keep their focus, selection and scroll position.

use std::time::Duration;

use leptos::prelude::set_timeout;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

use crate::i18n::{EN, T, word};
use crate::markdown::Block;
use crate::markdown::render::{Sink, block, heading_base, unchanged};

/// Builds elements under `stack[0]`.
struct Dom<'a> {
    doc: Document,
    stack: Vec<Element>,
    /// The interface's words: the renderer stays language-free (it is checked against
    /// markdown-it in English), so its two labels are translated here.
    words: &'a [String],
}

impl Dom<'_> {
    fn translated<'t>(&'t self, text: &'t str) -> &'t str {
        for key in [T::CopyCode, T::ScrollTable] {
            if text == EN[key as usize] {
                return word(self.words, key);
            }
        }
        text
    }
}

// Not inlined: the renderer calls these from dozens of places, and the widget's size counts.
impl Sink for Dom<'_> {
    #[inline(never)]
    fn open(&mut self, tag: &'static str) {
        if let (Ok(e), Some(parent)) = (self.doc.create_element(tag), self.stack.last()) {
            let _ = parent.append_child(&e);
            self.stack.push(e);
        }
    }

    #[inline(never)]
    fn attr(&mut self, name: &'static str, value: &str) {
        if let Some(e) = self.stack.last() {
            let _ = e.set_attribute(name, self.translated(value));
        }
    }

    #[inline(never)]
    fn text(&mut self, text: &str) {
        if let Some(e) = self.stack.last() {
            let _ = e.append_child(&self.doc.create_text_node(self.translated(text)));
        }
    }

    #[inline(never)]
    fn close(&mut self) {
        if self.stack.len() > 1 {
            self.stack.pop();
        }
    }
}

/// What one message element shows, so the next text only rebuilds what changed.
#[derive(Default)]
pub struct Shown(Vec<Block>, Vec<String>);

impl Shown {
    /// Makes `target` show `blocks`: the blocks equal to those already shown stay as they are
    /// (each is one child element), the rest are replaced.
    pub fn update(&mut self, target: &Element, blocks: Vec<Block>) {
        self.update_in(target, blocks, &[]);
    }

    /// [`Shown::update`] with the interface's words (`ClientInfo.strings`) for its labels.
    pub fn update_in(&mut self, target: &Element, blocks: Vec<Block>, words: &[String]) {
        words.clone_into(&mut self.1);
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let keep = unchanged(&self.0, &blocks);
        while target.child_element_count() as usize > keep {
            match target.last_element_child() {
                Some(c) => c.remove(),
                None => break,
            }
        }
        // Headings after the first one follow its level; blocks before it have none, so the
        // kept blocks never need it recomputed.
        let base = heading_base(&blocks);
        let mut dom = Dom {
            doc,
            stack: vec![target.clone()],
            words: &self.1,
        };
        for b in &blocks[keep..] {
            block(&mut dom, b, base);
        }
        self.0 = blocks;
    }
}

/// Replaces the children of `target` with `blocks`.
pub fn render_into(target: &Element, blocks: &[Block]) {
    target.set_text_content(None);
    Shown::default().update(target, blocks.to_vec());
}

/// A click in a reply: a code block's "Copy code" button copies its code and says so.
pub fn on_click(ev: web_sys::MouseEvent, chat: crate::state::Chat) {
    let Some(button) = ev
        .target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .and_then(|e| e.closest(".gw-copy").ok().flatten())
    else {
        return;
    };
    let code = button
        .closest(".gw-code")
        .ok()
        .flatten()
        .and_then(|c| c.query_selector("code").ok().flatten())
        .and_then(|c| c.text_content())
        .unwrap_or_default();
    leptos::task::spawn_local(async move {
        let copied = crate::browser::clipboard::write_text(&code).await;
        button.set_text_content(Some(&chat.t(if copied {
            T::Copied
        } else {
            T::CopyFailed
        })));
        set_timeout(
            move || button.set_text_content(Some(&chat.t(T::CopyCode))),
            Duration::from_secs(2),
        );
    });
}
