//! The request and response the host feeds an HTTP context, independent of the scenario format
//! (`explain` and `bench` build them too).

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::host::map::HeaderMap;

/// Properties answered by `proxy_get_property`, by dotted path.
pub type Properties = BTreeMap<String, Vec<u8>>;

/// A request as it reaches the filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// Path with query string, as in the request line.
    pub path: String,
    pub scheme: String,
    pub authority: String,
    /// The peer: `ip:port`, `[v6]:port` or a bare address.
    pub source: Option<String>,
    /// Headers in order, names as given (the map lowercases them), values raw bytes.
    pub headers: Vec<(String, Vec<u8>)>,
}

/// The response the upstream (or Kong) produced, before the filter's response-headers step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The request as written, pseudo-headers first, then the headers in order with lowercased
    /// names, duplicates kept — before nginx's rules; what a filter gets is
    /// [`crate::host::nginx::admit`]'s map.
    pub fn header_map(&self) -> HeaderMap {
        let pseudo = [
            (":method", self.method.as_bytes()),
            (":path", self.path.as_bytes()),
            (":scheme", self.scheme.as_bytes()),
            (":authority", self.authority.as_bytes()),
        ];
        let mut map =
            HeaderMap::from_pairs(pseudo.map(|(n, v)| (n.as_bytes().to_vec(), v.to_vec())));
        for (name, value) in &self.headers {
            map.add(name.to_ascii_lowercase().as_bytes(), value);
        }
        map
    }

    /// `source.address` and `source.port` derived from [`Request::source`].
    pub fn source_properties(&self) -> Properties {
        let mut out = Properties::new();
        if let Some((address, port)) = self.source.as_deref().and_then(split_source) {
            out.insert("source.address".into(), address.into_bytes());
            if let Some(port) = port {
                out.insert("source.port".into(), port.to_string().into_bytes());
            }
        }
        out
    }
}

impl Response {
    /// The response header map: `:status` first, then the headers with lowercased names.
    pub fn header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.add(b":status", self.status.to_string().as_bytes());
        for (name, value) in &self.headers {
            map.add(name.to_ascii_lowercase().as_bytes(), value);
        }
        map
    }
}

/// Splits `ip:port`, `[v6]:port`, `[v6]`, or a bare IPv4/IPv6 address.
pub fn split_source(source: &str) -> Option<(String, Option<u16>)> {
    let source = source.trim();
    if let Some(rest) = source.strip_prefix('[') {
        let (address, after) = rest.split_once(']')?;
        address.parse::<IpAddr>().ok()?;
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        return Some((address.to_owned(), port));
    }
    if source.parse::<IpAddr>().is_ok() {
        return Some((source.to_owned(), None));
    }
    let (address, port) = source.rsplit_once(':')?;
    address.parse::<std::net::Ipv4Addr>().ok()?;
    Some((address.to_owned(), Some(port.parse().ok()?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_split() {
        assert_eq!(
            split_source("10.0.0.8:50412"),
            Some(("10.0.0.8".into(), Some(50412)))
        );
        assert_eq!(
            split_source("[2001:db8::1]:443"),
            Some(("2001:db8::1".into(), Some(443)))
        );
        assert_eq!(
            split_source("2001:db8::1"),
            Some(("2001:db8::1".into(), None))
        );
        assert_eq!(split_source("192.0.2.1"), Some(("192.0.2.1".into(), None)));
        assert_eq!(split_source("[::1]"), Some(("::1".into(), None)));
        assert_eq!(split_source("host:80"), None);
        assert_eq!(split_source("1.2.3.4:http"), None);
    }

    #[test]
    fn request_map_has_pseudo_headers_first() {
        let request = Request {
            method: "GET".into(),
            path: "/orders?id=7".into(),
            scheme: "https".into(),
            authority: "api.example.com".into(),
            source: Some("10.0.0.8:50412".into()),
            headers: vec![("X-A".into(), b"1".to_vec()), ("x-a".into(), vec![0xff])],
        };
        let map = request.header_map();
        let names: Vec<&[u8]> = map.iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                &b":method"[..],
                b":path",
                b":scheme",
                b":authority",
                b"x-a",
                b"x-a"
            ]
        );
        assert_eq!(
            map.get_all(b"X-A").collect::<Vec<_>>(),
            [&b"1"[..], &[0xff]]
        );
        let props = request.source_properties();
        assert_eq!(props.get("source.address").unwrap(), b"10.0.0.8");
        assert_eq!(props.get("source.port").unwrap(), b"50412");
    }
}
