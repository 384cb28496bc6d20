//! The log line (SPEC section 6), logfmt, one per annotated response.

use crate::diagnosis::Diagnosis;
use crate::text::printable;

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

/// `auth-diagnosis status=401 codes=a,b request_id=… route=… client=… credential=… detail="…"`.
/// Keys without a value are left out.
pub fn render(
    status: u16,
    diagnoses: &[Diagnosis],
    correlation: &Correlation,
    credential: Option<&str>,
) -> String {
    let codes: Vec<&str> = diagnoses.iter().map(|d| d.code.as_str()).collect();
    let mut line = format!("auth-diagnosis status={status} codes={}", codes.join(","));
    let pairs = [
        ("request_id", correlation.request_id.as_deref()),
        ("route", correlation.route.as_deref()),
        ("client", correlation.client.as_deref()),
        ("credential", credential),
    ];
    for (key, value) in pairs {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            push_pair(&mut line, key, value);
        }
    }
    if let Some(first) = diagnoses.first() {
        push_pair(&mut line, "detail", &first.detail);
    }
    line
}

/// `key=value`, quoted when the value has a space, `"` or `\`.
fn push_pair(line: &mut String, key: &str, value: &str) {
    let value = printable(value, 300);
    line.push(' ');
    line.push_str(key);
    line.push('=');
    if value.contains(['"', '\\']) {
        line.push('"');
        for c in value.chars() {
            if c == '"' || c == '\\' {
                line.push('\\');
            }
            line.push(c);
        }
        line.push('"');
    } else if value.is_empty() || value.contains(' ') {
        line.push('"');
        line.push_str(&value);
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
        let line = render(401, &d, &c, Some("jwt:len=612:sha256=1a2b3c4d"));
        assert_eq!(
            line,
            "auth-diagnosis status=401 codes=jwt-expired,stripped-by-proxy request_id=5f1c0a \
             route=orders credential=jwt:len=612:sha256=1a2b3c4d detail=\"exp is 4 s before now\""
        );
    }

    #[test]
    fn hostile_values_are_quoted_and_printable() {
        let c = Correlation {
            route: Some("a b\"c\u{1}".into()),
            ..Correlation::default()
        };
        let line = render(401, &[], &c, None);
        assert_eq!(line, "auth-diagnosis status=401 codes= route=\"a b\\\"c?\"");
    }
}
