//! How a credential is named in output: kind, length and the first 8 hex digits of its SHA-256.
//! Never the value, never a piece of it.

use sha2::{Digest, Sha256};
use std::fmt::Write;

/// `jwt:len=612:sha256=1a2b3c4d`.
pub fn describe(kind: &str, value: &[u8]) -> String {
    let digest = Sha256::digest(value);
    let mut out = format!("{kind}:len={}:sha256=", value.len());
    for byte in digest.iter().take(4) {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest() {
        // sha256("abc") = ba7816bf...
        assert_eq!(describe("api-key", b"abc"), "api-key:len=3:sha256=ba7816bf");
    }
}
