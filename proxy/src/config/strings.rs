//! The widget's interface words: the built-in catalogues (`proxy/strings/<lang>.json`), a
//! site's `[clients.strings.<lang>]` overrides and added languages, and which language a page
//! gets. The widget carries English only; every other language reaches it inside
//! `GET /api/clients/{id}`, so the bundle does not grow with each language.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use protocol::STRING_KEYS;

/// The languages built in, with their catalogues. Keys are [`STRING_KEYS`] plus `title` and
/// `greeting` (the defaults of the site's own `title` and `greeting`).
pub const BUILT_IN: [(&str, &str); 12] = [
    ("en", include_str!("../../strings/en.json")),
    ("fr", include_str!("../../strings/fr.json")),
    ("de", include_str!("../../strings/de.json")),
    ("es", include_str!("../../strings/es.json")),
    ("pt", include_str!("../../strings/pt.json")),
    ("it", include_str!("../../strings/it.json")),
    ("nl", include_str!("../../strings/nl.json")),
    ("pl", include_str!("../../strings/pl.json")),
    ("ja", include_str!("../../strings/ja.json")),
    ("zh", include_str!("../../strings/zh.json")),
    ("ar", include_str!("../../strings/ar.json")),
    ("he", include_str!("../../strings/he.json")),
];

/// The two keys that are not widget strings: defaults of the client's `title` and `greeting`.
const SITE_KEYS: [&str; 2] = ["title", "greeting"];

/// Speech recognition's region when the page names only the language (`fr`, not `fr-CA`).
/// English keeps the previous default, `en-US`.
const SPEECH_REGION: [(&str, &str); 12] = [
    ("en", "en-US"),
    ("fr", "fr-FR"),
    ("de", "de-DE"),
    ("es", "es-ES"),
    ("pt", "pt-BR"),
    ("it", "it-IT"),
    ("nl", "nl-NL"),
    ("pl", "pl-PL"),
    ("ja", "ja-JP"),
    ("zh", "zh-CN"),
    ("ar", "ar-SA"),
    ("he", "he-IL"),
];

type Table = BTreeMap<String, String>;

/// The built-in catalogues, parsed once. The proxy's tests check every one parses and has
/// every key with the English placeholders, so `expect` cannot fire in a released build.
static TABLES: LazyLock<Vec<(&'static str, Table)>> = LazyLock::new(|| {
    BUILT_IN
        .iter()
        .map(|(lang, json)| {
            let table: Table = serde_json::from_str(json).expect("built-in catalogue is JSON");
            (*lang, table)
        })
        .collect()
});

fn built_in(lang: &str) -> Option<&'static Table> {
    TABLES.iter().find(|(l, _)| *l == lang).map(|(_, t)| t)
}

/// `{n}`, `{max}`…: what the widget fills in. An override must keep the English ones.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = text
        .match_indices('{')
        .filter_map(|(i, _)| {
            let end = text[i..].find('}')?;
            Some(&text[i..=i + end])
        })
        .collect();
    out.sort_unstable();
    out
}

/// One language's words for one site, ready to send.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub title: String,
    pub greeting: String,
    /// In [`STRING_KEYS`] order, `""` where the widget's English stands; empty when all are.
    pub strings: Arc<Vec<String>>,
}

/// The languages one site's widget can speak (lowercase tags), and its configured default.
#[derive(Debug, Clone)]
pub struct SiteStrings {
    langs: BTreeMap<String, Catalogue>,
    default: Option<String>,
}

/// What [`SiteStrings::choose`] picked for a page.
#[derive(Debug)]
pub struct Chosen<'a> {
    /// The catalogue's tag, e.g. `fr`, `pt-br`.
    pub language: &'a str,
    pub catalogue: &'a Catalogue,
    /// Speech recognition's tag: the page's own when it names this language with a region
    /// (`fr-CA`), else the language's usual one (`fr-FR`).
    pub speech: String,
}

/// A BCP-47-looking tag: letters, digits and `-`, 1 to 35 characters.
pub fn is_language_tag(tag: &str) -> bool {
    !tag.is_empty() && tag.len() <= 35 && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

impl SiteStrings {
    /// The built-in catalogues with the site's `title`, `greeting` (when set, they win in every
    /// language), `language` and `[clients.strings.<lang>]` overrides; a language that is not
    /// built in is added (its missing words are English).
    pub fn build(
        title: Option<&str>,
        greeting: Option<&str>,
        default: Option<String>,
        overrides: BTreeMap<String, Table>,
    ) -> Result<Self, String> {
        let english = built_in("en").ok_or("the English catalogue is missing")?;
        let mut wanted: BTreeMap<String, Table> = BUILT_IN
            .iter()
            .map(|(l, _)| ((*l).to_owned(), Table::new()))
            .collect();
        for (lang, table) in overrides {
            if !is_language_tag(&lang) {
                return Err(format!(
                    "strings.\"{}\" is not a language tag like fr or pt-BR",
                    lang.escape_debug()
                ));
            }
            for (key, text) in &table {
                let Some(en) = english.get(key) else {
                    return Err(format!(
                        "strings.{lang}: unknown key \"{}\" (the keys are listed in docs/embedding.md)",
                        key.escape_debug()
                    ));
                };
                if placeholders(text) != placeholders(en) {
                    return Err(format!(
                        "strings.{lang}.{key} must contain {:?}, as the English \"{en}\" does",
                        placeholders(en)
                    ));
                }
            }
            wanted
                .entry(lang.to_ascii_lowercase())
                .or_default()
                .extend(table);
        }
        let default = match default {
            Some(d) if !is_language_tag(&d) => {
                return Err(format!(
                    "language \"{}\" is not a language tag like fr or pt-BR",
                    d.escape_debug()
                ));
            }
            Some(d) if !wanted.contains_key(&d.to_ascii_lowercase()) => {
                return Err(format!(
                    "language \"{d}\" has no catalogue: built in are {}; add others with \
                     [clients.strings.{d}]",
                    BUILT_IN.map(|(l, _)| l).join(", ")
                ));
            }
            d => d.map(|d| d.to_ascii_lowercase()),
        };
        let langs = wanted
            .into_iter()
            .map(|(lang, own)| {
                // English words need not be sent: the widget has them.
                let base = built_in(&lang).filter(|_| lang != "en");
                let word = |key: &str| {
                    own.get(key)
                        .or_else(|| base.and_then(|b| b.get(key)))
                        .cloned()
                };
                let site = |key: &str, set: Option<&str>| {
                    set.map(str::to_owned)
                        .or_else(|| word(key))
                        .or_else(|| english.get(key).cloned())
                        .unwrap_or_default()
                };
                let strings: Vec<String> = STRING_KEYS
                    .iter()
                    .map(|k| word(k).unwrap_or_default())
                    .collect();
                let strings = if strings.iter().all(String::is_empty) {
                    Vec::new()
                } else {
                    strings
                };
                let catalogue = Catalogue {
                    title: site(SITE_KEYS[0], title),
                    greeting: site(SITE_KEYS[1], greeting),
                    strings: Arc::new(strings),
                };
                (lang, catalogue)
            })
            .collect();
        Ok(Self { langs, default })
    }

    /// The first of: `explicit` (`data-lang`), the site's `language`, then each of `preferred`
    /// (the page's `<html lang>`, then the browser's languages) that has a catalogue, matched
    /// whole (`pt-br`) or by its language (`fr-CA` → `fr`); else English.
    pub fn choose<'a>(&self, explicit: Option<&'a str>, preferred: &'a str) -> Chosen<'_> {
        let candidates = explicit
            .into_iter()
            .chain(self.default.as_deref())
            .chain(preferred.split(','))
            .map(str::trim)
            .filter(|t| is_language_tag(t));
        for tag in candidates {
            let lower = tag.to_ascii_lowercase();
            let primary = lower.split('-').next().unwrap_or("");
            let found = self
                .langs
                .get_key_value(&lower)
                .or_else(|| self.langs.get_key_value(primary));
            if let Some((language, catalogue)) = found {
                let speech = if lower.contains('-') && language.split('-').next() == Some(primary) {
                    tag.to_owned()
                } else {
                    speech_tag(language)
                };
                return Chosen {
                    language,
                    catalogue,
                    speech,
                };
            }
        }
        let (language, catalogue) = self
            .langs
            .get_key_value("en")
            .expect("English is always built in");
        Chosen {
            language,
            catalogue,
            speech: speech_tag(language),
        }
    }
}

/// `fr` → `fr-FR`; a language that is not built in, or already has a region, is kept.
pub fn speech_tag(language: &str) -> String {
    SPEECH_REGION
        .iter()
        .find(|(l, _)| *l == language)
        .map_or_else(|| language.to_owned(), |(_, t)| (*t).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(overrides: &str) -> Result<SiteStrings, String> {
        let o: BTreeMap<String, Table> = toml::from_str(overrides).unwrap();
        SiteStrings::build(None, None, None, o)
    }

    #[test]
    fn every_built_in_catalogue_has_every_key_with_the_english_placeholders() {
        let en = built_in("en").unwrap();
        assert_eq!(en.len(), STRING_KEYS.len() + SITE_KEYS.len());
        for key in STRING_KEYS.iter().chain(&SITE_KEYS) {
            assert!(en.contains_key(*key), "en lacks {key}");
        }
        for (lang, table) in TABLES.iter() {
            assert_eq!(table.len(), en.len(), "{lang} has other keys than en");
            for (key, text) in en {
                let t = table
                    .get(key)
                    .unwrap_or_else(|| panic!("{lang} lacks {key}"));
                assert!(!t.trim().is_empty(), "{lang}.{key} is blank");
                assert_eq!(placeholders(t), placeholders(text), "{lang}.{key}");
            }
        }
    }

    #[test]
    fn the_page_language_is_matched_whole_or_by_its_language() {
        let s = site("").unwrap();
        let c = s.choose(None, "fr-CA");
        assert_eq!((c.language, c.speech.as_str()), ("fr", "fr-CA"));
        assert_eq!(c.catalogue.strings[0], "Ouvrir le chat");
        assert_eq!(c.catalogue.title, "Discutez avec nous");
        // Unknown languages are skipped: the browser's next one counts.
        let c = s.choose(None, "ko, ja-JP, en");
        assert_eq!((c.language, c.speech.as_str()), ("ja", "ja-JP"));
        let c = s.choose(Some("ar"), "fr");
        assert_eq!((c.language, c.speech.as_str()), ("ar", "ar-SA"));
        let c = s.choose(Some("x;y"), "");
        assert_eq!((c.language, c.speech.as_str()), ("en", "en-US"));
        // English without overrides sends nothing: the widget has its own.
        assert!(c.catalogue.strings.is_empty());
        assert_eq!(c.catalogue.greeting, "Hi! How can I help you today?");
    }

    #[test]
    fn the_site_language_comes_after_data_lang_and_before_the_page() {
        let s = SiteStrings::build(None, None, Some("de".into()), BTreeMap::new()).unwrap();
        assert_eq!(s.choose(None, "fr").language, "de");
        assert_eq!(s.choose(Some("it"), "fr").language, "it");
        let err = SiteStrings::build(None, None, Some("ko".into()), BTreeMap::new()).unwrap_err();
        assert!(err.contains("[clients.strings.ko]"), "{err}");
    }

    #[test]
    fn overrides_replace_words_and_can_add_a_language() {
        let s = site("[fr]\nopen_chat = \"Parler à un conseiller\"\n[en]\nsend = \"Go\"\n[sv]\nsend = \"Skicka\"\ntitle = \"Hej\"").unwrap();
        let fr = s.choose(None, "fr").catalogue;
        assert_eq!(fr.strings[0], "Parler à un conseiller");
        assert_eq!(fr.strings[1], "Fermer le chat");
        let en = s.choose(None, "en").catalogue;
        let send = STRING_KEYS.iter().position(|k| *k == "send").unwrap();
        assert_eq!(en.strings[send], "Go");
        assert_eq!(en.strings[0], "", "the rest stays the widget's English");
        let sv = s.choose(None, "sv-SE");
        assert_eq!((sv.language, sv.speech.as_str()), ("sv", "sv-SE"));
        assert_eq!(sv.catalogue.strings[send], "Skicka");
        assert_eq!(sv.catalogue.title, "Hej");
        assert_eq!(sv.catalogue.greeting, "Hi! How can I help you today?");
    }

    #[test]
    fn a_configured_title_wins_in_every_language() {
        let s = SiteStrings::build(Some("Acme"), None, None, BTreeMap::new()).unwrap();
        assert_eq!(s.choose(None, "ja").catalogue.title, "Acme");
        assert_eq!(
            s.choose(None, "ja").catalogue.greeting,
            "こんにちは！今日はどのようなご用件でしょうか？"
        );
    }

    #[test]
    fn bad_overrides_say_what_is_wrong() {
        let e = site("[fr]\nopen_caht = \"x\"").unwrap_err();
        assert!(e.contains("unknown key \"open_caht\""), "{e}");
        let e = site("[fr]\nseconds = \"secondes\"").unwrap_err();
        assert!(e.contains("{n}"), "{e}");
        let e = site("[\"f r\"]\nsend = \"x\"").unwrap_err();
        assert!(e.contains("not a language tag"), "{e}");
    }
}
