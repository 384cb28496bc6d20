//! How a credential is named in output: kind, length and the first 8 hex digits of its SHA-256.
//! Never the value, never a piece of it.

use sha2::{Digest, Sha256};
use std::fmt::Write;

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
    let digest = Sha256::digest(value);
    let mut sha256 = String::with_capacity(8);
    for byte in digest.iter().take(4) {
        let _ = write!(sha256, "{byte:02x}");
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
