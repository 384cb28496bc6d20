//! How a credential is named in output: kind, length and the first 8 hex digits of its SHA-256.
//! Never the value, never a piece of it.

use bitcoin_hashes::sha256::Midstate;
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
/// SHA-256 is most of what an expired-JWT 401 costs, a 64-byte block at a time. bitcoin_hashes
/// writes its 64 rounds as one macro-unrolled function with the state in locals: ~5,000 wasm
/// instructions a block. sha2 0.10's portable backend calls a function per two rounds, which
/// the .wasm's inline threshold (40, .cargo/config.toml) leaves uninlined even at sha2's own
/// opt-level 3 (~6,800 a block); hmac-sha256 calls one per 16 rounds, the state in memory
/// (~6,400). Measured on a 177-byte JWT (3 blocks): sha2 20.9k, hmac-sha256 19.4k, this 15.5k.
/// The padding is built here and every block goes through one call of the block function
/// (its midstate API), so that its unrolled rounds are in the .wasm once. Not inlined: inlined
/// into the decision it changes how every other 401 is compiled (the stripped one by a few
/// instructions more).
#[inline(never)]
fn sha256_prefix(value: &[u8]) -> [u8; 8] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let blocks = value.chunks_exact(64);
    let tail = blocks.remainder();
    // The padding after the whole blocks: the tail, 0x80, zeros, then the length in bits
    // (big-endian) in the last eight bytes; one block, or two when the tail leaves no room.
    let mut padded = [0u8; 128];
    if let Some(to) = padded.get_mut(..tail.len()) {
        to.copy_from_slice(tail);
    }
    if let Some(b) = padded.get_mut(tail.len()) {
        *b = 0x80;
    }
    let end = if tail.len() < 56 { 64 } else { 128 };
    let bits = (value.len() as u64).wrapping_mul(8).to_be_bytes();
    if let Some(to) = padded.get_mut(end - 8..end) {
        to.copy_from_slice(&bits);
    }
    let padding = padded.get(..end).unwrap_or_default().chunks_exact(64);
    // Every block through one call of the compression function: one copy of its unrolled
    // rounds in the .wasm.
    let mut state = Midstate::SHA256_IV;
    for block in blocks.chain(padding) {
        if let Ok(block) = <&[u8; 64]>::try_from(block) {
            state = state.update_64(block);
        }
    }
    // The digest's first four bytes are the first word of the state.
    let (digest, _) = state.as_parts();
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
