//! Inline markdown: emphasis, code, links and autolinks, with only safe URLs kept.

use super::Inline;

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
pub(super) const MAX_NESTING: usize = 32;

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
