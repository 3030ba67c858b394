//! The images of a chat turn, checked before anything is sent upstream: the client takes
//! images, how many, and for each the bytes, the real type (magic bytes) and the dimensions
//! (header). What is refused says why, with the status that fits; nothing about an image is
//! logged.

use crate::config::ClientConfig;
use crate::error::AppError;
use crate::images::{self, Image, ImageError, ImageLimits};

/// The checked images of a turn, in the order sent.
pub fn check(client: &ClientConfig, urls: &[String]) -> Result<Vec<Image>, AppError> {
    if urls.is_empty() {
        return Ok(Vec::new());
    }
    if !client.images {
        return Err(AppError::InvalidRequest(
            "this chat does not accept images; send the message as text".into(),
        ));
    }
    if urls.len() > client.max_images {
        return Err(AppError::InvalidRequest(format!(
            "a message may carry at most {} image{}; this one has {}",
            client.max_images,
            if client.max_images == 1 { "" } else { "s" },
            urls.len()
        )));
    }
    let limits = ImageLimits {
        max_bytes: client.max_image_bytes,
        max_side: client.max_image_side,
    };
    let several = urls.len() > 1;
    urls.iter()
        .enumerate()
        .map(|(i, url)| {
            images::from_data_url(url, limits).map_err(|e| {
                let what = if several {
                    format!("image {} of {}: {e}", i + 1, urls.len())
                } else {
                    e.to_string()
                };
                refusal(&e, what)
            })
        })
        .collect()
}

fn refusal(e: &ImageError, what: String) -> AppError {
    match e {
        ImageError::UnknownType => AppError::ImageUnsupported(what),
        ImageError::TooLarge { .. } | ImageError::TooBig { .. } => AppError::ImageTooLarge(what),
        ImageError::NotDataUrl | ImageError::NotBase64 | ImageError::Malformed => {
            AppError::InvalidRequest(what)
        }
    }
}
