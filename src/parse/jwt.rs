//! Reading a JWT the way Kong's jwt plugin does: three base64url segments, a JSON header with
//! `alg`, a JSON payload of claims. Decoding only: the signature is never checked (the filter has
//! no secrets), so a diagnosis never says a token is good, only what is wrong with it.

use crate::bounds::{MAX_JSON_DEPTH, MAX_JWT_BYTES};
use crate::parse::base64::{self, Rules};
use crate::parse::shape::{self, Scalar};
use crate::parse::text::{find, is_visible_ascii, Class};
use std::borrow::Cow;

/// Algorithms Kong's jwt plugin accepts (3.9).
pub const KONG_ALGORITHMS: [&str; 13] = [
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256",
    "PS384", "PS512", "EdDSA",
];

/// A decoded token: its header and payload JSON, checked whole, with what the diagnosis asks of
/// every token read on the way.
#[derive(Debug)]
pub struct Jwt {
    /// `alg` from the header, when it is a string (borrowed for a header [`known_header`] knows).
    pub alg: Option<Cow<'static, str>>,
    /// The first `exp` of the payload.
    exp: NumericClaim,
    /// The first `nbf` of the payload.
    nbf: NumericClaim,
    /// The claim [`decode_for`] was asked for, from the payload, else the header.
    key_claim: Option<ClaimValue>,
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
    jwt_dots(value).is_some()
}

/// Where the two dots of a value that [`looks_like_jwt`] are: the credential search hands them
/// to the judge, which then needs no search of its own.
///
/// The dots are counted eight bytes at a time: a token is hundreds of bytes, and a
/// byte-by-byte count costs about ten wasm instructions a byte. In each word, a byte is zero
/// exactly where it was a `.` once XORed with `.`; the classic exact zero-byte test (no carry
/// crosses a byte, as the low seven bits are added apart) sets the high bit of those bytes only.
/// The first two are noted as they are met (few words have one).
pub fn jwt_dots(value: &[u8]) -> Option<(usize, usize)> {
    if value.len() <= 10 || !value.starts_with(b"eyJ") {
        return None;
    }
    two_dots(value).ok()
}

/// Where the two dots of `value` are, or how many it has when that is not two.
fn two_dots(value: &[u8]) -> Result<(usize, usize), usize> {
    let (mut count, mut dots) = (0, [0; 2]);
    let words = value.chunks_exact(8);
    let tail = words.remainder();
    let mut at = 0;
    for word in words {
        let marked = dots_in(word);
        if marked != 0 {
            note_dots(marked, at, &mut count, &mut dots);
        }
        at += 8;
    }
    for &b in tail {
        if b == b'.' {
            note_dots(0x80, at, &mut count, &mut dots);
        }
        at += 1;
    }
    match (count, dots) {
        (2, [first, second]) => Ok((first, second)),
        _ => Err(count),
    }
}

/// The high bit of each byte of `word` (eight bytes) that is a `.`.
#[inline(always)]
fn dots_in(word: &[u8]) -> u64 {
    const DOTS: u64 = u64::from_ne_bytes([b'.'; 8]);
    const LOW7: u64 = u64::from_ne_bytes([0x7f; 8]);
    let word = u64::from_le_bytes(word.try_into().unwrap_or([0; 8])) ^ DOTS;
    !(((word & LOW7) + LOW7) | word | LOW7)
}

/// Counts the dots `marked` in the word at `at`, noting where the first two are.
#[inline(never)]
fn note_dots(mut marked: u64, at: usize, count: &mut usize, dots: &mut [usize; 2]) {
    while marked != 0 {
        if let Some(dot) = dots.get_mut(*count) {
            *dot = at + (marked.trailing_zeros() / 8) as usize;
        }
        *count += 1;
        marked &= marked - 1;
    }
}

/// Decodes header and payload.
pub fn decode(token: &[u8]) -> Result<Jwt, Malformed> {
    decode_for(token, None)
}

/// Decodes header and payload, keeping what `key_claim` (Kong's `key_claim_name`) holds on the
/// way: one reading of the token for everything the diagnosis asks.
pub fn decode_for(token: &[u8], key_claim: Option<&str>) -> Result<Jwt, Malformed> {
    if token.len() > MAX_JWT_BYTES {
        return Err(Malformed::TooLong(token.len()));
    }
    let (first, second) = two_dots(token).map_err(|dots| Malformed::Segments(dots + 1))?;
    let (Some(header), Some(payload)) = (token.get(..first), token.get(first + 1..second)) else {
        return Err(Malformed::Segments(3));
    };
    decode_segments(header, known_header(header), payload, key_claim)
}

/// [`decode_for`] of the usual token, in one go: a header [`known_header`] knows, a base64url
/// payload, a signature of visible ASCII without a dot. Such a token is
/// visible ASCII with exactly two dots, so the judge has no malformation to report (it starts
/// `eyJ`: no placeholder either) and no other pass over it to make: its dots are those `dots`
/// (from [`jwt_dots`]) says, or counted here. `None` for any other token (and for a
/// payload that is not base64url, whose bytes may be what is wrong): the caller then judges it
/// the long way, malformation first, as it would this one, to the same result.
pub fn decode_usual(
    token: &[u8],
    dots: Option<(usize, usize)>,
    key_claim: Option<&str>,
) -> Option<Result<Jwt, Malformed>> {
    let header = token.get(..KNOWN_HEADER_LEN)?;
    let known = known_header(header)?;
    // The token's only two dots, as the search found them ([`jwt_dots`]) or counted here.
    let (first, second) = match dots {
        Some(dots) => dots,
        None => two_dots(token).ok()?,
    };
    let signature = token.get(second + 1..)?;
    if first != KNOWN_HEADER_LEN || token.len() > MAX_JWT_BYTES || !is_visible_ascii(signature) {
        return None;
    }
    let payload = token.get(KNOWN_HEADER_LEN + 1..second)?;
    match decode_segments(header, Some(known), payload, key_claim) {
        Err(Malformed::NotBase64(_)) => None,
        decoded => Some(decoded),
    }
}

/// Decodes and reads `header` (unless it is `known`) and `payload`. Never inlined: its two
/// callers share it.
#[inline(never)]
fn decode_segments(
    header: &[u8],
    known: Option<&'static str>,
    payload: &[u8],
    key_claim: Option<&str>,
) -> Result<Jwt, Malformed> {
    // Both segments into one buffer, on the stack for the usual token (an allocation and its
    // free cost more than clearing the buffer, which costs a wasm instruction a byte: the
    // smaller buffer when it is enough); each decoded segment needs one byte more than it
    // holds (see `base64::decode`).
    let room = if known.is_some() { 0 } else { header.len() } + payload.len();
    let room = room / 4 * 3 + 8;
    if room <= SMALL_JSON {
        read_segments(header, payload, known, key_claim, &mut [0; SMALL_JSON])
    } else if room <= LARGE_JSON {
        read_segments(header, payload, known, key_claim, &mut [0; LARGE_JSON])
    } else {
        read_segments(header, payload, known, key_claim, &mut vec![0; room])
    }
}

/// Decoded header and payload bytes held in a small stack buffer (a payload of up to ~160
/// base64url bytes: a few claims) or a larger one (~680: the access tokens of most identity
/// providers); a longer token's go to the heap.
const SMALL_JSON: usize = 128;
const LARGE_JSON: usize = 512;

/// Decodes and reads `header` (unless it is a known one) and `payload` in `json`, which has
/// room for both.
#[inline(never)]
fn read_segments(
    header: &[u8],
    payload: &[u8],
    known: Option<&'static str>,
    key_claim: Option<&str>,
    json: &mut [u8],
) -> Result<Jwt, Malformed> {
    // The first byte and the length before the bytes: most keys are told apart without a call
    // to memcmp.
    let is_key_claim = |key: &[u8]| {
        key_claim.is_some_and(|k| {
            k.len() == key.len() && k.as_bytes().first() == key.first() && k.as_bytes() == key
        })
    };
    // `Some(None)`: present, not a string; `None`: absent.
    let mut alg: Option<Option<Cow<'static, str>>> = None;
    let mut in_header = None;
    let mut header_len = 0;
    if let Some(name) = known {
        // Read without decoding: `alg` and `typ`, two strings, neither empty.
        alg = Some(Some(Cow::Borrowed(name)));
        if is_key_claim(b"alg") || is_key_claim(b"typ") {
            in_header = Some(ClaimValue::Str { empty: false });
        }
    } else {
        header_len =
            base64::decode(header, Rules::UrlSafe, json).ok_or(Malformed::NotBase64("header"))?;
        read_object(
            json.get(..header_len).unwrap_or_default(),
            "header",
            &mut |key, value| {
                if in_header.is_none() && is_key_claim(key) {
                    in_header = Some(ClaimValue::of(&value));
                }
                if alg.is_none() && matches!(key, [b'a', b'l', b'g']) {
                    alg = Some(match value {
                        Value::Str(name) => Some(owned_alg(name)),
                        _ => None,
                    });
                }
            },
        )?;
    }
    let to = json.get_mut(header_len..).unwrap_or_default();
    let payload_len =
        base64::decode(payload, Rules::UrlSafe, to).ok_or(Malformed::NotBase64("payload"))?;
    let (mut exp, mut nbf, mut in_payload) = (None, None, None);
    read_object(
        to.get(..payload_len).unwrap_or_default(),
        "payload",
        &mut |key, value| {
            if in_payload.is_none() && is_key_claim(key) {
                in_payload = Some(ClaimValue::of(&value));
            }
            // Byte patterns, not `"exp"`: a string comparison is a call to memcmp in the .wasm.
            let slot = match key {
                [b'e', b'x', b'p'] => &mut exp,
                [b'n', b'b', b'f'] => &mut nbf,
                _ => return,
            };
            if slot.is_none() {
                *slot = Some(NumericClaim::of(&value));
            }
        },
    )?;
    let alg = alg.ok_or(Malformed::NoAlg)?;
    Ok(Jwt {
        alg,
        exp: exp.unwrap_or(NumericClaim::Missing),
        nbf: nbf.unwrap_or(NumericClaim::Missing),
        key_claim: in_payload.or(in_header),
    })
}

/// The `alg` of one of the headers most issuers send, as sent (base64url of
/// `{"alg":"<alg>","typ":"JWT"}` for HS256, RS256 and ES256; the tests' `KNOWN_HEADERS`):
/// such a header is read without decoding it (a base64 and a JSON pass cost about 1,500 wasm
/// instructions). The three differ in one byte (the first of the alg
/// name, base64url-encoded): that byte tells which one it can be, and the header with the first
/// one's byte there is compared with the first a word at a time (memcmp goes a byte at a time
/// in the .wasm; one header kept, not three).
fn known_header(header: &[u8]) -> Option<&'static str> {
    const FIRST: &[u8; KNOWN_HEADER_LEN] = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
    let header = <&[u8; KNOWN_HEADER_LEN]>::try_from(header).ok()?;
    let (byte, name) = match header.get(DIFFERS_AT)? {
        b'I' => (b'I', "HS256"),
        b'S' => (b'S', "RS256"),
        b'F' => (b'F', "ES256"),
        _ => return None,
    };
    let word = |bytes: &[u8; KNOWN_HEADER_LEN], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(bytes.get(at..at + 8).unwrap_or(&[0; 8]));
        u64::from_le_bytes(w)
    };
    // Five words over the 36 bytes, the last two overlapping; the byte that differs, the
    // fourth of the second word, is the first's there.
    let x = |at| word(header, at) ^ word(FIRST, at);
    let differ = x(0) | (x(8) ^ (u64::from(byte ^ b'I') << 24)) | x(16) | x(24) | x(28);
    (differ == 0).then_some(name)
}

/// Where the headers [`known_header`] knows differ.
const DIFFERS_AT: usize = 11;

/// The headers [`known_header`] knows, with their `alg`: checked against it and the decoder.
#[cfg(test)]
const KNOWN_HEADERS: [(&[u8], &str); 3] = [
    (b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", "HS256"),
    (b"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9", "RS256"),
    (b"eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9", "ES256"),
];

/// The length of every header [`known_header`] knows.
const KNOWN_HEADER_LEN: usize = 36;

/// `alg` as kept from a decoded header: a copy (the decoded bytes are gone by the time it is
/// judged; the usual token's is borrowed by [`known_header`] without decoding). `name` is
/// text: the readers hand on only strings they read as UTF-8, so the lossy copy is an exact
/// one.
fn owned_alg(name: &[u8]) -> Cow<'static, str> {
    Cow::Owned(String::from_utf8_lossy(name).into_owned())
}

/// Checks one decoded segment is a JSON object nested at most [`MAX_JSON_DEPTH`] deep, handing
/// `member` its top-level members. `member` must keep the first value of each key it looks at
/// (as every claim is read): the compact reader may hand it the first members of an object
/// before it gives up on it, and the general reader then hands them again, read the same way.
fn read_object(
    json: &[u8],
    part: &'static str,
    member: &mut dyn FnMut(&[u8], Value<'_>),
) -> Result<(), Malformed> {
    if compact_members(json, member) {
        return Ok(());
    }
    shape::members(json, MAX_JSON_DEPTH, &mut |key, value| {
        member(key.as_bytes(), Value::of(&value));
    })
    .ok_or_else(|| {
        // The reader stops at the bound as at any error: which one it was, the nesting says
        // (valid JSON up to where it stopped nests no deeper than the bound).
        if depth(json) > MAX_JSON_DEPTH {
            Malformed::TooDeep(part)
        } else {
            Malformed::NotJsonObject(part)
        }
    })
}

/// A member's value as the claims read it: a string's bytes (text, as the readers hand on only
/// strings they read as UTF-8), a number, or anything else.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Value<'b> {
    /// A string, unescaped.
    Str(&'b [u8]),
    /// A number, fractions truncated and out-of-range values saturated.
    Number(i64),
    /// `null`, `true`, `false`, an array or an object.
    Other,
}

impl<'b> Value<'b> {
    /// The general reader's value.
    fn of(value: &'b Scalar<'_>) -> Self {
        match value {
            Scalar::Str(s) => Value::Str(s.as_bytes()),
            Scalar::Number(n) => Value::Number(*n),
            Scalar::Other => Value::Other,
        }
    }
}

/// Reads an object as issuers write it: `{"k":v,...}` without whitespace, keys and string values
/// without escapes (printable ASCII), integers of at most 18 digits, handing `member` each
/// member on the way. `false` as soon as the object is anything else, which the general reader
/// then decides: the general reader costs about twice this one in the .wasm (a call and a `Cow`
/// per key and value). What this reads, it reads as [`shape::members`] does (held together in
/// the tests). Bytes, not text: every byte it accepts is ASCII, so the document needs no UTF-8
/// check first (which costs about 20 wasm instructions a byte); a non-ASCII byte anywhere ends
/// it (in a string, [`plain_string`] stops at it; elsewhere it is no JSON punctuation).
fn compact_members(json: &[u8], member: &mut dyn FnMut(&[u8], Value<'_>)) -> bool {
    let bytes = json;
    if bytes.first() != Some(&b'{') {
        return false;
    }
    if bytes.get(1) == Some(&b'}') {
        return bytes.len() == 2;
    }
    let mut at = 1;
    loop {
        let Some(key) = plain_string(bytes, &mut at) else {
            return false;
        };
        if bytes.get(at) != Some(&b':') {
            return false;
        }
        at += 1;
        let value = if bytes.get(at) == Some(&b'"') {
            plain_string(bytes, &mut at).map(Value::Str)
        } else {
            plain_integer(bytes, &mut at).map(Value::Number)
        };
        let Some(value) = value else {
            return false;
        };
        // Only a member followed by what ends it is handed on.
        match bytes.get(at) {
            Some(b',') => at += 1,
            Some(b'}') if at + 1 == bytes.len() => {
                member(key, value);
                return true;
            }
            _ => return false,
        }
        member(key, value);
    }
}

/// The string at `at` when it is quoted printable ASCII without escapes; `at` moved past it.
fn plain_string<'a>(bytes: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
    if bytes.get(*at) != Some(&b'"') {
        return None;
    }
    let start = *at + 1;
    // Eight bytes a step to the first quote, backslash, control or non-ASCII byte: it must be
    // the closing quote.
    let end = start + find(bytes.get(start..)?, Class::Unescaped);
    if bytes.get(end) != Some(&b'"') {
        return None;
    }
    *at = end + 1;
    bytes.get(start..end)
}

/// The integer at `at` (`-`, then `0` or up to 18 digits not starting with `0`); `at` moved
/// past it. A fraction or an exponent after it is left to the general reader (the caller
/// accepts only `,` or `}` next). Eight digits a step while there are eight (a NumericDate has
/// ten: a byte-by-byte loop costs ~35 wasm instructions a digit), the rest a byte at a time.
fn plain_integer(bytes: &[u8], at: &mut usize) -> Option<i64> {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    let negative = bytes.get(*at) == Some(&b'-');
    let start = *at + usize::from(negative);
    let (mut end, mut n) = (start, 0i64);
    while let Some(word) = bytes.get(end..end + 8) {
        let x = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        // Eight digits: no byte below `0` or above `9`.
        if (x.wrapping_sub(ONES * 0x30) & !x | x.wrapping_add(ONES * 0x46) | x) & (ONES << 7) != 0 {
            break;
        }
        // Their values, the first in the lowest byte, summed in pairs, fours and eights.
        let mut v = x - ONES * 0x30;
        v = (v * 10 + (v >> 8)) & 0x00ff_00ff_00ff_00ff;
        v = (v * 100 + (v >> 16)) & 0x0000_ffff_0000_ffff;
        v = (v * 10_000 + (v >> 32)) & 0xffff_ffff;
        n = n.wrapping_mul(100_000_000).wrapping_add(v as i64);
        end += 8;
    }
    while let Some(&d @ b'0'..=b'9') = bytes.get(end) {
        n = n.wrapping_mul(10).wrapping_add(i64::from(d - b'0'));
        end += 1;
    }
    let digits = end - start;
    if digits == 0 || digits > 18 || (digits > 1 && bytes.get(start) == Some(&b'0')) {
        return None;
    }
    *at = end;
    Some(if negative { -n } else { n })
}

/// Deepest nesting of `[`/`{` outside strings, whether or not the JSON is valid.
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
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NumericClaim {
    /// Absent.
    Missing,
    /// Present but not a number.
    NotNumber,
    /// Seconds since the epoch.
    Seconds(i64),
}

impl NumericClaim {
    fn of(value: &Value<'_>) -> Self {
        match value {
            Value::Number(n) => NumericClaim::Seconds(*n),
            _ => NumericClaim::NotNumber,
        }
    }
}

/// A claim's value, as far as the diagnosis looks into it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClaimValue {
    /// A string, and whether it is empty.
    Str {
        /// `""`.
        empty: bool,
    },
    /// A number (fractions truncated).
    Number(i64),
    /// `null`, a boolean, an array or an object.
    Other,
}

impl ClaimValue {
    fn of(value: &Value<'_>) -> Self {
        match value {
            Value::Str(s) => ClaimValue::Str {
                empty: s.is_empty(),
            },
            Value::Number(n) => ClaimValue::Number(*n),
            Value::Other => ClaimValue::Other,
        }
    }
}

impl Jwt {
    /// The claim [`decode_for`] was asked for (`None` also when it was asked for none).
    pub fn key_claim(&self) -> Option<ClaimValue> {
        self.key_claim
    }

    /// The payload's `exp`.
    pub fn exp(&self) -> NumericClaim {
        self.exp
    }

    /// The payload's `nbf`.
    pub fn nbf(&self) -> NumericClaim {
        self.nbf
    }
}

/// `2026-11-28T11:00:00Z` for unix seconds (proleptic Gregorian, UTC).
pub fn rfc3339(secs: i64) -> String {
    let mut out = Vec::with_capacity(24);
    put_rfc3339(&mut out, secs);
    text(out)
}

/// ASCII bytes written by the `put_` functions as a `String`: one UTF-8 check of the whole
/// sentence, from the start of its heap buffer (std's check goes a word at a time from an
/// aligned start, a byte at a time otherwise: ~20 wasm instructions a byte), instead of one per
/// piece pushed onto a `String`.
pub fn text(ascii: Vec<u8>) -> String {
    String::from_utf8(ascii).unwrap_or_default()
}

/// [`rfc3339`] written onto `out`: a sentence takes its dates without a string apiece. The
/// digits are added into the ASCII of a template, two words of it, in a few arithmetic steps
/// (a byte apiece costs several times that in wasm, core::fmt more than the date); the year is
/// written as format!'s `{y:04}` writes it (a sign counts in the width).
pub fn put_rfc3339(out: &mut Vec<u8>, secs: i64) {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400).unsigned_abs();
    let (m, d, h, min, s) = (
        u64::from(m),
        u64::from(d),
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
    );
    // A number below 100 as the values of its two digits, the first in the lower byte.
    let pair = |n: u64| (n / 10) | ((n % 10) << 8);
    let date =
        u64::from_le_bytes(*b"-00-00T0") + (pair(m) << 8) + (pair(d) << 32) + ((h / 10) << 56);
    let time = u64::from_le_bytes(*b"0:00:00Z") + h % 10 + (pair(min) << 16) + (pair(s) << 40);
    if let Ok(y @ 0..=9999) = u64::try_from(y) {
        let year = u32::from_le_bytes(*b"0000")
            + ((y / 1000) | ((y / 100 % 10) << 8) | ((y / 10 % 10) << 16) | ((y % 10) << 24))
                as u32;
        out.extend_from_slice(&year.to_le_bytes());
    } else {
        if y < 0 {
            out.push(b'-');
        }
        put_padded(out, y.unsigned_abs(), if y < 0 { 3 } else { 4 });
    }
    out.extend_from_slice(&(u128::from(time) << 64 | u128::from(date)).to_le_bytes());
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
    let mut out = Vec::with_capacity(32);
    put_duration(&mut out, secs);
    text(out)
}

/// [`duration`] written onto `out`.
pub fn put_duration(out: &mut Vec<u8>, secs: u64) {
    let (unit, per): (&[u8], u64) = match secs {
        0..=120 => (b"", 1),
        121..=7199 => (b" min)", 60),
        7200..=172_799 => (b" h)", 3600),
        _ => (b" days)", 86_400),
    };
    put_number(out, secs);
    if per > 1 {
        out.extend_from_slice(b" s (");
        put_number(out, secs / per);
        out.extend_from_slice(unit);
    } else {
        out.extend_from_slice(b" s");
    }
}

/// `n` in decimal, written in one piece (not a push per digit, not core::fmt).
pub fn put_number(out: &mut Vec<u8>, n: u64) {
    put_padded(out, n, 1);
}

/// `n` in decimal, zero-padded to at least `width` digits, written in one piece.
fn put_padded(out: &mut Vec<u8>, n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut at = digits.len();
    let mut rest = n;
    for d in digits.iter_mut().rev() {
        // `rest % 10` is a single digit: the cast cannot truncate.
        *d = b'0' + (rest % 10) as u8;
        rest /= 10;
        at -= 1;
        if rest == 0 {
            break;
        }
    }
    at = at.min(digits.len().saturating_sub(width));
    out.extend_from_slice(digits.get(at..).unwrap_or_default());
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::parse::shape::tests::{json, serde_object, TRICKY};
    use crate::parse::shape::Shape;
    use proptest::prelude::*;

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
                let at: Vec<usize> = (0..len).filter(|&i| value[i] == b'.').collect();
                assert_eq!(jwt_dots(&value), old.then(|| (at[0], at[1])), "{value:?}");
                jwts += usize::from(old);
            }
        }
        assert!(jwts > 50, "{jwts}");
        assert_eq!(dots(&[b'.'; 64]), 64);
        assert_eq!(jwt_dots(b"eyJ........"), None);
        assert_eq!(jwt_dots(b"eyJ..xxxxxxxxxxxxxxxxxxxx"), Some((3, 4)));
        assert_eq!(jwt_dots(b"eyJxxxxxxxxxxxxxxxxxxxx.."), Some((23, 24)));
    }

    /// How many `.` are in `value`, as [`looks_like_jwt`] counted them before [`jwt_dots`].
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

    /// An unsigned test token from header and payload JSON.
    pub fn token(header: &str, payload: &str) -> String {
        let e = ::base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}.c2lnbmF0dXJl", e.encode(header), e.encode(payload))
    }

    /// A header is known exactly when it is one of [`KNOWN_HEADERS`], byte for byte.
    #[test]
    fn known_headers_by_every_byte() {
        for (known, name) in KNOWN_HEADERS {
            assert_eq!(known.len(), 36);
            assert_eq!(known_header(known), Some(name));
            for at in 0..known.len() {
                for b in [b'A', b'I', b'S', b'F', b'e', 0, 0xff] {
                    let mut header = known.to_vec();
                    header[at] = b;
                    let expected = KNOWN_HEADERS
                        .iter()
                        .find(|(k, _)| *k == &header[..])
                        .map(|(_, n)| *n);
                    assert_eq!(known_header(&header), expected, "{at} {b}");
                }
            }
            assert_eq!(known_header(&known[..35]), None);
            assert_eq!(known_header(&[known, &b"A"[..]].concat()), None);
        }
    }

    /// A known header is what it says, and is read as the decoder reads the same members in
    /// another order (which is no known header), for every key claim that could be in it.
    #[test]
    fn known_headers_read_as_decoded() {
        let e = ::base64::engine::general_purpose::URL_SAFE_NO_PAD;
        for (encoded, name) in KNOWN_HEADERS {
            let header = format!(r#"{{"alg":"{name}","typ":"JWT"}}"#);
            assert_eq!(e.encode(&header).as_bytes(), encoded, "{name}");
            let known = token(&header, r#"{"iss":"a","exp":5}"#);
            let other = token(
                &format!(r#"{{"typ":"JWT","alg":"{name}"}}"#),
                r#"{"iss":"a","exp":5}"#,
            );
            assert!(!KNOWN_HEADERS
                .iter()
                .any(|(h, _)| other.as_bytes().starts_with(h)));
            for key in [None, Some("alg"), Some("typ"), Some("kid"), Some("exp")] {
                let (a, b) = (
                    decode_for(known.as_bytes(), key).unwrap(),
                    decode_for(other.as_bytes(), key).unwrap(),
                );
                assert_eq!(a.alg.as_deref(), Some(name));
                assert_eq!(a.alg, b.alg);
                assert_eq!(
                    (a.exp, a.nbf, a.key_claim),
                    (b.exp, b.nbf, b.key_claim),
                    "{key:?}"
                );
            }
        }
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
        assert_eq!(jwt.exp(), NumericClaim::Seconds(1_764_327_600));
        assert_eq!(jwt.nbf(), NumericClaim::Missing);
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

    use ::base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    use ::base64::engine::DecodePaddingMode;
    use ::base64::Engine;

    /// The engine the decoder used before `parse::base64`.
    const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(
        &::base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );

    /// The decoder this module replaced, on serde_json: the oracle for `decode`.
    fn serde_decode(token: &[u8]) -> Result<(Option<String>, Shape, Shape), Malformed> {
        if token.len() > MAX_JWT_BYTES {
            return Err(Malformed::TooLong(token.len()));
        }
        let segments: Vec<&[u8]> = token.split(|&b| b == b'.').collect();
        let [header, payload, _] = segments[..] else {
            return Err(Malformed::Segments(segments.len()));
        };
        let object = |segment: &[u8], part| {
            let bytes = URL_SAFE_LENIENT
                .decode(segment)
                .map_err(|_| Malformed::NotBase64(part))?;
            if depth(&bytes) > MAX_JSON_DEPTH {
                return Err(Malformed::TooDeep(part));
            }
            serde_object(&bytes).ok_or(Malformed::NotJsonObject(part))
        };
        let header = object(header, "header")?;
        let claims = object(payload, "payload")?;
        let alg = match header.get("alg") {
            Some(Shape::Str(alg)) => Some(alg.clone()),
            Some(_) => None,
            None => return Err(Malformed::NoAlg),
        };
        Ok((alg, header, claims))
    }

    /// `decode` and the serde_json decoder agree on everything the diagnosis reads.
    fn agree(token: &[u8]) {
        let show = String::from_utf8_lossy(token);
        usual_as_the_long_way(token);
        match (decode(token), serde_decode(token)) {
            (Err(new), Err(old)) => assert_eq!(new, old, "{show}"),
            (Ok(jwt), Ok((alg, header, claims))) => {
                assert_eq!(jwt.alg.as_deref(), alg.as_deref(), "{show}");
                let numeric = |name: &str| match claims.get(name) {
                    None => NumericClaim::Missing,
                    Some(Shape::Number(n)) => NumericClaim::Seconds(*n),
                    Some(_) => NumericClaim::NotNumber,
                };
                let mut names = vec!["exp", "nbf", "iat", "iss", "kid", "alg", "typ", "absent"];
                for doc in [&header, &claims] {
                    if let Shape::Object(members) = doc {
                        names.extend(members.iter().map(|(k, _)| k.as_str()));
                    }
                }
                assert_eq!(jwt.exp(), numeric("exp"), "{show}");
                assert_eq!(jwt.nbf(), numeric("nbf"), "{show}");
                assert_eq!(jwt.key_claim(), None);
                for name in names {
                    let keyed = decode_for(token, Some(name)).map(|j| j.key_claim());
                    let expected = claims
                        .get(name)
                        .or_else(|| header.get(name))
                        .map(|v| match v {
                            Shape::Str(s) => ClaimValue::Str {
                                empty: s.is_empty(),
                            },
                            Shape::Number(n) => ClaimValue::Number(*n),
                            _ => ClaimValue::Other,
                        });
                    assert_eq!(keyed, Ok(expected), "{name} in {show}");
                }
            }
            (new, old) => panic!("{show}: {new:?} against {old:?}"),
        }
    }

    /// What `decode_usual` reads, it reads as `decode_for` does, for every key claim; and a
    /// token it reads is one the judge finds no placeholder and no malformation in (it starts
    /// `eyJ`, is visible ASCII and has exactly two dots), so the long way, which looks at those
    /// first, would have decoded it too.
    fn usual_as_the_long_way(token: &[u8]) {
        let show = String::from_utf8_lossy(token);
        for key in [
            None,
            Some("iss"),
            Some("alg"),
            Some("typ"),
            Some("exp"),
            Some("sub"),
        ] {
            let usual = decode_usual(token, None, key);
            let dotted = decode_usual(token, jwt_dots(token), key);
            assert_eq!(usual.is_some(), dotted.is_some(), "{show}");
            if let (Some(a), Some(b)) = (&usual, &dotted) {
                assert_eq!(format!("{a:?}"), format!("{b:?}"), "{show}");
            }
            let Some(usual) = usual else {
                continue;
            };
            assert!(token.starts_with(b"eyJ"), "{show}");
            assert!(token.iter().all(|b| (0x21..0x7f).contains(b)), "{show}");
            assert_eq!(token.iter().filter(|&&b| b == b'.').count(), 2, "{show}");
            let long = decode_for(token, key);
            match (usual, long) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a.alg, b.alg, "{show}");
                    assert_eq!(
                        (a.exp, a.nbf, a.key_claim),
                        (b.exp, b.nbf, b.key_claim),
                        "{show}"
                    );
                }
                (Err(a), Err(b)) => assert_eq!(a, b, "{show}"),
                (a, b) => panic!("{show}: {a:?} against {b:?}"),
            }
        }
    }

    /// The usual token takes the short way; every other shape of it the long one.
    #[test]
    fn usual_tokens_and_others() {
        let e = ::base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = r#"{"alg":"HS256","typ":"JWT"}"#;
        let payload = r#"{"iss":"orders-app","iat":1764324000,"exp":1764327600}"#;
        let usual = token(header, payload);
        assert!(decode_usual(usual.as_bytes(), None, Some("iss")).is_some_and(|r| r.is_ok()));
        // Whatever the payload's JSON, once it is base64url.
        for payload in [
            "[1]",
            "{",
            "",
            r#"{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"#,
        ] {
            let t = token(header, payload);
            assert!(
                decode_usual(t.as_bytes(), None, None).is_some_and(|r| r.is_err()),
                "{t}"
            );
            usual_as_the_long_way(t.as_bytes());
        }
        let (h, rest) = usual.split_at(36);
        let (p, sig) = rest[1..].split_at(rest[1..].find('.').unwrap());
        let others = [
            format!("{h}.{p}.a.b"),
            format!("{h}.{p}.sig nature"),
            format!("{h}.{p}.sig\u{e9}"),
            format!("{h}.{p}.sig\x7f"),
            format!("{h}.{p}"),
            format!("{h}.{p}."),
            format!("{h}..{}", &sig[1..]),
            format!(
                "{h}.{}.x",
                e.encode(r#"{"exp":1}"#).replacen("eyJ", "ey J", 1)
            ),
            format!("{h}.e30 .x"),
            format!("{h}.e30=.x"),
            format!("{h}.e3+.x"),
            format!("{h}x.{p}{sig}"),
            format!("{}.{p}{sig}", &h[..35]),
            format!(" {h}.{p}{sig}"),
            format!("{h}.{p}{sig}\n"),
            format!("{h}.{p}{sig}{}", "A".repeat(MAX_JWT_BYTES)),
        ];
        for t in &others {
            usual_as_the_long_way(t.as_bytes());
            agree(t.as_bytes());
        }
        // A signature with bytes that are not visible or a dot is never the usual token.
        for b in (0..=255u8).filter(|b| !(0x21..0x7f).contains(b) || *b == b'.') {
            let mut t = usual.clone().into_bytes();
            let at = t.len() - 3;
            t[at] = b;
            assert!(decode_usual(&t, None, None).is_none(), "{b}");
            assert!(decode_usual(&t, jwt_dots(&t), None).is_none(), "{b}");
        }
        // Nor a payload that is not base64url, whatever byte is in it.
        for b in 0..=255u8 {
            let mut t = usual.clone().into_bytes();
            t[40] = b;
            usual_as_the_long_way(&t);
        }
    }

    #[test]
    fn tricky_tokens_decode_as_before() {
        let e = ::base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let alg = r#"{"alg":"HS256"}"#.as_bytes();
        let mut tokens: Vec<Vec<u8>> = Vec::new();
        // Every tricky document as the header, and as the payload under a good header.
        for doc in TRICKY {
            tokens.push(format!("{}.{}.sig", e.encode(doc), e.encode(alg)).into_bytes());
            tokens.push(format!("{}.{}.sig", e.encode(alg), e.encode(doc)).into_bytes());
        }
        let payloads: &[&str] = &[
            r#"{"exp":1764327600,"exp":5,"nbf":"soon","iat":1.5e9}"#,
            r#"{"exp":-1,"nbf":-9223372036854775809,"iat":1e400}"#,
            r#"{"exp":1e308,"nbf":18446744073709551616,"iss":"\u00e9\ud83d\ude00"}"#,
            r#"{"exp":null,"nbf":[1],"kid":{"a":"b"},"iss":""}"#,
            r#"{"exp":1764327600.99999999999999,"nbf":-0.5,"iat":12e-1}"#,
            r#"{"\u0065xp":7,"exp":8}"#,
        ];
        let headers: &[&str] = &[
            r#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#,
            r#"{"alg":"none"}"#,
            r#"{"alg":"NONE"}"#,
            r#"{"alg":"HS\u0032\u0035\u0036"}"#,
            r#"{"alg":"RS999","alg":"HS256"}"#,
            r#"{"alg":1}"#,
            r#"{"alg":null}"#,
            r#"{"typ":"JWT"}"#,
            r#"{"x":{"alg":"HS256"}}"#,
        ];
        for h in headers {
            for p in payloads {
                tokens.push(token(h, p).into_bytes());
            }
        }
        // Garbage, non-UTF-8, padding, nesting at the bound and past it, 64 KiB, segments.
        let nested = |n: usize| format!("{{\"a\":{}1{}}}", "[".repeat(n - 1), "]".repeat(n - 1));
        let big = format!(r#"{{"exp":1,"pad":"{}"}}"#, "p".repeat(64 * 1024));
        tokens.extend([
            b"eyJ".to_vec(),
            b"..".to_vec(),
            b"a.b.c.d".to_vec(),
            b"!!!.e30.x".to_vec(),
            b"e30.e30.x".to_vec(),
            b"eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJhIn0=.x".to_vec(),
            b"eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJhIn0==.x".to_vec(),
            format!("{}.e30.x", e.encode(b"{\"alg\":\"\xff\"}")).into_bytes(),
            format!("{}.{}.x", e.encode(alg), e.encode(b"\xff\xfe{}")).into_bytes(),
            token(r#"{"alg":"HS256"}"#, &nested(MAX_JSON_DEPTH)).into_bytes(),
            token(r#"{"alg":"HS256"}"#, &nested(MAX_JSON_DEPTH + 1)).into_bytes(),
            token(&nested(MAX_JSON_DEPTH + 1), "{").into_bytes(),
            token(&"[".repeat(40), "{}").into_bytes(),
            token(
                r#"{"alg":"HS256"}"#,
                &format!(r#"{{"a":"{}"}}"#, "[".repeat(40)),
            )
            .into_bytes(),
            token(
                r#"{"alg":"HS256"}"#,
                &format!(r#"{{"a":"\"{}"}}"#, "[".repeat(40)),
            )
            .into_bytes(),
            token(r#"{"alg":"HS256"}"#, &big).into_bytes(),
            big.into_bytes(),
        ]);
        // Payloads around the buffers' sizes: the small one, the large one, the heap.
        for n in (60..140).chain(340..420).chain([600, 700]) {
            let payload = format!(r#"{{"exp":1,"pad":"{}"}}"#, "p".repeat(n));
            tokens.push(token(r#"{"alg":"HS256","typ":"JWT"}"#, &payload).into_bytes());
            tokens.push(token(r#"{"typ":"JWT","alg":"HS256"}"#, &payload).into_bytes());
        }
        for t in &tokens {
            agree(t);
        }
    }

    proptest! {
        #[test]
        fn decodes_as_before(
            header in prop::collection::vec(("\"(alg|kid|typ)\"", json()), 0..4),
            payload in prop::collection::vec(("\"(exp|nbf|iat|iss|sub|\\\\u0065xp)\"", json()), 0..6),
            raw in any::<Vec<u8>>(),
            which in 0u8..4,
        ) {
            let object = |members: &[(String, String)]| {
                let m: Vec<String> = members.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                format!("{{{}}}", m.join(","))
            };
            let e = ::base64::engine::general_purpose::URL_SAFE_NO_PAD;
            let t = match which {
                0 => token(&object(&header), &object(&payload)).into_bytes(),
                1 => format!("{}.{}.x", e.encode(&raw), e.encode(object(&payload))).into_bytes(),
                2 => format!("{}.{}.x", e.encode(object(&header)), e.encode(&raw)).into_bytes(),
                _ => raw,
            };
            agree(&t);
        }

        #[test]
        fn dots_found_as_split_finds_them(t in "[a.]{0,40}") {
            agree(t.as_bytes());
            let at = |from: usize| t.bytes().skip(from).position(|b| b == b'.').map(|i| i + from);
            let first = at(0);
            let second = first.and_then(|f| at(f + 1));
            let expected = match (first, second) {
                (Some(f), Some(s)) if at(s + 1).is_none() => Ok((f, s)),
                _ => Err(t.matches('.').count()),
            };
            prop_assert_eq!(two_dots(t.as_bytes()), expected);
        }
    }

    /// The compact reader against the general one: what it reads whole, it reads as
    /// `shape::members` does; where it gives up, it has handed on only the general reader's
    /// first members, read the same way (the claims keep the first value, so they are read
    /// again harmlessly).
    fn compact_agrees(doc: &[u8]) {
        // Strings as text: what the compact reader hands on must be UTF-8.
        let owned = |v: Value<'_>| match v {
            Value::Str(s) => Scalar::Str(Cow::Owned(String::from_utf8(s.to_vec()).unwrap())),
            Value::Number(n) => Scalar::Number(n),
            Value::Other => Scalar::Other,
        };
        let mut compact: Vec<(String, Scalar)> = Vec::new();
        let whole = compact_members(doc, &mut |k, v| {
            compact.push((String::from_utf8(k.to_vec()).unwrap(), owned(v)))
        });
        let mut general: Vec<(String, Scalar)> = Vec::new();
        let read = shape::members(doc, MAX_JSON_DEPTH, &mut |k, v| {
            general.push((k.into_owned(), v))
        });
        let show = String::from_utf8_lossy(doc);
        if whole {
            assert_eq!(read, Some(()), "{show}");
            assert_eq!(compact, general, "{show}");
        } else if read.is_some() {
            assert_eq!(compact[..], general[..compact.len()], "{show}");
        }
    }

    #[test]
    fn compact_reads_as_the_general_reader() {
        let docs: &[&[u8]] = &[
            b"{}",
            b"{} ",
            b"{ }",
            b"{",
            b"",
            b"{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
            b"{\"iss\":\"orders-app\",\"iat\":1764324000,\"exp\":1764327600}",
            b"{\"exp\":1,\"exp\":2}",
            b"{\"exp\":0,\"nbf\":-0,\"iat\":-12}",
            b"{\"exp\":01}",
            b"{\"exp\":-}",
            b"{\"exp\":1.5}",
            b"{\"exp\":1e3}",
            b"{\"exp\":1E3}",
            b"{\"exp\":999999999999999999}",
            b"{\"exp\":9999999999999999999}",
            b"{\"exp\":-9223372036854775809}",
            b"{\"exp\":18446744073709551616}",
            b"{\"exp\":1 }",
            b"{\"exp\":1,\"nbf\":2 }",
            b"{\"exp\":1,\"nbf\":2}x",
            b"{\"exp\":1,}",
            b"{\"exp\":1,,\"a\":2}",
            b"{\"exp\" :1}",
            b"{\"exp\":true}",
            b"{\"exp\":null,\"nbf\":1}",
            b"{\"iss\":1,\"kid\":{\"a\":1}}",
            b"{\"a\\u0062\":1}",
            b"{\"a\":\"b\\\"c\"}",
            b"{\"a\":\"\xc3\xa9\"}",
            b"{\"a\":\"\xff\"}",
            b"{\"a\":\"\x7f\"}",
            b"{\"a\":\"\x01\"}",
            b"{\"a\":\"\"}",
            b"{\"\":\"\"}",
            b"{\"a\":\"b}",
            b"{\"a\"",
            b"{\"a\":",
            b"{\"a\":\"",
            b"[1]",
            b"{\"a\":[1,2],\"exp\":5}",
        ];
        for doc in docs {
            compact_agrees(doc);
        }
        for doc in TRICKY {
            compact_agrees(doc);
        }
        // Every cut of a compact payload, and every byte of it replaced by a few others.
        let payload =
            br#"{"iss":"a\"b","sub":"user-4711","iat":1764324000,"exp":-1764327600,"k":""}"#;
        for cut in 0..=payload.len() {
            compact_agrees(&payload[..cut]);
            for b in [
                b' ', b'"', b'\\', b'.', b'e', b'0', b'-', b'}', b',', 0x80, 0x1f,
            ] {
                let mut doc = payload.to_vec();
                if let Some(at) = doc.get_mut(cut) {
                    *at = b;
                }
                compact_agrees(&doc);
            }
        }
    }

    proptest! {
        #[test]
        fn compact_agrees_on_generated_objects(
            members in prop::collection::vec(("\"[a-z\\\\\" ]{0,4}\"", json()), 0..5),
            spaced in any::<bool>(),
        ) {
            let m: Vec<String> = members.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            let doc = format!("{{{}}}", m.join(if spaced { ", " } else { "," }));
            compact_agrees(doc.as_bytes());
        }

        #[test]
        fn compact_agrees_on_any_bytes(doc in prop::collection::vec(any::<u8>(), 0..40)) {
            compact_agrees(&doc);
        }
    }

    /// [`plain_integer`] as it was, a byte at a time: its oracle.
    fn plain_integer_by_bytes(bytes: &[u8], at: &mut usize) -> Option<i64> {
        let negative = bytes.get(*at) == Some(&b'-');
        let start = *at + usize::from(negative);
        let (mut end, mut n) = (start, 0i64);
        while let Some(&d @ b'0'..=b'9') = bytes.get(end) {
            n = n.wrapping_mul(10).wrapping_add(i64::from(d - b'0'));
            end += 1;
        }
        let digits = end - start;
        if digits == 0 || digits > 18 || (digits > 1 && bytes.get(start) == Some(&b'0')) {
            return None;
        }
        *at = end;
        Some(if negative { -n } else { n })
    }

    fn integer_agrees(doc: &[u8], from: usize) {
        let (mut a, mut b) = (from, from);
        assert_eq!(
            plain_integer(doc, &mut a),
            plain_integer_by_bytes(doc, &mut b),
            "{:?} at {from}",
            String::from_utf8_lossy(doc)
        );
        assert_eq!(a, b);
    }

    /// Every count of digits up to 26, after a sign or not, before every byte, with every
    /// number of bytes after it (where the words end), and digits around `0` and `9`.
    #[test]
    fn integers_by_words_as_by_bytes() {
        let digits = b"98765432100123456789099990000";
        for len in 0..=26 {
            for first in [b'0', b'1', b'9'] {
                for sign in [&b""[..], b"-"] {
                    for next in 0..=255u8 {
                        for pad in [0, 1, 7, 8, 9] {
                            let mut doc = b":".to_vec();
                            doc.extend_from_slice(sign);
                            let at = doc.len();
                            doc.extend_from_slice(&digits[..len]);
                            if len > 0 {
                                doc[at] = first;
                            }
                            doc.push(next);
                            doc.extend(std::iter::repeat_n(b'7', pad));
                            integer_agrees(&doc, 1);
                        }
                    }
                }
            }
        }
    }

    proptest! {
        #[test]
        fn integers_agree(doc in "[-0-9,}./:eE]{0,30}", from in 0usize..30) {
            integer_agrees(doc.as_bytes(), from);
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
        assert_eq!(jwt.exp(), NumericClaim::NotNumber);
        assert_eq!(jwt.nbf(), NumericClaim::Seconds(1_500_000_000));
    }

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_764_331_200), "2025-11-28T12:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        // Years past four digits, and before year 0, as format!'s `{y:04}` writes them.
        assert_eq!(rfc3339(253_402_300_800), "10000-01-01T00:00:00Z");
        assert_eq!(rfc3339(253_402_300_799), "9999-12-31T23:59:59Z");
        // Before year 0, around the years the fast path writes, and a negative time.
        for secs in [
            -62_167_219_201_i64,
            -62_198_755_200,
            -1_000_000_000_000,
            -1,
            -62_167_219_200,
            253_402_300_799,
            253_402_300_800,
            1_764_327_600,
        ] {
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
        assert_eq!(duration(200_000), "200000 s (2 days)");
        for n in [0, 7, 10, 99, 12_345, u64::MAX] {
            let mut out = b"n=".to_vec();
            put_number(&mut out, n);
            assert_eq!(text(out), format!("n={n}"));
        }
    }
}
