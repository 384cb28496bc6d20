//! Finding credentials: in every place the route's plugins read, and in the places clients put
//! them by mistake. Each find says what it is, where it was, and which plugin (if any) reads it
//! there — or why none does.

use crate::decide::config::Auth;
use crate::diagnosis::Plugin;
use crate::parse::cookie;
use crate::parse::forwarding::Scan;
use crate::parse::jwt::{jwt_dots, looks_like_jwt};
use crate::parse::request::{Param, Request};
use crate::parse::text::{kong_reads_header, next_squashed, printable, same_bytes, same_squashed};
use std::borrow::Cow;

/// What a credential looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An API key (key-auth).
    ApiKey,
    /// A JWT (three base64url segments).
    Jwt,
    /// An opaque bearer token.
    Bearer,
    /// Basic credentials.
    Basic,
    /// An hmac-auth signature.
    Hmac,
    /// ldap-auth credentials: base64 of `user:password` after the `header_type` scheme.
    Ldap,
    /// Kong's session cookie.
    Session,
    /// Something credential-like of no recognisable kind.
    Opaque,
}

impl Kind {
    /// The name with its article, for sentences: `an api-key`, `a jwt`.
    pub fn with_article(self) -> String {
        let article = if matches!(self, Kind::ApiKey | Kind::Ldap) {
            "an"
        } else {
            "a"
        };
        format!("{article} {}", self.as_str())
    }

    /// Name used in output (`credential=jwt`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ApiKey => "api-key",
            Kind::Jwt => "jwt",
            Kind::Bearer => "bearer",
            Kind::Basic => "basic",
            Kind::Hmac => "hmac",
            Kind::Ldap => "ldap",
            Kind::Session => "session-cookie",
            Kind::Opaque => "token",
        }
    }
}

/// Where a credential was found. The name is borrowed from the request (a query parameter's is
/// owned only when it was percent-decoded): a find costs no copy of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place<'a> {
    /// A request header (lowercase name).
    Header(Cow<'a, str>),
    /// A query-string parameter.
    Query(Cow<'a, str>),
    /// A cookie.
    Cookie(Cow<'a, str>),
}

impl Place<'_> {
    /// The header, parameter or cookie name.
    pub fn name(&self) -> &str {
        match self {
            Place::Header(n) | Place::Query(n) | Place::Cookie(n) => n,
        }
    }

    /// `header x-api-key`, `query parameter jwt`, `cookie token`.
    pub fn describe(&self) -> String {
        let what = match self {
            Place::Header(_) => "header",
            Place::Query(_) => "query parameter",
            Place::Cookie(_) => "cookie",
        };
        format!("{what} {}", printable(self.name(), 60))
    }
}

/// Why no plugin of the route reads a credential where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    /// The header is read, but not with this scheme.
    Scheme {
        /// What the plugins reading this header accept (`Bearer`, `Basic`, ldap-auth's
        /// `header_type` …).
        accepted: Vec<Cow<'static, str>>,
    },
    /// No plugin reads this name; the route reads these instead.
    Name,
    /// A name a plugin reads, but not in this place.
    Location {
        /// The plugin whose name it is.
        plugin: Plugin,
        /// Why it does not look there.
        why: &'static str,
    },
}

/// The plugins of the route that read a credential, in order, at most one of each: on the stack,
/// not in a list of its own (an allocation costs more in wasm than the whole search of a header).
/// Read as a slice of [`Plugin`].
#[derive(Debug, Clone, Copy)]
pub struct Readers {
    /// The plugins, the first `len` of them.
    plugins: [Plugin; Readers::ROOM],
    /// How many there are.
    len: usize,
}

impl Readers {
    /// One of each plugin.
    const ROOM: usize = 8;

    /// No reader.
    pub const NONE: Readers = Readers {
        plugins: [Plugin::Jwt; Readers::ROOM],
        len: 0,
    };

    /// The one plugin.
    pub const fn one(plugin: Plugin) -> Readers {
        Readers {
            plugins: [plugin; Readers::ROOM],
            len: 1,
        }
    }

    /// Adds a plugin at the end (each plugin at most once: there is room for every one).
    pub fn push(&mut self, plugin: Plugin) {
        if let Some(slot) = self.plugins.get_mut(self.len) {
            *slot = plugin;
            self.len += 1;
        }
    }

    /// Keeps only the plugins `keep` says yes to, in order.
    pub fn retain(&mut self, keep: impl Fn(&Plugin) -> bool) {
        let mut kept = Readers::NONE;
        for plugin in self.iter() {
            if keep(plugin) {
                kept.push(*plugin);
            }
        }
        *self = kept;
    }

    /// Leaves no reader.
    pub fn clear(&mut self) {
        self.len = 0;
    }
}

impl std::ops::Deref for Readers {
    type Target = [Plugin];

    fn deref(&self) -> &[Plugin] {
        self.plugins.get(..self.len).unwrap_or_default()
    }
}

impl PartialEq for Readers {
    fn eq(&self, other: &Readers) -> bool {
        **self == **other
    }
}

impl Eq for Readers {}

impl<const N: usize> PartialEq<[Plugin; N]> for Readers {
    fn eq(&self, other: &[Plugin; N]) -> bool {
        **self == *other
    }
}

/// One credential found on the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<'a> {
    /// What it looks like.
    pub kind: Kind,
    /// Where it was.
    pub place: Place<'a>,
    /// The Authorization scheme as sent, for header credentials that have one.
    pub scheme: Option<Cow<'a, str>>,
    /// The credential itself (after the scheme), as Kong's plugin gets it. Never printed.
    pub value: Cow<'a, [u8]>,
    /// Plugins of the route that read it here.
    pub readers: Readers,
    /// Why none does, when `readers` is empty.
    pub miss: Option<Miss>,
    /// Where the two dots of a JWT in `value` are, when the search has counted them (an
    /// Authorization token's): the judge does not look for them again.
    pub dots: Option<(usize, usize)>,
}

impl Found<'_> {
    /// The plugin the finding is about: its first reader, or the one whose name it used.
    pub fn plugin(&self) -> Option<Plugin> {
        match (&self.readers.first(), &self.miss) {
            (Some(p), _) => Some(**p),
            (None, Some(Miss::Location { plugin, .. })) => Some(*plugin),
            _ => None,
        }
    }
}

/// Header and parameter names clients use for credentials, squashed (letters and digits only),
/// by their first two letters: a name is squashed two letters in, then compared in place with
/// only the listed names starting with those (none for most: `user-agent`, `x-request-id`,
/// `cache-control`; one for `accept-encoding`, left at its fifth letter). This runs for every
/// header, cookie and query parameter of an annotated request.
const fn credential_names(a: u8, b: u8) -> &'static [&'static [u8]] {
    match (a, b) {
        (b'k', b'e') => &[b"key"],
        (b'j', b'w') => &[b"jwt"],
        (b'a', b'u') => &[b"auth", b"authtoken", b"authorization", b"authorisation"],
        (b'a', b'p') => &[b"apikey", b"apitoken"],
        (b'a', b'c') => &[b"accesstoken"],
        (b't', b'o') => &[b"token"],
        (b'b', b'e') => &[b"bearer"],
        (b's', b'e') => &[b"secret", b"sessiontoken"],
        (b'i', b'd') => &[b"idtoken"],
        (b'x', b'k') => &[b"xkey"],
        (b'x', b'j') => &[b"xjwt"],
        (b'x', b'a') => &[
            b"xauth",
            b"xapikey",
            b"xapiauth",
            b"xapitoken",
            b"xauthtoken",
            b"xaccesstoken",
            b"xauthorization",
        ],
        (b'x', b't') => &[b"xtoken"],
        (b'x', b's') => &[b"xsecret", b"xsessiontoken"],
        (b'x', b'i') => &[b"xidtoken"],
        _ => &[],
    }
}

/// Whether the rest of `name` from `at` on, squashed, is `rest`: compared a letter at a time,
/// given up at the first that differs.
fn rest_squashed_is(name: &[u8], mut at: usize, rest: &[u8]) -> bool {
    for &want in rest {
        if next_squashed(name, &mut at) != Some(want) {
            return false;
        }
    }
    next_squashed(name, &mut at).is_none()
}

/// Headers that look credential-like but are not credentials for Kong's auth plugins.
const NOT_CREDENTIALS: [&str; 3] = [
    "x-auth-diagnosis-token",
    "x-credential-identifier",
    "x-csrf-token",
];

/// The lengths of [`NOT_CREDENTIALS`], one bit each: most headers are not compared with them.
// Evaluated by the compiler: an index out of bounds fails the build, never the filter.
#[allow(clippy::indexing_slicing)]
const NOT_CREDENTIAL_LENGTHS: u32 = {
    let mut bits = 0;
    let mut i = 0;
    while i < NOT_CREDENTIALS.len() {
        bits |= 1 << NOT_CREDENTIALS[i].len();
        i += 1;
    }
    bits
};

/// Whether the header is one of [`NOT_CREDENTIALS`].
#[inline(always)]
fn is_not_credential(name: &str) -> bool {
    name.len() < 32
        && NOT_CREDENTIAL_LENGTHS & (1 << name.len()) != 0
        && NOT_CREDENTIALS.contains(&name)
}

/// What the search asks of every header name about the route's configured names, gathered once
/// per request: most headers (`user-agent`, `accept`, `x-request-id` …) are then passed over
/// after a bit test and their first two letters, not compared with every configured name.
struct Configured {
    /// Bit `n`: a name Kong compares headers with (the two Authorization headers, jwt's
    /// `header_names`, oauth2's `auth_header_name`, key-auth's `key_names`) is `n` bytes long;
    /// bit 63 for 63 and longer. [`kong_reads_header`] wants equal lengths.
    lengths: u64,
    /// The first two squashed bytes of each key name ([`squashed_start`]); `None` when there
    /// are more than it holds (then every name is compared with them).
    key_starts: Option<[u16; 4]>,
}

/// The bit of a name's length in [`Configured::lengths`].
#[inline(always)]
fn length_bit(len: usize) -> u64 {
    1 << len.min(63)
}

/// For each lowercase letter, the letters that follow it at the start of one of
/// [`credential_names`], one bit each (`a` the lowest): a header name that starts with two
/// letters is then answered by one bit test.
// Evaluated by the compiler: an index out of bounds fails the build, never the filter.
#[allow(clippy::indexing_slicing)]
const CREDENTIAL_STARTS: [u32; 26] = {
    let mut table = [0; 26];
    let mut a = 0;
    while a < 26 {
        let mut b = 0;
        while b < 26 {
            if !credential_names(b'a' + a as u8, b'a' + b as u8).is_empty() {
                table[a] |= 1 << b;
            }
            b += 1;
        }
        a += 1;
    }
    table
};

/// The first two squashed bytes of `name`, `0` for each it does not have, as one number: two
/// names the same once squashed start the same.
fn squashed_start(name: &[u8]) -> u16 {
    let mut at = 0;
    let a = next_squashed(name, &mut at).unwrap_or(0);
    let b = next_squashed(name, &mut at).unwrap_or(0);
    (u16::from(a) << 8) | u16::from(b)
}

impl Configured {
    fn of(auth: &Auth) -> Configured {
        let mut lengths =
            length_bit("authorization".len()) | length_bit("proxy-authorization".len());
        if let Some(jwt) = &auth.jwt {
            for name in &jwt.header_names {
                lengths |= length_bit(name.len());
            }
        }
        if let Some(oauth2) = &auth.oauth2 {
            lengths |= length_bit(oauth2.auth_header_name.len());
        }
        // No key name: no start matches (squashed bytes are letters and digits, never 0xff).
        let mut key_starts = Some([u16::MAX; 4]);
        if let Some(key_auth) = &auth.key_auth {
            for (i, name) in key_auth.key_names.iter().enumerate() {
                lengths |= length_bit(name.len());
                if let Some(slot) = key_starts.as_mut().and_then(|starts| starts.get_mut(i)) {
                    *slot = squashed_start(name.as_bytes());
                } else {
                    key_starts = None;
                }
            }
        }
        Configured {
            lengths,
            key_starts,
        }
    }

    /// Whether the name is credential-like ([`is_credential_name`]) or one of key-auth's
    /// `key_names` once squashed. The first two squashed bytes are read in place for the usual
    /// names (lowercased: two letters, or a letter, `-` or `_`, a letter, as `x-request-id`),
    /// and a name that neither a listed name nor a key name starts with is passed over; the
    /// others are asked in full.
    #[inline(always)]
    fn is_near_miss(&self, name: &str, auth: &Auth) -> bool {
        let bytes = name.as_bytes();
        let (a, b, at) = match *bytes {
            [a @ b'a'..=b'z', b @ b'a'..=b'z', ..] => (a, b, 2),
            [a @ b'a'..=b'z', b'-' | b'_', b @ b'a'..=b'z', ..] => (a, b, 3),
            _ => return is_credential_name(name) || is_squashed_key_name(name, auth),
        };
        // Lowercase letters are their own squashed bytes.
        let start = (u16::from(a) << 8) | u16::from(b);
        let key = match &self.key_starts {
            Some([k0, k1, k2, k3]) => *k0 == start || *k1 == start || *k2 == start || *k3 == start,
            None => true,
        };
        if key && is_squashed_key_name(name, auth) {
            return true;
        }
        let listed = CREDENTIAL_STARTS
            .get(usize::from(a - b'a'))
            .is_some_and(|follow| follow & (1 << (b - b'a')) != 0);
        if listed {
            // The next four bytes, when they are lowercase letters, are the name's next four
            // squashed ones: a listed name is compared letter by letter only when its own are
            // the same (`accept`, `accept-encoding` and `accept-language` part from
            // `accesstoken` there, with one comparison).
            let next = bytes
                .get(at..)
                .and_then(<[u8]>::first_chunk::<4>)
                .filter(|&&[p, q, r, t]| {
                    p.is_ascii_lowercase()
                        && q.is_ascii_lowercase()
                        && r.is_ascii_lowercase()
                        && t.is_ascii_lowercase()
                })
                .map(|w| u32::from_le_bytes(*w));
            for listed in credential_names(a, b) {
                let rest = listed.get(2..).unwrap_or_default();
                if let Some(next) = next {
                    // A listed name shorter than six letters is shorter than this one.
                    let own = rest.first_chunk::<4>().map(|w| u32::from_le_bytes(*w));
                    if own != Some(next) {
                        continue;
                    }
                }
                if rest_squashed_is(bytes, at, rest) {
                    return true;
                }
            }
        }
        false
    }
}

/// Every credential on the request.
#[cfg(test)]
pub fn find<'a>(request: &'a Request, auth: &Auth) -> Vec<Found<'a>> {
    let mut out = Vec::new();
    find_noting(
        request,
        auth,
        &mut Scan::default(),
        &mut Vec::new(),
        &mut out,
    );
    out
}

/// Every credential on the request, each header noted in `scan` on the way: the decision
/// reads a few names more, and a pass of its own over the headers costs ~60 wasm instructions
/// a header. The cookies are read into `cookies` (the hop marks read them too), and only when
/// the scan saw a Cookie header: a request without one is not passed over again to find none.
/// The credentials are added to `out` (the caller's list, lent from one request to the next).
pub fn find_noting<'a>(
    request: &'a Request,
    auth: &Auth,
    scan: &mut Scan<'a>,
    cookies: &mut Vec<Param<'a>>,
    out: &mut Vec<Found<'a>>,
) {
    let configured = Configured::of(auth);
    // Counted by hand: `enumerate` is a call per header at opt-level z.
    let mut index = 0;
    for header in request.headers.iter() {
        let name: &'a str = header.name;
        let value: &'a [u8] = header.value;
        index += 1;
        let index = index - 1;
        scan.note(name, value);
        if is_not_credential(name) {
            continue;
        }
        // Only a name of a configured length can be one Kong reads.
        let read = configured.lengths & length_bit(name.len()) != 0;
        if read {
            if is_authorization_header(name, auth) {
                let mut found = authorization(name, value, auth);
                past_kong_limit(&mut found, index);
                out.push(found);
                continue;
            }
            if let Some(found) = key_header(name, value, auth) {
                let mut found = found;
                past_kong_limit(&mut found, index);
                out.push(found);
                continue;
            }
        }
        if configured.is_near_miss(name, auth)
            || may_be_jwt(value) && looks_like_jwt(strip_bearer(value))
        {
            out.push(Found {
                kind: shape(strip_bearer(value)),
                place: Place::Header(Cow::Borrowed(name)),
                scheme: None,
                value: Cow::Borrowed(strip_bearer(value)),
                readers: Readers::NONE,
                miss: Some(Miss::Name),
                dots: None,
            });
        }
    }
    for param in request.query_params() {
        if let Some(found) = query_param(param.name, param.value, auth) {
            out.push(found);
        }
    }
    // The one Cookie header read from the value the scan kept; several looked up again.
    match (scan.cookie, scan.more_cookies) {
        (Some(value), false) => cookie::read_into(value, cookies),
        (Some(_), true) => {
            for value in request.headers.all("cookie") {
                cookie::read_into(value, cookies);
            }
        }
        (None, _) => {}
    }
    for cookie in cookies.iter() {
        if let Some(found) = cookie_credential(&cookie.name, &cookie.value, auth) {
            out.push(found);
        }
    }
}

/// Request headers Kong's `kong.request.get_headers()` returns (`lua_max_req_headers`).
const KONG_MAX_REQ_HEADERS: usize = 100;

/// key-auth and jwt look headers up in `kong.request.get_headers()`, which stops after the first
/// 100: a credential further down is never read, however well it is named.
/// Changed in place: a find moved in and out is copied twice (memory.copy in wasm).
fn past_kong_limit(found: &mut Found<'_>, index: usize) {
    if index < KONG_MAX_REQ_HEADERS {
        return;
    }
    let limited = |p: &Plugin| matches!(p, Plugin::KeyAuth | Plugin::Jwt);
    if let Some(&plugin) = found.readers.iter().find(|p| limited(p)) {
        found.readers.retain(|p| !limited(p));
        if found.readers.is_empty() {
            found.miss = Some(Miss::Location {
                plugin,
                why: "Kong's plugins read only the first 100 request headers (lua_max_req_headers)",
            });
        }
    }
}

/// Whether `strip_bearer(value)` can look like a JWT: it must start `eyJ`, so the value's first
/// two bytes past whitespace are `ey` or the `be` of `bearer ` (in any case). Asked of every
/// header's value, and most (`gzip`, `*/*`, `no-cache`, `en-US`) end here.
#[inline(always)]
fn may_be_jwt(value: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&b) = value.get(i) {
        if !b.is_ascii_whitespace() {
            let next = value.get(i + 1).copied();
            return match b {
                b'e' => next == Some(b'y'),
                b'b' | b'B' => matches!(next, Some(b'e' | b'E')),
                _ => false,
            };
        }
        i += 1;
    }
    false
}

fn strip_bearer(value: &[u8]) -> &[u8] {
    let trimmed = value.trim_ascii();
    match trimmed.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case(b"bearer ") => {
            trimmed.get(7..).unwrap_or_default().trim_ascii()
        }
        _ => trimmed,
    }
}

fn shape(value: &[u8]) -> Kind {
    if looks_like_jwt(value) {
        Kind::Jwt
    } else {
        Kind::ApiKey
    }
}

/// Headers read as `Authorization`-style `<scheme> <credentials>`: the two standard ones, and any
/// other that [`header_plugins`] names a reader for (only jwt's `header_names` and oauth2's
/// `auth_header_name` can name another), asked without building that list for every header.
fn is_authorization_header(name: &str, auth: &Auth) -> bool {
    if is_standard_authorization(name) {
        return true;
    }
    // Plain code: Option and iterator combinators are calls through memory at opt-level z, and
    // this is asked of every header.
    if let Some(jwt) = &auth.jwt {
        for configured in &jwt.header_names {
            if kong_reads_header(configured, name) {
                return true;
            }
        }
    }
    match &auth.oauth2 {
        Some(oauth2) => kong_reads_header(&oauth2.auth_header_name, name),
        None => false,
    }
}

/// `Authorization` or `Proxy-Authorization` (lowercase), compared a word at a time (`==` is a
/// memcmp call, a byte loop in wasm).
#[inline(always)]
fn is_standard_authorization(name: &str) -> bool {
    let name = name.as_bytes();
    same_bytes(name, b"authorization") || same_bytes(name, b"proxy-authorization")
}

/// Whether `name` is one of `names`, exactly.
#[inline(always)]
fn is_one_of(names: &[String], name: &str) -> bool {
    for listed in names {
        if listed == name {
            return true;
        }
    }
    false
}

/// Whether `name` is one of key-auth's `key_names` once both are squashed.
#[inline(always)]
fn is_squashed_key_name(name: &str, auth: &Auth) -> bool {
    if let Some(key_auth) = &auth.key_auth {
        for key_name in &key_auth.key_names {
            if same_squashed(key_name, name) {
                return true;
            }
        }
    }
    false
}

/// Every plugin of the route that reads this Authorization-style header, whatever the scheme,
/// in order, at most one of each. Plain code into a list on the stack: an array of pairs
/// filtered through an iterator cost ~2,000 wasm instructions a read header at opt-level z.
fn header_plugins(name: &str, auth: &Auth) -> Readers {
    let is_auth = is_standard_authorization(name);
    let mut plugins = Readers::NONE;
    if let Some(jwt) = &auth.jwt {
        for configured in &jwt.header_names {
            if kong_reads_header(configured, name) {
                plugins.push(Plugin::Jwt);
                break;
            }
        }
    }
    if let Some(oauth2) = &auth.oauth2 {
        if kong_reads_header(&oauth2.auth_header_name, name) {
            plugins.push(Plugin::Oauth2);
        }
    }
    if auth.openid_connect && same_bytes(name.as_bytes(), b"authorization") {
        plugins.push(Plugin::OpenidConnect);
    }
    if is_auth {
        if auth.basic_auth {
            plugins.push(Plugin::BasicAuth);
        }
        if auth.hmac_auth.is_some() {
            plugins.push(Plugin::HmacAuth);
        }
        // Proxy-Authorization first, then Authorization (kong/plugins/ldap-auth/access.lua).
        if auth.ldap_auth.is_some() {
            plugins.push(Plugin::LdapAuth);
        }
    }
    plugins
}

/// [`header_plugins`] as it was, an iterator: the oracle of its test.
#[cfg(test)]
fn header_plugins_iterated<'a>(name: &'a str, auth: &'a Auth) -> impl Iterator<Item = Plugin> + 'a {
    let is_auth = name == "authorization" || name == "proxy-authorization";
    let reads = [
        (
            Plugin::Jwt,
            auth.jwt
                .as_ref()
                .is_some_and(|j| j.header_names.iter().any(|n| kong_reads_header(n, name))),
        ),
        (
            Plugin::Oauth2,
            auth.oauth2
                .as_ref()
                .is_some_and(|o| kong_reads_header(&o.auth_header_name, name)),
        ),
        (
            Plugin::OpenidConnect,
            auth.openid_connect && name == "authorization",
        ),
        (Plugin::BasicAuth, auth.basic_auth && is_auth),
        (Plugin::HmacAuth, auth.hmac_auth.is_some() && is_auth),
        // Proxy-Authorization first, then Authorization (kong/plugins/ldap-auth/access.lua).
        (Plugin::LdapAuth, auth.ldap_auth.is_some() && is_auth),
    ];
    reads
        .into_iter()
        .filter_map(|(plugin, reads)| reads.then_some(plugin))
}

/// The scheme a plugin expects, as the hint spells it.
fn expected_scheme(plugin: Plugin, auth: &Auth) -> Cow<'static, str> {
    match (plugin, &auth.ldap_auth) {
        (Plugin::BasicAuth, _) => Cow::Borrowed("Basic"),
        (Plugin::HmacAuth, _) => Cow::Borrowed("hmac"),
        // Kong's default spelled without an allocation: it is the common case.
        (Plugin::LdapAuth, Some(ldap)) if ldap.header_type == "ldap" => Cow::Borrowed("ldap"),
        (Plugin::LdapAuth, Some(ldap)) => Cow::Owned(ldap.header_type.clone()),
        _ => Cow::Borrowed("Bearer"),
    }
}

/// Whether the scheme is ldap-auth's `header_type`: Kong lowercases both and matches
/// `^\s*<header_type>\s+` (kong/plugins/ldap-auth/access.lua, 3.9.3).
fn is_ldap_scheme(scheme: &[u8], auth: &Auth) -> bool {
    auth.ldap_auth
        .as_ref()
        .is_some_and(|l| scheme.eq_ignore_ascii_case(l.header_type.as_bytes()))
}

/// Whether a plugin takes this scheme, with each plugin's own matching rule.
fn takes_scheme(plugin: Plugin, scheme: &[u8], auth: &Auth) -> bool {
    match plugin {
        // Kong's jwt matches `\s*[Bb]earer\s+(.+)`: only these two spellings.
        Plugin::Jwt => scheme == b"Bearer" || scheme == b"bearer",
        Plugin::Oauth2 => {
            scheme.eq_ignore_ascii_case(b"bearer") || scheme.eq_ignore_ascii_case(b"token")
        }
        Plugin::OpenidConnect => scheme.eq_ignore_ascii_case(b"bearer"),
        Plugin::BasicAuth => scheme == b"Basic" || scheme == b"basic",
        Plugin::HmacAuth => scheme.eq_ignore_ascii_case(b"hmac"),
        Plugin::LdapAuth => is_ldap_scheme(scheme, auth),
        Plugin::KeyAuth | Plugin::Session => false,
    }
}

fn authorization<'a>(name: &'a str, value: &'a [u8], auth: &Auth) -> Found<'a> {
    let trimmed = value.trim_ascii_start();
    let split = trimmed.iter().position(|b| b.is_ascii_whitespace());
    let (scheme, rest) = match split {
        Some(i) => (
            trimmed.get(..i).unwrap_or_default(),
            trimmed.get(i..).unwrap_or_default().trim_ascii(),
        ),
        // A bare scheme (`Bearer` with nothing after it) is a scheme without credentials.
        None if is_scheme_word(trimmed.trim_ascii_end(), auth) => {
            (trimmed.trim_ascii_end(), &b""[..])
        }
        None => (&b""[..], trimmed.trim_ascii_end()),
    };
    let scheme_text = String::from_utf8_lossy(scheme);
    // Compared without case in place, not through a lowercased copy.
    let is = |word: &str| scheme.eq_ignore_ascii_case(word.as_bytes());
    // A token's dots, for the judge (the value is `rest` whenever the kind is JWT).
    let mut dots = None;
    let kind = if is("basic") {
        Kind::Basic
    } else if is("hmac") {
        Kind::Hmac
    } else if is("ldap") || is_ldap_scheme(scheme, auth) {
        Kind::Ldap
    } else if let Some(at) = jwt_dots(rest) {
        dots = Some(at);
        Kind::Jwt
    } else if is("bearer") {
        Kind::Bearer
    } else {
        Kind::Opaque
    };
    // At most one of each of the six plugins: on the stack, not in a list of its own.
    let reading = header_plugins(name, auth);
    let plugins: &[Plugin] = &reading;
    // An empty header is judged by the plugins that read it: malformed, not a new scheme.
    let empty = trimmed.trim_ascii().is_empty();
    let mut readers = Readers::NONE;
    for &plugin in plugins {
        if empty || takes_scheme(plugin, scheme, auth) {
            readers.push(plugin);
        }
    }
    // A JWT is meant for the jwt plugin: `BEARER <jwt>` or `Token <jwt>` is a scheme mistake even
    // where oauth2 would take the scheme (it would then fail to find the token as its own).
    if kind == Kind::Jwt && plugins.contains(&Plugin::Jwt) && !readers.contains(&Plugin::Jwt) {
        readers.clear();
    }
    // What the plugins accept is listed only for a miss.
    let miss = if !readers.is_empty() {
        None
    } else if plugins.is_empty() {
        Some(Miss::Name)
    } else {
        let mut accepted: Vec<Cow<'static, str>> =
            plugins.iter().map(|&p| expected_scheme(p, auth)).collect();
        accepted.dedup();
        Some(Miss::Scheme { accepted })
    };
    Found {
        kind,
        place: Place::Header(Cow::Borrowed(name)),
        scheme: (!scheme.is_empty()).then_some(scheme_text),
        value: if scheme.is_empty() {
            Cow::Borrowed(trimmed.trim_ascii_end())
        } else if kind == Kind::Hmac {
            Cow::Borrowed(signature(rest))
        } else {
            Cow::Borrowed(rest)
        },
        readers,
        miss,
        dots,
    }
}

fn is_scheme_word(word: &[u8], auth: &Auth) -> bool {
    [&b"bearer"[..], b"basic", b"hmac", b"token", b"ldap"]
        .iter()
        .any(|s| word.eq_ignore_ascii_case(s))
        || is_ldap_scheme(word, auth)
}

/// hmac-auth's secret part is the `signature` parameter; the rest (username, algorithm, the list
/// of signed headers) is not a credential, and must not be treated as one when redacting.
fn signature(params: &[u8]) -> &[u8] {
    let Some(start) = params
        .windows(10)
        .position(|w| w.eq_ignore_ascii_case(b"signature="))
    else {
        return params;
    };
    let value = params.get(start + 10..).unwrap_or_default();
    let value = value.strip_prefix(b"\"").unwrap_or(value);
    let end = value
        .iter()
        .position(|&b| b == b'"' || b == b',')
        .unwrap_or(value.len());
    value.get(..end).unwrap_or(value)
}

fn key_header<'a>(name: &'a str, value: &'a [u8], auth: &Auth) -> Option<Found<'a>> {
    let key_auth = auth.key_auth.as_ref()?;
    let mut read = false;
    for key_name in &key_auth.key_names {
        if kong_reads_header(key_name, name) {
            read = true;
            break;
        }
    }
    if !read {
        return None;
    }
    let (readers, miss) = if key_auth.key_in_header {
        (Readers::one(Plugin::KeyAuth), None)
    } else {
        (
            Readers::NONE,
            Some(Miss::Location {
                plugin: Plugin::KeyAuth,
                why: "key_in_header is false",
            }),
        )
    };
    Some(Found {
        kind: shape(value),
        place: Place::Header(Cow::Borrowed(name)),
        scheme: None,
        value: Cow::Borrowed(value),
        readers,
        miss,
        dots: None,
    })
}

/// Whether the name, squashed, is one of [`credential_names`]. Asked of every header, cookie
/// and query parameter; plain loops, as iterator adapters are calls each at opt-level z.
fn is_credential_name(name: &str) -> bool {
    let name = name.as_bytes();
    let mut at = 0;
    let (Some(a), Some(b)) = (next_squashed(name, &mut at), next_squashed(name, &mut at)) else {
        return false;
    };
    for listed in credential_names(a, b) {
        if rest_squashed_is(name, at, listed.get(2..).unwrap_or_default()) {
            return true;
        }
    }
    false
}

fn query_param<'a>(name_cow: Cow<'a, str>, value: Cow<'a, [u8]>, auth: &Auth) -> Option<Found<'a>> {
    let name: &str = &name_cow;
    let found = |readers: Readers, miss: Option<Miss>| Found {
        kind: shape(&value),
        place: Place::Query(name_cow.clone()),
        scheme: None,
        value: value.clone(),
        readers,
        miss,
        dots: None,
    };
    if let Some(key_auth) = &auth.key_auth {
        if is_one_of(&key_auth.key_names, name) {
            return Some(if key_auth.key_in_query {
                found(Readers::one(Plugin::KeyAuth), None)
            } else {
                found(
                    Readers::NONE,
                    Some(Miss::Location {
                        plugin: Plugin::KeyAuth,
                        why: "key_in_query is false",
                    }),
                )
            });
        }
    }
    if let Some(jwt) = &auth.jwt {
        if is_one_of(&jwt.uri_param_names, name) {
            let mut f = found(Readers::one(Plugin::Jwt), None);
            f.kind = Kind::Jwt;
            return Some(f);
        }
    }
    if auth.oauth2.is_some() && name == "access_token" {
        return Some(found(Readers::one(Plugin::Oauth2), None));
    }
    // The length `looks_like_jwt` asks first, asked here: most values are short, and the call
    // costs more than the test.
    if is_credential_name(name) || value.len() > 10 && looks_like_jwt(&value) {
        return Some(found(Readers::NONE, Some(Miss::Name)));
    }
    None
}

fn cookie_credential<'a>(
    name_cow: &Cow<'a, str>,
    value: &Cow<'a, [u8]>,
    auth: &Auth,
) -> Option<Found<'a>> {
    let name: &str = name_cow;
    // The place and value are cloned (borrowed, no copy) only for a cookie found.
    let place = || Place::Cookie(name_cow.clone());
    // The session plugin reads its cookie by name, whatever the value looks like.
    if matches!(&auth.session, Some(session) if session.cookie_name == name) {
        return Some(Found {
            kind: Kind::Session,
            place: place(),
            scheme: None,
            value: value.clone(),
            readers: Readers::one(Plugin::Session),
            miss: None,
            dots: None,
        });
    }
    if let Some(jwt) = &auth.jwt {
        if is_one_of(&jwt.cookie_names, name) {
            return Some(Found {
                kind: Kind::Jwt,
                place: place(),
                scheme: None,
                value: value.clone(),
                readers: Readers::one(Plugin::Jwt),
                miss: None,
                dots: None,
            });
        }
    }
    if !is_credential_name(name) && !looks_like_jwt(value) {
        return None;
    }
    let is_key_name = is_squashed_key_name(name, auth);
    let (plugin, why) = if looks_like_jwt(value) && auth.jwt.is_some() {
        (Plugin::Jwt, "the cookie is not in jwt's cookie_names")
    } else if is_key_name || auth.key_auth.is_some() {
        (Plugin::KeyAuth, "key-auth never reads cookies")
    } else {
        return Some(Found {
            kind: shape(value),
            place: place(),
            scheme: None,
            value: value.clone(),
            readers: Readers::NONE,
            miss: Some(Miss::Name),
            dots: None,
        });
    };
    Some(Found {
        kind: shape(value),
        place: place(),
        scheme: None,
        value: value.clone(),
        readers: Readers::NONE,
        miss: Some(Miss::Location { plugin, why }),
        dots: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::config::{load, Config};
    use crate::parse::request::Headers;

    /// The listed names as they were before [`credential_names`], by length.
    const CREDENTIAL_NAMES: [&[&[u8]]; 15] = [
        &[],
        &[],
        &[],
        &[b"key", b"jwt"],
        &[b"xkey", b"auth", b"xjwt"],
        &[b"token", b"xauth"],
        &[b"apikey", b"xtoken", b"bearer", b"secret"],
        &[b"xapikey", b"idtoken", b"xsecret"],
        &[b"apitoken", b"xidtoken", b"xapiauth"],
        &[b"xapitoken", b"authtoken"],
        &[b"xauthtoken"],
        &[b"accesstoken"],
        &[b"xaccesstoken", b"sessiontoken"],
        &[b"authorization", b"authorisation", b"xsessiontoken"],
        &[b"xauthorization"],
    ];

    fn is_credential_squashed(name: &[u8]) -> bool {
        CREDENTIAL_NAMES.get(name.len()).is_some_and(|same_length| {
            same_length
                .iter()
                .any(|n| n.iter().zip(name).all(|(a, b)| a == b))
        })
    }

    fn request(path: &str, headers: &[(&str, &str)]) -> Request {
        Request {
            method: "GET".into(),
            path: path.into(),
            headers: Headers::from_pairs(
                headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())),
            ),
            ..Request::default()
        }
    }

    fn config(json: &str) -> Config {
        load(json.as_bytes()).unwrap()
    }

    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJhIn0.c2ln";

    #[test]
    fn table() {
        let defaults = config("{}");
        let key_only = config(r#"{"auth":{"key_auth":{}}}"#);
        let key_no_query = config(r#"{"auth":{"key_auth":{"key_in_query":false}}}"#);
        let jwt_only = config(r#"{"auth":{"jwt":{}}}"#);
        let bearer = format!("Bearer {JWT}");
        let upper = format!("BEARER {JWT}");
        let bare = JWT.to_string();
        let query = format!("/x?jwt={JWT}");
        let session = format!("session={JWT}");
        // (config, path, headers, expected kind, place, readers, miss)
        type Case<'a> = (
            &'a Config,
            &'a str,
            Vec<(&'a str, &'a str)>,
            Kind,
            Place<'a>,
            Vec<Plugin>,
            Option<Miss>,
        );
        let cases: Vec<Case> = vec![
            (
                &defaults,
                "/",
                vec![("apikey", "k1")],
                Kind::ApiKey,
                Place::Header("apikey".into()),
                vec![Plugin::KeyAuth],
                None,
            ),
            (
                &defaults,
                "/",
                vec![("API_KEY", "k1")],
                Kind::ApiKey,
                Place::Header("api_key".into()),
                vec![],
                Some(Miss::Name),
            ),
            (
                &key_only,
                "/",
                vec![("x-api-key", "k1")],
                Kind::ApiKey,
                Place::Header("x-api-key".into()),
                vec![],
                Some(Miss::Name),
            ),
            (
                &defaults,
                "/",
                vec![("authorization", &bearer)],
                Kind::Jwt,
                Place::Header("authorization".into()),
                vec![Plugin::Jwt, Plugin::Oauth2],
                None,
            ),
            (
                &jwt_only,
                "/",
                vec![("authorization", &upper)],
                Kind::Jwt,
                Place::Header("authorization".into()),
                vec![],
                Some(Miss::Scheme {
                    accepted: vec!["Bearer".into()],
                }),
            ),
            (
                &jwt_only,
                "/",
                vec![("authorization", &bare)],
                Kind::Jwt,
                Place::Header("authorization".into()),
                vec![],
                Some(Miss::Scheme {
                    accepted: vec!["Bearer".into()],
                }),
            ),
            (
                &defaults,
                "/",
                vec![("authorization", "Basic dTpw")],
                Kind::Basic,
                Place::Header("authorization".into()),
                vec![Plugin::BasicAuth],
                None,
            ),
            (
                &key_only,
                "/",
                vec![("authorization", "Basic dTpw")],
                Kind::Basic,
                Place::Header("authorization".into()),
                vec![],
                Some(Miss::Name),
            ),
            (
                &jwt_only,
                &query,
                vec![],
                Kind::Jwt,
                Place::Query("jwt".into()),
                vec![Plugin::Jwt],
                None,
            ),
            (
                &key_no_query,
                "/x?apikey=k1",
                vec![],
                Kind::ApiKey,
                Place::Query("apikey".into()),
                vec![],
                Some(Miss::Location {
                    plugin: Plugin::KeyAuth,
                    why: "key_in_query is false",
                }),
            ),
            (
                &key_only,
                "/x?api_key=k1",
                vec![],
                Kind::ApiKey,
                Place::Query("api_key".into()),
                vec![],
                Some(Miss::Name),
            ),
            (
                &jwt_only,
                "/",
                vec![("cookie", &session)],
                Kind::Jwt,
                Place::Cookie("session".into()),
                vec![],
                Some(Miss::Location {
                    plugin: Plugin::Jwt,
                    why: "the cookie is not in jwt's cookie_names",
                }),
            ),
            (
                &key_only,
                "/",
                vec![("x-access-token", &bearer)],
                Kind::Jwt,
                Place::Header("x-access-token".into()),
                vec![],
                Some(Miss::Name),
            ),
        ];
        for (i, (cfg, path, headers, kind, place, readers, miss)) in cases.into_iter().enumerate() {
            let r = request(path, &headers);
            let found = find(&r, &cfg.auth);
            assert_eq!(found.len(), 1, "case {i}: {found:?}");
            let f = &found[0];
            assert_eq!(
                (f.kind, &f.place, &f.readers.to_vec(), &f.miss),
                (kind, &place, &readers, &miss),
                "case {i}"
            );
        }
    }

    /// ldap-auth reads both authorization headers under its own scheme; the session plugin its
    /// cookie, whatever the value looks like.
    #[test]
    fn ldap_auth_and_session() {
        let ldap = config(r#"{"auth":{"ldap_auth":{}}}"#);
        let corp = config(r#"{"auth":{"ldap_auth":{"header_type":"Corp"}},"mode":"edge"}"#);
        let both =
            config(r#"{"auth":{"ldap_auth":{},"basic_auth":{},"session":{"cookie_name":"sid"}}}"#);
        let ldap_scheme = || {
            Some(Miss::Scheme {
                accepted: vec!["ldap".into()],
            })
        };
        // (config, header, value, kind, readers, miss)
        type Case<'a> = (
            &'a Config,
            &'a str,
            &'a str,
            Kind,
            Vec<Plugin>,
            Option<Miss>,
        );
        let cases: Vec<Case> = vec![
            (
                &ldap,
                "authorization",
                "ldap dTpw",
                Kind::Ldap,
                vec![Plugin::LdapAuth],
                None,
            ),
            (
                &ldap,
                "authorization",
                " \tLdAp  dTpw",
                Kind::Ldap,
                vec![Plugin::LdapAuth],
                None,
            ),
            (
                &ldap,
                "proxy-authorization",
                "LDAP dTpw",
                Kind::Ldap,
                vec![Plugin::LdapAuth],
                None,
            ),
            (
                &ldap,
                "authorization",
                "ldap",
                Kind::Ldap,
                vec![Plugin::LdapAuth],
                None,
            ),
            (
                &ldap,
                "authorization",
                "Basic dTpw",
                Kind::Basic,
                vec![],
                ldap_scheme(),
            ),
            (
                &ldap,
                "authorization",
                "ldapx dTpw",
                Kind::Opaque,
                vec![],
                ldap_scheme(),
            ),
            (
                &corp,
                "authorization",
                "corp dTpw",
                Kind::Ldap,
                vec![Plugin::LdapAuth],
                None,
            ),
            (
                &corp,
                "authorization",
                "corp",
                Kind::Ldap,
                vec![Plugin::LdapAuth],
                None,
            ),
            (
                &corp,
                "authorization",
                "ldap dTpw",
                Kind::Ldap,
                vec![],
                Some(Miss::Scheme {
                    accepted: vec!["Corp".into()],
                }),
            ),
            (
                &both,
                "authorization",
                "Basic dTpw",
                Kind::Basic,
                vec![Plugin::BasicAuth],
                None,
            ),
            (
                &both,
                "authorization",
                "ldap dTpw",
                Kind::Ldap,
                vec![Plugin::LdapAuth],
                None,
            ),
            (
                &both,
                "cookie",
                "sid=x1",
                Kind::Session,
                vec![Plugin::Session],
                None,
            ),
            (&both, "cookie", "Sid=x1", Kind::ApiKey, vec![], None),
        ];
        for (i, (cfg, name, value, kind, readers, miss)) in cases.into_iter().enumerate() {
            let r = request("/", &[(name, value)]);
            let found = find(&r, &cfg.auth);
            if name == "cookie" && readers.is_empty() {
                assert!(found.is_empty(), "case {i}: {found:?}");
                continue;
            }
            assert_eq!(found.len(), 1, "case {i}: {found:?}");
            let f = &found[0];
            assert_eq!(
                (f.kind, &f.readers.to_vec(), &f.miss),
                (kind, &readers, &miss),
                "case {i}"
            );
        }
    }

    #[test]
    fn credential_names_are_listed_at_their_length() {
        let mut count = 0;
        for (len, names) in CREDENTIAL_NAMES.iter().enumerate() {
            for name in *names {
                assert_eq!(name.len(), len, "{}", String::from_utf8_lossy(name));
                assert!(is_credential_squashed(name));
                count += 1;
            }
        }
        assert_eq!(count, 27);
        for other in [&b"keys"[..], b"ke", b"", b"xauthorizations", b"bearel"] {
            assert!(!is_credential_squashed(other));
        }
    }

    /// The name test as it was before the prefilter: every letter and digit squashed (up to 32),
    /// then looked up among the names of its length.
    fn reference_is_credential_name(name: &str) -> bool {
        let squashed: Vec<u8> = name
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| b.to_ascii_lowercase())
            .collect();
        squashed.len() <= 32 && is_credential_squashed(&squashed)
    }

    /// The names by first two letters are the names by length: each listed once, under its own
    /// first two letters, and none more.
    #[test]
    fn names_by_prefix_are_the_names_by_length() {
        let mut by_length: Vec<&[u8]> = CREDENTIAL_NAMES
            .iter()
            .flat_map(|s| s.iter().copied())
            .collect();
        let squashed_bytes: Vec<u8> = (b'a'..=b'z').chain(b'0'..=b'9').collect();
        let mut by_prefix: Vec<&[u8]> = Vec::new();
        for &a in &squashed_bytes {
            for &b in &squashed_bytes {
                for listed in credential_names(a, b) {
                    assert_eq!(listed.get(..2), Some(&[a, b][..]), "{listed:?}");
                    by_prefix.push(listed);
                }
            }
        }
        by_length.sort();
        by_prefix.sort();
        assert_eq!(by_prefix, by_length);
        assert_eq!(by_prefix.len(), 27);
        for name in &by_length {
            assert!(is_credential_name(std::str::from_utf8(name).unwrap()));
        }
        // The old lookup capped names at this length; exact matches never exceed it.
        assert_eq!(CREDENTIAL_NAMES.len() - 1, b"xauthorization".len());
    }

    /// Every spelling the old squash-and-compare accepted is accepted, and nothing else: the two
    /// compared on each listed name in many spellings, odd names, and 60,000 generated ones.
    #[test]
    fn credential_names_as_before() {
        let mut names: Vec<String> = [
            "X_API-KEY",
            "Api-Key",
            "api_key",
            "API__KEY",
            "x-api-key",
            "X-Auth-Token",
            "x-access-token",
            "Authorization",
            "AUTHORISATION",
            "proxy-authorization",
            "x-csrf-token",
            "x-auth-diagnosis-token",
            "-apikey",
            "_token",
            "k-e-y",
            "ke",
            "keys",
            "x-authorizations",
            "api\u{e9}key",
            "\u{e9}apikey",
            "apikey\u{e9}",
            "\u{a0}token",
            "tok\u{2013}en",
            "api key",
            "api\tkey",
            "ID_TOKEN",
            "Id-Token",
            "session-token",
            "X-Session-Token",
            "xsessiontoken1",
            "0token",
            "token0",
            "",
            "-",
            "a",
            "x",
            "xx",
            "user-agent",
            "accept",
            "accept-encoding",
            "accept-language",
            "x-request-id",
            "traceparent",
            "x-forwarded-for",
            "x-forwarded-proto",
            "cache-control",
            "cookie",
            "BIGipServerpool_orders",
            "session",
            "jwt",
            "JWT",
            "x-jwt",
            "bearer",
            "secret",
            "x-secret",
            "x-id-token",
            "x-api-auth",
            "x-api-token",
            "auth-token",
            "x-auth-token",
            "access_token",
            "x-access_token",
            "x-authorization",
        ]
        .iter()
        .map(|n| n.to_string())
        .collect();
        names.push(format!("x-{}", "a".repeat(62)));
        names.push(format!("{}-token", "-".repeat(70)));
        names.push(format!("api{}key", "_".repeat(64)));
        names.push(format!("apikey{}", "\u{e9}".repeat(40)));
        for listed in CREDENTIAL_NAMES.iter().flat_map(|same| same.iter()) {
            let listed = std::str::from_utf8(listed).unwrap();
            let spaced: String = listed.chars().flat_map(|c| [c, '-']).collect();
            let upper_odd: String = listed
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i % 2 == 1 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect();
            names.extend([
                listed.to_string(),
                listed.to_ascii_uppercase(),
                spaced,
                upper_odd,
                format!("_{listed}_"),
                format!("{listed}s"),
                format!("x{listed}"),
                format!("\u{e9}{listed}"),
                listed.get(1..).unwrap_or_default().to_string(),
                listed
                    .get(..listed.len() - 1)
                    .unwrap_or_default()
                    .to_string(),
            ]);
        }
        // Names glued from pieces of the listed ones, so that many are near hits and some hits.
        let pieces = [
            "x",
            "-",
            "_",
            "api",
            "Api",
            "KEY",
            "key",
            "auth",
            "Auth",
            "token",
            "access",
            "session",
            "id",
            "jwt",
            "bearer",
            "secret",
            "orization",
            "orisation",
            "ac",
            "ce",
            "\u{e9}",
            "0",
            "s",
            " ",
            "X",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap()
        };
        for _ in 0..60_000 {
            let count = 1 + next() % 5;
            let name: String = (0..count).map(|_| pieces[next() % pieces.len()]).collect();
            names.push(name);
        }
        let mut accepted = 0;
        for name in &names {
            let old = reference_is_credential_name(name);
            assert_eq!(is_credential_name(name), old, "{name:?}");
            accepted += usize::from(old);
        }
        // Both answers are well represented: the comparison is not of two constant functions.
        assert!(accepted > 1_000, "{accepted} of {}", names.len());
        assert!(names.len() - accepted > 10_000);
        for yes in [
            "X_API-KEY",
            "Api-Key",
            "api\u{e9}key",
            "x-access_token",
            "ID_TOKEN",
        ] {
            assert!(is_credential_name(yes), "{yes}");
        }
        for no in [
            "user-agent",
            "accept-encoding",
            "keys",
            "x-authorizations",
            "",
        ] {
            assert!(!is_credential_name(no), "{no}");
        }
    }

    /// [`find`] as it was before [`Configured`] passed most names over: every header compared
    /// with every configured name. The oracle of `find_as_before`.
    fn reference_find<'a>(
        request: &'a Request,
        cookies: &[Param<'a>],
        auth: &Auth,
    ) -> Vec<Found<'a>> {
        let is_near_miss =
            |name: &str| is_credential_name(name) || is_squashed_key_name(name, auth);
        let mut out = Vec::new();
        for (index, header) in request.headers.iter().enumerate() {
            let name: &'a str = header.name;
            let value: &'a [u8] = header.value;
            if is_not_credential(name) {
                continue;
            }
            if is_authorization_header(name, auth) {
                let mut found = authorization(name, value, auth);
                past_kong_limit(&mut found, index);
                out.push(found);
            } else if let Some(found) = key_header(name, value, auth) {
                let mut found = found;
                past_kong_limit(&mut found, index);
                out.push(found);
            } else if is_near_miss(name) || may_be_jwt(value) && looks_like_jwt(strip_bearer(value))
            {
                out.push(Found {
                    kind: shape(strip_bearer(value)),
                    place: Place::Header(Cow::Borrowed(name)),
                    scheme: None,
                    value: Cow::Borrowed(strip_bearer(value)),
                    readers: Readers::NONE,
                    miss: Some(Miss::Name),
                    dots: None,
                });
            }
        }
        for param in request.query_params() {
            if let Some(found) = query_param(param.name, param.value, auth) {
                out.push(found);
            }
        }
        for cookie in cookies {
            if let Some(found) = cookie_credential(&cookie.name, &cookie.value, auth) {
                out.push(found);
            }
        }
        out
    }

    /// The search finds what it found before the names were prefiltered: the two compared on
    /// generated requests (names glued from credential-like pieces, configured names in other
    /// spellings, JWT-like and plain values) under configs that name headers of their own.
    #[test]
    fn find_as_before() {
        let configs: Vec<Config> = [
            "{}",
            r#"{"auth":{"key_auth":{}}}"#,
            r#"{"auth":{"key_auth":{"key_names":["X_Api_Key","k","-","tok-en"]}}}"#,
            r#"{"auth":{"key_auth":{"key_names":["My_Client_Id","zonepass"]}}}"#,
            r#"{"auth":{"key_auth":{"key_names":["Zone-Pass","a","my-client-id","q9"]}}}"#,
            r#"{"auth":{"key_auth":{"key_names":["a","b","c","d","apikey","X-Key"],"key_in_header":false}}}"#,
            r#"{"auth":{"key_auth":{"key_names":["__"]},"jwt":{"header_names":["X_My_Auth","token"]}}}"#,
            r#"{"auth":{"oauth2":{"auth_header_name":"X_OAuth_Token"},"basic_auth":{}}}"#,
            r#"{"auth":{"jwt":{"header_names":["proxy_authorization","a-very-long-header-name-that-goes-past-sixty-three-bytes-in-length-x"]}}}"#,
            r#"{"auth":{"ldap_auth":{"header_type":"Corp"},"hmac_auth":{}}}"#,
        ]
        .iter()
        .map(|c| config(c))
        .collect();
        let pieces = [
            "x",
            "-",
            "_",
            "api",
            "Api",
            "KEY",
            "key",
            "auth",
            "Auth",
            "token",
            "access",
            "id",
            "jwt",
            "my",
            "oauth",
            "orization",
            "proxy",
            "k",
            "en",
            "tok",
            "ce",
            "pt",
            "\u{e9}",
            "0",
            "s",
            "a",
            "b",
            "user",
            "agent",
            "a-very-long-header-name-that-goes-past-sixty-",
            "three-bytes-in-length-x",
        ];
        let bearer = format!("Bearer {JWT}");
        let values = [
            "k1",
            JWT,
            bearer.as_str(),
            "Basic dTpw",
            " \teyJ",
            "Corp dTpw",
            "hmac username=\"u\", signature=\"c2ln\"",
            "",
            "  ",
            "bearer",
            "eyJhbGciOiJIUzI1NiJ9.e30.",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap()
        };
        // Whole names too: every listed name, bare and behind `x-`, `x_`, `-`, and the usual
        // headers, so that near hits and hits are common rather than rare.
        let mut whole: Vec<String> = CREDENTIAL_NAMES
            .iter()
            .flat_map(|same| same.iter())
            .flat_map(|listed| {
                let listed = std::str::from_utf8(listed).unwrap();
                [
                    listed.to_string(),
                    format!("x-{listed}"),
                    format!("x_{listed}"),
                    format!("-{listed}"),
                    format!("{listed}-"),
                ]
            })
            .collect();
        whole.extend(
            [
                "x-api-key",
                "x_api_key",
                "api-key",
                "x-auth-token",
                "x-access-token",
                "x-token",
                "user-agent",
                "accept",
                "accept-encoding",
                "x-request-id",
                "x-forwarded-for",
                "x-csrf-token",
                "x-auth-diagnosis-token",
                "authorization",
                "proxy-authorization",
                "x-my-auth",
                "x_oauth_token",
                "tok-en",
                "x--api--key",
                "a",
                "k",
                "x",
                "x-",
                "my-client-id",
                "my_client_id",
                "myclientid",
                "zone-pass",
                "zonepass",
                "zone_pass",
                "q9",
                "q-9",
                "-q9",
                "zo",
                "my",
            ]
            .map(String::from),
        );
        let mut found = 0;
        for round in 0..3_000 {
            let count = next() % 8;
            let mut headers: Vec<(String, String)> = (0..count)
                .map(|_| {
                    let name: String = if next() % 2 == 0 {
                        whole[next() % whole.len()].clone()
                    } else {
                        let parts = 1 + next() % 4;
                        (0..parts).map(|_| pieces[next() % pieces.len()]).collect()
                    };
                    (name, values[next() % values.len()].to_string())
                })
                .collect();
            if round % 3 == 0 {
                headers.push(("cookie".into(), format!("api_key=1; jwt={JWT}; x=y")));
            }
            let pairs: Vec<(&str, &str)> = headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let r = request("/x?api-key=1&access_token=t", &pairs);
            let cookies = r.cookies();
            for cfg in &configs {
                let got = find(&r, &cfg.auth);
                assert_eq!(got, reference_find(&r, &cookies, &cfg.auth), "{pairs:?}");
                found += got.len();
            }
        }
        // Not two functions that find nothing.
        assert!(found > 10_000, "{found}");
    }

    /// The plugins reading a header, in plain code, are the ones the iterator named, in its
    /// order, for headers read by one plugin, several or none, under configs that name headers.
    #[test]
    fn header_plugins_as_iterated() {
        let configs = [
            "{}",
            r#"{"auth":{"openid_connect":{},"oauth2":{},"jwt":{}}}"#,
            r#"{"auth":{"jwt":{"header_names":["x_jwt","authorization"]},"oauth2":{"auth_header_name":"X-Token"}}}"#,
            r#"{"auth":{"ldap_auth":{"header_type":"corp"},"basic_auth":{}}}"#,
            r#"{"auth":{"hmac_auth":{},"oauth2":{"auth_header_name":"proxy-authorization"}}}"#,
            r#"{"auth":{"key_auth":{}}}"#,
        ];
        let mut read = 0;
        for c in configs {
            let auth = config(c).auth;
            for name in [
                "authorization",
                "proxy-authorization",
                "x-jwt",
                "x_jwt",
                "x-token",
                "apikey",
                "accept",
            ] {
                let want: Vec<Plugin> = header_plugins_iterated(name, &auth).collect();
                assert_eq!(&*header_plugins(name, &auth), want.as_slice(), "{c} {name}");
                read += want.len();
            }
        }
        assert!(read > 20, "{read}");
    }

    /// Every value `looks_like_jwt(strip_bearer(_))` takes passes the first-byte test.
    #[test]
    fn may_be_jwt_lets_every_jwt_through() {
        let mut jwts = 0;
        for lead in ["", " ", "\t ", "\x0b"] {
            for scheme in [
                "", "Bearer ", "bearer  ", "BEARER ", "bEARER ", "BEARER\t", "Token ", "b", "e",
            ] {
                for token in [
                    JWT,
                    "eyJhbGciOiJIUzI1NiJ9.e30.",
                    "eyJ.a.b",
                    "eyJhbGciOi.x",
                    "eyJ",
                    "abc.def.ghi",
                    "",
                    " ",
                ] {
                    let value = format!("{lead}{scheme}{token} ");
                    let looks = looks_like_jwt(strip_bearer(value.as_bytes()));
                    assert!(!looks || may_be_jwt(value.as_bytes()), "{value:?}");
                    jwts += usize::from(looks);
                }
            }
        }
        assert!(jwts > 10);
        assert!(!may_be_jwt(b"  gzip, deflate"));
        assert!(!may_be_jwt(b""));
    }

    #[test]
    fn not_credentials_by_length() {
        for name in NOT_CREDENTIALS {
            assert!(is_not_credential(name), "{name}");
        }
        for name in ["x-request-id", "x-csrf-tokens", "", &"x".repeat(40)] {
            assert!(!is_not_credential(name), "{name}");
        }
    }

    #[test]
    fn nothing_credential_like() {
        let r = request(
            "/orders?id=7&page=2",
            &[
                ("accept", "*/*"),
                ("cookie", "BIGipServerpool=1.2.3; lang=en"),
                ("x-auth-diagnosis-token", "t0ken-value"),
            ],
        );
        assert!(find(&r, &config("{}").auth).is_empty());
    }

    #[test]
    fn hmac_secret_is_the_signature() {
        assert_eq!(
            signature(
                br#"username="a", algorithm="hmac-sha256", headers="date", signature="c2ln==""#
            ),
            b"c2ln=="
        );
        assert_eq!(signature(b"no signature here"), b"no signature here");
        assert_eq!(signature(b"signature=abc, x=1"), b"abc");
    }

    #[test]
    fn credential_value_excludes_scheme() {
        let r = request("/", &[("authorization", "  Bearer   abc.def  ")]);
        let found = find(&r, &config("{}").auth);
        assert_eq!(&*found[0].value, b"abc.def");
        assert_eq!(found[0].scheme.as_deref(), Some("Bearer"));
    }
}
