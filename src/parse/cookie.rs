//! The Cookie header's cookies, read from a value the credential search's scan of the headers
//! kept: the usual request with one Cookie header is not passed over again to find it.

use crate::bounds::MAX_PARAMS;
use crate::parse::request::Param;
use crate::parse::text::position_of;
use std::borrow::Cow;

/// Appends the cookies of one Cookie header's `value` to `out`, until it holds [`MAX_PARAMS`]:
/// what [`crate::parse::request::Request::cookies`] reads from each Cookie header. A pair
/// without `=`, or whose name is not UTF-8 or is empty once trimmed, is no cookie.
pub fn read_into<'a>(value: &'a [u8], out: &mut Vec<Param<'a>>) {
    // Plain loops: iterator adapters are calls each at the filter's size-optimised level.
    let mut rest = Some(value);
    while let Some(left) = rest {
        let pair = match position_of(left, b';') {
            Some(end) => {
                rest = left.get(end + 1..);
                left.get(..end).unwrap_or_default()
            }
            None => {
                rest = None;
                left
            }
        };
        if out.len() == MAX_PARAMS {
            return;
        }
        let Some(eq) = position_of(pair, b'=') else {
            continue;
        };
        let (Some(name), Some(value)) = (pair.get(..eq), pair.get(eq + 1..)) else {
            continue;
        };
        let Ok(name) = std::str::from_utf8(name) else {
            continue;
        };
        let name = trim(name);
        if !name.is_empty() {
            out.push(Param {
                name: Cow::Borrowed(name),
                value: Cow::Borrowed(value),
            });
        }
    }
}

/// `str::trim`, without its char decoding when both ends are plain ASCII (as almost always).
fn trim(text: &str) -> &str {
    // The ASCII chars `char::is_whitespace` takes: U+0009..=U+000D and the space.
    let plain =
        |b: Option<&u8>| b.is_some_and(|&b| b.is_ascii() && !matches!(b, b'\t'..=b'\r' | b' '));
    let bytes = text.as_bytes();
    if plain(bytes.first()) && plain(bytes.last()) {
        text
    } else {
        text.trim()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::request::{Headers, Request};

    /// Cookie headers read here give what `Request::cookies` gives (the oracle): pairs without
    /// `=`, empty and padded names, names that are not UTF-8, more than the bound, several
    /// headers.
    #[test]
    fn read_as_the_request_reads() {
        let many: String = (0..MAX_PARAMS + 5)
            .map(|i| format!("c{i}=v{i}; "))
            .collect();
        let values: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"a=1".to_vec(),
            b"BIGipServerpool_orders=1677787402.36895.0000; session=3f2a9c7d1e5b4a60".to_vec(),
            b" a = 1 ;b=2;; c ; =3; d=; \t e=x=y ".to_vec(),
            b"\xff\xfe=1; ok=2; caf\xc3\xa9=3; \xc2\xa0nb=4; x\xc3=5; \x0bv=6".to_vec(),
            b";;;===;".to_vec(),
            many.into_bytes(),
        ];
        let mut read = 0;
        for value in &values {
            let request = Request {
                headers: Headers::from_pairs([
                    ("accept".to_string(), b"*/*".to_vec()),
                    ("cookie".to_string(), value.clone()),
                ]),
                ..Request::default()
            };
            let mut got = Vec::new();
            read_into(value, &mut got);
            let want = request.cookies();
            assert_eq!(got, want, "{value:?}");
            read += want.len();
        }
        assert!(read > MAX_PARAMS + 10, "{read}");
        // Several Cookie headers, read one after the other, up to the bound in all.
        for (first, second) in [(0, 2), (2, 3), (6, 2), (3, 6), (4, 4)] {
            let request = Request {
                headers: Headers::from_pairs([
                    ("cookie".to_string(), values[first].clone()),
                    ("x-other".to_string(), b"a=1".to_vec()),
                    ("cookie".to_string(), values[second].clone()),
                ]),
                ..Request::default()
            };
            let mut got = Vec::new();
            for value in request.headers.all("cookie") {
                read_into(value, &mut got);
            }
            assert_eq!(got, request.cookies(), "{first} {second}");
        }
    }
}
