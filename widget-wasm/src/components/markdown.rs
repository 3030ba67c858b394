//! Renders [`crate::markdown`] nodes as DOM elements. Text only ever goes in through
//! `textContent`, and the only attributes set are a vetted `href` with its `rel`/`target`, so a
//! reply cannot inject markup.

use web_sys::{Document, Element};

use crate::markdown::{Block, Inline};

fn el(doc: &Document, parent: &Element, tag: &str) -> Option<Element> {
    let e = doc.create_element(tag).ok()?;
    parent.append_child(&e).ok()?;
    Some(e)
}

fn text(doc: &Document, parent: &Element, s: &str) {
    let _ = parent.append_child(&doc.create_text_node(s));
}

/// Replaces the children of `target` with `blocks`.
pub fn render_into(target: &Element, blocks: &[Block]) {
    target.set_text_content(None);
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    for block in blocks {
        match block {
            Block::Paragraph(inlines) => {
                if let Some(p) = el(&doc, target, "p") {
                    inline(&doc, &p, inlines);
                }
            }
            Block::Heading(_, inlines) => {
                if let Some(p) = el(&doc, target, "p")
                    && let Some(b) = el(&doc, &p, "strong")
                {
                    inline(&doc, &b, inlines);
                }
            }
            Block::Code { lang, text: code } => {
                if let Some(pre) = el(&doc, target, "pre") {
                    let _ = pre.set_attribute("tabindex", "0");
                    if !lang.is_empty() {
                        let _ = pre.set_attribute("aria-label", &format!("{lang} code"));
                    }
                    if let Some(c) = el(&doc, &pre, "code") {
                        text(&doc, &c, code);
                    }
                }
            }
            Block::List { ordered, items } => {
                if let Some(list) = el(&doc, target, if *ordered { "ol" } else { "ul" }) {
                    for item in items {
                        if let Some(li) = el(&doc, &list, "li") {
                            inline(&doc, &li, item);
                        }
                    }
                }
            }
        }
    }
}

fn inline(doc: &Document, parent: &Element, nodes: &[Inline]) {
    for node in nodes {
        match node {
            Inline::Text(s) => text(doc, parent, s),
            Inline::Break => {
                let _ = el(doc, parent, "br");
            }
            Inline::Code(s) => {
                if let Some(c) = el(doc, parent, "code") {
                    text(doc, &c, s);
                }
            }
            Inline::Strong(children) | Inline::Em(children) => {
                let tag = if matches!(node, Inline::Strong(_)) {
                    "strong"
                } else {
                    "em"
                };
                if let Some(e) = el(doc, parent, tag) {
                    inline(doc, &e, children);
                }
            }
            Inline::Link { href, children } => {
                if let Some(a) = el(doc, parent, "a") {
                    let _ = a.set_attribute("href", href);
                    let _ = a.set_attribute("rel", "noopener noreferrer");
                    let _ = a.set_attribute("target", "_blank");
                    inline(doc, &a, children);
                }
            }
        }
    }
}
