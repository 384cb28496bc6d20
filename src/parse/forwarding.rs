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

/// Every header name [`Scan`] notes: the marks [`hops`] looks for (the vendors', then `via`,
/// `forwarded`, `x-forwarded-for`, then the weak ones), then the rest of [`KONG_TRUSTED_ONLY`]
/// and the consumer headers Kong sets, and `cookie`; a name's bit in [`Scan::seen`] is its index here.
const MARK_HEADERS: [&str; 23] = [
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
    KONG_TRUSTED_ONLY[2],
    KONG_TRUSTED_ONLY[3],
    KONG_TRUSTED_ONLY[4],
    "x-consumer-id",
    "x-consumer-username",
    "x-anonymous-consumer",
    "cookie",
];
const VENDORS: u32 = (1 << VENDOR_HEADERS.len()) - 1;
const VIA: u32 = 1 << 9;
const FORWARDED: u32 = 1 << 10;
const X_FORWARDED_FOR: u32 = 1 << 11;
const WEAK_FROM: usize = 12;
/// The bits of the marks [`hops`] reads.
const ALL_MARKS: u32 = (1 << (WEAK_FROM + WEAK_HEADERS.len())) - 1;
/// The bit of `x-forwarded-proto` in [`Scan::seen`].
pub const X_FORWARDED_PROTO: u32 = 1 << 13;
/// The bit of `x-forwarded-host`.
pub const X_FORWARDED_HOST: u32 = 1 << 14;
/// The bits of [`KONG_TRUSTED_ONLY`], in its order.
pub const TRUSTED_ONLY: [u32; 5] = [
    X_FORWARDED_PROTO,
    X_FORWARDED_HOST,
    1 << 16,
    1 << 17,
    1 << 18,
];
/// All of [`TRUSTED_ONLY`].
pub const ANY_TRUSTED_ONLY: u32 =
    TRUSTED_ONLY[0] | TRUSTED_ONLY[1] | TRUSTED_ONLY[2] | TRUSTED_ONLY[3] | TRUSTED_ONLY[4];
/// The bits of `x-consumer-id` and `x-consumer-username`.
pub const CONSUMER: u32 = 1 << 19 | 1 << 20;
const ANONYMOUS_CONSUMER: u32 = 1 << 21;
/// The bit of `cookie`.
pub const COOKIE: u32 = 1 << 22;

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

/// A name's first four bytes as one number, `0` for a shorter name: names of one length in
/// [`MARK_HEADERS`] differ there (but `via`, the one of three), so a header is compared in full
/// only with the mark it starts like.
#[inline(always)]
fn start_word(name: &[u8]) -> u32 {
    name.first_chunk::<4>()
        .map_or(0, |w| u32::from_le_bytes(*w))
}

/// [`start_word`] of each of [`MARK_HEADERS`].
// Evaluated by the compiler: an index out of bounds fails the build, never the filter.
#[allow(clippy::indexing_slicing)]
const MARK_STARTS: [u32; MARK_HEADERS.len()] = {
    let mut table = [0; MARK_HEADERS.len()];
    let mut i = 0;
    while i < MARK_HEADERS.len() {
        let name = MARK_HEADERS[i].as_bytes();
        if name.len() >= 4 {
            table[i] = u32::from_le_bytes([name[0], name[1], name[2], name[3]]);
        }
        i += 1;
    }
    table
};

/// What the decision asks of a few header names, noted in the one pass over the request's
/// headers that the credential search makes anyway: each further pass costs ~60 wasm
/// instructions a header (the marks, the consumer headers and the forwarding headers were
/// three).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scan<'a> {
    /// Which of [`MARK_HEADERS`] the request carries, one bit each.
    pub seen: u32,
    /// The first `X-Forwarded-For`'s value.
    pub forwarded_for: Option<&'a [u8]>,
    /// The first `X-Forwarded-Host`'s value.
    pub forwarded_host: Option<&'a [u8]>,
    /// The first `X-Forwarded-Proto`'s value.
    pub forwarded_proto: Option<&'a [u8]>,
    /// The first `X-Anonymous-Consumer`'s value.
    pub anonymous: Option<&'a [u8]>,
    /// The first `Cookie`'s value.
    pub cookie: Option<&'a [u8]>,
    /// Whether there is a second `Cookie` header.
    pub more_cookies: bool,
}

impl<'a> Scan<'a> {
    /// Every header noted, in order (tests: the filter notes them in the credential search).
    #[cfg(test)]
    pub fn of(headers: &'a Headers) -> Scan<'a> {
        let mut scan = Scan::default();
        for header in headers.iter() {
            scan.note(header.name, header.value);
        }
        scan
    }

    /// Notes one header, the next in order.
    #[inline(always)]
    pub fn note(&mut self, name: &str, value: &'a [u8]) {
        let mut candidates = MARKS_BY_LENGTH.get(name.len()).copied().unwrap_or(0);
        if candidates == 0 {
            return;
        }
        let start = start_word(name.as_bytes());
        while candidates != 0 {
            let i = candidates.trailing_zeros() as usize;
            candidates &= candidates - 1;
            // The first four bytes compared as one word before the whole names.
            if MARK_STARTS.get(i) != Some(&start) {
                continue;
            }
            let Some(&mark) = MARK_HEADERS.get(i) else {
                continue;
            };
            if same_bytes(mark.as_bytes(), name.as_bytes()) {
                let bit = 1 << i;
                if self.seen & bit == 0 {
                    let first = match bit {
                        X_FORWARDED_FOR => &mut self.forwarded_for,
                        X_FORWARDED_HOST => &mut self.forwarded_host,
                        X_FORWARDED_PROTO => &mut self.forwarded_proto,
                        ANONYMOUS_CONSUMER => &mut self.anonymous,
                        COOKIE => &mut self.cookie,
                        _ => {
                            self.seen |= bit;
                            continue;
                        }
                    };
                    *first = Some(value);
                } else if bit == COOKIE {
                    self.more_cookies = true;
                }
                self.seen |= bit;
            }
        }
    }
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

/// Every intermediary mark on the request, vendor-specific ones first; `scan` is the request's
/// headers noted.
pub fn hops<'a>(request: &'a Request, cookies: &'a [Param<'_>], scan: &Scan<'a>) -> Hops<'a> {
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
    let (seen, forwarded_for) = (scan.seen & ALL_MARKS, scan.forwarded_for);
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
        as_text(&hops(
            &request,
            &request.cookies(),
            &Scan::of(&request.headers),
        ))
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

    /// The scan notes what a look-up of each name finds: every name's presence at its bit (the
    /// bits of the trusted-only names where [`TRUSTED_ONLY`] says) and the first value of the
    /// four it keeps, on header lists drawn from the names, near misses and repeats.
    #[test]
    fn scan_as_lookups() {
        let pool: Vec<(&str, String)> = MARK_HEADERS
            .iter()
            .enumerate()
            .flat_map(|(i, &n)| [(n, format!("v{i}")), (n, format!("w{i}"))])
            .chain(
                [
                    ("x-forwarded-fo", "x"),
                    ("x-forwarded-forr", "x"),
                    ("y-forwarded-for", "x"),
                    ("x-consumer-ix", "x"),
                    ("via", "1.1 kong/3.9.1"),
                    ("vis", "x"),
                    ("user-agent", "curl/8"),
                    ("x-anonymous-consumer", "true"),
                ]
                .map(|(n, v)| (n, v.to_string())),
            )
            .collect();
        for (bit, name) in TRUSTED_ONLY.iter().zip(KONG_TRUSTED_ONLY) {
            let at = MARK_HEADERS.iter().position(|&n| n == name).unwrap();
            assert_eq!(*bit, 1 << at, "{name}");
        }
        assert_eq!(ANY_TRUSTED_ONLY.count_ones(), 5);
        let mut seed: u64 = 11;
        let mut next = || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap()
        };
        let mut noted = 0;
        for _ in 0..2_000 {
            let count = next() % 9;
            let headers: Vec<(&str, &str)> = (0..count)
                .map(|_| {
                    let (n, v) = &pool[next() % pool.len()];
                    (*n, v.as_str())
                })
                .collect();
            let request = request_of(&headers);
            let h = &request.headers;
            let scan = Scan::of(h);
            for (i, name) in MARK_HEADERS.iter().enumerate() {
                assert_eq!(scan.seen & (1 << i) != 0, h.has(name), "{name} {headers:?}");
            }
            assert_eq!(scan.seen >> MARK_HEADERS.len(), 0);
            assert_eq!(scan.forwarded_for, h.first("x-forwarded-for"));
            assert_eq!(scan.forwarded_host, h.first("x-forwarded-host"));
            assert_eq!(scan.forwarded_proto, h.first("x-forwarded-proto"));
            assert_eq!(scan.anonymous, h.first("x-anonymous-consumer"));
            assert_eq!(scan.cookie, h.first("cookie"));
            assert_eq!(scan.more_cookies, h.all("cookie").count() > 1);
            assert_eq!(
                scan.seen & CONSUMER != 0,
                h.has("x-consumer-id") || h.has("x-consumer-username")
            );
            noted += scan.seen.count_ones();
        }
        assert!(noted > 5_000, "{noted}");
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
            assert_eq!(
                as_text(&hops(&request, &cookies, &Scan::of(&request.headers))),
                old,
                "{headers:?}"
            );
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
