//! What the site owner wrote on the `<script>` tag, and the colour helpers: pure, tested
//! natively.

/// What the site owner wrote as `data-*` on the `<script>` tag, as the loader recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub client_id: String,
    /// Where the proxy is, without a trailing slash.
    pub proxy_url: String,
    pub title: Option<String>,
    pub accent_color: Option<String>,
    /// `data-position`: the launcher on the left (`Some(true)`) or right; `None`: the side a
    /// reader of the interface language starts from (see `UiState::launcher_left`).
    pub position_left: Option<bool>,
    /// `data-lang`: the interface language, before the site's and the page's.
    pub lang: Option<String>,
    /// `data-theme`: `light` or `dark`; `None` follows `prefers-color-scheme`.
    pub theme: Option<&'static str>,
    /// `data-offset-x` / `data-offset-y`: the launcher's distance from the screen's side and
    /// bottom edges, as a CSS length (`"24px"`); the stylesheet's default when `None`.
    pub offset_x: Option<String>,
    pub offset_y: Option<String>,
    pub open_on_load: bool,
    pub stt_lang: Option<String>,
    /// `data-voice`: one of the client's voices for the server's speech.
    pub voice: Option<String>,
    /// `data-tts-lang`, `data-tts-rate`, `data-tts-pitch`, `data-tts-volume`: the browser voice.
    pub tts: crate::speech::TtsOptions,
    /// `data-conversation-timeout`: seconds conversation mode listens for speech before it
    /// turns itself off (1–60, default 8).
    pub conversation_timeout_secs: u8,
}

impl Settings {
    /// Builds settings from a field lookup (the dataset's camelCase names).
    pub fn from_fields(get: impl Fn(&str) -> Option<String>) -> Self {
        Settings {
            client_id: get("clientId").unwrap_or_else(|| "demo".into()),
            proxy_url: get("proxyUrl")
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_owned(),
            title: get("title"),
            accent_color: get("accentColor").filter(|c| is_hex_color(c)),
            position_left: get("position").map(|p| p.eq_ignore_ascii_case("left")),
            lang: get("lang").filter(|l| {
                l.len() <= 35 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            }),
            theme: match get("theme").as_deref() {
                Some("light") => Some("light"),
                Some("dark") => Some("dark"),
                _ => None,
            },
            offset_x: get("offsetX").and_then(|v| pixels(&v)),
            offset_y: get("offsetY").and_then(|v| pixels(&v)),
            open_on_load: get("open").is_some_and(|v| v == "true" || v.is_empty()),
            stt_lang: get("sttLang"),
            voice: get("voice"),
            tts: crate::speech::TtsOptions::from_fields(&get),
            conversation_timeout_secs: get("conversationTimeout")
                .and_then(|v| v.trim().parse::<u8>().ok())
                .map_or(8, |s| s.clamp(1, 60)),
        }
    }
}

/// A distance in whole pixels, `"24"` or `"24px"`, 0 to 500, as CSS; anything else is ignored
/// (so no other CSS can be injected through it). Integers only: a float parser is kilobytes.
pub fn pixels(s: &str) -> Option<String> {
    let n: u16 = s.strip_suffix("px").unwrap_or(s).trim().parse().ok()?;
    (n <= 500).then(|| format!("{n}px"))
}

/// `#rgb` or `#rrggbb`: the only colours accepted from a data attribute or the server, so no
/// other CSS can be injected through them.
pub fn is_hex_color(s: &str) -> bool {
    let hex = s.strip_prefix('#').unwrap_or("");
    matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit())
}

/// The text colour for an accent background: white or near-black, whichever contrasts more
/// (WCAG relative luminance), so any site colour keeps AA contrast for titles and buttons.
pub fn text_on(accent: &str) -> &'static str {
    let hex = accent.trim_start_matches('#');
    let channel = |i: usize| {
        let v = if hex.len() == 3 {
            u8::from_str_radix(&hex[i..=i], 16).map(|v| v * 17)
        } else {
            u8::from_str_radix(hex.get(i * 2..i * 2 + 2).unwrap_or("00"), 16)
        }
        .unwrap_or(0);
        // Gamma 2 instead of the exact sRGB curve: close enough to pick the better side (near
        // the crossover both give about 4.5:1), and it keeps `powf` (2 KB of libm) out.
        let c = f32::from(v) / 255.0;
        c * c
    };
    let l = 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
    // #111827 has a luminance of about 0.0116.
    let with_white = 1.05 / (l + 0.05);
    let with_dark = (l + 0.05) / (0.0116 + 0.05);
    if with_white >= with_dark {
        "#fff"
    } else {
        "#111827"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_default_to_the_demo_client_and_strip_the_trailing_slash() {
        let s = Settings::from_fields(|k| match k {
            "proxyUrl" => Some("http://127.0.0.1:8080/".into()),
            _ => None,
        });
        assert_eq!(s.client_id, "demo");
        assert_eq!(s.proxy_url, "http://127.0.0.1:8080");
        assert!(!s.open_on_load);
        assert_eq!((s.position_left, s.lang, s.theme), (None, None, None));
    }

    #[test]
    fn language_position_and_theme_come_from_the_tag_when_well_formed() {
        let s = Settings::from_fields(|k| match k {
            "lang" => Some("ar".into()),
            "position" => Some("right".into()),
            "theme" => Some("dark".into()),
            _ => None,
        });
        assert_eq!(
            (s.position_left, s.lang.as_deref(), s.theme),
            (Some(false), Some("ar"), Some("dark"))
        );
        let s = Settings::from_fields(|k| match k {
            "lang" => Some("ar\" onload=x".into()),
            "theme" => Some("neon".into()),
            _ => None,
        });
        assert_eq!((s.lang, s.theme), (None, None));
    }

    #[test]
    fn offsets_are_plain_pixel_distances() {
        assert_eq!(pixels("24"), Some("24px".into()));
        assert_eq!(pixels("96px"), Some("96px".into()));
        assert_eq!(pixels("7.5px"), None);
        assert_eq!(pixels("501"), None);
        assert_eq!(pixels("-4"), None);
        assert_eq!(pixels("10px;color:red"), None);
        assert_eq!(pixels("NaN"), None);
    }

    #[test]
    fn only_hex_colours_are_accepted() {
        assert!(is_hex_color("#1d4ed8"));
        assert!(is_hex_color("#abc"));
        assert!(!is_hex_color("red;background:url(x)"));
        assert!(!is_hex_color("#12345g"));
    }

    #[test]
    fn text_on_an_accent_keeps_contrast() {
        assert_eq!(text_on("#1d4ed8"), "#fff");
        assert_eq!(text_on("#7c3aed"), "#fff");
        assert_eq!(text_on("#fbbf24"), "#111827");
        assert_eq!(text_on("#fff"), "#111827");
        assert_eq!(text_on("#000"), "#fff");
    }
}
