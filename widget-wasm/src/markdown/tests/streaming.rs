//! Streaming: a reply rendered at every point it could have been cut keeps each block's shape
//! (it changes at most once), and the final render is the whole text's.

use super::super::*;

/// Replies as models write them (shared with the wasm test and the differential test).
pub const CORPUS: &[(&str, &str)] = &[
    (
        "comparison",
        include_str!("../../../tests/markdown-corpus/comparison.md"),
    ),
    (
        "howto",
        include_str!("../../../tests/markdown-corpus/howto.md"),
    ),
    (
        "code",
        include_str!("../../../tests/markdown-corpus/code.md"),
    ),
    (
        "tasks",
        include_str!("../../../tests/markdown-corpus/tasks.md"),
    ),
    (
        "quotes",
        include_str!("../../../tests/markdown-corpus/quotes.md"),
    ),
    (
        "mixed",
        include_str!("../../../tests/markdown-corpus/mixed.md"),
    ),
    (
        "wide",
        include_str!("../../../tests/markdown-corpus/wide.md"),
    ),
];

/// A block's shape: its kind, and for containers the shapes inside (text is left out).
fn shape(b: &Block) -> String {
    let inner = |kids: &[Block]| kids.iter().map(shape).collect::<Vec<_>>().join(",");
    match b {
        Block::Para(_) => "p".into(),
        Block::Heading(l, _) => format!("h{l}"),
        Block::Code { .. } => "code".into(),
        Block::Rule => "hr".into(),
        Block::Table { .. } => "table".into(),
        Block::Quote(k) => format!("quote[{}]", inner(k)),
        Block::List { start, items, .. } => {
            format!(
                "{}[{}]",
                if start.is_some() { "ol" } else { "ul" },
                inner(items)
            )
        }
        Block::Item { task, blocks } => format!(
            "li{}[{}]",
            if task.is_some() { "x" } else { "" },
            inner(blocks)
        ),
    }
}

/// The kind of each top-level block: what a reader sees change under them.
fn kind(b: &Block) -> String {
    let s = shape(b);
    s.split('[').next().unwrap_or_default().to_owned()
}

fn prefixes(text: &str) -> impl Iterator<Item = &str> {
    text.char_indices().map(|(i, _)| &text[..i]).chain([text])
}

#[test]
fn no_block_changes_its_kind_more_than_once_while_streaming() {
    for (name, text) in CORPUS {
        // For each top-level position: the kinds it has shown, in order, repeats merged.
        let mut seen: Vec<Vec<String>> = Vec::new();
        for prefix in prefixes(text) {
            for (i, b) in parse_streaming(prefix).iter().enumerate() {
                if seen.len() <= i {
                    seen.push(Vec::new());
                }
                let k = kind(b);
                if seen[i].last() != Some(&k) {
                    seen[i].push(k);
                }
            }
        }
        for (i, kinds) in seen.iter().enumerate() {
            assert!(kinds.len() <= 2, "{name}: block {i} went {kinds:?}");
        }
    }
}

#[test]
fn a_half_written_reply_shows_what_is_certain() {
    // The marker line waits; the table shows its rows as they come.
    assert_eq!(
        parse_streaming("Intro\n1"),
        vec![Block::Para("Intro".into())]
    );
    assert_eq!(
        parse_streaming("Intro\n---"),
        vec![Block::Para("Intro".into())]
    );
    assert_eq!(parse_streaming("```"), vec![]);
    assert_eq!(
        parse_streaming("```pyth"),
        vec![Block::Code {
            lang: String::new(),
            text: String::new()
        }]
    );
    assert_eq!(
        parse_streaming("| a | b |\n|---|---|\n| x"),
        vec![Block::Table {
            align: vec![Align::None, Align::None],
            rows: vec![
                vec!["a".into(), "b".into()],
                vec!["x".into(), String::new()]
            ]
        }]
    );
    assert_eq!(
        parse_streaming("- one\n- "),
        vec![Block::List {
            start: None,
            tight: true,
            items: vec![Block::Item {
                task: None,
                blocks: vec![Block::Para("one".into())]
            }]
        }]
    );
}

/// What `components::markdown::Shown` does with the DOM, with HTML strings: each top-level
/// block is one element; blocks equal to those shown are kept, the rest rendered anew.
#[derive(Default)]
struct Model {
    blocks: Vec<Block>,
    html: Vec<String>,
}

impl Model {
    fn update(&mut self, blocks: Vec<Block>) {
        let keep = render::unchanged(&self.blocks, &blocks);
        let base = render::heading_base(&blocks);
        self.html.truncate(keep);
        for b in &blocks[keep..] {
            let mut h = render::Html::default();
            render::block(&mut h, b, base);
            self.html.push(h.out);
        }
        self.blocks = blocks;
    }
}

#[test]
fn every_cut_ends_in_the_whole_text_render() {
    for (name, text) in CORPUS {
        let whole = render::to_html(&parse(text));
        // The stream cut once at every point: what was shown, then the complete reply.
        for prefix in prefixes(text) {
            let mut m = Model::default();
            m.update(parse_streaming(prefix));
            m.update(parse(text));
            assert_eq!(m.html.concat(), whole, "{name}, cut after {prefix:?}");
        }
        // And streamed a character at a time.
        let mut m = Model::default();
        for prefix in prefixes(text) {
            m.update(parse_streaming(prefix));
        }
        m.update(parse(text));
        assert_eq!(m.html.concat(), whole, "{name}, a character at a time");
    }
}
