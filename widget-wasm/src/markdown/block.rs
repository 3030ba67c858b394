//! Block structure, line by line, as CommonMark's container algorithm does it: which open
//! containers (quotes, lists, items) a line continues, which blocks it starts, where its text
//! goes (lazy paragraph continuation included). GFM adds tables and task items.

use super::line::{Cur, atx, cells, delimiter_row, fence, first_word, is_rule, item, list_marker};
use super::text::{line_start, trim_ws};
use super::{Align, Block};

/// Containers nested deeper than this are not opened: their markers stay text. Rendering
/// recurses once a level and the wasm stack is small.
pub const MAX_DEPTH: usize = 32;

enum Kind {
    Doc,
    Quote,
    /// `marker`: `-`, `+`, `*`, or the `.` / `)` after an ordered item's number.
    List {
        ordered: bool,
        marker: u8,
        start: u32,
    },
    /// `indent`: the column its content starts at, relative to its list's.
    Item {
        indent: usize,
    },
}

struct Cont {
    kind: Kind,
    kids: Vec<Block>,
    /// The last line inside was blank (for lists and items: "ends with a blank line").
    blank: bool,
    /// A blank line separated two of its children (items: two blocks; lists: two items).
    loose: bool,
}

#[derive(Default)]
enum Leaf {
    #[default]
    None,
    Para(String),
    Fence {
        ch: u8,
        len: usize,
        indent: usize,
        lang: String,
        text: String,
    },
    Indented(String),
    Table(Vec<Align>, Vec<Vec<String>>),
}

struct Parser {
    stack: Vec<Cont>,
    /// The open leaf; it belongs to the innermost container.
    leaf: Leaf,
}

/// Parses a whole text into blocks.
pub fn parse(src: &str) -> Vec<Block> {
    let mut p = Parser {
        stack: vec![Cont::new(Kind::Doc)],
        leaf: Leaf::None,
    };
    let mut lines = src.split('\n').peekable();
    while let Some(line) = lines.next() {
        let last = lines.peek().is_none();
        if !(last && line.is_empty()) {
            p.line(line.strip_suffix('\r').unwrap_or(line), last);
        }
    }
    p.close_to(1);
    p.stack.pop().map(|d| d.kids).unwrap_or_default()
}

impl Cont {
    fn new(kind: Kind) -> Self {
        Self {
            kind,
            kids: Vec::new(),
            blank: false,
            loose: false,
        }
    }
}

impl Parser {
    fn top(&mut self) -> &mut Cont {
        let i = self.stack.len() - 1;
        &mut self.stack[i]
    }

    /// `last`: the final line, with no newline after it (still being written, when streaming).
    fn line(&mut self, s: &str, last: bool) {
        let mut c = Cur::new(s);
        let mut matched = 1;
        while matched < self.stack.len() {
            let (ind, at) = c.indent();
            let ok = match self.stack[matched].kind {
                Kind::Quote => {
                    let quote = ind < 4 && s.as_bytes().get(at) == Some(&b'>');
                    if quote {
                        c.skip_marker(1);
                        c.skip_cols(1);
                    }
                    quote
                }
                Kind::Item { indent } => {
                    // An item with nothing in it yet (it began with a blank line) ends at a
                    // second blank line.
                    let empty = matched + 1 == self.stack.len()
                        && self.stack[matched].kids.is_empty()
                        && matches!(self.leaf, Leaf::None);
                    let ok = if c.blank() { !empty } else { ind >= indent };
                    if ok {
                        c.skip_cols(indent);
                    }
                    ok
                }
                Kind::List { .. } | Kind::Doc => true,
            };
            if !ok {
                break;
            }
            matched += 1;
        }
        let all = matched == self.stack.len();
        if all && self.code_line(&mut c) {
            return;
        }

        let mut opened = false;
        while self.stack.len() < MAX_DEPTH {
            let (ind, at) = c.indent();
            let para = matches!(self.leaf, Leaf::Para(_));
            if ind >= 4 {
                // Indented code cannot interrupt a paragraph: the line continues it.
                if para || c.blank() {
                    break;
                }
                self.close_to(matched);
                c.skip_cols(4);
                self.start(Leaf::Indented(c.rest() + "\n"));
                return;
            }
            let rest = &s[at..];
            if para && matched == self.stack.len() && self.table_start(rest) {
                return;
            }
            if rest.starts_with('>') {
                self.close_to(matched);
                c.skip_marker(1);
                c.skip_cols(1);
                self.push(Kind::Quote);
            } else if let Some((level, text)) = atx(rest) {
                self.close_to(matched);
                self.add(Block::Heading(level, text.to_owned()));
                return;
            } else if let Some((ch, len, info)) = fence(rest) {
                self.close_to(matched);
                // The language is known once its line is complete.
                let lang = if last {
                    String::new()
                } else {
                    first_word(info)
                };
                self.start(Leaf::Fence {
                    ch,
                    len,
                    indent: ind,
                    lang,
                    text: String::new(),
                });
                return;
            } else if is_rule(rest) {
                self.close_to(matched);
                self.add(Block::Rule);
                return;
            } else if let Some((ordered, marker, start, width)) = list_marker(rest) {
                let mut after = c;
                after.skip_marker(width);
                let empty = after.blank();
                // Only a non-empty bullet or a list starting at 1 may interrupt a paragraph.
                if para && matched == self.stack.len() && (empty || (ordered && start != 1)) {
                    break;
                }
                self.close_to(matched);
                let (spaces, _) = after.indent();
                // Content indented 5 or more is indented code inside the item.
                let pad = if empty || spaces > 4 { 1 } else { spaces };
                c = after;
                if !empty {
                    c.skip_cols(pad);
                }
                let same = matches!(self.top().kind,
                    Kind::List { ordered: o, marker: m, .. } if o == ordered && m == marker);
                if !same {
                    self.push(Kind::List {
                        ordered,
                        marker,
                        start,
                    });
                }
                self.push(Kind::Item {
                    indent: ind + width + pad,
                });
            } else {
                break;
            }
            matched = self.stack.len();
            opened = true;
        }

        let blank = c.blank();
        if !opened && !blank {
            match &mut self.leaf {
                // Lazy continuation too: a paragraph goes on in a quote or item even without
                // its `>` or indentation.
                Leaf::Para(p) => {
                    p.push('\n');
                    p.push_str(c.rest().trim_start());
                    return;
                }
                Leaf::Table(align, rows) if all => {
                    let mut cells = cells(&c.rest());
                    cells.resize(align.len(), String::new());
                    rows.push(cells);
                    return;
                }
                _ => {}
            }
        }
        self.close_to(matched);
        if blank {
            if !opened {
                self.top().blank = true;
            }
        } else {
            self.start(Leaf::Para(c.rest().trim_start().to_owned()));
        }
    }

    /// A line inside an open code block: true if it was taken (content or closing fence).
    fn code_line(&mut self, c: &mut Cur<'_>) -> bool {
        let (ind, at) = c.indent();
        match &mut self.leaf {
            Leaf::Fence {
                ch,
                len,
                indent,
                text,
                ..
            } => {
                let rest = &c.s[at..];
                let run = rest.bytes().take_while(|&b| b == *ch).count();
                if ind < 4 && run >= *len && trim_ws(&rest[run..]).is_empty() {
                    self.close_leaf();
                } else {
                    c.skip_cols(ind.min(*indent));
                    text.push_str(&c.rest());
                    text.push('\n');
                }
                true
            }
            Leaf::Indented(text) if ind >= 4 || c.blank() => {
                c.skip_cols(4);
                text.push_str(&c.rest());
                text.push('\n');
                true
            }
            _ => false,
        }
    }

    /// A delimiter row under the paragraph's last line turns that line into a table header.
    fn table_start(&mut self, line: &str) -> bool {
        let Some(align) = delimiter_row(line) else {
            return false;
        };
        let Leaf::Para(p) = &mut self.leaf else {
            return false;
        };
        let at = line_start(p);
        let head = cells(&p[at..]);
        if head.len() != align.len() || !p[at..].contains('|') {
            return false;
        }
        p.truncate(at.saturating_sub(1));
        if at == 0 {
            self.leaf = Leaf::None;
        }
        self.close_leaf();
        self.leaf = Leaf::Table(align, vec![head]);
        true
    }

    fn close_leaf(&mut self) {
        let block = match std::mem::take(&mut self.leaf) {
            Leaf::None => return,
            Leaf::Para(t) => Block::Para(trim_ws(&t).to_owned()),
            Leaf::Fence { lang, mut text, .. } => {
                text.pop();
                Block::Code { lang, text }
            }
            Leaf::Indented(text) => {
                // Without its final newline and the blank lines before it.
                let mut t = text.strip_suffix('\n').unwrap_or(&text);
                while !t.is_empty() && trim_ws(&t[line_start(t)..]).is_empty() {
                    t = &t[..line_start(t).saturating_sub(1)];
                }
                Block::Code {
                    lang: String::new(),
                    text: t.to_owned(),
                }
            }
            Leaf::Table(align, rows) => Block::Table { align, rows },
        };
        self.top().kids.push(block);
    }

    /// Closes the leaf and every container past the first `n`.
    fn close_to(&mut self, n: usize) {
        while self.stack.len() > n {
            self.close_leaf();
            let Some(c) = self.stack.pop() else { return };
            let ends_blank = c.blank && !matches!(c.kind, Kind::Quote);
            let parent = self.top();
            let block = match c.kind {
                Kind::Quote => Block::Quote(c.kids),
                Kind::List { ordered, start, .. } => Block::List {
                    start: ordered.then_some(start),
                    tight: !c.loose,
                    items: c.kids,
                },
                // (The document itself is never closed here.)
                Kind::Item { .. } | Kind::Doc => {
                    parent.loose |= c.loose;
                    item(c.kids)
                }
            };
            parent.kids.push(block);
            parent.blank = ends_blank;
        }
        self.close_leaf();
    }

    /// Before a new child of the innermost container: a list holds only items, and a blank line
    /// before a second child makes the list loose.
    fn prepare(&mut self, item: bool) {
        self.close_leaf();
        while !item && matches!(self.top().kind, Kind::List { .. }) {
            let n = self.stack.len() - 1;
            self.close_to(n);
        }
        let top = self.top();
        top.loose |= top.blank && !top.kids.is_empty();
        top.blank = false;
    }

    fn push(&mut self, kind: Kind) {
        self.prepare(matches!(kind, Kind::Item { .. }));
        self.stack.push(Cont::new(kind));
    }

    fn start(&mut self, leaf: Leaf) {
        self.prepare(false);
        self.leaf = leaf;
    }

    fn add(&mut self, block: Block) {
        self.prepare(false);
        self.top().kids.push(block);
    }
}
