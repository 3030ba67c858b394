//! "The model": deterministic replies computed from a conversation. `[[reply: TEXT]]` scripts
//! the reply; "my name is X" is remembered; anything else is quoted back with the turn count.
//! An image in the last message is described first (size, format, mean colour; `vision`).

use serde::{Deserialize, Serialize};

use crate::vision::{self, Seen};

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

/// One content part: text, or an image in any of the three APIs' shapes (Responses
/// `input_image` with `image_url` a string, chat completions `image_url` with `{url}`,
/// Anthropic `image` with a base64 `source`). Files carry no text and are ignored.
#[derive(Clone, Debug, Deserialize)]
pub struct ContentPart {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub image_url: Option<ImageRef>,
    #[serde(default)]
    pub source: Option<ImageSource>,
}

/// `image_url`: a URL string (Responses API) or `{"url": …}` (chat completions); both are
/// accepted in both places, as the spec leaves the detail open.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum ImageRef {
    Url(String),
    Object { url: String },
}

/// Anthropic's image `source`: `{"type": "base64", "media_type", "data"}`.
#[derive(Clone, Debug, Deserialize)]
pub struct ImageSource {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub data: Option<String>,
}

/// The marker an image leaves in a message's text, which [`reply`] reads.
const IMAGE_MARK: &str = "[[image: ";

impl ContentPart {
    /// What the model sees in an image part; `None` for other parts.
    pub fn image(&self) -> Option<Result<Seen, String>> {
        if let Some(r) = &self.image_url {
            let url = match r {
                ImageRef::Url(u) | ImageRef::Object { url: u } => u,
            };
            return Some(vision::from_data_url(url));
        }
        let src = self.source.as_ref()?;
        Some(match (src.kind.as_str(), &src.data) {
            ("base64", Some(data)) => vision::from_base64(src.media_type.as_deref(), data),
            _ => Err(format!(
                "image source type \"{}\" is not supported here",
                src.kind
            )),
        })
    }
}

impl MessageContent {
    /// The text the model reads: each text part, and for each image a `[[image: …]]` line.
    pub fn text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Parts(parts) => parts
                .iter()
                .filter(|p| !p.kind.is_empty())
                .filter_map(|p| match p.image() {
                    Some(Ok(seen)) => Some(format!("{IMAGE_MARK}{seen}]]")),
                    Some(Err(_)) => Some(format!("{IMAGE_MARK}an image I cannot read]]")),
                    None => p.text.clone(),
                })
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// Every image part, as seen (or why it could not be).
    pub fn images(&self) -> Vec<Result<Seen, String>> {
        match self {
            Self::Text(_) => Vec::new(),
            Self::Parts(parts) => parts.iter().filter_map(ContentPart::image).collect(),
        }
    }
}

/// The image descriptions in `text` and the text without them.
fn split_images(text: &str) -> (Vec<&str>, String) {
    let mut seen = Vec::new();
    let mut rest = Vec::new();
    for line in text.lines() {
        match line
            .strip_prefix(IMAGE_MARK)
            .and_then(|l| l.strip_suffix("]]"))
        {
            Some(d) => seen.push(d),
            None => rest.push(line),
        }
    }
    (seen, rest.join("\n"))
}

/// The reply to the last user message of `conversation`; `who` names the model stood in for.
/// Images in it are described first ("I see a 64x48 PNG image whose mean colour is …").
pub fn reply(conversation: &[Turn], who: &str) -> String {
    if let Some(last) = conversation.iter().rposition(|t| t.role == "user") {
        let (seen, rest) = split_images(&conversation[last].text);
        if !seen.is_empty() {
            let sight = format!("I see {}.", seen.join(", and "));
            if rest.trim().is_empty() {
                return sight;
            }
            let mut without = conversation[..=last].to_vec();
            without[last].text = rest;
            return format!("{sight} {}", reply_text(&without, who));
        }
    }
    reply_text(conversation, who)
}

fn reply_text(conversation: &[Turn], who: &str) -> String {
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
    fn an_image_is_described_before_the_reply() {
        let content: MessageContent = serde_json::from_value(serde_json::json!([
            {"type": "input_image", "image_url": "data:image/gif;base64,R0lGODlhAQABAIAAAP8AAAAAACwAAAAAAQABAAACAkQBADs="},
            {"type": "input_text", "text": "[[reply: Nice.]]"}
        ]))
        .unwrap();
        let c = [Turn::new("user", content.text())];
        assert_eq!(
            reply(&c, "Grok"),
            "I see a 1x1 GIF image whose mean colour is #ff0000. Nice."
        );
        let only: MessageContent = serde_json::from_value(serde_json::json!([
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "R0lGODlhAQABAIAAAP8AAAAAACwAAAAAAQABAAACAkQBADs="}}
        ]))
        .unwrap();
        assert!(only.images()[0].as_ref().unwrap_err().contains("declared"));
        assert_eq!(
            reply(&[Turn::new("user", only.text())], "Claude"),
            "I see an image I cannot read."
        );
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
