//! The request and response as plain data: what the glue gathers from the host, what the pure
//! core decides on.

use crate::bounds::{MAX_HEADERS, MAX_PARAMS};
use crate::diagnosis::Plugin;
use crate::parse::challenge::{self, KongForm};
use crate::parse::pairs::{lend, Pairs, Span};
#[cfg(test)]
use crate::parse::text::position_of;
use crate::parse::text::{lowercase_ascii, printable, printable_bytes, same_bytes};
use std::borrow::Cow;
use std::net::IpAddr;

/// One header: the name lowercased, the value as raw bytes; borrowed from [`Headers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// Lowercase name.
    pub name: &'a str,
    /// Raw value; not necessarily UTF-8.
    pub value: &'a [u8],
}

/// A list of headers with case-insensitive look-ups. Kept in arrival order, duplicates kept.
/// The values stay in the buffer the host handed over and the names in one string: reading a
/// request allocates two lists, not two strings per header (every allocation costs, on every
/// 401).
#[derive(Clone, Default)]
pub struct Headers {
    /// Every kept name, lowercased, one after the other.
    names: String,
    /// The buffer the values lie in.
    bytes: Vec<u8>,
    /// Each header: where its name lies in `names` and its value in `bytes`.
    list: Vec<Span>,
    /// How many headers past [`MAX_HEADERS`] were left out.
    ignored: usize,
}

impl Headers {
    /// From `(name, value)` pairs; pseudo-headers (`:path` …) are left out; at most
    /// [`MAX_HEADERS`] are kept, and the number left out is remembered (tests that build a
    /// request by hand).
    #[cfg(test)]
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, Vec<u8>)>) -> Self {
        let mut headers = Headers::default();
        for (name, value) in pairs {
            let start = headers.bytes.len();
            headers.bytes.extend_from_slice(&value);
            headers.keep(name.as_bytes(), (start, headers.bytes.len()));
        }
        headers
    }

    /// From the host's buffer, kept whole: pseudo-headers left out, at most [`MAX_HEADERS`].
    /// The names are copied into one string and lowercased there in one pass: per-byte work
    /// costs ~10 wasm instructions a byte, per name it would cost a pass and a check each.
    #[cfg(test)]
    pub fn from_wire(pairs: Pairs) -> Self {
        Self::from_wire_into(pairs, &mut Vec::new())
    }

    /// [`Headers::from_wire`], the names copied into `room`'s buffer when it has room for them
    /// all (see [`lend`]): the glue hands over the buffer of the worker's last 401.
    pub fn from_wire_into(pairs: Pairs, room: &mut Vec<u8>) -> Self {
        let mut names = lend(room, pairs.name_bytes());
        let (bytes, mut list) = pairs.into_parts();
        let mut ignored = 0;
        let mut kept = 0;
        // The pairs' own list becomes the headers' (the name spans moved into `names`): no
        // second list.
        list.retain_mut(|span| {
            let name = bytes.get(span.name.0..span.name.1).unwrap_or_default();
            if name.first() == Some(&b':') {
                return false;
            }
            if kept >= MAX_HEADERS {
                ignored += 1;
                return false;
            }
            kept += 1;
            let start = names.len();
            names.extend_from_slice(name);
            span.name = (start, names.len());
            true
        });
        lowercase_ascii(&mut names);
        match String::from_utf8(names) {
            Ok(names) => Headers {
                names,
                bytes,
                list,
                ignored,
            },
            // A name that is not UTF-8 (no HTTP host sends one, but a host could hand one
            // over): every name again, each lossily.
            Err(e) => {
                let names = e.into_bytes();
                let mut headers = Headers {
                    ignored,
                    ..Headers::default()
                };
                for span in &list {
                    let name = names.get(span.name.0..span.name.1).unwrap_or_default();
                    headers.keep(name, span.value);
                }
                headers.bytes = bytes;
                headers
            }
        }
    }

    /// Keeps one header whose value lies at `value` in `bytes`, unless it is a pseudo-header or
    /// past the bound. A name that is not UTF-8 is kept lossily.
    fn keep(&mut self, name: &[u8], value: (usize, usize)) {
        if name.first() == Some(&b':') {
            return;
        }
        if self.list.len() >= MAX_HEADERS {
            self.ignored += 1;
            return;
        }
        let start = self.names.len();
        match std::str::from_utf8(name) {
            Ok(name) => self.names.push_str(name),
            Err(_) => self.names.push_str(&String::from_utf8_lossy(name)),
        }
        if let Some(added) = self.names.get_mut(start..) {
            added.make_ascii_lowercase();
        }
        self.list.push(Span {
            name: (start, self.names.len()),
            value,
        });
    }

    /// `room`'s buffers, emptied, when they have room for `headers` headers of `names` name
    /// bytes and `bytes` value bytes (`room` is left empty); new ones otherwise, `room` left as
    /// it is (see [`lend`]).
    pub fn lend(room: &mut Headers, headers: usize, names: usize, bytes: usize) -> Headers {
        let (has_names, has_bytes, has_headers) = room.room();
        if names <= has_names && bytes <= has_bytes && headers <= has_headers {
            let mut lent = std::mem::take(room);
            lent.names.clear();
            lent.bytes.clear();
            lent.list.clear();
            lent.ignored = 0;
            lent
        } else {
            Headers {
                names: String::with_capacity(names),
                bytes: Vec::with_capacity(bytes),
                list: Vec::with_capacity(headers),
                ignored: 0,
            }
        }
    }

    /// Whether one more header of these sizes fits in the room the buffers have.
    pub fn has_room_for(&self, name: usize, value: usize) -> bool {
        self.list.len() < self.list.capacity()
            && name <= self.names.capacity() - self.names.len()
            && value <= self.bytes.capacity() - self.bytes.len()
    }

    /// The value bytes held.
    pub fn value_bytes(&self) -> usize {
        self.bytes.len()
    }

    /// The buffers of the names and of the list, for the next request to read into (its
    /// readers empty them first).
    pub fn into_buffers(self) -> (Vec<u8>, Vec<Span>) {
        (self.names.into_bytes(), self.list)
    }

    /// The room its buffers have: name bytes, value bytes, headers.
    pub fn room(&self) -> (usize, usize, usize) {
        (
            self.names.capacity(),
            self.bytes.capacity(),
            self.list.capacity(),
        )
    }

    /// Adds a header after the others, its value copied in. `name` is given as kept, lowercase
    /// (the glue's constant names): lowercasing it again costs ~20 wasm instructions a byte.
    pub fn push(&mut self, name: &str, value: &[u8]) {
        debug_assert!(!name.bytes().any(|b| b.is_ascii_uppercase() || b == b':'));
        if self.list.len() >= MAX_HEADERS {
            self.ignored += 1;
            return;
        }
        let start = self.bytes.len();
        self.bytes.extend_from_slice(value);
        let name_start = self.names.len();
        self.names.push_str(name);
        self.list.push(Span {
            name: (name_start, self.names.len()),
            value: (start, self.bytes.len()),
        });
    }

    /// Bytes of the buffer the host handed over (a pseudo-header's value).
    fn raw(&self, start: usize, end: usize) -> &[u8] {
        self.bytes.get(start..end).unwrap_or_default()
    }

    /// How many headers past [`MAX_HEADERS`] were not examined.
    pub fn ignored(&self) -> usize {
        self.ignored
    }

    /// Every value of the header `name` (lowercase), in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        All {
            names: self.names.as_bytes(),
            bytes: &self.bytes,
            spans: self.list.iter(),
            name: name.as_bytes(),
        }
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
    pub fn iter(&self) -> impl Iterator<Item = Header<'_>> {
        Iter {
            names: &self.names,
            bytes: &self.bytes,
            spans: self.list.iter(),
        }
    }

    /// [`Headers::iter`] as it was, each name sliced out by its span: the oracle of its tests.
    #[cfg(test)]
    fn iter_by_span(&self) -> impl Iterator<Item = Header<'_>> {
        self.list.iter().map(|span| Header {
            name: self.names.get(span.name.0..span.name.1).unwrap_or_default(),
            value: self.raw(span.value.0, span.value.1),
        })
    }
}

/// [`Headers::iter`]. Not a `map` over the spans: at the filter's size-optimised level each
/// adapter's `next` is a call that hands its item over through memory (~130 wasm instructions a
/// header with `enumerate`), while this `next` is inlined into the loop that reads it.
/// The names lie one after the other in `names`, in the list's order (every way in appends
/// both), so each is cut off the front of what is left: one char-boundary check a name, where
/// slicing by its span costs a call with two.
struct Iter<'a> {
    /// The names not yet handed out.
    names: &'a str,
    bytes: &'a [u8],
    spans: std::slice::Iter<'a, Span>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Header<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<Header<'a>> {
        let span = self.spans.next()?;
        let name = match self
            .names
            .split_at_checked(span.name.1.wrapping_sub(span.name.0))
        {
            Some((name, rest)) => {
                self.names = rest;
                name
            }
            None => "",
        };
        Some(Header {
            name,
            value: self
                .bytes
                .get(span.value.0..span.value.1)
                .unwrap_or_default(),
        })
    }
}

/// [`Headers::all`], for the same reason a plain iterator: the diagnosis looks up dozens of
/// names, each a pass over every header. Names compared as bytes, lengths first.
struct All<'a> {
    names: &'a [u8],
    bytes: &'a [u8],
    spans: std::slice::Iter<'a, Span>,
    name: &'a [u8],
}

impl<'a> Iterator for All<'a> {
    type Item = &'a [u8];

    #[inline(always)]
    fn next(&mut self) -> Option<&'a [u8]> {
        for span in self.spans.by_ref() {
            if span.name.1.wrapping_sub(span.name.0) == self.name.len()
                && same_bytes(
                    self.names.get(span.name.0..span.name.1).unwrap_or_default(),
                    self.name,
                )
            {
                return Some(
                    self.bytes
                        .get(span.value.0..span.value.1)
                        .unwrap_or_default(),
                );
            }
        }
        None
    }
}

impl PartialEq for Headers {
    fn eq(&self, other: &Self) -> bool {
        self.ignored == other.ignored && self.iter().eq(other.iter())
    }
}

impl Eq for Headers {}

impl std::fmt::Debug for Headers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()?;
        if self.ignored > 0 {
            write!(f, " (+{} ignored)", self.ignored)?;
        }
        Ok(())
    }
}

/// The request as Kong sees it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `:method`; the usual ones without a copy of their own.
    pub method: Cow<'static, str>,
    /// `:path`, with the query string (read with [`Request::path`]). ngx_wasm_module hands over
    /// the decoded URI plus the raw query (src/common/proxy_wasm/ngx_proxy_wasm_maps.c:481-517),
    /// so the query is taken from [`Request::query`] when the host gives it raw.
    pub path: Pseudo,
    /// The raw query string (`ngx.args`, or what follows `?` in `ngx.request_uri`), when the
    /// host gives it: what Kong's plugins parse. `None`: split it out of `path`.
    pub raw_query: Option<String>,
    /// `:scheme`: how the request reached Kong; `http` and `https` without a copy of their own.
    pub scheme: Cow<'static, str>,
    /// `:authority` (read with [`Request::authority`]): in ngx_wasm_module nginx's
    /// `server_name:port` (`kong:8000`), never the client's Host (ngx_proxy_wasm_maps.c:619-673);
    /// other hosts put the client's host here.
    pub authority: Pseudo,
    /// Every other header.
    pub headers: Headers,
    /// The peer's address (`source.address`), when the host gives it.
    pub peer: Option<IpAddr>,
    /// The host handed over fewer headers than the request may hold.
    pub limit: Option<PairsLimit>,
}

/// A pseudo-header's value: where it lies in the header map's buffer, as the host handed it over
/// (no copy of its own: each costs an allocation on every 401), or text of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pseudo {
    /// At these offsets of [`Request::headers`]' buffer; UTF-8 (checked when it was read).
    At(usize, usize),
    /// Text of its own.
    Text(String),
}

impl Default for Pseudo {
    fn default() -> Self {
        Pseudo::Text(String::new())
    }
}

impl From<&str> for Pseudo {
    fn from(text: &str) -> Self {
        Pseudo::Text(text.to_owned())
    }
}

impl From<String> for Pseudo {
    fn from(text: String) -> Self {
        Pseudo::Text(text)
    }
}

/// Why the filter may not have seen every request header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairsLimit {
    /// The host hands a filter at most this many pairs, pseudo-headers included, and handed
    /// over that many (ngx_wasm_module: 100, src/http/ngx_http_wasm.h:16).
    AtHostLimit(usize),
    /// The host's buffer held fewer complete pairs than it declared: `read` of `declared`.
    Cut {
        /// Complete pairs read.
        read: usize,
        /// Pairs the buffer declared.
        declared: usize,
    },
}

/// How many pairs ngx_wasm_module hands a filter at most (src/http/ngx_http_wasm.h:16,
/// ngx_http_wasm_util.c:473), the four pseudo-headers included.
pub(super) const HOST_MAX_PAIRS: usize = 100;

impl PairsLimit {
    /// From a parsed buffer: cut, at the host's limit, or neither.
    pub fn of(read: usize, declared: usize) -> Option<Self> {
        if read < declared {
            Some(PairsLimit::Cut { read, declared })
        } else if declared >= HOST_MAX_PAIRS {
            Some(PairsLimit::AtHostLimit(declared))
        } else {
            None
        }
    }

    /// A clause for a sentence: why some headers may be missing.
    pub fn clause(self) -> String {
        match self {
            PairsLimit::AtHostLimit(n) => format!(
                "the host hands a filter at most {n} headers (pseudo-headers included), so any past those were not seen"
            ),
            PairsLimit::Cut { read, declared } => format!(
                "the host handed over a cut header list ({read} of {declared} readable), so the rest were not seen"
            ),
        }
    }
}

/// A name and value from the query string or the Cookie header, as Kong's plugins get them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param<'a> {
    /// Name: percent-decoded for the query string (as `kong.request.get_query()` gives it), as
    /// sent for a cookie.
    pub name: Cow<'a, str>,
    /// Value, decoded the same way.
    pub value: Cow<'a, [u8]>,
}

/// The query string's parameters, split at `&` (empty pieces skipped) and at the first `=`,
/// decoded as Kong decodes them, at most [`MAX_PARAMS`]. One `next` of plain loops: the
/// `from_fn` + `take` + `map` chain it replaces cost ~700 wasm instructions a parameter, its
/// adapters being calls each at the filter's size-optimised level.
pub struct QueryParams<'a> {
    /// The query string.
    query: &'a str,
    /// Where the next parameter's search starts.
    at: usize,
    /// How many parameters may still be given.
    left: usize,
}

impl<'a> Iterator for QueryParams<'a> {
    type Item = Param<'a>;

    fn next(&mut self) -> Option<Param<'a>> {
        if self.left == 0 {
            return None;
        }
        let query = self.query;
        let bytes = query.as_bytes();
        // One pass a byte: where the pair starts, its first `=`, whether either side has a `+`
        // or `%` to decode (most have none, and are then borrowed without a second look).
        // Positions, not a shrinking str: a str cut is an out-of-line call (its char boundary
        // checks) at the filter's size-optimised level, a byte slice's is not.
        let mut start = self.at;
        let mut eq = None;
        let mut coded_name = false;
        let mut coded_value = false;
        let mut i = start;
        loop {
            let byte = bytes.get(i).copied();
            match byte {
                None | Some(b'&') => {
                    if i > start {
                        self.at = i + 1;
                        self.left -= 1;
                        // At `&` and `=`, ASCII bytes: the name is str.
                        let name = query.get(start..eq.unwrap_or(i)).unwrap_or_default();
                        let value = match eq {
                            Some(eq) => bytes.get(eq + 1..i).unwrap_or_default(),
                            None => &[],
                        };
                        return Some(Param {
                            name: if coded_name {
                                Cow::Owned(
                                    String::from_utf8_lossy(&query_decode(name)).into_owned(),
                                )
                            } else {
                                Cow::Borrowed(name)
                            },
                            value: if coded_value {
                                query_decode(query.get(eq.unwrap_or(i) + 1..i).unwrap_or_default())
                            } else {
                                Cow::Borrowed(value)
                            },
                        });
                    }
                    if byte.is_none() {
                        self.at = i;
                        return None;
                    }
                    start = i + 1;
                }
                Some(b'=') if eq.is_none() => eq = Some(i),
                Some(b'+' | b'%') => {
                    if eq.is_none() {
                        coded_name = true;
                    } else {
                        coded_value = true;
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }
}

impl Request {
    /// `:path`, with the query string.
    pub fn path(&self) -> &str {
        self.pseudo(&self.path)
    }

    /// `:authority`.
    pub fn authority(&self) -> &str {
        self.pseudo(&self.authority)
    }

    fn pseudo<'a>(&'a self, value: &'a Pseudo) -> &'a str {
        match value {
            Pseudo::At(start, end) => {
                std::str::from_utf8(self.headers.raw(*start, *end)).unwrap_or_default()
            }
            Pseudo::Text(text) => text,
        }
    }

    /// The query string's parameters, at most [`MAX_PARAMS`], decoded as Kong decodes them.
    #[cfg(test)]
    pub fn query(&self) -> Vec<Param<'_>> {
        self.query_params().collect()
    }

    /// [`Request::query`] one parameter at a time, for a reader that keeps none of them: no
    /// list is built (the credential search asks this of every annotated request).
    pub fn query_params(&self) -> QueryParams<'_> {
        let query = match &self.raw_query {
            Some(raw) => raw.as_str(),
            None => self.path().split_once('?').map_or("", |(_, query)| query),
        };
        QueryParams {
            query,
            at: 0,
            left: MAX_PARAMS,
        }
    }

    /// [`Request::query_params`] as it was, through iterator adapters: the oracle of
    /// [`QueryParams`].
    #[cfg(test)]
    pub fn query_params_before(&self) -> impl Iterator<Item = Param<'_>> {
        let query = match &self.raw_query {
            Some(raw) => raw.as_str(),
            None => self.path().split_once('?').map_or("", |(_, query)| query),
        };
        // `split('&')` without the empty pieces, cut by byte: a char pattern's searcher costs more
        // than the few bytes of a query at the filter's size-optimised level.
        let mut rest = query;
        let pairs = std::iter::from_fn(move || loop {
            if rest.is_empty() {
                return None;
            }
            let end = position_of(rest.as_bytes(), b'&').unwrap_or(rest.len());
            let pair = rest.get(..end).unwrap_or_default();
            rest = rest.get(end + 1..).unwrap_or_default();
            if !pair.is_empty() {
                return Some(pair);
            }
        });
        pairs.take(MAX_PARAMS).map(|pair| {
            // At the first `=`, an ASCII byte: both sides are str.
            let (name, value) = match position_of(pair.as_bytes(), b'=') {
                Some(eq) => (
                    pair.get(..eq).unwrap_or_default(),
                    pair.get(eq + 1..).unwrap_or_default(),
                ),
                None => (pair, ""),
            };
            Param {
                name: match query_decode(name) {
                    // Nothing decoded: the name as it is, already UTF-8.
                    Cow::Borrowed(_) => Cow::Borrowed(name),
                    Cow::Owned(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
                },
                value: query_decode(value),
            }
        })
    }

    /// Every cookie of every Cookie header, at most [`MAX_PARAMS`]. The oracle of
    /// `parse::cookie`, which the filter reads them with (from the credential search's scan).
    #[cfg(test)]
    pub fn cookies(&self) -> Vec<Param<'_>> {
        let mut out = Vec::new();
        // Plain loops: iterator adapters are calls each at the filter's size-optimised level.
        for header in self.headers.all("cookie") {
            let mut rest = Some(header);
            while let Some(left) = rest {
                let pair = match position_of(left, b';') {
                    Some(end) => {
                        rest = left.get(end + 1..);
                        left.get(..end).unwrap_or_default()
                    }
                    None => {
                        rest = None;
                        left
                    }
                };
                if out.len() == MAX_PARAMS {
                    return out;
                }
                let Some(eq) = position_of(pair, b'=') else {
                    continue;
                };
                let (Some(name), Some(value)) = (pair.get(..eq), pair.get(eq + 1..)) else {
                    continue;
                };
                let Ok(name) = std::str::from_utf8(name) else {
                    continue;
                };
                let name = trim(name);
                if !name.is_empty() {
                    out.push(Param {
                        name: Cow::Borrowed(name),
                        value: Cow::Borrowed(value),
                    });
                }
            }
        }
        out
    }

    /// The host name the client sent the request to, lowercase, without port, and where it was
    /// read: the `host` header, which nginx fills from the request (ngx_wasm_module's
    /// `:authority` is its own `server_name:port`, ngx_proxy_wasm_maps.c:619-673); `:authority`
    /// only when there is no Host header (nginx makes one from HTTP/2's `:authority`,
    /// src/http/v2/ngx_http_v2.c:3519-3534; other hosts may put the client's host there).
    pub fn host(&self) -> (String, &'static str) {
        match self.headers.text("host") {
            Some(host) => (strip_port(host).to_ascii_lowercase(), "Host header"),
            None => (
                strip_port(self.authority()).to_ascii_lowercase(),
                ":authority",
            ),
        }
    }
}

/// `str::trim`, without its char decoding when both ends are plain ASCII (as almost always).
#[cfg(test)]
fn trim(text: &str) -> &str {
    // The ASCII chars `char::is_whitespace` takes: U+0009..=U+000D and the space.
    let plain =
        |b: Option<&u8>| b.is_some_and(|&b| b.is_ascii() && !matches!(b, b'\t'..=b'\r' | b' '));
    let bytes = text.as_bytes();
    if plain(bytes.first()) && plain(bytes.last()) {
        text
    } else {
        text.trim()
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
    /// Response headers (`WWW-Authenticate`, Kong's `X-Kong-*`, `Via`, `Server`, `Set-Cookie`).
    pub headers: Headers,
    /// `ngx.upstream_status`: present only when an upstream answered.
    pub upstream_status: Option<String>,
    /// Another `ngx.*` property the host did answer (its name), when `ngx.upstream_status` did
    /// not: a host that answers `ngx.*` and has no upstream status contacted no upstream, while
    /// a host without `ngx.*` properties (not ngx_wasm_module) says nothing by its silence.
    pub ngx_answered: Option<&'static str>,
}

/// Who answered, and the sign that decided it (for the `detail` of the diagnoses that rest on it).
#[derive(Debug, Clone)]
pub struct Who<'a> {
    /// Who.
    pub answerer: Answerer,
    /// The sign; rendered by [`Sign::describe`] only where a detail names it (it costs, on
    /// every 401).
    pub sign: Sign<'a>,
    /// The auth plugin whose own challenge form the response carries, when it does.
    pub plugin: Option<Plugin>,
}

/// A sign of who answered, borrowing the response's values.
#[derive(Debug, Clone, Copy)]
pub enum Sign<'a> {
    /// `ngx.upstream_status` has a value.
    UpstreamStatus(&'a str),
    /// `X-Kong-Upstream-Latency`.
    UpstreamLatency,
    /// `X-Kong-Response-Latency`.
    ResponseLatency,
    /// `ngx.upstream_status` not found while this other `ngx.*` property answers.
    NoUpstreamStatus(&'static str),
    /// Kong's `Via` on a proxied response.
    Via(&'a [u8]),
    /// `Server: kong/…` without Kong's `Via`.
    Server(&'a [u8]),
    /// A challenge in the plugin's own form.
    Challenge(&'a [u8], Plugin),
    /// Nothing tells.
    None,
}

impl Sign<'_> {
    /// The sign as a phrase: `X-Kong-Response-Latency on the response`.
    pub fn describe(&self) -> String {
        match self {
            Sign::UpstreamStatus(status) => {
                format!("ngx.upstream_status is {}", printable(status, 20))
            }
            Sign::UpstreamLatency => "X-Kong-Upstream-Latency on the response".into(),
            Sign::ResponseLatency => "X-Kong-Response-Latency on the response".into(),
            Sign::NoUpstreamStatus(other) => format!(
                "ngx.upstream_status not found while the host answers {other}: no upstream was contacted"
            ),
            Sign::Via(via) => format!("Via: {}: Kong proxied it", printable_bytes(via, 40)),
            Sign::Server(server) => format!(
                "Server: {} without Kong's Via: Kong's own response",
                printable_bytes(server, 40)
            ),
            Sign::Challenge(value, plugin) => format!(
                "WWW-Authenticate: {}, {}'s own form",
                printable_bytes(value, 60),
                plugin.as_str()
            ),
            Sign::None => "no sign (no ngx.upstream_status, X-Kong-*-Latency, Kong Via or Server, or Kong challenge)".into(),
        }
    }
}

impl Response {
    /// Who answered, from the surest sign to the weakest: `ngx.upstream_status`, Kong's latency
    /// headers, `ngx.upstream_status` missing where other `ngx.*` properties answer, Kong's `Via`
    /// (proxied) or `Server: kong/…` without it (Kong's own: kong/runloop/handler.lua sets Via on
    /// proxied responses and Server on its own, both under `server_tokens`), then a challenge in
    /// one of Kong's own forms. The last two only when `weak_signs`: in observe mode Kong's auth
    /// plugins' own 401s never reach the filter, so a response looking like one is not one.
    pub fn who(&self, weak_signs: bool) -> Who<'_> {
        let who = |answerer, sign| Who {
            answerer,
            sign,
            plugin: None,
        };
        let status = self
            .upstream_status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != "-");
        if let Some(status) = status {
            return who(Answerer::Upstream, Sign::UpstreamStatus(status));
        }
        if self.headers.has("x-kong-upstream-latency") {
            return who(Answerer::Upstream, Sign::UpstreamLatency);
        }
        if self.headers.has("x-kong-response-latency") {
            return who(Answerer::Kong, Sign::ResponseLatency);
        }
        if let Some(other) = self.ngx_answered.filter(|_| self.upstream_status.is_none()) {
            return who(Answerer::Kong, Sign::NoUpstreamStatus(other));
        }
        if let Some(via) = self.headers.all("via").find(|v| contains_kong(v)) {
            return who(Answerer::Upstream, Sign::Via(via));
        }
        if !weak_signs {
            return who(Answerer::Unknown, Sign::None);
        }
        let form = self.kong_form();
        if let Some(server) = self
            .headers
            .first("server")
            .filter(|s| s.starts_with(b"kong/"))
        {
            return Who {
                answerer: Answerer::Kong,
                sign: Sign::Server(server),
                plugin: form.map(|f| f.plugin),
            };
        }
        match (form, self.headers.first("www-authenticate")) {
            (Some(form), Some(value)) => Who {
                answerer: Answerer::Kong,
                sign: Sign::Challenge(value, form.plugin),
                plugin: Some(form.plugin),
            },
            _ => who(Answerer::Unknown, Sign::None),
        }
    }

    /// The response's challenge, when it is in one of Kong's own forms.
    pub fn kong_form(&self) -> Option<KongForm> {
        self.headers
            .text("www-authenticate")
            .and_then(challenge::kong_form)
    }
}

/// `1.1 kong/3.9.1` names Kong; matched without case.
fn contains_kong(value: &[u8]) -> bool {
    value.windows(5).any(|w| w.eq_ignore_ascii_case(b"kong/"))
}

/// A query-string component as lua-nginx-module's `ngx.req.get_uri_args()` (behind
/// `kong.request.get_query()`) decodes it: `+` is a space, `%XX` a byte, and a `%` not followed
/// by two hex digits stays as it is. Borrowed when there is nothing to decode.
pub(super) fn query_decode(raw: &str) -> Cow<'_, [u8]> {
    let bytes = raw.as_bytes();
    // A plain loop: iterator adapters are calls each at opt-level z.
    let mut plain = true;
    for &b in bytes {
        if b == b'+' || b == b'%' {
            plain = false;
            break;
        }
    }
    if plain {
        return Cow::Borrowed(bytes);
    }
    let hex = |b: Option<&u8>| b.and_then(|&b| char::from(b).to_digit(16));
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => match (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                (Some(high), Some(low)) => {
                    // Two hex digits: at most 0xff.
                    out.push(u8::try_from(high * 16 + low).unwrap_or(b'?'));
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    Cow::Owned(out)
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
        let q: Vec<_> = r.query().into_iter().map(|p| p.name).collect();
        assert_eq!(q, vec!["apikey", "x", "", "jwt"]);
        let c: Vec<_> = r.cookies().into_iter().map(|p| p.name).collect();
        assert_eq!(c, vec!["a", "BIGipServerpool", "b"]);
    }

    /// As `ngx.req.get_uri_args()` decodes: names and values, `+` as a space, a broken `%` kept.
    #[test]
    fn query_is_decoded_like_kong() {
        let r = req("/a?api%5Fkey=ab%2Bc+d%2f&k%=100%&x=%zz%4", &[]);
        let q: Vec<(String, Vec<u8>)> = r
            .query()
            .into_iter()
            .map(|p| (p.name.into_owned(), p.value.into_owned()))
            .collect();
        assert_eq!(
            q,
            vec![
                ("api_key".into(), b"ab+c d/".to_vec()),
                ("k%".into(), b"100%".to_vec()),
                ("x".into(), b"%zz%4".to_vec()),
            ]
        );
        assert_eq!(query_decode("%ff%00"), &b"\xff\x00"[..]);
        assert!(matches!(query_decode("plain-value"), Cow::Borrowed(_)));
        // A cookie is read as sent.
        let r = req("/", &[("cookie", "k=a+b%20c")]);
        assert_eq!(&*r.cookies()[0].value, b"a+b%20c");
    }

    /// The cookies as the iterator chain read them before the plain loop.
    fn reference_cookies(r: &Request) -> Vec<Param<'_>> {
        r.headers
            .all("cookie")
            .flat_map(|v| v.split(|&b| b == b';'))
            .filter_map(|pair| {
                let eq = pair.iter().position(|&b| b == b'=')?;
                let (name, value) = pair.split_at_checked(eq)?;
                let name = std::str::from_utf8(name).ok()?.trim();
                let value = value.get(1..).unwrap_or_default();
                (!name.is_empty()).then_some(Param {
                    name: Cow::Borrowed(name),
                    value: Cow::Borrowed(value),
                })
            })
            .take(MAX_PARAMS)
            .collect()
    }

    /// The query as split and decoded before `query_params`.
    fn reference_query(query: &str) -> Vec<Param<'_>> {
        query
            .split('&')
            .filter(|p| !p.is_empty())
            .take(MAX_PARAMS)
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                Param {
                    name: match query_decode(name) {
                        Cow::Borrowed(raw) => String::from_utf8_lossy(raw),
                        Cow::Owned(bytes) => {
                            Cow::Owned(String::from_utf8_lossy(&bytes).into_owned())
                        }
                    },
                    value: query_decode(value),
                }
            })
            .collect()
    }

    proptest::proptest! {
        /// [`QueryParams`] gives what the adapter chain it replaced gave, on queries made of the
        /// bytes that matter to it (`&`, `=`, `+`, `%`, hex digits) and others.
        #[test]
        fn query_params_as_the_adapter_chain(
            query in "[&=+%0-9a-fA-Fgz\u{e9} ]{0,40}",
            many in 0usize..40,
        ) {
            let query = format!("{query}{}", "&x=1".repeat(many));
            let r = Request {
                raw_query: Some(query.clone()),
                ..Request::default()
            };
            proptest::prop_assert_eq!(
                r.query_params().collect::<Vec<_>>(),
                r.query_params_before().collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn query_as_before() {
        let many = (0..MAX_PARAMS + 3)
            .map(|i| format!("p{i}=v"))
            .collect::<Vec<_>>()
            .join("&");
        for query in [
            "",
            "a",
            "a=1&b=2",
            "&&a==1=&=b&c=",
            "api%5Fkey=ab%2Bc+d%2f&k%=100%&x=%zz%4",
            "n%ff=1&%C3%A9t%C3%A9=caf%C3%A9&\u{e9}=\u{e9}",
            "=&=&&=x&x=&+=%&%=+&a+b=c%20d&a%3Db=c=d=e&&&",
            "&",
            "&&",
            "=",
            "+",
            "%",
            "%4",
            "%41%",
            "a=b&",
            "&a=b",
            "a&b&c&d",
            "a=%2&b=%g1&c=%%41&d=%+1",
            "\u{e9}+%=\u{e9}%&\u{1F600}=+\u{1F600}",
            many.as_str(),
        ] {
            let r = Request {
                raw_query: Some(query.into()),
                ..Request::default()
            };
            assert_eq!(
                r.query_params().collect::<Vec<_>>(),
                r.query_params_before().collect::<Vec<_>>(),
                "{query:?}"
            );
            let r = Request {
                raw_query: Some(query.into()),
                ..Request::default()
            };
            assert_eq!(r.query(), reference_query(query), "{query:?}");
            let r = req(&format!("/p?{query}"), &[]);
            assert_eq!(r.query(), reference_query(query), "{query:?}");
        }
        assert!(req("/p", &[]).query().is_empty());
    }

    #[test]
    fn cookies_as_before() {
        let many = (0..MAX_PARAMS + 3)
            .map(|i| format!("c{i}=v"))
            .collect::<Vec<_>>()
            .join("; ");
        let values = [
            "a=1; b=2",
            " a = 1 ;b=;=c; ;;d",
            "\u{a0}nbsp\u{a0}=1; \u{3000}wide=2;\x0bvt\x0b=3; \x1cfs=4",
            "\u{e9}t\u{e9}=caf\u{e9}; x\u{2028}=1",
            "\t\r\n=1; \x0c =2",
            "name==a=b; ==",
            many.as_str(),
        ];
        for (i, first) in values.iter().enumerate() {
            for second in values.iter().skip(i) {
                let mut r = req("/", &[("cookie", first), ("x", "y"), ("Cookie", second)]);
                assert_eq!(r.cookies(), reference_cookies(&r), "{first:?} {second:?}");
                r.headers.push("cookie", b"bad\xff=1; ok=\xff");
                assert_eq!(r.cookies(), reference_cookies(&r), "{first:?} {second:?}");
            }
        }
        let r = req("/", &[("cookie", " a = 1 ;b=;=c")]);
        let names: Vec<_> = r.cookies().into_iter().map(|c| c.name).collect();
        assert_eq!(names, ["a", "b"]);
    }

    /// The shortcut trims what `str::trim` trims, on every ASCII char at either end.
    #[test]
    fn trim_as_str_trim() {
        for b in 0u8..=0x7f {
            let c = char::from(b);
            for text in [
                format!("{c}x{c}"),
                format!("{c}"),
                format!("x{c}"),
                format!("{c}x"),
            ] {
                assert_eq!(trim(&text), text.trim(), "{b:#04x}");
            }
        }
        for text in ["\u{a0}x", "x\u{3000}", "\u{e9}", "", "\u{85}x\u{85}"] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }

    #[test]
    fn headers_are_bounded() {
        let h = Headers::from_pairs((0..MAX_HEADERS + 5).map(|i| (format!("x-{i}"), Vec::new())));
        assert_eq!(h.iter().count(), MAX_HEADERS);
        assert_eq!(h.ignored(), 5);
    }

    /// The host's buffer kept whole reads as the same headers as a list of pairs: names
    /// lowercased (a name that is not UTF-8 lossily), pseudo-headers left out, the same bound.
    #[test]
    fn headers_from_the_wire_are_the_pairs() {
        let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (b":path".to_vec(), b"/".to_vec()),
            (b"Host".to_vec(), b"api.example.com".to_vec()),
            (b"X-API-Key".to_vec(), b"\xff\x00k".to_vec()),
            (b"\xffname".to_vec(), b"v".to_vec()),
            (b"".to_vec(), b"".to_vec()),
        ];
        pairs.extend((0..MAX_HEADERS).map(|i| (format!("X-{i}").into_bytes(), vec![b'v'; i % 3])));
        let borrowed: Vec<(&[u8], &[u8])> = pairs
            .iter()
            .map(|(n, v)| (n.as_slice(), v.as_slice()))
            .collect();
        let wire = Headers::from_wire(crate::parse::pairs::parse(
            crate::parse::pairs::tests::serialize(&borrowed),
        ));
        let listed = Headers::from_pairs(
            pairs
                .iter()
                .map(|(n, v)| (String::from_utf8_lossy(n).into_owned(), v.clone())),
        );
        assert_eq!(wire, listed);
        assert_eq!(wire.ignored(), 4);
        // Names cut one after the other are the names sliced by their spans, whichever way
        // the headers came in (a name not UTF-8 in both: the other way in, `from_wire`'s
        // fallback), pushed ones included.
        let ascii = Headers::from_wire(crate::parse::pairs::parse(
            crate::parse::pairs::tests::serialize(&borrowed[..3]),
        ));
        let mut room = Headers::lend(&mut Headers::default(), 2, 8, 8);
        room.push("stale", b"cleared");
        let mut pushed = Headers::lend(&mut room, 2, 8, 8);
        assert_eq!(room.room(), (0, 0, 0), "lent");
        pushed.push("x-a", b"1");
        pushed.push("", b"");
        pushed.push("cookie", b"\xff");
        for headers in [&wire, &listed, &ascii, &pushed, &Headers::default()] {
            let got: Vec<Header<'_>> = headers.iter().collect();
            let want: Vec<Header<'_>> = headers.iter_by_span().collect();
            assert_eq!(got, want);
            assert_eq!(got.len(), headers.list.len());
        }
        let first: Vec<Header<'_>> = wire.iter().take(4).collect();
        assert_eq!(
            first,
            [
                Header {
                    name: "host",
                    value: b"api.example.com"
                },
                Header {
                    name: "x-api-key",
                    value: b"\xff\x00k"
                },
                Header {
                    name: "\u{fffd}name",
                    value: b"v"
                },
                Header {
                    name: "",
                    value: b""
                },
            ]
        );
        assert_eq!(wire.first("x-api-key"), Some(&b"\xff\x00k"[..]));
        assert_eq!(wire.all("x-1").count(), 1);
        assert!(!wire.has("X-API-Key"));
    }

    #[test]
    fn host_without_port() {
        assert_eq!(strip_port("API.example.com:8443"), "API.example.com");
        assert_eq!(strip_port("[2001:db8::1]:443"), "[2001:db8::1]");
        let mut r = req("/", &[("host", "Api.Example.com:80")]);
        r.authority = "kong:8000".into();
        // ngx_wasm_module's :authority is server_name:port: the Host header says where the
        // client sent it.
        assert_eq!(r.host(), ("api.example.com".to_string(), "Host header"));
        let r = Request {
            authority: "Other:1".into(),
            ..Request::default()
        };
        assert_eq!(r.host(), ("other".to_string(), ":authority"));
    }

    /// ngx_wasm_module's :path is the decoded URI plus the raw query
    /// (ngx_proxy_wasm_maps.c:481-517): the raw query the host gives wins over it.
    #[test]
    fn raw_query_wins_over_the_decoded_path() {
        let mut r = req("/orders?apikey=k3y-9f8e7d6c", &[]);
        r.raw_query = Some(String::new());
        assert!(r.query().is_empty());
        r.raw_query = Some("id=7&apikey=a%2Bb".into());
        let q: Vec<_> = r
            .query()
            .into_iter()
            .map(|p| (p.name.into_owned(), p.value.into_owned()))
            .collect();
        assert_eq!(
            q,
            vec![
                ("id".into(), b"7".to_vec()),
                ("apikey".into(), b"a+b".to_vec())
            ]
        );
    }

    #[test]
    fn pairs_limits() {
        assert_eq!(PairsLimit::of(12, 12), None);
        assert_eq!(PairsLimit::of(100, 100), Some(PairsLimit::AtHostLimit(100)));
        assert_eq!(
            PairsLimit::of(97, 100),
            Some(PairsLimit::Cut {
                read: 97,
                declared: 100
            })
        );
        assert!(PairsLimit::of(97, 100)
            .unwrap()
            .clause()
            .contains("97 of 100"));
    }

    #[test]
    fn who_answered() {
        let resp = |headers: &[(&str, &str)], upstream: Option<&str>, ngx: bool| Response {
            status: 401,
            headers: Headers::from_pairs(
                headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())),
            ),
            upstream_status: upstream.map(String::from),
            ngx_answered: ngx.then_some("ngx.kong_request_id"),
        };
        use Answerer::*;
        let key = ("www-authenticate", "Key");
        let cases: Vec<(&str, Response, bool, Answerer, &str)> = vec![
            ("nothing", resp(&[], None, false), true, Unknown, "no sign"),
            (
                "upstream status",
                resp(&[key], Some("401"), true),
                true,
                Upstream,
                "ngx.upstream_status is 401",
            ),
            (
                "upstream status -",
                resp(&[], Some("-"), false),
                true,
                Unknown,
                "no sign",
            ),
            (
                "kong latency",
                resp(&[("X-Kong-Response-Latency", "1")], None, false),
                true,
                Kong,
                "X-Kong-Response-Latency",
            ),
            (
                "upstream latency",
                resp(&[("x-kong-upstream-latency", "3"), key], None, false),
                true,
                Upstream,
                "X-Kong-Upstream-Latency",
            ),
            (
                "ngx answers, no upstream status",
                resp(&[], None, true),
                false,
                Kong,
                "while the host answers ngx.kong_request_id",
            ),
            (
                "via kong",
                resp(&[("via", "1.1 Kong/3.9.1"), key], None, false),
                true,
                Upstream,
                "Kong proxied it",
            ),
            (
                "server kong",
                resp(&[("server", "kong/3.9.1")], None, false),
                true,
                Kong,
                "Server: kong/3.9.1 without",
            ),
            (
                "server kong, observe",
                resp(&[("server", "kong/3.9.1")], None, false),
                false,
                Unknown,
                "no sign",
            ),
            (
                "server nginx",
                resp(&[("server", "nginx")], None, false),
                true,
                Unknown,
                "no sign",
            ),
            (
                "key challenge",
                resp(&[key], None, false),
                true,
                Kong,
                "WWW-Authenticate: Key, key-auth's own form",
            ),
            (
                "key challenge, observe",
                resp(&[key], None, false),
                false,
                Unknown,
                "no sign",
            ),
            (
                "rfc challenge",
                resp(
                    &[(
                        "www-authenticate",
                        "Bearer realm=\"a\", error=\"invalid_token\"",
                    )],
                    None,
                    false,
                ),
                true,
                Unknown,
                "no sign",
            ),
        ];
        for (name, r, weak, answerer, sign) in cases {
            let who = r.who(weak);
            assert_eq!(who.answerer, answerer, "{name}");
            let said = who.sign.describe();
            assert!(said.contains(sign), "{name}: {said}");
        }
        let r = resp(
            &[
                ("server", "kong/3.9.1"),
                ("www-authenticate", "Basic realm=\"service\""),
            ],
            None,
            false,
        );
        let who = r.who(true);
        assert_eq!(who.plugin, Some(Plugin::BasicAuth));
    }
}
