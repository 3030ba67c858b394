//! The toy tokenizer (words and punctuation) and the "a word or so" stream chunks.

/// One token of the toy tokenizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Stable across runs: a hash of the text.
    pub id: u32,
    pub text: String,
}

impl Token {
    /// Only whitespace: the tail of a text that ends in spaces.
    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }
}

/// Splits text into words (with their leading whitespace) and single punctuation characters
/// (also with leading whitespace); concatenating the tokens gives the text back.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut pieces: Vec<String> = Vec::new();
    let mut pending = String::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            if word.is_empty() {
                word = std::mem::take(&mut pending);
            }
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            pieces.push(std::mem::take(&mut word));
        }
        if c.is_whitespace() {
            pending.push(c);
        } else {
            let mut piece = std::mem::take(&mut pending);
            piece.push(c);
            pieces.push(piece);
        }
    }
    if !word.is_empty() {
        pieces.push(word);
    }
    if !pending.is_empty() {
        pieces.push(pending);
    }
    pieces
        .into_iter()
        .map(|text| Token {
            id: fnv1a(text.as_bytes()) % 131_072,
            text,
        })
        .collect()
}

/// The number of tokens of `text`, a trailing run of whitespace included.
pub fn count_tokens(text: &str) -> u64 {
    tokenize(text).len() as u64
}

/// The first `n` tokens of `text`, joined back.
pub fn truncate_tokens(text: &str, n: u64) -> String {
    tokenize(text)
        .into_iter()
        .take(usize::try_from(n).unwrap_or(usize::MAX))
        .map(|t| t.text)
        .collect()
}

/// Stream chunks of "a word or so": each starts at a whitespace boundary and keeps its leading
/// whitespace, so the chunks concatenate to exactly `text`.
pub fn word_chunks(text: &str) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if in_word {
                chunks.push(std::mem::take(&mut current));
                in_word = false;
            }
        } else {
            in_word = true;
        }
        current.push(c);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

/// Deterministic across runs and platforms, unlike `DefaultHasher`.
pub fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |hash, b| {
        (hash ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_concatenate_back_to_the_text() {
        let text = "Hello world! What's \"up\"?  ";
        let tokens = tokenize(text);
        let joined: String = tokens.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(joined, text);
        assert_eq!(tokens[0].text, "Hello");
        assert_eq!(tokens[1].text, " world");
        assert_eq!(tokens[2].text, "!");
        assert!(tokens.last().is_some_and(Token::is_blank));
    }

    #[test]
    fn word_chunks_concatenate_back_to_the_text() {
        let text = "You said: \"hi\".  Bye";
        let chunks = word_chunks(text);
        assert_eq!(chunks.concat(), text);
        assert_eq!(chunks, vec!["You", " said:", " \"hi\".", "  Bye"]);
    }
}
