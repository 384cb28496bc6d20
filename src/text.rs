//! Small text helpers shared by the serializers: everything the filter writes is printable ASCII.

/// Keeps printable ASCII (0x20..=0x7e), replaces anything else by `?`, and cuts at `max` bytes
/// (on a char boundary, since the result is ASCII).
pub fn printable(input: &str, max: usize) -> String {
    let mut out = String::with_capacity(input.len().min(max));
    for c in input.chars() {
        if out.len() >= max {
            break;
        }
        out.push(if (' '..='~').contains(&c) { c } else { '?' });
    }
    out
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

/// ASCII case-insensitive comparison of a header or parameter name where Kong treats `-` and `_`
/// alike (it runs nginx with `underscores_in_headers on` and normalises both).
pub fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| fold(x) == fold(y))
}

fn fold(b: u8) -> u8 {
    match b {
        b'_' => b'-',
        other => other.to_ascii_lowercase(),
    }
}

/// A name reduced to its letters and digits, for near-miss comparisons (`X-Api_Key` → `xapikey`).
pub fn squashed(name: &str) -> String {
    name.bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| char::from(b.to_ascii_lowercase()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_replaces_and_cuts() {
        assert_eq!(printable("a\u{7f}b\né", 10), "a?b??");
        assert_eq!(printable("abcdef", 3), "abc");
        assert_eq!(printable_bytes(b"x\xff\x00y", 10), "x??y");
    }

    #[test]
    fn names_fold_case_and_underscore() {
        assert!(same_name("X-Api-Key", "x_api_key"));
        assert!(!same_name("apikey", "api-key"));
        assert_eq!(squashed("X-Api_Key"), "xapikey");
    }
}
