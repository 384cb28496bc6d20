//! Judging one credential that a plugin of the route reads: is it a placeholder, is it
//! malformed, and for JWT, Basic and hmac, what the plugin would object to.

use crate::decide::config::{Claim, Config, RawJwt};
use crate::decide::credential::{Found, Kind, Place};
use crate::decide::lent::Lent;
use crate::diagnosis::{At, Code, Diagnosis, Plugin};
use crate::parse::base64::{self, Rules};
use crate::parse::httpdate;
use crate::parse::jwt::{
    self, duration, put_duration, put_number, put_rfc3339, rfc3339, text, ClaimValue, NumericClaim,
    KONG_ALGORITHMS,
};
use crate::parse::request::Request;
use crate::parse::text::is_visible_ascii;

/// Values clients send when a template variable was never filled in, compared case-insensitively.
const PLACEHOLDERS: [&str; 22] = [
    "null",
    "undefined",
    "none",
    "nil",
    "nan",
    "[object object]",
    "redacted",
    "<redacted>",
    "token",
    "<token>",
    "your-token",
    "your_token",
    "yourtoken",
    "<your-token>",
    "api-key",
    "<api-key>",
    "your-api-key",
    "changeme",
    "bearer",
    "xxx",
    "secret",
    "test",
];

/// The first bytes (lowercase) of every placeholder above and of the patterns `is_placeholder`
/// knows.
const PLACEHOLDER_STARTS: &[u8] = b"nurtyacbxs[<${%*.";

/// Seconds within which an `exp`/`nbf` miss is called a possible clock skew.
const NEAR_MISS_SECONDS: i64 = 300;

/// Whether the value is a template placeholder rather than a credential.
pub(super) fn is_placeholder(value: &[u8]) -> bool {
    // A value whose first byte starts no placeholder (nor is whitespace trim() would take) is
    // none: a credential is told apart without a pass over its bytes.
    if let Some(&b) = value.first() {
        if b.is_ascii()
            && !char::from(b).is_whitespace()
            && !PLACEHOLDER_STARTS.contains(&b.to_ascii_lowercase())
        {
            return false;
        }
    }
    let Ok(text) = std::str::from_utf8(value) else {
        return false;
    };
    let t = text.trim();
    // Compared without case in place: a lowercased copy of every credential costs on every 401.
    PLACEHOLDERS.iter().any(|p| p.eq_ignore_ascii_case(t))
        || (t.starts_with("${") && t.ends_with('}'))
        || (t.starts_with("{{") && t.ends_with("}}"))
        || (t.starts_with('<') && t.ends_with('>'))
        || (t.starts_with('%') && t.ends_with('%') && t.len() > 2)
        || (t.starts_with('$')
            && t.len() > 1
            && t.bytes()
                .skip(1)
                .all(|b| b.is_ascii_uppercase() || b == b'_'))
        || (t.len() >= 3
            && t.bytes()
                .all(|b| b == b'*' || b == b'x' || b == b'X' || b == b'.'))
}

/// What is wrong with the bytes themselves, if anything. `spaced` credentials (hmac-auth's
/// parameter list) may contain spaces and quotes.
pub(super) fn malformation(value: &[u8], spaced: bool) -> Option<&'static str> {
    if value.is_empty() {
        return Some("is empty");
    }
    let quoted = |q: u8| value.len() >= 2 && value.first() == Some(&q) && value.last() == Some(&q);
    if !spaced && (quoted(b'"') || quoted(b'\'')) {
        return Some("is wrapped in quotes");
    }
    // The usual credential, printable ASCII without spaces: eight bytes a step.
    if is_visible_ascii(value) {
        return None;
    }
    // One pass for the three checks (a pass per byte costs, on every 401), said in this order.
    let (mut non_ascii, mut control, mut space) = (false, false, false);
    for &b in value {
        non_ascii |= b >= 0x80;
        control |= b < 0x20 || b == 0x7f;
        space |= b == b' ' || b == b'\t';
    }
    if non_ascii {
        Some("has non-ASCII bytes")
    } else if control {
        Some("has control characters")
    } else if space && !spaced {
        Some("has whitespace inside")
    } else {
        None
    }
}

/// Everything wrong with one read credential, most specific first, pushed onto `out`: a
/// well-formed JWT (every expired-token 401) is judged without a list of its own (an allocation
/// and a free cost about 400 wasm instructions).
/// `kong_answered`: the 401 is known to be Kong's own, so a claim Kong's jwt does not verify
/// cannot be why.
pub fn judge_into(
    found: &Found<'_>,
    request: &Request,
    config: &Config,
    now: i64,
    kong_answered: bool,
    out: &mut Lent<Diagnosis>,
) {
    if found.kind == Kind::Jwt {
        let kong_jwt = config
            .auth
            .jwt
            .as_ref()
            .filter(|_| found.readers.contains(&Plugin::Jwt));
        let key_claim = kong_jwt.map(|j| j.key_claim_name.as_str());
        // The usual token is read in one go; any other is judged malformation first.
        let decoded = match jwt::decode_usual(&found.value, found.dots, key_claim) {
            Some(decoded) => Some(decoded),
            None if is_placeholder(&found.value) || malformation(&found.value, false).is_some() => {
                None
            }
            None => Some(jwt::decode_for(&found.value, key_claim)),
        };
        if let Some(decoded) = decoded {
            return judge_jwt(found, decoded, kong_jwt, config, now, kong_answered, out);
        }
    }
    out.append(judge(found, request, config, now));
}

/// What [`judge_into`] finds of a credential other than a well-formed JWT.
fn judge(found: &Found<'_>, request: &Request, config: &Config, now: i64) -> Vec<Diagnosis> {
    let plugin = found.plugin();
    // Named only in the sentence that needs it: a well-formed credential is named by its judge.
    let place = || found.place.describe();
    let len = found.value.len();
    if is_placeholder(&found.value) {
        return vec![Diagnosis::new(
            Code::CredentialPlaceholder,
            format!("the {} in {} ({len} bytes) is a placeholder, not a credential", found.kind.as_str(), place()),
            "the client sent a template value: set the variable that should hold the real credential",
        )
        .maybe_plugin(plugin)
        .at(At::Client)];
    }
    if let Some(problem) = malformation(&found.value, found.kind == Kind::Hmac) {
        // Kong decodes the query string: a `+` the client meant literally arrives as a space.
        let (decoded, hint) = if matches!(found.place, Place::Query(_)) {
            (", decoded as Kong reads it", "Kong reads a query string decoded: + is a space and %XX a byte, so percent-encode the credential (+ as %2B, % as %25, & as %26), or send it in a header")
        } else {
            (
                "",
                "send the credential exactly as issued: no quotes, spaces or line breaks",
            )
        };
        return vec![Diagnosis::new(
            Code::CredentialMalformed,
            format!(
                "the {} in {} ({len} bytes{decoded}) {problem}",
                found.kind.as_str(),
                place()
            ),
            hint,
        )
        .maybe_plugin(plugin)
        .at(At::Client)];
    }
    match found.kind {
        // A well-formed JWT is judged by `judge_into`, the only caller.
        Kind::Bearer if found.readers == [Plugin::Jwt] => vec![Diagnosis::new(
            Code::JwtMalformed,
            format!(
                "the bearer token in {} ({len} bytes) is not a JWT: {}",
                place(),
                jwt::decode(&found.value).err().map(|m| m.describe()).unwrap_or_default()
            ),
            "the jwt plugin needs a JWT (header.payload.signature); an opaque token needs oauth2 or openid-connect",
        )
        .plugin(Plugin::Jwt)
        .at(At::Client)],
        // ldap-auth with `header_type = basic` reads Basic too, by its own rules.
        Kind::Basic | Kind::Ldap
            if found.readers.contains(&Plugin::LdapAuth)
                && !found.readers.contains(&Plugin::BasicAuth) =>
        {
            judge_ldap(found, config)
        }
        Kind::Basic => judge_basic(found),
        Kind::Hmac => judge_hmac(request, config, now),
        _ => Vec::new(),
    }
}

/// Judges a well-formed JWT, decoded, for the route's jwt plugin when it reads it.
fn judge_jwt(
    found: &Found<'_>,
    decoded: Result<jwt::Jwt, jwt::Malformed>,
    kong_jwt: Option<&RawJwt>,
    config: &Config,
    now: i64,
    kong_answered: bool,
    out: &mut Lent<Diagnosis>,
) {
    let plugin = found.plugin();
    let token = match decoded {
        Ok(token) => token,
        Err(jwt::Malformed::TooLong(_)) => return,
        Err(m) => {
            out.push(
                Diagnosis::new(
                    Code::JwtMalformed,
                    format!(
                        "the token in {} ({} bytes): {}",
                        found.place.describe(),
                        found.value.len(),
                        m.describe()
                    ),
                    "send the JWT exactly as issued (header.payload.signature, base64url)",
                )
                .maybe_plugin(plugin)
                .at(At::Client),
            );
            return;
        }
    };
    let d = |code, detail: String, hint: &'static str| at_client(code, detail, hint, plugin);
    match token.alg.as_deref() {
        None => out.push(d(Code::JwtClaimInvalid, "the JWT header's alg is not a string".into(), "issue the token with a standard alg")),
        Some(alg) if alg.eq_ignore_ascii_case("none") => out.push(d(
            Code::JwtAlgUnsupported,
            "the JWT is unsigned (alg none)".into(),
            "issue a signed token (HS256, RS256, ES256 ...)",
        )),
        Some(alg) if kong_jwt.is_some() && !KONG_ALGORITHMS.contains(&alg) => out.push(d(
            Code::JwtAlgUnsupported,
            format!("alg {} is not one Kong's jwt plugin accepts ({})", crate::parse::text::printable(alg, 20), KONG_ALGORITHMS.join(" ")),
            "issue the token with an algorithm Kong supports and set the jwt credential's algorithm to match",
        )),
        Some(_) => {}
    }
    let skew = i64::try_from(config.clock_skew).unwrap_or(i64::MAX);
    // Kong's jwt checks exp and nbf only when claims_to_verify lists them; when Kong alone read
    // the token and answered, an expired token is not why (any other verifier would refuse it).
    let kong_only = kong_answered && found.readers == [Plugin::Jwt];
    let judged =
        |claim: Claim| !kong_only || kong_jwt.is_some_and(|j| j.claims_to_verify.contains(&claim));
    let exp = if judged(Claim::Exp) {
        token.exp()
    } else {
        NumericClaim::Missing
    };
    let nbf = if judged(Claim::Nbf) {
        token.nbf()
    } else {
        NumericClaim::Missing
    };
    let verified = |claim: Claim| kong_jwt.is_some_and(|j| j.claims_to_verify.contains(&claim));
    match exp {
        NumericClaim::Seconds(exp) if exp <= now => {
            let ago = now.saturating_sub(exp);
            let skew_note = (ago <= skew.max(NEAR_MISS_SECONDS))
                .then_some(&b" s: clock skew? Kong's jwt allows no leeway"[..]);
            let detail = time_sentence(
                b"exp ",
                exp,
                ago.unsigned_abs(),
                b" before now (",
                now,
                skew_note,
            );
            out.push(d(Code::JwtExpired, detail, "get a new token (refresh it before exp); if it just expired, check the clocks of the issuer and Kong"));
        }
        other => {
            if let Some((code, detail, hint)) = unusable_time_claim(
                "exp",
                &other,
                verified(Claim::Exp),
                "issue exp as seconds since the epoch",
                "issue tokens with an exp claim",
            ) {
                out.push(d(code, detail, hint));
            }
        }
    }
    match nbf {
        NumericClaim::Seconds(nbf) if nbf > now => {
            let ahead = nbf.saturating_sub(now);
            let skew_note = (ahead <= skew.max(NEAR_MISS_SECONDS))
                .then_some(&b" s: clock skew? the issuer's clock is ahead of Kong's"[..]);
            let detail = time_sentence(
                b"nbf ",
                nbf,
                ahead.unsigned_abs(),
                b" after now (",
                now,
                skew_note,
            );
            out.push(d(
                Code::JwtNotYetValid,
                detail,
                "wait until nbf, or fix the issuer's clock (NTP)",
            ));
        }
        other => {
            if let Some((code, detail, hint)) = unusable_time_claim(
                "nbf",
                &other,
                verified(Claim::Nbf),
                "issue nbf as seconds since the epoch",
                "issue tokens with an nbf claim, or drop nbf from claims_to_verify",
            ) {
                out.push(d(code, detail, hint));
            }
        }
    }
    if let Some(jwt_conf) = kong_jwt {
        let key = jwt_conf.key_claim_name.as_str();
        match token.key_claim() {
            None => out.push(d(
                Code::JwtClaimMissing,
                format!("the token has no {} claim (key_claim_name), which Kong uses to find the consumer's jwt credential", crate::parse::text::printable(key, 40)),
                "issue the token with that claim set to the key of the consumer's jwt credential",
            )),
            Some(ClaimValue::Str { empty: true }) => out.push(d(
                Code::JwtClaimInvalid,
                format!(
                    "the {} claim (key_claim_name) is empty (Kong: \"Invalid '{}' in claims\")",
                    crate::parse::text::printable(key, 40),
                    crate::parse::text::printable(key, 40)
                ),
                "issue it as the key of the consumer's jwt credential",
            )),
            Some(ClaimValue::Str { empty: false }) => {}
            Some(_) => out.push(d(
                Code::JwtClaimInvalid,
                format!("the {} claim (key_claim_name) is not a string", crate::parse::text::printable(key, 40)),
                "issue it as the string key of the consumer's jwt credential",
            )),
        }
        if jwt_conf.maximum_expiration > 0 {
            if let NumericClaim::Seconds(exp) = token.exp() {
                let lifetime = exp.saturating_sub(now);
                if lifetime > i64::try_from(jwt_conf.maximum_expiration).unwrap_or(i64::MAX) {
                    out.push(d(
                        Code::JwtLifetimeTooLong,
                        format!(
                            "exp is {} from now, above maximum_expiration {} s",
                            duration(lifetime.unsigned_abs()),
                            jwt_conf.maximum_expiration
                        ),
                        "issue shorter-lived tokens, or raise the jwt plugin's maximum_expiration",
                    ));
                }
            }
        }
    }
}

/// A finding about the client's token. Never inlined: a diagnosis built in place at each of
/// the JWT judge's findings costs its bytes each time.
#[inline(never)]
fn at_client(code: Code, detail: String, hint: &'static str, plugin: Option<Plugin>) -> Diagnosis {
    Diagnosis::new(code, detail, hint)
        .maybe_plugin(plugin)
        .at(At::Client)
}

/// An `exp` or `nbf` that cannot be judged: not a number, or absent while the route's jwt
/// plugin verifies it. `None` for a number (judged by the caller) or an unverified absence.
fn unusable_time_claim(
    name: &str,
    claim: &NumericClaim,
    verified: bool,
    invalid_hint: &'static str,
    missing_hint: &'static str,
) -> Option<(Code, String, &'static str)> {
    match claim {
        NumericClaim::NotNumber => Some((
            Code::JwtClaimInvalid,
            format!("{name} is not a number (NumericDate)"),
            invalid_hint,
        )),
        NumericClaim::Missing if verified => Some((
            Code::JwtClaimMissing,
            format!("the token has no {name}, and the route's jwt plugin verifies {name} (claims_to_verify)"),
            missing_hint,
        )),
        _ => None,
    }
}

fn judge_basic(found: &Found<'_>) -> Vec<Diagnosis> {
    let place = found.place.describe();
    let problem = match base64::decoded(&found.value, Rules::Standard) {
        None => Some("is not base64"),
        Some(bytes) if !bytes.contains(&b':') => {
            Some("decodes to a value without the ':' between user and password")
        }
        Some(_) => None,
    };
    problem
        .map(|p| {
            vec![Diagnosis::new(
                Code::BasicMalformed,
                format!("the Basic credentials in {place} ({} bytes) {p}", found.value.len()),
                "send Authorization: Basic base64(username:password), e.g. curl -u username:password",
            )
            .plugin(Plugin::BasicAuth)
            .at(At::Client)]
        })
        .unwrap_or_default()
}

/// nginx's base64 decoder, behind `ngx.decode_base64` (src/core/ngx_string.c,
/// ngx_decode_base64_internal): it stops at the first `=`, refuses any other byte outside the
/// alphabet and a length of 4n+1, and ignores leftover bits.
fn nginx_base64(value: &[u8]) -> Option<Vec<u8>> {
    let end = value.iter().position(|&b| b == b'=').unwrap_or(value.len());
    base64::decoded(value.get(..end)?, Rules::Nginx)
}

/// What ldap-auth refuses before it asks the directory (kong/plugins/ldap-auth/access.lua,
/// 3.9.3): the value after the scheme through `ngx.decode_base64`, then `^(.*?):(.+)$` (PCRE:
/// `.` matches no newline, `$` also matches before a final one). An empty user name passes
/// Kong, but no directory binds `attribute=,base_dn`: named too.
pub(super) fn ldap_problem(value: &[u8]) -> Option<&'static str> {
    let Some(decoded) = nginx_base64(value) else {
        return Some("are not base64");
    };
    let body = decoded.strip_suffix(b"\n").unwrap_or(&decoded);
    let Some(colon) = body.iter().position(|&b| b == b':') else {
        return Some("decode to a value without the ':' between user and password");
    };
    if body.contains(&b'\n') {
        return Some("decode to a value with a line break inside");
    }
    if colon + 1 == body.len() {
        return Some("decode to user: with an empty password");
    }
    if colon == 0 {
        return Some("decode to :password with an empty user name");
    }
    None
}

fn judge_ldap(found: &Found<'_>, config: &Config) -> Vec<Diagnosis> {
    let Some(problem) = ldap_problem(&found.value) else {
        return Vec::new();
    };
    let scheme = config
        .auth
        .ldap_auth
        .as_ref()
        .map_or("ldap", |l| l.header_type.as_str());
    let header = crate::parse::text::printable(found.place.name(), 40);
    vec![Diagnosis::new(
        Code::BasicMalformed,
        format!(
            "the ldap credentials in {} ({} bytes) {problem}",
            found.place.describe(),
            found.value.len()
        ),
        format!("send {header}: {scheme} base64(username:password), e.g. -H \"{header}: {scheme} $(printf %s 'username:password' | base64)\""),
    )
    .plugin(Plugin::LdapAuth)
    .at(At::Client)]
}

fn judge_hmac(request: &Request, config: &Config, now: i64) -> Vec<Diagnosis> {
    let skew = config.auth.hmac_auth.as_ref().map_or(300, |h| h.clock_skew);
    let date = request
        .headers
        .text("x-date")
        .map(|d| ("X-Date", d))
        .or_else(|| request.headers.text("date").map(|d| ("Date", d)));
    let detail = match date {
        None => "hmac-auth needs a Date or X-Date header and the request has neither".to_string(),
        Some((name, value)) => match httpdate::parse(value) {
            None => format!(
                "the {name} header is not an HTTP date (e.g. Sun, 06 Nov 1994 08:49:37 GMT)"
            ),
            Some(at) => {
                let off = at.saturating_sub(now);
                if off.unsigned_abs() <= skew {
                    return Vec::new();
                }
                format!(
                    "{name} {} is {} {} Kong's clock, outside clock_skew {skew} s",
                    rfc3339(at),
                    duration(off.unsigned_abs()),
                    if off < 0 { "behind" } else { "ahead of" }
                )
            }
        },
    };
    vec![Diagnosis::new(
        Code::HmacDateSkew,
        detail,
        "send a current Date (or X-Date) in RFC 9110 format and sign it; check the client's clock",
    )
    .plugin(Plugin::HmacAuth)
    .at(At::Client)]
}

/// `exp 2025-11-28T11:00:00Z is 3600 s (60 min) before now (2025-11-28T12:00:00Z)`: a time
/// claim `gap` seconds from `now`, and `; only N` and `skew_note` when the gap is small. Pushed,
/// not format!ed: this is the sentence of every expired-token 401.
fn time_sentence(
    claim: &[u8],
    at: i64,
    gap: u64,
    relation: &[u8],
    now: i64,
    skew_note: Option<&[u8]>,
) -> String {
    let mut detail = Vec::with_capacity(128);
    detail.extend_from_slice(claim);
    put_rfc3339(&mut detail, at);
    detail.extend_from_slice(b" is ");
    put_duration(&mut detail, gap);
    detail.extend_from_slice(relation);
    put_rfc3339(&mut detail, now);
    detail.push(b')');
    if let Some(note) = skew_note {
        detail.extend_from_slice(b"; only ");
        put_number(&mut detail, gap);
        detail.extend_from_slice(note);
    }
    text(detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        for p in [
            "null",
            "undefined",
            "<token>",
            "${TOKEN}",
            "{{token}}",
            "REDACTED",
            "***",
            "$API_KEY",
            "%TOKEN%",
            "xxxx",
            "[object Object]",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        for real in ["k3y-9f8e7d6c", "eyJhbGciOi.x.y", "nullable-key-123", "$abc"] {
            assert!(!is_placeholder(real.as_bytes()), "{real}");
        }
        // The shortcut knows every placeholder's first byte, and whitespace before it.
        for p in PLACEHOLDERS {
            let first = p.as_bytes()[0];
            assert!(PLACEHOLDER_STARTS.contains(&first), "{p}");
            assert!(is_placeholder(p.to_uppercase().as_bytes()), "{p}");
            assert!(is_placeholder(format!(" \u{a0}{p}\x0b").as_bytes()), "{p}");
        }
    }

    /// Each row: the value after the scheme, what ldap-auth (Kong 3.9.3) makes of it.
    #[test]
    fn ldap_credentials_as_kong_reads_them() {
        use ::base64::engine::general_purpose::STANDARD;
        use ::base64::Engine;
        let b64 = |s: &[u8]| STANDARD.encode(s);
        let cases: Vec<(String, Option<&str>)> = vec![
            (b64(b"einstein:password"), None),
            (b64(b"einstein:password:another"), None),
            // nginx stops at the first `=` and does not need padding.
            (b64(b"einstein:pw").trim_end_matches('=').to_string(), None),
            (format!("{}=trailing", b64(b"ab:c")), None),
            // `echo user:pw | base64`: the final newline is before PCRE's `$`.
            (b64(b"einstein:password\n"), None),
            ("einstein:password".into(), Some("are not base64")),
            ("ZW5-c3Rl".into(), Some("are not base64")),
            ("ZW5zd".into(), Some("are not base64")),
            (
                b64(b"einsteinpassword"),
                Some("decode to a value without the ':' between user and password"),
            ),
            (
                b64(b"einstein:"),
                Some("decode to user: with an empty password"),
            ),
            (
                b64(b":password"),
                Some("decode to :password with an empty user name"),
            ),
            (
                b64(b"ein\nstein:password"),
                Some("decode to a value with a line break inside"),
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(ldap_problem(value.as_bytes()), expected, "{value}");
        }
    }

    #[test]
    fn visible_ascii_by_words_as_by_bytes() {
        let visible = |v: &[u8]| v.iter().all(|b| (0x21..0x7f).contains(b));
        // Every byte in every place of a word and of the tail, among visible neighbours at
        // both ends of the range (where a borrow or a carry would show).
        for filler in [b'!', b'~', b'a'] {
            for b in 0..=255u8 {
                for at in 0..11 {
                    let mut value = [filler; 11];
                    value[at] = b;
                    assert_eq!(is_visible_ascii(&value), visible(&value), "{value:?}");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn visible_ascii_agrees(value in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)) {
            let visible = value.iter().all(|b| (0x21..0x7f).contains(b));
            proptest::prop_assert_eq!(is_visible_ascii(&value), visible);
        }
    }

    #[test]
    fn malformations() {
        let cases: &[(&[u8], Option<&str>)] = &[
            (b"", Some("is empty")),
            (b"\"abc\"", Some("is wrapped in quotes")),
            (b"ab c", Some("has whitespace inside")),
            (b"ab\x01c", Some("has control characters")),
            (b"ab\xc3\xa9", Some("has non-ASCII bytes")),
            (b"abc-123_XYZ", None),
        ];
        assert_eq!(malformation(b"username=\"a\", signature=\"b\"", true), None);
        for (value, expected) in cases {
            assert_eq!(malformation(value, false), *expected);
        }
    }
}
