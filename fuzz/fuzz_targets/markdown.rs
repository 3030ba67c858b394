//! The widget's markdown (`widget_wasm::markdown`), built natively.
//!
//! Properties: `parse`, `parse_streaming` and `parse_inline` never panic and always return
//! (libFuzzer's timeout catches a loop or a quadratic blow-up); every link they produce has a
//! target `safe_url` accepts, and `safe_url` only ever accepts absolute http(s) and mailto URLs
//! without spaces or control characters; nesting stays bounded; no text is invented: what the
//! nodes show is the input's characters, in order, minus markup (an entity may show as the
//! character it stands for); the HTML renderer escapes everything it is given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use widget_wasm::markdown::render::to_html;
use widget_wasm::markdown::text::entity;
use widget_wasm::markdown::{Block, Inline, parse, parse_inline, parse_streaming, safe_url};

fn check_url(url: &str) {
    let lower = url.to_ascii_lowercase();
    assert!(
        ["http://", "https://", "mailto:"]
            .iter()
            .any(|scheme| lower.starts_with(scheme) && lower.len() > scheme.len()),
        "unsafe link target {url:?}"
    );
    assert!(
        !url.chars().any(|c| c.is_whitespace() || c.is_control()),
        "{url:?}"
    );
    assert_eq!(
        safe_url(url),
        Some(url),
        "safe_url is not stable on {url:?}"
    );
}

/// Walks inline nodes: checks links and depth, collects the characters shown.
fn inlines(nodes: &[Inline], shown: &mut String, depth: usize) {
    assert!(depth <= 40, "inline nesting {depth}");
    for node in nodes {
        match node {
            Inline::Text(t) | Inline::Code(t) => shown.push_str(t),
            Inline::Strong(inner) | Inline::Em(inner) | Inline::Del(inner) => {
                inlines(inner, shown, depth + 1)
            }
            Inline::Link { href, children } => {
                check_url(href);
                inlines(children, shown, depth + 1);
            }
            Inline::Break => {}
        }
    }
}

fn blocks(nodes: &[Block], shown: &mut String, depth: usize) {
    assert!(depth <= 40, "block nesting {depth}");
    for block in nodes {
        match block {
            Block::Para(t) | Block::Heading(_, t) => inlines(&parse_inline(t), shown, 0),
            Block::Code { lang, text } => {
                shown.push_str(lang);
                shown.push_str(text);
            }
            Block::Quote(kids) | Block::Item { blocks: kids, .. } => blocks(kids, shown, depth + 1),
            Block::List { items, .. } => {
                assert!(!items.is_empty());
                assert!(items.iter().all(|i| matches!(i, Block::Item { .. })));
                blocks(items, shown, depth + 1);
            }
            Block::Rule => {}
            Block::Table { align, rows } => {
                assert!(rows.iter().all(|r| r.len() == align.len()));
                for cell in rows.iter().flatten() {
                    inlines(&parse_inline(cell), shown, 0);
                }
            }
        }
        if let Block::Heading(level, _) = block {
            assert!((1..=6).contains(level));
        }
    }
}

/// The source with each entity followed by the character it stands for, so both the entity
/// as typed (in code) and its character (elsewhere) are subsequences of it.
fn expanded(src: &str) -> String {
    let mut out = String::new();
    let mut i = 0;
    while let Some(c) = src[i..].chars().next() {
        if c == '&'
            && let Some((e, len)) = entity(&src[i..])
        {
            out.push_str(&src[i..i + len]);
            out.push(e);
            i += len;
        } else {
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// `small`'s non-space characters appear in `big` in the same order (whitespace is layout:
/// tabs become spaces, breaks become elements).
fn is_subsequence(small: &str, big: &str) -> bool {
    let mut big = big.chars();
    small
        .chars()
        .filter(|c| !c.is_whitespace())
        .all(|c| big.any(|b| b == c))
}

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    let source = expanded(&src);

    if let Some(url) = safe_url(&src) {
        check_url(url);
    }
    for parsed in [parse(&src), parse_streaming(&src)] {
        let mut shown = String::new();
        blocks(&parsed, &mut shown, 0);
        assert!(
            is_subsequence(&shown, &source),
            "parse invented text: {shown:?}"
        );
        let html = to_html(&parsed);
        assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<iframe"));
    }

    let mut shown = String::new();
    inlines(&parse_inline(&src), &mut shown, 0);
    assert!(
        is_subsequence(&shown, &source),
        "parse_inline invented text: {shown:?}"
    );
});
