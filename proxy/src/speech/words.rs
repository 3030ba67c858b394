//! Words of a sentence apart from the sentence: which words of the first sentence may be sent
//! to the voice before the sentence is complete, and what a sentence whose audio broke off has
//! left to say. Pure.

/// The first sentence's words sent ahead, while it is still being written. Only plain words
/// (letters, digits, ordinary punctuation) on the first line go: `speakable()` says them as
/// written, so what was sent is the start of what the complete sentence says. The first word
/// that is anything else (markup, a link, a URL, code) stops it; the rest goes at the end.
#[derive(Debug, Default)]
pub struct EarlyWords {
    /// Bytes of the sentence looked at so far.
    seen: usize,
    sent: Vec<String>,
    stopped: bool,
}

impl EarlyWords {
    /// The words of `pending` (the sentence so far, from its start) completed since the last
    /// call, each followed by a space.
    pub fn advance(&mut self, pending: &str) -> Vec<String> {
        let mut out = Vec::new();
        if self.seen == 0 && pending.starts_with(char::is_whitespace) {
            // Indented or blank-led text may be code or markup.
            self.stopped = true;
        }
        while !self.stopped {
            let Some(rest) = pending.get(self.seen..) else {
                break;
            };
            let word_at = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            let rest = &rest[word_at..];
            if rest.starts_with(['\n', '\r']) {
                self.stopped = true;
                break;
            }
            // A word is complete once the whitespace after it has arrived.
            let Some(end) = rest.find(char::is_whitespace) else {
                break;
            };
            let word = &rest[..end];
            if !is_plain(word) {
                self.stopped = true;
                break;
            }
            out.push(format!("{word} "));
            self.sent.push(word.to_owned());
            self.seen += word_at + end;
        }
        out
    }

    /// What remains to be sent of `text`, the complete sentence as it is to be said, after the
    /// words already sent; `None` when nothing does.
    pub fn rest_of(&self, text: &str) -> Option<String> {
        if self.sent.is_empty() {
            return Some(text.to_owned()).filter(|t| !t.is_empty());
        }
        let sent = self.sent.join(" ");
        let rest = match text.strip_prefix(sent.as_str()) {
            Some(rest) if rest.is_empty() || rest.starts_with(' ') => rest.trim_start().to_owned(),
            // Said differently after all: skip as many words as were sent.
            _ => {
                let words: Vec<&str> = text.split_whitespace().skip(self.sent.len()).collect();
                words.join(" ")
            }
        };
        (!rest.is_empty()).then_some(rest)
    }
}

fn is_plain(word: &str) -> bool {
    word.chars().any(char::is_alphanumeric)
        && word
            .chars()
            .all(|c| c.is_alphanumeric() || ".,;:!?'\"-%$€£’‘“”–—".contains(c))
}

/// What of `text` a voice had not yet said after `spoken_ms` of audio at `ms_per_char`: from
/// the start of the word it had reached, so a word is said twice rather than lost. Empty when
/// all of it was said.
pub fn remaining_text(text: &str, spoken_ms: u64, ms_per_char: u64) -> &str {
    if spoken_ms == 0 {
        return text;
    }
    let spoken_chars = usize::try_from(spoken_ms / ms_per_char.max(1)).unwrap_or(usize::MAX);
    let Some((at, c)) = text.char_indices().nth(spoken_chars) else {
        return "";
    };
    let start = text[..at + c.len_utf8()]
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    text[start..].trim_start()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(chunks: &[&str]) -> (EarlyWords, Vec<String>) {
        let mut early = EarlyWords::default();
        let mut pending = String::new();
        let mut sent = Vec::new();
        for c in chunks {
            pending.push_str(c);
            sent.extend(early.advance(&pending));
        }
        (early, sent)
    }

    #[test]
    fn complete_plain_words_go_ahead_of_the_sentence() {
        let (early, sent) = stream(&["Thanks", " for", " ask", "ing", " about", " our"]);
        assert_eq!(sent, ["Thanks ", "for ", "asking ", "about "]);
        assert_eq!(
            early.rest_of("Thanks for asking about our").as_deref(),
            Some("our")
        );
        assert_eq!(early.rest_of("Thanks for asking about"), None);
    }

    #[test]
    fn markup_links_code_and_new_lines_stop_the_words() {
        for (text, want) in [
            ("Read [the docs](https://x.ai) now ", vec!["Read "]),
            ("Use **this** one ", vec!["Use "]),
            ("Run `ls` here ", vec!["Run "]),
            ("- a list item ", vec![]),
            ("    indented code ", vec![]),
            (
                "Steps to follow\n- open it ",
                vec!["Steps ", "to ", "follow "],
            ),
            ("See https://x.ai today ", vec!["See "]),
            (
                "It costs $5, or 4.50€ ",
                vec!["It ", "costs ", "$5, ", "or ", "4.50€ "],
            ),
        ] {
            let (_, sent) = stream(&[text]);
            assert_eq!(sent, want, "{text:?}");
        }
    }

    #[test]
    fn a_sentence_said_differently_skips_the_words_sent() {
        let (early, _) = stream(&["One two "]);
        assert_eq!(
            early.rest_of("one two three four").as_deref(),
            Some("three four")
        );
    }

    #[test]
    fn the_remainder_starts_at_the_word_being_said() {
        let text = "The first part was heard, the rest was not.";
        assert_eq!(remaining_text(text, 0, 60), text);
        // 480 ms at 60 ms a character: eight characters, in the middle of "first".
        assert_eq!(
            remaining_text(text, 480, 60),
            "first part was heard, the rest was not."
        );
        assert_eq!(
            remaining_text(text, 540, 60),
            "part was heard, the rest was not.",
            "at the space after a word, that word was said"
        );
        assert_eq!(remaining_text(text, 60_000, 60), "");
        assert_eq!(remaining_text("Ça va très bien", 300, 60), "très bien");
    }
}
