//! What a visitor reads when a turn fails: plain words, with when to retry; and the words of
//! the image controls that take a number. Pure.

use protocol::codes;

use crate::api::chat::Failure;
use crate::i18n::{T, word};

/// The problem shown for a failure, or `None` when nothing needs saying (Stop); in the words
/// of `text` (the proxy's list for the interface language, see [`crate::i18n::word`]).
pub fn describe(text: &[String], failure: &Failure, had_text: bool) -> Option<(String, String)> {
    let w = |key: T| word(text, key).to_owned();
    let (code, message) = match failure {
        Failure::Aborted => return None,
        Failure::Network => ("network".into(), w(T::Offline)),
        Failure::Refused {
            status,
            code,
            message,
            retry_after_secs,
        } => {
            let n = status.to_string();
            let message = match (*status, code.as_str()) {
                (429, _) | (_, codes::RATE_LIMITED) => match retry_after_secs {
                    Some(s) if *s > 0 => w(T::RateWait).replace("{time}", &seconds(text, *s)),
                    _ => w(T::RateLimited),
                },
                (_, codes::BUDGET_EXHAUSTED) => w(T::Budget),
                (s, _) if s >= 500 => w(T::ServerError).replace("{n}", &n),
                // The proxy's own message is English: shown only where the interface is.
                (_, _) => message
                    .clone()
                    .filter(|_| text.is_empty())
                    .unwrap_or_else(|| w(T::SendError).replace("{n}", &n)),
            };
            (if code.is_empty() { n } else { code.clone() }, message)
        }
        Failure::Broken { code, .. } => (
            code.clone(),
            w(if had_text { T::CutOff } else { T::Failed }),
        ),
    };
    Some((code, message))
}

/// "You can attach one image" / "up to {n} images".
pub fn too_many_images(text: &[String], max: usize) -> String {
    match max {
        1 => word(text, T::OneImage).to_owned(),
        n => word(text, T::ImagesMax).replace("{n}", &n.to_string()),
    }
}

/// The name of the `i`-th of `n` thumbnails in the composer.
pub fn attached_image(text: &[String], i: usize, n: usize) -> String {
    word(text, T::AttachedN)
        .replace("{i}", &i.to_string())
        .replace("{n}", &n.to_string())
}

/// The name of the button that removes the `i`-th attached image.
pub fn remove_image(text: &[String], i: usize) -> String {
    word(text, T::RemoveN).replace("{i}", &i.to_string())
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

fn seconds(text: &[String], s: u64) -> String {
    match s {
        1 => word(text, T::Second).to_owned(),
        s if s < 90 => word(text, T::Seconds).replace("{n}", &s.to_string()),
        s => word(text, T::Minutes).replace("{n}", &s.div_ceil(60).to_string()),
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
            describe(&[], &f, false).unwrap().1,
            "Too many messages right now. Please try again in 12 seconds."
        );
        let f = Failure::Refused {
            status: 429,
            code: "rate_limited".into(),
            message: None,
            retry_after_secs: Some(600),
        };
        assert!(describe(&[], &f, false).unwrap().1.contains("10 minutes"));
    }

    #[test]
    fn server_errors_give_the_status_and_a_plain_sentence() {
        let f = Failure::Refused {
            status: 503,
            code: "upstream_unavailable".into(),
            message: Some("x".into()),
            retry_after_secs: None,
        };
        let (code, text) = describe(&[], &f, false).unwrap();
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
    fn failures_are_told_in_the_interface_language() {
        let mut fr = vec![String::new(); crate::i18n::EN.len()];
        fr[T::RateWait as usize] = "Réessayez dans {time}.".into();
        fr[T::Seconds as usize] = "{n} secondes".into();
        fr[T::SendError as usize] = "Non envoyé (erreur {n}).".into();
        let f = Failure::Refused {
            status: 429,
            code: "rate_limited".into(),
            message: None,
            retry_after_secs: Some(12),
        };
        assert_eq!(
            describe(&fr, &f, false).unwrap().1,
            "Réessayez dans 12 secondes."
        );
        // The proxy's English message gives way to the translated sentence.
        let f = Failure::Refused {
            status: 400,
            code: "invalid_request".into(),
            message: Some("the message is empty".into()),
            retry_after_secs: None,
        };
        assert_eq!(
            describe(&fr, &f, false).unwrap().1,
            "Non envoyé (erreur 400)."
        );
        assert_eq!(describe(&[], &f, false).unwrap().1, "the message is empty");
        assert_eq!(
            too_many_images(&[], 3),
            "You can attach up to 3 images to a message."
        );
        assert_eq!(attached_image(&[], 2, 3), "Attached image 2 of 3");
    }

    #[test]
    fn stopping_is_not_a_problem() {
        assert_eq!(describe(&[], &Failure::Aborted, true), None);
    }
}
