//! The interface's words. English is built in; every other language (and a site's own words)
//! comes from the proxy with the site's settings (`ClientInfo.strings`, in
//! [`protocol::STRING_KEYS`] order), so the bundle carries one language only. Pure.

/// Declares the keys and their English words in one list, in `STRING_KEYS` order.
macro_rules! catalogue {
    ($($name:ident = $key:literal => $en:literal,)*) => {
        /// One of the interface's words.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum T { $($name,)* }
        /// The English words, by [`T`].
        pub const EN: [&str; [$($key,)*].len()] = [$($en,)*];
        /// The keys, to check them against the proxy's (tests only: not in the bundle).
        #[cfg(test)]
        const KEYS: [&str; EN.len()] = [$($key,)*];
    };
}

catalogue! {
    OpenChat = "open_chat" => "Open chat",
    CloseChat = "close_chat" => "Close chat",
    NewConversation = "new_conversation" => "New conversation",
    Mute = "mute" => "Mute replies",
    Unmute = "unmute" => "Unmute replies",
    Demo = "demo" => "Demo",
    DemoNote = "demo_note" => "Answers come from the offline fake x.ai, not Grok",
    TapForSound = "tap_for_sound" => "Tap to enable sound",
    Message = "message" => "Message",
    Placeholder = "placeholder" => "Type a message…",
    Listening = "listening" => "Listening…",
    ConversationMode = "conversation_mode" => "Conversation mode",
    ConversationHint = "conversation_hint" => "Hands-free: the microphone reopens after each reply",
    VoiceInput = "voice_input" => "Voice input",
    StopListening = "stop_listening" => "Stop listening",
    Speak = "speak" => "Speak your message",
    Send = "send" => "Send",
    Stop = "stop" => "Stop generating",
    Queued = "queued" => "Will send after this reply: ",
    FinePrint = "fine_print" => "AI assistant · answers may be wrong",
    Cleared = "cleared" => "Conversation cleared.",
    Undo = "undo" => "Undo",
    Retry = "retry" => "Retry",
    Stopped = "stopped" => "Stopped",
    Incomplete = "incomplete" => "Incomplete reply",
    Interrupted = "interrupted" => "Interrupted",
    NotSent = "not_sent" => "Not sent",
    Writing = "writing" => "Writing a reply…",
    MicUnsupported = "mic_unsupported" => "Voice input isn't supported in this browser. Please type your message.",
    MicBlocked = "mic_blocked" => "Microphone access is blocked. Allow it in your browser's site settings and press the microphone again, or type your message.",
    MicFailed = "mic_failed" => "Voice input could not start. Please try again.",
    NoSpeech = "no_speech" => "I didn't hear anything. Press the microphone and speak, or type.",
    NoMic = "no_mic" => "No microphone was found. Connect one, or type your message.",
    MicNetwork = "mic_network" => "Voice input needs a network connection. Please type your message.",
    ConversationOff = "conversation_off" => "Conversation mode is off: nothing was heard. Press the microphone to talk again.",
    LeftPage = "left_page" => "The page was left while this reply was arriving. You can retry.",
    TooLong = "too_long" => "This message is too long to send: {n} characters, the limit is {max}. Please shorten it.",
    Offline = "offline" => "The chat service can't be reached. Check your connection and try again.",
    RateWait = "rate_wait" => "Too many messages right now. Please try again in {time}.",
    RateLimited = "rate_limited" => "Too many messages right now. Please wait a moment and try again.",
    Budget = "budget" => "This chat has reached its limit for now. Please try again later.",
    ServerError = "server_error" => "The chat service is having trouble (error {n}). Please try again in a moment.",
    SendError = "send_error" => "The message could not be sent (error {n}).",
    CutOff = "cut_off" => "The reply was cut off. You can retry.",
    Failed = "failed" => "Something went wrong while answering. Please try again.",
    Second = "second" => "1 second",
    Seconds = "seconds" => "{n} seconds",
    Minutes = "minutes" => "{n} minutes",
    Attach = "attach" => "Attach image",
    Attached = "attached" => "Attached images",
    Preparing = "preparing" => "Preparing the image…",
    NotAnImage = "not_an_image" => "Only PNG, JPEG, WebP or GIF images can be attached.",
    Unreadable = "unreadable" => "This image could not be read. Please try another one.",
    TooLarge = "too_large" => "This image is too large to send, even made smaller.",
    DropImage = "drop_image" => "Drop an image to attach it",
    SentImage = "sent_image" => "Image you sent",
    ImageNotKept = "image_not_kept" => "Image (not kept)",
    OneImage = "one_image" => "You can attach one image to a message.",
    ImagesMax = "images_max" => "You can attach up to {n} images to a message.",
    AttachedN = "attached_n" => "Attached image {i} of {n}",
    RemoveN = "remove_n" => "Remove image {i}",
    Unreachable = "unreachable" => "The chat service cannot be reached right now.",
    StatusError = "status_error" => "The chat service answered with error {n}.",
    Malformed = "malformed" => "The chat service sent an unexpected answer.",
    CopyCode = "copy_code" => "Copy code",
    Copied = "copied" => "Copied",
    CopyFailed = "copy_failed" => "Copy failed",
    ScrollTable = "scroll_table" => "Scrollable table",
}

/// The word for `key` in `strings` (the proxy's list), or the English one where the list has
/// none or is of another version (another length).
pub fn word(strings: &[String], key: T) -> &str {
    let i = key as usize;
    match strings.get(i) {
        Some(s) if strings.len() == EN.len() && !s.is_empty() => s,
        _ => EN[i],
    }
}

/// Scripts written right to left, by language subtag.
const RTL: [&str; 10] = ["ar", "he", "fa", "ur", "ps", "yi", "dv", "ckb", "sd", "ug"];

/// Whether `lang` (a BCP-47 tag: `ar`, `he-IL`) is written right to left.
pub fn is_rtl(lang: &str) -> bool {
    let primary = lang.split(['-', '_']).next().unwrap_or("");
    RTL.iter().any(|r| primary.eq_ignore_ascii_case(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_are_the_proxy_s_in_the_same_order() {
        assert_eq!(KEYS, protocol::STRING_KEYS);
    }

    #[test]
    fn the_english_words_are_the_proxy_s_english_catalogue() {
        let en: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(include_str!("../../proxy/strings/en.json")).unwrap();
        for (key, text) in KEYS.iter().zip(EN) {
            assert_eq!(en[*key], text, "{key}");
        }
    }

    #[test]
    fn missing_or_outdated_lists_fall_back_to_english() {
        let mut fr: Vec<String> = vec![String::new(); EN.len()];
        fr[T::Send as usize] = "Envoyer".into();
        assert_eq!(word(&fr, T::Send), "Envoyer");
        assert_eq!(word(&fr, T::OpenChat), "Open chat");
        assert_eq!(
            word(&fr[1..], T::Send),
            "Send",
            "a list of another length is ignored"
        );
        assert_eq!(word(&[], T::CloseChat), "Close chat");
    }

    #[test]
    fn arabic_and_hebrew_are_right_to_left() {
        assert!(is_rtl("ar"));
        assert!(is_rtl("he-IL"));
        assert!(is_rtl("FA"));
        assert!(!is_rtl("fr"));
        assert!(!is_rtl("hr"));
        assert!(!is_rtl(""));
    }
}
