//! The log line (SPEC section 6): strict logfmt, one per annotated response, so that any logfmt
//! parser (go-logfmt, Loki's `| logfmt`) reads every key.

use crate::diagnosis::Diagnosis;
use crate::output::fingerprint::Fingerprint;
use crate::parse::text::{printable, push_decimal, push_escaped};

/// What the host could tell about the request, for joining with Kong's logs.
#[derive(Debug, Clone, Default)]
pub struct Correlation {
    /// `ngx.kong_request_id`: the `X-Kong-Request-Id` value.
    pub request_id: Option<String>,
    /// `kong.route_name` (Kong 3.6+).
    pub route: Option<String>,
    /// `source.address`.
    pub client: Option<String>,
}

/// `auth-diagnosis status=401 codes=a,b request_id=… route=… client=… credential=jwt
/// credential_len=612 credential_sha256=1a2b3c4d detail="…"`. Keys without a value are left out.
pub fn render(
    status: u16,
    diagnoses: &[Diagnosis],
    correlation: &Correlation,
    credential: Option<&Fingerprint>,
) -> String {
    let mut line = String::with_capacity(512);
    line.push_str("auth-diagnosis status=");
    push_decimal(&mut line, u64::from(status), 1);
    // Codes are tokens (letters and dashes): written as push_pair would (quoted only when
    // there are none), without a String of their own.
    line.push_str(if diagnoses.is_empty() {
        " codes=\"\""
    } else {
        " codes="
    });
    for (i, d) in diagnoses.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(d.code.as_str());
    }
    let pairs = [
        ("request_id", correlation.request_id.as_deref()),
        ("route", correlation.route.as_deref()),
        ("client", correlation.client.as_deref()),
    ];
    for (key, value) in pairs {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            push_pair(&mut line, key, value);
        }
    }
    if let Some(c) = credential {
        push_pair(&mut line, "credential", c.kind);
        // Digits need no quoting: written as push_pair would, without a String of their own.
        line.push_str(" credential_len=");
        push_decimal(&mut line, u64::try_from(c.len).unwrap_or(u64::MAX), 1);
        push_pair(&mut line, "credential_sha256", &c.sha256);
    }
    if let Some(first) = diagnoses.first() {
        push_pair(&mut line, "detail", &first.detail);
    }
    line
}

/// `key=value`, the value quoted (with `"` and `\` escaped) when it is empty or holds a space,
/// `=`, `"` or `\`: a bare value with any of those is where logfmt parsers lose the line.
pub fn push_pair(line: &mut String, key: &str, value: &str) {
    line.push(' ');
    line.push_str(key);
    line.push('=');
    // The usual value, printable with nothing to quote, checked in one pass and copied whole.
    let bare = |b: u8| matches!(b, 0x21..=0x7e) && !matches!(b, b'=' | b'"' | b'\\');
    if !value.is_empty() && value.len() <= 300 && value.bytes().all(bare) {
        line.push_str(value);
        return;
    }
    let value = printable(value, 300);
    if value.is_empty()
        || value
            .bytes()
            .any(|b| matches!(b, b' ' | b'=' | b'"' | b'\\'))
    {
        line.push('"');
        push_escaped(line, &value);
        line.push('"');
    } else {
        line.push_str(&value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::Code;

    #[test]
    fn format() {
        let d = vec![
            Diagnosis::new(Code::JwtExpired, "exp is 4 s before now", "h"),
            Diagnosis::new(Code::StrippedByProxy, "x", "h"),
        ];
        let c = Correlation {
            request_id: Some("5f1c0a".into()),
            route: Some("orders".into()),
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
    fn hostile_values_are_quoted_and_printable() {
        let table: &[(&str, &str)] = &[
            ("a b\"c\u{1}", "route=\"a b\\\"c?\""),
            ("a\\b\"", "route=\"a\\\\b\\\"\""),
            ("k=v", "route=\"k=v\""),
            ("plain", "route=plain"),
        ];
        for (route, expected) in table {
            let c = Correlation {
                route: Some((*route).into()),
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
