//! The shape of a JSON document, read with serde but without `serde_json::Value`: only what the
//! filter asks of a JWT or a config — which members an object has, and whether each is an object,
//! an array, a number, a string (and whether it is empty), null or something else. Reading into
//! this instead of `Value` keeps a generic map and its code out of the `.wasm`.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// One JSON value, reduced to what the filter looks at.
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

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapeVisitor)
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
        // `as` saturates; NaN cannot come out of JSON.
        Ok(Shape::Number(v as i64))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Shape, E> {
        Ok(Shape::Str(v.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Shape, E> {
        Ok(Shape::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Shape, E> {
        Ok(Shape::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Shape::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            members.push((key, map.next_value()?));
        }
        Ok(Shape::Object(members))
    }
}

/// Reads a document that must be an object; anything else (or bad JSON) is `None`.
pub fn object(bytes: &[u8]) -> Option<Shape> {
    serde_json::from_slice::<Shape>(bytes)
        .ok()
        .filter(Shape::is_object)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
