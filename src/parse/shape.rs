//! JSON read by hand, exactly as serde_json 1.0 accepts it, for the small documents the filter
//! looks into: a JWT's header and payload (only their top-level members, read in place) and, once
//! at configure time, the config (read whole by `parse::json` with this module's [`Reader`]). A
//! reader of just this much keeps serde out of the `.wasm` and reads a JWT without an allocation
//! per member. The rare number forms (fractions, exponents, past 64 bits) are read exactly from
//! their digits (`parse::decimal`), as the nearest f64 would have them.
//!
//! What it accepts is serde_json's (1.0: no `arbitrary_precision`) rule for rule; the tests hold
//! serde_json's reading (with `float_roundtrip`: correctly rounded) as the oracle
//! (`tests::agree`, and `jwt::tests` for whole tokens), so a change of either shows there.

use crate::parse::decimal;
use std::borrow::Cow;

/// One JSON value, reduced to what a JWT's reader looks at: the form the tests' serde_json
/// oracle reads documents into, and [`object`] too, to be compared with it.
#[cfg(test)]
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// An object: its members in document order.
    Object(Vec<(String, Shape)>),
    /// An array: its elements.
    Array(Vec<Shape>),
    /// A number, as Kong's NumericDate reads it (fractions truncated).
    Number(i64),
    /// A string.
    Str(String),
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool,
}

#[cfg(test)]
impl Shape {
    /// A member of an object (the first, if a key repeats).
    pub fn get(&self, key: &str) -> Option<&Shape> {
        match self {
            Shape::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Whether this is an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Shape::Object(_))
    }
}

/// Nesting serde_json refuses (its recursion limit, 128, counts the container that reaches it).
pub(crate) const SERDE_MAX_DEPTH: usize = 127;

/// Reads a document that must be an object; anything else (or bad JSON) is `None`.
#[cfg(test)]
pub fn object(bytes: &[u8]) -> Option<Shape> {
    let mut reader = Reader::new(bytes, SERDE_MAX_DEPTH)?;
    reader.ws();
    if reader.peek() != Some(b'{') {
        return None;
    }
    let shape = reader.tree(1)?;
    reader.end()?;
    Some(shape)
}

/// A top-level member's value, as a JWT's reader needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    /// A string, unescaped (borrowed when it had no escapes).
    Str(Cow<'a, str>),
    /// A number, fractions truncated and out-of-range values saturated.
    Number(i64),
    /// `null`, `true`, `false`, an array or an object.
    Other,
}

/// Checks that `bytes` is one JSON object nested at most `max_depth` deep (itself included),
/// calling `member` with each top-level key and value in document order (repeated keys too).
/// `None` for anything serde_json would refuse, or past `max_depth`.
pub fn members<'a>(
    bytes: &'a [u8],
    max_depth: usize,
    member: &mut dyn FnMut(Cow<'a, str>, Scalar<'a>),
) -> Option<()> {
    let mut reader = Reader::new(bytes, max_depth)?;
    reader.ws();
    if reader.peek() != Some(b'{') {
        return None;
    }
    reader.object(1, &mut |r, key| {
        let value = r.scalar(1)?;
        member(key, value);
        Some(())
    })?;
    reader.end()
}

/// The value of the first top-level member named `key` of an object [`members`] accepted.
#[cfg(test)]
pub fn member<'a>(bytes: &'a [u8], key: &str) -> Option<Scalar<'a>> {
    let mut found = None;
    members(bytes, SERDE_MAX_DEPTH, &mut |k, v| {
        if found.is_none() && k == key {
            found = Some(v);
        }
    })?;
    found
}

/// A number as serde_json sorts it, before it becomes a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number<'a> {
    /// A non-negative integer that fits 64 bits.
    Unsigned(u64),
    /// A negative integer whose magnitude fits 64 bits (not `-0`).
    Negative(u64),
    /// Anything else (a fraction, an exponent, `-0`, past 64 bits): its text, read as a float.
    Float(&'a str),
}

/// A cursor over a document already known to be UTF-8.
pub(crate) struct Reader<'a> {
    text: &'a str,
    at: usize,
    max_depth: usize,
}

impl<'a> Reader<'a> {
    /// `None` when `bytes` is not UTF-8: serde_json refuses such bytes in a string and
    /// everywhere else, so one check up front stands for all.
    pub(crate) fn new(bytes: &'a [u8], max_depth: usize) -> Option<Self> {
        Some(Reader {
            text: std::str::from_utf8(bytes).ok()?,
            at: 0,
            max_depth,
        })
    }

    // The four accessors inlined: they run for nearly every byte, and in the .wasm (built for
    // size) a call per byte costs more than the byte's work.
    #[inline(always)]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    #[inline(always)]
    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    #[inline(always)]
    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.at += 1;
        }
        hit
    }

    /// JSON's four whitespace bytes.
    #[inline(always)]
    pub(crate) fn ws(&mut self) {
        // Plain loops here and below, not iterator adapters: the .wasm is built for size, where
        // an adapter's `next` is a call per byte.
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// How far the reader has come, in bytes: where a refused document went wrong.
    pub(crate) fn offset(&self) -> usize {
        self.at
    }

    fn rest(&self) -> &'a [u8] {
        self.text.as_bytes().get(self.at..).unwrap_or_default()
    }

    /// Only whitespace left.
    pub(crate) fn end(&mut self) -> Option<()> {
        self.ws();
        self.peek().is_none().then_some(())
    }

    pub(crate) fn literal(&mut self, word: &str) -> Option<()> {
        let rest = self.text.as_bytes().get(self.at..)?;
        rest.starts_with(word.as_bytes())
            .then(|| self.at += word.len())
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        self.at - start
    }

    /// A number, as serde_json reads it and `Shape` kept it: an integer that fits 64 bits as
    /// itself (saturated into i64), anything else as the integer part of the nearest f64
    /// (saturated; past f64's range refused, as serde_json refuses it).
    fn number(&mut self) -> Option<i64> {
        Some(match self.number_token()? {
            Number::Unsigned(n) => i64::try_from(n).unwrap_or(i64::MAX),
            // serde_json reads -n as an i64 when it fits, else (and -0) as a float.
            Number::Negative(n) => 0i64.checked_sub_unsigned(n).unwrap_or(i64::MIN),
            Number::Float(text) => decimal::truncated(text)?,
        })
    }

    /// A number's text, checked against JSON's grammar (serde_json's: no leading zeros, digits
    /// after `.` and `e`), sorted the way serde_json sorts it. Inlined: a JWT's `iat`/`exp`/`nbf`
    /// are read on the 401 path, and the call costs ~100 wasm instructions per token (measured).
    #[inline(always)]
    pub(crate) fn number_token(&mut self) -> Option<Number<'a>> {
        let start = self.at;
        let negative = self.eat(b'-');
        let mut significand: Option<u64> = match self.next()? {
            b'0' => {
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return None;
                }
                Some(0)
            }
            b'1'..=b'9' => {
                self.at -= 1;
                let mut n = 0u64;
                let mut fits = true;
                while let Some(d @ b'0'..=b'9') = self.peek() {
                    self.at += 1;
                    let (times_ten, over) = n.overflowing_mul(10);
                    let (next, carry) = times_ten.overflowing_add(u64::from(d - b'0'));
                    fits &= !over & !carry;
                    n = next;
                }
                fits.then_some(n)
            }
            _ => return None,
        };
        if self.eat(b'.') {
            if self.digits() == 0 {
                return None;
            }
            significand = None;
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return None;
            }
            significand = None;
        }
        Some(match significand {
            Some(n) if !negative => Number::Unsigned(n),
            Some(n) if n != 0 => Number::Negative(n),
            _ => Number::Float(self.text.get(start..self.at)?),
        })
    }

    /// Four hex digits of a `\u` escape.
    fn hex4(&mut self) -> Option<u32> {
        let mut code = 0;
        for &b in self.rest().get(..4)? {
            code = code * 16 + char::from(b).to_digit(16)?;
        }
        self.at += 4;
        Some(code)
    }

    /// A string (the reader at its opening quote), unescaped. serde_json refuses control bytes,
    /// unknown escapes and unpaired surrogates.
    pub(crate) fn string(&mut self) -> Option<Cow<'a, str>> {
        self.at += 1;
        let mut start = self.at;
        let mut unescaped: Option<String> = None;
        loop {
            // The run up to the next quote, backslash or control byte.
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.at += 1;
            }
            match self.next()? {
                b'"' => {
                    let run = self.text.get(start..self.at - 1)?;
                    return Some(match unescaped {
                        None => Cow::Borrowed(run),
                        Some(mut s) => {
                            s.push_str(run);
                            Cow::Owned(s)
                        }
                    });
                }
                b'\\' => {
                    let s = unescaped.get_or_insert_with(String::new);
                    s.push_str(self.text.get(start..self.at - 1)?);
                    let c = match self.next()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let high = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&high) {
                                if !(self.eat(b'\\') && self.eat(b'u')) {
                                    return None;
                                }
                                let low = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return None;
                                }
                                0x1_0000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                high
                            };
                            // A lone trailing surrogate is the one code left that is no char.
                            char::from_u32(code)?
                        }
                        _ => return None,
                    };
                    s.push(c);
                    start = self.at;
                }
                _ => return None,
            }
        }
    }

    /// Opens a container at nesting level `depth`, past the bound is a refusal.
    fn open(&mut self, depth: usize) -> Option<()> {
        self.at += 1;
        (depth <= self.max_depth).then_some(())
    }

    /// An object (the reader at its `{`), calling `value` after each key to read its value.
    pub(crate) fn object(
        &mut self,
        depth: usize,
        value: &mut dyn FnMut(&mut Self, Cow<'a, str>) -> Option<()>,
    ) -> Option<()> {
        self.open(depth)?;
        self.ws();
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return None;
            }
            let key = self.string()?;
            self.ws();
            if !self.eat(b':') {
                return None;
            }
            self.ws();
            value(self, key)?;
            self.ws();
            match self.next()? {
                b',' => {}
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    /// An array (the reader at its `[`), calling `item` to read each element.
    pub(crate) fn array(
        &mut self,
        depth: usize,
        item: &mut dyn FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.open(depth)?;
        self.ws();
        if self.eat(b']') {
            return Some(());
        }
        loop {
            self.ws();
            item(self)?;
            self.ws();
            match self.next()? {
                b',' => {}
                b']' => return Some(()),
                _ => return None,
            }
        }
    }

    /// A value inside a container at level `depth`, kept as a [`Scalar`]: containers are
    /// checked and passed over.
    fn scalar(&mut self, depth: usize) -> Option<Scalar<'a>> {
        Some(match self.peek()? {
            b'"' => Scalar::Str(self.string()?),
            b'-' | b'0'..=b'9' => Scalar::Number(self.number()?),
            b'{' => {
                self.object(depth + 1, &mut |r, _| r.scalar(depth + 1).map(drop))?;
                Scalar::Other
            }
            b'[' => {
                self.array(depth + 1, &mut |r| r.scalar(depth + 1).map(drop))?;
                Scalar::Other
            }
            b't' => self.literal("true").map(|()| Scalar::Other)?,
            b'f' => self.literal("false").map(|()| Scalar::Other)?,
            b'n' => self.literal("null").map(|()| Scalar::Other)?,
            _ => return None,
        })
    }

    /// A value at the reader, whole: its nesting level is `depth` if it is a container.
    #[cfg(test)]
    fn tree(&mut self, depth: usize) -> Option<Shape> {
        Some(match self.peek()? {
            b'{' => {
                let mut members = Vec::new();
                self.object(depth, &mut |r, key| {
                    members.push((key.into_owned(), r.tree(depth + 1)?));
                    Some(())
                })?;
                Shape::Object(members)
            }
            b'[' => {
                let mut items = Vec::new();
                self.array(depth, &mut |r| {
                    items.push(r.tree(depth + 1)?);
                    Some(())
                })?;
                Shape::Array(items)
            }
            b'"' => Shape::Str(self.string()?.into_owned()),
            b'-' | b'0'..=b'9' => Shape::Number(self.number()?),
            b't' => self.literal("true").map(|()| Shape::Bool)?,
            b'f' => self.literal("false").map(|()| Shape::Bool)?,
            b'n' => self.literal("null").map(|()| Shape::Null)?,
            _ => return None,
        })
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    /// A document left as generated (`how` 0), or with the byte at `at` deleted (1), replaced
    /// by `byte` (2) or `byte` inserted there (3).
    pub fn mutate_at(doc: &mut Vec<u8>, at: usize, byte: u8, how: u8) {
        match how {
            1 if at < doc.len() => {
                doc.remove(at);
            }
            2 if at < doc.len() => doc[at] = byte,
            3 => doc.insert(at, byte),
            _ => {}
        }
    }

    /// The reader this module replaced: serde_json into `Shape`, the oracle the hand reader
    /// must agree with on every document.
    struct Serde(Shape);

    impl<'de> Deserialize<'de> for Serde {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(ShapeVisitor).map(Serde)
        }
    }

    struct ShapeVisitor;

    impl<'de> Visitor<'de> for ShapeVisitor {
        type Value = Shape;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Shape, E> {
            Ok(Shape::Bool)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Shape, E> {
            Ok(Shape::Number(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Shape, E> {
            Ok(Shape::Number(i64::try_from(v).unwrap_or(i64::MAX)))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Shape, E> {
            Ok(Shape::Number(v as i64))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Shape, E> {
            Ok(Shape::Str(v.to_string()))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Shape, E> {
            Ok(Shape::Null)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
            let mut items = Vec::new();
            while let Some(Serde(item)) = seq.next_element()? {
                items.push(item);
            }
            Ok(Shape::Array(items))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
            let mut members = Vec::new();
            while let Some(key) = map.next_key::<String>()? {
                let Serde(value) = map.next_value()?;
                members.push((key, value));
            }
            Ok(Shape::Object(members))
        }
    }

    /// What serde_json made of a document that must be an object (the old `object`).
    pub fn serde_object(bytes: &[u8]) -> Option<Shape> {
        serde_json::from_slice::<Serde>(bytes)
            .ok()
            .map(|s| s.0)
            .filter(Shape::is_object)
    }

    /// The hand reader and serde_json agree: the same documents refused, the same tree from the
    /// others, and `members` sees the tree's top level.
    pub fn agree(bytes: &[u8]) {
        let theirs = serde_object(bytes);
        assert_eq!(
            object(bytes),
            theirs,
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
        let mut top = Vec::new();
        let read = members(bytes, SERDE_MAX_DEPTH, &mut |k, v| {
            top.push((k.into_owned(), v))
        });
        match theirs {
            Some(Shape::Object(expected)) => {
                assert!(read.is_some());
                assert_eq!(top.len(), expected.len());
                for ((k, v), (ek, ev)) in top.iter().zip(&expected) {
                    assert_eq!(k, ek);
                    match (v, ev) {
                        (Scalar::Str(s), Shape::Str(e)) => assert_eq!(s, e),
                        (Scalar::Number(n), Shape::Number(e)) => assert_eq!(n, e),
                        (
                            Scalar::Other,
                            Shape::Null | Shape::Bool | Shape::Array(_) | Shape::Object(_),
                        ) => {}
                        other => panic!("{other:?}"),
                    }
                    let first = expected.iter().find(|(key, _)| key == k).map(|(_, v)| v);
                    let got = member(bytes, k);
                    match (got, first) {
                        (Some(Scalar::Str(s)), Some(Shape::Str(e))) => assert_eq!(&*s, e),
                        (Some(Scalar::Number(n)), Some(Shape::Number(e))) => assert_eq!(n, *e),
                        (Some(Scalar::Other), Some(_)) => {}
                        other => panic!("{other:?}"),
                    }
                }
            }
            _ => assert!(read.is_none(), "{:?}", String::from_utf8_lossy(bytes)),
        }
    }

    #[test]
    fn shapes() {
        let s =
            object(br#"{"a":1,"b":1.9e3,"c":"","d":[1,{}],"e":null,"f":true,"g":{"h":"x"},"a":2}"#)
                .unwrap();
        assert_eq!(s.get("a"), Some(&Shape::Number(1)));
        assert_eq!(s.get("b"), Some(&Shape::Number(1900)));
        assert_eq!(s.get("c"), Some(&Shape::Str(String::new())));
        assert!(matches!(s.get("d"), Some(Shape::Array(items)) if items.len() == 2));
        assert_eq!(s.get("e"), Some(&Shape::Null));
        assert_eq!(s.get("f"), Some(&Shape::Bool));
        assert_eq!(
            s.get("g").and_then(|g| g.get("h")),
            Some(&Shape::Str("x".into()))
        );
        assert_eq!(object(b"[1]"), None);
        assert_eq!(object(b"{"), None);
        assert_eq!(
            object(br#"{"big":18446744073709551615}"#)
                .unwrap()
                .get("big"),
            Some(&Shape::Number(i64::MAX))
        );
        assert_eq!(
            member(br#"{"\u0061lg":"HS\u003256","alg":"x"}"#, "alg"),
            Some(Scalar::Str(Cow::Owned("HS256".into())))
        );
    }

    /// The tricky documents, each against serde_json.
    pub const TRICKY: &[&[u8]] = &[
        b"",
        b" ",
        b"{",
        b"}",
        b"{}",
        b" \t\r\n{ \t\r\n} \t\r\n",
        b"{} x",
        b"{}{}",
        b"\x0c{}",
        b"[1]",
        b"\"a\"",
        b"1",
        b"null",
        b"{\"a\":1,}",
        b"{,}",
        b"{\"a\" 1}",
        b"{\"a\":}",
        b"{a:1}",
        b"{'a':1}",
        b"{\"a\":[1,]}",
        b"{\"a\":[,1]}",
        b"{\"a\":[1 2]}",
        b"{\"a\":[]}",
        b"{\"a\":[[],{},[{}]]}",
        b"{\"a\":tru}",
        b"{\"a\":true,\"b\":false,\"c\":null}",
        b"{\"a\":True}",
        b"{\"a\":nulll}",
        b"{\"a\":\"\xff\"}",
        b"{\"\xc3\xa9\":\"\xc3\xa9\"}",
        b"{\"a\":\"\xc3\"}",
        b"{\"a\":1}\xff",
        b"{\"a\":\"x\ty\"}",
        b"{\"a\":\"x\x7fy\"}",
        b"{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
        b"{\"a\":\"\\x\"}",
        b"{\"a\":\"\\u0041\\u00e9\\u20AC\"}",
        b"{\"a\":\"\\u0000\"}",
        b"{\"a\":\"\\u00\"}",
        b"{\"a\":\"\\u00g0\"}",
        b"{\"a\":\"\\u+0a0\"}",
        b"{\"a\":\"\\ud83d\\ude00\"}",
        b"{\"a\":\"\\ud83d\"}",
        b"{\"a\":\"\\ud83dx\"}",
        b"{\"a\":\"\\ud83d\\n\"}",
        b"{\"a\":\"\\ud83d\\u0041\"}",
        b"{\"a\":\"\\ud83d\\ud83d\"}",
        b"{\"a\":\"\\ude00\"}",
        b"{\"\\u0065xp\":5,\"exp\":6}",
        b"{\"a\":\"\\",
        b"{\"a\":\"abc",
        b"{\"a\":0}",
        b"{\"a\":-0}",
        b"{\"a\":00}",
        b"{\"a\":01}",
        b"{\"a\":-}",
        b"{\"a\":+1}",
        b"{\"a\":.5}",
        b"{\"a\":1.}",
        b"{\"a\":1.e5}",
        b"{\"a\":1e}",
        b"{\"a\":1e+}",
        b"{\"a\":1E-2}",
        b"{\"a\":1e+2}",
        b"{\"a\":-1.9}",
        b"{\"a\":1.9999999999999999}",
        b"{\"a\":0.99999999999999999999}",
        b"{\"a\":1764327600.9999999999}",
        b"{\"a\":1.5e9}",
        b"{\"a\":1e308}",
        b"{\"a\":1e309}",
        b"{\"a\":-1e309}",
        b"{\"a\":1.7976931348623157e308}",
        b"{\"a\":1.7976931348623159e308}",
        b"{\"a\":0e999999999999}",
        b"{\"a\":1e999999999999}",
        b"{\"a\":1e-999999999999}",
        b"{\"a\":123e-400}",
        b"{\"a\":9223372036854775807}",
        b"{\"a\":9223372036854775808}",
        b"{\"a\":18446744073709551615}",
        b"{\"a\":18446744073709551616}",
        b"{\"a\":18446744073709551616.5}",
        b"{\"a\":184467440737095516160000000000000000000000}",
        b"{\"a\":-9223372036854775807}",
        b"{\"a\":-9223372036854775808}",
        b"{\"a\":-9223372036854775809}",
        b"{\"a\":-18446744073709551616}",
        b"{\"a\":12345678901234567890123e-10}",
        b"{\"a\":1,\"a\":\"x\",\"a\":null}",
        b"{\"a\":{\"b\":{\"c\":[1,\"x\",{\"d\":-2.5e3}]}}}",
    ];

    #[test]
    fn tricky_documents_read_as_serde_json_reads_them() {
        for doc in TRICKY {
            agree(doc);
        }
        // Nesting at serde_json's limit and one past it, arrays and objects.
        for depth in [126, 127, 128, 129] {
            let arrays = format!(
                "{{\"a\":{}1{}}}",
                "[".repeat(depth - 1),
                "]".repeat(depth - 1)
            );
            agree(arrays.as_bytes());
            let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
            agree(objects.as_bytes());
        }
        // 64 KiB of members.
        let big = format!(
            "{{{}\"z\":1}}",
            "\"k\":\"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\",".repeat(1100)
        );
        assert!(big.len() > 64 * 1024);
        agree(big.as_bytes());
    }

    /// A JSON value of any kind, written with the spellings serde_json accepts and some it
    /// does not.
    pub fn json() -> impl Strategy<Value = String> {
        let string =
            "([a-z ]|\\\\[\"\\\\/bfnrtx]|\\\\u[0-9a-fA-FdD]{4}|\\\\ud83d\\\\ude00|é|\u{1}){0,6}"
                .prop_map(|s| format!("\"{s}\""));
        let number = "-?(0|[1-9][0-9]{0,22})(\\.[0-9]{0,20})?([eE][+-]?[0-9]{0,4})?";
        let leaf = prop_oneof![
            string.clone(),
            number,
            Just("true".to_string()),
            Just("false".to_string()),
            Just("null".to_string()),
            Just("nul".to_string()),
        ];
        leaf.prop_recursive(4, 24, 5, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec((string.clone(), inner), 0..5).prop_map(|m| {
                    let m: Vec<String> = m.into_iter().map(|(k, v)| format!("{k}: {v}")).collect();
                    format!("{{{}}}", m.join(","))
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn reads_what_serde_json_reads(
            members in prop::collection::vec((json(), "\"(a|exp|nbf|alg|\\\\u0061)\"", json()), 0..5),
            cut in any::<prop::sample::Index>(),
            byte in any::<u8>(),
            mutate in 0u8..4,
        ) {
            let members: Vec<String> = members.iter().map(|(_, k, v)| format!("{k}:{v}")).collect();
            let mut doc = format!("{{{}}}", members.join(",")).into_bytes();
            // Most documents as generated; some with a byte deleted, replaced or added.
            let at = cut.index(doc.len() + 1);
            mutate_at(&mut doc, at, byte, mutate);
            agree(&doc);
        }
    }
}
