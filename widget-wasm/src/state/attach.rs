//! Images in the composer: what the site takes, attaching files (picked, pasted or dropped:
//! each is decoded and scaled in the browser before it is kept), removing them, and the images
//! a turn sends. The full images live in memory only; messages keep thumbnails.

use leptos::prelude::*;

use super::Chat;
use super::wording;
use crate::browser::image::{self, PrepareError};
use crate::i18n::T;

/// One image in the composer (or of a message being sent).
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub id: u64,
    /// What is sent: `data:image/png|jpeg;base64,…`; empty while it is being prepared.
    pub data_url: String,
    /// What the composer and the transcript show.
    pub thumb: String,
}

impl Chat {
    /// Attaches `files` (from the file picker, a paste or a drop), as many as the site takes;
    /// says why when one cannot be attached.
    pub fn attach_files(&self, files: Vec<web_sys::File>) {
        if !self.images_allowed.get_untracked() || files.is_empty() {
            return;
        }
        let max_images = self.max_images.get_value() as usize;
        let max_bytes = self.max_image_bytes.get_value() as usize;
        self.attach_note.set(None);
        for file in files {
            if self.attachments.with_untracked(Vec::len) >= max_images {
                let note = self
                    .text
                    .with_value(|t| wording::too_many_images(t, max_images));
                self.attach_note.set(Some(note));
                break;
            }
            if !image::accepted(&file) {
                self.attach_note.set(Some(self.t(T::NotAnImage)));
                continue;
            }
            // Holds its place (and counts) while it is prepared.
            let id = self.fresh_id();
            self.attachments.update(|list| {
                list.push(Attachment {
                    id,
                    data_url: String::new(),
                    thumb: String::new(),
                });
            });
            let chat = *self;
            leptos::task::spawn_local(async move {
                let result = image::prepare(&file, max_bytes).await;
                chat.attachments.update(|list| match &result {
                    Ok(p) => {
                        if let Some(a) = list.iter_mut().find(|a| a.id == id) {
                            a.data_url.clone_from(&p.data_url);
                            a.thumb.clone_from(&p.thumb);
                        }
                    }
                    Err(_) => list.retain(|a| a.id != id),
                });
                if let Err(e) = result {
                    chat.attach_note.set(Some(chat.t(match e {
                        PrepareError::NotAnImage => T::NotAnImage,
                        PrepareError::Unreadable => T::Unreadable,
                        PrepareError::TooLarge => T::TooLarge,
                    })));
                }
            });
        }
    }

    /// Takes an image out of the composer.
    pub fn remove_attachment(&self, id: u64) {
        self.attachments.update(|list| list.retain(|a| a.id != id));
        self.attach_note.set(None);
    }

    /// The full images sent with message `user` (for the request, and for a retry).
    pub(super) fn images_of(&self, user: u64) -> Vec<String> {
        self.sent_images.with_value(|s| match s {
            Some((id, list)) if *id == user => list.iter().map(|a| a.data_url.clone()).collect(),
            _ => Vec::new(),
        })
    }

    /// A message that never got an answer goes back into the composer: its images too.
    pub(super) fn restore_attachments(&self, user: u64) {
        let images = self.sent_images.with_value(|s| match s {
            Some((id, list)) if *id == user => list.clone(),
            _ => Vec::new(),
        });
        if !images.is_empty() && self.attachments.with_untracked(Vec::is_empty) {
            self.attachments.set(images);
        }
    }
}
