//! Inline markup.

use super::super::nest::MAX_NESTING;
use super::super::*;
use Inline::*;

fn t(s: &str) -> Inline {
    Text(s.into())
}

fn link(href: &str, children: Vec<Inline>) -> Inline {
    Link {
        href: href.into(),
        children,
    }
}

#[test]
fn bold_italic_code_and_strikethrough() {
    assert_eq!(
        parse_inline("a **b** *c* __d__ _e_ `f*g*` ~~h~~"),
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
            t(" "),
            Del(vec![t("h")]),
        ]
    );
}

#[test]
fn nested_emphasis() {
    assert_eq!(
        parse_inline("**bold *and italic***"),
        vec![Strong(vec![t("bold "), Em(vec![t("and italic")])])]
    );
    assert_eq!(
        parse_inline("***both***"),
        vec![Em(vec![Strong(vec![t("both")])])]
    );
    // The rule of 3: one em, not a strong inside it.
    assert_eq!(parse_inline("*foo**bar*"), vec![Em(vec![t("foo**bar")])]);
}

#[test]
fn unclosed_markers_stay_literal() {
    assert_eq!(
        parse_inline("2 * 3 = 6 and **half"),
        vec![t("2 * 3 = 6 and **half")]
    );
    assert_eq!(parse_inline("`open"), vec![t("`open")]);
    assert_eq!(parse_inline("[label](x"), vec![t("[label](x")]);
    assert_eq!(
        parse_inline("about ~5 minutes, ~~~x~~~"),
        vec![t("about ~5 minutes, ~~~x~~~")]
    );
}

#[test]
fn underscores_inside_words_are_not_emphasis() {
    assert_eq!(parse_inline("snake_case_name"), vec![t("snake_case_name")]);
}

#[test]
fn backslash_escapes_and_entities() {
    assert_eq!(parse_inline(r"\*not em\*"), vec![t("*not em*")]);
    assert_eq!(
        parse_inline("&lt;b&gt; &amp; &copy; &#65;&#x42; &bogus; &amp"),
        vec![t("<b> & © AB &bogus; &amp")]
    );
    assert_eq!(parse_inline("&#0; &#xD800;"), vec![t("\u{fffd} \u{fffd}")]);
}

#[test]
fn code_spans_follow_commonmark() {
    assert_eq!(parse_inline("`` a ` b ``"), vec![Code("a ` b".into())]);
    assert_eq!(parse_inline("` `` `"), vec![Code("``".into())]);
    assert_eq!(parse_inline("`  `"), vec![Code("  ".into())]);
    assert_eq!(parse_inline("`a\nb`"), vec![Code("a b".into())]);
}

#[test]
fn newlines_are_line_breaks_without_trailing_spaces() {
    assert_eq!(
        parse_inline("one  \ntwo\\\nthree"),
        vec![t("one"), Break, t("two"), Break, t("three")]
    );
}

#[test]
fn safe_links_are_kept() {
    assert_eq!(
        parse_inline("see [the docs](https://example.com/a?b=1 \"Title\") now"),
        vec![
            t("see "),
            link("https://example.com/a?b=1", vec![t("the docs")]),
            t(" now"),
        ]
    );
    assert_eq!(
        parse_inline("[mail](mailto:a@b.c) <https://x.ai/a> <me@x.ai>"),
        vec![
            link("mailto:a@b.c", vec![t("mail")]),
            t(" "),
            link("https://x.ai/a", vec![t("https://x.ai/a")]),
            t(" "),
            link("mailto:me@x.ai", vec![t("me@x.ai")]),
        ]
    );
    assert_eq!(
        parse_inline("[**b**](<https://a.b/c d>) [x](https://a.b/\\(\\))"),
        vec![
            Strong(vec![t("b")]),
            t(" "),
            link("https://a.b/()", vec![t("x")]),
        ]
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
    assert_eq!(
        parse_inline("<javascript:alert(1)>"),
        vec![t("javascript:alert(1)")]
    );
}

#[test]
fn images_show_their_alt_text_only() {
    assert_eq!(
        parse_inline("![a *cat*](https://x.ai/cat.png) ok"),
        vec![t("a cat ok")]
    );
}

#[test]
fn links_do_not_nest() {
    assert_eq!(
        parse_inline("[a [b](https://b.c) d](/e)"),
        vec![t("[a "), link("https://b.c", vec![t("b")]), t(" d](/e)")]
    );
}

#[test]
fn parentheses_inside_a_link_target_are_balanced() {
    assert_eq!(
        parse_inline("[Rust](https://en.wikipedia.org/wiki/Rust_(language)) x"),
        vec![
            link(
                "https://en.wikipedia.org/wiki/Rust_(language)",
                vec![t("Rust")]
            ),
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
        parse_inline("Go to https://x.ai/api. Or (https://x.ai/a_(b)), *https://x.ai*"),
        vec![
            t("Go to "),
            link("https://x.ai/api", vec![t("https://x.ai/api")]),
            t(". Or ("),
            link("https://x.ai/a_(b)", vec![t("https://x.ai/a_(b)")]),
            t("), "),
            Em(vec![link("https://x.ai", vec![t("https://x.ai")])]),
        ]
    );
    assert_eq!(parse_inline("xhttps://x.ai"), vec![t("xhttps://x.ai")]);
    // Found by the `markdown` fuzz target: a control character ended up in the link.
    assert_eq!(
        parse_inline("https://n/a\0\0 x"),
        vec![link("https://n/a", vec![t("https://n/a")]), t("\0\0 x")]
    );
    assert_eq!(
        parse_inline("[https://a.b](https://c.d)"),
        vec![link("https://c.d", vec![t("https://a.b")])]
    );
}

#[test]
fn multibyte_text_is_not_split() {
    assert_eq!(
        parse_inline("héllo **wörld** ✓ _ü_"),
        vec![
            t("héllo "),
            Strong(vec![t("wörld")]),
            t(" ✓ "),
            Em(vec![t("ü")])
        ]
    );
}

/// Found by probing the `markdown` fuzz target with long inputs: 5,000 nested links
/// overflowed even the native 8 MB stack. Links no longer nest at all (CommonMark); emphasis
/// stops nesting at `MAX_NESTING`, the markers beyond it stay text.
#[test]
fn deeply_nested_markup_stays_bounded() {
    let n = 10_000;
    let src = format!("{}x{}", "[".repeat(n), "](https://a.b)".repeat(n));
    let out = parse_inline(&src);
    assert!(
        matches!(&out[1], Link { children, .. } if children == &vec![t("x")]),
        "{:?}",
        &out[..2]
    );
    let src = format!("{}x{}", "*a ".repeat(n), " b*".repeat(n));
    fn depth(nodes: &[Inline]) -> usize {
        nodes
            .iter()
            .map(|n| match n {
                Em(k) | Strong(k) | Del(k) | Link { children: k, .. } => 1 + depth(k),
                _ => 0,
            })
            .max()
            .unwrap_or(0)
    }
    assert_eq!(depth(&parse_inline(&src)), MAX_NESTING);
}

/// The fuzz target's slow path: `[` scanned ahead to the end of the line for each `[`. Now
/// each bracket is one push; these lines took minutes before.
#[test]
fn long_lines_of_brackets_and_markers_parse() {
    for unit in ["[", "[a](", "*a", "`", "<", "![", "[](", "](x \"", "_a_"] {
        let src = unit.repeat(200_000 / unit.len());
        let shown: usize = parse_inline(&src)
            .iter()
            .map(|n| match n {
                Text(t) | Code(t) => t.len(),
                _ => 1,
            })
            .sum();
        assert!(shown > 0, "{unit}");
    }
}
