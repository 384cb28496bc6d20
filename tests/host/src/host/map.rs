//! Header maps as the proxy-wasm ABI 0.2.1 sees them: an ordered list of (name, value) byte pairs,
//! duplicates kept, names matched ASCII-case-insensitively, values arbitrary bytes.
//!
//! Wire format (`proxy_get_header_map_pairs`, `proxy_set_header_map_pairs`, local response
//! headers): `u32 LE count`, then `(u32 LE name_len, u32 LE value_len)` per pair, then every pair
//! as `name \0 value \0`.

use std::fmt;

/// One header: raw name and raw value.
pub type Pair = (Vec<u8>, Vec<u8>);

/// An ordered multimap of headers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderMap {
    pairs: Vec<Pair>,
}

/// A serialized map the host could not decode (the guest sent garbage).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapError(pub &'static str);

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed header map: {}", self.0)
    }
}

impl std::error::Error for MapError {}

impl HeaderMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a map from pairs, keeping their order.
    pub fn from_pairs<N, V, I>(pairs: I) -> Self
    where
        N: Into<Vec<u8>>,
        V: Into<Vec<u8>>,
        I: IntoIterator<Item = (N, V)>,
    {
        Self {
            pairs: pairs
                .into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        }
    }

    /// Number of pairs (duplicates counted).
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether the map holds no pair.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The pairs in order.
    pub fn pairs(&self) -> &[Pair] {
        &self.pairs
    }

    /// Iterates over (name, value) in order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.pairs.iter().map(|(n, v)| (n.as_slice(), v.as_slice()))
    }

    /// The first value under `name` (case-insensitive).
    pub fn get(&self, name: &[u8]) -> Option<&[u8]> {
        self.pairs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// Every value under `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.pairs
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// The first value under `name` as text (lossy), if present.
    pub fn get_str(&self, name: &str) -> Option<String> {
        self.get(name.as_bytes())
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// Appends a pair (`proxy_add_header_map_value`).
    pub fn add(&mut self, name: &[u8], value: &[u8]) {
        self.pairs.push((name.to_vec(), value.to_vec()));
    }

    /// `proxy_replace_header_map_value` as ngx_wasm_module 9136e463 does it
    /// (src/http/ngx_http_wasm_headers.c:140-206, ngx_http_wasm_set_header_helper): absent, the
    /// pair is appended; present once, its value is replaced; present twice or more, the first
    /// is updated, the second cleared and the scan restarts (`goto again`), and the restart
    /// clears the updated one too: every copy is gone and nothing is added (a module bug).
    pub fn replace(&mut self, name: &[u8], value: &[u8]) {
        match self.get_all(name).count() {
            0 => self.add(name, value),
            1 => {
                for (n, v) in &mut self.pairs {
                    if n.eq_ignore_ascii_case(name) {
                        *v = value.to_vec();
                    }
                }
            }
            _ => self.remove(name),
        }
    }

    /// Removes every pair named `name` (`proxy_remove_header_map_value`).
    pub fn remove(&mut self, name: &[u8]) {
        self.pairs.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// Serializes the map in the ABI wire format.
    pub fn serialize(&self) -> Vec<u8> {
        let size = 4 + self
            .pairs
            .iter()
            .map(|(n, v)| 10 + n.len() + v.len())
            .sum::<usize>();
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(&wire_len(self.pairs.len()).to_le_bytes());
        for (name, value) in &self.pairs {
            out.extend_from_slice(&wire_len(name.len()).to_le_bytes());
            out.extend_from_slice(&wire_len(value.len()).to_le_bytes());
        }
        for (name, value) in &self.pairs {
            out.extend_from_slice(name);
            out.push(0);
            out.extend_from_slice(value);
            out.push(0);
        }
        out
    }

    /// Decodes the ABI wire format. An empty buffer is an empty map; anything truncated,
    /// oversized or missing its NUL terminators is an error, never a panic.
    pub fn deserialize(bytes: &[u8]) -> Result<Self, MapError> {
        if bytes.is_empty() {
            return Ok(Self::new());
        }
        let mut cursor = Cursor { bytes, pos: 0 };
        let count = cursor.u32()? as usize;
        // Every pair needs at least 8 bytes of sizes and 2 terminators.
        if count > bytes.len() / 10 {
            return Err(MapError("pair count larger than the buffer"));
        }
        let mut sizes = Vec::with_capacity(count);
        for _ in 0..count {
            let name_len = cursor.u32()? as usize;
            let value_len = cursor.u32()? as usize;
            sizes.push((name_len, value_len));
        }
        let mut pairs = Vec::with_capacity(count);
        for (name_len, value_len) in sizes {
            let name = cursor.terminated(name_len)?;
            let value = cursor.terminated(value_len)?;
            pairs.push((name.to_vec(), value.to_vec()));
        }
        Ok(Self { pairs })
    }
}

/// What ngx_wasm_module 9136e463 does for `proxy_get_header_map_pairs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marshalled {
    /// The bytes it writes, from the start of the buffer.
    pub bytes: Vec<u8>,
    /// The size it allocates in the guest and hands over as the buffer's length.
    pub size: usize,
    /// `Some(n)` when it cut the map to `n` pairs (and logs "marshalled map truncated to n
    /// elements" at warn, src/common/proxy_wasm/ngx_proxy_wasm_host.c:573-577).
    pub truncated: Option<usize>,
}

impl Marshalled {
    /// The buffer as the filter reads it: `size` bytes from the start. Past what was written
    /// (97 pairs) the guest's allocation holds whatever it held: zeros here, which a reader
    /// never reaches (the declared pairs all come before).
    pub fn as_read(&self) -> Vec<u8> {
        let mut read = self.bytes.clone();
        read.resize(self.size, 0);
        read
    }
}

/// Pairs the module hands a filter at most (src/http/ngx_http_wasm.h:16
/// `NGX_HTTP_WASM_MAX_REQ_HEADERS`, set as the filter's max_pairs in ngx_http_wasm_util.c:473).
pub const MAX_PAIRS: usize = 100;

/// Marshals `extras` (the pseudo-headers, ngx_proxy_wasm_maps.c:169-194) and `list` (nginx's
/// header list) the way the module does, bug included: the size is computed by
/// ngx_proxy_wasm_pairs_size (src/common/proxy_wasm/ngx_proxy_wasm_util.c:285-350), which
/// counts the list first and stops its extras loop one pair late, while
/// ngx_proxy_wasm_pairs_marshal (:354-460) writes the extras first and cuts the list. Up to
/// 96 headers (with 4 pseudo-headers) the two agree. With 97 the buffer is longer than the
/// pairs; with 98 and more it is sized for list headers that are not written, so when those
/// are shorter than the pseudo-headers written instead, the size handed over is short (the SDK's
/// map reader then panics) and the module writes past the end of the buffer it allocated.
pub fn marshal(extras: &[Pair], list: &[Pair], max: usize) -> Marshalled {
    let cost = |(n, v): &Pair| 8 + n.len() + 1 + v.len() + 1;
    // ngx_proxy_wasm_pairs_size.
    let mut size = 4;
    let mut n = 0;
    for pair in list {
        size += cost(pair);
        n += 1;
        if max != 0 && n >= max {
            break;
        }
    }
    for pair in extras {
        size += cost(pair);
        if max != 0 && n >= max {
            break;
        }
        n += 1;
    }
    // ngx_proxy_wasm_pairs_marshal.
    let mut count = list.len() + extras.len();
    let mut truncated = None;
    if max != 0 && count > max {
        count = max;
        truncated = Some(count);
    }
    let written: Vec<&Pair> = extras.iter().chain(list).take(count).collect();
    let mut bytes = Vec::with_capacity(size.max(4));
    bytes.extend_from_slice(&wire_len(count).to_le_bytes());
    for (name, value) in &written {
        bytes.extend_from_slice(&wire_len(name.len()).to_le_bytes());
        bytes.extend_from_slice(&wire_len(value.len()).to_le_bytes());
    }
    for (name, value) in &written {
        bytes.extend_from_slice(name);
        bytes.push(0);
        bytes.extend_from_slice(value);
        bytes.push(0);
    }
    Marshalled {
        bytes,
        size,
        truncated,
    }
}

impl HeaderMap {
    /// Splits the map into the pseudo-headers (names starting with `:`, the module's "extras")
    /// and nginx's header list, and marshals them as [`marshal`] does.
    pub fn marshal(&self) -> Marshalled {
        let (extras, list): (Vec<Pair>, Vec<Pair>) = self
            .pairs
            .iter()
            .cloned()
            .partition(|(n, _)| n.first() == Some(&b':'));
        marshal(&extras, &list, MAX_PAIRS)
    }

    /// Pairs that are not pseudo-headers: the `num_headers` ngx_wasm_module passes to the
    /// headers callbacks (src/http/proxy_wasm/ngx_http_proxy_wasm.c:25, 183-184).
    pub fn header_count(&self) -> usize {
        self.pairs
            .iter()
            .filter(|(n, _)| n.first() != Some(&b':'))
            .count()
    }
}

impl<'a> IntoIterator for &'a HeaderMap {
    type Item = &'a Pair;
    type IntoIter = std::slice::Iter<'a, Pair>;

    fn into_iter(self) -> Self::IntoIter {
        self.pairs.iter()
    }
}

/// Lengths on the wire are u32; a map cannot exceed guest memory (4 GiB), so saturating is only
/// a formality.
fn wire_len(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8], MapError> {
        let end = self.pos.checked_add(len).ok_or(MapError("size overflow"))?;
        let slice = self.bytes.get(self.pos..end).ok_or(MapError("truncated"))?;
        self.pos = end;
        Ok(slice)
    }

    fn u32(&mut self) -> Result<u32, MapError> {
        let raw = self.take(4)?;
        let raw: [u8; 4] = raw.try_into().map_err(|_| MapError("truncated"))?;
        Ok(u32::from_le_bytes(raw))
    }

    fn terminated(&mut self, len: usize) -> Result<&'a [u8], MapError> {
        let data = self.take(len)?;
        match self.take(1)? {
            [0] => Ok(data),
            _ => Err(MapError("missing NUL terminator")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> HeaderMap {
        HeaderMap::from_pairs([
            (":method", "GET"),
            (":path", "/bytes/1"),
            (":authority", "httpbin.org"),
            ("Powered-By", "proxy-wasm"),
        ])
    }

    /// The SDK's own fixture (proxy-wasm 0.2.5 hostcalls.rs, `SERIALIZED_MAP`).
    #[rustfmt::skip]
    const SDK_FIXTURE: &[u8] = &[
        4, 0, 0, 0,
        7, 0, 0, 0, 3, 0, 0, 0,
        5, 0, 0, 0, 8, 0, 0, 0,
        10, 0, 0, 0, 11, 0, 0, 0,
        10, 0, 0, 0, 10, 0, 0, 0,
        58, 109, 101, 116, 104, 111, 100, 0,
        71, 69, 84, 0,
        58, 112, 97, 116, 104, 0,
        47, 98, 121, 116, 101, 115, 47, 49, 0,
        58, 97, 117, 116, 104, 111, 114, 105, 116, 121, 0,
        104, 116, 116, 112, 98, 105, 110, 46, 111, 114, 103, 0,
        80, 111, 119, 101, 114, 101, 100, 45, 66, 121, 0,
        112, 114, 111, 120, 121, 45, 119, 97, 115, 109, 0,
    ];

    #[test]
    fn serializes_like_the_sdk() {
        assert_eq!(sample().serialize(), SDK_FIXTURE);
        assert_eq!(HeaderMap::deserialize(SDK_FIXTURE).unwrap(), sample());
    }

    #[test]
    fn round_trips_arbitrary_bytes() {
        let mut map = HeaderMap::new();
        map.add(b"x-bin", &[0xff, 0x00, 0xfe, b'\n']);
        map.add(b"x-bin", b"");
        map.add(b"", b"empty name");
        let bytes = map.serialize();
        assert_eq!(HeaderMap::deserialize(&bytes).unwrap(), map);
        assert_eq!(HeaderMap::new().serialize(), [0, 0, 0, 0]);
        assert!(HeaderMap::deserialize(&[]).unwrap().is_empty());
        assert!(HeaderMap::deserialize(&[0, 0, 0, 0]).unwrap().is_empty());
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        let good = sample().serialize();
        for cut in 1..good.len() {
            assert!(
                HeaderMap::deserialize(&good[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        assert!(HeaderMap::deserialize(&[0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(HeaderMap::deserialize(&[1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]).is_err());
        // Sizes fine, terminator wrong.
        assert!(
            HeaderMap::deserialize(&[1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, b'a', 1, b'b', 0])
                .is_err()
        );
    }

    #[test]
    fn edits_follow_the_abi() {
        let mut map = HeaderMap::from_pairs([("A", "1"), ("b", "2")]);
        assert_eq!(map.get(b"a"), Some(&b"1"[..]));
        map.replace(b"a", b"x");
        assert_eq!(map, HeaderMap::from_pairs([("A", "x"), ("b", "2")]));
        map.replace(b"c", b"y");
        assert_eq!(map.get(b"C"), Some(&b"y"[..]));
        map.add(b"b", b"z");
        assert_eq!(map.get_all(b"B").count(), 2);
        map.remove(b"B");
        assert_eq!(map, HeaderMap::from_pairs([("A", "x"), ("c", "y")]));
    }

    /// ngx_http_wasm_headers.c:140-206: replacing a header present twice clears both copies
    /// (the restart after clearing the second finds the updated first one and clears it) and
    /// adds nothing.
    #[test]
    fn replace_of_a_doubled_header_clears_every_copy() {
        let mut map = HeaderMap::from_pairs([
            ("X-Auth-Diagnosis", "a"),
            ("b", "2"),
            ("x-auth-diagnosis", "c"),
        ]);
        map.replace(b"x-auth-diagnosis", b"ours");
        assert_eq!(map, HeaderMap::from_pairs([("b", "2")]));
        // Remove, then add: what a filter must do instead.
        let mut map = HeaderMap::from_pairs([("X-Auth-Diagnosis", "a"), ("x-auth-diagnosis", "c")]);
        map.remove(b"x-auth-diagnosis");
        map.add(b"X-Auth-Diagnosis", b"ours");
        assert_eq!(map, HeaderMap::from_pairs([("X-Auth-Diagnosis", "ours")]));
    }

    fn request_map(headers: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::from_pairs([
            (":path", "/"),
            (":method", "GET"),
            (":scheme", "http"),
            (":authority", "kong:8000"),
        ]);
        for (n, v) in headers {
            map.add(n.as_bytes(), v.as_bytes());
        }
        map
    }

    /// ngx_proxy_wasm_util.c:285-350 against :354-460, with max_pairs 100
    /// (ngx_http_wasm.h:16): exact up to 96 headers, long at 97, short from 98 when the last
    /// headers are smaller than the pseudo-headers, and truncated to 100 pairs past 96.
    #[test]
    fn marshalling_sizes_like_ngx_wasm_module() {
        let names: Vec<String> = (0..120).map(|i| format!("x-{i:03}")).collect();
        let with = |n: usize, value: &'static str| -> HeaderMap {
            let headers: Vec<(&str, &str)> =
                names[..n].iter().map(|h| (h.as_str(), value)).collect();
            request_map(&headers)
        };
        let exact = with(96, "").marshal();
        assert_eq!((exact.bytes.len(), exact.truncated), (exact.size, None));
        assert_eq!(HeaderMap::deserialize(&exact.bytes).unwrap(), with(96, ""));
        let long = with(97, "").marshal();
        assert_eq!(long.truncated, Some(100));
        assert!(long.size > long.bytes.len());
        // 98 headers of 5-byte names: sized for two of them (30 bytes) instead of
        // :authority kong:8000 (29 bytes), one byte too long.
        let m = with(98, "").marshal();
        assert_eq!((m.truncated, m.size), (Some(100), m.bytes.len() + 1));
        for n in [99, 100, 120] {
            let m = with(n, "").marshal();
            assert_eq!(m.truncated, Some(100), "{n}");
            assert!(
                m.size < m.bytes.len(),
                "{n}: size {} written {}",
                m.size,
                m.bytes.len()
            );
            // What is written is the pseudo-headers and the first 96 headers.
            let all = HeaderMap::deserialize(&m.bytes).unwrap();
            assert_eq!(all.len(), 100);
            assert_eq!(all.pairs()[4].0, b"x-000");
            assert_eq!(all.pairs()[99].0, b"x-095");
            assert!(HeaderMap::deserialize(&m.bytes[..m.size]).is_err(), "{n}");
        }
        // Headers as long as the pseudo-headers: the sizes happen to hold.
        let m = with(100, "a-long-enough-value").marshal();
        assert!(m.size >= m.bytes.len());
        // The response map: :status is its only extra.
        let mut response = HeaderMap::from_pairs([(":status", "401")]);
        response.add(b"www-authenticate", b"Bearer");
        let m = response.marshal();
        assert_eq!((m.size, m.truncated), (m.bytes.len(), None));
        assert_eq!(response.header_count(), 1);
        assert_eq!(with(7, "").header_count(), 7);
    }
}
