//! The UI state the components share through context: whether the panel is open, what the
//! header shows, the microphone and its recogniser (and conversation mode, in
//! [`super::conversation`]), and the chat store.

use std::rc::Rc;

use leptos::prelude::*;

use super::Chat;
use crate::api::InfoError;
use crate::browser::speech_recognition::{Heard, Recognizer};
use crate::i18n::{T, is_rtl};
use crate::settings::Settings;

/// UI state shared by the components. `Copy`: every field is an arena-allocated signal.
#[derive(Clone, Copy)]
pub struct UiState {
    pub settings: StoredValue<Settings>,
    pub open: RwSignal<bool>,
    pub title: RwSignal<String>,
    pub greeting: RwSignal<String>,
    pub accent: RwSignal<String>,
    pub demo_mode: RwSignal<bool>,
    /// A note shown in the log (the proxy could not be reached, an unsupported feature).
    pub notice: RwSignal<Option<String>>,
    pub chat: Chat,
    pub mic: RwSignal<Mic>,
    /// Phone-sized screen: the open panel covers the page and is modal.
    pub narrow: RwSignal<bool>,
    /// The interface language is written right to left: the panel mirrors.
    pub rtl: RwSignal<bool>,
    /// What was in the message box when listening started: dictation is added after it.
    typed: StoredValue<String>,
    recognizer: StoredValue<Option<Rc<Recognizer>>, LocalStorage>,
    /// Conversation mode: the microphone reopens by itself after each spoken reply.
    pub conversation: RwSignal<bool>,
    pub(super) talk: StoredValue<super::conversation::Talk, LocalStorage>,
}

/// The microphone button's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mic {
    Ready,
    Listening,
    /// The browser has no speech recognition.
    Unsupported,
    /// The visitor (or the browser's policy) refused the microphone.
    Denied,
}

impl Mic {
    /// Why the button is disabled, in words a visitor can act on.
    pub fn explanation(self) -> Option<T> {
        match self {
            Mic::Unsupported => Some(T::MicUnsupported),
            Mic::Denied => Some(T::MicBlocked),
            _ => None,
        }
    }
}

impl UiState {
    pub fn new(settings: Settings) -> Self {
        let title = settings.title.clone().unwrap_or_else(|| "Chat".into());
        let accent = settings
            .accent_color
            .clone()
            .unwrap_or_else(|| "#1d4ed8".into());
        let open = settings.open_on_load;
        let chat = Chat::new(
            settings.client_id.clone(),
            settings.proxy_url.clone(),
            settings.tts.clone(),
        );
        if let Some(v) = settings.voice.clone() {
            chat.choose_voice(v);
        }
        let mic = if Recognizer::is_supported() {
            Mic::Ready
        } else {
            Mic::Unsupported
        };
        let rtl = is_rtl(&first_guess(&settings));
        Self {
            settings: StoredValue::new(settings),
            open: RwSignal::new(open),
            title: RwSignal::new(title),
            greeting: RwSignal::new("Hi! How can I help you today?".into()),
            accent: RwSignal::new(accent),
            demo_mode: RwSignal::new(false),
            notice: RwSignal::new(None),
            chat,
            mic: RwSignal::new(mic),
            narrow: RwSignal::new(false),
            // A first guess from the tag and the page, so the launcher does not jump sides
            // when the proxy confirms the language.
            rtl: RwSignal::new(rtl),
            typed: StoredValue::new(String::new()),
            recognizer: StoredValue::new_local(None),
            conversation: RwSignal::new(super::persist::load_pref("conversation")),
            talk: StoredValue::new_local(super::conversation::Talk::default()),
        }
    }

    /// The recognition language: `data-stt-lang`, else the client's `stt_language` (the
    /// site's, or the interface language's), else the page's `<html lang>`.
    fn stt_lang(&self) -> String {
        self.settings
            .with_value(|s| s.stt_lang.clone())
            .or_else(|| self.chat.stt_language.get_value())
            .or_else(page_lang)
            .unwrap_or_else(|| "en-US".into())
    }

    /// Whether the launcher sits on the left: `data-position`, else the side a reader of the
    /// interface language starts from (left for right-to-left scripts). The one place that
    /// decides it.
    pub fn launcher_left(&self) -> bool {
        self.settings
            .with_value(|s| s.position_left)
            .unwrap_or_else(|| self.rtl.get())
    }

    /// The `dir` attribute of the app and the panel: one closure type for both.
    pub fn dir(self) -> impl Fn() -> &'static str + Copy + 'static {
        move || if self.rtl.get() { "rtl" } else { "ltr" }
    }

    /// The microphone button: starts listening (silencing any reply: barge-in) or stops.
    pub fn toggle_mic(&self) {
        match self.mic.get_untracked() {
            Mic::Listening => {
                self.recognizer.with_value(|r| {
                    if let Some(r) = r {
                        r.stop();
                    }
                });
                return;
            }
            // The line under the message box already says why.
            Mic::Unsupported => return,
            // Refused before: the visitor may have allowed it since, so ask again.
            Mic::Ready | Mic::Denied => {}
        }
        // Inside the press: the reply's audio may then start without a tap.
        self.chat.voice.prepare();
        self.listen();
    }

    /// Starts listening (silencing any reply: barge-in).
    pub(super) fn listen(&self) {
        let ui = *self;
        self.typed
            .set_value(self.chat.draft.get_untracked().trim_end().to_owned());
        self.chat.voice.stop();
        let lang = self.stt_lang();
        let Some(rec) = Recognizer::new(&lang, move |heard| ui.heard(heard)) else {
            self.mic.set(Mic::Unsupported);
            return;
        };
        let rec = Rc::new(rec);
        // Replacing the old recogniser unregisters its handlers.
        self.recognizer.set_value(Some(rec.clone()));
        if rec.start().is_ok() {
            self.mic.set(Mic::Listening);
            self.notice.set(None);
            self.listening_started();
        } else {
            self.notice.set(Some(self.chat.t(T::MicFailed)));
        }
    }

    /// Stops listening without sending what was heard.
    pub(super) fn cancel_listening(&self) {
        self.recognizer.set_value(None);
        if self.mic.get_untracked() == Mic::Listening {
            self.mic.set(Mic::Ready);
        }
    }

    fn heard(&self, heard: Heard) {
        let seen = heard.clone();
        self.heard_plain(heard);
        self.heard_in_conversation(&seen);
    }

    fn heard_plain(&self, heard: Heard) {
        let chat = self.chat;
        let after_typed = |heard: String| {
            self.typed.with_value(|typed| match typed.as_str() {
                "" => heard,
                typed => format!("{typed} {heard}"),
            })
        };
        match heard {
            Heard::Interim(text) => chat.draft.set(after_typed(text)),
            Heard::Final(text) => {
                self.mic.set(Mic::Ready);
                let text = after_typed(text);
                chat.draft.set(text.clone());
                if !chat.busy.get_untracked() {
                    chat.send(text);
                }
            }
            Heard::Error(e) => {
                let (mic, note) = match e.as_str() {
                    // Said by the line under the message box.
                    "not-allowed" | "service-not-allowed" => (Mic::Denied, None),
                    "no-speech" => (Mic::Ready, Some(T::NoSpeech)),
                    "audio-capture" => (Mic::Ready, Some(T::NoMic)),
                    "network" => (Mic::Ready, Some(T::MicNetwork)),
                    _ => (Mic::Ready, None),
                };
                self.mic.set(mic);
                if let Some(n) = note {
                    self.notice.set(Some(self.chat.t(n)));
                }
            }
            Heard::End => {
                if self.mic.get_untracked() == Mic::Listening {
                    self.mic.set(Mic::Ready);
                }
            }
        }
    }

    /// Fetches the site's public settings and applies them; `data-*` overrides from the tag win.
    pub fn load_client_info(&self) {
        let ui = *self;
        let (proxy_url, client_id) = self
            .settings
            .with_value(|s| (s.proxy_url.clone(), s.client_id.clone()));
        let kept = super::persist::load_session(&client_id);
        let lang = self
            .settings
            .with_value(|s| s.lang.clone())
            .unwrap_or_default();
        let prefer = page_lang()
            .into_iter()
            .chain(crate::browser::page::languages())
            .collect::<Vec<_>>()
            .join(",");
        leptos::task::spawn_local(async move {
            match crate::api::client_info(&proxy_url, &client_id, kept.as_deref(), &lang, &prefer)
                .await
            {
                Ok(info) => ui.apply(info),
                Err(e) => {
                    let text = match e {
                        InfoError::Said(m) => m,
                        InfoError::Unreachable => ui.chat.t(T::Unreachable),
                        InfoError::Status(n) => ui.chat.fill(T::StatusError, "{n}", &n.to_string()),
                        InfoError::Malformed => ui.chat.t(T::Malformed),
                    };
                    crate::browser::log::error(&("[widget] ".to_owned() + &text));
                    ui.notice.set(Some(text));
                }
            }
        });
    }

    fn apply(&self, info: crate::api::ClientInfo) {
        let chat = self.chat;
        if let Some(lang) = info.language {
            chat.text.set_value(info.strings);
            self.rtl.set(is_rtl(&lang));
            // The browser voice speaks it too, unless the tag says `data-tts-lang`.
            if let Some(tag) = info.stt_language.as_deref() {
                chat.voice.follow_language(tag);
            }
            chat.lang.set(lang);
        }
        chat.set_session_token(info.session_token);
        chat.stt_language.set_value(info.stt_language);
        chat.server_voice.set_value(info.server_voice);
        chat.max_images.set_value(u64::from(info.max_images));
        chat.max_image_bytes.set_value(info.max_image_bytes);
        chat.images_allowed
            .set(info.images && info.max_images > 0 && info.max_image_bytes > 0);
        chat.audio_pieces.set_value(info.audio_pieces);
        chat.set_voices(info.voices);
        let (own_title, own_accent) = self
            .settings
            .with_value(|s| (s.title.is_some(), s.accent_color.is_some()));
        if let Some(t) = info.title.filter(|_| !own_title) {
            self.title.set(t);
        }
        if let Some(g) = info.greeting {
            self.greeting.set(g);
        }
        if let Some(c) = info.accent_color.filter(|_| !own_accent) {
            self.accent.set(c);
        }
        self.demo_mode.set(info.demo_mode);
    }

    pub fn set_open(&self, open: bool) {
        if !open {
            self.end_conversation(None);
        }
        if self.open.get_untracked() != open {
            self.open.set(open);
            crate::browser::events::dispatch(if open { "opened" } else { "closed" }, None);
        }
    }

    /// `window.GrokWidget.send(text)` from the host page.
    pub fn send_from_host(&self, text: String) {
        self.set_open(true);
        if self.chat.busy.get_untracked() {
            // A reply is arriving: keep the text in the box rather than drop it.
            self.chat.draft.set(text);
        } else {
            self.chat.send(text);
        }
    }
}

/// The page's `<html lang>`, when it has one.
fn page_lang() -> Option<String> {
    let lang = document().document_element()?.get_attribute("lang")?;
    (!lang.trim().is_empty()).then_some(lang)
}

/// The language the interface will likely be in, before the proxy says: `data-lang`, else the
/// page's (the site's configured language is only known to the proxy).
fn first_guess(settings: &Settings) -> String {
    settings.lang.clone().or_else(page_lang).unwrap_or_default()
}
