//! The only module that talks to the host. It gathers plain data through `hostcalls` (every
//! hostcall, each status a `Result`, header values as bytes), hands it to the pure core, and
//! applies the result.

#[cfg(test)]
mod agree;
mod gather;
mod hostcalls;
mod spare;

use crate::decide::config::{self, Config, Expose, LogLevel as ConfigLevel, Mode};
use crate::decide::diagnose::{diagnose_in, Input, Lists, Sentences, Verdict};
use crate::decide::enforce;
use crate::decide::exposure::{self, Tier};
use crate::diagnosis::Code;
use crate::output::header;
use crate::output::log_gate::LogGate;
use crate::output::logline::{self, Correlation};
use crate::output::metrics;
use crate::parse::pairs::{Pairs, Span};
use gather::{Property, Source as _};
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, BufferType, ContextType, LogLevel, MapType, MetricType, Status};
use spare::Spare;
use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};

/// Registers the root context. Called once from `_initialize`.
pub fn register() {
    // Installs the SDK's logger and its panic hook, which logs at critical as a last resort.
    proxy_wasm::set_log_level(LogLevel::Trace);
    proxy_wasm::set_root_context(|_| Box::<Root>::default());
}

/// What every request of a worker shares: one `Rc` per request, cloned when its context is
/// created (this runs for every request, annotated or not).
struct Worker {
    config: Config,
    /// The counters, each defined on its first use.
    counters: RefCell<CounterIds>,
    /// The log flood guard; the root context's tick sums up what it held back.
    gate: RefCell<LogGate>,
    /// The buffers the last 401 read into and wrote its text into, for the next.
    spare: Cell<Spare>,
    /// The kinds of write the host has refused so far, one bit each: each is logged once.
    refused: Cell<u8>,
}

/// Writes that change the response, the request or the metrics; the host may refuse them.
#[derive(Clone, Copy)]
enum Write {
    /// Adding or removing the response's diagnosis header.
    ResponseHeader = 0,
    /// Removing `X-Auth-Diagnosis-Token` before the request goes upstream.
    TokenHeader = 1,
    /// Counting a diagnosis.
    Metric = 2,
}

impl Worker {
    /// Logs the first refusal of each kind of write with the host's status; the same line on
    /// every request would flood the log.
    fn check(&self, write: Write, result: Result<(), Status>) {
        let Err(status) = result else { return };
        let bit = 1u8 << (write as u8);
        if self.refused.get() & bit == 0 {
            self.refused.set(self.refused.get() | bit);
            // The variant's name, as `{:?}` wrote it, without a Debug impl to carry.
            let name = ["ResponseHeader", "TokenHeader", "Metric"]
                .get(write as usize)
                .copied()
                .unwrap_or_default();
            log(
                LogLevel::Error,
                &format!(
                    "auth-diagnosis: the host refused a write ({name}, host status {}); later refusals of this kind are not logged",
                    status as u32
                ),
            );
        }
    }
}

/// How often what the flood guard held back is summed up, when it held anything back.
const SUMMARY_PERIOD_MS: u32 = 5000;

/// Counter ids, per code and route, each defined on its first use.
#[derive(Default)]
struct CounterIds {
    /// Whether the host has the metric hostcalls; asked on the first annotated response.
    available: Option<bool>,
    /// Counter id by code and route label, sorted; `None` when the host refused to define it.
    /// A sorted list, not a `HashMap` (std's hasher costs 8 KB of `.wasm` and a random seed),
    /// looked up without building the name (only a new counter needs it).
    ids: Vec<(Code, Option<String>, Option<u32>)>,
    /// Route-labelled names defined so far (bounded: each one costs shared memory).
    labelled: usize,
    /// The counters of the route counted last, by code: a route's 401s come in runs, and the
    /// next one on it finds them without checking the name's label or searching `ids`.
    recent: Recent,
}

/// The counters of one route, as [`CounterIds::id`] found them.
#[derive(Default)]
struct Recent {
    /// Whose they are.
    route: RecentRoute,
    /// By the code's number: 0 not looked up yet, 1 no counter (the host refused it), else the
    /// counter's id + 2.
    ids: [u64; Code::ALL.len()],
}

/// Whose the recent counters are.
#[derive(Default, Clone, Copy)]
enum RecentRoute {
    /// Nobody's yet: the next 401 looks its counters up.
    #[default]
    Unknown,
    /// A 401 the host named no route for.
    Unnamed,
    /// The route labelled as `ids[i]` is (found again after every definition, which moves it).
    At(usize),
}

#[derive(Default)]
struct Root {
    worker: Option<Rc<Worker>>,
    ticking: bool,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_vm_start(&mut self, _vm_configuration_size: usize) -> bool {
        true
    }

    fn on_configure(&mut self, plugin_configuration_size: usize) -> bool {
        // Before anything else: see `spare`.
        let mut spare = Spare::allocate();
        let bytes = match hostcalls::get_buffer(
            BufferType::PluginConfiguration,
            0,
            plugin_configuration_size,
        ) {
            Ok(bytes) => bytes.unwrap_or_default(),
            Err(status) => {
                log(
                    LogLevel::Error,
                    &format!(
                        "auth-diagnosis: cannot read the configuration (host status {})",
                        status as u32
                    ),
                );
                return false;
            }
        };
        match config::load(&bytes) {
            Ok(config) => {
                // ngx_wasm_module refuses a second tick period: set once per root context.
                if config.log_rate > 0 && !self.ticking {
                    let period = Duration::from_millis(u64::from(SUMMARY_PERIOD_MS));
                    match hostcalls::set_tick_period(period) {
                        Ok(()) => self.ticking = true,
                        Err(status) => log(
                            LogLevel::Warn,
                            &format!(
                                "auth-diagnosis: no tick (host status {}): what the log flood guard holds back is summed up with the next line written",
                                status as u32
                            ),
                        ),
                    }
                }
                // Which build runs, with what: the first line an operator looks for. Written
                // once the worker is in place, the line's buffer freed after it: the heap left
                // behind is what every later request allocates from, and in this order the
                // success path's two small allocations (the context, the `:status` value) cost
                // ~120 wasm instructions less (make bench: 3,090 -> 2,971; no code on that
                // path changed).
                let described = config.describe();
                spare.fit_text(&config.places);
                self.worker = Some(Rc::new(Worker {
                    gate: RefCell::new(LogGate::new(config.log_rate)),
                    counters: RefCell::default(),
                    refused: Cell::new(0),
                    spare: Cell::new(spare),
                    config,
                }));
                log(LogLevel::Warn, &described);
                true
            }
            Err(error) => {
                log(LogLevel::Error, &format!("auth-diagnosis: {error}"));
                false
            }
        }
    }

    fn on_tick(&mut self) {
        let Some(worker) = &self.worker else { return };
        let summary = worker
            .gate
            .try_borrow_mut()
            .ok()
            .and_then(|mut gate| gate.summary(now_ms(), 0));
        if let Some(line) = summary {
            log(level(worker.config.log_level), &line);
        }
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Http {
            worker: Rc::clone(self.worker.as_ref()?),
            answered: false,
            token_matched: false,
        }))
    }
}

struct Http {
    worker: Rc<Worker>,
    /// Enforce answered this request itself: nothing left to annotate.
    answered: bool,
    /// The request carried the right `X-Auth-Diagnosis-Token` (`expose = "token"`).
    token_matched: bool,
}

impl Context for Http {}

impl HttpContext for Http {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        if self.worker.config.expose == Expose::Token {
            self.take_token();
        }
        if self.worker.config.mode != Mode::Enforce || !self.is_anonymous() {
            return Action::Continue;
        }
        let (request, client) = gather::request(
            &Host,
            &self.worker.config,
            (&mut Vec::new(), &mut Vec::new()),
        );
        let now_ms = now_ms();
        let (tier, logged, sentences) = self.plan(client.as_deref(), now_ms);
        let verdict = diagnose_in(
            &Input {
                config: &self.worker.config,
                request: &request,
                response: None,
                now: i64::try_from(now_ms / 1000).unwrap_or(0),
                anonymous: true,
                sentences,
            },
            &mut Lists::default(),
        );
        // The body carries the request id whether or not the line is logged.
        let (request_id, route) = correlation(None);
        let correlation = Correlation {
            request_id: request_id.as_deref(),
            route: route.as_deref(),
            client: client.as_deref(),
        };
        let shown =
            tier.map(|t| exposure::shown(&verdict.diagnoses, t, &self.worker.config.places));
        let value = shown.as_deref().and_then(header::serialize);
        let plugin = verdict.diagnoses.iter().find_map(|d| d.plugin);
        let reply = enforce::reject(
            &verdict,
            shown.as_deref(),
            plugin,
            &self.worker.config.auth,
            correlation.request_id,
            value
                .as_deref()
                .map(|v| (self.worker.config.header_name.as_str(), v)),
        );
        let headers: Vec<(&str, &str)> = reply
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        match hostcalls::send_http_response(reply.status, headers, Some(reply.body.as_bytes())) {
            Ok(()) => {
                self.answered = true;
                self.record(
                    401,
                    &verdict,
                    logged.then_some(&correlation),
                    now_ms,
                    &mut String::new(),
                );
                Action::Pause
            }
            Err(status) => {
                log(
                    LogLevel::Error,
                    &format!(
                        "auth-diagnosis: could not send the 401 (host status {})",
                        status as u32
                    ),
                );
                Action::Continue
            }
        }
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        if self.answered {
            return Action::Continue;
        }
        // Read directly, not through map_value: this runs on every response, and the helper
        // call costs ~30 wasm instructions more (measured).
        let status = match hostcalls::get_map_value_bytes(MapType::HttpResponseHeaders, ":status") {
            Ok(Some(bytes)) => parse_status(&bytes),
            _ => None,
        };
        // A response that is not annotated is left exactly as it was: one hostcall, no more.
        let Some(status) = status.filter(|s| self.worker.config.statuses.contains(s)) else {
            return Action::Continue;
        };
        self.annotate(status);
        Action::Continue
    }
}

impl Http {
    /// The annotated response: its own function, so that every other response pays nothing for
    /// the frame this one needs.
    #[inline(never)]
    fn annotate(&mut self, status: u16) {
        let name = self.worker.config.header_name.as_str();
        let mut spare = self.worker.spare.take();
        let buffers = (&mut spare.names, &mut spare.spans);
        let (request, client) = gather::request(&Host, &self.worker.config, buffers);
        let now_ms = now_ms();
        let (tier, logged, sentences) = self.plan(client.as_deref(), now_ms);
        let (response, request_id) = gather::response(&Host, status, &mut spare.response);
        let verdict = diagnose_in(
            &Input {
                config: &self.worker.config,
                request: &request,
                response: Some(&response),
                now: i64::try_from(now_ms / 1000).unwrap_or(0),
                anonymous: false,
                sentences,
            },
            &mut spare.lists,
        );
        let mut text = std::mem::take(&mut spare.text);
        let has_header = tier.is_some_and(|t| {
            exposure::write_header_value(
                &mut text,
                &verdict.diagnoses,
                t,
                &self.worker.config.places,
            )
        });
        // An upstream's own header of that name is never passed on: removed, then ours added.
        // Not replaced: ngx_wasm_module's replace clears every copy of a header sent twice and
        // adds nothing (src/http/ngx_http_wasm_headers.c:140-206, `goto again`), and it keeps the
        // existing name's case; added, the header goes out under the name as configured.
        let removed = hostcalls::remove_map_value(MapType::HttpResponseHeaders, name);
        self.worker.check(Write::ResponseHeader, removed);
        if has_header {
            let added =
                hostcalls::add_map_value_bytes(MapType::HttpResponseHeaders, name, text.as_bytes());
            self.worker.check(Write::ResponseHeader, added);
        }
        // The properties that join the line to Kong's logs are read only for a line written.
        let (request_id, route) = if logged {
            correlation(request_id)
        } else {
            (None, None)
        };
        let correlation = logged.then_some(Correlation {
            request_id: request_id.as_deref(),
            route: route.as_deref(),
            client: client.as_deref(),
        });
        // The header's buffer, sent, becomes the line's.
        self.record(status, &verdict, correlation.as_ref(), now_ms, &mut text);
        spare.take_back(response.headers, request.headers, verdict.diagnoses, text);
        self.worker.spare.set(spare);
    }

    /// Kong's auth fell back to the anonymous consumer.
    fn is_anonymous(&self) -> bool {
        gather::anonymous(&Host, &self.worker.config)
    }

    /// How much the client is shown; `client` is `source.address`, the address Kong sees.
    fn tier(&self, client: Option<&str>) -> Option<Tier> {
        gather::tier(&self.worker.config, self.token_matched, client)
    }

    /// `expose = "token"`: checks the request's token once, then removes the header so that the
    /// token never reaches the upstream.
    fn take_token(&mut self) {
        let (matched, sent) = gather::token(&Host, &self.worker.config);
        self.token_matched = matched;
        if sent {
            let removed =
                hostcalls::remove_map_value(MapType::HttpRequestHeaders, gather::TOKEN_HEADER);
            self.worker.check(Write::TokenHeader, removed);
        }
    }

    /// What this request will write: the client's tier, whether the flood guard lets its log
    /// line through, and so which sentences the decision must make.
    fn plan(&self, client: Option<&str>, now_ms: u64) -> (Option<Tier>, bool, Sentences) {
        let tier = self.tier(client);
        // A guard that cannot be borrowed (it never is twice) lets the line through.
        let logged = self
            .worker
            .gate
            .try_borrow_mut()
            .map_or(true, |mut gate| gate.admit(now_ms));
        (tier, logged, sentences(tier, logged))
    }

    /// The log line when the flood guard let it through (`correlation` is there then), what it
    /// held back otherwise, and the counters always.
    fn record(
        &self,
        status: u16,
        verdict: &Verdict,
        correlation: Option<&Correlation<'_>>,
        now_ms: u64,
        line: &mut String,
    ) {
        let level = level(self.worker.config.log_level);
        match correlation {
            Some(correlation) => {
                // Without the host's tick, what was held back is said before the next line.
                let summary = self
                    .worker
                    .gate
                    .try_borrow_mut()
                    .ok()
                    .and_then(|mut gate| gate.summary(now_ms, u64::from(SUMMARY_PERIOD_MS)));
                if let Some(summary) = summary {
                    log(level, &summary);
                }
                line.clear();
                line.reserve(512);
                logline::render_into(
                    line,
                    status,
                    &verdict.diagnoses,
                    correlation,
                    verdict.credential.as_ref(),
                );
                log(level, line);
            }
            None => {
                if let Ok(mut gate) = self.worker.gate.try_borrow_mut() {
                    gate.hold(now_ms, verdict.diagnoses.first().map(|d| d.code));
                }
            }
        }
        // Only ever borrowed here, one context at a time; a refused borrow skips the counting.
        let Ok(mut counters) = self.worker.counters.try_borrow_mut() else {
            return;
        };
        // Kong 3.4 - 3.7 trap on the metric hostcalls, and they cannot be told apart before a
        // request: `kong.version` only answers inside one (and not at all before 3.6).
        let available = *counters.available.get_or_insert_with(|| {
            kong_has_metrics(&property(Property::KONG_VERSION).unwrap_or_default())
        });
        if !available {
            return;
        }
        // The route names the counters: read with the line's correlation, or here when the line
        // was held back (a held-back 401 is still counted on its route).
        let read;
        let route_name = match correlation {
            Some(c) => c.route,
            None => {
                read = property(Property::ROUTE_NAME);
                read.as_deref()
            }
        };
        let route = counters.route(route_name);
        for d in &verdict.diagnoses {
            if let Some(id) = counters.counted(d.code, route) {
                self.worker
                    .check(Write::Metric, hostcalls::increment_metric(id, 1));
            }
        }
    }
}

impl CounterIds {
    /// The route label of a 401 on the route `name`, the host's name for it; the recent
    /// counters are forgotten unless they are that route's.
    fn route<'r>(&mut self, name: Option<&'r str>) -> Option<&'r str> {
        let same = match self.recent.route {
            RecentRoute::Unknown => false,
            RecentRoute::Unnamed => name.is_none(),
            // A label already, as every route in `ids` is.
            RecentRoute::At(i) => {
                name.is_some() && self.ids.get(i).and_then(|(_, r, _)| r.as_deref()) == name
            }
        };
        if same {
            return name;
        }
        self.recent.ids = [0; Code::ALL.len()];
        self.recent.route = if name.is_none() {
            RecentRoute::Unnamed
        } else {
            RecentRoute::Unknown
        };
        name.and_then(metrics::route_label)
    }

    /// [`CounterIds::id`] for the route [`CounterIds::route`] gave, from the recent counters
    /// when they have it.
    fn counted(&mut self, code: Code, route: Option<&str>) -> Option<u32> {
        let slot = usize::from(code as u8);
        match self.recent.ids.get(slot).copied().unwrap_or(0) {
            0 => {}
            1 => return None,
            kept => return u32::try_from(kept - 2).ok(),
        }
        let id = self.id(code, route);
        if let Some(kept) = self.recent.ids.get_mut(slot) {
            *kept = id.map_or(1, |id| u64::from(id) + 2);
        }
        id
    }

    /// The counter for `code` on `route`, defined on first use; past
    /// [`metrics::MAX_ROUTE_COUNTERS`] new route names fall back to the code's own counter.
    /// Keeps where the route's counters are for [`CounterIds::route`].
    fn id(&mut self, code: Code, route: Option<&str>) -> Option<u32> {
        let mut route = route;
        let mut at = self.find(code, route);
        if at.is_err() && route.is_some() {
            if self.labelled >= metrics::MAX_ROUTE_COUNTERS {
                route = None;
                at = self.find(code, None);
                // No counter names the route, and a definition may move the entries.
                self.recent.route = RecentRoute::Unknown;
            } else {
                self.labelled += 1;
            }
        }
        let i = match at {
            Ok(i) => i,
            Err(i) => {
                let name = metrics::counter_name(code, route);
                let id = hostcalls::define_metric(MetricType::Counter, &name).ok();
                self.ids.insert(i, (code, route.map(str::to_string), id));
                i
            }
        };
        if route.is_some() {
            // Where the route's counter is now: a definition moves the entries after it.
            self.recent.route = RecentRoute::At(i);
        }
        self.ids.get(i).and_then(|(_, _, id)| *id)
    }

    /// Where (`code`, `route`) is in the list, or where it would go: by code, then by route.
    /// A binary search written out, comparing the codes in place: with the tuple's derived
    /// order every step was a call comparing strings (measured: 1,128 -> 969 wasm instructions
    /// for the stripped 401's two counters, 2,095 -> 1,494 for the expired JWT's).
    fn find(&self, code: Code, route: Option<&str>) -> Result<usize, usize> {
        let (mut low, mut high) = (0, self.ids.len());
        while low < high {
            let mid = low + (high - low) / 2;
            let Some((c, r, _)) = self.ids.get(mid) else {
                break;
            };
            let order = match (*c as u8).cmp(&(code as u8)) {
                Ordering::Equal => r
                    .as_deref()
                    .map(str::as_bytes)
                    .cmp(&route.map(str::as_bytes)),
                other => other,
            };
            match order {
                Ordering::Less => low = mid + 1,
                Ordering::Greater => high = mid,
                Ordering::Equal => return Ok(mid),
            }
        }
        Err(low)
    }
}

/// `3.8.0`, `3.9.1`, `3.9.0.1` (Enterprise) and later have the metric hostcalls.
fn kong_has_metrics(version: &str) -> bool {
    // The first two dot-separated numbers, each read as `str::parse::<u32>` reads it.
    let mut parts = version.split('.');
    let mut number = || -> Option<u32> {
        let part = parts.next()?;
        let digits = part.strip_prefix('+').unwrap_or(part);
        if digits.is_empty() {
            return None;
        }
        digits.bytes().try_fold(0u32, |n, d| {
            let d = d.checked_sub(b'0').filter(|d| *d < 10)?;
            n.checked_mul(10)?.checked_add(u32::from(d))
        })
    };
    match (number(), number()) {
        (Some(major), Some(minor)) => (major, minor) >= (3, 8),
        _ => false,
    }
}

/// Which sentences the decision must make: all when the client is shown them, the log line's
/// when it is written, none otherwise.
fn sentences(tier: Option<Tier>, logged: bool) -> Sentences {
    match (tier, logged) {
        (Some(Tier::Full), _) => Sentences::All,
        (_, true) => Sentences::LogLine,
        _ => Sentences::None,
    }
}

/// The host, as the source `gather` reads: every value through `hostcalls`, `None` when it is
/// absent or the host refuses.
struct Host;

impl gather::Source for Host {
    fn request_pairs(&self, spans: &mut Vec<Span>) -> Pairs {
        hostcalls::request_pairs(spans)
    }

    fn request_header(&self, name: &str) -> Option<Vec<u8>> {
        hostcalls::get_map_value_bytes(MapType::HttpRequestHeaders, name)
            .ok()
            .flatten()
    }

    fn response_header(&self, name: &str) -> Option<Vec<u8>> {
        hostcalls::get_map_value_bytes(MapType::HttpResponseHeaders, name)
            .ok()
            .flatten()
    }

    fn property_bytes(&self, path: Property) -> Option<Vec<u8>> {
        hostcalls::get_property(path.0).ok().flatten()
    }
}

/// A property as printable text; `None` when the host has none or refuses.
fn property(path: Property) -> Option<String> {
    Host.property(path)
}

/// The properties that join the log line to Kong's logs with `source.address`: the request id
/// (`request_id` when already read) and the route's name.
fn correlation(request_id: Option<String>) -> (Option<String>, Option<String>) {
    (
        request_id.or_else(|| property(Property::KONG_REQUEST_ID)),
        property(Property::ROUTE_NAME),
    )
}

/// The host's clock in milliseconds since the epoch (0 when the host will not say).
fn now_ms() -> u64 {
    hostcalls::get_current_time()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .and_then(|d| u64::try_from(d.as_millis()).ok())
        .unwrap_or(0)
}

/// `:status` as nginx gives it: three digits (a surrounding space tolerated).
fn parse_status(bytes: &[u8]) -> Option<u16> {
    match bytes.trim_ascii() {
        &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_digit) => {
            Some(u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'))
        }
        _ => None,
    }
}

fn log(level: LogLevel, message: &str) {
    // Nothing sensible is left to do when the host refuses a log line.
    let _ = hostcalls::log(level, message);
}

fn level(level: ConfigLevel) -> LogLevel {
    match level {
        ConfigLevel::Debug => LogLevel::Debug,
        ConfigLevel::Info => LogLevel::Info,
        ConfigLevel::Warn => LogLevel::Warn,
        ConfigLevel::Error => LogLevel::Error,
        ConfigLevel::Critical => LogLevel::Critical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `find` keeps the list ordered by code, then route, and finds what it placed.
    #[test]
    fn counters_are_found_where_they_were_placed() {
        let mut counters = CounterIds::default();
        let keys = [
            (Code::JwtExpired, Some("orders")),
            (Code::StrippedByProxy, None),
            (Code::JwtExpired, None),
            (Code::StrippedByProxy, Some("b")),
            (Code::StrippedByProxy, Some("a")),
            (Code::JwtExpired, Some("order")),
        ];
        for (n, (code, route)) in keys.iter().enumerate() {
            let Err(at) = counters.find(*code, *route) else {
                panic!("{code:?} {route:?} found before it was placed");
            };
            counters
                .ids
                .insert(at, (*code, route.map(str::to_string), Some(n as u32)));
        }
        for (n, (code, route)) in keys.iter().enumerate() {
            let at = counters.find(*code, *route).unwrap();
            assert_eq!(counters.ids[at].2, Some(n as u32), "{code:?} {route:?}");
        }
        let order: Vec<(u8, Option<&str>)> = counters
            .ids
            .iter()
            .map(|(c, r, _)| (*c as u8, r.as_deref()))
            .collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted);
    }

    #[test]
    fn metrics_need_kong_3_8() {
        for (version, expected) in [
            ("3.9.1", true),
            ("3.8.0", true),
            ("3.9.0.1", true),
            ("4.0.0", true),
            ("3.7.1", false),
            ("3.4.2", false),
            ("", false),
            ("dev", false),
        ] {
            assert_eq!(kong_has_metrics(version), expected, "{version}");
        }
    }

    /// The numbers are read as `str::parse::<u32>` reads them (the reader it replaced).
    #[test]
    fn versions_read_as_parse_reads_them() {
        let parsed = |version: &str| {
            let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
            match (parts.next().flatten(), parts.next().flatten()) {
                (Some(major), Some(minor)) => (major, minor) >= (3, 8),
                _ => false,
            }
        };
        for version in [
            "3.8",
            "3.8.0",
            "+3.+9",
            "+3.9",
            "++3.9",
            "3.+",
            "-3.9",
            "3.-9",
            "3",
            "3.",
            ".8",
            "3..8",
            "3.8x",
            "x3.9",
            "03.09",
            "3.08",
            "4294967295.0",
            "4294967296.9",
            "99999999999.9",
            "3.4294967296",
            "3 .9",
            "3.9 ",
            "٣.٩",
            "3.9\u{0}",
            "",
        ] {
            assert_eq!(kong_has_metrics(version), parsed(version), "{version:?}");
        }
    }

    #[test]
    fn status() {
        assert_eq!(parse_status(b"401"), Some(401));
        assert_eq!(parse_status(b" 200 "), Some(200));
        assert_eq!(parse_status(b"x"), None);
        assert_eq!(parse_status(b"40"), None);
        assert_eq!(parse_status(b"4011"), None);
        assert_eq!(parse_status(b"4a1"), None);
        assert_eq!(parse_status(b"\xff"), None);
    }
}
