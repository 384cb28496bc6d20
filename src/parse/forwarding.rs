//! Intermediaries in front of Kong, recognised from the marks they leave on a request.

use crate::parse::request::{Headers, Param, Request};
use crate::parse::text::{find, push_decimal, push_printable_bytes, same_bytes, Class};

/// One sign that the request passed through a proxy, CDN or load balancer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hop<'a> {
    /// What the intermediary is, as precisely as the mark allows.
    pub what: &'static str,
    /// The mark itself (a header or cookie name, with a harmless value where it helps).
    pub mark: Mark<'a>,
}

/// A mark, borrowed from the request or response: written into its sentence only when the
/// sentence is, with no String of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark<'a> {
    /// `cookie <name>`, the name made printable and cut at 60 bytes. Text already (the cookie
    /// parser validated it): written without a second UTF-8 check.
    Cookie(&'a str),
    /// `header <name>`.
    Header(&'a str),
    /// `Set-Cookie <name> on the response`, the name made printable and cut at 60 bytes.
    SetCookie(&'a [u8]),
    /// `Via: <value>`, the value made printable and cut at 60 bytes.
    Via(&'a [u8]),
    /// `X-Forwarded-For with <n> address(es)`.
    Addresses(usize),
}

impl Mark<'_> {
    /// Appends the mark to `out`.
    pub fn push_to(self, out: &mut String) {
        match self {
            Mark::Cookie(name) => {
                out.push_str("cookie ");
                // A printable name (as they are) is copied as it is; any other byte by byte
                // (each byte of a non-ASCII char a `?`).
                let bytes = name.as_bytes();
                let shown = bytes.get(..60).unwrap_or(bytes);
                match name.get(..shown.len()) {
                    Some(plain) if find(shown, Class::Unprintable) == shown.len() => {
                        out.push_str(plain);
                    }
                    _ => push_printable_bytes(out, bytes, 60),
                }
            }
            // One of the names listed here: printable and short.
            Mark::Header(name) => {
                out.push_str("header ");
                out.push_str(name);
            }
            Mark::SetCookie(name) => {
                out.push_str("Set-Cookie ");
                push_printable_bytes(out, name, 60);
                out.push_str(" on the response");
            }
            Mark::Via(value) => {
                out.push_str("Via: ");
                push_printable_bytes(out, value, 60);
            }
            Mark::Addresses(count) => {
                out.push_str("X-Forwarded-For with ");
                push_decimal(out, u64::try_from(count).unwrap_or(u64::MAX), 1);
                out.push_str(if count == 1 { " address" } else { " addresses" });
            }
        }
    }

    /// The mark as text.
    #[cfg(test)]
    pub fn text(self) -> String {
        let mut out = String::new();
        self.push_to(&mut out);
        out
    }
}

/// The hops found, in order: the first few on the stack (a request rarely has more than two),
/// a list of their own only past those.
#[derive(Debug, Clone)]
pub struct Hops<'a> {
    /// The first hops, the first `len` of them.
    inline: [Hop<'a>; Hops::ROOM],
    /// How many of `inline` are hops.
    len: usize,
    /// Every hop, once there are more than `inline` holds.
    spilled: Vec<Hop<'a>>,
}

impl<'a> Hops<'a> {
    /// Hops kept on the stack.
    const ROOM: usize = 2;

    /// No hop.
    pub fn new() -> Hops<'a> {
        let empty = Hop {
            what: "",
            mark: Mark::Addresses(0),
        };
        Hops {
            inline: [empty; Hops::ROOM],
            len: 0,
            spilled: Vec::new(),
        }
    }

    /// Adds a hop at the end.
    pub fn push(&mut self, hop: Hop<'a>) {
        if !self.spilled.is_empty() {
            self.spilled.push(hop);
        } else if let Some(slot) = self.inline.get_mut(self.len) {
            *slot = hop;
            self.len += 1;
        } else {
            self.spilled.reserve(self.len + 1);
            self.spilled.extend_from_slice(&self.inline);
            self.spilled.push(hop);
        }
    }
}

impl Default for Hops<'_> {
    fn default() -> Self {
        Hops::new()
    }
}

impl<'a> std::ops::Deref for Hops<'a> {
    type Target = [Hop<'a>];

    fn deref(&self) -> &[Hop<'a>] {
        if self.spilled.is_empty() {
            self.inline.get(..self.len).unwrap_or_default()
        } else {
            &self.spilled
        }
    }
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
const VENDORS: u32 = (1 << VENDOR_HEADERS.len()) - 1;
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
            if same_start && same_bytes(mark.as_bytes(), name.as_bytes()) {
                if 1 << i == X_FORWARDED_FOR && seen & X_FORWARDED_FOR == 0 {
                    forwarded_for = Some(header.value);
                }
                seen |= 1 << i;
            }
        }
    }
    (seen, forwarded_for)
}

/// How many pieces `split(',')` cuts `value` into: its commas and one. A plain loop (a split
/// iterator's `next` is a call per piece at opt-level z).
fn pieces(value: &[u8]) -> usize {
    let mut count = 1;
    for &b in value {
        count += usize::from(b == b',');
    }
    count
}

/// Whether `needle` (lowercase) is in `value` without regard to case.
fn contains_ignoring_case(value: &[u8], needle: &[u8]) -> bool {
    value
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Every intermediary mark on the request, vendor-specific ones first.
pub fn hops<'a>(request: &'a Request, cookies: &'a [Param<'_>]) -> Hops<'a> {
    let mut hops = Hops::new();
    let h = &request.headers;
    for cookie in cookies {
        // The first byte before the prefixes (each a memcmp call in wasm).
        // Prefixes compared a word at a time (`starts_with` is a memcmp call, a byte loop).
        let name = cookie.name.as_bytes();
        let starts = |prefix: &[u8]| {
            name.get(..prefix.len())
                .is_some_and(|start| same_bytes(start, prefix))
        };
        let what = match name.first() {
            Some(b'B') if starts(b"BIGipServer") => "F5 BIG-IP",
            Some(b'T') if starts(b"TS01") || starts(b"TS00") => "F5 BIG-IP ASM",
            _ => continue,
        };
        hops.push(Hop {
            what,
            mark: Mark::Cookie(&cookie.name),
        });
    }
    let (seen, forwarded_for) = marks(h);
    if seen == 0 {
        return hops;
    }
    // Walked only when a vendor's bit is set: most requests carry none.
    if seen & VENDORS != 0 {
        for (i, (name, what)) in VENDOR_HEADERS.into_iter().enumerate() {
            if seen & (1 << i) != 0 {
                hops.push(Hop {
                    what,
                    mark: Mark::Header(name),
                });
            }
        }
    }
    if seen & VIA != 0 {
        for via in h.all("via") {
            // What the mark shows, the first 60 bytes: the words below are printable, so found
            // in them exactly where the printable text shows them.
            let shown = via.get(..60).unwrap_or(via);
            // Kong names itself in Via: that hop is Kong, not something in front of it.
            if !contains_ignoring_case(shown, b"kong/") {
                hops.push(Hop {
                    what: if shown.windows(10).any(|w| w == b"cloudfront") {
                        "Amazon CloudFront"
                    } else {
                        "a proxy"
                    },
                    mark: Mark::Via(via),
                });
            }
        }
    }
    if seen & FORWARDED != 0 {
        hops.push(Hop {
            what: "a proxy",
            mark: Mark::Header("forwarded"),
        });
    }
    if let Some(xff) = forwarded_for {
        hops.push(Hop {
            what: "a proxy",
            mark: Mark::Addresses(pieces(xff)),
        });
    }
    // Only the first weak mark, and only on a request nothing else marks.
    if hops.is_empty() {
        let mut i = 0;
        while let Some(&name) = WEAK_HEADERS.get(i) {
            if seen & (1 << (WEAK_FROM + i)) != 0 {
                hops.push(Hop {
                    what: "a proxy",
                    mark: Mark::Header(name),
                });
                break;
            }
            i += 1;
        }
    }
    hops
}

/// Intermediaries that marked the response: an F5 BIG-IP with cookie persistence inserts its
/// `BIGipServer<pool>` cookie (ASM its `TS01…`) into the responses it passes on. Kong never sets
/// such a cookie, so one on the 401 means a BIG-IP sits in the path (seen by explain in the
/// client's transcript; in Kong, one between Kong and the upstream).
/// Added to `hops`, after the request's.
pub fn response_hops<'a>(headers: &'a Headers, hops: &mut Hops<'a>) {
    for v in headers.all("set-cookie") {
        let Some(name) = v.split(|&b| b == b'=').next() else {
            continue;
        };
        let name = name.trim_ascii();
        let what = if name.starts_with(b"BIGipServer") {
            "F5 BIG-IP"
        } else if name.starts_with(b"TS01") || name.starts_with(b"TS00") {
            "F5 BIG-IP ASM"
        } else {
            continue;
        };
        hops.push(Hop {
            what,
            mark: Mark::SetCookie(name),
        });
    }
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

    /// `pieces` counts what `split(',').count()` counted, on values with commas anywhere.
    #[test]
    fn pieces_as_split() {
        for value in [
            &b""[..],
            b",",
            b",,",
            b"203.0.113.9",
            b"203.0.113.9, 10.0.0.1",
            b"a,b,,c,",
            b"\xff,\x00,",
        ] {
            assert_eq!(
                pieces(value),
                value.split(|&b| b == b',').count(),
                "{value:?}"
            );
        }
    }
    use crate::parse::text::printable_bytes;

    fn request_of(headers: &[(&str, &str)]) -> Request {
        Request {
            headers: Headers::from_pairs(
                headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())),
            ),
            ..Request::default()
        }
    }

    fn hops_of(headers: &[(&str, &str)]) -> Vec<(&'static str, String)> {
        let request = request_of(headers);
        as_text(&hops(&request, &request.cookies()))
    }

    /// Each hop as its kind and its mark's text.
    fn as_text(hops: &[Hop<'_>]) -> Vec<(&'static str, String)> {
        hops.iter().map(|h| (h.what, h.mark.text())).collect()
    }

    #[test]
    fn vendors_first() {
        let h = hops_of(&[
            ("x-forwarded-for", "203.0.113.9, 10.0.0.2"),
            ("cookie", "BIGipServerpool_api=123.456.0000"),
        ]);
        assert_eq!(h[0].0, "F5 BIG-IP");
        assert_eq!(h[0].1, "cookie BIGipServerpool_api");
        assert_eq!(h[1].1, "X-Forwarded-For with 2 addresses");
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
            assert_eq!(h.first().map(|h| h.0), *what, "{name}: {value}");
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
    fn reference_hops(request: &Request, cookies: &[Param<'_>]) -> Vec<(&'static str, String)> {
        let mut hops = Vec::new();
        let h = &request.headers;
        for cookie in cookies {
            if cookie.name.starts_with("BIGipServer") {
                hops.push((
                    "F5 BIG-IP",
                    format!("cookie {}", printable_bytes(cookie.name.as_bytes(), 60)),
                ));
            } else if cookie.name.starts_with("TS01") || cookie.name.starts_with("TS00") {
                hops.push((
                    "F5 BIG-IP ASM",
                    format!("cookie {}", printable_bytes(cookie.name.as_bytes(), 60)),
                ));
            }
        }
        for (name, what) in VENDOR_HEADERS {
            if h.has(name) {
                hops.push((what, format!("header {name}")));
            }
        }
        for via in h.all("via") {
            let text = printable_bytes(via, 60);
            if !text.to_ascii_lowercase().contains("kong/") {
                hops.push((
                    if text.contains("cloudfront") {
                        "Amazon CloudFront"
                    } else {
                        "a proxy"
                    },
                    format!("Via: {text}"),
                ));
            }
        }
        if h.has("forwarded") {
            hops.push(("a proxy", "header forwarded".into()));
        }
        if let Some(xff) = h.first("x-forwarded-for") {
            let count = xff.split(|&b| b == b',').count();
            hops.push((
                "a proxy",
                format!(
                    "X-Forwarded-For with {count} address{}",
                    if count == 1 { "" } else { "es" }
                ),
            ));
        }
        for name in WEAK_HEADERS {
            if h.has(name) && hops.is_empty() {
                hops.push(("a proxy", format!("header {name}")));
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
        // Printable past the 60 bytes shown, and non-ASCII just at them.
        let cookie_cut = format!(
            "BIGipServer{}=1; TS01{}\u{e9}=2",
            "x".repeat(70),
            "y".repeat(55)
        );
        // `kong/` and `cloudfront` across the 60 bytes a Via mark shows, and after a non-ASCII byte.
        let via_kong_late = format!("1.1 {}Kong/3.9", "x".repeat(54));
        let via_kong_cut = format!("1.1 {}kong/3.9", "x".repeat(56));
        let via_cloudfront_cut = format!("1.1 {} cloudfront", "y".repeat(48));
        let via_cloudfront_in = format!("1.1 \u{e9}{}.cloudfront.net", "z".repeat(30));
        let pool: Vec<(&str, &str)> = MARK_HEADERS
            .iter()
            .map(|&n| (n, "1.1 edge, 10.0.0.1"))
            .chain([
                ("via", "1.1 Kong/3.9.1"),
                ("via", "1.1 abc.cloudfront.net (CloudFront)"),
                ("via", "1.1 \u{e9}dge \x01"),
                ("via", &via_kong_late),
                ("via", &via_kong_cut),
                ("via", &via_cloudfront_cut),
                ("via", &via_cloudfront_in),
                ("x-forwarded-for", ""),
                ("x-forwarded-for", "a,b,c"),
                ("x-amz-cf-i", "x"),
                ("forwarded-for", "x"),
                ("user-agent", "curl/8"),
                ("accept", "*/*"),
                ("cookie", "BIGipServerpool=1; TS01x=2; ts01=3"),
                ("cookie", &cookie_long),
                ("cookie", &cookie_cut),
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
            let request = request_of(&headers);
            let cookies = request.cookies();
            let old = reference_hops(&request, &cookies);
            assert_eq!(as_text(&hops(&request, &cookies)), old, "{headers:?}");
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
        let mut h = Hops::new();
        response_hops(&headers, &mut h);
        let got = as_text(&h);
        assert_eq!(
            got,
            [
                (
                    "F5 BIG-IP",
                    "Set-Cookie BIGipServer~api~pool on the response".to_string()
                ),
                ("F5 BIG-IP ASM", "Set-Cookie TS01ab on the response".into()),
            ]
        );
    }
}
