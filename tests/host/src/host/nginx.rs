//! What nginx makes of a client's request before any proxy-wasm filter sees it, as Kong 3.9.3 runs
//! it (nginx 1.25.3 with OpenResty's and Kong's patches, `underscores_in_headers on`,
//! `ignore_invalid_headers on`, `large_client_header_buffers 4 8k`, `merge_slashes on`) with
//! ngx_wasm_module 9136e463. Each rule cites the line it imitates; nginx lines are from
//! nginx 1.25.3 (src/http/…), module lines from ngx_wasm_module 9136e463.
//!
//! A request nginx answers 400 itself never reaches a filter: [`admit`] refuses it with the
//! reason nginx logs. Every other request is handed over the way the module builds it: header
//! values trimmed, invalid names dropped, `:authority` nginx's own `server_name:port`, `:path`
//! the decoded URI plus the raw query, and `ngx.args` / `ngx.request_uri` answered.

use std::fmt;

use crate::host::http::{Properties, Request};
use crate::host::map::{HeaderMap, Pair};

/// Kong's `server_name` (`kong` in its nginx template); the scenario's property
/// `ngx.server_name` overrides it.
pub const DEFAULT_SERVER_NAME: &str = "kong";
/// Kong's proxy listener port; the scenario's property `ngx.server_port` overrides it.
pub const DEFAULT_SERVER_PORT: &str = "8000";
/// `large_client_header_buffers 4 8k` (Kong's default): one header line must fit in one buffer.
pub const HEADER_BUFFER: usize = 8 * 1024;
/// ... and the whole request head in four of them.
pub const HEADER_BUFFERS: usize = 4;

/// Headers nginx accepts once only: a second one is a 400 "client sent duplicate header line"
/// (src/http/ngx_http_request.c:77-152 table entries with ngx_http_process_unique_header_line,
/// :1786-1807; `host` through ngx_http_process_host, :1811-1826; Authorization since 1.23.0).
const UNIQUE: &[&str] = &[
    "host",
    "if-modified-since",
    "if-unmodified-since",
    "if-match",
    "if-none-match",
    "content-length",
    "content-range",
    "if-range",
    "transfer-encoding",
    "expect",
    "authorization",
];

/// Why nginx answers 400 before any filter runs. The reason never holds a header value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal(pub String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn refuse<T>(why: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal(why.into()))
}

/// A request as ngx_wasm_module hands it to a filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admitted {
    /// `:path :method :scheme :authority` (the module's order, src/common/proxy_wasm/
    /// ngx_proxy_wasm_maps.c:50-68; an empty one is left out, :181-183), then the headers
    /// nginx kept, in order.
    pub headers: HeaderMap,
    /// `ngx.args`, `ngx.request_uri`, `ngx.server_name`, `ngx.server_port` (unless the
    /// scenario sets them).
    pub properties: Properties,
}

/// Runs nginx's rules over `request`; `properties` are the scenario's (they may set the server
/// name and port, and win over what is derived here).
pub fn admit(request: &Request, properties: &Properties) -> Result<Admitted, Refusal> {
    let (uri, args) = split_target(&request.path)?;
    let mut headers: Vec<Pair> = Vec::new();
    // The scenario's `authority` is where the client sent the request: its Host header, unless
    // it wrote one itself.
    let has_host = request
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("host"));
    let implied_host = (!has_host && !request.authority.is_empty())
        .then(|| ("Host".to_string(), request.authority.as_bytes().to_vec()));
    let mut head = request_line_len(request);
    for (name, value) in implied_host.iter().chain(&request.headers) {
        let name = name.as_bytes();
        head += name.len() + 2 + value.len() + 2;
        if name.len() + 2 + value.len() + 2 > HEADER_BUFFER {
            // ngx_http_request.c:1409-1440 ("client sent too long header line", 494 → 400).
            return refuse(format!(
                "a header line longer than one {HEADER_BUFFER}-byte large_client_header_buffers buffer"
            ));
        }
        if let Some(kept) = header_line(name, value)? {
            headers.push(kept);
        }
    }
    if head > HEADER_BUFFER * HEADER_BUFFERS {
        // ngx_http_request.c:1405-1420: the head does not fit in Kong's 4 × 8k buffers
        // (approximated by size: nginx also loses the tail of each buffer a line did not fit).
        return refuse(format!(
            "a request head of {head} bytes, past large_client_header_buffers {HEADER_BUFFERS} x {HEADER_BUFFER}"
        ));
    }
    for unique in UNIQUE {
        if headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(unique.as_bytes()))
            .count()
            > 1
        {
            return refuse(format!("a second {} header", display_name(unique)));
        }
    }
    if let Some((_, host)) = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(b"host"))
    {
        validate_host(host)?;
    }

    let server_name = property_or(properties, "ngx.server_name", DEFAULT_SERVER_NAME);
    let server_port = property_or(properties, "ngx.server_port", DEFAULT_SERVER_PORT);
    let mut path = decode_uri(uri.as_bytes())?;
    if let Some(args) = args {
        // :path is r->uri (decoded) plus '?' and r->args (raw): ngx_proxy_wasm_maps.c:481-517.
        path.push(b'?');
        path.extend_from_slice(args.as_bytes());
    }
    // :authority is server_name:port of the server block, never the client's Host
    // (ngx_proxy_wasm_maps.c:619-673).
    let mut authority = server_name.clone();
    if !server_port.is_empty() {
        authority.push(b':');
        authority.extend_from_slice(&server_port);
    }
    let pseudo: [(&[u8], Vec<u8>); 4] = [
        (b":path", path),
        (b":method", request.method.as_bytes().to_vec()),
        (b":scheme", request.scheme.as_bytes().to_vec()),
        (b":authority", authority),
    ];
    let mut map = HeaderMap::new();
    for (name, value) in pseudo.iter().filter(|(_, v)| !v.is_empty()) {
        map.add(name, value);
    }
    for (name, value) in &headers {
        map.add(name, value);
    }

    let mut derived = Properties::new();
    // $args is not found without a '?' (ngx_http_variable_request: r->args.data is NULL).
    if let Some(args) = args {
        derived.insert("ngx.args".into(), args.as_bytes().to_vec());
    }
    derived.insert("ngx.request_uri".into(), request.path.as_bytes().to_vec());
    derived.insert("ngx.server_name".into(), server_name);
    derived.insert("ngx.server_port".into(), server_port);
    derived.extend(properties.iter().map(|(k, v)| (k.clone(), v.clone())));
    Ok(Admitted {
        headers: map,
        properties: derived,
    })
}

fn property_or(properties: &Properties, key: &str, default: &str) -> Vec<u8> {
    properties
        .get(key)
        .cloned()
        .unwrap_or_else(|| default.as_bytes().to_vec())
}

fn display_name(lower: &str) -> String {
    lower
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// `GET /path HTTP/1.1\r\n`.
fn request_line_len(request: &Request) -> usize {
    request.method.len() + 1 + request.path.len() + " HTTP/1.1\r\n".len()
}

/// The request target split into the URI and the raw query (everything after the first `?`);
/// a control character or space in it is a 400 (ngx_http_parse.c, ngx_http_parse_request_line).
fn split_target(target: &str) -> Result<(&str, Option<&str>), Refusal> {
    if target.bytes().any(|b| b <= 0x20 || b == 0x7f) {
        return refuse("a space or control character in the request target");
    }
    Ok(match target.split_once('?') {
        Some((uri, args)) => (uri, Some(args)),
        None => (target, None),
    })
}

/// One header line as nginx parses it (src/http/ngx_http_parse.c:857-1035,
/// ngx_http_parse_header_line, `underscores_in_headers on`): `Ok(None)` when the line is dropped
/// (ignore_invalid_headers, ngx_http_request.c:1456-1464), the name as sent and the trimmed
/// value when kept, a refusal when nginx answers 400.
pub fn header_line(name: &[u8], value: &[u8]) -> Result<Option<Pair>, Refusal> {
    let Some(&first) = name.first() else {
        // A line starting with ':' (ngx_http_parse.c:896-898).
        return refuse("a header line with an empty name");
    };
    if first <= 0x20 || first == 0x7f || first == b':' {
        // ngx_http_parse.c:896-898.
        return refuse("a header name starting with a space, a control character or ':'");
    }
    if name.iter().any(|&b| b <= 0x20 || b == 0x7f) {
        // ngx_http_parse.c:965-967: a space, tab, NUL or other control character in a name.
        return refuse("a space or control character (NUL included) in a header name");
    }
    if value.contains(&0) {
        // ngx_http_parse.c:988-990, 1012-1014, 1028-1030.
        return refuse("a NUL byte in a header value");
    }
    if value.iter().any(|&b| b == b'\r' || b == b'\n') {
        // A line break ends the header line (ngx_http_parse.c:1005-1011); nginx has no
        // obs-fold (a continuation starting with a space is a 400, :896-898).
        return refuse("a line break inside a header value");
    }
    // ngx_http_parse.c:872-905, 912-972: only letters, digits, '-' and (Kong's
    // underscores_in_headers on) '_' make a valid name; anything else ('.', '/', '@', bytes
    // past 0x7f …) marks the line invalid and ignore_invalid_headers drops it.
    if !name
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(None);
    }
    // ngx_http_parse.c:975-1035: spaces (only spaces, not tabs) before and after the value are
    // not part of it.
    let start = value.iter().position(|&b| b != b' ').unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|&b| b != b' ')
        .map_or(start, |e| e + 1);
    let trimmed = value.get(start..end).unwrap_or_default().to_vec();
    // The name as the client wrote it: ngx_wasm_module hands over h->key, which nginx points at
    // the request buffer (ngx_http_request.c:1477-1483), not the lowercased copy.
    Ok(Some((name.to_vec(), trimmed)))
}

/// ngx_http_validate_host (src/http/ngx_http_request.c:2132-2220), reached through
/// ngx_http_process_host (:1832-1840): "client sent invalid host header".
pub fn validate_host(host: &[u8]) -> Result<(), Refusal> {
    let invalid = |why: &str| refuse(format!("an invalid Host header ({why})"));
    let mut dot_pos: Option<usize> = None;
    let mut host_len = host.len();
    let mut literal = false;
    let mut rest = false;
    for (i, &ch) in host.iter().enumerate() {
        match ch {
            b'.' => {
                if i > 0 && dot_pos == Some(i - 1) {
                    return invalid("two dots in a row");
                }
                dot_pos = Some(i);
            }
            b':' if !rest && !literal => {
                host_len = i;
                rest = true;
            }
            b'[' if i == 0 => literal = true,
            b']' if literal && !rest => {
                host_len = i + 1;
                rest = true;
            }
            b'/' => return invalid("a slash"),
            ch if ch <= 0x20 || ch == 0x7f => return invalid("a space or control character"),
            _ => {}
        }
    }
    if host_len > 0 && dot_pos == Some(host_len - 1) {
        host_len -= 1;
    }
    if host_len == 0 {
        return invalid("empty");
    }
    Ok(())
}

/// r->uri as ngx_http_parse_complex_uri makes it (src/http/ngx_http_parse.c:1248-1600):
/// `%XX` decoded (a bad escape or `%00` is a 400, :1500-1560), slashes merged (`merge_slashes
/// on`, :1374), `.` and `..` segments resolved (a `..` above the root is a 400, :1566-1580). A
/// decoded `?` is part of the path, not the start of a query.
pub fn decode_uri(uri: &[u8]) -> Result<Vec<u8>, Refusal> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut decoded = Vec::with_capacity(uri.len());
    let mut i = 0;
    while let Some(&b) = uri.get(i) {
        if b == b'%' {
            let pair = (uri.get(i + 1).copied(), uri.get(i + 2).copied());
            let (Some(Some(high)), Some(Some(low))) = (pair.0.map(hex), pair.1.map(hex)) else {
                return refuse("a bad percent escape in the path");
            };
            let byte = u8::try_from(high * 16 + low).unwrap_or(0);
            if byte == 0 {
                return refuse("%00 in the path");
            }
            decoded.push(byte);
            i += 3;
        } else {
            decoded.push(b);
            i += 1;
        }
    }
    // Segments: merge empty ones, drop '.', pop on '..'.
    let absolute = decoded.first() == Some(&b'/');
    let trailing = decoded.ends_with(b"/")
        || decoded.ends_with(b"/.")
        || decoded.ends_with(b"/..")
        || decoded == b"."
        || decoded == b"..";
    let mut segments: Vec<&[u8]> = Vec::new();
    for segment in decoded.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                if segments.pop().is_none() {
                    return refuse("a path that climbs above the root (/..)");
                }
            }
            other => segments.push(other),
        }
    }
    let mut out = Vec::with_capacity(decoded.len());
    if absolute {
        out.push(b'/');
    }
    out.extend_from_slice(&segments.join(&b'/'));
    if trailing && !segments.is_empty() {
        out.push(b'/');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str, authority: &str, headers: &[(&str, &[u8])]) -> Request {
        Request {
            method: "GET".into(),
            path: path.into(),
            scheme: "http".into(),
            authority: authority.into(),
            source: None,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_vec()))
                .collect(),
        }
    }

    fn admit_ok(r: &Request) -> Admitted {
        admit(r, &Properties::new()).unwrap()
    }

    fn refused(r: &Request) -> String {
        match admit(r, &Properties::new()) {
            Err(refusal) => refusal.0,
            Ok(_) => panic!("admitted: {} {}", r.method, r.path),
        }
    }

    /// ngx_proxy_wasm_maps.c:50-68 (order), :619-673 (:authority = server_name:port),
    /// :481-517 (:path = decoded URI + raw query).
    #[test]
    fn pseudo_headers_as_the_module_builds_them() {
        let a = admit_ok(&request(
            "/orders%3Fapikey=k3y/%2e%2e/x?id=7&q=a%20b",
            "api.example.com",
            &[],
        ));
        let names: Vec<&[u8]> = a.headers.iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                &b":path"[..],
                b":method",
                b":scheme",
                b":authority",
                b"Host"
            ]
        );
        assert_eq!(a.headers.get(b":path"), Some(&b"/x?id=7&q=a%20b"[..]));
        assert_eq!(a.headers.get(b":authority"), Some(&b"kong:8000"[..]));
        assert_eq!(a.headers.get(b"host"), Some(&b"api.example.com"[..]));
        assert_eq!(a.properties.get("ngx.args").unwrap(), b"id=7&q=a%20b");
        assert_eq!(
            a.properties.get("ngx.request_uri").unwrap(),
            b"/orders%3Fapikey=k3y/%2e%2e/x?id=7&q=a%20b"
        );
        // The decoded %3F is part of the path: no query, no ngx.args (r->args.data NULL).
        let a = admit_ok(&request("/orders%3Fapikey=k3y", "h", &[]));
        assert_eq!(a.headers.get(b":path"), Some(&b"/orders?apikey=k3y"[..]));
        assert!(!a.properties.contains_key("ngx.args"));
        // server_name and port come from the scenario's properties when it sets them.
        let props: Properties = [
            ("ngx.server_name".to_string(), b"gw".to_vec()),
            ("ngx.server_port".to_string(), b"8443".to_vec()),
        ]
        .into();
        let a = admit(&request("/", "h", &[]), &props).unwrap();
        assert_eq!(a.headers.get(b":authority"), Some(&b"gw:8443"[..]));
    }

    /// ngx_http_parse.c:1248-1600 (ngx_http_parse_complex_uri, merge_slashes on).
    #[test]
    fn uri_decoding() {
        for (raw, decoded) in [
            ("/a%2Fb", "/a/b"),
            ("//a///b/", "/a/b/"),
            ("/a/./b/../c", "/a/c"),
            ("/a/b/..", "/a/"),
            ("/a+b%2B", "/a+b+"),
            ("/", "/"),
        ] {
            assert_eq!(
                decode_uri(raw.as_bytes()).unwrap(),
                decoded.as_bytes(),
                "{raw}"
            );
        }
        for bad in ["/a%zz", "/a%4", "/a%00b", "/..", "/a/../../b"] {
            assert!(decode_uri(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    /// ngx_http_parse.c:975-1035: spaces around a value are trimmed, tabs are kept.
    #[test]
    fn values_are_trimmed_of_spaces() {
        assert_eq!(
            header_line(b"apikey", b"   k3y-9f8e7d6c  ").unwrap(),
            Some((b"apikey".to_vec(), b"k3y-9f8e7d6c".to_vec()))
        );
        assert_eq!(header_line(b"X-A", b"\tv\t").unwrap().unwrap().1, b"\tv\t");
        assert_eq!(header_line(b"x-a", b"  ").unwrap().unwrap().1, b"");
        assert_eq!(header_line(b"x-a", b"a  b").unwrap().unwrap().1, b"a  b");
    }

    /// ngx_http_parse.c:872-905, 912-972 with underscores_in_headers on, and
    /// ngx_http_request.c:1456-1464 (ignore_invalid_headers): invalid names are dropped.
    #[test]
    fn names_outside_the_token_set_are_dropped() {
        for kept in ["x-api-key", "X_Api_Key", "apikey", "A1"] {
            assert!(
                header_line(kept.as_bytes(), b"v").unwrap().is_some(),
                "{kept}"
            );
        }
        // Kept as the client wrote it (ngx_http_request.c:1477-1483: h->key is the raw name).
        assert_eq!(
            header_line(b"X_Api_Key", b"v").unwrap().unwrap().0,
            b"X_Api_Key"
        );
        for dropped in [&b"x.api.key"[..], b"x/api", b"x@y", b"caf\xc3\xa9", b"a(b)"] {
            assert_eq!(header_line(dropped, b"v").unwrap(), None, "{dropped:?}");
        }
        let a = admit_ok(&request(
            "/",
            "h",
            &[("x.api.key", b"k3y"), ("Apikey", b" k ")],
        ));
        assert_eq!(a.headers.get(b"x.api.key"), None);
        assert_eq!(a.headers.get(b"apikey"), Some(&b"k"[..]));
    }

    /// Requests nginx answers 400 before any phase a filter runs in.
    #[test]
    fn nginx_refuses_before_any_filter() {
        // ngx_http_request.c:1811-1826 (second Host) and :1786-1807 (second Authorization,
        // a unique header line since nginx 1.23).
        assert!(
            refused(&request("/", "h", &[("host", b"a"), ("Host", b"b")])).contains("second Host")
        );
        assert!(refused(&request(
            "/",
            "",
            &[
                ("authorization", b"Bearer a"),
                ("Authorization", b"Bearer b")
            ]
        ))
        .contains("second Authorization"));
        // The implied Host (the scenario's authority) and a written one are two Host headers
        // only when the scenario writes one: then the written one is the client's.
        assert!(admit(&request("/", "a", &[("host", b"b")]), &Properties::new()).is_ok());
        // ngx_http_parse.c:988-990, 1012-1014 (NUL in a value), 965-967 (in a name).
        assert!(refused(&request("/", "h", &[("apikey", b"k\0y")])).contains("NUL"));
        assert!(refused(&request("/", "h", &[("api\0key", b"k")])).contains("NUL"));
        assert!(refused(&request("/", "h", &[("api key", b"k")])).contains("header name"));
        // ngx_http_request.c:2204-2206 (an empty Host), 2155-2158, 2184-2190.
        assert!(
            refused(&request("/", "", &[("host", b"")])).contains("invalid Host header (empty)")
        );
        assert!(refused(&request("/", "", &[("host", b"   ")])).contains("empty"));
        assert!(refused(&request("/", "", &[("host", b"a..b")])).contains("invalid Host"));
        assert!(refused(&request("/", "", &[("host", b"a/b")])).contains("invalid Host"));
        assert!(admit(
            &request("/", "", &[("host", b"API.example.com.:8443")]),
            &Properties::new()
        )
        .is_ok());
        // ngx_http_request.c:1409-1440: one line past one 8k buffer; the head past 4 x 8k.
        let long = vec![b'a'; HEADER_BUFFER];
        assert!(
            refused(&request("/", "h", &[("authorization", &long)])).contains("longer than one")
        );
        let mid = vec![b'a'; 7000];
        let five: Vec<(&str, &[u8])> = (0..5).map(|_| ("x-a", mid.as_slice())).collect();
        assert!(refused(&request("/", "h", &five)).contains("past large_client_header_buffers"));
        let four: Vec<(&str, &[u8])> = (0..4).map(|_| ("x-a", mid.as_slice())).collect();
        assert!(admit(&request("/", "h", &four), &Properties::new()).is_ok());
        // ngx_http_parse.c:1500-1560: a bad escape in the path.
        assert!(refused(&request("/a%zz", "h", &[])).contains("percent"));
        // No reason ever carries a value.
        let reason = refused(&request(
            "/",
            "h",
            &[("authorization", b"s3cr3t-value"), ("authorization", b"x")],
        ));
        assert!(!reason.contains("s3cr3t"));
    }
}
