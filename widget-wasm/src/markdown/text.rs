//! Character-level pieces shared by blocks and inlines: safe URLs, entities, backslash
//! escapes, bare URLs.

/// Keeps `url` only if it is an absolute `http(s):` or `mailto:` URL with no whitespace or
/// control characters; `javascript:`, `data:`, relative and protocol-relative URLs are refused.
pub fn safe_url(url: &str) -> Option<&str> {
    let url = url.trim();
    if url.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let ok = scheme(url).is_some();
    let has_rest = url
        .find(':')
        .is_some_and(|i| !url[i + 1..].trim_start_matches('/').is_empty());
    (ok && has_rest).then_some(url)
}

/// `https://`, `http://` or `mailto:` at the start of `s`, in any case.
fn scheme(s: &str) -> Option<&'static str> {
    ["https://", "http://", "mailto:"]
        .into_iter()
        .find(|p| s.len() >= p.len() && s.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes()))
}

/// `s` without the spaces and tabs at either end (CommonMark's whitespace for block
/// structure; Unicode's would cost its tables' lookups in every call).
pub fn trim_ws(s: &str) -> &str {
    let b = s.as_bytes();
    let ws = |c: &&u8| **c == b' ' || **c == b'\t';
    let start = b.iter().take_while(ws).count();
    let end = b.len() - b[start..].iter().rev().take_while(ws).count();
    &s[start..end]
}

/// Where the last line of `s` starts.
pub fn line_start(s: &str) -> usize {
    s.bytes().rposition(|b| b == b'\n').map_or(0, |i| i + 1)
}

/// `digits` (non-empty, no sign) as a number in `radix`.
pub fn number(digits: &str, radix: u32) -> Option<u32> {
    let mut n: u32 = 0;
    for c in digits.chars() {
        n = n.checked_mul(radix)?.checked_add(c.to_digit(radix)?)?;
    }
    (!digits.is_empty()).then_some(n)
}

/// Named entities understood, each name followed by its character (never an ASCII letter or
/// digit, which is how the list is read). The full HTML list (2,125 names) would cost more
/// than the rest of the renderer; these are the ones replies use.
const ENTITIES: &str = "amp&lt<gt>quot\"apos'nbsp\u{a0}copy©reg®trade™hellip…mdash—ndash–\
    lsquo‘rsquo’ldquo“rdquo”laquo«raquo»bull•middot·deg°plusmn±times×divide÷minus−\
    frac12½frac14¼frac34¾euro€pound£yen¥cent¢sect§para¶larr←rarr→uarr↑darr↓harr↔\
    le≤ge≥ne≠asymp≈infin∞microµaumläoumlöuumlüAumlÄOumlÖUumlÜszligßeacuteé";

fn named(name: &str) -> Option<char> {
    let mut rest = ENTITIES;
    while !rest.is_empty() {
        let len = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
        let value = rest[len..].chars().next()?;
        if &rest[..len] == name {
            return Some(value);
        }
        rest = &rest[len + value.len_utf8()..];
    }
    None
}

/// An entity or numeric character reference at the start of `s` (which starts with `&`): the
/// character and the length of the reference.
pub fn entity(s: &str) -> Option<(char, usize)> {
    let b = s.as_bytes();
    let end = b.iter().take(40).position(|&c| c == b';')?;
    let body = &s[1..end];
    let c = if let Some(num) = body.strip_prefix('#') {
        let (digits, radix, max) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16, 6),
            None => (num, 10, 7),
        };
        if digits.len() > max {
            return None;
        }
        let n = number(digits, radix)?;
        // NUL, surrogates and numbers past Unicode become the replacement character.
        char::from_u32(n)
            .filter(|&c| c != '\0')
            .unwrap_or('\u{fffd}')
    } else {
        if body.is_empty() || !body.bytes().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        named(body)?
    };
    Some((c, end + 1))
}

/// Resolves backslash escapes and entities (link targets, code block info strings, cells).
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(c) = s[i..].chars().next() {
        let next = s[i + c.len_utf8()..].chars().next();
        if c == '\\' && next.is_some_and(|n| n.is_ascii_punctuation()) {
            out.push(next.unwrap_or(c));
            i += 2;
        } else if let Some((e, len)) = (c == '&').then(|| entity(&s[i..])).flatten() {
            out.push(e);
            i += len;
        } else {
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Unicode whitespace or the edge of the text, for emphasis flanking rules.
pub fn is_space(c: Option<char>) -> bool {
    c.is_none_or(char::is_whitespace)
}

/// Punctuation for flanking rules: ASCII punctuation, and any other character that is neither
/// a letter, a digit nor whitespace (symbols and CJK punctuation), which avoids Unicode's
/// category tables.
pub fn is_punct(c: Option<char>) -> bool {
    c.is_some_and(|c| {
        c.is_ascii_punctuation() || (!c.is_ascii() && !c.is_alphanumeric() && !c.is_whitespace())
    })
}

/// A bare `http://`, `https://` or `mailto:` URL at the start of `s`: its length, with
/// trailing punctuation and an unbalanced `)` left out (GFM's extended autolinks).
pub fn bare_url(s: &str) -> Option<usize> {
    let scheme = scheme(s)?;
    if scheme == "mailto:" {
        // An address: `local@domain.tld`, the domain not ending in `-` or `_`.
        let b = s.as_bytes();
        let email = |c: &u8| c.is_ascii_alphanumeric() || b".-_+@".contains(c);
        let mut end = 7 + b[7..].iter().take_while(|c| email(c)).count();
        while b[end - 1] == b'.' {
            end -= 1;
        }
        let at = s[..end].find('@')?;
        let domain = &s[at + 1..end];
        let ok = at > 7 && domain.contains('.') && !domain.ends_with('-') && !domain.ends_with('_');
        return (ok && !domain.contains('@')).then_some(end);
    }
    let mut end = s
        .find(|c: char| c.is_whitespace() || c.is_control() || c == '<')
        .unwrap_or(s.len());
    // Parentheses still open: a `)` at the end closes one of them, or else is not the URL's.
    let mut open = 0i32;
    for b in s[..end].bytes() {
        open += i32::from(b == b'(') - i32::from(b == b')');
    }
    while end > 0 {
        let last = s.as_bytes()[end - 1];
        if last == b')' && open < 0 {
            open += 1;
        } else if !b"?!.,:*_~'\"".contains(&last) {
            break;
        }
        end -= 1;
    }
    (end > scheme.len()).then_some(end)
}
