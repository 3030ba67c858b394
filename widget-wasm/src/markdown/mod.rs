//! A small, safe markdown subset for replies: paragraphs, headings, fenced code blocks,
//! bullet and numbered lists, bold, italic, inline code and links.
//!
//! Pure: text in, nodes out, no HTML anywhere. The renderer
//! (`components::markdown`) builds DOM elements from these nodes with `textContent`, so
//! markup in a reply can only ever be shown as text. Links are kept only when their
//! target is `http:`, `https:` or `mailto:`; anything else stays plain text.
//!
//! Why hand-written: pulldown-cmark would cost far more of the size budget than the few
//! constructs a chat reply uses. Unclosed markers (common mid-stream) stay literal.

/// A block of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Paragraph(Vec<Inline>),
    /// `#`..`######`; rendered as a bold line, level kept for the heading role.
    Heading(u8, Vec<Inline>),
    /// A fenced code block: its language tag (may be empty) and its text, verbatim.
    Code {
        lang: String,
        text: String,
    },
    List {
        ordered: bool,
        items: Vec<Vec<Inline>>,
    },
}

/// A run of text inside a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Strong(Vec<Inline>),
    Em(Vec<Inline>),
    Code(String),
    /// `href` is always a safe URL (see [`safe_url`]).
    Link {
        href: String,
        children: Vec<Inline>,
    },
    /// A single newline inside a paragraph.
    Break,
}

/// Parses `src` into blocks.
pub fn parse(src: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let mut lines = src.lines().peekable();
    let flush = |para: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if !para.is_empty() {
            blocks.push(Block::Paragraph(parse_inline(&para.join("\n"))));
            para.clear();
        }
    };
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if let Some(fence) = fence_of(trimmed) {
            flush(&mut para, &mut blocks);
            let lang = trimmed[fence.len()..].trim().to_owned();
            let mut text = Vec::new();
            // An unclosed fence (mid-stream) runs to the end of the reply.
            for l in lines.by_ref() {
                if l.trim_start().starts_with(fence)
                    && l.trim()
                        .trim_matches(fence.as_bytes()[0] as char)
                        .is_empty()
                {
                    break;
                }
                text.push(l);
            }
            blocks.push(Block::Code {
                lang,
                text: text.join("\n"),
            });
        } else if trimmed.is_empty() {
            flush(&mut para, &mut blocks);
        } else if let Some((level, rest)) = heading(trimmed) {
            flush(&mut para, &mut blocks);
            blocks.push(Block::Heading(level, parse_inline(rest)));
        } else if let Some((ordered, first)) = list_item(trimmed) {
            flush(&mut para, &mut blocks);
            let mut items = vec![first.to_owned()];
            while let Some(next) = lines.peek() {
                let t = next.trim_start();
                match list_item(t) {
                    Some((o, rest)) if o == ordered => {
                        items.push(rest.to_owned());
                        lines.next();
                    }
                    // An indented line continues the item above it.
                    None if !t.is_empty() && next.starts_with([' ', '\t']) => {
                        if let Some(last) = items.last_mut() {
                            last.push('\n');
                            last.push_str(t);
                        }
                        lines.next();
                    }
                    _ => break,
                }
            }
            blocks.push(Block::List {
                ordered,
                items: items.iter().map(|i| parse_inline(i)).collect(),
            });
        } else {
            para.push(line);
        }
    }
    flush(&mut para, &mut blocks);
    blocks
}

fn fence_of(line: &str) -> Option<&'static str> {
    if line.starts_with("```") {
        Some("```")
    } else if line.starts_with("~~~") {
        Some("~~~")
    } else {
        None
    }
}

fn heading(line: &str) -> Option<(u8, &str)> {
    let level = line.bytes().take_while(|&b| b == b'#').count();
    if (1..=6).contains(&level) && line[level..].starts_with(' ') {
        Some((level as u8, line[level..].trim()))
    } else {
        None
    }
}

/// `- x`, `* x`, `+ x` (bullets) or `1. x`, `1) x` (numbered).
fn list_item(line: &str) -> Option<(bool, &str)> {
    for bullet in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return Some((false, rest.trim_start()));
        }
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let rest = &line[digits..];
        if let Some(rest) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some((true, rest.trim_start()));
        }
    }
    None
}

mod inline;

pub use inline::{parse_inline, safe_url};

#[cfg(test)]
mod tests;
