//! Markdown tests: blocks here, inlines, rendering and streaming in their own files.

use super::*;

mod inline;
mod render;
mod streaming;

fn p(s: &str) -> Block {
    Block::Para(s.into())
}

fn item(blocks: Vec<Block>) -> Block {
    Block::Item { task: None, blocks }
}

fn list(start: Option<u32>, tight: bool, items: Vec<Block>) -> Block {
    Block::List {
        start,
        tight,
        items,
    }
}

#[test]
fn plain_text_is_one_paragraph() {
    assert_eq!(parse("Hello there."), vec![p("Hello there.")]);
}

#[test]
fn blank_lines_separate_paragraphs() {
    assert_eq!(parse("one\ntwo\n\nthree"), vec![p("one\ntwo"), p("three")]);
}

#[test]
fn html_stays_text() {
    let src = "<img src=x onerror=alert(1)> <script>alert(1)</script>";
    assert_eq!(parse(src), vec![p(src)]);
    assert_eq!(parse("<div>\n*x*\n</div>"), vec![p("<div>\n*x*\n</div>")]);
}

#[test]
fn fenced_code_is_verbatim() {
    assert_eq!(
        parse("Look:\n```rust\nfn main() { *x* }\n\n<b>\n```\nafter"),
        vec![
            p("Look:"),
            Block::Code {
                lang: "rust".into(),
                text: "fn main() { *x* }\n\n<b>".into()
            },
            p("after"),
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
fn tildes_and_longer_fences_and_indentation() {
    assert_eq!(
        parse("~~~ python extra\n  ```\nx\n~~~~\n\n    indented\n      more\n"),
        vec![
            Block::Code {
                lang: "python".into(),
                text: "  ```\nx".into()
            },
            Block::Code {
                lang: String::new(),
                text: "indented\n  more".into()
            },
        ]
    );
    // Blank lines after indented code are not part of it.
    assert_eq!(
        parse("    code\n      \n\nafter"),
        vec![
            Block::Code {
                lang: String::new(),
                text: "code".into()
            },
            p("after")
        ]
    );
    // A fence indented by two strips two spaces from its lines.
    assert_eq!(
        parse("  ```\n  a\n    b\n c\n  ```"),
        vec![Block::Code {
            lang: String::new(),
            text: "a\n  b\nc".into()
        }]
    );
}

#[test]
fn lists() {
    assert_eq!(
        parse("Steps:\n1. one\n2. **two**\n   more\n\n- a\n* b"),
        vec![
            p("Steps:"),
            list(
                Some(1),
                true,
                vec![item(vec![p("one")]), item(vec![p("**two**\nmore")])]
            ),
            list(None, true, vec![item(vec![p("a")])]),
            list(None, true, vec![item(vec![p("b")])]),
        ]
    );
}

#[test]
fn nested_lists_and_continuation_paragraphs() {
    assert_eq!(
        parse("- a\n  - b\n    - c\n- d\n\n  more of d\n3. x"),
        vec![
            list(
                None,
                false,
                vec![
                    item(vec![
                        p("a"),
                        list(
                            None,
                            true,
                            vec![item(vec![
                                p("b"),
                                list(None, true, vec![item(vec![p("c")])])
                            ])]
                        )
                    ]),
                    item(vec![p("d"), p("more of d")]),
                ]
            ),
            list(Some(3), true, vec![item(vec![p("x")])]),
        ]
    );
}

#[test]
fn a_numbered_line_only_interrupts_a_paragraph_at_one() {
    assert_eq!(parse("In\n2024. a year"), vec![p("In\n2024. a year")]);
    assert_eq!(
        parse("Steps\n1. go"),
        vec![p("Steps"), list(Some(1), true, vec![item(vec![p("go")])])]
    );
}

#[test]
fn task_items() {
    assert_eq!(
        parse("- [ ] open\n- [x] done\n- [y] no"),
        vec![list(
            None,
            true,
            vec![
                Block::Item {
                    task: Some(false),
                    blocks: vec![p("open")]
                },
                Block::Item {
                    task: Some(true),
                    blocks: vec![p("done")]
                },
                item(vec![p("[y] no")]),
            ]
        )]
    );
}

#[test]
fn headings() {
    assert_eq!(
        parse("## Title *x* ##\n#nope\n###### six\n####### seven"),
        vec![
            Block::Heading(2, "Title *x*".into()),
            p("#nope"),
            Block::Heading(6, "six".into()),
            p("####### seven"),
        ]
    );
}

#[test]
fn quotes_nest_and_continue_lazily() {
    assert_eq!(
        parse("> a\n> > b\nlazy\n\n> c"),
        vec![
            Block::Quote(vec![p("a"), Block::Quote(vec![p("b\nlazy")])]),
            Block::Quote(vec![p("c")]),
        ]
    );
    assert_eq!(
        parse("> - x\n>   ```\n>   code\n"),
        vec![Block::Quote(vec![list(
            None,
            true,
            vec![item(vec![
                p("x"),
                Block::Code {
                    lang: String::new(),
                    text: "code".into()
                }
            ])]
        )])]
    );
}

#[test]
fn thematic_breaks() {
    assert_eq!(
        parse("a\n---\n* * *\n___\n--"),
        vec![p("a"), Block::Rule, Block::Rule, Block::Rule, p("--")]
    );
}

#[test]
fn tables_with_alignment_and_ragged_rows() {
    assert_eq!(
        parse(
            "Intro\n| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 |\n| x \\| y | z | w | extra |\n\nafter"
        ),
        vec![
            p("Intro"),
            Block::Table {
                align: vec![Align::Left, Align::Center, Align::Right],
                rows: vec![
                    vec!["a".into(), "b".into(), "c".into()],
                    vec!["1".into(), "2".into(), String::new()],
                    vec!["x | y".into(), "z".into(), "w".into()],
                ]
            },
            p("after"),
        ]
    );
    // The delimiter row must match the header's cells.
    assert_eq!(parse("| a | b |\n|---|"), vec![p("| a | b |\n|---|")]);
    assert_eq!(
        parse("a | b\n-- | --\n> q"),
        vec![
            Block::Table {
                align: vec![Align::None, Align::None],
                rows: vec![vec!["a".into(), "b".into()]]
            },
            Block::Quote(vec![p("q")]),
        ]
    );
}

#[test]
fn tabs_count_to_four_columns() {
    assert_eq!(
        parse("-\tfoo\n\n\tbar"),
        vec![list(None, false, vec![item(vec![p("foo"), p("bar")])])]
    );
    assert_eq!(
        parse(">\t\tfoo"),
        vec![Block::Quote(vec![Block::Code {
            lang: String::new(),
            text: "  foo".into()
        }])]
    );
}

/// Found by probing the `markdown` fuzz target with long inputs: 5,000 nested links overflowed
/// even the native 8 MB stack. Containers stop nesting at `MAX_DEPTH`; the rest is text.
#[test]
fn deeply_nested_blocks_stay_bounded() {
    fn depth(blocks: &[Block]) -> usize {
        blocks
            .iter()
            .map(|b| match b {
                Block::Quote(k) | Block::Item { blocks: k, .. } | Block::List { items: k, .. } => {
                    1 + depth(k)
                }
                _ => 0,
            })
            .max()
            .unwrap_or(0)
    }
    for src in [">".repeat(10_000) + " x", "- ".repeat(10_000) + "x"] {
        let blocks = parse(&src);
        assert!(depth(&blocks) <= block::MAX_DEPTH, "{}", depth(&blocks));
    }
}

#[test]
fn crlf_line_endings() {
    assert_eq!(
        parse("a\r\n\r\n- b\r\n"),
        vec![p("a"), list(None, true, vec![item(vec![p("b")])])]
    );
}
