//! "The model" is the kit's, standing in for Grok; here is what only x.ai's models add.

use fake_kit::reply::quote;
pub(crate) use fake_kit::reply::{MessageContent, Turn};

/// The reply to the last user message of `conversation`.
pub(crate) fn reply(conversation: &[Turn]) -> String {
    fake_kit::reply::reply(conversation, "Grok")
}

/// The reasoning summary a reasoning model shows before its reply.
pub(crate) fn reasoning_summary(conversation: &[Turn]) -> String {
    let last = conversation
        .iter()
        .rev()
        .find(|t| t.role == "user")
        .map_or("", |t| t.text.as_str());
    format!(
        "The user wrote \"{}\". I am the offline fake, so I will answer with my canned reply.",
        quote(last)
    )
}
