//! Light code colouring: keywords, strings, comments and numbers for the languages replies use
//! most. One pass over the text and a keyword list per family; no grammar, so it can be wrong
//! in corners (a string's quote inside a comment's `#` …) but never loses or reorders text.

/// How one family of languages writes comments and which words are keywords.
struct Style {
    /// Line comment marker: `//`, `#` or `--`; empty for none.
    line: &'static str,
    /// `/* … */` comments.
    block: bool,
    /// Space-separated keywords.
    keywords: &'static str,
    /// Keywords match in any case (SQL).
    any_case: bool,
    /// `'` starts a string only as `'x'` (Rust's lifetimes are not strings).
    char_quote: bool,
}

const C_LIKE: &str = "as async await break case catch class const continue def default do else \
    enum export extends false final finally fn for func function go if impl import in \
    instanceof interface let loop match mod mut new nil null package private protected pub \
    public return self static struct super switch this throw throws trait true try type typeof \
    use var void where while yield";
const PYTHON: &str = "and as assert async await break class continue def del elif else except \
    False finally for from global if import in is lambda None nonlocal not or pass raise return \
    self True try while with yield";
const RUBY: &str = "begin class def do else elsif end ensure false if module next nil require \
    rescue return self then true unless until when while yield";
const SHELL: &str = "case cd do done echo elif else esac exit export fi for function if in \
    local return sudo then until while";
const SQL: &str = "all alter and as asc between by create delete desc distinct drop from group \
    having in index inner insert into is join key left like limit not null on or order outer \
    primary right select set table union update values where";
const DATA: &str = "true false null yes no";

/// The style for a code block's language tag, `None` for languages it does not know.
fn style(lang: &str) -> Option<Style> {
    let lang = lang.to_ascii_lowercase();
    let s = |line, block, keywords| Style {
        line,
        block,
        keywords,
        any_case: false,
        char_quote: false,
    };
    Some(match lang.as_str() {
        "rust" | "rs" => Style {
            char_quote: true,
            ..s("//", true, C_LIKE)
        },
        "js" | "javascript" | "jsx" | "mjs" | "ts" | "typescript" | "tsx" | "java" | "kotlin"
        | "kt" | "c" | "h" | "cpp" | "c++" | "cc" | "hpp" | "cs" | "csharp" | "c#" | "go"
        | "golang" | "swift" | "php" | "dart" | "scala" => s("//", true, C_LIKE),
        "python" | "py" => s("#", false, PYTHON),
        "ruby" | "rb" => s("#", false, RUBY),
        "bash" | "sh" | "shell" | "zsh" | "console" => s("#", false, SHELL),
        "yaml" | "yml" | "toml" => s("#", false, DATA),
        "json" | "jsonc" => s("//", true, DATA),
        "css" | "scss" => s("", true, ""),
        "sql" => Style {
            any_case: true,
            ..s("--", true, SQL)
        },
        _ => return None,
    })
}

fn ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Calls `out(class, piece)` for consecutive pieces of `code` that together are all of it:
/// class `gw-k` (keyword), `gw-s` (string), `gw-c` (comment), `gw-n` (number), or `""`.
pub fn highlight(lang: &str, code: &str, out: &mut impl FnMut(&'static str, &str)) {
    let Some(st) = style(lang) else {
        out("", code);
        return;
    };
    let b = code.as_bytes();
    let find = |from: usize, pat: &str| code[from..].find(pat).map(|p| from + p);
    let line_end = |from: usize| find(from, "\n").unwrap_or(b.len());
    let (mut i, mut plain) = (0, 0);
    while i < b.len() {
        let c = b[i];
        let after_ident = i > 0 && ident(b[i - 1]);
        let token = if !st.line.is_empty()
            && code[i..].starts_with(st.line)
            && (c != b'#' || i == 0 || b[i - 1].is_ascii_whitespace())
        {
            Some(("gw-c", line_end(i)))
        } else if st.block && code[i..].starts_with("/*") {
            Some(("gw-c", find(i + 2, "*/").map_or(b.len(), |e| e + 2)))
        } else if matches!(c, b'"' | b'\'' | b'`')
            && !(st.char_quote
                && c == b'\''
                && b.get(i + 2) != Some(&b'\'')
                && b.get(i + 1) != Some(&b'\\'))
        {
            let q = &code[i..i + 1];
            let triple = code[i..].starts_with(&q.repeat(3));
            let end = if triple {
                find(i + 3, &q.repeat(3)).map_or(b.len(), |e| e + 3)
            } else {
                let mut j = i + 1;
                while j < b.len() && b[j] != c && (c == b'`' || b[j] != b'\n') {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                (j + 1).min(b.len())
            };
            Some(("gw-s", end))
        } else if c.is_ascii_digit() && !after_ident {
            let len = b[i..]
                .iter()
                .take_while(|&&d| ident(d) || d == b'.')
                .count();
            Some(("gw-n", i + len))
        } else if ident(c) && !after_ident {
            let end = i + b[i..].iter().take_while(|&&d| ident(d)).count();
            let word = &code[i..end];
            let keyword = st.keywords.split(' ').any(|k| {
                if st.any_case {
                    k.eq_ignore_ascii_case(word)
                } else {
                    k == word
                }
            });
            if !keyword {
                i = end;
                continue;
            }
            Some(("gw-k", end))
        } else {
            None
        };
        match token {
            Some((class, end)) => {
                if plain < i {
                    out("", &code[plain..i]);
                }
                out(class, &code[i..end]);
                i = end;
                plain = end;
            }
            None => i += 1,
        }
    }
    if plain < b.len() {
        out("", &code[plain..]);
    }
}
