//! Block structure, line by line, as CommonMark's container algorithm does it: which open
//! containers (quotes, lists, items) a line continues, which blocks it starts, where its text
//! goes (lazy paragraph continuation included). GFM adds tables and task items.

use super::text::{line_start, number, trim_ws, unescape};
use super::{Align, Block};

/// Containers nested deeper than this are not opened: their markers stay text. Rendering
/// recurses once a level and the wasm stack is small.
pub const MAX_DEPTH: usize = 32;

/// A position in one line. Tabs advance to the next multiple of 4 columns and may be consumed
/// in part (`tab`), as the indentation rules need.
#[derive(Clone, Copy)]
struct Cur<'a> {
    s: &'a str,
    pos: usize,
    col: usize,
    tab: bool,
}

impl Cur<'_> {
    /// Columns of whitespace from here, and the byte where the text starts.
    fn indent(&self) -> (usize, usize) {
        let (mut col, mut i) = (self.col, self.pos);
        let b = self.s.as_bytes();
        while i < b.len() {
            match b[i] {
                b' ' => col += 1,
                b'\t' => col += 4 - col % 4,
                _ => break,
            }
            i += 1;
        }
        (col - self.col, i)
    }

    fn blank(&self) -> bool {
        self.indent().1 == self.s.len()
    }

    /// Consumes `n` columns of whitespace, or less if the text starts first.
    fn skip_cols(&mut self, mut n: usize) {
        let b = self.s.as_bytes();
        while n > 0 && self.pos < b.len() {
            match b[self.pos] {
                b'\t' => {
                    let w = 4 - self.col % 4;
                    if n < w {
                        self.col += n;
                        self.tab = true;
                        return;
                    }
                    self.col += w;
                    self.pos += 1;
                    self.tab = false;
                    n -= w;
                }
                b' ' => {
                    self.col += 1;
                    self.pos += 1;
                    n -= 1;
                }
                _ => return,
            }
        }
    }

    /// Skips the indentation, then `n` bytes of a marker.
    fn skip_marker(&mut self, n: usize) {
        let (cols, _) = self.indent();
        self.skip_cols(cols);
        self.pos += n;
        self.col += n;
    }

    /// The rest of the line; what is left of a partly consumed tab becomes spaces.
    fn rest(&self) -> String {
        if self.tab {
            let mut s = String::new();
            for _ in self.col % 4..4 {
                s.push(' ');
            }
            s + &self.s[self.pos + 1..]
        } else {
            self.s[self.pos..].to_owned()
        }
    }
}

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
        let mut c = Cur {
            s,
            pos: 0,
            col: 0,
            tab: false,
        };
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

/// A list item; a first paragraph starting `[ ] ` or `[x] ` makes it a task.
fn item(mut blocks: Vec<Block>) -> Block {
    let mut task = None;
    if let Some(Block::Para(t)) = blocks.first_mut()
        && let Some(i) = ["[ ] ", "[x] ", "[X] "]
            .iter()
            .position(|m| t.starts_with(m))
    {
        task = Some(i > 0);
        *t = t[4..].trim_start().to_owned();
    }
    Block::Item { task, blocks }
}

fn first_word(info: &str) -> String {
    unescape(info)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// `#` to `######` and a space: the level and the text without the closing `#`s.
fn atx(rest: &str) -> Option<(u8, &str)> {
    let level = rest.bytes().take_while(|&b| b == b'#').count();
    let after = &rest[level..];
    if !(1..=6).contains(&level) || !matches!(after.bytes().next(), None | Some(b' ' | b'\t')) {
        return None;
    }
    let text = trim_ws(after);
    let open = text.trim_end_matches('#');
    let text = if open.is_empty() || matches!(open.bytes().last(), Some(b' ' | b'\t')) {
        trim_ws(open)
    } else {
        text
    };
    Some((level as u8, text))
}

/// Three or more backticks or tildes: the character, the run's length and the info string.
fn fence(rest: &str) -> Option<(u8, usize, &str)> {
    let ch = *rest
        .as_bytes()
        .first()
        .filter(|&&c| c == b'`' || c == b'~')?;
    let len = rest.bytes().take_while(|&b| b == ch).count();
    let info = trim_ws(&rest[len..]);
    (len >= 3 && !(ch == b'`' && info.contains('`'))).then_some((ch, len, info))
}

/// Three or more `-`, `*` or `_`, alone on the line but for spaces.
fn is_rule(rest: &str) -> bool {
    let Some(&ch) = rest.as_bytes().first() else {
        return false;
    };
    let mut n = 0;
    for b in rest.bytes() {
        if b == ch {
            n += 1;
        } else if b != b' ' && b != b'\t' {
            return false;
        }
    }
    matches!(ch, b'-' | b'*' | b'_') && n >= 3
}

/// `-`, `+`, `*`, `1.` or `1)` followed by a space or the end of the line: whether ordered,
/// the marker character, the number and the marker's width.
fn list_marker(rest: &str) -> Option<(bool, u8, u32, usize)> {
    let b = rest.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let found = match *b.first()? {
        c @ (b'-' | b'+' | b'*') => (false, c, 0, 1),
        _ if (1..=9).contains(&digits) && matches!(b.get(digits), Some(b'.' | b')')) => {
            (true, b[digits], number(&rest[..digits], 10)?, digits + 1)
        }
        _ => return None,
    };
    matches!(b.get(found.3), None | Some(b' ' | b'\t')).then_some(found)
}

/// A table's delimiter row (`| --- | :-: |`): the alignment of each column.
fn delimiter_row(line: &str) -> Option<Vec<Align>> {
    let b = line.as_bytes();
    let ok = |c: u8| matches!(c, b'|' | b'-' | b':');
    if b.len() < 2 || !ok(b[0]) || !(ok(b[1]) || b[1] == b' ') || b.starts_with(b"- ") {
        return None;
    }
    if !b.iter().all(|&c| ok(c) || c == b' ' || c == b'\t') {
        return None;
    }
    let mut align = Vec::new();
    for cell in cells(line) {
        let c = cell.as_bytes();
        let (left, right) = (c.first() == Some(&b':'), c.last() == Some(&b':'));
        let dashes = &c[usize::from(left)..c.len() - usize::from(right && c.len() > 1)];
        if dashes.is_empty() || !dashes.iter().all(|&d| d == b'-') {
            return None;
        }
        align.push(match (left, right) {
            (true, true) => Align::Center,
            (false, true) => Align::Right,
            (true, false) => Align::Left,
            (false, false) => Align::None,
        });
    }
    (!align.is_empty()).then_some(align)
}

/// A table row's cells: split at `|` (`\|` is a pipe in the cell), outer pipes optional.
fn cells(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut escaped = false;
    for ch in line.trim().chars() {
        let cell = cells.last_mut().expect("never empty");
        if ch == '|' && !escaped {
            cells.push(String::new());
        } else if ch == '|' {
            cell.pop();
            cell.push('|');
        } else {
            cell.push(ch);
        }
        escaped = ch == '\\';
    }
    if cells.first().is_some_and(String::is_empty) {
        cells.remove(0);
    }
    if cells.last().is_some_and(String::is_empty) {
        cells.pop();
    }
    cells.iter().map(|c| trim_ws(c).to_owned()).collect()
}
