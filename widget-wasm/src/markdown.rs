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

/// Keeps `url` only if it is an absolute `http(s):` or `mailto:` URL with no whitespace or
/// control characters; `javascript:`, `data:`, relative and protocol-relative URLs are refused.
pub fn safe_url(url: &str) -> Option<&str> {
    let url = url.trim();
    if url.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let ok = lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:");
    let has_rest = url
        .find(':')
        .is_some_and(|i| !url[i + 1..].trim_start_matches('/').is_empty());
    (ok && has_rest).then_some(url)
}

/// Parses inline markup. Works on chars so it never splits a UTF-8 sequence.
pub fn parse_inline(src: &str) -> Vec<Inline> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    inline_into(&chars, &mut out, 0);
    out
}

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

fn find_seq(chars: &[char], from: usize, pat: &[char]) -> Option<usize> {
    (from..chars.len().saturating_sub(pat.len() - 1)).find(|&i| chars[i..].starts_with(pat))
}

fn is_word(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric())
}

/// Emphasis and links nested deeper than this are shown as typed. Each level is a recursive
/// call, and the wasm stack is small: a reply of nested `[` could otherwise crash the widget.
const MAX_NESTING: usize = 32;

fn inline_into(chars: &[char], out: &mut Vec<Inline>, depth: usize) {
    if depth >= MAX_NESTING {
        push_text(out, &chars.iter().collect::<String>());
        return;
    }
    let mut text = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1);
        // Backslash escapes a punctuation character.
        if c == '\\' && next.is_some_and(|n| n.is_ascii_punctuation()) {
            text.push(chars[i + 1]);
            i += 2;
            continue;
        }
        if c == '\n' {
            push_text(out, &std::mem::take(&mut text));
            out.push(Inline::Break);
            i += 1;
            continue;
        }
        if c == '`' {
            let ticks = chars[i..].iter().take_while(|&&t| t == '`').count();
            let pat = vec!['`'; ticks];
            if let Some(end) = find_seq(chars, i + ticks, &pat) {
                push_text(out, &std::mem::take(&mut text));
                let code: String = chars[i + ticks..end].iter().collect();
                out.push(Inline::Code(code.trim().to_owned()));
                i = end + ticks;
                continue;
            }
            text.extend(&chars[i..i + ticks]);
            i += ticks;
            continue;
        }
        if (c == '*' || c == '_') && next == Some(&c) {
            // `**strong**` / `__strong__`: the content must not start with a space.
            if chars.get(i + 2).is_some_and(|n| !n.is_whitespace())
                && (c == '*' || !is_word(i.checked_sub(1).and_then(|p| chars.get(p))))
                && let Some(mut end) = find_seq(chars, i + 3, &[c, c])
            {
                // In a run like `***`, the last two close the strong (`**a *b***`).
                while chars.get(end + 2) == Some(&c) {
                    end += 1;
                }
                push_text(out, &std::mem::take(&mut text));
                let mut inner = Vec::new();
                inline_into(&chars[i + 2..end], &mut inner, depth + 1);
                out.push(Inline::Strong(inner));
                i = end + 2;
                continue;
            }
        } else if (c == '*' || c == '_')
            && next.is_some_and(|n| !n.is_whitespace())
            && (c == '*' || !is_word(i.checked_sub(1).and_then(|p| chars.get(p))))
        {
            // `*em*` / `_em_`; `_` inside words (snake_case) is never emphasis.
            let close = (i + 2..chars.len()).find(|&j| {
                chars[j] == c
                    && !chars[j - 1].is_whitespace()
                    && chars.get(j + 1) != Some(&c)
                    && (c == '*' || !is_word(chars.get(j + 1)))
            });
            if let Some(end) = close {
                push_text(out, &std::mem::take(&mut text));
                let mut inner = Vec::new();
                inline_into(&chars[i + 1..end], &mut inner, depth + 1);
                out.push(Inline::Em(inner));
                i = end + 1;
                continue;
            }
        }
        if c == '['
            && let Some((label_end, url_end)) = link_at(chars, i)
        {
            let url: String = chars[label_end + 2..url_end].iter().collect();
            let mut children = Vec::new();
            inline_into(&chars[i + 1..label_end], &mut children, depth + 1);
            push_text(out, &std::mem::take(&mut text));
            match safe_url(&url) {
                Some(href) => out.push(Inline::Link {
                    href: href.to_owned(),
                    children,
                }),
                // An unsafe link keeps its label, as text, and loses its target.
                None => out.extend(children),
            }
            i = url_end + 1;
            continue;
        }
        if (c == 'h' || c == 'H')
            && !is_word(i.checked_sub(1).and_then(|p| chars.get(p)))
            && let Some(end) = autolink_at(chars, i)
        {
            let url: String = chars[i..end].iter().collect();
            if let Some(href) = safe_url(&url) {
                push_text(out, &std::mem::take(&mut text));
                out.push(Inline::Link {
                    href: href.to_owned(),
                    children: vec![Inline::Text(href.to_owned())],
                });
                i = end;
                continue;
            }
        }
        text.push(c);
        i += 1;
    }
    push_text(out, &text);
}

/// `[label](url)` at `i`: the index of `]` and of `)`.
fn link_at(chars: &[char], i: usize) -> Option<(usize, usize)> {
    let mut depth = 0;
    let mut j = i + 1;
    let label_end = loop {
        match chars.get(j)? {
            '[' => depth += 1,
            ']' if depth == 0 => break j,
            ']' => depth -= 1,
            '\n' => return None,
            _ => {}
        }
        j += 1;
    };
    if chars.get(label_end + 1) != Some(&'(') {
        return None;
    }
    // Balanced parentheses belong to the URL (`https://en.wikipedia.org/wiki/Rust_(language)`).
    let mut depth = 0;
    for (k, &c) in chars.iter().enumerate().skip(label_end + 2) {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Some((label_end, k)),
            ')' => depth -= 1,
            c if c.is_whitespace() => return None,
            _ => {}
        }
    }
    None
}

/// A bare `http://` or `https://` URL at `i`: where it ends (trailing punctuation excluded).
fn autolink_at(chars: &[char], i: usize) -> Option<usize> {
    let head: String = chars[i..chars.len().min(i + 8)]
        .iter()
        .collect::<String>()
        .to_ascii_lowercase();
    if !(head.starts_with("https://") || head.starts_with("http://")) {
        return None;
    }
    let mut end = i;
    while end < chars.len()
        && !chars[end].is_whitespace()
        && !matches!(chars[end], '<' | '>' | '"' | '`')
    {
        end += 1;
    }
    while end > i
        && matches!(
            chars[end - 1],
            '.' | ',' | ':' | ';' | '!' | '?' | ')' | '\'' | '*' | '_'
        )
    {
        end -= 1;
    }
    Some(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Inline::*;

    fn t(s: &str) -> Inline {
        Text(s.into())
    }

    #[test]
    fn plain_text_is_one_paragraph() {
        assert_eq!(
            parse("Hello there."),
            vec![Block::Paragraph(vec![t("Hello there.")])]
        );
    }

    #[test]
    fn blank_lines_separate_paragraphs_and_single_newlines_break() {
        assert_eq!(
            parse("one\ntwo\n\nthree"),
            vec![
                Block::Paragraph(vec![t("one"), Break, t("two")]),
                Block::Paragraph(vec![t("three")]),
            ]
        );
    }

    /// Found by probing the `markdown` fuzz target with long inputs: 5,000 nested links
    /// overflowed even the native 8 MB stack.
    #[test]
    fn deeply_nested_markup_stays_bounded() {
        let n = 10_000;
        let src = format!("{}x{}", "[".repeat(n), "](https://a.b)".repeat(n));
        let mut node = &parse_inline(&src)[0];
        let mut depth = 0;
        while let Link { children, .. } = node {
            depth += 1;
            node = &children[0];
        }
        assert_eq!(depth, MAX_NESTING);
        assert!(matches!(node, Text(t) if t.starts_with("[[") && t.ends_with("b)")));
    }

    #[test]
    fn html_stays_text() {
        let src = "<img src=x onerror=alert(1)> <script>alert(1)</script>";
        assert_eq!(parse(src), vec![Block::Paragraph(vec![t(src)])]);
    }

    #[test]
    fn bold_italic_and_code() {
        assert_eq!(
            parse_inline("a **b** *c* __d__ _e_ `f*g*`"),
            vec![
                t("a "),
                Strong(vec![t("b")]),
                t(" "),
                Em(vec![t("c")]),
                t(" "),
                Strong(vec![t("d")]),
                t(" "),
                Em(vec![t("e")]),
                t(" "),
                Code("f*g*".into()),
            ]
        );
    }

    #[test]
    fn nested_emphasis() {
        assert_eq!(
            parse_inline("**bold *and italic***"),
            vec![Strong(vec![t("bold "), Em(vec![t("and italic")])])]
        );
    }

    #[test]
    fn unclosed_markers_stay_literal() {
        assert_eq!(
            parse_inline("2 * 3 = 6 and **half"),
            vec![t("2 * 3 = 6 and **half")]
        );
        assert_eq!(parse_inline("`open"), vec![t("`open")]);
        assert_eq!(parse_inline("[label](x"), vec![t("[label](x")]);
    }

    #[test]
    fn underscores_inside_words_are_not_emphasis() {
        assert_eq!(parse_inline("snake_case_name"), vec![t("snake_case_name")]);
    }

    #[test]
    fn backslash_escapes() {
        assert_eq!(parse_inline(r"\*not em\*"), vec![t("*not em*")]);
    }

    #[test]
    fn safe_links_are_kept() {
        assert_eq!(
            parse_inline("see [the docs](https://example.com/a?b=1) now"),
            vec![
                t("see "),
                Link {
                    href: "https://example.com/a?b=1".into(),
                    children: vec![t("the docs")]
                },
                t(" now"),
            ]
        );
        assert_eq!(
            parse_inline("[mail](mailto:a@b.c)"),
            vec![Link {
                href: "mailto:a@b.c".into(),
                children: vec![t("mail")]
            }]
        );
    }

    #[test]
    fn unsafe_links_lose_their_target() {
        for url in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<b>x</b>",
            "//evil.example",
            "/relative",
            "vbscript:x",
            "http://",
        ] {
            assert_eq!(
                parse_inline(&format!("[click]({url})")),
                vec![t("click")],
                "{url}"
            );
        }
    }

    #[test]
    fn parentheses_inside_a_link_target_are_balanced() {
        assert_eq!(
            parse_inline("[Rust](https://en.wikipedia.org/wiki/Rust_(language)) x"),
            vec![
                Link {
                    href: "https://en.wikipedia.org/wiki/Rust_(language)".into(),
                    children: vec![t("Rust")]
                },
                t(" x"),
            ]
        );
        assert_eq!(
            parse_inline("[bad](javascript:alert(1)) x"),
            vec![t("bad x")]
        );
    }

    #[test]
    fn safe_url_rules() {
        assert_eq!(safe_url("HTTPS://Example.com"), Some("HTTPS://Example.com"));
        assert_eq!(safe_url("http://a.b/c d"), None);
        assert_eq!(safe_url("https://a\u{0}b"), None);
        assert_eq!(safe_url("ftp://a.b"), None);
    }

    #[test]
    fn bare_urls_become_links_without_trailing_punctuation() {
        assert_eq!(
            parse_inline("Go to https://x.ai/api."),
            vec![
                t("Go to "),
                Link {
                    href: "https://x.ai/api".into(),
                    children: vec![t("https://x.ai/api")]
                },
                t("."),
            ]
        );
    }

    #[test]
    fn fenced_code_is_verbatim() {
        assert_eq!(
            parse("Look:\n```rust\nfn main() { *x* }\n\n<b>\n```\nafter"),
            vec![
                Block::Paragraph(vec![t("Look:")]),
                Block::Code {
                    lang: "rust".into(),
                    text: "fn main() { *x* }\n\n<b>".into()
                },
                Block::Paragraph(vec![t("after")]),
            ]
        );
    }

    #[test]
    fn an_unclosed_fence_runs_to_the_end() {
        assert_eq!(
            parse("```\ncode so far"),
            vec![Block::Code {
                lang: String::new(),
                text: "code so far".into()
            }]
        );
    }

    #[test]
    fn lists() {
        assert_eq!(
            parse("Steps:\n1. one\n2. **two**\n   more\n\n- a\n* b"),
            vec![
                Block::Paragraph(vec![t("Steps:")]),
                Block::List {
                    ordered: true,
                    items: vec![
                        vec![t("one")],
                        vec![Strong(vec![t("two")]), Break, t("more")]
                    ]
                },
                Block::List {
                    ordered: false,
                    items: vec![vec![t("a")], vec![t("b")]]
                },
            ]
        );
    }

    #[test]
    fn headings() {
        assert_eq!(
            parse("## Title *x*\n#nope"),
            vec![
                Block::Heading(2, vec![t("Title "), Em(vec![t("x")])]),
                Block::Paragraph(vec![t("#nope")]),
            ]
        );
    }

    #[test]
    fn multibyte_text_is_not_split() {
        assert_eq!(
            parse_inline("héllo **wörld** ✓"),
            vec![t("héllo "), Strong(vec![t("wörld")]), t(" ✓")]
        );
    }
}
