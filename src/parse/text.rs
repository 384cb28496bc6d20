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
pub fn kong_reads_header(configured: &str, header: &str) -> bool {
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
}

/// A name's letters and digits, lowercased, for near-miss comparisons (`X-Api_Key` → `xapikey`).
fn squashed(name: &str) -> impl Iterator<Item = u8> + '_ {
    name.bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| b.to_ascii_lowercase())
}

/// Whether two names are the same once reduced to lowercase letters and digits, without
/// allocating (this runs for every header of an annotated request).
pub fn same_squashed(a: &str, b: &str) -> bool {
    squashed(a).eq(squashed(b))
}

/// A name squashed into a stack buffer, for comparing one name against many already-squashed
/// ones; `None` when it is longer than any name worth comparing.
pub fn squash_into<'b>(name: &str, buffer: &'b mut [u8; 32]) -> Option<&'b [u8]> {
    let mut len = 0;
    for b in squashed(name) {
        *buffer.get_mut(len)? = b;
        len += 1;
    }
    buffer.get(..len)
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

/// Whether every byte is printable ASCII (0x20-0x7e), eight bytes at a time: the host's
/// property values are checked on every 401.
pub fn is_printable_ascii(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            return false;
        };
        let x = u64::from_le_bytes(word);
        // As in `lowercase_ascii`: per byte, the high bit of `heptet + (0x80 - 0x20)` says
        // `>= 0x20`, that of `heptet + 1` says `== 0x7f`; a set high bit in `x` is not ASCII.
        let heptets = x & !HIGH;
        let from_space = heptets.wrapping_add((0x80 - 0x20) * ONES);
        let delete = heptets.wrapping_add(ONES);
        if from_space & !delete & !x & HIGH != HIGH {
            return false;
        }
    }
    chunks.remainder().iter().all(|b| (0x20..=0x7e).contains(b))
}

/// ASCII letters lowercased eight bytes at a time: byte by byte, wasm spends ~20 instructions
/// a byte on it, and every request header name passes through here on every 401. Bytes
/// outside ASCII are left as they are, as `make_ascii_lowercase` leaves them.
pub fn lowercase_ascii(bytes: &mut [u8]) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let Ok(word) = <[u8; 8]>::try_from(&*chunk) else {
            continue;
        };
        let x = u64::from_le_bytes(word);
        // Per byte, with no carry between bytes (each sum stays below 0x100): the high bit of
        // `heptet + (0x80 - b'A')` says `>= 'A'`, that of `heptet + (0x7f - b'Z')` says `> 'Z'`.
        let heptets = x & !HIGH;
        let from_a = heptets.wrapping_add((0x80 - u64::from(b'A')) * ONES);
        let past_z = heptets.wrapping_add((0x7f - u64::from(b'Z')) * ONES);
        let upper = (from_a ^ past_z) & !x & HIGH;
        if upper != 0 {
            chunk.copy_from_slice(&(x | (upper >> 2)).to_le_bytes());
        }
    }
    chunks.into_remainder().make_ascii_lowercase();
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
        let mut buffer = [0u8; 32];
        assert_eq!(squash_into("X-Api_Key", &mut buffer), Some(&b"xapikey"[..]));
        assert_eq!(squash_into(&"a".repeat(33), &mut buffer), None);
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

    #[test]
    fn lowercase_ascii_is_make_ascii_lowercase() {
        let every_byte: Vec<u8> = (0..=255u8).collect();
        for start in 0..8 {
            for len in [0, 1, 7, 8, 9, 15, 16, 17, 255 - start] {
                let mut fast = every_byte[start..start + len].to_vec();
                let mut slow = fast.clone();
                lowercase_ascii(&mut fast);
                slow.make_ascii_lowercase();
                assert_eq!(fast, slow, "start {start} len {len}");
            }
        }
        let mut name = b"X-API-Key\xffAuthorization@[Z`".to_vec();
        lowercase_ascii(&mut name);
        assert_eq!(name, b"x-api-key\xffauthorization@[z`");
    }

    #[test]
    fn is_printable_ascii_is_the_byte_range() {
        let every_byte: Vec<u8> = (0..=255u8).collect();
        for b in every_byte {
            for at in 0..9 {
                let mut bytes = b"kong-request-id-0123".to_vec();
                bytes.insert(at, b);
                let slow = bytes.iter().all(|b| (0x20..=0x7e).contains(b));
                assert_eq!(is_printable_ascii(&bytes), slow, "byte {b:#x} at {at}");
                assert_eq!(
                    is_printable_ascii(&bytes[..at + 1]),
                    slow,
                    "byte {b:#x} at {at}, short"
                );
            }
        }
        assert!(is_printable_ascii(b""));
    }
}
