//! GitHub-flavoured Markdown as models write it, parsed into nodes: paragraphs, headings,
//! fenced and indented code, block quotes, nested lists (task items too), thematic breaks,
//! tables; emphasis, strikethrough, code spans, links, autolinks, escapes and entities.
//!
//! Pure: text in, nodes out, no HTML anywhere. [`render`] walks the nodes for a [`render::Sink`]
//! (the widget's DOM in `components::markdown`, an HTML string in tests), so markup in a reply
//! can only ever be shown as text. Links are kept only when their target is `http:`, `https:`
//! or `mailto:`; anything else keeps its text and loses its target.
//!
//! Layout: blocks (the CommonMark container algorithm) in [`block`], one line's cursor and
//! markers in `line`, inline markup in [`inline`] (tokens) and `nest` (emphasis, nesting),
//! entities and URLs in [`text`], nodes to elements in [`render`].
//!
//! Why hand-written: pulldown-cmark or comrak would cost several times the size budget. What
//! it leaves out on purpose (setext headings, reference links, raw HTML, most named entities)
//! is listed with the differential test against markdown-it in `tests/markdown-spec/`.

pub mod block;
pub mod inline;
mod line;
mod nest;
pub mod render;
pub mod text;

pub use inline::parse_inline;
pub use text::safe_url;

/// A block of a reply. Text that holds inline markup is kept raw and parsed when rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Para(String),
    /// `#` to `######`: its level (1–6) and text.
    Heading(u8, String),
    /// A fenced or indented code block: the first word of its info string (may be empty) and
    /// its text, verbatim, without the final newline.
    Code {
        lang: String,
        text: String,
    },
    Quote(Vec<Block>),
    /// `start`: the first number of an ordered list, `None` for bullets. `tight`: no blank
    /// lines between the items, so their paragraphs are shown without gaps. Each item is a
    /// [`Block::Item`].
    List {
        start: Option<u32>,
        tight: bool,
        items: Vec<Block>,
    },
    /// A list item; `task`: a task-list box, ticked or not.
    Item {
        task: Option<bool>,
        blocks: Vec<Block>,
    },
    Rule,
    /// `rows[0]` is the header; every row has one cell per column.
    Table {
        align: Vec<Align>,
        rows: Vec<Vec<String>>,
    },
}

/// A run of text inside a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Code(String),
    Em(Vec<Inline>),
    Strong(Vec<Inline>),
    /// `~~strikethrough~~`.
    Del(Vec<Inline>),
    /// `href` is always a safe URL (see [`safe_url`]).
    Link {
        href: String,
        children: Vec<Inline>,
    },
    /// A line break. A newline inside a paragraph is one: chat replies mean a new line when
    /// they write one (markdown-it's `breaks` option).
    Break,
}

/// A table column's alignment, from its delimiter cell (`:--`, `:-:`, `--:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    None,
    Left,
    Center,
    Right,
}

/// Parses a whole reply.
pub fn parse(src: &str) -> Vec<Block> {
    block::parse(src)
}

/// Parses a reply that is still streaming in. A last, unfinished line made only of marker
/// characters (`-`, `1.`, `` ``` ``, `|--`, `#`, `>` …) is left out until more arrives: it could
/// still become a list item, a rule, a fence or a table's delimiter row, and showing it as text
/// first would make the block change shape twice.
pub fn parse_streaming(src: &str) -> Vec<Block> {
    let cut = text::line_start(src);
    let pending = src[cut..]
        .bytes()
        .all(|b| b" \t>|:-*+_=#`~.)[]0123456789".contains(&b));
    parse(if pending { &src[..cut] } else { src })
}

#[cfg(test)]
mod tests;
