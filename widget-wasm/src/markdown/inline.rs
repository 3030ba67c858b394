//! Inline markup, as CommonMark parses it: one scan to tokens (code spans, autolinks,
//! escapes, entities, delimiter runs, brackets; links formed at their `]`), then [`super::nest`]
//! matches emphasis and nests the tokens. Every step is linear or close to it: a line full of
//! `[` or `*` costs no more than ordinary text.

use super::Inline;
use super::nest::{Delim, NONE, Tok, build, emphasis};
use super::text::{bare_url, entity, is_punct, is_space, safe_url, unescape};

struct Bracket {
    tok: usize,
    image: bool,
    /// The delimiter stack's height when it was pushed.
    delims: usize,
}

struct Scan<'a> {
    s: &'a str,
    toks: Vec<Tok>,
    delims: Vec<Delim>,
    brackets: Vec<Bracket>,
    /// `[` brackets below this height are inactive: a link formed above them (links never
    /// contain links). One mark instead of a flag on each keeps a line of `[` linear.
    dead: usize,
    text: String,
    /// Backtick run lengths with no closing run left: their later openers are text at once.
    no_code: Vec<usize>,
    /// Title quotes (`"`, `'`, `(`) with no closer left.
    no_title: Vec<u8>,
}

/// Parses inline markup.
pub fn parse_inline(src: &str) -> Vec<Inline> {
    let mut p = Scan {
        s: src,
        toks: Vec::new(),
        delims: Vec::new(),
        brackets: Vec::new(),
        dead: 0,
        text: String::new(),
        no_code: Vec::new(),
        no_title: Vec::new(),
    };
    p.scan();
    emphasis(&mut p.delims, &mut p.toks, 0);
    build(p.toks)
}

fn run_len(b: &[u8], i: usize, ch: u8) -> usize {
    b[i..].iter().take_while(|&&c| c == ch).count()
}

fn special(c: u8) -> bool {
    b"\\`*_~[!]<&\nhHmM".contains(&c)
}

impl Scan<'_> {
    fn flush(&mut self) {
        if !self.text.is_empty() {
            self.toks.push(Tok::Text(std::mem::take(&mut self.text)));
        }
    }

    fn push(&mut self, t: Tok) {
        self.flush();
        self.toks.push(t);
    }

    fn scan(&mut self) {
        let s = self.s;
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            i = match b[i] {
                b'\\' => match b.get(i + 1) {
                    Some(b'\n') => {
                        self.push(Tok::Node(Inline::Break));
                        i + 2
                    }
                    Some(&n) if n.is_ascii_punctuation() => {
                        self.text.push(n as char);
                        i + 2
                    }
                    _ => {
                        self.text.push('\\');
                        i + 1
                    }
                },
                b'`' => self.code(i),
                b'*' | b'_' | b'~' => self.run(i),
                b'[' => self.bracket(i, false),
                b'!' if b.get(i + 1) == Some(&b'[') => self.bracket(i, true),
                b']' => self.close_bracket(i),
                b'<' => self.angle(i),
                b'&' => match entity(&s[i..]) {
                    Some((c, len)) => {
                        self.text.push(c);
                        i + len
                    }
                    None => {
                        self.text.push('&');
                        i + 1
                    }
                },
                b'\n' => {
                    // Spaces before a line break are not shown.
                    let spaces = self.text.bytes().rev().take_while(|&c| c == b' ').count();
                    self.text.truncate(self.text.len() - spaces);
                    self.push(Tok::Node(Inline::Break));
                    i + 1
                }
                _ => {
                    let before = s[..i].chars().next_back();
                    // GFM: a bare URL starts a line or follows a space, `*`, `_`, `~` or `(`.
                    let url = (before.is_none_or(|c| c.is_whitespace() || "*_~(".contains(c)))
                        .then(|| bare_url(&s[i..]))
                        .flatten()
                        .filter(|&len| safe_url(&s[i..i + len]).is_some());
                    if let Some(len) = url {
                        self.push(Tok::Url(s[i..i + len].to_owned()));
                        i + len
                    } else {
                        let end = b[i + 1..]
                            .iter()
                            .position(|&c| special(c))
                            .map_or(b.len(), |p| i + 1 + p);
                        self.text.push_str(&s[i..end]);
                        end
                    }
                }
            };
        }
        self.flush();
    }

    /// A code span, or the backticks as text when no run of the same length closes it.
    fn code(&mut self, i: usize) -> usize {
        let s = self.s;
        let b = s.as_bytes();
        let n = run_len(b, i, b'`');
        let start = i + n;
        if !self.no_code.contains(&n) {
            let mut j = start;
            while j < b.len() {
                if b[j] != b'`' {
                    j += 1;
                    continue;
                }
                let m = run_len(b, j, b'`');
                if m == n {
                    let mut code = s[start..j].replace('\n', " ");
                    if code.len() >= 2
                        && code.starts_with(' ')
                        && code.ends_with(' ')
                        && code.bytes().any(|c| c != b' ')
                    {
                        code = code[1..code.len() - 1].to_owned();
                    }
                    self.push(Tok::Node(Inline::Code(code)));
                    return j + n;
                }
                j += m;
            }
            self.no_code.push(n);
        }
        self.text.push_str(&s[i..start]);
        start
    }

    /// A run of `*`, `_` or `~`: text, and a delimiter if it can open or close.
    fn run(&mut self, i: usize) -> usize {
        let s = self.s;
        let ch = s.as_bytes()[i];
        let n = run_len(s.as_bytes(), i, ch);
        let before = s[..i].chars().next_back();
        let after = s[i + n..].chars().next();
        let left = !is_space(after) && (!is_punct(after) || is_space(before) || is_punct(before));
        let right = !is_space(before) && (!is_punct(before) || is_space(after) || is_punct(after));
        let (open, close) = match ch {
            // `_` inside a word (snake_case) is never emphasis.
            b'_' => (
                left && (!right || is_punct(before)),
                right && (!left || is_punct(after)),
            ),
            // Strikethrough is exactly two tildes: `~5 minutes` stays as written.
            b'~' if n != 2 => (false, false),
            _ => (left, right),
        };
        self.push(Tok::Run {
            ch,
            text: n,
            opens: Vec::new(),
            closes: Vec::new(),
        });
        if open || close {
            self.delims.push(Delim {
                tok: self.toks.len() - 1,
                ch,
                n,
                orig: n,
                open,
                close,
                prev: self.delims.len().checked_sub(1).unwrap_or(NONE),
            });
        }
        i + n
    }

    fn bracket(&mut self, i: usize, image: bool) -> usize {
        self.push(Tok::Open { image, link: None });
        self.brackets.push(Bracket {
            tok: self.toks.len() - 1,
            image,
            delims: self.delims.len(),
        });
        i + 1 + usize::from(image)
    }

    /// `]`: a link or image if the nearest open bracket is followed by `(target)` here.
    fn close_bracket(&mut self, i: usize) -> usize {
        let height = self.brackets.len();
        let active = self
            .brackets
            .last()
            .is_some_and(|br| br.image || height > self.dead);
        let target = if active {
            self.link_target(i + 1)
        } else {
            None
        };
        let popped = self.brackets.pop();
        self.dead = self.dead.min(self.brackets.len());
        let (Some((href, end)), Some(br)) = (target, popped) else {
            self.text.push(']');
            return i + 1;
        };
        self.flush();
        emphasis(&mut self.delims, &mut self.toks, br.delims);
        self.delims.truncate(br.delims);
        if let Tok::Open { link, .. } = &mut self.toks[br.tok] {
            *link = Some(safe_url(&href).map(str::to_owned));
        }
        self.toks.push(Tok::End);
        if !br.image {
            self.dead = self.brackets.len();
        }
        end
    }

    /// `(target "title")` at `i`: the target (escapes and entities resolved) and where it ends.
    fn link_target(&mut self, i: usize) -> Option<(String, usize)> {
        let s = self.s;
        let b = s.as_bytes();
        if b.get(i) != Some(&b'(') {
            return None;
        }
        let ws = |mut j: usize| {
            while b.get(j).is_some_and(u8::is_ascii_whitespace) {
                j += 1;
            }
            j
        };
        let start = ws(i + 1);
        let (dest, mut j) = if b.get(start) == Some(&b'<') {
            let mut k = start + 1;
            loop {
                match *b.get(k)? {
                    b'>' => break,
                    b'\n' | b'<' => return None,
                    b'\\' => k += 2,
                    _ => k += 1,
                }
            }
            (&s[start + 1..k], k + 1)
        } else {
            let (mut k, mut depth) = (start, 0);
            while let Some(&c) = b.get(k) {
                match c {
                    b'\\' if b.get(k + 1).is_some_and(u8::is_ascii_punctuation) => k += 1,
                    b'(' if depth == 32 => return None,
                    b'(' => depth += 1,
                    b')' if depth == 0 => break,
                    b')' => depth -= 1,
                    0..=b' ' | 0x7f => break,
                    _ => {}
                }
                k += 1;
            }
            if depth != 0 {
                return None;
            }
            (&s[start..k], k)
        };
        let gap = ws(j);
        if let Some(&q) = b.get(gap)
            && gap > j
            && matches!(q, b'"' | b'\'' | b'(')
        {
            if self.no_title.contains(&q) {
                return None;
            }
            let close = if q == b'(' { b')' } else { q };
            let mut k = gap + 1;
            loop {
                match b.get(k) {
                    None => {
                        self.no_title.push(q);
                        return None;
                    }
                    Some(&c) if c == close => break,
                    Some(b'(') if q == b'(' => return None,
                    Some(b'\\') => k += 2,
                    _ => k += 1,
                }
            }
            j = ws(k + 1);
        } else {
            j = gap;
        }
        (b.get(j) == Some(&b')')).then(|| (unescape(dest), j + 1))
    }

    /// `<scheme:…>` and `<user@host>` autolinks; any other `<` is text (raw HTML is shown as
    /// typed).
    fn angle(&mut self, i: usize) -> usize {
        let s = self.s;
        let rest = &s[i + 1..];
        let end = rest.find(|c: char| c == '>' || c == '<' || c.is_whitespace() || c.is_control());
        if let Some(end) = end.filter(|&e| rest.as_bytes()[e] == b'>') {
            let inner = &rest[..end];
            let colon = inner.find(':').unwrap_or(0);
            let uri = (2..=32).contains(&colon)
                && inner.as_bytes()[0].is_ascii_alphabetic()
                && inner[..colon]
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"+.-".contains(&c));
            if uri || is_email(inner) {
                let href = if uri {
                    inner.to_owned()
                } else {
                    "mailto:".to_owned() + inner
                };
                match safe_url(&href) {
                    Some(h) => self.push(Tok::Node(Inline::Link {
                        href: h.to_owned(),
                        children: vec![Inline::Text(inner.to_owned())],
                    })),
                    None => self.text.push_str(inner),
                }
                return i + end + 2;
            }
        }
        self.text.push('<');
        i + 1
    }
}

/// `local@domain` as CommonMark's email autolinks define it.
fn is_email(s: &str) -> bool {
    let Some(at) = s.find('@') else {
        return false;
    };
    let (local, domain) = (&s[..at], &s[at + 1..]);
    !local.is_empty()
        && local
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&c))
        && domain.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}
