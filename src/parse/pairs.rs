//! The proxy-wasm header-map wire format, read with every length checked. The SDK's own reader
//! (proxy-wasm 0.2.5 `deserialize_map_bytes`) slices blindly and panics on a buffer shorter than
//! its sizes say, and ngx_wasm_module 9136e463 hands over exactly such a buffer when a request
//! has 98 to 100+ headers (src/common/proxy_wasm/ngx_proxy_wasm_util.c:285-350 sizes the buffer
//! for other pairs than :354-460 write into it). This reader never panics: it keeps every pair
//! that lies wholly inside the buffer and says when it stopped early.
//!
//! Wire format: `u32 LE count`, `count` × (`u32 LE name_len`, `u32 LE value_len`), then every
//! pair as `name \0 value \0`.

/// The pairs read from one buffer, held as spans of it: reading a request's headers allocates
/// two lists, not two strings per header (each allocation costs ~300 wasm instructions).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pairs {
    /// The buffer as the host handed it over.
    bytes: Vec<u8>,
    /// Every complete pair, in order.
    spans: Vec<Span>,
    /// The count the buffer declared.
    pub declared: u32,
    /// The bytes of every complete pair's name, together: the room their copy needs, counted
    /// while the sizes are read (a pass of its own costs ~30 wasm instructions a header).
    name_bytes: usize,
}

/// Where one pair's name and value lie in the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) name: (usize, usize),
    pub(crate) value: (usize, usize),
}

impl Pairs {
    /// How many complete pairs were read.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Every complete pair, in order, as raw bytes.
    #[cfg(test)]
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.spans
            .iter()
            .map(|span| (self.slice(span.name), self.slice(span.value)))
    }

    /// Every complete pair: its name, and where its value lies in the buffer (which
    /// [`crate::parse::request::Headers`] keeps).
    pub fn iter_spans(&self) -> impl Iterator<Item = (&[u8], (usize, usize))> + '_ {
        self.spans
            .iter()
            .map(|span| (self.slice(span.name), span.value))
    }

    /// The value at `span`.
    pub fn value(&self, span: (usize, usize)) -> &[u8] {
        self.slice(span)
    }

    /// The buffer and the spans, for [`crate::parse::request::Headers`] to keep.
    /// The bytes of every pair's name, together.
    pub fn name_bytes(&self) -> usize {
        self.name_bytes
    }

    pub(crate) fn into_parts(self) -> (Vec<u8>, Vec<Span>) {
        (self.bytes, self.spans)
    }

    fn slice(&self, (start, end): (usize, usize)) -> &[u8] {
        self.bytes.get(start..end).unwrap_or_default()
    }

    /// Whether the buffer held fewer complete pairs than it declared (a cut or garbled buffer).
    #[cfg(test)]
    pub fn cut(&self) -> bool {
        usize::try_from(self.declared).map_or(true, |d| self.len() < d)
    }
}

/// Reads a serialized header map. An empty buffer is an empty map. Reading stops at the first
/// pair whose sizes or bytes do not fit, or whose terminators are not NUL; what came before is
/// kept.
#[cfg(test)]
pub fn parse(bytes: Vec<u8>) -> Pairs {
    parse_into(bytes, &mut Vec::new())
}

/// [`parse`], the spans written into `room`'s buffer when it has room for them all (see
/// [`lend`]): the glue hands over the list of the worker's last 401.
pub fn parse_into(bytes: Vec<u8>, room: &mut Vec<Span>) -> Pairs {
    let Some(declared) = read_u32(&bytes, 0) else {
        return Pairs::default();
    };
    let count = usize::try_from(declared).unwrap_or(usize::MAX);
    // Room for every pair the buffer can hold (each takes at least 10 bytes) at once: growing the
    // list costs a copy of it each time, on every 401.
    let mut spans = lend(room, count.min(bytes.len() / 10));
    // The data starts after the whole size table; a count the buffer cannot hold has none.
    let table = count
        .checked_mul(8)
        .and_then(|size| size.checked_add(4))
        .and_then(|end| bytes.get(4..end).map(|table| (table, end)));
    let mut name_bytes = 0;
    if let Some((table, mut data)) = table {
        // The table walked eight bytes at a time, each pair's two sizes taken from the chunk
        // itself: no bounds check per size (every instruction counts, on every 401).
        for sizes in table.chunks_exact(8) {
            let &[a, b, c, d, e, f, g, h] = sizes else {
                break;
            };
            let name_len = u32::from_le_bytes([a, b, c, d]);
            let value_len = u32::from_le_bytes([e, f, g, h]);
            let Some(name) = terminated(&bytes, data, name_len) else {
                break;
            };
            let Some(value) = terminated(&bytes, name.1 + 1, value_len) else {
                break;
            };
            spans.push(Span { name, value });
            name_bytes += name.1 - name.0;
            data = value.1 + 1;
        }
    }
    Pairs {
        bytes,
        spans,
        declared,
        name_bytes,
    }
}

/// `room`'s buffer, emptied, when it has room for `needed` items (`room` is left empty); a new
/// one otherwise, `room` left as it is. The glue's spare buffers are lent this way so that they
/// never grow: a grown one would be freed and allocated anew among a request's buffers (see
/// glue::spare).
pub(crate) fn lend<T>(room: &mut Vec<T>, needed: usize) -> Vec<T> {
    if needed <= room.capacity() {
        let mut lent = std::mem::take(room);
        lent.clear();
        lent
    } else {
        Vec::with_capacity(needed)
    }
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let raw = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(raw.try_into().ok()?))
}

/// `len` bytes at `at` followed by a NUL: where they start and end (the NUL's position).
fn terminated(bytes: &[u8], at: usize, len: u32) -> Option<(usize, usize)> {
    let end = at.checked_add(usize::try_from(len).ok()?)?;
    (end <= bytes.len() && bytes.get(end) == Some(&0)).then_some((at, end))
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
        let parsed = parse(serialize(SAMPLE));
        assert_eq!(parsed.declared, 4);
        assert!(!parsed.cut());
        let read: Vec<(&[u8], &[u8])> = parsed.iter().collect();
        assert_eq!(read, SAMPLE);
        assert_eq!(parsed.name_bytes(), 5 + 4 + 7 + 5);
        assert_eq!(parse(Vec::new()), Pairs::default());
        let empty = parse(vec![0, 0, 0, 0]);
        assert_eq!((empty.len(), empty.declared, empty.cut()), (0, 0, false));
    }

    /// Every prefix of a good buffer: the complete pairs before the cut, never a panic.
    #[test]
    fn every_truncation_keeps_the_complete_pairs() {
        let full = serialize(SAMPLE);
        for cut in 0..full.len() {
            let parsed = parse(full[..cut].to_vec());
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
            assert_eq!(parsed.len(), expected, "cut at {cut}");
            let names: usize = SAMPLE.iter().take(expected).map(|(n, _)| n.len()).sum();
            assert_eq!(parsed.name_bytes(), names, "cut at {cut}");
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
        let parsed = parse(short.to_vec());
        assert_eq!(parsed.declared, 100);
        assert!(parsed.cut());
        // Each trailing ("a", "") pair holds 3 data bytes: 26 bytes short loses the last 9.
        assert_eq!(parsed.len(), 91);
        assert_eq!(parsed.iter().nth(4), Some((&b"host"[..], &b"x"[..])));
    }

    #[test]
    fn oversized_lengths_and_counts_stop_reading() {
        let mut bytes = serialize(SAMPLE);
        // The second pair's name length, far past the end.
        bytes[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        let parsed = parse(bytes);
        assert_eq!(parsed.len(), 1);
        assert!(parsed.cut());
        // A count whose size table cannot fit.
        let parsed = parse(vec![0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0]);
        assert!(parsed.len() == 0 && parsed.cut());
        // A missing NUL terminator.
        let parsed = parse(vec![1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, b'a', 1, b'b', 0]);
        assert!(parsed.len() == 0 && parsed.cut());
        // Longer than declared: the rest is ignored.
        let mut long = serialize(SAMPLE);
        long.extend_from_slice(b"garbage");
        assert_eq!(parse(long).len(), SAMPLE.len());
    }
}
