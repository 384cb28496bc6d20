//! The proxy-wasm header-map wire format, read with every length checked. The SDK's own reader
//! (proxy-wasm 0.2.5 `deserialize_map_bytes`) slices blindly and panics on a buffer shorter than
//! its sizes say, and ngx_wasm_module 9136e463 hands over exactly such a buffer when a request
//! has 98 to 100+ headers (src/common/proxy_wasm/ngx_proxy_wasm_util.c:285-350 sizes the buffer
//! for other pairs than :354-460 write into it). This reader never panics: it keeps every pair
//! that lies wholly inside the buffer and says when it stopped early.
//!
//! Wire format: `u32 LE count`, `count` × (`u32 LE name_len`, `u32 LE value_len`), then every
//! pair as `name \0 value \0`.

/// The pairs read from one buffer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pairs {
    /// Every complete pair, in order; a name that is not UTF-8 is read lossily.
    pub pairs: Vec<(String, Vec<u8>)>,
    /// The count the buffer declared.
    pub declared: u32,
}

impl Pairs {
    /// Whether the buffer held fewer complete pairs than it declared (a cut or garbled buffer).
    #[cfg(test)]
    pub fn cut(&self) -> bool {
        usize::try_from(self.declared).map_or(true, |d| self.pairs.len() < d)
    }
}

/// Reads a serialized header map. An empty buffer is an empty map. Reading stops at the first
/// pair whose sizes or bytes do not fit, or whose terminators are not NUL; what came before is
/// kept.
pub fn parse(bytes: &[u8]) -> Pairs {
    let Some(declared) = read_u32(bytes, 0) else {
        return Pairs::default();
    };
    let count = usize::try_from(declared).unwrap_or(usize::MAX);
    // Room for every pair the buffer can hold (each takes at least 10 bytes) at once: growing the
    // list costs a copy of it each time, on every 401.
    let mut out = Pairs {
        pairs: Vec::with_capacity(count.min(bytes.len() / 10)),
        declared,
    };
    // The data starts after the whole size table; a count the buffer cannot hold has none.
    let Some(mut data) = count
        .checked_mul(8)
        .and_then(|table| table.checked_add(4))
        .filter(|&start| start <= bytes.len())
    else {
        return out;
    };
    for n in 0..count {
        let sizes = 4 + n * 8;
        let (Some(name_len), Some(value_len)) =
            (read_u32(bytes, sizes), read_u32(bytes, sizes + 4))
        else {
            break;
        };
        let Some((name, after_name)) = terminated(bytes, data, name_len) else {
            break;
        };
        let Some((value, after_value)) = terminated(bytes, after_name, value_len) else {
            break;
        };
        // `from_utf8` first: its ASCII fast path costs a fraction of the lossy decoder's, and
        // header names are ASCII.
        let name = match std::str::from_utf8(name) {
            Ok(name) => name.to_owned(),
            Err(_) => String::from_utf8_lossy(name).into_owned(),
        };
        out.pairs.push((name, value.to_vec()));
        data = after_value;
    }
    out
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let raw = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(raw.try_into().ok()?))
}

/// `len` bytes at `at` followed by a NUL: the slice and the position after the NUL.
fn terminated(bytes: &[u8], at: usize, len: u32) -> Option<(&[u8], usize)> {
    let end = at.checked_add(usize::try_from(len).ok()?)?;
    let slice = bytes.get(at..end)?;
    (bytes.get(end) == Some(&0)).then_some((slice, end + 1))
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// The wire format as a host writes it.
    pub fn serialize(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut out = (pairs.len() as u32).to_le_bytes().to_vec();
        for (n, v) in pairs {
            out.extend_from_slice(&(n.len() as u32).to_le_bytes());
            out.extend_from_slice(&(v.len() as u32).to_le_bytes());
        }
        for (n, v) in pairs {
            out.extend_from_slice(n);
            out.push(0);
            out.extend_from_slice(v);
            out.push(0);
        }
        out
    }

    const SAMPLE: &[(&[u8], &[u8])] = &[
        (b":path", b"/orders"),
        (b"host", b"api.example.com"),
        (b"x-empty", b""),
        (b"\xffname", b"\xfe\x00v"),
    ];

    #[test]
    fn reads_what_a_host_writes() {
        let parsed = parse(&serialize(SAMPLE));
        assert_eq!(parsed.declared, 4);
        assert!(!parsed.cut());
        let names: Vec<&str> = parsed.pairs.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, [":path", "host", "x-empty", "\u{fffd}name"]);
        assert_eq!(parsed.pairs[3].1, b"\xfe\x00v");
        assert_eq!(parse(&[]), Pairs::default());
        assert_eq!(parse(&[0, 0, 0, 0]), Pairs::default());
    }

    /// Every prefix of a good buffer: the complete pairs before the cut, never a panic.
    #[test]
    fn every_truncation_keeps_the_complete_pairs() {
        let full = serialize(SAMPLE);
        for cut in 0..full.len() {
            let parsed = parse(&full[..cut]);
            assert!(parsed.cut() || cut < 4, "cut at {cut}");
            // Pair k ends where its value's NUL does: it survives a cut at or after that.
            let mut end = 4 + 8 * SAMPLE.len();
            let mut expected = 0;
            for (n, v) in SAMPLE {
                end += n.len() + v.len() + 2;
                if end <= cut {
                    expected += 1;
                }
            }
            assert_eq!(parsed.pairs.len(), expected, "cut at {cut}");
        }
    }

    /// The ngx_wasm_module short buffer: sized for other pairs than the ones written.
    #[test]
    fn a_short_buffer_from_the_module_keeps_its_prefix() {
        let mut pairs: Vec<(&[u8], &[u8])> = vec![
            (b":path", b"/"),
            (b":method", b"GET"),
            (b":scheme", b"http"),
            (b":authority", b"kong:8000"),
            (b"host", b"x"),
        ];
        pairs.extend(std::iter::repeat((&b"a"[..], &b""[..])).take(95));
        let full = serialize(&pairs);
        let short = &full[..full.len() - 26];
        let parsed = parse(short);
        assert_eq!(parsed.declared, 100);
        assert!(parsed.cut());
        // Each trailing ("a", "") pair holds 3 data bytes: 26 bytes short loses the last 9.
        assert_eq!(parsed.pairs.len(), 91);
        assert_eq!(parsed.pairs[4], ("host".to_string(), b"x".to_vec()));
    }

    #[test]
    fn oversized_lengths_and_counts_stop_reading() {
        let mut bytes = serialize(SAMPLE);
        // The second pair's name length, far past the end.
        bytes[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        let parsed = parse(&bytes);
        assert_eq!(parsed.pairs.len(), 1);
        assert!(parsed.cut());
        // A count whose size table cannot fit.
        let parsed = parse(&[0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0]);
        assert!(parsed.pairs.is_empty() && parsed.cut());
        // A missing NUL terminator.
        let parsed = parse(&[1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, b'a', 1, b'b', 0]);
        assert!(parsed.pairs.is_empty() && parsed.cut());
        // Longer than declared: the rest is ignored.
        let mut long = serialize(SAMPLE);
        long.extend_from_slice(b"garbage");
        assert_eq!(parse(&long).pairs.len(), SAMPLE.len());
    }
}
