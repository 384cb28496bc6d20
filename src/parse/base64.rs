//! base64 by hand, as the base64 crate (0.22) decodes it under the three sets of rules the filter
//! reads: a JWT's segments, Basic credentials, and ldap-auth's credentials through nginx's
//! decoder. Written as plain loops over one table: the crate's engine costs ~3 KB of `.wasm`,
//! and at opt-level "z" its chunked decoder and iterators cost several times the work of the
//! bytes. The crate is the oracle in the tests.

/// The rules a value is decoded by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    /// A JWT segment, as lua-resty-jwt decodes it: the URL-safe alphabet, padding optional (the
    /// crate's `URL_SAFE` with `DecodePaddingMode::Indifferent`), no bits left over.
    UrlSafe,
    /// Basic credentials: the standard alphabet, canonical padding (the crate's `STANDARD`).
    Standard,
    /// nginx's `ngx.decode_base64` once the caller has cut the value at its first `=`: the
    /// standard alphabet, no padding, leftover bits ignored.
    Nginx,
}

/// In [`SYMBOLS`]: a symbol of the URL-safe alphabet only (`-`, `_`).
const URL_ONLY: u8 = 0x40;
/// In [`SYMBOLS`]: a symbol of the standard alphabet only (`+`, `/`).
const STANDARD_ONLY: u8 = 0x80;

/// The 6-bit value of each symbol of either alphabet (A-Z 0-25, a-z 26-51, 0-9 52-61, then 62
/// and 63: `-` and `_` marked [`URL_ONLY`], `+` and `/` marked [`STANDARD_ONLY`]); 0xff, both
/// marks, for any other byte. One table for both (a table apiece measured no faster): a
/// decoder refuses a byte with the other alphabet's mark.
#[allow(clippy::indexing_slicing)] // Evaluated when compiled: an index out of range fails the build.
const SYMBOLS: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut i = 0;
    while i < 26 {
        table[b'A' as usize + i] = i as u8;
        table[b'a' as usize + i] = 26 + i as u8;
        if i < 10 {
            table[b'0' as usize + i] = 52 + i as u8;
        }
        i += 1;
    }
    table[b'-' as usize] = 62 | URL_ONLY;
    table[b'_' as usize] = 63 | URL_ONLY;
    table[b'+' as usize] = 62 | STANDARD_ONLY;
    table[b'/' as usize] = 63 | STANDARD_ONLY;
    table
};

/// Decodes `input` into the start of `out`: the bytes written, or `None` when `input` does not
/// follow `rules` (or `out` is short: it needs room for one byte more than the decoded ones, as
/// each quad is written as a word).
pub fn decode(input: &[u8], rules: Rules, out: &mut [u8]) -> Option<usize> {
    let refused = if rules == Rules::UrlSafe {
        u32::from(STANDARD_ONLY)
    } else {
        u32::from(URL_ONLY)
    };
    let symbol = |b: u8| u32::from(SYMBOLS.get(usize::from(b)).copied().unwrap_or(0xff));
    // Whole quads first, then the last one to four bytes (padding may only be there), as the
    // crate splits them; a last quad of four bytes not ending in `=` goes with the whole ones,
    // which decode it as the crate's last-quad rules do (four symbols carry three bytes and no
    // spare bits; a `=` inside it is refused either way).
    let rem = input.len() % 4;
    let last = if rem == 0 && input.last() == Some(&b'=') {
        4
    } else {
        rem
    };
    let (quads, suffix) = input.split_at_checked(input.len() - last)?;
    // Each quad's three bytes are stored as one word, whose fourth byte the next quad writes
    // over; a stranger is told by its marks, checked once after the loop.
    let (mut at, mut to, mut marks) = (0, 0, 0);
    while let Some(&[a, b, c, d]) = quads.get(at..at + 4) {
        let (a, b, c, d) = (symbol(a), symbol(b), symbol(c), symbol(d));
        marks |= a | b | c | d;
        let n = (a & 63) << 18 | (b & 63) << 12 | (c & 63) << 6 | (d & 63);
        let word = (n >> 16 & 0xff) | (n & 0xff00) | (n & 0xff) << 16;
        out.get_mut(to..to + 4)?
            .copy_from_slice(&word.to_le_bytes());
        at += 4;
        to += 3;
    }
    if marks & refused != 0 {
        return None;
    }
    if suffix.is_empty() {
        return Some(to);
    }
    let (mut n, mut morsels, mut pads) = (0u32, 0u32, 0u32);
    for (i, &b) in suffix.iter().enumerate() {
        if b == b'=' {
            // Padding never takes the first two places of the last quad.
            if i < 2 {
                return None;
            }
            pads += 1;
        } else {
            let v = symbol(b);
            if pads > 0 || v & refused != 0 {
                return None;
            }
            n = n << 6 | (v & 63);
            morsels += 1;
        }
    }
    let canonical = morsels + pads == 4;
    let padding_ok = match rules {
        Rules::UrlSafe => true,
        Rules::Standard => canonical,
        Rules::Nginx => pads == 0,
    };
    if morsels < 2 || !padding_ok {
        return None;
    }
    // 2, 3 or 4 symbols carry 1, 2 or 3 bytes; the bits left over must be zero but for nginx.
    let bytes = morsels * 6 / 8;
    let spare = morsels * 6 - bytes * 8;
    if rules != Rules::Nginx && n & ((1 << spare) - 1) != 0 {
        return None;
    }
    n >>= spare;
    for shift in [16, 8, 0] {
        if bytes * 8 > shift {
            *out.get_mut(to)? = (n >> shift) as u8;
            to += 1;
        }
    }
    Some(to)
}

/// [`decode`] into a vector of its own.
pub fn decoded(input: &[u8], rules: Rules) -> Option<Vec<u8>> {
    let mut out = vec![0; input.len() / 4 * 3 + 4];
    let n = decode(input, rules, &mut out)?;
    out.truncate(n);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    use base64::engine::DecodePaddingMode;
    use base64::Engine;
    use proptest::prelude::*;

    /// The engine JWT segments were decoded with before this module.
    const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    /// The engine nginx's decoder was read with before this module (after the cut at `=`).
    const NGINX: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::RequireNone)
            .with_decode_allow_trailing_bits(true),
    );

    /// Each set of rules against its engine, in a buffer with no more room than it asks for.
    fn agree(input: &[u8]) {
        for (rules, engine) in [
            (Rules::UrlSafe, &URL_SAFE_LENIENT),
            (Rules::Standard, &base64::engine::general_purpose::STANDARD),
            (Rules::Nginx, &NGINX),
        ] {
            let room = input.len() / 4 * 3 + input.len() % 4;
            let mut out = vec![0xa5; room + 1];
            let ours = decode(input, rules, &mut out).map(|n| out[..n].to_vec());
            let theirs = engine.decode(input).ok();
            assert_eq!(
                ours,
                theirs,
                "{rules:?} {:?}",
                String::from_utf8_lossy(input)
            );
            assert_eq!(decoded(input, rules), theirs);
        }
    }

    #[test]
    fn decodes_as_the_crate_does() {
        // Every string of up to six bytes over symbols of both alphabets, padding and strangers.
        let alphabet = b"AQw_-=/+.";
        let mut inputs = vec![Vec::new()];
        for len in 1..=6u32 {
            for mut i in 0..alphabet.len().pow(len) {
                let mut input = Vec::new();
                for _ in 0..len {
                    input.push(alphabet[i % alphabet.len()]);
                    i /= alphabet.len();
                }
                inputs.push(input);
            }
        }
        for input in inputs {
            agree(&input);
        }
    }

    #[test]
    fn every_byte_as_the_crate_reads_it() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut input = *b"QUJDRA==";
                input[at] = b;
                agree(&input);
                agree(&input[..6]);
            }
        }
    }

    proptest! {
        #[test]
        fn agrees_on_longer_input(input in "[A-Za-z0-9_=+/-]{0,120}") {
            agree(input.as_bytes());
        }

        #[test]
        fn agrees_on_encoded_bytes(bytes in prop::collection::vec(any::<u8>(), 0..100)) {
            let standard = base64::engine::general_purpose::STANDARD.encode(&bytes);
            agree(standard.as_bytes());
            agree(URL_SAFE_LENIENT.encode(&bytes).as_bytes());
            agree(standard.trim_end_matches('=').as_bytes());
        }
    }
}
