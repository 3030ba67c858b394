//! "The model" is the kit's (`[[reply: TEXT]]`, names), shared with the fake x.ai; here are
//! the providers' token counts and `max_tokens` cuts.

pub(crate) use fake_kit::reply::{MessageContent, Turn, reply};
pub(crate) use fake_kit::tokenizer::word_chunks;
use fake_kit::tokenizer::{Token, tokenize};

/// Toy token count: words and single punctuation characters (the kit's tokens, less a
/// trailing run of whitespace).
pub(crate) fn count_tokens(text: &str) -> u64 {
    tokenize(text)
        .iter()
        .filter(|t| !Token::is_blank(t))
        .count() as u64
}

/// The first `max` word chunks of `text`, and whether it was cut.
pub(crate) fn truncate(text: &str, max: Option<u64>) -> (String, bool) {
    let chunks = word_chunks(text);
    match max {
        Some(m) if (chunks.len() as u64) > m => (
            chunks
                .into_iter()
                .take(usize::try_from(m).unwrap_or(usize::MAX))
                .collect(),
            true,
        ),
        _ => (text.to_owned(), false),
    }
}

/// Prompt tokens: the system prompt and every message, plus a little per message.
pub(crate) fn prompt_tokens(system: Option<&str>, conversation: &[Turn]) -> u64 {
    system.map_or(0, count_tokens)
        + conversation
            .iter()
            .map(|t| count_tokens(&t.text) + 4)
            .sum::<u64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_concatenate_and_truncation_marks_the_cut() {
        let text = "One two  three.";
        assert_eq!(word_chunks(text).concat(), text);
        assert_eq!(truncate(text, Some(2)), ("One two".into(), true));
        assert_eq!(truncate(text, Some(9)), (text.into(), false));
        assert_eq!(count_tokens("Hello, world!"), 4);
        assert_eq!(count_tokens("Hello  "), 1);
    }
}
