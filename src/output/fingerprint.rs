//! How a credential is named in output: kind, length and the first 8 hex digits of its SHA-256.
//! Never the value, never a piece of it.

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
    Fingerprint {
        kind,
        len: value.len(),
        sha256: Hex8(sha256_prefix(value)),
    }
}

/// The first 8 hex digits of the SHA-256 of `value`.
///
/// SHA-256 is most of what an expired-JWT 401 costs (~6,400 wasm instructions a 64-byte block).
/// hmac-sha256 writes its rounds `#[inline(always)]`, so they come out unrolled whatever the
/// build's inliner does; sha2 0.10's portable backend calls a function per two rounds, which the
/// .wasm's inline threshold (40, .cargo/config.toml) leaves uninlined even at sha2's own
/// opt-level 3: ~6,800 a block, and its buffered hasher ~600 more per digest (measured: a
/// 177-byte JWT 20.9k with sha2's compression function called directly, 20.4k here).
fn sha256_prefix(value: &[u8]) -> [u8; 8] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = hmac_sha256::Hash::hash(value);
    // By hand, not `{:02x}`: core::fmt per byte costs more than the hex digits themselves.
    let mut digits = [b'0'; 8];
    for (pair, byte) in digits.chunks_exact_mut(2).zip(digest.iter()) {
        for (digit, nibble) in pair.iter_mut().zip([byte >> 4, byte & 0x0f]) {
            *digit = HEX.get(usize::from(nibble)).copied().unwrap_or(b'0');
        }
    }
    digits
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

    /// The prefix is the crate's whole digest cut to 8 hex digits, for every length up to 300
    /// bytes (every padding boundary: a tail of 55, 56, 63 and 64 bytes, one block or two) and
    /// a few long ones, over bytes of every value: sha2 (a dev-dependency) is the oracle.
    #[test]
    fn prefix_of_the_crates_digest() {
        use sha2::{Digest, Sha256};
        let bytes: Vec<u8> = (0..5000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for len in (0..=300).chain([447, 448, 511, 512, 1000, 4096, 5000]) {
            let value = &bytes[..len];
            let digest = Sha256::digest(value);
            let expected: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
            let f = of("jwt", value);
            assert_eq!(f.sha256.as_str(), expected, "{len}");
            assert_eq!(f.len, len);
        }
    }
}
