//! Character-level pieces shared by blocks and inlines: safe URLs, entities, backslash
//! escapes, bare URLs.

/// Keeps `url` only if it is an absolute `http(s):` or `mailto:` URL with no whitespace or
/// control characters; `javascript:`, `data:`, relative and protocol-relative URLs are refused.
pub fn safe_url(url: &str) -> Option<&str> {
    let url = url.trim();
    if url.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let ok = lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:");
    let has_rest = url
        .find(':')
        .is_some_and(|i| !url[i + 1..].trim_start_matches('/').is_empty());
    (ok && has_rest).then_some(url)
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
        rest = rest[len + value.len_utf8()..].trim_start_matches(' ');
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
        if digits.is_empty() || digits.len() > max {
            return None;
        }
        let n = u32::from_str_radix(digits, radix).ok()?;
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
    let head = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    let scheme = ["https://", "http://", "mailto:"]
        .into_iter()
        .find(|p| head.starts_with(p))?;
    if scheme == "mailto:" {
        // An address: `local@domain.tld`, the domain not ending in `-` or `_`.
        let b = s.as_bytes();
        let email = |c: &u8| c.is_ascii_alphanumeric() || b".-_+@".contains(c);
        let mut end = 7 + b[7..].iter().take_while(|c| email(c)).count();
        while b[end - 1] == b'.' {
            end -= 1;
        }
        let (local, domain) = s[7..end].split_once('@')?;
        let ok = !local.is_empty() && domain.contains('.') && !domain.ends_with(['-', '_']);
        return (ok && !domain.contains('@')).then_some(end);
    }
    let mut end = s
        .find(|c: char| c.is_whitespace() || c == '<')
        .unwrap_or(s.len());
    loop {
        let last = s[..end].chars().next_back()?;
        let unbalanced =
            last == ')' && s[..end].matches('(').count() < s[..end].matches(')').count();
        if "?!.,:*_~'\"".contains(last) || unbalanced {
            end -= 1;
        } else {
            break;
        }
    }
    (end > scheme.len()).then_some(end)
}
