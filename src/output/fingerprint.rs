//! How a credential is named in output: kind, length and the first 8 hex digits of its SHA-256.
//! Never the value, never a piece of it.

use sha2::{Digest, Sha256};
use std::ops::Deref;

/// A credential as output may name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// What kind of credential (`jwt`, `api-key`, …).
    pub kind: &'static str,
    /// Its length in bytes.
    pub len: usize,
    /// The first 8 hex digits of its SHA-256.
    pub sha256: Hex8,
}

/// Eight lowercase hex digits, held in place: no allocation for them on every 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hex8([u8; 8]);

impl Hex8 {
    /// The digits as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl Deref for Hex8 {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

/// Eight hex digits from text (fixtures); anything else reads as `00000000`.
impl From<&str> for Hex8 {
    fn from(text: &str) -> Self {
        let mut digits = [b'0'; 8];
        if text.len() == 8 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            digits.copy_from_slice(text.as_bytes());
        }
        Hex8(digits)
    }
}

/// Describes `value` without holding any part of it.
pub fn of(kind: &'static str, value: &[u8]) -> Fingerprint {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(value);
    // By hand, not `{:02x}`: core::fmt per byte costs more than the hex digits themselves.
    let mut sha256 = [b'0'; 8];
    for (pair, byte) in sha256.chunks_exact_mut(2).zip(digest.iter()) {
        for (digit, nibble) in pair.iter_mut().zip([byte >> 4, byte & 0x0f]) {
            *digit = HEX.get(usize::from(nibble)).copied().unwrap_or(b'0');
        }
    }
    Fingerprint {
        kind,
        len: value.len(),
        sha256: Hex8(sha256),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest() {
        // sha256("abc") = ba7816bf...
        let f = of("api-key", b"abc");
        assert_eq!(
            (f.kind, f.len, f.sha256.as_str()),
            ("api-key", 3, "ba7816bf")
        );
        // sha256("") = e3b0c442...
        assert_eq!(&*of("jwt", b"").sha256, "e3b0c442");
        assert_eq!(Hex8::from("1a2b3c4d").as_str(), "1a2b3c4d");
        assert_eq!(Hex8::from("not hex!").as_str(), "00000000");
    }
}
