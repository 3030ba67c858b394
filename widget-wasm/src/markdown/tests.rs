//! Markdown parsing tests.

use super::inline::MAX_NESTING;
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
