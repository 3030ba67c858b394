//! "The model": deterministic replies computed from a conversation, and a toy tokenizer.
//! The same behaviour as the fake x.ai's (`[[reply: TEXT]]`, names), copied, not shared.

use serde::Deserialize;

/// One message of a conversation, reduced to what the fake model reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Turn {
    /// `user` or `assistant` (system prompts are kept apart).
    pub role: String,
    pub text: String,
}

impl Turn {
    pub(crate) fn new(role: &str, text: impl Into<String>) -> Self {
        Self {
            role: role.to_owned(),
            text: text.into(),
        }
    }
}

/// A message `content`: a plain string or a list of typed blocks (only their text is read).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Content {
    Text(String),
    Parts(Vec<Part>),
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Part {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub text: Option<String>,
}

impl Content {
    pub(crate) fn text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Parts(parts) => parts
                .iter()
                .filter(|p| !p.kind.is_empty())
                .filter_map(|p| p.text.as_deref())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// The reply to the last user message of `conversation`; `who` names the stand-in.
pub(crate) fn reply(conversation: &[Turn], who: &str) -> String {
    let users: Vec<&Turn> = conversation.iter().filter(|t| t.role == "user").collect();
    let Some((last, earlier)) = users.split_last() else {
        return format!(
            "Hello! I'm the offline stand-in for {who}. Say something and I'll answer."
        );
    };
    if let Some(scripted) = scripted_reply(&last.text) {
        return scripted;
    }
    if asks_for_name(&last.text) {
        return match earlier.iter().rev().find_map(|t| told_name(&t.text)) {
            Some(name) => format!("Your name is {name}."),
            None => "You haven't told me your name yet.".into(),
        };
    }
    format!(
        "You said: \"{}\". I'm the offline stand-in for {who}, so my answers are canned. \
         This is turn {} of our conversation.",
        quote(&last.text),
        users.len()
    )
}

/// `[[reply: TEXT]]` lets tests script the exact reply.
fn scripted_reply(text: &str) -> Option<String> {
    let start = text.find("[[reply:")? + "[[reply:".len();
    let len = text[start..].find("]]")?;
    Some(text[start..start + len].trim().to_owned())
}

fn asks_for_name(text: &str) -> bool {
    let lower = text.to_lowercase().replace('’', "'");
    ["what's my name", "what is my name", "whats my name"]
        .iter()
        .any(|q| lower.contains(q))
}

/// The first word after "my name is", if the text says so.
fn told_name(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let at = lower.find("my name is ")? + "my name is ".len();
    let rest = text.get(at..)?;
    let name: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '\'')
        .collect();
    (!name.is_empty()).then_some(name)
}

fn quote(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 120 {
        let cut: String = one_line.chars().take(117).collect();
        format!("{cut}...")
    } else {
        one_line
    }
}

/// Toy token count: words and single punctuation characters, at least one per non-empty text.
pub(crate) fn count_tokens(text: &str) -> u64 {
    let mut count = 0_u64;
    let mut in_word = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if !in_word {
                count += 1;
                in_word = true;
            }
        } else {
            in_word = false;
            if !c.is_whitespace() {
                count += 1;
            }
        }
    }
    count
}

/// Stream chunks of "a word or so" that concatenate to exactly `text`.
pub(crate) fn word_chunks(text: &str) -> Vec<String> {
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
    fn scripted_replies_and_names_work_as_in_the_fake_xai() {
        let c = [Turn::new("user", "please [[reply: One. Two!]] thanks")];
        assert_eq!(reply(&c, "Claude"), "One. Two!");
        let c = [
            Turn::new("user", "Hi, my name is Alice."),
            Turn::new("assistant", "Hello"),
            Turn::new("user", "What's my name?"),
        ];
        assert_eq!(reply(&c, "GPT"), "Your name is Alice.");
        assert_eq!(reply(&c[2..], "GPT"), "You haven't told me your name yet.");
    }

    #[test]
    fn chunks_concatenate_and_truncation_marks_the_cut() {
        let text = "One two  three.";
        assert_eq!(word_chunks(text).concat(), text);
        assert_eq!(truncate(text, Some(2)), ("One two".into(), true));
        assert_eq!(truncate(text, Some(9)), (text.into(), false));
        assert_eq!(count_tokens("Hello, world!"), 4);
    }
}
