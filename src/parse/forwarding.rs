//! Intermediaries in front of Kong, recognised from the marks they leave on a request.

use crate::parse::request::{Headers, Param, Request};
use crate::parse::text::printable_bytes;

/// One sign that the request passed through a proxy, CDN or load balancer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// What the intermediary is, as precisely as the mark allows.
    pub what: &'static str,
    /// The mark itself (a header or cookie name, with a harmless value where it helps).
    pub mark: String,
}

/// Every intermediary mark on the request, vendor-specific ones first.
pub fn hops(request: &Request, cookies: &[Param<'_>]) -> Vec<Hop> {
    let mut hops = Vec::new();
    let h = &request.headers;
    let vendor_headers: [(&str, &'static str); 9] = [
        ("x-amz-cf-id", "Amazon CloudFront"),
        ("x-azure-ref", "Azure Front Door"),
        ("x-azure-fdid", "Azure Front Door"),
        ("cf-ray", "Cloudflare"),
        ("x-amzn-trace-id", "AWS load balancer"),
        ("akamai-origin-hop", "Akamai"),
        ("x-akamai-edgescape", "Akamai"),
        ("fastly-client-ip", "Fastly"),
        ("x-goog-iap-jwt-assertion", "Google IAP"),
    ];
    for cookie in cookies {
        if cookie.name.starts_with("BIGipServer") {
            hops.push(Hop {
                what: "F5 BIG-IP",
                mark: format!("cookie {}", printable_bytes(cookie.name.as_bytes(), 60)),
            });
        } else if cookie.name.starts_with("TS01") || cookie.name.starts_with("TS00") {
            hops.push(Hop {
                what: "F5 BIG-IP ASM",
                mark: format!("cookie {}", printable_bytes(cookie.name.as_bytes(), 60)),
            });
        }
    }
    for (name, what) in vendor_headers {
        if h.has(name) {
            hops.push(Hop {
                what,
                mark: format!("header {name}"),
            });
        }
    }
    for via in h.all("via") {
        let text = printable_bytes(via, 60);
        // Kong names itself in Via: that hop is Kong, not something in front of it.
        if !text.to_ascii_lowercase().contains("kong/") {
            hops.push(Hop {
                what: if text.contains("cloudfront") {
                    "Amazon CloudFront"
                } else {
                    "a proxy"
                },
                mark: format!("Via: {text}"),
            });
        }
    }
    if h.has("forwarded") {
        hops.push(Hop {
            what: "a proxy",
            mark: "header forwarded".into(),
        });
    }
    if let Some(xff) = h.first("x-forwarded-for") {
        let count = xff.split(|&b| b == b',').count();
        hops.push(Hop {
            what: "a proxy",
            mark: format!(
                "X-Forwarded-For with {count} address{}",
                if count == 1 { "" } else { "es" }
            ),
        });
    }
    for name in [
        "x-real-ip",
        "x-forwarded-proto",
        "x-forwarded-host",
        "true-client-ip",
    ] {
        if h.has(name) && hops.is_empty() {
            hops.push(Hop {
                what: "a proxy",
                mark: format!("header {name}"),
            });
        }
    }
    hops
}

/// Intermediaries that marked the response: an F5 BIG-IP with cookie persistence inserts its
/// `BIGipServer<pool>` cookie (ASM its `TS01…`) into the responses it passes on. Kong never sets
/// such a cookie, so one on the 401 means a BIG-IP sits in the path (seen by explain in the
/// client's transcript; in Kong, one between Kong and the upstream).
pub fn response_hops(headers: &Headers) -> Vec<Hop> {
    headers
        .all("set-cookie")
        .filter_map(|v| {
            let name = v.split(|&b| b == b'=').next()?.trim_ascii();
            let what = if name.starts_with(b"BIGipServer") {
                "F5 BIG-IP"
            } else if name.starts_with(b"TS01") || name.starts_with(b"TS00") {
                "F5 BIG-IP ASM"
            } else {
                return None;
            };
            Some(Hop {
                what,
                mark: format!("Set-Cookie {} on the response", printable_bytes(name, 60)),
            })
        })
        .collect()
}

/// The forwarding headers Kong ignores from an untrusted peer (it substitutes its own values).
/// RFC 7239 `Forwarded` is not among them: Kong neither reads nor replaces it.
pub const KONG_TRUSTED_ONLY: [&str; 5] = [
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-forwarded-port",
    "x-forwarded-path",
    "x-forwarded-prefix",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn hops_of(headers: &[(&str, &str)]) -> Vec<Hop> {
        let request = Request {
            headers: Headers::from_pairs(
                headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())),
            ),
            ..Request::default()
        };
        hops(&request, &request.cookies())
    }

    #[test]
    fn vendors_first() {
        let h = hops_of(&[
            ("x-forwarded-for", "203.0.113.9, 10.0.0.2"),
            ("cookie", "BIGipServerpool_api=123.456.0000"),
        ]);
        assert_eq!(h[0].what, "F5 BIG-IP");
        assert_eq!(h[0].mark, "cookie BIGipServerpool_api");
        assert_eq!(h[1].mark, "X-Forwarded-For with 2 addresses");
    }

    #[test]
    fn table() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("x-amz-cf-id", "abc==", Some("Amazon CloudFront")),
            ("x-azure-ref", "0abc", Some("Azure Front Door")),
            ("cf-ray", "8a1b-FRA", Some("Cloudflare")),
            ("x-amzn-trace-id", "Root=1-abc", Some("AWS load balancer")),
            (
                "via",
                "1.1 abc.cloudfront.net (CloudFront)",
                Some("Amazon CloudFront"),
            ),
            ("via", "1.1 varnish", Some("a proxy")),
            ("via", "1.1 kong/3.9.1", None),
            ("cookie", "TS01a2b3c4=0123", Some("F5 BIG-IP ASM")),
            ("cookie", "session=1", None),
            ("user-agent", "curl/8", None),
        ];
        for (name, value, what) in cases {
            let h = hops_of(&[(name, value)]);
            assert_eq!(h.first().map(|h| h.what), *what, "{name}: {value}");
        }
    }

    #[test]
    fn response_marks() {
        let headers = Headers::from_pairs(
            [
                ("set-cookie", "session=1; Path=/"),
                (
                    "Set-Cookie",
                    "BIGipServer~api~pool=1677787402.36895.0000; path=/; Httponly",
                ),
                ("set-cookie", "TS01ab=0123"),
                ("set-cookie", "no-equals-sign"),
            ]
            .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())),
        );
        let h = response_hops(&headers);
        let got: Vec<(&str, &str)> = h.iter().map(|h| (h.what, h.mark.as_str())).collect();
        assert_eq!(
            got,
            [
                (
                    "F5 BIG-IP",
                    "Set-Cookie BIGipServer~api~pool on the response"
                ),
                ("F5 BIG-IP ASM", "Set-Cookie TS01ab on the response"),
            ]
        );
    }
}
