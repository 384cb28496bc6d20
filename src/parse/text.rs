//! Small text helpers shared by the serializers: everything the filter writes is printable ASCII.

use std::borrow::Cow;

/// Keeps printable ASCII (0x20..=0x7e), replaces anything else by `?`, and cuts at `max` bytes
/// (on a char boundary, since the result is ASCII).
pub fn printable(input: &str, max: usize) -> Cow<'_, str> {
    // The common case, already printable and short enough, is not copied at all.
    if input.len() <= max && input.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Cow::Borrowed(input);
    }
    let mut out = String::with_capacity(input.len().min(max));
    for c in input.chars() {
        if out.len() >= max {
            break;
        }
        out.push(if (' '..='~').contains(&c) { c } else { '?' });
    }
    Cow::Owned(out)
}

/// Same as [`printable`] for raw bytes (header names may be anything).
pub fn printable_bytes(input: &[u8], max: usize) -> String {
    let mut out = String::with_capacity(input.len().min(max));
    for &b in input.iter().take(max) {
        out.push(if (0x20..=0x7e).contains(&b) {
            char::from(b)
        } else {
            '?'
        });
    }
    out
}

/// Whether Kong's `kong.request.get_headers()[configured]` finds the request header `header`:
/// names compare case-insensitively, and the lookup is retried with every `_` of the configured
/// name turned into `-` (lua-nginx-module's normalisation) — not the other way round.
#[inline(always)]
pub fn kong_reads_header(configured: &str, header: &str) -> bool {
    // Asked of every header for every configured name: most differ in length or in their first
    // byte, and that is answered where it is asked, without a call.
    let (c, h) = (configured.as_bytes(), header.as_bytes());
    c.len() == h.len()
        && match (c.first(), h.first()) {
            // Either look-up: as it is, or `_` as `-`.
            (Some(&c), Some(&h)) => c.eq_ignore_ascii_case(&h) || c == b'_' && h == b'-',
            _ => true,
        }
        && same_as_kong_reads(c, h)
}

/// [`kong_reads_header`] for names of the same length: as they are, or with every `_` of the
/// configured one a `-`. Plain loops: iterator adapters are calls each at opt-level z.
fn same_as_kong_reads(c: &[u8], h: &[u8]) -> bool {
    let same = |dash: bool| {
        let mut i = 0;
        while let (Some(&c), Some(&h)) = (c.get(i), h.get(i)) {
            // In the retried look-up (`dash`) every `_` is a `-`, and only that.
            let c = if dash && c == b'_' { b'-' } else { c };
            if !c.eq_ignore_ascii_case(&h) {
                return false;
            }
            i += 1;
        }
        true
    };
    same(false) || same(true)
}

/// One byte of a squashed name: ASCII letters lowercased, digits as they are, anything else
/// (punctuation, every byte of a non-ASCII char) left out. Setting bit 5 lowercases exactly the
/// letters `A-Z` and maps no other byte onto `a-z`.
#[inline(always)]
pub fn squashed_byte(b: u8) -> Option<u8> {
    let lower = b | 0x20;
    if lower.is_ascii_lowercase() {
        Some(lower)
    } else if b.is_ascii_digit() {
        Some(b)
    } else {
        None
    }
}

/// The next squashed byte of `name` from `at` on, `at` moved past it.
#[inline(always)]
pub fn next_squashed(name: &[u8], at: &mut usize) -> Option<u8> {
    while let Some(&b) = name.get(*at) {
        *at += 1;
        if let Some(squashed) = squashed_byte(b) {
            return Some(squashed);
        }
    }
    None
}

/// Whether two names are the same once reduced to lowercase letters and digits
/// (`X-Api_Key` = `xapikey`), without allocating: this runs for every header of an annotated
/// request, and most differ at their first letter. A plain loop: iterator adapters are calls
/// each at the size-optimised level the filter is built with.
#[inline(always)]
pub fn same_squashed(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    // Two names starting with different letters or digits differ: answered where asked (no
    // Option combinators: at opt-level z they are calls through memory).
    if let (Some(&x), Some(&y)) = (a.first(), b.first()) {
        if let (Some(x), Some(y)) = (squashed_byte(x), squashed_byte(y)) {
            if x != y {
                return false;
            }
        }
    }
    same_squashed_bytes(a, b)
}

/// [`same_squashed`] in full.
fn same_squashed_bytes(a: &[u8], b: &[u8]) -> bool {
    let (mut i, mut j) = (0, 0);
    loop {
        let next = next_squashed(a, &mut i);
        if next != next_squashed(b, &mut j) {
            return false;
        }
        if next.is_none() {
            return true;
        }
    }
}

/// Appends `value` with `"` and `\` backslash-escaped and each char outside printable ASCII
/// replaced by `?` (the inside of an sf-string, and of a quoted log value). Runs of plain bytes
/// are copied whole.
pub fn push_escaped(out: &mut String, value: &str) {
    // The usual case, nothing to escape, in one simple pass and one copy.
    let plain = |b: &u8| matches!(b, 0x20..=0x7e) && *b != b'"' && *b != b'\\';
    if value.as_bytes().iter().all(plain) {
        out.push_str(value);
        return;
    }
    let mut plain_from = 0;
    for (i, &b) in value.as_bytes().iter().enumerate() {
        let replacement = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x20..=0x7e => continue,
            // A UTF-8 continuation byte: its char already got its `?`.
            0x80..=0xbf => "",
            _ => "?",
        };
        // Cut only before an ASCII byte or a char's first byte: always a char boundary.
        out.push_str(value.get(plain_from..i).unwrap_or_default());
        out.push_str(replacement);
        plain_from = i + 1;
    }
    out.push_str(value.get(plain_from..).unwrap_or_default());
}

/// Appends `n` in decimal, at least `width` (at most 20) digits, zero-padded: what
/// `{n:0width$}` writes, without core::fmt, which costs several times the digits in wasm.
pub fn push_decimal(out: &mut String, n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            // `rest % 10` is a single digit: the cast cannot truncate.
            *d = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    at = at.min(digits.len().saturating_sub(width));
    for &d in digits.get(at..).unwrap_or_default() {
        out.push(char::from(d));
    }
}

/// RFC 9110 `tchar`.
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped() {
        let escape = |v: &str| {
            let mut out = String::new();
            push_escaped(&mut out, v);
            out
        };
        assert_eq!(escape("plain text"), "plain text");
        assert_eq!(escape(r#"a "b" \c"#), r#"a \"b\" \\c"#);
        assert_eq!(escape("é\u{7f}x\n€"), "??x??");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn printable_replaces_and_cuts() {
        assert_eq!(printable("a\u{7f}b\né", 10), "a?b??");
        assert_eq!(printable("abcdef", 3), "abc");
        assert_eq!(printable_bytes(b"x\xff\x00y", 10), "x??y");
    }

    #[test]
    fn names_as_kong_looks_them_up() {
        assert!(kong_reads_header("X-Api-Key", "x-api-key"));
        assert!(kong_reads_header("api_key", "api-key"));
        assert!(kong_reads_header("api_key", "API_KEY"));
        assert!(!kong_reads_header("api-key", "api_key"));
        assert!(!kong_reads_header("a_b_c", "a-b_c"));
        assert!(!kong_reads_header("apikey", "api-key"));
        assert!(same_squashed("X-Api_Key", "xapikey"));
        assert!(same_squashed("X-Api_Key", "x\u{e9}apikey"));
        assert!(!same_squashed("X-Api_Key", "xapikeys"));
    }

    /// The length compared once, up front, answers as the two full passes did; the squashed
    /// comparison as comparing the two names squashed into lists.
    #[test]
    fn kong_reads_header_as_before() {
        let reference = |configured: &str, header: &str| {
            let same = |dash: bool| {
                configured.len() == header.len()
                    && configured.bytes().zip(header.bytes()).all(|(c, h)| {
                        let c = match c {
                            b'_' if dash => b'-',
                            other => other.to_ascii_lowercase(),
                        };
                        c == h.to_ascii_lowercase()
                    })
            };
            same(false) || same(true)
        };
        let names = [
            "apikey",
            "ApiKey",
            "api_key",
            "api-key",
            "API_KEY",
            "Api-Key",
            "a_b-c",
            "a-b-c",
            "a_b_c",
            "A-B_C",
            "authorization",
            "Authorization",
            "x_api_key",
            "x-api-key",
            "X-API_KEY",
            "_x_y",
            "-x-y",
            "_x-y",
            "-X_Y",
            "_X-Y",
            "",
            "_",
            "-",
            "\u{e9}",
            "\u{c9}",
            "k\u{e9}y",
            "K\u{e9}Y",
        ];
        let (mut matches, mut squashed_matches) = (0, 0);
        for configured in names {
            for header in names {
                let old = reference(configured, header);
                assert_eq!(
                    kong_reads_header(configured, header),
                    old,
                    "{configured} {header}"
                );
                matches += usize::from(old);
                let squash = |n: &str| -> Vec<u8> {
                    n.bytes()
                        .filter(u8::is_ascii_alphanumeric)
                        .map(|b| b.to_ascii_lowercase())
                        .collect()
                };
                let old = squash(configured) == squash(header);
                assert_eq!(
                    same_squashed(configured, header),
                    old,
                    "{configured} {header}"
                );
                squashed_matches += usize::from(old);
            }
        }
        assert!(matches > names.len());
        assert!(squashed_matches > matches);
    }

    #[test]
    fn decimals_as_fmt_writes_them() {
        for n in [0u64, 7, 10, 99, 100, 1234, 86_399, 4_294_967_296, u64::MAX] {
            for width in [1usize, 2, 4, 20] {
                let mut out = String::from("x");
                push_decimal(&mut out, n, width);
                assert_eq!(out, format!("x{n:0width$}"));
            }
        }
        assert!(!same_squashed("X-Api_Key", "apikey"));
    }

    /// Bit 5 lowercases the letters and nothing else: the same bytes as filtering alphanumerics
    /// and lowercasing them, on every byte.
    #[test]
    fn squashed_byte_is_alphanumeric_lowercased() {
        for b in 0..=u8::MAX {
            let expected = b.is_ascii_alphanumeric().then(|| b.to_ascii_lowercase());
            assert_eq!(squashed_byte(b), expected, "{b:#04x}");
        }
    }
}
