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

    /// Sets the first pair named `name` to `value` and removes the others, or appends it when
    /// absent (`proxy_replace_header_map_value`).
    pub fn replace(&mut self, name: &[u8], value: &[u8]) {
        let mut seen = false;
        self.pairs.retain_mut(|(n, v)| {
            if !n.eq_ignore_ascii_case(name) {
                return true;
            }
            if seen {
                return false;
            }
            seen = true;
            *v = value.to_vec();
            true
        });
        if !seen {
            self.add(name, value);
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
        let mut map = HeaderMap::from_pairs([("A", "1"), ("b", "2"), ("a", "3")]);
        assert_eq!(map.get(b"a"), Some(&b"1"[..]));
        assert_eq!(map.get_all(b"A").count(), 2);
        map.replace(b"a", b"x");
        assert_eq!(map, HeaderMap::from_pairs([("A", "x"), ("b", "2")]));
        map.replace(b"c", b"y");
        assert_eq!(map.get(b"C"), Some(&b"y"[..]));
        map.add(b"b", b"z");
        map.remove(b"B");
        assert_eq!(map, HeaderMap::from_pairs([("A", "x"), ("c", "y")]));
    }
}
