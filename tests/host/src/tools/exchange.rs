//! What `curl -v` shows beyond one request head: the exchanges of a `curl -v -L` run (one per
//! request curl sent), the response body (where Kong's own words are), and the moment of the
//! response (`Date`, RFC 9110 IMF-fixdate). `transcript::parse` reads each exchange's head.

/// One exchange of a transcript: its own lines (curl's `*` notes, `>` request, `<` response and
/// the body that follows), ready for `transcript::parse`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exchange {
    /// The exchange's lines, joined with `\n`.
    pub text: String,
    /// The response body as curl printed it (lines after the response head without a curl
    /// prefix), trimmed; empty when there is none.
    pub body: String,
}

/// Splits `curl -v` output into exchanges: a new one starts at the first `*` note or `>` line
/// after a response head (`curl -L` prints the redirect's notes, then the next request). A bare
/// request head, or a transcript without any `>` line, is one exchange. Exchanges without a
/// request line (curl's closing notes) are dropped.
pub fn split(text: &str) -> Vec<Exchange> {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    if !lines.iter().any(|l| is_request_line(l)) {
        return vec![Exchange {
            text: text.to_owned(),
            body: String::new(),
        }];
    }
    let mut chunks: Vec<Vec<&str>> = vec![Vec::new()];
    let mut seen_response = false;
    for line in lines {
        let note = line.starts_with("* ") || line == "*";
        if seen_response && (note || is_request_line(line)) {
            chunks.push(Vec::new());
            seen_response = false;
        }
        if line.starts_with("< HTTP/") {
            seen_response = true;
        }
        if let Some(chunk) = chunks.last_mut() {
            chunk.push(line);
        }
    }
    chunks
        .into_iter()
        .filter(|chunk| chunk.iter().any(|l| is_request_line(l)))
        .map(|chunk| Exchange {
            body: body(&chunk),
            text: chunk.join("\n"),
        })
        .collect()
}

fn is_request_line(line: &str) -> bool {
    line.starts_with("> ") || line == ">"
}

/// The lines after the last response-head line that curl did not prefix (`*`, `>`, `<`, and its
/// `{ [5 bytes data]` markers), joined.
fn body(chunk: &[&str]) -> String {
    let Some(head_end) = chunk.iter().rposition(|l| l.starts_with('<')) else {
        return String::new();
    };
    let lines: Vec<&str> = chunk
        .iter()
        .skip(head_end + 1)
        .copied()
        .filter(|l| {
            !(l.starts_with("* ")
                || l.starts_with("> ")
                || l.starts_with("{ [")
                || l.starts_with("} ["))
        })
        .collect();
    lines.join("\n").trim().to_owned()
}

/// The first JSON object of a body: curl prints its next note on the same line when the body
/// does not end in a newline (`{"message":"…"}* Connection #0 … left intact`).
pub fn json_body(body: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let start = body.find('{')?;
    let mut values =
        serde_json::Deserializer::from_str(body.get(start..)?).into_iter::<serde_json::Value>();
    match values.next() {
        Some(Ok(serde_json::Value::Object(map))) => Some(map),
        _ => None,
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// An IMF-fixdate (`Sat, 28 Nov 2026 12:00:00 GMT`, what Kong and nginx send) as unix seconds.
pub fn parse_http_date(text: &str) -> Option<u64> {
    let mut parts = text.split_whitespace();
    let _weekday = parts.next()?;
    let day: u32 = parts.next()?.parse().ok()?;
    let month = parts.next()?;
    let month = MONTHS.iter().position(|m| *m == month)?;
    let year: i64 = parts.next()?.parse().ok()?;
    let time = parts.next()?;
    if parts.next() != Some("GMT") || parts.next().is_some() {
        return None;
    }
    let month = u32::try_from(month).ok()? + 1;
    from_civil(year, month, day, time)
}

/// `2026-11-28T12:00:00Z` (RFC 3339, UTC) as unix seconds.
pub fn parse_rfc3339(text: &str) -> Option<u64> {
    let text = text.trim().strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut d = date.split('-');
    let (year, month, day) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    if d.next().is_some() {
        return None;
    }
    from_civil(year, month, day, time)
}

/// `NOW=`: unix seconds, RFC 3339 (`2026-11-28T12:00:00Z`) or an HTTP date.
pub fn parse_now(text: &str) -> Option<u64> {
    let text = text.trim();
    text.parse()
        .ok()
        .or_else(|| parse_rfc3339(text))
        .or_else(|| parse_http_date(text))
}

/// Days from the civil date (Howard Hinnant's algorithm), then the `HH:MM:SS` of the day.
fn from_civil(year: i64, month: u32, day: u32, time: &str) -> Option<u64> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut hms = time.split(':').map(|p| p.parse::<u32>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(month) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s);
    u64::try_from(seconds).ok()
}

/// Unix seconds as RFC 3339 (UTC), for the explanation.
pub fn rfc3339(unix: u64) -> String {
    let days = i64::try_from(unix / 86_400).unwrap_or(0);
    let rem = unix % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            parse_http_date("Sat, 28 Nov 2026 12:00:00 GMT"),
            Some(1_795_867_200)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse_http_date("Sat, 28 Nov 2026 12:00:00 UTC"), None);
        assert_eq!(parse_http_date("Sat, 28 Foo 2026 12:00:00 GMT"), None);
        assert_eq!(parse_rfc3339("2026-11-28T12:00:00Z"), Some(1_795_867_200));
        assert_eq!(parse_rfc3339("2026-11-28 12:00:00"), None);
        assert_eq!(parse_now("1764331200"), Some(1_764_331_200));
        assert_eq!(parse_now("2025-11-28T12:00:00Z"), Some(1_764_331_200));
        assert_eq!(
            parse_now("Fri, 28 Nov 2025 12:00:00 GMT"),
            Some(1_764_331_200)
        );
        assert_eq!(parse_now("yesterday"), None);
        assert_eq!(rfc3339(1_764_331_200), "2025-11-28T12:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn exchanges_of_a_redirect() {
        let text = "* Connected to a.example (1.2.3.4) port 80\n> GET /x HTTP/1.1\n> Host: a.example\n> Authorization: Bearer abc\n>\n< HTTP/1.1 301 Moved Permanently\n< Location: https://b.example/x\n<\n* Ignoring the response-body\n* Issue another request to this URL: 'https://b.example/x'\n* SSL connection using TLSv1.3\n> GET /x HTTP/1.1\n> Host: b.example\n>\n< HTTP/1.1 401 Unauthorized\n< Content-Type: application/json\n<\n{\"message\":\"Unauthorized\"}* Connection #1 to host b.example left intact\n";
        let ex = split(text);
        assert_eq!(ex.len(), 2);
        assert!(ex[0].text.contains("301") && !ex[0].text.contains("b.example/x'"));
        assert!(ex[1].text.starts_with("* Ignoring") && ex[1].text.contains("SSL connection"));
        assert_eq!(ex[0].body, "");
        let json = json_body(&ex[1].body).unwrap();
        assert_eq!(json["message"], "Unauthorized");
        // A bare head is one exchange.
        assert_eq!(split("GET / HTTP/1.1\nHost: a\n").len(), 1);
        assert!(json_body("not json").is_none());
    }
}
