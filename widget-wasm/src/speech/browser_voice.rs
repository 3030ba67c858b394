//! The browser voice's settings (`data-tts-*`), which of the browser's voices to use, and what
//! a failed utterance means. Pure, tested natively.

/// What a failed browser utterance (`SpeechSynthesisErrorEvent.error`) means.
pub fn synthesis_blocked(error: &str) -> bool {
    error == "not-allowed"
}

/// The browser voice's settings (`data-tts-*`).
#[derive(Debug, Clone, PartialEq)]
pub struct TtsOptions {
    /// Preferred voice language, matched against `SpeechSynthesisVoice.lang`.
    pub lang: String,
    /// `lang` is the tag's `data-tts-lang`: it stays when the interface language arrives.
    pub lang_fixed: bool,
    /// Rate, pitch and volume in hundredths (95 = 0.95): integers keep the float printer and
    /// parser out of the bundle.
    pub rate: u16,
    pub pitch: u16,
    pub volume: u16,
}

impl Default for TtsOptions {
    fn default() -> Self {
        Self {
            lang: "en-GB".into(),
            lang_fixed: false,
            rate: 95,
            pitch: 100,
            volume: 100,
        }
    }
}

impl TtsOptions {
    /// From `ttsLang`, `ttsRate`, `ttsPitch`, `ttsVolume` (the dataset's names); values out of
    /// the Web Speech API's ranges are clamped, unparsable ones keep the default.
    pub fn from_fields(get: impl Fn(&str) -> Option<String>) -> Self {
        let d = Self::default();
        let num = |k: &str, default: u16, lo: u16, hi: u16| {
            get(k)
                .and_then(|v| parse_decimal(v.trim()))
                .map_or(default, |v| v.clamp(lo, hi))
        };
        let lang = get("ttsLang")
            .filter(|l| l.len() <= 35 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        Self {
            lang_fixed: lang.is_some(),
            lang: lang.unwrap_or(d.lang),
            rate: num("ttsRate", d.rate, 10, 1000),
            pitch: num("ttsPitch", d.pitch, 0, 200),
            volume: num("ttsVolume", d.volume, 0, 100),
        }
    }
}

impl TtsOptions {
    /// The interface language's speech tag (`fr-FR`) becomes the preferred voice language,
    /// unless `data-tts-lang` chose one; English keeps the en-GB preference.
    pub fn follow(&mut self, tag: &str) {
        let english = tag.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("en"));
        if !self.lang_fixed && !english {
            tag.clone_into(&mut self.lang);
        }
    }
}

/// `12`, `0.95`, `.5` in hundredths (1200, 95, 50): a plain non-negative decimal, digits past
/// the second decimal ignored. Not `str::parse::<f32>`, whose general float parser adds
/// kilobytes to the bundle for three optional attributes.
fn parse_decimal(s: &str) -> Option<u16> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    let whole: u16 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut part = 0;
    for (i, b) in frac.bytes().take(2).enumerate() {
        part += u16::from(b - b'0') * if i == 0 { 10 } else { 1 };
    }
    whole.checked_mul(100)?.checked_add(part)
}

/// Hundredths as a decimal ("0.95"), for the `[TTS]` line.
pub fn two_decimals(v: u16) -> String {
    format!("{}.{:02}", v / 100, v % 100)
}

/// Hundredths as the `f32` the Web Speech API takes.
pub fn unit(v: u16) -> f32 {
    f32::from(v) / 100.0
}

/// The browser voice to use among `(name, lang)` pairs: the first whose language is `lang`
/// (`en-GB` matches `en-GB` and `en_GB`, any case); for British English, failing that, one
/// whose name says "British" or has the word "UK" (a substring match would take "Lukas").
/// `None`: let the browser choose (the utterance still carries `lang`).
pub fn pick_voice(voices: &[(String, String)], lang: &str) -> Option<usize> {
    let want = lang.replace('_', "-").to_ascii_lowercase();
    if let Some(i) = voices
        .iter()
        .position(|(_, l)| l.replace('_', "-").to_ascii_lowercase().contains(&want))
    {
        return Some(i);
    }
    if want != "en-gb" {
        return None;
    }
    voices.iter().position(|(name, _)| {
        let name = name.to_ascii_lowercase();
        name.contains("british")
            || name
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == "uk")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_voice_follows_the_interface_language_unless_the_tag_set_one() {
        let mut o = TtsOptions::default();
        o.follow("en-US");
        assert_eq!(o.lang, "en-GB", "English keeps the en-GB preference");
        o.follow("fr-FR");
        assert_eq!(o.lang, "fr-FR");
        let mut o = TtsOptions::from_fields(|k| (k == "ttsLang").then(|| "de-DE".to_owned()));
        o.follow("fr-FR");
        assert_eq!(o.lang, "de-DE");
    }

    #[test]
    fn british_voices_are_preferred() {
        let v = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(n, l)| ((*n).into(), (*l).into()))
                .collect()
        };
        let voices = v(&[
            ("Google US English", "en-US"),
            ("Lukas", "de-DE"),
            ("Google UK English Female", "en-GB"),
        ]);
        assert_eq!(pick_voice(&voices, "en-GB"), Some(2));
        let by_name = v(&[("Lukas", "de"), ("Daniel (British)", "en"), ("x", "en")]);
        assert_eq!(pick_voice(&by_name, "en-GB"), Some(1));
        assert_eq!(pick_voice(&v(&[("UK male", "")]), "en-GB"), Some(0));
        assert_eq!(pick_voice(&v(&[("Lukas", "de-DE")]), "en-GB"), None);
        assert_eq!(pick_voice(&v(&[("x", "en_gb")]), "en-GB"), Some(0));
        assert_eq!(pick_voice(&voices, "de-DE"), Some(1));
    }

    #[test]
    fn tts_options_default_to_the_original_voice_and_clamp() {
        let d = TtsOptions::from_fields(|_| None);
        assert_eq!(d, TtsOptions::default());
        assert_eq!((d.rate, d.pitch, d.volume), (95, 100, 100));
        let o = TtsOptions::from_fields(|k| match k {
            "ttsRate" => Some("1.2".into()),
            "ttsVolume" => Some("7".into()),
            "ttsPitch" => Some("loud".into()),
            "ttsLang" => Some("en-US".into()),
            _ => None,
        });
        assert_eq!((o.rate, o.pitch, o.volume), (120, 100, 100));
        assert_eq!(o.lang, "en-US");
        assert_eq!(parse_decimal(".5"), Some(50));
        assert_eq!(parse_decimal("0.955"), Some(95));
        assert_eq!(parse_decimal("-1"), None);
        assert_eq!(parse_decimal("1e3"), None);
        assert_eq!(two_decimals(95), "0.95");
        assert_eq!(two_decimals(100), "1.00");
        assert_eq!(unit(95), 0.95);
    }
}
