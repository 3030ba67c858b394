//! The message shapes the chat-style APIs share (x.ai's Chat Completions, Anthropic's
//! Messages): a role and a content that is a string or, with images, a list of parts whose type
//! each API defines; and where images go in a message, for every API.

use serde::Serialize;

use crate::images::Image;

#[derive(Debug, Serialize)]
pub struct WireMessage<'a, P> {
    pub role: &'a str,
    pub content: Content<'a, P>,
}

/// A message's `content`: a string, or with images the API's typed parts (images first).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Content<'a, P> {
    Text(&'a str),
    Parts(Vec<P>),
}

impl<'a, P> Content<'a, P> {
    /// The text alone when there are no images (the form every API takes), else
    /// [`parts_with_images`].
    pub fn new(
        text: &'a str,
        images: &'a [Image],
        image: impl Fn(&'a Image) -> P,
        text_part: impl FnOnce(&'a str) -> P,
    ) -> Self {
        if images.is_empty() {
            return Content::Text(text);
        }
        Content::Parts(parts_with_images(text, images, image, text_part))
    }
}

/// A message with images as every API wants it: a part per image (in the order sent), then
/// the text as the last part, none when it is empty (an image alone is a message).
pub fn parts_with_images<'a, P>(
    text: &'a str,
    images: &'a [Image],
    image: impl Fn(&'a Image) -> P,
    text_part: impl FnOnce(&'a str) -> P,
) -> Vec<P> {
    let mut parts: Vec<P> = images.iter().map(image).collect();
    if !text.is_empty() {
        parts.push(text_part(text));
    }
    parts
}
