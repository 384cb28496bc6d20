//! The log line (SPEC section 6): strict logfmt, one per annotated response, so that any logfmt
//! parser (go-logfmt, Loki's `| logfmt`) reads every key.

use crate::diagnosis::Diagnosis;
use crate::output::fingerprint::Fingerprint;
use crate::parse::text::{find, printable, push_ascii, push_decimal, push_escaped, Class};

/// What the host could tell about the request, for joining with Kong's logs (borrowed from
/// where the glue read it: nothing of its own to drop).
#[derive(Debug, Clone, Copy, Default)]
pub struct Correlation<'a> {
    /// `ngx.kong_request_id`: the `X-Kong-Request-Id` value.
    pub request_id: Option<&'a str>,
    /// `kong.route_name` (Kong 3.6+).
    pub route: Option<&'a str>,
    /// `source.address`.
    pub client: Option<&'a str>,
}

/// [`render_into`] a new line (tests and the profile harness).
#[cfg(test)]
pub fn render(
    status: u16,
    diagnoses: &[Diagnosis],
    correlation: &Correlation<'_>,
    credential: Option<&Fingerprint>,
) -> String {
    let mut line = String::with_capacity(512);
    render_into(&mut line, status, diagnoses, correlation, credential);
    line
}

/// `auth-diagnosis status=401 codes=a,b request_id=… route=… client=… credential=jwt
/// credential_len=612 credential_sha256=1a2b3c4d detail="…"`, appended to `line` (the glue
/// hands over the header's buffer, once sent: an allocation fewer). Keys without a value are
/// left out.
pub fn render_into(
    line: &mut String,
    status: u16,
    diagnoses: &[Diagnosis],
    correlation: &Correlation<'_>,
    credential: Option<&Fingerprint>,
) {
    line.push_str("auth-diagnosis status=");
    // 401, what nearly every line says, without working out its digits.
    if status == 401 {
        line.push_str("401");
    } else {
        push_decimal(line, u64::from(status), 1);
    }
    // Codes are tokens (letters and dashes): written as push_pair would (quoted only when
    // there are none), without a String of their own.
    line.push_str(if diagnoses.is_empty() {
        " codes=\"\""
    } else {
        " codes="
    });
    for (i, d) in diagnoses.iter().enumerate() {
        if i > 0 {
            push_ascii(line, ",");
        }
        line.push_str(d.code.as_str());
    }
    // Each ` key=` written in one piece, then the value as push_pair writes it.
    let pairs = [
        (" request_id=", correlation.request_id),
        (" route=", correlation.route),
        (" client=", correlation.client),
    ];
    for (key, value) in pairs {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            line.push_str(key);
            push_value(line, value);
        }
    }
    if let Some(c) = credential {
        // The kind is a name of this crate's (bare: kinds_are_bare) and the digest hex: written
        // as push_pair would, without looking.
        line.push_str(" credential=");
        line.push_str(c.kind);
        // Digits need no quoting: written as push_pair would, without a String of their own.
        line.push_str(" credential_len=");
        push_decimal(line, u64::try_from(c.len).unwrap_or(u64::MAX), 1);
        line.push_str(" credential_sha256=");
        line.push_str(c.sha256.as_str());
    }
    if let Some(first) = diagnoses.first() {
        line.push_str(" detail=");
        push_value(line, &first.detail);
    }
}

/// `key=value`, the value quoted (with `"` and `\` escaped) when it is empty or holds a space,
/// `=`, `"` or `\`: a bare value with any of those is where logfmt parsers lose the line. The
/// value is made printable and cut at 300 bytes first.
pub fn push_pair(line: &mut String, key: &str, value: &str) {
    line.reserve(key.len() + value.len().min(300) + 4);
    line.push(' ');
    line.push_str(key);
    line.push('=');
    push_value(line, value);
}

/// The value of a pair whose ` key=` is written: as [`push_pair`] writes it.
fn push_value(line: &mut String, value: &str) {
    // Rare: a long value is cut (and made printable) first, then written as any short value.
    let cut;
    let value = if value.len() > 300 {
        cut = printable(value, 300);
        &*cut
    } else {
        value
    };
    // One pass that stops at the first byte a bare value cannot hold: the usual value, short
    // and plain, is then copied whole.
    let first = find(value.as_bytes(), Class::Unbare);
    if first == value.len() && first > 0 {
        line.push_str(value);
        return;
    }
    push_short_value(line, value, first);
}

/// A value of at most 300 bytes as [`push_pair`] writes it; `first` is where its first byte that
/// is not bare sits. Quoting depends only on the space, `=`, `"` and `\` in it (the `?` that
/// replaces an unprintable char is none of them), and escaping replaces unprintable chars as
/// [`printable`] does: so one pass writes what `printable` then escaping would, without the copy
/// between.
fn push_short_value(line: &mut String, value: &str, first: usize) {
    let bytes = value.as_bytes();
    // Before `first` every byte is bare; the byte at `first` is usually the space that decides.
    let quoted = bytes.is_empty()
        || bytes
            .get(first..)
            .unwrap_or_default()
            .iter()
            .any(|b| matches!(b, b' ' | b'=' | b'"' | b'\\'));
    if quoted {
        push_ascii(line, "\"");
        push_escaped(line, value);
        push_ascii(line, "\"");
    } else {
        // No `"` or `\`: escaping is only the replacing of unprintable chars.
        push_escaped(line, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::Code;
    use crate::parse::text::{adversarial, reference};
    use proptest::prelude::*;

    fn same_pair_as_reference(value: &str) {
        let (mut new, mut old) = (String::from("x"), String::from("x"));
        push_pair(&mut new, "detail", value);
        reference::push_pair(&mut old, "detail", value);
        assert_eq!(new, old, "{value:?}");
    }

    #[test]
    fn pairs_are_written_as_the_reference_writes_them() {
        for value in adversarial() {
            same_pair_as_reference(&value);
        }
    }

    proptest! {
        #[test]
        fn any_value_is_written_as_the_reference_writes_it(value in any::<String>()) {
            same_pair_as_reference(&value);
        }

        #[test]
        fn hostile_values_are_written_as_the_reference_writes_them(
            value in "[\"\\\\= a~\\x00-\\x1f\\x7f\\u{80}-\\u{7ff}€]{0,40}|[a=]{295,305}|[a é]{290,310}"
        ) {
            same_pair_as_reference(&value);
        }
    }

    #[test]
    fn format() {
        let d = vec![
            Diagnosis::new(Code::JwtExpired, "exp is 4 s before now", "h"),
            Diagnosis::new(Code::StrippedByProxy, "x", "h"),
        ];
        let c = Correlation {
            request_id: Some("5f1c0a"),
            route: Some("orders"),
            client: None,
        };
        let credential = Fingerprint {
            kind: "jwt",
            len: 612,
            sha256: "1a2b3c4d".into(),
        };
        let line = render(401, &d, &c, Some(&credential));
        assert_eq!(
            line,
            "auth-diagnosis status=401 codes=jwt-expired,stripped-by-proxy request_id=5f1c0a \
             route=orders credential=jwt credential_len=612 credential_sha256=1a2b3c4d \
             detail=\"exp is 4 s before now\""
        );
    }

    #[test]
    fn every_status_is_written_in_decimal() {
        let d = [Diagnosis::new(Code::Unknown, "x", "h")];
        for status in [401, 403, 407, 400, 500, 100, 599, 40, 4010] {
            for diagnoses in [&d[..], &[]] {
                let line = render(status, diagnoses, &Correlation::default(), None);
                assert!(
                    line.starts_with(&format!("auth-diagnosis status={status} codes=")),
                    "{line}"
                );
            }
        }
    }

    /// The credential's kind and digest are written without being looked at: each is a bare
    /// value, as push_pair would leave it.
    #[test]
    fn kinds_are_bare() {
        use crate::decide::credential::Kind;
        // Exhaustive: a new kind does not compile until it is listed here (and then below).
        let listed = |k: Kind| match k {
            Kind::ApiKey
            | Kind::Jwt
            | Kind::Bearer
            | Kind::Basic
            | Kind::Hmac
            | Kind::Ldap
            | Kind::Session
            | Kind::Opaque => k,
        };
        let kinds = [
            Kind::ApiKey,
            Kind::Jwt,
            Kind::Bearer,
            Kind::Basic,
            Kind::Hmac,
            Kind::Ldap,
            Kind::Session,
            Kind::Opaque,
        ];
        for kind in kinds.map(listed) {
            same_pair_as_reference(kind.as_str());
            let mut line = String::new();
            push_pair(&mut line, "credential", kind.as_str());
            assert_eq!(line, format!(" credential={}", kind.as_str()));
        }
        for digest in ["1a2b3c4d", "00000000", "not hex"] {
            let hex = crate::output::fingerprint::Hex8::from(digest);
            let mut line = String::new();
            push_pair(&mut line, "credential_sha256", hex.as_str());
            assert_eq!(line, format!(" credential_sha256={}", hex.as_str()));
        }
    }

    #[test]
    fn hostile_values_are_quoted_and_printable() {
        let table: &[(&str, &str)] = &[
            ("a b\"c\u{1}", "route=\"a b\\\"c?\""),
            ("a\\b\"", "route=\"a\\\\b\\\"\""),
            ("k=v", "route=\"k=v\""),
            ("plain", "route=plain"),
        ];
        for (route, expected) in table {
            let c = Correlation {
                route: Some(route),
                ..Correlation::default()
            };
            let line = render(401, &[], &c, None);
            assert_eq!(
                line,
                format!("auth-diagnosis status=401 codes=\"\" {expected}"),
                "{route:?}"
            );
        }
    }
}
