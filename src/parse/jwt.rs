//! Reading a JWT the way Kong's jwt plugin does: three base64url segments, a JSON header with
//! `alg`, a JSON payload of claims. Decoding only: the signature is never checked (the filter has
//! no secrets), so a diagnosis never says a token is good, only what is wrong with it.

use crate::bounds::{MAX_JSON_DEPTH, MAX_JWT_BYTES};
use crate::parse::shape::{self, Shape};
use crate::parse::text::push_decimal;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

/// Algorithms Kong's jwt plugin accepts (3.9).
pub const KONG_ALGORITHMS: [&str; 13] = [
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256",
    "PS384", "PS512", "EdDSA",
];

/// base64url with or without padding, as lua-resty-jwt decodes it.
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A decoded token.
#[derive(Debug)]
pub struct Jwt {
    /// `alg` from the header, when it is a string.
    pub alg: Option<String>,
    /// The payload's claims (an object).
    pub claims: Shape,
    /// The JOSE header (Kong also looks for the key claim there).
    pub header: Shape,
}

/// Why a token is not a JWT, said in a few words for the `detail`.
#[derive(Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Not three dot-separated segments.
    Segments(usize),
    /// A segment that is not base64url.
    NotBase64(&'static str),
    /// A segment that does not decode to a JSON object.
    NotJsonObject(&'static str),
    /// JSON nested deeper than the filter reads.
    TooDeep(&'static str),
    /// No `alg` in the header.
    NoAlg,
    /// Longer than the filter decodes.
    TooLong(usize),
}

impl Malformed {
    /// What was seen, as a sentence fragment.
    pub fn describe(&self) -> String {
        match self {
            Malformed::Segments(n) => format!("{n} dot-separated segment(s), a JWT has 3"),
            Malformed::NotBase64(part) => format!("the {part} segment is not base64url"),
            Malformed::NotJsonObject(part) => {
                format!("the {part} does not decode to a JSON object")
            }
            Malformed::TooDeep(part) => {
                format!("the {part} nests JSON deeper than {MAX_JSON_DEPTH} levels")
            }
            Malformed::NoAlg => "the header has no \"alg\"".into(),
            Malformed::TooLong(n) => format!("{n} bytes, longer than the {MAX_JWT_BYTES} decoded"),
        }
    }
}

/// Whether a value has the shape of a JWT (a base64url JSON header, two dots): used to recognise
/// tokens sent under other names or schemes, and broken ones.
pub fn looks_like_jwt(value: &[u8]) -> bool {
    value.len() > 10 && value.starts_with(b"eyJ") && dots(value) == 2
}

/// How many `.` are in `value`, eight bytes at a time: a token is hundreds of bytes, and a
/// byte-by-byte count costs about ten wasm instructions a byte. In each word, a byte is zero
/// exactly where it was a `.` once XORed with `.`; the classic exact zero-byte test (no carry
/// crosses a byte, as the low seven bits are added apart) sets the high bit of those bytes only.
fn dots(value: &[u8]) -> u32 {
    const DOTS: u64 = u64::from_ne_bytes([b'.'; 8]);
    const LOW7: u64 = u64::from_ne_bytes([0x7f; 8]);
    let words = value.chunks_exact(8);
    let mut count = 0;
    for &b in words.remainder() {
        count += u32::from(b == b'.');
    }
    for word in words {
        let word = u64::from_ne_bytes(word.try_into().unwrap_or([0; 8])) ^ DOTS;
        count += (!(((word & LOW7) + LOW7) | word | LOW7)).count_ones();
    }
    count
}

/// Decodes header and payload.
pub fn decode(token: &[u8]) -> Result<Jwt, Malformed> {
    if token.len() > MAX_JWT_BYTES {
        return Err(Malformed::TooLong(token.len()));
    }
    // Split without a list: one allocation less on every JWT 401.
    let mut segments = token.split(|&b| b == b'.');
    let (Some(header), Some(payload), Some(_signature), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(Malformed::Segments(token.split(|&b| b == b'.').count()));
    };
    let header = object(header, "header")?;
    let claims = object(payload, "payload")?;
    let alg = match header.get("alg") {
        Some(Shape::Str(alg)) => Some(alg.clone()),
        Some(_) => None,
        None => return Err(Malformed::NoAlg),
    };
    Ok(Jwt {
        alg,
        claims,
        header,
    })
}

fn object(segment: &[u8], part: &'static str) -> Result<Shape, Malformed> {
    let bytes = URL_SAFE_LENIENT
        .decode(segment)
        .map_err(|_| Malformed::NotBase64(part))?;
    if depth(&bytes) > MAX_JSON_DEPTH {
        return Err(Malformed::TooDeep(part));
    }
    shape::object(&bytes).ok_or(Malformed::NotJsonObject(part))
}

/// Deepest nesting of `[`/`{` outside strings: checked before parsing so depth costs nothing.
fn depth(json: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in json {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// A claim read as Kong reads a NumericDate: a JSON number (fractions truncated).
#[derive(Debug, PartialEq)]
pub enum NumericClaim {
    /// Absent.
    Missing,
    /// Present but not a number.
    NotNumber,
    /// Seconds since the epoch.
    Seconds(i64),
}

impl Jwt {
    /// Reads `exp`, `nbf` or `iat`.
    pub fn numeric(&self, name: &str) -> NumericClaim {
        match self.claims.get(name) {
            None => NumericClaim::Missing,
            Some(Shape::Number(n)) => NumericClaim::Seconds(*n),
            Some(_) => NumericClaim::NotNumber,
        }
    }
}

/// `2026-11-28T11:00:00Z` for unix seconds (proleptic Gregorian, UTC).
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (h, min, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // By hand, as format!'s `{y:04}` writes it (a sign counts in the width): core::fmt costs
    // more than the date in wasm, and the expired-JWT 401 writes two.
    let mut out = String::with_capacity(24);
    if y < 0 {
        out.push('-');
    }
    push_decimal(&mut out, y.unsigned_abs(), if y < 0 { 3 } else { 4 });
    for (n, width, before) in [
        (u64::from(m), 2, '-'),
        (u64::from(d), 2, '-'),
        (h.unsigned_abs(), 2, 'T'),
        (min.unsigned_abs(), 2, ':'),
        (s.unsigned_abs(), 2, ':'),
    ] {
        out.push(before);
        push_decimal(&mut out, n, width);
    }
    out.push('Z');
    out
}

/// Howard Hinnant's days-to-civil algorithm.
pub(super) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Seconds as a short human duration: `4 s`, `3600 s (1 h)`, `3 days`.
pub fn duration(secs: u64) -> String {
    let (unit, per) = match secs {
        0..=120 => ("", 1),
        121..=7199 => (" min)", 60),
        7200..=172_799 => (" h)", 3600),
        _ => (" days)", 86_400),
    };
    // Pushed, not format!ed: see `rfc3339`.
    let mut out = String::with_capacity(32);
    push_decimal(&mut out, secs, 1);
    out.push_str(" s");
    if per > 1 {
        out.push_str(" (");
        push_decimal(&mut out, secs / per, 1);
        out.push_str(unit);
    }
    out
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// The word-at-a-time count is the byte-by-byte count, on every length up to 40 and bytes
    /// chosen around `.` and the high bit (0x2e, 0xae, 0x2f, 0x00, 0x80, 0xff ...).
    #[test]
    fn dots_as_counted_byte_by_byte() {
        let bytes = [
            b'.', 0xae, b'/', b'-', 0, 0x80, 0xff, 0x7f, b'e', b'y', b'J', 0xd2,
        ];
        let mut seed: u64 = 3;
        let mut next = || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap()
        };
        let mut jwts = 0;
        for len in 0..=40 {
            for _ in 0..400 {
                let mut value: Vec<u8> = (0..len).map(|_| bytes[next() % bytes.len()]).collect();
                if next() % 2 == 0 && len >= 3 {
                    value[..3].copy_from_slice(b"eyJ");
                }
                let naive = value.iter().filter(|&&b| b == b'.').count();
                assert_eq!(dots(&value) as usize, naive, "{value:?}");
                let old = value.len() > 10 && value.starts_with(b"eyJ") && naive == 2;
                assert_eq!(looks_like_jwt(&value), old, "{value:?}");
                jwts += usize::from(old);
            }
        }
        assert!(jwts > 50, "{jwts}");
        assert_eq!(dots(&[b'.'; 64]), 64);
    }

    /// An unsigned test token from header and payload JSON.
    pub fn token(header: &str, payload: &str) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}.c2lnbmF0dXJl", e.encode(header), e.encode(payload))
    }

    #[test]
    fn decodes() {
        let t = token(
            r#"{"alg":"HS256","typ":"JWT"}"#,
            r#"{"iss":"a","exp":1764327600}"#,
        );
        assert!(looks_like_jwt(t.as_bytes()));
        let jwt = decode(t.as_bytes()).unwrap();
        assert_eq!(jwt.alg.as_deref(), Some("HS256"));
        assert_eq!(jwt.numeric("exp"), NumericClaim::Seconds(1_764_327_600));
        assert_eq!(jwt.numeric("nbf"), NumericClaim::Missing);
    }

    #[test]
    fn malformed_table() {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(5000), "]".repeat(5000));
        let cases: Vec<(String, Malformed)> = vec![
            ("abc".into(), Malformed::Segments(1)),
            ("a.b.c.d".into(), Malformed::Segments(4)),
            ("!!!.e30.x".into(), Malformed::NotBase64("header")),
            (token("[1]", "{}"), Malformed::NotJsonObject("header")),
            (
                token(r#"{"alg":"HS256"}"#, "not json"),
                Malformed::NotJsonObject("payload"),
            ),
            (token(r#"{"typ":"JWT"}"#, "{}"), Malformed::NoAlg),
            (
                token(r#"{"alg":"HS256"}"#, &deep),
                Malformed::TooDeep("payload"),
            ),
            (
                "e".repeat(MAX_JWT_BYTES + 1),
                Malformed::TooLong(MAX_JWT_BYTES + 1),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                decode(input.as_bytes()).unwrap_err(),
                expected,
                "{input:.40}"
            );
            assert!(!expected.describe().is_empty());
        }
    }

    #[test]
    fn padding_is_accepted() {
        let t = "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJhIn0=.x";
        assert!(decode(t.as_bytes()).is_ok());
    }

    #[test]
    fn numeric_claims() {
        let jwt = decode(token(r#"{"alg":"HS256"}"#, r#"{"exp":"soon","nbf":1.5e9}"#).as_bytes())
            .unwrap();
        assert_eq!(jwt.numeric("exp"), NumericClaim::NotNumber);
        assert_eq!(jwt.numeric("nbf"), NumericClaim::Seconds(1_500_000_000));
    }

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_764_331_200), "2025-11-28T12:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        // Years past four digits, and before year 0, as format!'s `{y:04}` writes them.
        assert_eq!(rfc3339(253_402_300_800), "10000-01-01T00:00:00Z");
        assert_eq!(rfc3339(253_402_300_799), "9999-12-31T23:59:59Z");
        for secs in [-62_167_219_201_i64, -62_198_755_200, -1_000_000_000_000] {
            let days = secs.div_euclid(86_400);
            let (y, m, d) = civil_from_days(days);
            let rem = secs.rem_euclid(86_400);
            let expected = format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
                rem / 3600,
                (rem % 3600) / 60,
                rem % 60
            );
            assert_eq!(rfc3339(secs), expected);
        }
        assert_eq!(duration(4), "4 s");
        assert_eq!(duration(3600), "3600 s (60 min)");
        assert_eq!(duration(90_000), "90000 s (25 h)");
    }
}
