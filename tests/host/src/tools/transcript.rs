//! Reading what a person has in their terminal: `curl -v` output (the `> ` request lines and,
//! when present, the `< ` response lines) or a bare HTTP/1.1 request head. CRLF or LF.

use std::fmt;

/// A request (and maybe its response) read from a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    /// Request method.
    pub method: String,
    /// Path with query.
    pub path: String,
    /// `https` when curl shows a TLS handshake, else `http`.
    pub scheme: String,
    /// The Host header (empty when missing).
    pub authority: String,
    /// Request headers in order, Host excluded.
    pub headers: Vec<(String, String)>,
    /// Response status, when the transcript has one.
    pub status: Option<u16>,
    /// Response headers, when the transcript has them.
    pub response_headers: Vec<(String, String)>,
}

/// Why a transcript could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptError(pub String);

impl fmt::Display for TranscriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses `curl -v` output or a bare request head.
pub fn parse(text: &str) -> Result<Transcript, TranscriptError> {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    let curl = lines.iter().any(|l| l.starts_with("> "));
    let (request_lines, response_lines): (Vec<&str>, Vec<&str>) = if curl {
        (
            lines
                .iter()
                .filter_map(|l| l.strip_prefix("> ").or_else(|| (*l == ">").then_some("")))
                .collect(),
            lines
                .iter()
                .filter_map(|l| l.strip_prefix("< ").or_else(|| (*l == "<").then_some("")))
                .collect(),
        )
    } else {
        let head: Vec<&str> = lines
            .iter()
            .copied()
            .skip_while(|l| l.trim().is_empty())
            .take_while(|l| !l.trim().is_empty())
            .collect();
        (head, Vec::new())
    };
    let mut request = request_lines
        .iter()
        .copied()
        .filter(|l| !l.trim().is_empty());
    let first = request.next().ok_or_else(|| TranscriptError("no request line found: paste the output of curl -v (the lines starting with '> ') or an HTTP request head such as 'GET /path HTTP/1.1'".into()))?;
    let mut parts = first.split_whitespace();
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
        return Err(TranscriptError(format!(
            "not a request line: {:?} (expected e.g. GET /path HTTP/1.1)",
            masked(first)
        )));
    };
    if !method.bytes().all(|b| b.is_ascii_uppercase())
        || !(path.starts_with('/') || path.starts_with("http") || path == "*")
    {
        return Err(TranscriptError(format!(
            "not a request line: {:?} (expected e.g. GET /path HTTP/1.1)",
            masked(first)
        )));
    }
    let mut authority = String::new();
    let mut scheme = if lines.iter().any(|l| {
        l.starts_with("* ")
            && (l.contains("SSL connection") || l.contains("TLS") || l.contains("ALPN"))
    }) {
        "https"
    } else {
        "http"
    }
    .to_string();
    let mut path = path.to_string();
    // An absolute-form target (proxy requests): split it.
    if let Some(rest) = path
        .strip_prefix("https://")
        .map(|r| ("https", r))
        .or_else(|| path.strip_prefix("http://").map(|r| ("http", r)))
    {
        scheme = rest.0.to_string();
        let (host, p) = rest
            .1
            .split_once('/')
            .map_or((rest.1, "/".to_string()), |(h, p)| (h, format!("/{p}")));
        authority = host.to_string();
        path = p;
    }
    let mut headers = Vec::new();
    for line in request {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| TranscriptError(format!("not a header line: {:?}", masked(line))))?;
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("host") {
            authority = value.to_string();
        } else {
            headers.push((name.to_ascii_lowercase(), value.to_string()));
        }
    }
    let mut status = None;
    let mut response_headers = Vec::new();
    for line in response_lines.iter().filter(|l| !l.trim().is_empty()) {
        if line.starts_with("HTTP/") {
            status = line.split_whitespace().nth(1).and_then(|s| s.parse().ok());
            response_headers.clear();
        } else if let Some((name, value)) = line.split_once(':') {
            response_headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    Ok(Transcript {
        method: method.to_string(),
        path,
        scheme,
        authority,
        headers,
        status,
        response_headers,
    })
}

/// A line as an error message may show it, since a pasted line may hold a credential: a header's
/// name with its value's size, a method with the line's size, or only the size. Never a byte of
/// a value.
fn masked(line: &str) -> String {
    const ONE_WORD_NAMES: &[&str] = &[
        "accept",
        "apikey",
        "authorization",
        "connection",
        "cookie",
        "date",
        "expect",
        "forwarded",
        "host",
        "jwt",
        "origin",
        "referer",
        "token",
        "upgrade",
        "via",
    ];
    if let Some((name, value)) = line.split_once(':') {
        let name = name.trim();
        let header_like = name.len() <= 40
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && (name.contains('-') || ONE_WORD_NAMES.contains(&name.to_ascii_lowercase().as_str()));
        if header_like {
            return format!(
                "{name}: {}",
                crate::tools::mask::opaque(value.trim().as_bytes())
            );
        }
    }
    match line.split_whitespace().next() {
        Some(method) if method.len() <= 7 && method.bytes().all(|b| b.is_ascii_uppercase()) => {
            format!(
                "{method} <{} bytes>",
                line.len().saturating_sub(method.len() + 1)
            )
        }
        _ => format!("<a line of {} bytes>", line.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CURL: &str = "*   Trying 127.0.0.1:8443...\r\n* Connected to localhost (127.0.0.1) port 8443\r\n* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384\r\n> GET /orders?id=7 HTTP/1.1\r\n> Host: localhost:8443\r\n> User-Agent: curl/8.5.0\r\n> Accept: */*\r\n> x-api-key: k3y\r\n>\r\n< HTTP/1.1 401 Unauthorized\r\n< Content-Type: application/json; charset=utf-8\r\n< WWW-Authenticate: Key realm=\"kong\"\r\n< X-Kong-Response-Latency: 1\r\n<\r\n{\"message\":\"No API key found in request\"}\r\n";

    #[test]
    fn curl_verbose() {
        let t = parse(CURL).unwrap();
        assert_eq!(
            (t.method.as_str(), t.path.as_str(), t.scheme.as_str()),
            ("GET", "/orders?id=7", "https")
        );
        assert_eq!(t.authority, "localhost:8443");
        assert_eq!(t.headers.len(), 3);
        assert_eq!(t.headers[2], ("x-api-key".into(), "k3y".into()));
        assert_eq!(t.status, Some(401));
        assert!(t
            .response_headers
            .iter()
            .any(|(n, _)| n == "x-kong-response-latency"));
    }

    #[test]
    fn bare_request_lf_without_host() {
        let t = parse("\nPOST /token HTTP/1.1\nAuthorization: Bearer x\n\nbody").unwrap();
        assert_eq!(
            (t.method.as_str(), t.scheme.as_str(), t.authority.as_str()),
            ("POST", "http", "")
        );
        assert_eq!(
            t.headers,
            vec![("authorization".to_string(), "Bearer x".to_string())]
        );
        assert_eq!(t.status, None);
    }

    #[test]
    fn http2_and_redirects_keep_the_last_response() {
        let t = parse("> GET / HTTP/2\n> host: api\n>\n< HTTP/2 301\n< location: /x\n<\n< HTTP/2 401\n< www-authenticate: Bearer\n").unwrap();
        assert_eq!(t.status, Some(401));
        assert_eq!(
            t.response_headers,
            vec![("www-authenticate".to_string(), "Bearer".to_string())]
        );
    }

    #[test]
    fn errors_are_clear() {
        for bad in [
            "",
            "hello world",
            "> get / HTTP/1.1",
            "GET /\nno colon here",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(
                e.0.contains("request line") || e.0.contains("header line"),
                "{bad}: {e}"
            );
        }
    }
}
