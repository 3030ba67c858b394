//! One line of a block: the cursor (columns, tabs as CommonMark counts them) and what a line
//! can start: an ATX heading, a fence, a rule, a list marker, a table's delimiter row or cells;
//! and the task box a list item may start with.

use super::text::{number, trim_ws, unescape};
use super::{Align, Block};

/// A position in one line. Tabs advance to the next multiple of 4 columns and may be consumed
/// in part (`tab`), as the indentation rules need.
#[derive(Clone, Copy)]
pub(super) struct Cur<'a> {
    pub(super) s: &'a str,
    pos: usize,
    col: usize,
    tab: bool,
}

impl<'a> Cur<'a> {
    pub(super) fn new(s: &'a str) -> Self {
        Self {
            s,
            pos: 0,
            col: 0,
            tab: false,
        }
    }

    /// Columns of whitespace from here, and the byte where the text starts.
    pub(super) fn indent(&self) -> (usize, usize) {
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

    pub(super) fn blank(&self) -> bool {
        self.indent().1 == self.s.len()
    }

    /// Consumes `n` columns of whitespace, or less if the text starts first.
    pub(super) fn skip_cols(&mut self, mut n: usize) {
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
    pub(super) fn skip_marker(&mut self, n: usize) {
        let (cols, _) = self.indent();
        self.skip_cols(cols);
        self.pos += n;
        self.col += n;
    }

    /// The rest of the line; what is left of a partly consumed tab becomes spaces.
    pub(super) fn rest(&self) -> String {
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

/// A list item; a first paragraph starting `[ ] ` or `[x] ` makes it a task.
pub(super) fn item(mut blocks: Vec<Block>) -> Block {
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

pub(super) fn first_word(info: &str) -> String {
    unescape(info)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// `#` to `######` and a space: the level and the text without the closing `#`s.
pub(super) fn atx(rest: &str) -> Option<(u8, &str)> {
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
pub(super) fn fence(rest: &str) -> Option<(u8, usize, &str)> {
    let ch = *rest
        .as_bytes()
        .first()
        .filter(|&&c| c == b'`' || c == b'~')?;
    let len = rest.bytes().take_while(|&b| b == ch).count();
    let info = trim_ws(&rest[len..]);
    (len >= 3 && !(ch == b'`' && info.contains('`'))).then_some((ch, len, info))
}

/// Three or more `-`, `*` or `_`, alone on the line but for spaces.
pub(super) fn is_rule(rest: &str) -> bool {
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
pub(super) fn list_marker(rest: &str) -> Option<(bool, u8, u32, usize)> {
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
pub(super) fn delimiter_row(line: &str) -> Option<Vec<Align>> {
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
pub(super) fn cells(line: &str) -> Vec<String> {
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
