//! The request and response as plain data: what the glue gathers from the host, what the pure
//! core decides on.

use crate::bounds::{MAX_HEADERS, MAX_PARAMS};
use std::net::IpAddr;

/// One header as the host gave it: the name lowercased, the value as raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Lowercase name.
    pub name: String,
    /// Raw value; not necessarily UTF-8.
    pub value: Vec<u8>,
}

/// A list of headers with case-insensitive look-ups. Kept in arrival order, duplicates kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<Header>, pub usize);

impl Headers {
    /// From `(name, value)` pairs; pseudo-headers (`:path` …) are left out; at most
    /// [`MAX_HEADERS`] are kept, and the number left out is remembered.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, Vec<u8>)>) -> Self {
        let mut kept = Vec::new();
        let mut ignored = 0;
        for (mut name, value) in pairs.into_iter().filter(|(name, _)| !name.starts_with(':')) {
            if kept.len() < MAX_HEADERS {
                name.make_ascii_lowercase();
                kept.push(Header { name, value });
            } else {
                ignored += 1;
            }
        }
        Headers(kept, ignored)
    }

    /// How many headers past [`MAX_HEADERS`] were not examined.
    pub fn ignored(&self) -> usize {
        self.1
    }

    /// Every value of the header `name` (lowercase), in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.0
            .iter()
            .filter(move |h| h.name == name)
            .map(|h| h.value.as_slice())
    }

    /// The first value of the header `name` (lowercase).
    pub fn first<'a>(&'a self, name: &'a str) -> Option<&'a [u8]> {
        self.all(name).next()
    }

    /// The first value as text, when it is UTF-8.
    pub fn text<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.first(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Whether any header of this name is present.
    pub fn has(&self, name: &str) -> bool {
        self.first(name).is_some()
    }

    /// Every header.
    pub fn iter(&self) -> impl Iterator<Item = &Header> {
        self.0.iter()
    }
}

/// The request as Kong sees it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `:method`.
    pub method: String,
    /// `:path`, with the query string.
    pub path: String,
    /// `:scheme`: how the request reached Kong.
    pub scheme: String,
    /// `:authority` (the Host).
    pub authority: String,
    /// Every other header.
    pub headers: Headers,
    /// The peer's address (`source.address`), when the host gives it.
    pub peer: Option<IpAddr>,
}

/// A name and raw value from the query string or the Cookie header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param<'a> {
    /// Name as sent (percent-decoding is not applied: names are compared as Kong compares them).
    pub name: &'a str,
    /// Raw value.
    pub value: &'a [u8],
}

impl Request {
    /// The query string's parameters, at most [`MAX_PARAMS`].
    pub fn query(&self) -> Vec<Param<'_>> {
        let Some((_, query)) = self.path.split_once('?') else {
            return Vec::new();
        };
        query
            .split('&')
            .filter(|p| !p.is_empty())
            .take(MAX_PARAMS)
            .map(|pair| match pair.split_once('=') {
                Some((name, value)) => Param {
                    name,
                    value: value.as_bytes(),
                },
                None => Param {
                    name: pair,
                    value: b"",
                },
            })
            .collect()
    }

    /// Every cookie of every Cookie header, at most [`MAX_PARAMS`].
    pub fn cookies(&self) -> Vec<Param<'_>> {
        self.headers
            .all("cookie")
            .flat_map(|v| v.split(|&b| b == b';'))
            .filter_map(|pair| {
                let eq = pair.iter().position(|&b| b == b'=')?;
                let (name, value) = pair.split_at(eq);
                let name = std::str::from_utf8(name).ok()?.trim();
                let value = value.get(1..).unwrap_or_default();
                (!name.is_empty()).then_some(Param { name, value })
            })
            .take(MAX_PARAMS)
            .collect()
    }

    /// The host name the request was sent to, lowercase, without port.
    pub fn host(&self) -> String {
        let authority = if self.authority.is_empty() {
            self.headers.text("host").unwrap_or_default()
        } else {
            self.authority.as_str()
        };
        strip_port(authority).to_ascii_lowercase()
    }
}

/// `api.example.com:8443` → `api.example.com`; `[2001:db8::1]:443` → `[2001:db8::1]`.
pub fn strip_port(authority: &str) -> &str {
    let authority = authority.trim();
    if authority.starts_with('[') {
        return authority
            .find(']')
            .and_then(|end| authority.get(..=end))
            .unwrap_or(authority);
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    }
}

/// Who produced the annotated response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answerer {
    /// The upstream service (Kong proxied the request).
    Upstream,
    /// Kong itself (a Lua plugin rejected the request).
    Kong,
    /// The host cannot say.
    Unknown,
}

/// The response the filter is asked to annotate.
#[derive(Debug, Clone, Default)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Response headers (`WWW-Authenticate`, Kong's `X-Kong-*`, `Via`, `Server`).
    pub headers: Headers,
    /// `ngx.upstream_status`: present only when an upstream answered.
    pub upstream_status: Option<String>,
}

impl Response {
    /// Who answered: `ngx.upstream_status` is the surest sign, then Kong's latency headers.
    pub fn answerer(&self) -> Answerer {
        if self
            .upstream_status
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty() && s != "-")
        {
            return Answerer::Upstream;
        }
        if self.headers.has("x-kong-upstream-latency") {
            return Answerer::Upstream;
        }
        if self.headers.has("x-kong-response-latency") {
            return Answerer::Kong;
        }
        Answerer::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(path: &str, headers: &[(&str, &str)]) -> Request {
        Request {
            path: path.into(),
            headers: Headers::from_pairs(
                headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())),
            ),
            ..Request::default()
        }
    }

    #[test]
    fn query_and_cookies() {
        let r = req(
            "/a?apikey=1&x&=2&jwt=",
            &[
                ("Cookie", "a=1; BIGipServerpool=123.456.0000"),
                ("cookie", "b=2;bad"),
            ],
        );
        let q: Vec<_> = r.query().iter().map(|p| p.name).collect();
        assert_eq!(q, vec!["apikey", "x", "", "jwt"]);
        let c: Vec<_> = r.cookies().iter().map(|p| p.name).collect();
        assert_eq!(c, vec!["a", "BIGipServerpool", "b"]);
    }

    #[test]
    fn headers_are_bounded() {
        let h = Headers::from_pairs((0..MAX_HEADERS + 5).map(|i| (format!("x-{i}"), Vec::new())));
        assert_eq!(h.0.len(), MAX_HEADERS);
        assert_eq!(h.ignored(), 5);
    }

    #[test]
    fn host_without_port() {
        assert_eq!(strip_port("API.example.com:8443"), "API.example.com");
        assert_eq!(strip_port("[2001:db8::1]:443"), "[2001:db8::1]");
        let mut r = req("/", &[("host", "Api.Example.com:80")]);
        assert_eq!(r.host(), "api.example.com");
        r.authority = "other:1".into();
        assert_eq!(r.host(), "other");
    }

    #[test]
    fn answerer() {
        let mut resp = Response::default();
        assert_eq!(resp.answerer(), Answerer::Unknown);
        resp.upstream_status = Some("401".into());
        assert_eq!(resp.answerer(), Answerer::Upstream);
        resp.upstream_status = None;
        resp.headers = Headers::from_pairs([("X-Kong-Response-Latency".into(), b"1".to_vec())]);
        assert_eq!(resp.answerer(), Answerer::Kong);
    }
}
