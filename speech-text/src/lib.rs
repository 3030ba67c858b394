//! Splits streamed reply text into sentences as it arrives, so each can be spoken while the
//! rest is still being written; and turns markdown into text worth speaking. Pure, no
//! dependencies: the proxy (server speech) and the widget (browser voice) use this one copy,
//! so both read a reply the same way.

/// Sentences shorter than this are joined with the next one: a clip per "Yes." costs a round
/// trip and sounds choppy.
const MIN_SENTENCE_CHARS: usize = 12;
/// A run without any sentence end is cut at a comma or space past this length, so a long
/// list-like reply still starts speaking early.
const MAX_SENTENCE_CHARS: usize = 280;

/// The first segment of a reply may end at a clause (comma, semicolon, colon) once it is this
/// long: the voice starts as soon as a natural pause is reached instead of a full sentence.
const FIRST_CLAUSE_MIN_CHARS: usize = 24;
/// …or after this many words, whichever comes first: the first sound waits for a few words,
/// not for a whole sentence. Later segments stay sentences.
const FIRST_SEGMENT_WORDS: usize = 5;

/// Words whose trailing dot does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "vs", "etc", "e.g", "i.e", "eg", "ie", "no",
    "fig", "approx", "inc", "ltd", "co",
];

/// Incremental splitter: `push` deltas, get complete sentences back; `finish` returns the rest.
#[derive(Debug, Default)]
pub struct SentenceSplitter {
    buf: String,
    /// Segments handed out so far.
    emitted: usize,
    /// Inside a fenced code block (``` or ~~~): never spoken, never split.
    in_code: bool,
    /// The first segment may end after [`FIRST_SEGMENT_WORDS`] words.
    early: bool,
}

impl SentenceSplitter {
    pub fn new() -> Self {
        Self::default()
    }

    /// A splitter whose first segment also ends after about five words (never inside a number,
    /// an abbreviation or a link), so speech can start before the first sentence is complete;
    /// what the proxy's server speech and the widget's browser voice use.
    pub fn with_early_start() -> Self {
        Self {
            early: true,
            ..Self::default()
        }
    }

    /// Adds a delta; returns the sentences it completed, in order.
    pub fn push(&mut self, delta: &str) -> Vec<String> {
        self.buf.push_str(delta);
        let mut out = Vec::new();
        while let Some(end) = self.boundary() {
            let sentence: String = self.buf.drain(..end).collect();
            self.track_code(&sentence);
            let s = sentence.trim();
            if !s.is_empty() {
                self.emitted += 1;
                out.push(s.to_owned());
            }
        }
        out
    }

    /// The text after the last boundary: the segment still being written.
    pub fn pending(&self) -> &str {
        &self.buf
    }

    /// The text after the last boundary, once the reply is complete.
    pub fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.buf);
        let rest = rest.trim();
        (!rest.is_empty()).then(|| rest.to_owned())
    }

    fn track_code(&mut self, text: &str) {
        if (text.matches("```").count() + text.matches("~~~").count()) % 2 == 1 {
            self.in_code = !self.in_code;
        }
    }

    /// Byte index just past the first sentence boundary in the buffer, if one is certain.
    /// Decisions look at most a few characters ahead, so how the text was cut into deltas never
    /// changes the sentences.
    fn boundary(&self) -> Option<usize> {
        let b = &self.buf;
        let chars: Vec<(usize, char)> = b.char_indices().collect();
        let mut in_code = self.in_code;
        let mut fence_skip = 0;
        let mut words = FirstWords::default();
        for (i, &(pos, c)) in chars.iter().enumerate() {
            if i >= MAX_SENTENCE_CHARS {
                break;
            }
            if fence_skip > 0 {
                fence_skip -= 1;
                continue;
            }
            if b[pos..].starts_with("```") || b[pos..].starts_with("~~~") {
                in_code = !in_code;
                fence_skip = 2;
                continue;
            }
            if in_code {
                continue;
            }
            if self.early && self.emitted == 0 && words.step(pos, c) {
                match early_cut(b, &chars[i + 1..], words.start) {
                    Cut::Here => return Some(pos),
                    Cut::Wait => return None,
                    Cut::No => {}
                }
            }
            let next = chars.get(i + 1).map(|&(_, n)| n);
            // A paragraph break or list item ends a sentence.
            if c == '\n' {
                // The next delta may still belong to this line ending.
                next?;
                if b[..pos].trim().chars().count() >= MIN_SENTENCE_CHARS {
                    return Some(pos + 1);
                }
                continue;
            }
            if self.emitted == 0 && matches!(c, ',' | ';' | ':') {
                if next.is_some_and(char::is_whitespace)
                    && b[..pos].trim().chars().count() >= FIRST_CLAUSE_MIN_CHARS
                {
                    return Some(pos + 1);
                }
                continue;
            }
            let full_stop = is_full_stop(c);
            if full_stop || matches!(c, '.' | '!' | '?' | '…') {
                // Closing quotes and brackets belong to the sentence they close.
                let mut j = i + 1;
                while let Some(&(_, q)) = chars.get(j) {
                    if matches!(
                        q,
                        '"' | '\'' | ')' | ']' | '”' | '’' | '*' | '_' | '」' | '』' | '）'
                    ) {
                        j += 1;
                    } else {
                        break;
                    }
                }
                let Some(&(after_pos, after)) = chars.get(j) else {
                    return None; // the end of the buffer: the next delta decides
                };
                // Chinese and Japanese write no space after a sentence; their full stops
                // (and the Arabic question mark, the danda) never sit inside a number or a
                // name, so they end a sentence whatever follows.
                if full_stop {
                    // "本当？！": the last mark ends it. "「…来ます。」と言いました": a quote
                    // closed and the sentence goes on.
                    let quoted = j > i + 1 && !after.is_whitespace();
                    if quoted || is_full_stop(after) || matches!(after, '!' | '?') {
                        continue;
                    }
                } else if !after.is_whitespace() {
                    continue; // "3.14", "example.com", "?!"
                }
                if c == '.' && is_abbreviation(&b[..pos]) {
                    continue;
                }
                if b[..after_pos].trim().chars().count() < MIN_SENTENCE_CHARS {
                    continue;
                }
                return Some(after_pos);
            }
        }
        // No end within reach: cut a long run at its last comma or space, outside code.
        if !in_code && chars.len() > MAX_SENTENCE_CHARS + 8 {
            let cut_at = chars[MAX_SENTENCE_CHARS].0;
            let head = &b[..cut_at];
            let cut = head
                .rfind(", ")
                .map(|p| p + 2)
                .or_else(|| head.rfind(' ').map(|p| p + 1));
            return Some(cut.filter(|&c| c > 0).unwrap_or(cut_at));
        }
        None
    }
}

/// The words of the first segment so far, and whether the scan is inside brackets or inline
/// code (no cut there: a link's text and its URL stay together).
#[derive(Default)]
struct FirstWords {
    count: usize,
    in_word: bool,
    alnum: bool,
    /// Byte index where the current (or last) word starts.
    start: usize,
    depth: usize,
    ticks: usize,
}

impl FirstWords {
    /// Takes the character at `pos`; true when it ends the [`FIRST_SEGMENT_WORDS`]th word or a
    /// later one, outside brackets and code: a place the first segment may end.
    fn step(&mut self, pos: usize, c: char) -> bool {
        if c.is_whitespace() {
            let ended = std::mem::take(&mut self.in_word) && self.alnum;
            self.count += usize::from(ended);
            return ended
                && self.count >= FIRST_SEGMENT_WORDS
                && self.depth == 0
                && self.ticks.is_multiple_of(2);
        }
        if !self.in_word {
            self.in_word = true;
            self.alnum = false;
            self.start = pos;
        }
        self.alnum |= c.is_alphanumeric();
        match c {
            '[' | '(' => self.depth += 1,
            ']' | ')' => self.depth = self.depth.saturating_sub(1),
            '`' => self.ticks += 1,
            _ => {}
        }
        false
    }
}

enum Cut {
    Here,
    /// The next word has not arrived: the next delta decides.
    Wait,
    No,
}

/// Whether the first segment may end before `after` (the characters following the whitespace
/// that ended the word at `word_at`): never inside a number ("5 000", "10 am") or after an
/// abbreviation or initial ("Dr. Smith").
fn early_cut(text: &str, after: &[(usize, char)], word_at: usize) -> Cut {
    let Some(&(_, next)) = after.iter().find(|(_, c)| !c.is_whitespace()) else {
        return Cut::Wait;
    };
    let word = text[word_at..]
        .split(char::is_whitespace)
        .next()
        .unwrap_or("");
    let numeric = |c: char| c.is_ascii_digit();
    if word.chars().any(numeric) || numeric(next) {
        return Cut::No;
    }
    if let Some(stem) = word.strip_suffix('.')
        && is_abbreviation(&text[..word_at + stem.len()])
    {
        return Cut::No;
    }
    Cut::Here
}

/// Sentence ends of scripts that need no space after them: the CJK full stop, exclamation
/// and question marks (full width), the Arabic question mark, the Urdu full stop and the
/// Devanagari danda.
fn is_full_stop(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '؟' | '۔' | '।')
}

fn is_abbreviation(before_dot: &str) -> bool {
    let word = before_dot
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("")
        .trim_start_matches(['"', '\'']);
    // The list is ASCII, so ASCII lowercase is enough; `to_lowercase` would put Unicode's case
    // tables (kilobytes) into the widget's bundle.
    let lower = word.to_ascii_lowercase();
    // Single letters ("J. Smith", "U.S.") are initials, not sentence ends.
    ABBREVIATIONS.contains(&lower.as_str())
        || (word.chars().count() == 1 && word.chars().all(char::is_alphabetic))
}

/// Markdown → the words a voice should say: code blocks and URLs dropped, link text kept,
/// emphasis, quote and heading marks removed, struck-through text left out. Headings, list items
/// and table rows are read as sentences (a table's cells row by row, separated by commas; its
/// delimiter row is silent). Returns `None` when nothing is left to say.
pub fn speakable(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let line = trimmed.trim_start_matches(['>', ' ', '\t']);
        let (line, sentence) = block_marker(line);
        let row = line.starts_with('|');
        let start = out.len();
        strip_inline(line, &mut out);
        if row && out.ends_with(',') {
            out.pop();
        }
        // A rule, a table's delimiter row: nothing to say.
        if !out[start..].chars().any(char::is_alphanumeric) {
            out.truncate(start);
        } else if (sentence || row) && !out.ends_with(['.', '!', '?', ':', ';', '…', '。', '！', '？', '؟', '۔', '।']) {
            out.push('.');
        }
    }
    (!out.is_empty()).then_some(out)
}

/// A heading's `#`s, a list item's bullet and a task box removed; true if the line was a
/// heading or list item (it is then read as a sentence).
fn block_marker(line: &str) -> (&str, bool) {
    let hashes = line.bytes().take_while(|&b| b == b'#').count();
    if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
        return (line[hashes..].trim_start(), true);
    }
    if let Some(rest) = ["- ", "* ", "+ "].iter().find_map(|b| line.strip_prefix(b)) {
        let rest = rest.trim_start();
        let rest = ["[ ] ", "[x] ", "[X] "]
            .iter()
            .find_map(|t| rest.strip_prefix(t))
            .unwrap_or(rest);
        return (rest, true);
    }
    // A numbered item keeps its number: "1. Open the settings." is how a person says it.
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let numbered = (1..=9).contains(&digits) && line[digits..].starts_with(". ");
    (line, numbered)
}

/// Adds `line`'s words to `out` without inline markdown: `[text](url)` → text, bare URLs
/// dropped, `~~struck~~` text dropped, `*`, `_`, `` ` ``, `~` and escapes removed, a table's
/// `|` between cells → a comma.
fn strip_inline(line: &str, out: &mut String) {
    let start = out.len();
    let mut text = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find(['[', '~']) {
        // `![alt](src)`: the alt text is said, not the `!`.
        text.push_str(rest[..open].strip_suffix('!').unwrap_or(&rest[..open]));
        let after = &rest[open + 1..];
        if rest.as_bytes()[open] == b'~' {
            match after.strip_prefix('~') {
                Some(tail) => match tail.find("~~") {
                    Some(end) => rest = &tail[end + 2..],
                    None => {
                        text.push_str("~~");
                        rest = tail;
                    }
                },
                None => rest = after,
            }
            continue;
        }
        match after.find("](").and_then(|close| {
            after[close + 2..]
                .find(')')
                .map(|end| (close, close + 2 + end))
        }) {
            Some((close, end)) => {
                text.push_str(&after[..close]);
                rest = &after[end + 1..];
            }
            None => {
                text.push('[');
                rest = after;
            }
        }
    }
    text.push_str(rest);
    for word in text.split_whitespace() {
        // Marks first: `https:/**/x.ai` is a URL once its emphasis is gone.
        let word = word.replace(['*', '`', '~', '\\'], "");
        // Also inside brackets, quotes or emphasis: `(https://x.ai)`, `**https://x.ai**`.
        if word.contains("http://") || word.contains("https://") {
            continue;
        }
        // `_emphasis_` loses its marks; `snake_case` keeps its inner underscore.
        let word = word.trim_matches('_');
        if word == "|" {
            if out.len() > start && !out.ends_with(',') {
                out.push(',');
            }
        } else if !word.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The cases both voices once read differently (the widget had its own copy).
    #[test]
    fn speakable_reads_what_a_person_would_say() {
        let cases = [
            (
                "It is -5 degrees outside.",
                Some("It is -5 degrees outside."),
            ),
            // Headings and list items are read as sentences.
            ("- a list item", Some("a list item.")),
            ("## A heading", Some("A heading.")),
            (
                "## Steps\n- open the settings page",
                Some("Steps. open the settings page."),
            ),
            ("1. Open the settings", Some("1. Open the settings.")),
            ("- [x] Write the tests", Some("Write the tests.")),
            ("- Ends with a colon:", Some("Ends with a colon:")),
            ("> quoted text", Some("quoted text")),
            ("> > nested quote", Some("nested quote")),
            // A table: its cells row by row, the delimiter row silent.
            (
                "| Plan | Price |\n|:--|--:|\n| **Pro** | $15 |",
                Some("Plan, Price. Pro, $15."),
            ),
            ("---", None),
            ("~~~\nlet x = 1;\n~~~\nafter", Some("after")),
            ("~~$50~~ $40 today", Some("$40 today")),
            ("about ~5 minutes", Some("about 5 minutes")),
            (
                "![A cat](https://x.ai/cat.png) sleeping",
                Some("A cat sleeping"),
            ),
            ("\\*not emphasis\\*", Some("not emphasis")),
            (
                "Read [the docs](https://x.ai/docs) first.",
                Some("Read the docs first."),
            ),
            ("See (https://x.ai) now", Some("See now")),
            ("```\nlet x = 1;\n```", None),
            ("**bold** and _em_ and `code`", Some("bold and em and code")),
            ("snake_case stays", Some("snake_case stays")),
            // Found by the `sentences` fuzz target: emphasis inside a URL hid it.
            ("see [docs](https:/**/x.ai) now", Some("see docs now")),
            ("see https:/**/x.ai now", Some("see now")),
        ];
        for (text, want) in cases {
            assert_eq!(speakable(text).as_deref(), want, "{text:?}");
        }
    }

    fn split_all(text: &str, chunk: usize) -> Vec<String> {
        split_with(SentenceSplitter::new(), text, chunk)
    }

    fn split_early(text: &str, chunk: usize) -> Vec<String> {
        split_with(SentenceSplitter::with_early_start(), text, chunk)
    }

    fn split_with(mut s: SentenceSplitter, text: &str, chunk: usize) -> Vec<String> {
        let mut out = Vec::new();
        let chars: Vec<char> = text.chars().collect();
        for piece in chars.chunks(chunk.max(1)) {
            out.extend(s.push(&piece.iter().collect::<String>()));
        }
        out.extend(s.finish());
        out
    }

    #[test]
    fn sentences_come_out_as_soon_as_they_end() {
        let mut s = SentenceSplitter::new();
        assert!(s.push("Hello there, friend").is_empty());
        assert!(
            s.push(".").is_empty(),
            "the boundary needs the following space"
        );
        assert_eq!(s.push(" How are"), vec!["Hello there, friend."]);
        assert_eq!(s.push(" you today? I"), vec!["How are you today?"]);
        assert_eq!(s.finish().as_deref(), Some("I"));
    }

    #[test]
    fn japanese_and_chinese_split_at_their_full_stops_without_spaces() {
        assert_eq!(
            split_all("こんにちは、今日はいい天気ですね。散歩に行きませんか？本当に楽しいですよ！", 3),
            vec![
                "こんにちは、今日はいい天気ですね。",
                "散歩に行きませんか？本当に楽しいですよ！"
            ]
        );
        assert_eq!(
            split_all("今天天气很好，我们去公园散步吧。你觉得怎么样？我觉得非常好！", 4),
            vec!["今天天气很好，我们去公园散步吧。", "你觉得怎么样？我觉得非常好！"]
        );
        // Closing brackets stay with their sentence; "？！" is one end.
        assert_eq!(
            split_all("彼は「明日また来ます。」と言いました。本当に来るのでしょうか？！", 2),
            vec!["彼は「明日また来ます。」と言いました。", "本当に来るのでしょうか？！"]
        );
    }

    #[test]
    fn arabic_and_hindi_split_at_their_question_mark_and_danda() {
        assert_eq!(
            split_all("مرحبا، كيف يمكنني مساعدتك اليوم؟ لدينا عروض جديدة هذا الأسبوع.", 3),
            vec!["مرحبا، كيف يمكنني مساعدتك اليوم؟", "لدينا عروض جديدة هذا الأسبوع."]
        );
        assert_eq!(
            split_all("नमस्ते, आज मैं आपकी क्या मदद कर सकता हूँ। हमारे पास नए उत्पाद हैं।", 5),
            vec!["नमस्ते, आज मैं आपकी क्या मदद कर सकता हूँ।", "हमारे पास नए उत्पाद हैं।"]
        );
    }

    #[test]
    fn speakable_adds_no_dot_after_a_full_stop_of_another_script() {
        assert_eq!(speakable("# 東京の天気。"), Some("東京の天気。".into()));
        assert_eq!(speakable("- كيف حالك؟"), Some("كيف حالك؟".into()));
    }

    #[test]
    fn decimals_abbreviations_and_domains_do_not_split() {
        let got = split_all(
            "Pi is about 3.14 as Dr. Smith said on example.com today. That is all folks.",
            5,
        );
        assert_eq!(
            got,
            vec![
                "Pi is about 3.14 as Dr. Smith said on example.com today.",
                "That is all folks."
            ]
        );
    }

    #[test]
    fn the_first_segment_may_end_at_a_clause_so_speech_starts_early() {
        let got = split_all(
            "Sure, happy to help with that question, here is what I know: it works. Then more, and more.",
            4,
        );
        assert_eq!(
            got,
            vec![
                "Sure, happy to help with that question,",
                "here is what I know: it works.",
                "Then more, and more."
            ]
        );
    }

    #[test]
    fn the_first_segment_ends_after_five_words_whichever_comes_first() {
        let got = split_early(
            "Sure, happy to help with that question, here is what I know: it works.",
            4,
        );
        assert_eq!(
            got,
            vec![
                "Sure, happy to help with",
                "that question, here is what I know: it works."
            ]
        );
        // Only the first: later sentences are whole.
        let got = split_early(
            "Thanks for asking about our opening hours. We are open from nine until six today.",
            3,
        );
        assert_eq!(
            got,
            vec![
                "Thanks for asking about our",
                "opening hours.",
                "We are open from nine until six today."
            ]
        );
    }

    #[test]
    fn the_early_end_is_never_inside_a_number_an_abbreviation_or_a_link() {
        for (text, first) in [
            (
                "It will cost you about 5 000 euros in all.",
                "It will cost you about 5 000 euros",
            ),
            (
                "The shop opens at ten 30 minutes later today.",
                "The shop opens at ten 30 minutes",
            ),
            (
                "We will ask for Dr. Smith to help you.",
                "We will ask for Dr. Smith",
            ),
            (
                "Read more in [the full user guide](https://x.ai/docs) on the site.",
                "Read more in [the full user guide](https://x.ai/docs)",
            ),
            (
                "Now run `cargo build --release --locked` and wait.",
                "Now run `cargo build --release --locked`",
            ),
        ] {
            for chunk in [1, 4, 100] {
                let got = split_early(text, chunk);
                assert_eq!(got[0], first, "{text:?} in chunks of {chunk}");
            }
        }
    }

    #[test]
    fn short_sentences_are_joined() {
        assert_eq!(
            split_all("Yes. It works well enough. Ok.", 3),
            vec!["Yes. It works well enough.", "Ok."]
        );
    }

    #[test]
    fn list_items_and_paragraphs_split_on_newlines() {
        let got = split_all(
            "Here are the steps to follow\n- open the settings page\n- click save and wait",
            4,
        );
        assert_eq!(
            got,
            vec![
                "Here are the steps to follow",
                "- open the settings page",
                "- click save and wait"
            ]
        );
    }

    #[test]
    fn code_blocks_are_never_split_inside() {
        let got = split_all(
            "Run this command now.\n```\nls -la. echo hi. done\n```\nThen you are finished here.",
            3,
        );
        assert!(
            got.iter().any(|s| s.contains("ls -la. echo hi. done")),
            "{got:?}"
        );
    }

    #[test]
    fn tilde_fenced_code_is_never_split_or_spoken() {
        let got = split_all(
            "Run this command now.\n~~~\nls -la. echo hi. done\n~~~\nThen you are finished here.",
            3,
        );
        assert!(
            got.iter().any(|s| s.contains("ls -la. echo hi. done")),
            "{got:?}"
        );
        let spoken: Vec<String> = got.iter().filter_map(|s| speakable(s)).collect();
        assert!(spoken.iter().all(|s| !s.contains("echo")), "{spoken:?}");
    }

    #[test]
    fn a_long_run_without_punctuation_is_cut() {
        let text = "word, ".repeat(100);
        let got = split_all(&text, 7);
        assert!(got.len() >= 2, "{got:?}");
        assert!(
            got.iter().all(|s| s.chars().count() <= MAX_SENTENCE_CHARS),
            "{got:?}"
        );
    }

    #[test]
    fn speakable_drops_markup_code_and_urls() {
        assert_eq!(
            speakable(
                "## Title\n**Bold** and _it_ see [the docs](https://x.ai/docs) or https://x.ai now"
            )
            .as_deref(),
            Some("Title. Bold and it see the docs or now")
        );
        assert_eq!(speakable("```\nfn main() {}\n```"), None);
        assert_eq!(
            speakable("- item one\n- item two").as_deref(),
            Some("item one. item two.")
        );
        assert_eq!(speakable("***"), None);
    }

    /// Found by `fuzz/` (target `sentences`): a URL wrapped in anything was spelled out.
    #[test]
    fn speakable_drops_urls_in_brackets_quotes_and_emphasis() {
        assert_eq!(
            speakable("See the docs (https://x.ai/docs), `http://a.b` or **https://c.d**.")
                .as_deref(),
            Some("See the docs or")
        );
    }

    proptest! {
        #[test]
        fn chunking_never_changes_the_sentences(text in "[a-zA-Z ,.!?\n]{0,400}", chunk in 1usize..40) {
            prop_assert_eq!(split_all(&text, chunk), split_all(&text, 100_000));
        }

        #[test]
        fn chunking_never_changes_an_early_start(text in "[a-zA-Z0-9 ,.!?\n\\[\\]()`]{0,400}", chunk in 1usize..40) {
            prop_assert_eq!(split_early(&text, chunk), split_early(&text, 100_000));
            let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            prop_assert_eq!(squash(&split_early(&text, chunk).concat()), squash(&text));
        }

        #[test]
        fn no_text_is_lost_or_invented(text in "[a-zA-Z0-9 ,.!?\n]{0,400}", chunk in 1usize..40) {
            let joined: String = split_all(&text, chunk).concat();
            let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            prop_assert_eq!(squash(&joined), squash(&text));
        }
    }
}
