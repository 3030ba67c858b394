//! The proxy's sentence splitter and `speakable` (`proxy::speech::sentences`).
//!
//! Input: byte 0 seeds the chunk sizes; the rest is the reply text (lossy UTF-8). Properties:
//! pushing the text in arbitrary chunks gives the same sentences as pushing it whole; no
//! non-space character is lost, invented or reordered; every sentence is trimmed and non-empty;
//! `speakable` never panics and what it returns is clean, speakable text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy::speech::sentences::{SentenceSplitter, speakable};

/// Pushes `text` cut into pieces of `sizes` characters (cycled), then finishes.
fn split(text: &str, sizes: &[usize]) -> Vec<String> {
    let mut splitter = SentenceSplitter::new();
    let mut out = Vec::new();
    let mut rest = text;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let at = rest.char_indices().nth(size).map_or(rest.len(), |(i, _)| i);
        let (piece, after) = rest.split_at(at);
        out.extend(splitter.push(piece));
        rest = after;
    }
    out.extend(splitter.finish());
    out
}

fn non_space(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, text)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(text);

    let whole = split(&text, &[usize::MAX]);
    // A few chunkings from the seed: one character at a time, and a small cycle of sizes.
    let sizes: Vec<usize> = (0..4)
        .map(|i| usize::from(seed.rotate_left(i * 2) % 8) + 1)
        .collect();
    assert_eq!(split(&text, &[1]), whole, "one character at a time");
    assert_eq!(split(&text, &sizes), whole, "chunks of {sizes:?}");

    for s in &whole {
        assert!(!s.is_empty() && s.trim() == s, "{s:?}");
    }
    assert_eq!(
        non_space(&whole.concat()),
        non_space(&text),
        "text lost or invented"
    );

    if let Some(spoken) = speakable(&text) {
        assert!(spoken.chars().any(char::is_alphanumeric), "{spoken:?}");
        assert_eq!(
            spoken.split_whitespace().collect::<Vec<_>>().join(" "),
            spoken,
            "whitespace is normalised"
        );
        assert!(!spoken.contains(['*', '`', '~']), "markup left: {spoken:?}");
        // URLs are dropped, not spelled out, however they are wrapped.
        assert!(
            !spoken.contains("http://") && !spoken.contains("https://"),
            "a URL would be spoken: {spoken:?}"
        );
    }
    for s in &whole {
        let _ = speakable(s);
    }
});
