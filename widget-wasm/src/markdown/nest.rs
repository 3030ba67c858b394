//! Inline tokens and how they nest: the tokens `inline` scans to, CommonMark's "process
//! emphasis" over the delimiter stack, then one pass that nests matched delimiters and brackets
//! into [`Inline`]s, at most `MAX_NESTING` deep.

use super::Inline;

/// Emphasis and links nested deeper than this are shown as typed. Each level is a recursive
/// call when rendering, and the wasm stack is small.
pub const MAX_NESTING: usize = 32;

pub(super) const NONE: usize = usize::MAX;

pub(super) enum Tok {
    Text(String),
    /// A finished node: code span, break, `<autolink>`.
    Node(Inline),
    /// A bare URL: a link, unless it is inside one.
    Url(String),
    /// A run of `*`, `_` or `~`: how many of its characters stay text, and the lengths of the
    /// emphasis it closes and opens, in the order they were matched (innermost first).
    Run {
        ch: u8,
        text: usize,
        opens: Vec<u8>,
        closes: Vec<u8>,
    },
    /// `[` or `![`; `link` once its `]` was found: the target if safe, `None` if not (the text
    /// is kept, the target dropped).
    Open {
        image: bool,
        link: Option<Option<String>>,
    },
    End,
}

pub(super) struct Delim {
    pub(super) tok: usize,
    pub(super) ch: u8,
    /// Characters not used yet; `orig` the run's length.
    pub(super) n: usize,
    pub(super) orig: usize,
    pub(super) open: bool,
    pub(super) close: bool,
    /// The previous delimiter still on the stack (removed ones are skipped), or `NONE`.
    pub(super) prev: usize,
}

/// CommonMark's "process emphasis" over the delimiters from `bottom` up: each closer, left to
/// right, takes the nearest opener of its kind below it; the runs' tokens record what they
/// open and close.
pub(super) fn emphasis(delims: &mut [Delim], toks: &mut [Tok], bottom: usize) {
    // Per closer kind: below this no opener can match (so a failed search is never repeated).
    let mut floor = [bottom; 18];
    let mut c = bottom;
    while c < delims.len() {
        let d = &delims[c];
        if !d.close || d.n == 0 {
            c += 1;
            continue;
        }
        let kind = usize::from(d.ch == b'_') + 2 * usize::from(d.ch == b'~');
        let key = kind * 6 + usize::from(d.open) * 3 + d.orig % 3;
        let mut o = d.prev;
        while o != NONE && o >= floor[key] {
            let od = &delims[o];
            // The "rule of 3": `*foo**bar*` is one em, not a strong inside.
            let odd = (od.close || d.open)
                && (od.orig + d.orig).is_multiple_of(3)
                && !(od.orig.is_multiple_of(3) && d.orig.is_multiple_of(3));
            if od.open && od.ch == d.ch && od.n > 0 && !odd {
                break;
            }
            o = od.prev;
        }
        if o == NONE || o < floor[key] {
            floor[key] = c;
            if !delims[c].open {
                unlink(delims, c);
            }
            c += 1;
            continue;
        }
        let k = if d.n >= 2 && delims[o].n >= 2 { 2 } else { 1 };
        for (at, closing) in [(o, false), (c, true)] {
            delims[at].n -= k;
            if let Tok::Run {
                text,
                opens,
                closes,
                ..
            } = &mut toks[delims[at].tok]
            {
                *text -= k;
                let list = if closing { closes } else { opens };
                list.push(k as u8);
            }
        }
        // Everything between the two is now inside the emphasis: off the stack.
        delims[c].prev = if delims[o].n == 0 { delims[o].prev } else { o };
        if delims[c].n == 0 {
            unlink(delims, c);
            c += 1;
        }
    }
}

fn unlink(delims: &mut [Delim], c: usize) {
    let prev = delims[c].prev;
    if let Some(next) = delims.get_mut(c + 1) {
        next.prev = prev;
    }
}

enum Frame {
    Root,
    Em(u8, usize),
    Link(String),
    /// An image: its text becomes the alt text, shown as plain text (no image is loaded).
    Image,
    /// A link with an unsafe target: its text stays, with its markup.
    Unlinked,
    /// Too deep: its markers come back as text.
    Flat(String),
}

/// Nests the tokens: matched delimiters and brackets open and close frames.
pub(super) fn build(toks: Vec<Tok>) -> Vec<Inline> {
    let mut frames: Vec<(Frame, Vec<Inline>)> = vec![(Frame::Root, Vec::new())];
    // Links (and images) open: a URL inside one is text.
    let mut in_link = 0;
    let mut depth = 0;
    for tok in toks {
        let out = &mut frames.last_mut().expect("the root frame stays").1;
        match tok {
            Tok::Text(t) => push_text(out, &t),
            Tok::Url(u) if in_link > 0 => push_text(out, &u),
            Tok::Url(u) => out.push(Inline::Link {
                href: u.clone(),
                children: vec![Inline::Text(u)],
            }),
            Tok::Node(Inline::Link { children, .. }) if in_link > 0 => {
                children.iter().for_each(|c| push_plain(out, c));
            }
            Tok::Node(n) => out.push(n),
            Tok::Run {
                ch,
                text,
                opens,
                closes,
            } => {
                for _ in closes {
                    close(&mut frames, &mut depth, &mut in_link);
                }
                let out = &mut frames.last_mut().expect("the root frame stays").1;
                push_text(out, &marks(ch, text));
                for k in opens.into_iter().rev() {
                    open(&mut frames, &mut depth, Frame::Em(ch, usize::from(k)));
                }
            }
            Tok::Open { image, link: None } => push_text(out, if image { "![" } else { "[" }),
            Tok::Open {
                image,
                link: Some(href),
            } => {
                in_link += 1;
                let frame = match href {
                    _ if image => Frame::Image,
                    Some(h) => Frame::Link(h),
                    None => Frame::Unlinked,
                };
                open(&mut frames, &mut depth, frame);
            }
            Tok::End => close(&mut frames, &mut depth, &mut in_link),
        }
    }
    while frames.len() > 1 {
        close(&mut frames, &mut depth, &mut in_link);
    }
    frames.pop().map(|f| f.1).unwrap_or_default()
}

fn open(frames: &mut Vec<(Frame, Vec<Inline>)>, depth: &mut usize, frame: Frame) {
    let nests = matches!(frame, Frame::Em(..) | Frame::Link(_));
    let frame = match frame {
        Frame::Em(ch, k) if *depth >= MAX_NESTING => {
            let marks = marks(ch, k);
            let out = &mut frames.last_mut().expect("the root frame stays").1;
            push_text(out, &marks);
            Frame::Flat(marks)
        }
        // Its text stays, without the link.
        Frame::Link(_) if *depth >= MAX_NESTING => Frame::Unlinked,
        f => {
            *depth += usize::from(nests);
            f
        }
    };
    frames.push((frame, Vec::new()));
}

fn close(frames: &mut Vec<(Frame, Vec<Inline>)>, depth: &mut usize, in_link: &mut usize) {
    // The root stays: every close has its open.
    if frames.len() < 2 {
        return;
    }
    let Some((frame, kids)) = frames.pop() else {
        return;
    };
    let Some((_, out)) = frames.last_mut() else {
        return;
    };
    let node = match frame {
        Frame::Em(ch, k) => {
            *depth -= 1;
            match (ch, k) {
                (b'~', _) => Inline::Del(kids),
                (_, 2) => Inline::Strong(kids),
                _ => Inline::Em(kids),
            }
        }
        Frame::Link(href) => {
            *depth -= 1;
            *in_link -= 1;
            Inline::Link {
                href,
                children: kids,
            }
        }
        Frame::Image => {
            *in_link -= 1;
            kids.iter().for_each(|c| push_plain(out, c));
            return;
        }
        Frame::Unlinked => {
            *in_link -= 1;
            kids.into_iter().for_each(|c| push_node(out, c));
            return;
        }
        Frame::Flat(marks) => {
            for k in kids {
                push_node(out, k);
            }
            push_text(out, &marks);
            return;
        }
        Frame::Root => return,
    };
    out.push(node);
}

/// `n` times the character `ch` (a delimiter run as text).
fn marks(ch: u8, n: usize) -> String {
    let mut s = String::new();
    for _ in 0..n {
        s.push(char::from(ch));
    }
    s
}

/// Adds text, merged with the text before it.
fn push_text(out: &mut Vec<Inline>, s: &str) {
    if s.is_empty() {
        return;
    }
    if let Some(Inline::Text(t)) = out.last_mut() {
        t.push_str(s);
    } else {
        out.push(Inline::Text(s.to_owned()));
    }
}

fn push_node(out: &mut Vec<Inline>, node: Inline) {
    match node {
        Inline::Text(t) => push_text(out, &t),
        n => out.push(n),
    }
}

/// Adds a node's text only (an image's alt text).
fn push_plain(out: &mut Vec<Inline>, node: &Inline) {
    match node {
        Inline::Text(t) | Inline::Code(t) => push_text(out, t),
        Inline::Em(k) | Inline::Strong(k) | Inline::Del(k) | Inline::Link { children: k, .. } => {
            k.iter().for_each(|c| push_plain(out, c));
        }
        Inline::Break => push_text(out, " "),
    }
}
