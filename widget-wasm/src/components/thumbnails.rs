//! Image thumbnails drawn as plain DOM elements (as the markdown is), not as Leptos views:
//! their many small views cost more bundle size than they are worth. Only our own thumbnail
//! data URLs go in `src`; names go in `alt` and `aria-label`, never into markup.

use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

use crate::i18n::{T, word};
use crate::state::Attachment;
use crate::state::wording::{attached_image, remove_image};

/// The remove button's cross (a constant: no visitor data in it).
const CROSS: &str = r#"<svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" focusable="false"><path fill="currentColor" d="M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4L12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z"/></svg>"#;
/// The placeholder of an image whose thumbnail was not kept.
const PICTURE: &str = r#"<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M4 5h16a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm1 2v9l4-4 3 3 3-4 4 5V7z"/></svg>"#;

fn doc() -> Option<Document> {
    web_sys::window()?.document()
}

fn child(doc: &Document, parent: &Element, tag: &str, class: &str) -> Option<Element> {
    let e = doc.create_element(tag).ok()?;
    e.set_class_name(class);
    parent.append_child(&e).ok()?;
    Some(e)
}

/// The composer's attached images, each with a remove button carrying the image's id
/// (`data-id`, read back by [`removed`]). One still being prepared shows an empty tile.
pub fn attachments(list: &Element, items: &[Attachment], text: &[String]) {
    list.set_text_content(None);
    let Some(doc) = doc() else { return };
    let n = items.len();
    for (i, a) in items.iter().enumerate() {
        let Some(li) = child(&doc, list, "li", "gw-attachment") else {
            continue;
        };
        if let Some(img) = child(&doc, &li, "img", "") {
            let _ = img.set_attribute("src", &a.thumb);
            let _ = img.set_attribute("alt", &attached_image(text, i + 1, n));
        }
        if let Some(b) = child(&doc, &li, "button", "gw-remove") {
            let label = remove_image(text, i + 1);
            let _ = b.set_attribute("type", "button");
            let _ = b.set_attribute("aria-label", &label);
            let _ = b.set_attribute("title", &label);
            let _ = b.set_attribute("data-id", &a.id.to_string());
            b.set_inner_html(CROSS);
        }
    }
}

/// The id of the image whose remove button `ev` clicked, if it did.
pub fn removed(ev: &web_sys::Event) -> Option<u64> {
    let target: Element = ev.target()?.dyn_into().ok()?;
    let button = target.closest("button[data-id]").ok()??;
    button.get_attribute("data-id")?.parse().ok()
}

/// A sent message's thumbnails (`""`: the placeholder of one not kept).
pub fn sent(target: &Element, thumbs: &[String], text: &[String]) {
    target.set_text_content(None);
    let Some(doc) = doc() else { return };
    for t in thumbs {
        if t.is_empty() {
            if let Some(s) = child(&doc, target, "span", "gw-img gw-img-none") {
                let _ = s.set_attribute("role", "img");
                let _ = s.set_attribute("aria-label", word(text, T::ImageNotKept));
                s.set_inner_html(PICTURE);
            }
        } else if let Some(img) = child(&doc, target, "img", "gw-img") {
            let _ = img.set_attribute("src", t);
            let _ = img.set_attribute("alt", word(text, T::SentImage));
        }
    }
}
