//! "The model": deterministic replies computed from a conversation. `[[reply: TEXT]]` scripts
//! the reply; "my name is X" is remembered; anything else is quoted back with the turn count.

use serde::{Deserialize, Serialize};

/// One message of a conversation, reduced to what the fake model reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    /// `system`, `developer`, `user` or `assistant`.
    pub role: String,
    pub text: String,
}

impl Turn {
    pub fn new(role: &str, text: impl Into<String>) -> Self {
        Self {
            role: role.to_owned(),
            text: text.into(),
        }
    }
}

/// A message `content`: a plain string or a list of typed parts (only their text is read).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    Text(String),
    Parts(Vec<ContentPart>),
}

/// One content part; images and files carry no text and are ignored by the fake model.
#[derive(Clone, Debug, Deserialize)]
pub struct ContentPart {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub text: Option<String>,
}

impl MessageContent {
    pub fn text(&self) -> String {
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

/// The reply to the last user message of `conversation`; `who` names the model stood in for.
pub fn reply(conversation: &[Turn], who: &str) -> String {
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
    // Lower-casing can change byte lengths for some scripts; fall back to no name then.
    let rest = text.get(at..)?;
    let name: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '\'')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The user's words as quoted back: one line, at most 120 characters.
pub fn quote(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 120 {
        let cut: String = one_line.chars().take(117).collect();
        format!("{cut}...")
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_reply_is_verbatim() {
        let c = [Turn::new(
            "user",
            "please [[reply: One. Two! <b>x</b>]] thanks",
        )];
        assert_eq!(reply(&c, "Grok"), "One. Two! <b>x</b>");
        let c = [Turn::new("user", "please [[reply: One. Two!]] thanks")];
        assert_eq!(reply(&c, "Claude"), "One. Two!");
    }

    #[test]
    fn remembers_the_name() {
        let c = [
            Turn::new("user", "Hi, my name is Alice."),
            Turn::new("assistant", "Hello"),
            Turn::new("user", "What's my name?"),
        ];
        assert_eq!(reply(&c, "GPT"), "Your name is Alice.");
        assert_eq!(reply(&c[2..], "GPT"), "You haven't told me your name yet.");
    }

    #[test]
    fn default_reply_quotes_and_counts_turns() {
        let c = [
            Turn::new("user", "one"),
            Turn::new("assistant", "x"),
            Turn::new("user", "hi"),
        ];
        assert_eq!(
            reply(&c, "Grok"),
            "You said: \"hi\". I'm the offline stand-in for Grok, so my answers are canned. \
             This is turn 2 of our conversation."
        );
    }
}
