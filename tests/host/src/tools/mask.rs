//! Masking for output meant for people: a credential is shown by kind and length, never by value.

/// Header or parameter names whose values are treated as credentials.
const EXACT: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "sig",
    "code",
];

/// Name fragments that mark a credential.
const FRAGMENTS: &[&str] = &[
    "auth",
    "token",
    "key",
    "secret",
    "passw",
    "session",
    "cookie",
    "credential",
    "signature",
    "jwt",
    "bearer",
];

/// Shortest value worth redacting from free text (shorter ones would mangle ordinary words).
const MIN_SECRET: usize = 4;

/// Whether a header or query parameter named `name` carries a credential.
pub fn is_credential_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase().replace('_', "-");
    EXACT.contains(&name.as_str()) || FRAGMENTS.iter().any(|f| name.contains(f))
}

/// A value shown for a person, plus the secret byte strings it hid.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Masked {
    pub shown: String,
    pub secrets: Vec<Vec<u8>>,
}

/// How a header is shown: credentials masked, other values printed (escaped where not text).
pub fn header(name: &str, value: &[u8]) -> Masked {
    if !is_credential_name(name) {
        return Masked {
            shown: printable(value),
            secrets: Vec::new(),
        };
    }
    let lower = name.to_ascii_lowercase();
    if lower == "cookie" || lower == "set-cookie" {
        return cookie(value);
    }
    let mut secrets = vec![value.to_vec()];
    let shown = match split_scheme(value) {
        Some((scheme, rest)) => {
            secrets.push(rest.to_vec());
            format!("{scheme} {}", opaque(rest))
        }
        None => opaque(value),
    };
    Masked { shown, secrets }
}

/// `<jwt, 612 bytes>`, `<41 bytes>` or `<empty>`.
pub fn opaque(value: &[u8]) -> String {
    if value.is_empty() {
        "<empty>".into()
    } else if looks_like_jwt(value) {
        format!("<jwt, {} bytes>", value.len())
    } else {
        format!("<{} bytes>", value.len())
    }
}

fn looks_like_jwt(value: &[u8]) -> bool {
    // A JWT's header is JSON, so its first segment starts with `{"` in base64url: `eyJ`.
    let segments: Vec<&[u8]> = value.split(|&b| b == b'.').collect();
    value.starts_with(b"eyJ")
        && segments.len() == 3
        && segments.iter().take(2).all(|s| !s.is_empty())
        && value
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='))
}

/// `Scheme rest` when the value starts with a short alphabetic scheme followed by whitespace.
fn split_scheme(value: &[u8]) -> Option<(String, &[u8])> {
    let space = value.iter().position(|b| b.is_ascii_whitespace())?;
    let (scheme, rest) = value.split_at(space);
    let rest = rest.trim_ascii_start();
    let is_scheme = !scheme.is_empty()
        && scheme.len() <= 20
        && scheme
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-');
    (is_scheme && !rest.is_empty()).then(|| (String::from_utf8_lossy(scheme).into_owned(), rest))
}

fn cookie(value: &[u8]) -> Masked {
    let mut secrets = vec![value.to_vec()];
    let mut parts = Vec::new();
    for pair in value.split(|&b| b == b';') {
        let pair = pair.trim_ascii();
        if pair.is_empty() {
            continue;
        }
        match pair.iter().position(|&b| b == b'=') {
            Some(eq) => {
                let (name, rest) = pair.split_at(eq);
                let cookie_value = rest.get(1..).unwrap_or_default();
                let name_ok = !name.is_empty()
                    && name.len() <= 64
                    && name.iter().all(|b| b.is_ascii_graphic() && *b != b'"');
                secrets.push(cookie_value.to_vec());
                if name_ok {
                    parts.push(format!(
                        "{}={}",
                        String::from_utf8_lossy(name),
                        opaque(cookie_value)
                    ));
                } else {
                    parts.push(opaque(pair));
                }
            }
            None => {
                secrets.push(pair.to_vec());
                parts.push(opaque(pair));
            }
        }
    }
    let shown = if parts.is_empty() {
        opaque(value)
    } else {
        parts.join("; ")
    };
    Masked { shown, secrets }
}

/// A request target with the values of credential-named query parameters masked.
pub fn target(path: &str) -> Masked {
    let Some((base, query)) = path.split_once('?') else {
        return Masked {
            shown: path.to_owned(),
            secrets: Vec::new(),
        };
    };
    let mut secrets = Vec::new();
    let params: Vec<String> = query
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((name, value)) if is_credential_name(name) => {
                secrets.push(value.as_bytes().to_vec());
                format!("{name}={}", opaque(value.as_bytes()))
            }
            _ => param.to_owned(),
        })
        .collect();
    Masked {
        shown: format!("{base}?{}", params.join("&")),
        secrets,
    }
}

/// Replaces every occurrence of a secret (at least 4 bytes long) in `text` by `<redacted>`.
pub fn redact(text: &str, secrets: &[Vec<u8>]) -> String {
    let mut out = text.to_owned();
    let mut ordered: Vec<&Vec<u8>> = secrets.iter().filter(|s| s.len() >= MIN_SECRET).collect();
    ordered.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for secret in ordered {
        let secret = String::from_utf8_lossy(secret);
        if out.contains(secret.as_ref()) {
            out = out.replace(secret.as_ref(), "<redacted>");
        }
    }
    out
}

/// A parser's error message (serde's quote values: ``invalid type: string "sk_live…"``) with every
/// quoted run masked as `<N bytes>`, except the words of `vocabulary` (a format's own names) and
/// a misspelt key that looks like a name.
pub fn quoted(message: &str, vocabulary: &[&str]) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find(['"', '`']) {
        let quote = rest[open..].chars().next().unwrap_or('"');
        let after = &rest[open + 1..];
        let Some(close) = after.find(quote) else {
            // An unterminated quote: whatever follows may be a value.
            out.push_str(&rest[..open]);
            out.push_str(&format!("{quote}<{} bytes>", after.len()));
            return out;
        };
        let inner = &after[..close];
        // A misspelt key (`unknown field `propertys``) is a name, not a value, when it looks like one.
        let misspelt_name = rest[..open].ends_with("unknown field ")
            && inner.len() <= 24
            && inner.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        out.push_str(&rest[..=open]);
        if vocabulary.contains(&inner) || misspelt_name {
            out.push_str(inner);
        } else {
            out.push_str(&format!("<{} bytes>", inner.len()));
        }
        out.push(quote);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Bytes as text: valid UTF-8 without control characters as is, anything else `\xNN`-escaped.
pub fn printable(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.chars().any(char::is_control) => text.to_owned(),
        _ => bytes
            .iter()
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("\\x{b:02x}")
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_runs_are_masked_but_the_vocabulary() {
        let message = "unknown field `headres`, unknown field `Sk_9`, expected one of `name`, `request` at line 3; invalid type: string \"sk_live_4eC39HqLyjWDarjtT1zdp7dc\", expected u16; `unterminated";
        let masked = quoted(message, &["name", "request"]);
        assert_eq!(
            masked,
            "unknown field `headres`, unknown field `<4 bytes>`, expected one of `name`, `request` at line 3; invalid type: string \"<32 bytes>\", expected u16; `<12 bytes>"
        );
    }

    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJhIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

    #[test]
    fn credentials_are_described_not_shown() {
        let m = header("Authorization", format!("Bearer {JWT}").as_bytes());
        assert_eq!(m.shown, format!("Bearer <jwt, {} bytes>", JWT.len()));
        assert!(!m.shown.contains("eyJ"));
        assert_eq!(header("x-api-key", b"s3cr3t-key-value").shown, "<16 bytes>");
        assert_eq!(header("apikey", b"").shown, "<empty>");
        assert_eq!(header("authorization", b"s3cr3t").shown, "<6 bytes>");
        let cookie = header("cookie", b"BIGipServerpool=123.456.0000; session=abcdef");
        assert_eq!(
            cookie.shown,
            "BIGipServerpool=<12 bytes>; session=<6 bytes>"
        );
        assert_eq!(
            header("authorization", b"Basic dXNlcjpwYXNz").shown,
            "Basic <12 bytes>"
        );
        assert_eq!(
            header("x-forwarded-for", b"203.0.113.9").shown,
            "203.0.113.9"
        );
        assert_eq!(header("x-bin", &[0xff, b'a']).shown, "\\xffa");
    }

    #[test]
    fn query_credentials_are_masked_and_redacted() {
        let m = target(&format!("/orders?id=7&apikey=s3cr3t&jwt={JWT}"));
        assert_eq!(
            m.shown,
            format!(
                "/orders?id=7&apikey=<6 bytes>&jwt=<jwt, {} bytes>",
                JWT.len()
            )
        );
        assert_eq!(redact("saw s3cr3t here", &m.secrets), "saw <redacted> here");
        assert_eq!(target("/plain").shown, "/plain");
    }
}
