//! What the host hands over, turned into plain data: which values the filter asks for, in which
//! order (every hostcall costs, on every 401), and how they become a `Request` and a `Response`.
//! Pure over [`Source`]: in the filter the source is the host (`super::Host`, through
//! `hostcalls`); in the native agreement test it is the embedded host's own maps (`agree`), so
//! the `.wasm` and the native run gather through the same code.

use crate::decide::config::Config;
use crate::decide::exposure::{self, Tier};
use crate::parse::pairs::{Pairs, Span};
use crate::parse::request::{Headers, PairsLimit, Pseudo, Request, Response};
use std::borrow::Cow;

/// Header a request carries to see the diagnosis when `expose = "token"`.
pub(super) const TOKEN_HEADER: &str = "x-auth-diagnosis-token";
/// Kong's sign that an upstream answered.
const UPSTREAM_LATENCY: &str = "x-kong-upstream-latency";
/// Kong's sign that it answered itself.
const RESPONSE_LATENCY: &str = "x-kong-response-latency";
/// The response headers the diagnosis reads, in the order they are asked for.
pub(super) const RESPONSE_HEADERS: [&str; 6] = [
    "www-authenticate",
    UPSTREAM_LATENCY,
    "set-cookie",
    RESPONSE_LATENCY,
    "via",
    "server",
];
/// Their names' bytes, all six.
pub(super) const RESPONSE_NAMES: usize = total_len(&RESPONSE_HEADERS);

/// The bytes of `names`, together.
const fn total_len(names: &[&str]) -> usize {
    let mut total = 0;
    let mut rest = names;
    while let [first, tail @ ..] = rest {
        total += first.len();
        rest = tail;
    }
    total
}
/// The value bytes a response's headers have room for (a challenge with an error description,
/// a cookie, two latencies, Via, Server); more takes a copy.
pub(super) const RESPONSE_BYTES: usize = 1024;

/// A property the filter reads, named as the ABI names it: the path's segments joined by NUL,
/// written out once here rather than joined on every read (every instruction counts, on
/// every 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Property(pub &'static str);

impl Property {
    /// The client's address as Kong sees it (after its trusted_ips/real_ip_header).
    pub const SOURCE_ADDRESS: Property = Property("source\0address");
    /// The TCP peer, when nginx's realip module replaced the address.
    pub const REALIP_REMOTE_ADDR: Property = Property("ngx\0realip_remote_addr");
    /// nginx's raw query string.
    pub const ARGS: Property = Property("ngx\0args");
    /// nginx's raw request target.
    pub const REQUEST_URI: Property = Property("ngx\0request_uri");
    /// The status the upstream answered, when one did.
    pub const UPSTREAM_STATUS: Property = Property("ngx\0upstream_status");
    /// Kong's request id, which its own logs carry.
    pub const KONG_REQUEST_ID: Property = Property("ngx\0kong_request_id");
    /// The route's name.
    pub const ROUTE_NAME: Property = Property("kong\0route_name");
    /// Kong's version (3.6 and later, inside a request).
    pub const KONG_VERSION: Property = Property("kong\0version");

    /// The dotted form (`ngx.kong_request_id`), as hosts' configuration and tests name it.
    #[cfg(test)]
    pub fn dotted(self) -> String {
        self.0.replace('\0', ".")
    }
}

/// What the host answers. `None` when it has no such value or refuses.
pub(super) trait Source {
    /// The request's header map, pseudo-headers first, read with every length checked; the
    /// spans written into `spans`' buffer when they fit.
    fn request_pairs(&self, spans: &mut Vec<Span>) -> Pairs;
    /// One request header's value.
    fn request_header(&self, name: &str) -> Option<Vec<u8>>;
    /// One response header's value.
    fn response_header(&self, name: &str) -> Option<Vec<u8>>;
    /// A property's raw value.
    fn property_bytes(&self, path: Property) -> Option<Vec<u8>>;

    /// A property as printable text, at most 128 bytes: the host's own buffer when it already
    /// is (the usual case; a copy costs on every 401).
    fn property(&self, path: Property) -> Option<String> {
        let printable =
            |bytes: &[u8]| bytes.len() <= 128 && crate::parse::text::is_printable_ascii(bytes);
        self.property_bytes(path).map(|bytes| {
            if printable(&bytes) {
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| crate::parse::text::printable_bytes(e.as_bytes(), 128))
            } else {
                crate::parse::text::printable_bytes(&bytes, 128)
            }
        })
    }
}

/// The request as plain data, and the client address (`source.address`) for the log line. The
/// peer is looked up only when `trusted_ips` needs it: every hostcall costs, on every 401.
/// The names and spans are read into the worker's spare buffers when they fit.
pub(super) fn request(
    source: &impl Source,
    config: &Config,
    (names, spans): (&mut Vec<u8>, &mut Vec<Span>),
) -> (Request, Option<String>) {
    // Read through a reader that checks every length: the SDK's panics on the short buffer
    // ngx_wasm_module hands over for 98+ headers (see `raw`).
    let pairs = source.request_pairs(spans);
    let limit = PairsLimit::of(
        pairs.len(),
        usize::try_from(pairs.declared).unwrap_or(usize::MAX),
    );
    // One pass for the four pseudo-headers; the first of each counts. The usual methods and
    // schemes are kept without a copy, the path and authority where they lie in the host's
    // buffer (every allocation costs, on every 401).
    let [mut method, mut scheme]: [Option<Cow<'static, str>>; 2] = Default::default();
    let [mut path, mut authority]: [Option<Pseudo>; 2] = Default::default();
    let mut found = 0;
    for (name, span) in pairs.iter_spans() {
        // ngx_wasm_module and Envoy hand the four over first: the rest is not read.
        if found == 4 {
            break;
        }
        if name.first() != Some(&b':') {
            continue;
        }
        let value = pairs.value(span);
        match name {
            b":method" | b":scheme" => {
                let (slot, usual) = if name == b":method" {
                    (&mut method, METHODS)
                } else {
                    (&mut scheme, &["https", "http"][..])
                };
                if slot.is_none() {
                    found += 1;
                    *slot = Some(match usual.iter().find(|u| u.as_bytes() == value) {
                        Some(u) => Cow::Borrowed(*u),
                        None => Cow::Owned(text(value.to_vec())),
                    });
                }
            }
            b":path" | b":authority" => {
                let slot = if name == b":path" {
                    &mut path
                } else {
                    &mut authority
                };
                if slot.is_none() {
                    found += 1;
                    // Printable ASCII, checked eight bytes at a time, is what nearly every
                    // request sends; std's UTF-8 check goes byte by byte on a span this short.
                    let utf8 = crate::parse::text::is_printable_ascii(value)
                        || std::str::from_utf8(value).is_ok();
                    *slot = Some(if utf8 {
                        Pseudo::At(span.0, span.1)
                    } else {
                        Pseudo::Text(text(value.to_vec()))
                    });
                }
            }
            _ => {}
        }
    }
    let [method, scheme] = [method, scheme].map(Option::unwrap_or_default);
    let [path, authority] = [path, authority].map(Option::unwrap_or_default);
    let client = source.property(Property::SOURCE_ADDRESS);
    // The TCP peer: with Kong's trusted_ips set, source.address is already the client that
    // X-Real-IP named, and ngx.realip_remote_addr keeps the proxy's own address.
    let peer = if config.trusted_ips.is_empty() {
        None
    } else {
        source
            .property(Property::REALIP_REMOTE_ADDR)
            .or_else(|| client.clone())
            .and_then(|a| crate::parse::cidr::peer_ip(&a))
    };
    // Without a '?' in :path there is no query to find: ngx_wasm_module's :path carries
    // r->args after a '?' whenever there are any (ngx_proxy_wasm_maps.c:481-517), and other
    // hosts hand over the raw target. Two property reads saved on most 401s.
    let has_query = match &path {
        Pseudo::At(start, end) => pairs.value((*start, *end)).contains(&b'?'),
        Pseudo::Text(text) => text.contains('?'),
    };
    let raw_query = if has_query { raw_query(source) } else { None };
    let request = Request {
        method,
        path,
        raw_query,
        scheme,
        authority,
        headers: Headers::from_wire_into(pairs, names),
        peer,
        limit,
    };
    (request, client)
}

/// Bytes as text, lossily where they are not UTF-8. Checked whole first and kept without a
/// copy: the lossy reader walks every value byte by byte (~300 wasm instructions on a path).
fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The methods most requests use: kept without a copy of their own.
const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];

/// The query as the client sent it, which Kong's plugins parse: ngx_wasm_module's `:path` is
/// the decoded URI plus the raw query (src/common/proxy_wasm/ngx_proxy_wasm_maps.c:481-517),
/// so a `%3F` in the path would pass for a `?`. `ngx.args` is nginx's raw query; it is not found
/// when the request has none (an nginx variable that is not_found answers NOT_FOUND,
/// ngx_proxy_wasm_properties.c:770-800), and then `ngx.request_uri` (the raw target) settles
/// it. `None` on hosts with neither: the query is then split out of `:path`.
fn raw_query(source: &impl Source) -> Option<String> {
    if let Some(args) = source.property_bytes(Property::ARGS) {
        return Some(text(args));
    }
    let target = source.property_bytes(Property::REQUEST_URI)?;
    let query = target
        .iter()
        .position(|&b| b == b'?')
        .and_then(|at| target.get(at + 1..))
        .unwrap_or_default();
    Some(String::from_utf8_lossy(query).into_owned())
}

/// The response with `status` as plain data, and `ngx.kong_request_id` when it was read as a
/// sign (the log line reuses it). Only the headers the diagnosis reads, one by one: the SDK's
/// whole-map read traps on a header name that is not UTF-8, and nginx passes such names through
/// from upstreams. Kong's upstream latency header already says who answered; the weaker signs
/// are asked for only without it (every hostcall costs, on every 401).
pub(super) fn response(
    source: &impl Source,
    status: u16,
    room: &mut Headers,
) -> (Response, Option<String>) {
    // Values copied into one buffer under constant names (no string per header): the worker's
    // spare, or, once a value does not fit in it, this response's own.
    let mut headers = Headers::lend(room, RESPONSE_HEADERS.len(), RESPONSE_NAMES, RESPONSE_BYTES);
    // Reads the headers from `first` to `last`; whether the last one is there.
    let mut read = |headers: &mut Headers, first: usize, last: usize| {
        let mut found = false;
        for name in RESPONSE_HEADERS.iter().take(last + 1).skip(first) {
            let value = source.response_header(name);
            found = value.is_some();
            if let Some(value) = value {
                if !headers.has_room_for(name.len(), value.len()) {
                    let bytes = headers.value_bytes() + value.len() + RESPONSE_BYTES;
                    let mut own = Headers::lend(
                        &mut Headers::default(),
                        RESPONSE_HEADERS.len(),
                        RESPONSE_NAMES,
                        bytes,
                    );
                    for header in headers.iter() {
                        own.push(header.name, header.value);
                    }
                    let lent = std::mem::replace(headers, own);
                    // The spare goes back untouched (a response's own is freed with it).
                    if room.room() == (0, 0, 0) {
                        *room = lent;
                    }
                }
                headers.push(name, &value);
            }
        }
        found
    };
    let mut upstream_status = None;
    // Asked for early only where it is a sign: a host that answers ngx.kong_request_id
    // answers ngx.* properties, so its silence on ngx.upstream_status means no upstream.
    let mut request_id = None;
    // www-authenticate, the upstream latency; set-cookie.
    let upstream_latency = read(&mut headers, 0, 1);
    read(&mut headers, 2, 2);
    if !upstream_latency {
        let response_latency = read(&mut headers, 3, 3);
        upstream_status = source.property(Property::UPSTREAM_STATUS);
        if upstream_status.is_none() && !response_latency {
            request_id = source.property(Property::KONG_REQUEST_ID);
            read(&mut headers, 4, 5);
        }
    }
    let response = Response {
        status,
        headers,
        upstream_status,
        ngx_answered: request_id.is_some().then_some("ngx.kong_request_id"),
    };
    (response, request_id)
}

/// Kong's auth fell back to the anonymous consumer.
pub(super) fn anonymous(source: &impl Source, config: &Config) -> bool {
    let flag = source
        .request_header("x-anonymous-consumer")
        .is_some_and(|v| v.trim_ascii().eq_ignore_ascii_case(b"true"));
    flag || config.anonymous.as_deref().is_some_and(|anonymous| {
        source
            .request_header("x-consumer-username")
            .is_some_and(|v| v.trim_ascii() == anonymous.as_bytes())
    })
}

/// `expose = "token"`: whether the request's `X-Auth-Diagnosis-Token` is the configured token,
/// and whether it sent one at all (the glue then removes it, so that it never reaches the
/// upstream).
pub(super) fn token(source: &impl Source, config: &Config) -> (bool, bool) {
    let sent = source.request_header(TOKEN_HEADER);
    let matched = match (&config.token, &sent) {
        (Some(token), Some(sent)) => constant_time_eq(token.as_bytes(), sent.trim_ascii()),
        _ => false,
    };
    (matched, sent.is_some())
}

/// How much the client is shown; `client` is `source.address`, the address Kong sees.
pub(super) fn tier(config: &Config, token_matched: bool, client: Option<&str>) -> Option<Tier> {
    // The address is parsed only when a list could match it.
    let ip = client
        .filter(|_| !config.expose_to.is_empty())
        .and_then(crate::parse::cidr::peer_ip);
    exposure::tier(config, token_matched, ip)
}

/// Compares without an early exit, so the time taken says nothing about where a guess differs.
fn constant_time_eq(expected: &[u8], given: &[u8]) -> bool {
    if expected.len() != given.len() {
        return false;
    }
    expected
        .iter()
        .zip(given)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A host that hands over only a header map.
    struct Wire(Vec<u8>);

    impl Source for Wire {
        fn request_pairs(&self, spans: &mut Vec<Span>) -> Pairs {
            crate::parse::pairs::parse_into(self.0.clone(), spans)
        }
        fn request_header(&self, _: &str) -> Option<Vec<u8>> {
            None
        }
        fn response_header(&self, _: &str) -> Option<Vec<u8>> {
            None
        }
        fn property_bytes(&self, _: Property) -> Option<Vec<u8>> {
            None
        }
    }

    /// `:path` and `:authority` are read where they lie in the host's buffer when they are
    /// UTF-8, and lossily copied when not; the first of each counts.
    #[test]
    fn pseudo_headers() {
        let config = crate::decide::config::load(b"{}").unwrap();
        // Pairs; the path, authority and method read.
        type Case<'a> = (&'a [(&'a [u8], &'a [u8])], &'a str, &'a str, &'a str);
        let cases: &[Case] = &[
            (
                &[
                    (b":path", b"/a?b=1"),
                    (b":method", b"GET"),
                    (b":authority", b"kong:8000"),
                    (b":path", b"/second"),
                ],
                "/a?b=1",
                "kong:8000",
                "GET",
            ),
            (
                &[
                    (b":authority", b"h\xffst"),
                    (b":path", b"/\xc3"),
                    (b":method", b"BREW"),
                ],
                "/\u{fffd}",
                "h\u{fffd}st",
                "BREW",
            ),
            (&[(b"host", b"x")], "", "", ""),
        ];
        for (pairs, path, authority, method) in cases {
            let wire = crate::parse::pairs::tests::serialize(pairs);
            let (request, _) = request(&Wire(wire), &config, (&mut Vec::new(), &mut Vec::new()));
            assert_eq!(request.path(), *path);
            assert_eq!(request.authority(), *authority);
            assert_eq!(request.method, *method);
        }
        let wire = crate::parse::pairs::tests::serialize(&[(b":path", b"/p"), (b"x-a", b"1")]);
        let (request, _) = request(&Wire(wire), &config, (&mut Vec::new(), &mut Vec::new()));
        assert!(matches!(request.path, Pseudo::At(..)), "{:?}", request.path);
        assert_eq!(request.headers.text("x-a"), Some("1"));
    }

    #[test]
    fn constant_time() {
        assert!(constant_time_eq(b"s3cret", b"s3cret"));
        assert!(!constant_time_eq(b"s3cret", b"s3creT"));
        assert!(!constant_time_eq(b"s3cret", b"s3cre"));
    }

    #[test]
    fn the_response_names_bytes_are_the_names_lengths() {
        let sum: usize = RESPONSE_HEADERS.iter().map(|n| n.len()).sum();
        assert_eq!(RESPONSE_NAMES, sum);
    }
}
