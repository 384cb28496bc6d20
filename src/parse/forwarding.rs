//! Intermediaries in front of Kong, recognised from the marks they leave on a request.

use crate::parse::request::{Headers, Param, Request};
use crate::parse::text::{printable_bytes, push_decimal};

/// One sign that the request passed through a proxy, CDN or load balancer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// What the intermediary is, as precisely as the mark allows.
    pub what: &'static str,
    /// The mark itself (a header or cookie name, with a harmless value where it helps).
    pub mark: String,
}

/// Headers vendors add, and what each says is in front of Kong.
const VENDOR_HEADERS: [(&str, &str); 9] = [
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

/// Headers any proxy may add, named only when nothing else marks the request.
const WEAK_HEADERS: [&str; 4] = [
    "x-real-ip",
    "x-forwarded-proto",
    "x-forwarded-host",
    "true-client-ip",
];

/// Every header name [`hops`] looks for: the vendors', then `via`, `forwarded`,
/// `x-forwarded-for`, then the weak ones; a mark's bit in [`marks`] is its index here.
const MARK_HEADERS: [&str; 16] = [
    VENDOR_HEADERS[0].0,
    VENDOR_HEADERS[1].0,
    VENDOR_HEADERS[2].0,
    VENDOR_HEADERS[3].0,
    VENDOR_HEADERS[4].0,
    VENDOR_HEADERS[5].0,
    VENDOR_HEADERS[6].0,
    VENDOR_HEADERS[7].0,
    VENDOR_HEADERS[8].0,
    "via",
    "forwarded",
    "x-forwarded-for",
    WEAK_HEADERS[0],
    WEAK_HEADERS[1],
    WEAK_HEADERS[2],
    WEAK_HEADERS[3],
];
const VIA: u32 = 1 << 9;
const FORWARDED: u32 = 1 << 10;
const X_FORWARDED_FOR: u32 = 1 << 11;
const WEAK_FROM: usize = 12;

/// The longest of [`MARK_HEADERS`].
const LONGEST_MARK: usize = 24;

/// For each name length, the bits of the [`MARK_HEADERS`] of that length: a header is compared
/// only with those (most lengths have none, the others one or two).
// Evaluated by the compiler: an index out of bounds fails the build, never the filter.
#[allow(clippy::indexing_slicing)]
const MARKS_BY_LENGTH: [u32; LONGEST_MARK + 1] = {
    let mut table = [0; LONGEST_MARK + 1];
    let mut i = 0;
    while i < MARK_HEADERS.len() {
        table[MARK_HEADERS[i].len()] |= 1 << i;
        i += 1;
    }
    table
};

/// Which of [`MARK_HEADERS`] the request carries, one bit each, and the first
/// `X-Forwarded-For`'s value, in one pass over the headers.
fn marks(headers: &Headers) -> (u32, Option<&[u8]>) {
    let mut seen = 0;
    let mut forwarded_for = None;
    for header in headers.iter() {
        let name: &str = header.name;
        let mut candidates = MARKS_BY_LENGTH.get(name.len()).copied().unwrap_or(0);
        while candidates != 0 {
            let i = candidates.trailing_zeros();
            candidates &= candidates - 1;
            let Some(&mark) = MARK_HEADERS.get(i as usize) else {
                continue;
            };
            // Names of a length differ in their first four bytes (but `via`'s three): compared
            // as one word before the whole names (a memcmp call in wasm).
            let same_start = match (
                mark.as_bytes().first_chunk::<4>(),
                name.as_bytes().first_chunk::<4>(),
            ) {
                (Some(m), Some(n)) => m == n,
                _ => true,
            };
            if same_start && mark == name {
                if 1 << i == X_FORWARDED_FOR && seen & X_FORWARDED_FOR == 0 {
                    forwarded_for = Some(header.value);
                }
                seen |= 1 << i;
            }
        }
    }
    (seen, forwarded_for)
}

/// `<what> <name>`, the name made printable and cut at 60 bytes as [`printable_bytes`] does,
/// without a copy when it already is (as almost every name is).
fn mark(what: &str, name: &str) -> String {
    let mut mark = String::with_capacity(what.len() + 1 + name.len().min(60));
    mark.push_str(what);
    mark.push(' ');
    if name.len() <= 60 && name.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        mark.push_str(name);
    } else {
        mark.push_str(&printable_bytes(name.as_bytes(), 60));
    }
    mark
}

/// Every intermediary mark on the request, vendor-specific ones first.
pub fn hops(request: &Request, cookies: &[Param<'_>]) -> Vec<Hop> {
    let mut hops = Vec::new();
    let h = &request.headers;
    for cookie in cookies {
        // The first byte before the prefixes (each a memcmp call in wasm).
        let what = match cookie.name.as_bytes().first() {
            Some(b'B') if cookie.name.starts_with("BIGipServer") => "F5 BIG-IP",
            Some(b'T') if cookie.name.starts_with("TS01") || cookie.name.starts_with("TS00") => {
                "F5 BIG-IP ASM"
            }
            _ => continue,
        };
        hops.push(Hop {
            what,
            mark: mark("cookie", &cookie.name),
        });
    }
    let (seen, forwarded_for) = marks(h);
    if seen == 0 {
        return hops;
    }
    for (i, (name, what)) in VENDOR_HEADERS.into_iter().enumerate() {
        if seen & (1 << i) != 0 {
            hops.push(Hop {
                what,
                mark: mark("header", name),
            });
        }
    }
    if seen & VIA != 0 {
        for via in h.all("via") {
            let text = printable_bytes(via, 60);
            // Kong names itself in Via: that hop is Kong, not something in front of it.
            let is_kong = text
                .as_bytes()
                .windows(5)
                .any(|w| w.eq_ignore_ascii_case(b"kong/"));
            if !is_kong {
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
    }
    if seen & FORWARDED != 0 {
        hops.push(Hop {
            what: "a proxy",
            mark: "header forwarded".into(),
        });
    }
    if let Some(xff) = forwarded_for {
        let count = xff.split(|&b| b == b',').count();
        let mut mark = String::with_capacity(40);
        mark.push_str("X-Forwarded-For with ");
        push_decimal(&mut mark, u64::try_from(count).unwrap_or(u64::MAX), 1);
        mark.push_str(if count == 1 { " address" } else { " addresses" });
        hops.push(Hop {
            what: "a proxy",
            mark,
        });
    }
    // Only the first weak mark, and only on a request nothing else marks.
    if hops.is_empty() {
        if let Some(name) = WEAK_HEADERS
            .into_iter()
            .enumerate()
            .find_map(|(i, name)| (seen & (1 << (WEAK_FROM + i)) != 0).then_some(name))
        {
            hops.push(Hop {
                what: "a proxy",
                mark: mark("header", name),
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
            let mut mark = match std::str::from_utf8(name) {
                Ok(name) => mark("Set-Cookie", name),
                Err(_) => format!("Set-Cookie {}", printable_bytes(name, 60)),
            };
            mark.push_str(" on the response");
            Some(Hop { what, mark })
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

    /// Every mark header is found at its length, and only there.
    #[test]
    fn marks_by_length() {
        for (i, name) in MARK_HEADERS.iter().enumerate() {
            assert_eq!(*name, name.to_ascii_lowercase());
            assert!(name.len() <= LONGEST_MARK);
            for (len, bits) in MARKS_BY_LENGTH.iter().enumerate() {
                assert_eq!(bits & (1 << i) != 0, len == name.len(), "{name} {len}");
            }
        }
        assert_eq!(MARKS_BY_LENGTH.get("user-agent".len()), Some(&0));
    }

    /// The marks as the sixteen look-ups found them before the one pass.
    fn reference_hops(request: &Request, cookies: &[Param<'_>]) -> Vec<Hop> {
        let mut hops = Vec::new();
        let h = &request.headers;
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
        for (name, what) in VENDOR_HEADERS {
            if h.has(name) {
                hops.push(Hop {
                    what,
                    mark: format!("header {name}"),
                });
            }
        }
        for via in h.all("via") {
            let text = printable_bytes(via, 60);
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
        for name in WEAK_HEADERS {
            if h.has(name) && hops.is_empty() {
                hops.push(Hop {
                    what: "a proxy",
                    mark: format!("header {name}"),
                });
            }
        }
        hops
    }

    /// The one pass finds what the look-ups found, in the same order, on every header list
    /// drawn from the mark headers, their near misses and a few ordinary ones.
    #[test]
    fn hops_as_before() {
        let long = format!("BIGipServer{}", "p\u{e9}".repeat(40));
        let cookie_long = format!("{long}=1; TS00ab=2");
        let pool: Vec<(&str, &str)> = MARK_HEADERS
            .iter()
            .map(|&n| (n, "1.1 edge, 10.0.0.1"))
            .chain([
                ("via", "1.1 Kong/3.9.1"),
                ("via", "1.1 abc.cloudfront.net (CloudFront)"),
                ("via", "1.1 \u{e9}dge \x01"),
                ("x-forwarded-for", ""),
                ("x-forwarded-for", "a,b,c"),
                ("x-amz-cf-i", "x"),
                ("forwarded-for", "x"),
                ("user-agent", "curl/8"),
                ("accept", "*/*"),
                ("cookie", "BIGipServerpool=1; TS01x=2; ts01=3"),
                ("cookie", &cookie_long),
                ("cookie", "BIGipServer\u{e9}=1; TS0=2; session=3"),
            ])
            .collect();
        let mut seed: u64 = 7;
        let mut next = || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap()
        };
        let mut marked = 0;
        for _ in 0..3_000 {
            let count = next() % 7;
            let headers: Vec<(&str, &str)> =
                (0..count).map(|_| pool[next() % pool.len()]).collect();
            let request = Request {
                headers: Headers::from_pairs(
                    headers
                        .iter()
                        .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())),
                ),
                ..Request::default()
            };
            let cookies = request.cookies();
            let old = reference_hops(&request, &cookies);
            assert_eq!(hops(&request, &cookies), old, "{headers:?}");
            marked += usize::from(old.len() > 1);
        }
        assert!(marked > 500, "{marked}");
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
