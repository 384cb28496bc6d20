//! How a credential is named in output: kind, length and the first 8 hex digits of its SHA-256.
//! Never the value, never a piece of it.

use sha2::{Digest, Sha256};

/// A credential as output may name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// What kind of credential (`jwt`, `api-key`, …).
    pub kind: &'static str,
    /// Its length in bytes.
    pub len: usize,
    /// The first 8 hex digits of its SHA-256.
    pub sha256: String,
}

/// Describes `value` without holding any part of it.
pub fn of(kind: &'static str, value: &[u8]) -> Fingerprint {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(value);
    // By hand, not `{:02x}`: core::fmt per byte costs more than the hex digits themselves.
    let mut sha256 = String::with_capacity(8);
    for byte in digest.iter().take(4) {
        for nibble in [byte >> 4, byte & 0x0f] {
            sha256.push(char::from(
                HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    Fingerprint {
        kind,
        len: value.len(),
        sha256,
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
    }
}
