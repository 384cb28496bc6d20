//! The decision: from the request (and the response, when there is one) to the ordered list of
//! diagnoses. Pure: everything it needs arrives as plain data.

use crate::bounds::{MAX_DIAGNOSES, MAX_HEADERS, MAX_SENTENCE_BYTES};
use crate::decide::config::{Auth, Config, Mode};
use crate::decide::credential::{self, Found, Kind, Miss, Place};
use crate::decide::judge;
use crate::decide::lent::Lent;
use crate::diagnosis::{At, Code, Diagnosis, Plugin};
use crate::output::fingerprint::{self, Fingerprint};
use crate::output::redact::{scrub, Room, Secrets};
use crate::parse::challenge;
use crate::parse::forwarding::{
    self, Hop, Scan, ANY_TRUSTED_ONLY, CONSUMER, KONG_TRUSTED_ONLY, TRUSTED_ONLY,
};
use crate::parse::request::{Answerer, Request, Response};
use crate::parse::text::{printable, printable_bytes, same_bytes};
use std::borrow::Cow;

/// Everything the decision looks at.
pub struct Input<'a> {
    /// Checked config.
    pub config: &'a Config,
    /// The request as Kong sees it.
    pub request: &'a Request,
    /// The response being annotated; `None` when enforce decides before the upstream.
    pub response: Option<&'a Response>,
    /// Host clock, unix seconds.
    pub now: i64,
    /// Kong's auth fell back to the anonymous consumer.
    pub anonymous: bool,
    /// The sentences that will be written; the others are dropped unread.
    pub sentences: Sentences,
}

/// Which sentences are written for this request. The rest are dropped instead of cleaned:
/// redacting a sentence costs more than building it, and a flood of 401s needs only codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sentences {
    /// Every detail and hint: the client is shown the full diagnosis.
    All,
    /// The first detail, for the log line, and the credential's fingerprint.
    LogLine,
    /// None: only codes are written (a summary, the log line held back).
    None,
}

impl Sentences {
    /// Whether the detail of a diagnosis with `code`, found after `out`, may be written. The log
    /// line writes the first detail after ordering by code, and a diagnosis found after one of a
    /// lower or equal code is never first (equal codes keep the first found).
    fn detail(self, out: &[Diagnosis], code: Code) -> bool {
        match self {
            Sentences::All => true,
            Sentences::LogLine => out.iter().all(|d| d.code > code),
            Sentences::None => false,
        }
    }

    /// Whether hints are written: only with every sentence.
    fn hints(self) -> bool {
        self == Sentences::All
    }
}

/// `sentence()` when it will be written, else nothing: a sentence dropped unread is not built
/// (core::fmt and the allocations cost more than the decision itself in wasm).
fn built(written: bool, sentence: impl FnOnce() -> String) -> String {
    if written {
        sentence()
    } else {
        String::new()
    }
}

/// The decision.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Diagnoses, most likely first; never empty.
    pub diagnoses: Vec<Diagnosis>,
    /// The credential the diagnosis is about, described by kind, length and hash prefix.
    pub credential: Option<Fingerprint>,
}

/// Whether the request is a CORS preflight.
pub(super) fn is_preflight(request: &Request) -> bool {
    request.method.eq_ignore_ascii_case("OPTIONS")
        && request.headers.has("origin")
        && request.headers.has("access-control-request-method")
}

/// The lists a decision fills, lent by the caller from one 401 to the next: a list allocated
/// and freed costs ~400 wasm instructions, on every 401. The decision empties them itself, and
/// never grows them (the caller keeps them as the blocks it allocated).
#[derive(Debug, Default)]
pub struct Lists {
    /// For the diagnoses: the verdict's, which the caller gives back once it is written; here
    /// again, empty, when the diagnoses outgrew it (`Lent`).
    pub diagnoses: Vec<Diagnosis>,
    /// For the credentials found: back here, empty, after each decision. Room for
    /// `MAX_CREDENTIALS`, it never has to grow.
    pub credentials: Vec<Found<'static>>,
}

/// An empty list's block, for credentials of another lifetime: std collects in place (same
/// size and alignment), so the block is kept, not freed and allocated again.
// A `filter` cannot change the lifetime: clippy's suggestion does not apply.
#[allow(clippy::unnecessary_filter_map)]
fn relent<'x, 'y>(mut list: Vec<Found<'x>>) -> Vec<Found<'y>> {
    list.clear();
    list.into_iter().filter_map(|_| None).collect()
}

/// Decides, with lists of its own.
#[cfg(test)]
pub fn diagnose(input: &Input<'_>) -> Verdict {
    diagnose_in(input, &mut Lists::default())
}

/// Decides, filling the lists `lists` lends.
pub fn diagnose_in(input: &Input<'_>, lists: &mut Lists) -> Verdict {
    let Input {
        config,
        request,
        response,
        now,
        anonymous,
        sentences,
    } = *input;
    // Both the credential search and the hop marks read the cookies: parsed once, by the search.
    let mut cookies = Vec::new();
    let mut scan = Scan::default();
    let mut found = relent(std::mem::take(&mut lists.credentials));
    credential::find_noting(request, &config.auth, &mut scan, &mut cookies, &mut found);
    // Only a request with no credential, or one nothing explains, is about its intermediaries.
    let hops = || {
        let mut hops = forwarding::hops(request, &cookies, &scan);
        if let Some(r) = response {
            forwarding::response_hops(&r.headers, &mut hops);
        }
        hops
    };
    let who = response.map(|r| r.who(config.mode != Mode::Observe));
    let answerer = match who.as_ref().map_or(Answerer::Kong, |w| w.answerer) {
        // ldap-auth's challenge is Kong's own: no upstream challenges with an LDAP scheme. Not in
        // observe mode, where Kong's own 401s never reach the filter.
        Answerer::Unknown
            if config.mode != Mode::Observe
                && response.is_some_and(|r| {
                    challenge::from_ldap_auth(
                        r,
                        config
                            .auth
                            .ldap_auth
                            .as_ref()
                            .map(Auth::ldap_challenge_scheme),
                    )
                }) =>
        {
            Answerer::Kong
        }
        known => known,
    };
    let challenger = who.as_ref().and_then(|w| w.plugin);
    // `auth` names no plugin: Kong does no auth on the route, whatever the upstream asks for.
    let no_kong_auth = route_plugins(&config.auth).iter().all(Option::is_none);
    let from_upstream = answerer == Answerer::Upstream
        || (answerer == Answerer::Unknown && config.mode == Mode::Observe);
    let kong_answered = answerer == Answerer::Kong || anonymous;
    // Rendered only for the details that name it.
    let observed = answerer == Answerer::Unknown && from_upstream;
    let sign = || match &who {
        None => "Kong (no response: enforce answers itself)".to_string(),
        // Kong's own auth 401s never reach an observe filter: what it sees was proxied.
        Some(w) if observed => format!(
            "{}; in observe mode that is the upstream",
            w.sign.describe()
        ),
        Some(w) => w.sign.describe(),
    };
    let mut out = Lent::new(std::mem::take(&mut lists.diagnoses));

    if is_preflight(request) {
        // Kong's own preflight 401 comes from run_on_preflight; an upstream's is the upstream's.
        let (at, hint) = if from_upstream {
            (At::Upstream, "the upstream refused a preflight: let it answer OPTIONS without auth, or put Kong's cors plugin on the route")
        } else {
            (At::Kong, "set run_on_preflight=false on the route's auth plugin, or put the cors plugin on the route")
        };
        out.push(
            Diagnosis::new(
                Code::PreflightRejected,
                format!(
                    "a CORS preflight (OPTIONS {} from an Origin with Access-Control-Request-Method) got the {}; browsers never send credentials on a preflight",
                    printable(path_only(request.path()), 80),
                    response.map_or(401, |r| r.status)
                ),
                hint,
            )
            .at(at),
        );
    } else if no_kong_auth && from_upstream && response.is_some() {
        // Kong judged nothing: the upstream's challenge leads, and the credential's own shape
        // (an expired JWT, a placeholder) is what the upstream saw.
        for f in found.iter() {
            judge::judge_into(f, request, config, now, false, &mut out);
        }
        if let Some(d) = upstream_rejected(response, &found, &sign, true, sentences, &out) {
            out.push(d);
        }
    } else if found.is_empty() {
        out.push(missing(
            request,
            &scan,
            config,
            &hops(),
            from_upstream,
            sentences,
        ));
    } else {
        judge_found(
            &found,
            request,
            config,
            now,
            kong_answered,
            from_upstream,
            &mut out,
        );
        if from_upstream && response.is_some() {
            if let Some(d) = upstream_rejected(response, &found, &sign, false, sentences, &out) {
                out.push(d);
            }
        }
        // Only a refusal known to be Kong's own says the consumer is probably missing.
        if out.is_empty() && kong_answered {
            if let Some(d) = not_recognized(&found, &sign, challenger) {
                out.push(d);
            }
        }
        if kong_answered {
            session_refused(&found, config, anonymous, &mut out);
        }
    }
    context(config, request, &scan, sentences, &mut out);
    if anonymous {
        out.push(
            Diagnosis::new(
                Code::AnonymousConsumer,
                "Kong's auth plugins did not authenticate the request and fell back to the anonymous consumer",
                "fix the cause listed first; the route answers 401 to the anonymous consumer",
            )
            .at(At::Client),
        );
    }
    if out.is_empty() {
        out.push(unknown(&found, &hops(), response, &sign));
    }
    order_by_code(&mut out);
    out.dedup_by_key(|d| d.code);
    out.truncate(MAX_DIAGNOSES);
    // One credential (the usual 401 that carries one) is listed on the stack: a list of its own
    // is an allocation.
    let one: [&[u8]; 1];
    let many: Vec<&[u8]>;
    let credentials: &[&[u8]] = match &*found {
        [f] => {
            one = [f.value.as_ref()];
            &one
        }
        _ => {
            many = found.iter().map(|f| f.value.as_ref()).collect();
            &many
        }
    };
    // Without a credential there is nothing to redact: no index is built, and the room its
    // filter is built in (see `Room`) is not even made.
    let mut room;
    let secrets = if sentences != Sentences::None && !credentials.is_empty() {
        room = Room::default();
        Some(Secrets::new(credentials, &mut room))
    } else {
        None
    };
    for (i, d) in out.iter_mut().enumerate() {
        let detail = sentences == Sentences::All || (i == 0 && sentences == Sentences::LogLine);
        if detail {
            clean(&mut d.detail, secrets.as_ref());
        } else {
            d.detail.clear();
        }
        if sentences == Sentences::All {
            clean(d.hint.to_mut(), secrets.as_ref());
        } else {
            // A hint built only when shown is empty already: nothing to drop.
            if !d.hint.is_empty() {
                d.hint = Cow::Borrowed("");
            }
        }
    }
    let primary = found
        .iter()
        .find(|f| !f.readers.is_empty())
        .or(found.first());
    let credential = primary
        .filter(|_| sentences != Sentences::None)
        .map(|f| fingerprint::of(f.kind.as_str(), &f.value));
    lists.credentials = relent(found);
    let (diagnoses, aside) = out.into_parts();
    // The lent block, when the diagnoses outgrew it, goes back here; otherwise the verdict
    // carries it, and the caller gives it back.
    if aside.capacity() > 0 {
        lists.diagnoses = aside;
    }
    Verdict {
        diagnoses,
        credential,
    }
}

/// Makes a sentence safe to print: no credential piece (`secrets` is `None` when the request
/// carried no credential), printable ASCII, at most [`MAX_SENTENCE_BYTES`]. Left as it is (no
/// copy) when it already is.
fn clean(sentence: &mut String, secrets: Option<&Secrets>) {
    let scrubbed = match secrets {
        Some(secrets) => scrub(sentence, secrets),
        None => Cow::Borrowed(sentence.as_str()),
    };
    let cleaned = match scrubbed {
        Cow::Borrowed(text) => match printable(text, MAX_SENTENCE_BYTES) {
            Cow::Borrowed(_) => return,
            Cow::Owned(text) => text,
        },
        Cow::Owned(text) => printable(&text, MAX_SENTENCE_BYTES).into_owned(),
    };
    *sentence = cleaned;
}

/// Sorts by code, keeping equal codes in the order they were found: an insertion sort, since there
/// are only a handful (and the library's sorts cost kilobytes of `.wasm`).
fn order_by_code(out: &mut [Diagnosis]) {
    for i in 1..out.len() {
        let mut j = i;
        while j > 0 && matches!((out.get(j - 1), out.get(j)), (Some(a), Some(b)) if a.code > b.code)
        {
            out.swap(j - 1, j);
            j -= 1;
        }
    }
}

fn path_only(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

/// The route's auth plugins, one slot per plugin.
fn route_plugins(auth: &Auth) -> [Option<Plugin>; 7] {
    [
        auth.key_auth.as_ref().map(|_| Plugin::KeyAuth),
        auth.jwt.as_ref().map(|_| Plugin::Jwt),
        auth.basic_auth.then_some(Plugin::BasicAuth),
        auth.hmac_auth.as_ref().map(|_| Plugin::HmacAuth),
        auth.oauth2.as_ref().map(|_| Plugin::Oauth2),
        auth.openid_connect.then_some(Plugin::OpenidConnect),
        auth.ldap_auth.as_ref().map(|_| Plugin::LdapAuth),
        // session is left out: it never answers 401, the plugin behind it does.
    ]
}

/// The route's one auth plugin, when it has exactly one. A plain loop: a `flatten` iterator's
/// `next` is a call with its state in memory at opt-level z (~300 wasm instructions a 401).
fn only_plugin(auth: &Auth) -> Option<Plugin> {
    let mut only = None;
    for plugin in route_plugins(auth) {
        if plugin.is_some() {
            if only.is_some() {
                return None;
            }
            only = plugin;
        }
    }
    only
}

/// [`only_plugin`] as it was: the oracle of its test.
#[cfg(test)]
fn only_plugin_flattened(auth: &Auth) -> Option<Plugin> {
    let mut on = route_plugins(auth).into_iter().flatten();
    match (on.next(), on.next()) {
        (Some(p), None) => Some(p),
        _ => None,
    }
}

/// Whether Kong authenticated a consumer: `X-Consumer-Id` or `X-Consumer-Username` present,
/// the first `X-Anonymous-Consumer` not `true`. Read from the scan of the headers the credential
/// search made (three look-ups were three passes, each a loop over every header).
fn is_consumer(scan: &Scan<'_>) -> bool {
    let anonymous = scan.anonymous.is_some_and(|v| {
        std::str::from_utf8(v).is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"))
    });
    scan.seen & CONSUMER != 0 && !anonymous
}

/// [`is_consumer`] as it was: the oracle of its tests.
#[cfg(test)]
fn is_consumer_lookups(request: &Request) -> bool {
    let anonymous = request
        .headers
        .text("x-anonymous-consumer")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    !anonymous
        && (request.headers.has("x-consumer-id") || request.headers.has("x-consumer-username"))
}

fn missing(
    request: &Request,
    scan: &Scan<'_>,
    config: &Config,
    hops: &[Hop],
    from_upstream: bool,
    sentences: Sentences,
) -> Diagnosis {
    let places = config.places.as_str();
    let plugin = only_plugin(&config.auth);
    if from_upstream && is_consumer(scan) {
        let who = request
            .headers
            .first("x-consumer-username")
            .or(request.headers.first("x-consumer-id"))
            .map(|v| printable_bytes(v, 60))
            .unwrap_or_default();
        return Diagnosis::new(
            Code::CredentialsHidden,
            format!("Kong authenticated consumer {who} and forwarded no credential (hide_credentials removed it), but the upstream answered 401 and still wants one"),
            "set hide_credentials=false on the route's auth plugin, or make the upstream trust Kong's X-Consumer-* headers",
        )
        .maybe_plugin(plugin)
        .at(At::Kong);
    }
    if let Some(first) = hops.first() {
        let detail = built(sentences.detail(&[], Code::StrippedByProxy), || {
            // Room for the usual one or two intermediaries: growing costs a copy and an
            // allocation.
            let mut detail = String::with_capacity(256);
            detail.push_str("no credential reached Kong in any header, query parameter or cookie; the request came through ");
            push_intermediaries(&mut detail, hops);
            detail
        });
        return Diagnosis::new(
            Code::StrippedByProxy,
            detail,
            built(sentences.hints(), || proxy_hint(first.what, places)),
        )
        .maybe_plugin(plugin)
        .at(At::Proxy);
    }
    let ignored = request.headers.ignored();
    let unread = match request.limit {
        Some(limit) => format!(" ({})", limit.clause()),
        None if ignored > 0 => {
            format!(
                " (the last {ignored} headers, past the first {MAX_HEADERS}, were not examined)"
            )
        }
        None => String::new(),
    };
    Diagnosis::new(
        Code::NoCredentials,
        format!("no credential in any place the route reads ({places}) nor anywhere else in the request{unread}"),
        built(sentences.hints(), || format!("send the credential: {places}")),
    )
    .maybe_plugin(plugin)
    .at(At::Client)
}

/// The first three intermediaries, each with every mark it left, in the order first seen:
/// "Amazon CloudFront (header x-amz-cf-id; Via: 2.0 abc.cloudfront.net (CloudFront)), a proxy
/// (...)". Written into `out` as found: no list of groups is built.
fn push_intermediaries(out: &mut String, hops: &[Hop]) {
    // Plain index loops: iterator adapters are calls each at opt-level z.
    let mut written = 0;
    let mut i = 0;
    while let Some(hop) = hops.get(i) {
        let mut seen_before = false;
        let mut k = 0;
        while let Some(h) = hops.get(k).filter(|_| k < i) {
            seen_before |= same_bytes(h.what.as_bytes(), hop.what.as_bytes());
            k += 1;
        }
        i += 1;
        if seen_before {
            continue;
        }
        if written == 3 {
            break;
        }
        if written > 0 {
            out.push_str(", ");
        }
        written += 1;
        out.push_str(hop.what);
        out.push_str(" (");
        let mut marks = 0;
        for h in hops.get(i - 1..).unwrap_or_default() {
            if same_bytes(h.what.as_bytes(), hop.what.as_bytes()) {
                if marks > 0 {
                    out.push_str("; ");
                }
                marks += 1;
                h.mark.push_to(out);
            }
        }
        out.push(')');
    }
}

/// The next step for a credential a proxy removed. Pushed, not `format!`ed (core::fmt costs
/// several times the copy in wasm), and not copied again when already printable.
fn proxy_hint(what: &str, places: &str) -> String {
    let fix = proxy_fix(what);
    let mut hint = String::with_capacity(fix.len() + 23 + places.len());
    hint.push_str(fix);
    hint.push_str("; the client must send ");
    hint.push_str(places);
    if let Cow::Owned(cut) = printable(&hint, 300) {
        return cut;
    }
    hint
}

/// [`proxy_hint`] as it was: the oracle of its tests.
#[cfg(test)]
fn proxy_hint_formatted(what: &str, places: &str) -> String {
    let fix = proxy_fix(what);
    printable(&format!("{fix}; the client must send {places}"), 300).into_owned()
}

/// What to change on the intermediary `what`.
fn proxy_fix(what: &str) -> &'static str {
    match what {
        "F5 BIG-IP" | "F5 BIG-IP ASM" => "make the BIG-IP virtual server forward Authorization and the key header (check HTTP profiles and iRules that remove headers)",
        "Amazon CloudFront" => "add Authorization (and the key header) to the CloudFront origin request policy: CloudFront does not forward it by default",
        "Azure Front Door" => "check the Front Door rule sets: a rule that deletes request headers removes the credential",
        "Cloudflare" => "check Cloudflare Transform Rules that remove request headers",
        "AWS load balancer" => "check the listener rules and whatever sits in front of the load balancer",
        _ => "make every proxy in front of Kong forward the Authorization header and the key header",
    }
}

fn judge_found(
    found: &[Found<'_>],
    request: &Request,
    config: &Config,
    now: i64,
    kong_answered: bool,
    from_upstream: bool,
    out: &mut Lent<Diagnosis>,
) {
    // The finds some plugin reads, then the others, each picked out as it is iterated: no list
    // of either is built.
    let is_read = |f: &&Found<'_>| !f.readers.is_empty();
    for f in found.iter().filter(is_read) {
        // A session cookie matters only when Kong refused: past Kong, something authenticated.
        if f.kind == Kind::Session && !kong_answered {
            continue;
        }
        judge::judge_into(f, request, config, now, kong_answered, out);
    }
    if let Some(d) = duplicates(found) {
        out.push(d);
    }
    // When Kong forwarded a credential it read and the upstream refused, credential-like
    // leftovers (an x-auth-token for another system, a token cookie) are not why.
    if from_upstream && found.iter().any(|f| is_read(&f)) {
        return;
    }
    let places = config.places.as_str();
    for f in found.iter().filter(|f| !is_read(f)) {
        let Some(miss) = &f.miss else { continue };
        if matches!(miss, Miss::Scheme { .. }) && other_authorization_read(f, found) {
            continue;
        }
        let what = f.kind.with_article();
        let where_ = f.place.describe();
        let len = f.value.len();
        let d = match miss {
            Miss::Scheme { accepted } => Diagnosis::new(
                Code::SchemeMismatch,
                format!(
                    "{where_} has {} ({what}, {len} bytes); the route accepts {}",
                    f.scheme.as_deref().map_or("no scheme".to_string(), |s| format!("scheme {}", printable(s, 20))),
                    accepted.join(", ")
                ),
                scheme_hint(f, accepted, config),
            )
            // A JWT under the wrong scheme is meant for the jwt plugin.
            .maybe_plugin(if f.kind == Kind::Jwt && config.auth.jwt.is_some() {
                Some(Plugin::Jwt)
            } else {
                only_plugin(&config.auth)
            }),
            Miss::Name => Diagnosis::new(
                Code::CredentialWrongName,
                format!("{what} ({len} bytes) in {where_}, a name the route does not read; it reads {places}"),
                format!("send it where the route reads it ({places}), or configure the plugin to read {}", printable(f.place.name(), 40)),
            )
            .maybe_plugin(only_plugin(&config.auth)),
            Miss::Location { plugin, why } => Diagnosis::new(
                Code::CredentialWrongLocation,
                format!("{what} ({len} bytes) in {where_}, where {} does not look ({why})", plugin.as_str()),
                format!("send it where the route reads it: {places}"),
            )
            .plugin(*plugin),
        };
        out.push(d.at(At::Client));
    }
}

/// basic-auth and ldap-auth try Proxy-Authorization, then Authorization: an unknown scheme in one
/// of the two (a corporate proxy's own credential) is no cause when the other one is read.
fn other_authorization_read(f: &Found<'_>, found: &[Found<'_>]) -> bool {
    let other = match f.place.name() {
        "authorization" => "proxy-authorization",
        "proxy-authorization" => "authorization",
        _ => return false,
    };
    found
        .iter()
        .any(|r| !r.readers.is_empty() && matches!(&r.place, Place::Header(name) if name == other))
}

/// The next step after a scheme mismatch; ldap-auth's scheme is one no HTTP client sends by
/// itself, so its hint says how to write the header.
fn scheme_hint(f: &Found<'_>, accepted: &[Cow<'static, str>], config: &Config) -> String {
    let header = printable(f.place.name(), 40);
    let first = accepted.first().map_or("Bearer", |s| s.as_ref());
    let ldap_only = config
        .auth
        .ldap_auth
        .as_ref()
        .is_some_and(|l| accepted.iter().all(|a| *a == l.header_type));
    match (ldap_only, f.kind) {
        (true, Kind::Basic) => format!(
            "ldap-auth reads {header}: {first} base64(username:password), not Basic (what curl -u sends): send -H \"{header}: {first} $(printf %s 'username:password' | base64)\", or set the plugin's header_type to basic"
        ),
        (true, _) => format!(
            "ldap-auth's header_type is {first}: send {header}: {first} base64(username:password)"
        ),
        (false, _) => format!("send {header}: {first} <credential>"),
    }
}

/// Kong's own duplicate rules: key-auth refuses one key name with two values in the same place
/// ("Duplicate API key found"; a key in a header and in the query is not a duplicate, the header
/// wins), jwt refuses two different tokens ("Multiple tokens provided"; the same token twice is
/// fine).
fn duplicates(found: &[Found<'_>]) -> Option<Diagnosis> {
    // Iterated again rather than collected: lists cost on every 401 that carries a credential.
    // Only finds key-auth or jwt reads count.
    let keys = || {
        found
            .iter()
            .filter(|f| f.readers.contains(&Plugin::KeyAuth))
    };
    if let Some(repeated) = keys().find(|f| keys().filter(|g| g.place == f.place).count() > 1) {
        return Some(
            Diagnosis::new(
                Code::DuplicateCredentials,
                format!(
                    "{} appears more than once (Kong: \"Duplicate API key found\")",
                    repeated.place.describe()
                ),
                "send the key once",
            )
            .plugin(Plugin::KeyAuth)
            .at(At::Client),
        );
    }
    let tokens = || found.iter().filter(|f| f.readers.contains(&Plugin::Jwt));
    let distinct = tokens()
        .enumerate()
        .filter(|&(i, f)| !tokens().take(i).any(|g| g.value == f.value))
        .count();
    if distinct > 1 {
        let places: Vec<String> = tokens().map(|f| f.place.describe()).collect();
        return Some(
            Diagnosis::new(
                Code::DuplicateCredentials,
                format!(
                    "{} different tokens for jwt in {} (Kong: \"Multiple tokens provided\")",
                    distinct,
                    places.join(" and ")
                ),
                "send one token, in one place",
            )
            .plugin(Plugin::Jwt)
            .at(At::Client),
        );
    }
    None
}

fn upstream_rejected(
    response: Option<&Response>,
    found: &[Found<'_>],
    sign: &dyn Fn() -> String,
    no_kong_auth: bool,
    sentences: Sentences,
    out: &[Diagnosis],
) -> Option<Diagnosis> {
    let response = response?;
    let (with_detail, with_hint) = (
        sentences.detail(out, Code::UpstreamRejected),
        sentences.hints(),
    );
    if !with_detail && !with_hint {
        // Only the code is written: the challenge is not even parsed.
        return Some(Diagnosis::new(Code::UpstreamRejected, "", "").at(At::Upstream));
    }
    // A loop, not `flat_map(..).collect()`: the flattening iterator costs 2 KB of `.wasm`.
    let mut challenges: Vec<challenge::Challenge> = Vec::new();
    for value in response.headers.all("www-authenticate") {
        if let Ok(value) = std::str::from_utf8(value) {
            challenges.append(&mut challenge::parse(value));
        }
    }
    let sent = found.first().map_or_else(
        || "the request carried no credential".to_string(),
        |f| {
            format!(
                "Kong forwarded the {} in {}",
                f.kind.as_str(),
                f.place.describe()
            )
        },
    );
    let said = match challenges.first() {
        None => "without a WWW-Authenticate challenge".to_string(),
        Some(c) => {
            let mut s = format!("with WWW-Authenticate {}", printable(&c.scheme, 20));
            for key in ["realm", "error", "error_description", "scope"] {
                if let Some(v) = c.param(key) {
                    s.push_str(&format!(" {key}=\"{}\"", printable(v, 100)));
                }
            }
            s
        }
    };
    let owner = if no_kong_auth {
        "; the route's auth names no Kong plugin, so the upstream's own auth decides"
    } else {
        ""
    };
    let hint = built(with_hint, || {
        match (challenges.first(), found.is_empty()) {
        (Some(c), true) => format!(
            "send the credential the upstream's challenge asks for (Authorization: {} ...){}",
            printable(&c.scheme, 20),
            if no_kong_auth { "; Kong passes it through, as the route has no Kong auth" } else { "" }
        ),
        (c, _) => match c.and_then(|c| c.param("error")) {
            Some("invalid_token") => "the upstream refused the token itself: check it with the upstream's issuer (expiry, audience, signing key)",
            Some("insufficient_scope") => "the token lacks a scope the upstream needs: request it with the required scope",
            _ => "the upstream has its own auth: check what it expects, or let Kong handle auth and have the upstream trust Kong",
        }
        .to_string(),
    }
    });
    let detail = built(with_detail, || {
        format!(
            "the upstream answered {} {said}; {sent}{owner}; who answered: {}",
            response.status,
            sign()
        )
    });
    Some(Diagnosis::new(Code::UpstreamRejected, detail, hint).at(At::Upstream))
}

/// A credential Kong read and refused. `challenger`: the plugin whose own challenge the 401
/// carries; the credential it reads is the one refused.
fn not_recognized(
    found: &[Found<'_>],
    sign: &dyn Fn() -> String,
    challenger: Option<Plugin>,
) -> Option<Diagnosis> {
    // A session cookie is judged on its own (session_refused).
    let read = || {
        found
            .iter()
            .filter(|f| !f.readers.is_empty() && f.kind != Kind::Session)
    };
    let f = challenger
        .and_then(|p| read().find(|f| f.readers.contains(&p)))
        .or_else(|| read().next())?;
    let plugin = challenger
        .filter(|p| f.readers.contains(p))
        .or_else(|| f.plugin())?;
    if plugin == Plugin::LdapAuth {
        return Some(ldap_refused(f));
    }
    // Kong 3.9's words for an unknown credential (kong-config/NOTES.md has the source lines).
    let (said, check) = match plugin {
        Plugin::KeyAuth => ("Unauthorized", "curl -s localhost:8001/key-auths/<the key> (404: no consumer has it) or curl -s localhost:8001/consumers/<name>/key-auth"),
        Plugin::Jwt => ("No credentials found for given 'iss'", "curl -s localhost:8001/consumers/<name>/jwt and compare the credential key with the token's key claim"),
        Plugin::BasicAuth => ("Unauthorized", "curl -s localhost:8001/consumers/<name>/basic-auth (check the username; passwords are stored hashed)"),
        Plugin::HmacAuth => ("HMAC signature cannot be verified", "curl -s localhost:8001/consumers/<name>/hmac-auth (check the username and the signed headers)"),
        Plugin::Oauth2 => ("The access token is invalid or has expired", "curl -s localhost:8001/oauth2_tokens (the token may have expired or been issued for another service)"),
        Plugin::OpenidConnect => ("Unauthorized", "check the identity provider's issuer and audience configured on the openid-connect plugin"),
        // Both are judged by their own functions.
        Plugin::LdapAuth | Plugin::Session => return None,
    };
    Some(
        Diagnosis::new(
            Code::CredentialNotRecognized,
            format!(
                "a well-formed {} ({} bytes) in {} was refused by {}: no consumer credential matches it (Kong says \"{said}\"); who answered: {}",
                f.kind.as_str(),
                f.value.len(),
                f.place.describe(),
                plugin.as_str(),
                sign()
            ),
            format!("check that the consumer and its credential exist in Kong: {check}"),
        )
        .plugin(plugin)
        .at(At::Kong),
    )
}

/// Well-formed ldap-auth credentials that did not pass: the directory refused the bind (ldap-auth
/// binds `attribute=<user>,base_dn` with the password, kong/plugins/ldap-auth/access.lua, 3.9.3).
/// Its 401 says `Unauthorized` whatever the directory said; an unreachable directory is not a
/// 401 at all (ldap-auth raises an error: 500), but a failed TLS handshake with it is.
fn ldap_refused(f: &Found<'_>) -> Diagnosis {
    Diagnosis::new(
        Code::CredentialNotRecognized,
        format!(
            "well-formed ldap credentials ({} bytes) in {} were refused: the directory refused ldap-auth's bind as <attribute>=<user>,<base_dn> with this password, or the TLS handshake with it failed (an unreachable one answers 500, not 401)",
            f.value.len(),
            f.place.describe()
        ),
        "Kong cannot tell the client which: check the password, that the account sits directly under base_dn (no sub-tree search) and is not locked or expired, and Kong's error.log at this request_id for the directory's answer; a refusal stays cached for cache_ttl (60 s)",
    )
    .plugin(Plugin::LdapAuth)
    .at(At::Client)
}

/// Kong's session plugin never answers 401: a cookie it does not accept (expired, logged out,
/// sealed with another secret or audience, its consumer deleted) is passed over in silence, and
/// the auth plugin behind it answers (kong/plugins/session/access.lua, 3.9.3). Said once, for
/// the first session cookie that was not already judged malformed.
fn session_refused(
    found: &[Found<'_>],
    config: &Config,
    anonymous: bool,
    out: &mut Lent<Diagnosis>,
) {
    let Some(f) = found.iter().find(|f| f.kind == Kind::Session) else {
        return;
    };
    let judged = |d: &Diagnosis| {
        d.plugin == Some(Plugin::Session)
            && matches!(
                d.code,
                Code::CredentialPlaceholder | Code::CredentialMalformed
            )
    };
    if out.iter().any(judged) {
        return;
    }
    // Two well-formed credentials refused: one finding, naming both.
    if let Some(d) = out
        .iter_mut()
        .find(|d| d.code == Code::CredentialNotRecognized)
    {
        d.detail
            .push_str("; the session cookie did not authenticate either");
        return;
    }
    let behind = only_plugin(&config.auth).map_or("the route's auth plugin", Plugin::as_str);
    // With `anonymous` the auth plugin steps aside for a valid session; without it (what an
    // edge 401 may be), it asks for its own credential even then.
    let (then, last_step) = if anonymous {
        ("fell back to the anonymous consumer", "")
    } else {
        (
            "asked for its own credential",
            ", and give the auth plugin an anonymous consumer so a valid session is enough",
        )
    };
    let detail = format!(
        "a session cookie ({} bytes) in {} was sent, yet Kong answered 401: the session plugin did not accept it (expired, idle too long, logged out, sealed with another secret or audience, or its consumer deleted), so {behind} {then}",
        f.value.len(),
        f.place.describe()
    );
    out.push(
        Diagnosis::new(
            Code::CredentialNotRecognized,
            detail,
            format!("log in again for a fresh session cookie; if a fresh one fails too, set the session plugin's secret explicitly (the same on every Kong node), check its audience and cookie_path{last_step}"),
        )
        .plugin(Plugin::Session)
        .at(At::Client),
    );
}

fn context(
    config: &Config,
    request: &Request,
    scan: &Scan<'_>,
    sentences: Sentences,
    out: &mut Lent<Diagnosis>,
) {
    let hints = sentences.hints();
    if config.require_https && request.scheme.eq_ignore_ascii_case("http") {
        let behind_tls = scan
            .forwarded_proto
            .and_then(|v| std::str::from_utf8(v).ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
        let detail = if behind_tls {
            "the request reached Kong over http with X-Forwarded-Proto: https: TLS ended at a proxy in front of Kong"
        } else {
            "the request reached Kong over http, and the route expects the client to use https"
        };
        out.push(
            Diagnosis::new(
                Code::ForwardedProtoHttp,
                built(sentences.detail(out, Code::ForwardedProtoHttp), || detail.into()),
                built(hints, || "call the service over https; if a load balancer ends TLS, add it to Kong's trusted_ips so X-Forwarded-Proto is honoured".into()),
            )
            .at(At::Proxy),
        );
    }
    let xfh = scan
        .forwarded_host
        .and_then(|v| std::str::from_utf8(v).ok())
        .map(|v| {
            crate::parse::request::strip_port(v.split(',').next().unwrap_or(v)).to_ascii_lowercase()
        });
    // The host is lowercased (a copy) only when something compares it.
    if !config.expected_hosts.is_empty() || xfh.is_some() {
        let (host, read_from) = request.host();
        let with_detail = sentences.detail(out, Code::HostMismatch);
        if !config.expected_hosts.is_empty() && !config.expected_hosts.contains(&host) {
            out.push(
                Diagnosis::new(
                    Code::HostMismatch,
                    built(with_detail, || format!(
                        "the request was sent to host {} ({read_from}); the route expects {}",
                        printable(&host, 80),
                        printable(&config.expected_hosts.join(" or "), 160)
                    )),
                    built(hints, || "call the service with the expected host name (a proxy may be rewriting Host)".into()),
                )
                .at(At::Client),
            );
        } else if let Some(fh) = xfh.filter(|fh| !fh.is_empty() && *fh != host) {
            out.push(
                Diagnosis::new(
                    Code::HostMismatch,
                    built(with_detail, || format!("Host is {} ({read_from}) but X-Forwarded-Host is {}", printable(&host, 80), printable(&fh, 80))),
                    built(hints, || "make the proxy keep the original Host, or configure the upstream to use X-Forwarded-Host".into()),
                )
                .at(At::Proxy),
            );
        }
    }
    // Kong's default trusted_ips is empty: it trusts no peer, and ignores these headers from all.
    let untrusted = config.trusted_ips.is_empty()
        || request
            .peer
            .is_some_and(|peer| !config.trusted_ips.iter().any(|c| c.contains(peer)));
    if untrusted && scan.seen & ANY_TRUSTED_ONLY != 0 {
        let detail = || {
            let from = match request.peer {
                _ if config.trusted_ips.is_empty() => {
                    "a peer while trusted_ips is empty (Kong's default: no proxy is trusted)"
                        .to_string()
                }
                Some(peer) => format!("peer {peer}, outside trusted_ips"),
                None => "a peer outside trusted_ips".to_string(),
            };
            let sent: Vec<&str> = KONG_TRUSTED_ONLY
                .iter()
                .zip(TRUSTED_ONLY)
                .filter(|(_, bit)| scan.seen & bit != 0)
                .map(|(name, _)| *name)
                .collect();
            format!(
                "{} came from {from}: Kong ignores them and passes its own values upstream",
                sent.join(", ")
            )
        };
        out.push(
            Diagnosis::new(
                Code::ForwardedUntrusted,
                built(sentences.detail(out, Code::ForwardedUntrusted), detail),
                built(hints, || "add the proxy's address to Kong's trusted_ips (and this filter's), or stop relying on those headers".into()),
            )
            .at(At::Proxy),
        );
    }
}

fn unknown(
    found: &[Found<'_>],
    hops: &[Hop],
    response: Option<&Response>,
    sign: &dyn Fn() -> String,
) -> Diagnosis {
    let creds: Vec<String> = found
        .iter()
        .take(3)
        .map(|f| format!("{} in {}", f.kind.as_str(), f.place.describe()))
        .collect();
    let proxies: Vec<&str> = hops.iter().take(3).map(|h| h.what).collect();
    Diagnosis::new(
        Code::Unknown,
        format!(
            "checked credentials ({}), their format, proxies ({}), forwarding and the upstream's challenge ({}); nothing explains the {}; who answered: {}",
            if creds.is_empty() { "none".into() } else { creds.join(", ") },
            if proxies.is_empty() { "none".into() } else { proxies.join(", ") },
            if response.is_some_and(|r| r.headers.has("www-authenticate")) { "present" } else { "none" },
            response.map_or(401, |r| r.status),
            sign()
        ),
        "compare with a request that works; look at Kong's error.log for the same request_id",
    )
}

#[cfg(test)]
mod profile;
#[cfg(test)]
mod tests;
