//! What a visitor reads when a turn fails: plain words, with when to retry; and the words of
//! the image controls (kept here, together, for translation). Pure.

use protocol::codes;

use crate::api::chat::Failure;

/// The problem shown for a failure, or `None` when nothing needs saying (Stop).
pub fn describe(failure: &Failure, had_text: bool) -> Option<(String, String)> {
    let (code, message) = match failure {
        Failure::Aborted => return None,
        Failure::Network => (
            "network".into(),
            "The chat service can't be reached. Check your connection and try again.".into(),
        ),
        Failure::Refused {
            status,
            code,
            message,
            retry_after_secs,
        } => {
            let text = match (*status, code.as_str()) {
                (429, _) | (_, codes::RATE_LIMITED) => match retry_after_secs {
                    Some(s) if *s > 0 => format!(
                        "Too many messages right now. Please try again in {}.",
                        seconds(*s)
                    ),
                    _ => "Too many messages right now. Please wait a moment and try again.".into(),
                },
                (_, codes::BUDGET_EXHAUSTED) => {
                    "This chat has reached its limit for now. Please try again later.".into()
                }
                (s, _) if s >= 500 => format!(
                    "The chat service is having trouble (error {s}). Please try again in a moment."
                ),
                (s, _) => message
                    .clone()
                    .unwrap_or_else(|| format!("The message could not be sent (error {s}).")),
            };
            (
                if code.is_empty() {
                    status.to_string()
                } else {
                    code.clone()
                },
                text,
            )
        }
        Failure::Broken { code, .. } => (
            code.clone(),
            if had_text {
                "The reply was cut off. You can retry.".into()
            } else {
                "Something went wrong while answering. Please try again.".into()
            },
        ),
    };
    Some((code, message))
}

/// The attach button's name (and tooltip).
pub const ATTACH_IMAGE: &str = "Attach image";
/// The name of the list of attached images in the composer.
pub const ATTACHED_IMAGES: &str = "Attached images";
/// Said while a picked image is being decoded and scaled.
pub const PREPARING_IMAGE: &str = "Preparing the image…";
pub const NOT_AN_IMAGE: &str = "Only PNG, JPEG, WebP or GIF images can be attached.";
pub const UNREADABLE_IMAGE: &str = "This image could not be read. Please try another one.";
pub const IMAGE_TOO_LARGE: &str = "This image is too large to send, even made smaller.";
/// Shown over the panel while a file is dragged over it.
pub const DROP_IMAGE: &str = "Drop an image to attach it";
/// The name of a thumbnail in the transcript.
pub const SENT_IMAGE: &str = "Image you sent";
/// An image whose thumbnail was not kept (older messages in a long conversation).
pub const IMAGE_NOT_KEPT: &str = "Image (not kept)";

pub fn too_many_images(max: usize) -> String {
    match max {
        1 => "You can attach one image to a message.".into(),
        n => format!("You can attach up to {n} images to a message."),
    }
}

/// The name of the `i`-th of `n` thumbnails in the composer.
pub fn attached_image(i: usize, n: usize) -> String {
    format!("Attached image {i} of {n}")
}

/// The name of the button that removes the `i`-th attached image.
pub fn remove_image(i: usize) -> String {
    format!("Remove image {i}")
}

/// `4100` as "4,100".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn seconds(s: u64) -> String {
    match s {
        1 => "1 second".into(),
        s if s < 90 => format!("{s} seconds"),
        s => format!("{} minutes", s.div_ceil(60)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_say_when_to_retry() {
        let f = Failure::Refused {
            status: 429,
            code: "rate_limited".into(),
            message: None,
            retry_after_secs: Some(12),
        };
        assert_eq!(
            describe(&f, false).unwrap().1,
            "Too many messages right now. Please try again in 12 seconds."
        );
        let f = Failure::Refused {
            status: 429,
            code: "rate_limited".into(),
            message: None,
            retry_after_secs: Some(600),
        };
        assert!(describe(&f, false).unwrap().1.contains("10 minutes"));
    }

    #[test]
    fn server_errors_give_the_status_and_a_plain_sentence() {
        let f = Failure::Refused {
            status: 503,
            code: "upstream_unavailable".into(),
            message: Some("x".into()),
            retry_after_secs: None,
        };
        let (code, text) = describe(&f, false).unwrap();
        assert_eq!(code, "upstream_unavailable");
        assert!(text.contains("error 503"), "{text}");
    }

    #[test]
    fn long_counts_get_thousands_separators() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(4000), "4,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn stopping_is_not_a_problem() {
        assert_eq!(describe(&Failure::Aborted, true), None);
    }
}
