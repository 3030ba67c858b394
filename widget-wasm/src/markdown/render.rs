//! Blocks → elements, for any [`Sink`]: the widget's DOM (`components::markdown`) or an HTML
//! string ([`Html`], for tests and the differential test against markdown-it). One walk for
//! both, so what is tested is what the widget builds.
//!
//! What a reply gets besides the plain elements: headings become `h3`–`h6` (the panel title is
//! the `h2`; the reply's first heading is an `h3`, deeper ones follow from it), code blocks a
//! header with their language and a "Copy code" button (no colouring: it did not fit the size
//! budget, see docs/markdown.md), tables a wrapper
//! that scrolls sideways and takes keyboard focus, task items a box with words for screen
//! readers, links `rel="noopener noreferrer"` and a new tab.

use super::{Align, Block, Inline, parse_inline};

/// Where elements go: `open` starts a child of the current element and makes it current,
/// `close` goes back to its parent.
pub trait Sink {
    fn open(&mut self, tag: &'static str);
    fn attr(&mut self, name: &'static str, value: &str);
    fn text(&mut self, text: &str);
    fn close(&mut self);
}

/// The level of the first heading, in reading order (1 if there is none): it becomes an `h3`.
pub fn heading_base(blocks: &[Block]) -> u8 {
    fn first(blocks: &[Block]) -> Option<u8> {
        blocks.iter().find_map(|b| match b {
            Block::Heading(level, _) => Some(*level),
            Block::Quote(kids)
            | Block::Item { blocks: kids, .. }
            | Block::List { items: kids, .. } => first(kids),
            _ => None,
        })
    }
    first(blocks).unwrap_or(1)
}

/// How many leading blocks of `new` equal those of `old`: what a renderer can keep.
pub fn unchanged(old: &[Block], new: &[Block]) -> usize {
    old.iter().zip(new).take_while(|(a, b)| a == b).count()
}

/// Renders one top-level block (each is exactly one element, so a renderer can replace the
/// blocks that changed and keep the others). `base`: see [`heading_base`].
pub fn block(s: &mut impl Sink, b: &Block, base: u8) {
    blocks(s, std::slice::from_ref(b), base, false);
}

fn blocks(s: &mut impl Sink, list: &[Block], base: u8, tight: bool) {
    for b in list {
        match b {
            Block::Para(t) => para(s, t, tight, None),
            Block::Heading(level, t) => {
                let n = (3 + level.saturating_sub(base)).min(6);
                s.open(["h3", "h4", "h5", "h6"][usize::from(n - 3)]);
                inline(s, &parse_inline(t));
                s.close();
            }
            Block::Code { lang, text } => code(s, lang, text),
            Block::Quote(kids) => {
                s.open("blockquote");
                blocks(s, kids, base, false);
                s.close();
            }
            Block::List {
                start,
                tight,
                items,
            } => {
                s.open(if start.is_some() { "ol" } else { "ul" });
                if let Some(n) = start.filter(|&n| n != 1) {
                    s.attr("start", &n.to_string());
                }
                blocks(s, items, base, *tight);
                s.close();
            }
            Block::Item { task, blocks: kids } => {
                s.open("li");
                match (task, kids.split_first()) {
                    (Some(done), Some((Block::Para(t), rest))) => {
                        s.attr("class", "gw-task");
                        para(s, t, tight, Some(*done));
                        blocks(s, rest, base, tight);
                    }
                    _ => blocks(s, kids, base, tight),
                }
                s.close();
            }
            Block::Rule => {
                s.open("hr");
                s.close();
            }
            Block::Table { align, rows } => table(s, align, rows),
        }
    }
}

/// A paragraph; in a tight list item, its text alone. `task`: a task item's box comes first.
fn para(s: &mut impl Sink, text: &str, tight: bool, task: Option<bool>) {
    if !tight {
        s.open("p");
    }
    if let Some(done) = task {
        s.open("span");
        s.attr("class", if done { "gw-box gw-done" } else { "gw-box" });
        s.attr("aria-hidden", "true");
        s.close();
        s.open("span");
        s.attr("class", "gw-sr");
        s.text(if done { "Done: " } else { "To do: " });
        s.close();
    }
    inline(s, &parse_inline(text));
    if !tight {
        s.close();
    }
}

fn code(s: &mut impl Sink, lang: &str, text: &str) {
    s.open("div");
    s.attr("class", "gw-code");
    s.open("div");
    s.attr("class", "gw-code-head");
    s.open("span");
    s.text(lang);
    s.close();
    s.open("button");
    s.attr("type", "button");
    s.attr("class", "gw-copy");
    s.text("Copy code");
    s.close();
    s.close();
    // Focusable so a keyboard can scroll a long line.
    s.open("pre");
    s.attr("tabindex", "0");
    s.open("code");
    if !lang.is_empty() {
        s.attr("class", &("language-".to_owned() + lang));
    }
    s.text(text);
    s.close();
    s.close();
    s.close();
}

fn table(s: &mut impl Sink, align: &[Align], rows: &[Vec<String>]) {
    s.open("div");
    s.attr("class", "gw-table");
    // A wide table scrolls inside the bubble; focus lets a keyboard scroll it. A group, not a
    // region: two tables in a reply would be two landmarks of the same name.
    s.attr("tabindex", "0");
    s.attr("role", "group");
    s.attr("aria-label", "Scrollable table");
    s.open("table");
    for (i, row) in rows.iter().enumerate() {
        if i < 2 {
            if i == 1 {
                s.close();
            }
            s.open(if i == 0 { "thead" } else { "tbody" });
        }
        s.open("tr");
        for (cell, a) in row.iter().zip(align) {
            s.open(if i == 0 { "th" } else { "td" });
            match a {
                Align::Left => s.attr("class", "gw-align-l"),
                Align::Center => s.attr("class", "gw-align-c"),
                Align::Right => s.attr("class", "gw-align-r"),
                Align::None => {}
            }
            inline(s, &parse_inline(cell));
            s.close();
        }
        s.close();
    }
    s.close();
    s.close();
    s.close();
}

fn inline(s: &mut impl Sink, nodes: &[Inline]) {
    for node in nodes {
        let (tag, kids) = match node {
            Inline::Text(t) => {
                s.text(t);
                continue;
            }
            Inline::Code(t) => {
                s.open("code");
                s.text(t);
                s.close();
                continue;
            }
            Inline::Break => {
                s.open("br");
                s.close();
                continue;
            }
            Inline::Em(k) => ("em", k),
            Inline::Strong(k) => ("strong", k),
            Inline::Del(k) => ("del", k),
            Inline::Link { href, children } => {
                s.open("a");
                s.attr("href", href);
                s.attr("rel", "noopener noreferrer");
                s.attr("target", "_blank");
                inline(s, children);
                s.close();
                continue;
            }
        };
        s.open(tag);
        inline(s, kids);
        s.close();
    }
}

/// Builds an HTML string: for tests and the differential test, never for the widget (which
/// only ever creates DOM nodes).
#[derive(Default)]
pub struct Html {
    pub out: String,
    stack: Vec<&'static str>,
    /// The current start tag is still open for attributes.
    in_tag: bool,
}

impl Html {
    fn end_tag(&mut self) {
        if self.in_tag {
            self.out.push('>');
            self.in_tag = false;
        }
    }

    fn escape(&mut self, s: &str, attr: bool) {
        for c in s.chars() {
            match c {
                '&' => self.out.push_str("&amp;"),
                '<' => self.out.push_str("&lt;"),
                '>' => self.out.push_str("&gt;"),
                '"' if attr => self.out.push_str("&quot;"),
                '\u{a0}' => self.out.push_str("&nbsp;"),
                c => self.out.push(c),
            }
        }
    }
}

impl Sink for Html {
    fn open(&mut self, tag: &'static str) {
        self.end_tag();
        self.out.push('<');
        self.out.push_str(tag);
        self.in_tag = true;
        self.stack.push(tag);
    }

    fn attr(&mut self, name: &'static str, value: &str) {
        self.out.push(' ');
        self.out.push_str(name);
        self.out.push_str("=\"");
        self.escape(value, true);
        self.out.push('"');
    }

    fn text(&mut self, text: &str) {
        self.end_tag();
        self.escape(text, false);
    }

    fn close(&mut self) {
        self.end_tag();
        let tag = self.stack.pop().unwrap_or_default();
        if tag != "br" && tag != "hr" {
            self.out.push_str("</");
            self.out.push_str(tag);
            self.out.push('>');
        }
    }
}

/// A whole text as HTML, the way the widget shows it once the reply is complete.
pub fn to_html(blocks: &[Block]) -> String {
    let mut h = Html::default();
    let base = heading_base(blocks);
    for b in blocks {
        block(&mut h, b, base);
    }
    h.out
}
