//! The widget's markdown subset (`widget_wasm::markdown`), built natively.
//!
//! Properties: `parse` and `parse_inline` never panic and always return (libFuzzer's timeout
//! catches a loop); every link they produce has a target `safe_url` accepts, and `safe_url`
//! only ever accepts absolute http(s) and mailto URLs without spaces or control characters;
//! no text is invented: what the nodes show is the input's characters, in order, minus markup.
#![no_main]

use libfuzzer_sys::fuzz_target;
use widget_wasm::markdown::{Block, Inline, parse, parse_inline, safe_url};

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

/// Walks inline nodes: checks links, collects the characters shown.
fn inlines(nodes: &[Inline], shown: &mut String) {
    for node in nodes {
        match node {
            Inline::Text(t) | Inline::Code(t) => shown.push_str(t),
            Inline::Strong(inner) | Inline::Em(inner) => inlines(inner, shown),
            Inline::Link { href, children } => {
                check_url(href);
                inlines(children, shown);
            }
            Inline::Break => shown.push('\n'),
        }
    }
}

fn blocks(nodes: &[Block]) -> String {
    let mut shown = String::new();
    for block in nodes {
        match block {
            Block::Paragraph(inline) => inlines(inline, &mut shown),
            Block::Heading(level, inline) => {
                assert!((1..=6).contains(level));
                inlines(inline, &mut shown);
            }
            Block::Code { lang, text } => {
                shown.push_str(lang);
                shown.push_str(text);
            }
            Block::List { items, .. } => {
                assert!(!items.is_empty());
                for item in items {
                    inlines(item, &mut shown);
                }
            }
        }
    }
    shown
}

/// `small`'s characters appear in `big` in the same order.
fn is_subsequence(small: &str, big: &str) -> bool {
    let mut big = big.chars();
    small.chars().all(|c| big.any(|b| b == c))
}

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);

    if let Some(url) = safe_url(&src) {
        check_url(url);
    }
    let shown = blocks(&parse(&src));
    assert!(
        is_subsequence(&shown, &src),
        "parse invented text: {shown:?}"
    );

    let mut shown = String::new();
    inlines(&parse_inline(&src), &mut shown);
    assert!(
        is_subsequence(&shown, &src),
        "parse_inline invented text: {shown:?}"
    );
});
