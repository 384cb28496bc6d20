//! A JSON document read whole into a small tree, for the one document the filter keeps whole:
//! its configuration, read once at start. [`shape::Reader`] does the reading (serde_json's
//! grammar and nesting bound), so what is refused is what serde_json refuses; a refusal says
//! where, as the path of the value being read, like every other config error.

use crate::parse::decimal;
use crate::parse::shape::{Number, Reader, SERDE_MAX_DEPTH};
use crate::parse::text::printable;

/// One JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A non-negative integer that fits 64 bits: the only numbers a config holds.
    Integer(u64),
    /// Any other number (negative, with a fraction or an exponent, past 64 bits).
    OtherNumber,
    /// A string, unescaped.
    Str(String),
    /// An array.
    List(Vec<Json>),
    /// An object: its members in document order, repeated keys kept.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// What the value is, in words, for an error.
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Integer(_) => "an integer",
            Json::OtherNumber => "a negative, fractional or very large number",
            Json::Str(_) => "a string",
            Json::List(_) => "a list",
            Json::Object(_) => "an object",
        }
    }
}

/// Where and why a document is not JSON.
#[derive(Debug, PartialEq, Eq)]
pub struct Invalid {
    /// Path of the value being read when it went wrong (`.` for the document itself).
    pub path: String,
    /// What went wrong, with the byte it went wrong at (counted from 1).
    pub problem: String,
}

/// Reads one JSON value (surrounded by whitespace only), whole.
pub fn read(bytes: &[u8]) -> Result<Json, Invalid> {
    let mut steps = Vec::new();
    let Some(mut reader) = Reader::new(bytes, SERDE_MAX_DEPTH) else {
        // Not UTF-8: the valid part, read on its own, ends inside the value that holds the
        // first bad byte, so its refusal names the right path.
        let good = std::str::from_utf8(bytes).map_or_else(|e| e.valid_up_to(), |_| 0);
        if let Some(mut reader) = bytes
            .get(..good)
            .and_then(|b| Reader::new(b, SERDE_MAX_DEPTH))
        {
            let _ = value(&mut reader, 0, &mut steps);
        }
        return Err(Invalid {
            path: path(&steps),
            problem: format!("not UTF-8 at byte {}", good + 1),
        });
    };
    reader.ws();
    match value(&mut reader, 0, &mut steps).and_then(|v| reader.end().map(|()| v)) {
        Some(v) => Ok(v),
        None => Err(Invalid {
            path: path(&steps),
            problem: format!("not valid JSON at byte {}", reader.offset() + 1),
        }),
    }
}

/// One step down a document.
enum Step {
    /// Into an object's member.
    Key(String),
    /// Into an array's element.
    Index(usize),
}

/// The value at the reader. On a refusal, `steps` gets the path from this value down to the one
/// that went wrong, innermost first: written only then, so a good document costs no path.
fn value(reader: &mut Reader<'_>, depth: usize, steps: &mut Vec<Step>) -> Option<Json> {
    Some(match reader.peek()? {
        b'{' => {
            let mut members = Vec::new();
            reader.object(depth + 1, &mut |r, key| {
                let Some(v) = value(r, depth + 1, steps) else {
                    steps.push(Step::Key(key.into_owned()));
                    return None;
                };
                members.push((key.into_owned(), v));
                Some(())
            })?;
            Json::Object(members)
        }
        b'[' => {
            let mut items = Vec::new();
            reader.array(depth + 1, &mut |r| {
                let Some(v) = value(r, depth + 1, steps) else {
                    steps.push(Step::Index(items.len()));
                    return None;
                };
                items.push(v);
                Some(())
            })?;
            Json::List(items)
        }
        b'"' => Json::Str(reader.string()?.into_owned()),
        b'-' | b'0'..=b'9' => match reader.number_token()? {
            Number::Unsigned(n) => Json::Integer(n),
            // serde_json refuses a number past f64's range even where no float is wanted.
            Number::Float(text) if !decimal::fits_f64(text) => return None,
            Number::Negative(_) | Number::Float(_) => Json::OtherNumber,
        },
        b't' => reader.literal("true").map(|()| Json::Bool(true))?,
        b'f' => reader.literal("false").map(|()| Json::Bool(false))?,
        b'n' => reader.literal("null").map(|()| Json::Null)?,
        _ => return None,
    })
}

/// `a.b[0].c` from the steps innermost first, or `.` for the document itself.
fn path(steps: &[Step]) -> String {
    let mut at = String::new();
    for step in steps.iter().rev() {
        match step {
            Step::Key(key) => at = child(&at, key),
            Step::Index(i) => at = item(&at, *i),
        }
    }
    if at.is_empty() {
        ".".into()
    } else {
        at
    }
}

/// The path of member `key` of the object at `at` (`""` for the document itself), the key
/// made printable (it goes into a log line) and bounded.
pub fn child(at: &str, key: &str) -> String {
    let key = printable(key, 64);
    if at.is_empty() {
        key.into_owned()
    } else {
        format!("{at}.{key}")
    }
}

/// The path of element `i` of the array at `at`.
pub fn item(at: &str, i: usize) -> String {
    format!("{at}[{i}]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::shape::tests::TRICKY;
    use proptest::prelude::*;

    /// serde_json's reading of the same document, as a [`Json`] (`None`: refused).
    fn serde_read(bytes: &[u8]) -> Option<Json> {
        // serde_json's own Value keeps one of repeated keys: read objects member by member.
        struct Tree(Json);
        impl<'de> serde::Deserialize<'de> for Tree {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(TreeVisitor).map(Tree)
            }
        }
        struct TreeVisitor;
        impl<'de> serde::de::Visitor<'de> for TreeVisitor {
            type Value = Json;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
                Ok(Json::Bool(b))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
                Ok(Json::Integer(n))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
                Ok(u64::try_from(n).map_or(Json::OtherNumber, Json::Integer))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Json, E> {
                Ok(Json::OtherNumber)
            }
            fn visit_str<E>(self, s: &str) -> Result<Json, E> {
                Ok(Json::Str(s.into()))
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(Tree(v)) = seq.next_element()? {
                    items.push(v);
                }
                Ok(Json::List(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut members = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let Tree(v) = map.next_value()?;
                    members.push((key, v));
                }
                Ok(Json::Object(members))
            }
        }
        serde_json::from_slice::<Tree>(bytes).ok().map(|t| t.0)
    }

    fn agree(bytes: &[u8]) {
        assert_eq!(
            read(bytes).ok(),
            serde_read(bytes),
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }

    #[test]
    fn reads_what_serde_json_reads_on_the_tricky_documents() {
        for doc in TRICKY {
            agree(doc);
        }
        for doc in ["[1,-1,1.5,-0,0,true,null]", "\"x\"", "1e400", "[[[]]]"] {
            agree(doc.as_bytes());
        }
        for depth in [126, 127, 128, 129] {
            let arrays = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
            agree(arrays.as_bytes());
        }
    }

    /// A refusal names the value being read, or `.` when the document itself is wrong.
    #[test]
    fn refusals_name_where() {
        let table: &[(&[u8], &str, &str)] = &[
            (br#"{"mode":"#, "mode", "not valid JSON at byte 9"),
            (
                br#"{"a":[1,{"b":tru}]}"#,
                "a[1].b",
                "not valid JSON at byte 14",
            ),
            (br#"{"a":1,}"#, ".", "not valid JSON at byte 8"),
            (b"{} {}", ".", "not valid JSON at byte 4"),
            (b"", ".", "not valid JSON at byte 1"),
            (
                b"{\"a\":{\"b\":\"\xc3\xa9\xff\"}}",
                "a.b",
                "not UTF-8 at byte 14",
            ),
            (b"{\"a\":\"\xff\"}", "a", "not UTF-8 at byte 7"),
        ];
        for (doc, path, problem) in table {
            assert_eq!(
                read(doc).err(),
                Some(Invalid {
                    path: (*path).into(),
                    problem: (*problem).into()
                }),
                "{:?}",
                String::from_utf8_lossy(doc)
            );
        }
    }

    proptest! {
        #[test]
        fn reads_what_serde_json_reads(
            doc in crate::parse::shape::tests::json(),
            cut in any::<prop::sample::Index>(),
            byte in any::<u8>(),
            mutate in 0u8..4,
        ) {
            let mut doc = doc.into_bytes();
            let at = cut.index(doc.len() + 1);
            crate::parse::shape::tests::mutate_at(&mut doc, at, byte, mutate);
            agree(&doc);
        }
    }
}
