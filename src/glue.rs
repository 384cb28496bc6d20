//! The only module that talks to the host. It gathers plain data through `hostcalls` (bytes
//! variants only; every `Result` handled), hands it to the pure core, and applies the result.

use crate::config::{self, Config, Expose, LogLevel as ConfigLevel, Mode};
use crate::diagnose::{diagnose, Input, Verdict};
use crate::diagnosis::Code;
use crate::enforce;
use crate::exposure::{self, Tier};
use crate::header;
use crate::log_gate::LogGate;
use crate::logline::{self, Correlation};
use crate::metrics;
use crate::request::{Headers, Request, Response};
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, BufferType, ContextType, LogLevel, MapType, MetricType};
use std::cell::{OnceCell, RefCell};
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};

/// Header a request carries to see the diagnosis when `expose = "token"`.
const TOKEN_HEADER: &str = "x-auth-diagnosis-token";

/// Registers the root context. Called once from `_initialize`.
pub fn register() {
    // Installs the SDK's logger and its panic hook, which logs at critical as a last resort.
    proxy_wasm::set_log_level(LogLevel::Trace);
    proxy_wasm::set_root_context(|_| Box::<Root>::default());
}

/// Counter ids, one per code, in [`Code::ALL`] order, defined on the first annotated response;
/// empty when the host has no metrics.
type Counters = Rc<OnceCell<Vec<Option<u32>>>>;

/// The worker's log flood guard, shared by the root context (its tick sums up what was held back)
/// and every request.
type Gate = Rc<RefCell<LogGate>>;

/// How often what the flood guard held back is summed up, when it held anything back.
const SUMMARY_PERIOD_MS: u32 = 5000;

#[derive(Default)]
struct Root {
    config: Option<Rc<Config>>,
    counters: Counters,
    gate: Option<Gate>,
    ticking: bool,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_vm_start(&mut self, _vm_configuration_size: usize) -> bool {
        true
    }

    fn on_configure(&mut self, plugin_configuration_size: usize) -> bool {
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
                self.gate = Some(Rc::new(RefCell::new(LogGate::new(config.log_rate))));
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
                self.config = Some(Rc::new(config));
                true
            }
            Err(error) => {
                log(LogLevel::Error, &format!("auth-diagnosis: {error}"));
                false
            }
        }
    }

    fn on_tick(&mut self) {
        let summary = self
            .gate
            .as_ref()
            .and_then(|gate| gate.try_borrow_mut().ok()?.summary(now_ms(), 0));
        if let Some(line) = summary {
            let level = self
                .config
                .as_ref()
                .map_or(LogLevel::Warn, |c| level(c.log_level));
            log(level, &line);
        }
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        let config = self.config.clone()?;
        let gate = self.gate.clone()?;
        Some(Box::new(Http {
            config,
            gate,
            counters: Rc::clone(&self.counters),
            answered: false,
            token_matched: false,
        }))
    }
}

struct Http {
    config: Rc<Config>,
    gate: Gate,
    counters: Counters,
    /// Enforce answered this request itself: nothing left to annotate.
    answered: bool,
    /// The request carried the right `X-Auth-Diagnosis-Token` (`expose = "token"`).
    token_matched: bool,
}

impl Context for Http {}

impl HttpContext for Http {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        if self.config.expose == Expose::Token {
            self.take_token();
        }
        if self.config.mode != Mode::Enforce || !self.is_anonymous() {
            return Action::Continue;
        }
        let (request, client) = gather_request(&self.config);
        let now_ms = now_ms();
        let verdict = diagnose(&Input {
            config: &self.config,
            request: &request,
            response: None,
            now: i64::try_from(now_ms / 1000).unwrap_or(0),
            anonymous: true,
        });
        let tier = self.tier(client.as_deref());
        let correlation = correlation(client);
        let shown = tier.map(|t| exposure::shown(&verdict.diagnoses, t, &self.config.places));
        let value = shown.as_deref().and_then(header::serialize);
        let plugin = verdict.diagnoses.iter().find_map(|d| d.plugin);
        let reply = enforce::reject(
            &verdict,
            shown.as_deref(),
            plugin,
            &self.config.auth,
            correlation.request_id.as_deref(),
            value
                .as_deref()
                .map(|v| (self.config.header_name.as_str(), v)),
        );
        let headers: Vec<(&str, &str)> = reply
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        match hostcalls::send_http_response(reply.status, headers, Some(reply.body.as_bytes())) {
            Ok(()) => {
                self.answered = true;
                self.record(401, &verdict, &correlation, now_ms);
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
        let Some(status) = status.filter(|s| self.config.statuses.contains(s)) else {
            return Action::Continue;
        };
        let name = self.config.header_name.as_str();
        let (request, client) = gather_request(&self.config);
        let now_ms = now_ms();
        // Only the headers the diagnosis reads, one by one: the SDK's whole-map read traps on a
        // header name that is not UTF-8, and nginx passes such names through from upstreams.
        // Kong's upstream latency header already says who answered; the other two signs are
        // asked for only without it (every hostcall costs, on every 401).
        let mut read: Vec<(String, Vec<u8>)> = ["www-authenticate", UPSTREAM_LATENCY]
            .into_iter()
            .filter_map(response_header)
            .collect();
        let upstream_status = if read.iter().any(|(n, _)| n == UPSTREAM_LATENCY) {
            None
        } else {
            read.extend(response_header(RESPONSE_LATENCY));
            property(&["ngx", "upstream_status"])
        };
        let headers = Headers::from_pairs(read);
        let response = Response {
            status,
            headers,
            upstream_status,
        };
        let verdict = diagnose(&Input {
            config: &self.config,
            request: &request,
            response: Some(&response),
            now: i64::try_from(now_ms / 1000).unwrap_or(0),
            anonymous: false,
        });
        let value = self.tier(client.as_deref()).and_then(|t| {
            header::serialize(&exposure::shown(&verdict.diagnoses, t, &self.config.places))
        });
        // An upstream's own header of that name is never passed on: replaced, or removed.
        match &value {
            Some(v) => {
                let _ = hostcalls::set_map_value_bytes(
                    MapType::HttpResponseHeaders,
                    name,
                    Some(v.as_bytes()),
                );
            }
            None => remove_response_header(name),
        }
        self.record(status, &verdict, &correlation(client), now_ms);
        Action::Continue
    }
}

impl Http {
    /// Kong's auth fell back to the anonymous consumer.
    fn is_anonymous(&self) -> bool {
        let flag = header_value("x-anonymous-consumer")
            .is_some_and(|v| v.trim_ascii().eq_ignore_ascii_case(b"true"));
        flag || self.config.anonymous.as_deref().is_some_and(|anonymous| {
            header_value("x-consumer-username")
                .is_some_and(|v| v.trim_ascii() == anonymous.as_bytes())
        })
    }

    /// How much the client is shown; `client` is `source.address`, the address Kong sees.
    fn tier(&self, client: Option<&str>) -> Option<Tier> {
        let ip = client.and_then(crate::cidr::peer_ip);
        exposure::tier(&self.config, self.token_matched, ip)
    }

    /// `expose = "token"`: checks the request's token once, then removes the header so that the
    /// token never reaches the upstream.
    fn take_token(&mut self) {
        let sent = header_value(TOKEN_HEADER);
        self.token_matched = match (&self.config.token, &sent) {
            (Some(token), Some(sent)) => constant_time_eq(token.as_bytes(), sent.trim_ascii()),
            _ => false,
        };
        if sent.is_some() {
            let _ = hostcalls::set_map_value_bytes(MapType::HttpRequestHeaders, TOKEN_HEADER, None);
        }
    }

    /// The log line (unless the flood guard holds it back) and the counters (always).
    fn record(&self, status: u16, verdict: &Verdict, correlation: &Correlation, now_ms: u64) {
        let first = verdict.diagnoses.first().map(|d| d.code);
        // A guard that cannot be borrowed (it never is twice) lets the line through.
        let (admitted, summary) = match self.gate.try_borrow_mut() {
            Ok(mut gate) => {
                let admitted = gate.admit(now_ms, first);
                // Without the host's tick, what was held back is said before the next line.
                let summary = if admitted {
                    gate.summary(now_ms, u64::from(SUMMARY_PERIOD_MS))
                } else {
                    None
                };
                (admitted, summary)
            }
            Err(_) => (true, None),
        };
        if let Some(summary) = summary {
            log(level(self.config.log_level), &summary);
        }
        if admitted {
            let line = logline::render(
                status,
                &verdict.diagnoses,
                correlation,
                verdict.credential.as_ref(),
            );
            log(level(self.config.log_level), &line);
        }
        let counters = self.counters.get_or_init(define_counters);
        for d in &verdict.diagnoses {
            let index = Code::ALL.iter().position(|c| *c == d.code);
            if let Some(id) = index.and_then(|i| counters.get(i).copied().flatten()) {
                // A host without metrics must not cost the request anything.
                let _ = hostcalls::increment_metric(id, 1);
            }
        }
    }
}

/// One counter per code, when the host is a Kong with metrics (3.8+). Older Kong builds trap on
/// the metric hostcalls, and they cannot be told apart before a request: `kong.version` only
/// answers inside one (and not at all before 3.6), so this runs on the first annotated response.
fn define_counters() -> Vec<Option<u32>> {
    let version = property(&["kong", "version"]).unwrap_or_default();
    if !kong_has_metrics(&version) {
        return Vec::new();
    }
    Code::ALL
        .iter()
        .map(|&code| {
            hostcalls::define_metric(MetricType::Counter, &metrics::counter_name(code)).ok()
        })
        .collect()
}

/// `3.8.0`, `3.9.1`, `3.9.0.1` (Enterprise) and later have the metric hostcalls.
fn kong_has_metrics(version: &str) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) >= (3, 8),
        _ => false,
    }
}

/// The request as plain data, and the client address (`source.address`) for the log line. The
/// peer is looked up only when `trusted_ips` needs it: every hostcall costs, on every 401.
fn gather_request(config: &Config) -> (Request, Option<String>) {
    let pairs = hostcalls::get_map_bytes(MapType::HttpRequestHeaders).unwrap_or_default();
    let pseudo = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default()
    };
    let (method, path, scheme, authority) = (
        pseudo(":method"),
        pseudo(":path"),
        pseudo(":scheme"),
        pseudo(":authority"),
    );
    let client = property(&["source", "address"]);
    // The TCP peer: with Kong's trusted_ips set, source.address is already the client that
    // X-Real-IP named, and ngx.realip_remote_addr keeps the proxy's own address.
    let peer = if config.trusted_ips.is_empty() {
        None
    } else {
        property(&["ngx", "realip_remote_addr"])
            .or_else(|| client.clone())
            .and_then(|a| crate::cidr::peer_ip(&a))
    };
    let request = Request {
        method,
        path,
        scheme,
        authority,
        headers: Headers::from_pairs(pairs),
        peer,
    };
    (request, client)
}

/// Kong's sign that an upstream answered.
const UPSTREAM_LATENCY: &str = "x-kong-upstream-latency";
/// Kong's sign that it answered itself.
const RESPONSE_LATENCY: &str = "x-kong-response-latency";

fn response_header(name: &str) -> Option<(String, Vec<u8>)> {
    map_value(MapType::HttpResponseHeaders, name).map(|v| (name.to_string(), v))
}

fn remove_response_header(name: &str) {
    let _ = hostcalls::set_map_value_bytes(MapType::HttpResponseHeaders, name, None);
}

fn header_value(name: &str) -> Option<Vec<u8>> {
    map_value(MapType::HttpRequestHeaders, name)
}

/// One header's value, `None` when it is absent or the host refuses.
fn map_value(map: MapType, name: &str) -> Option<Vec<u8>> {
    hostcalls::get_map_value_bytes(map, name).ok().flatten()
}

fn property(path: &[&str]) -> Option<String> {
    match hostcalls::get_property(path.to_vec()) {
        Ok(Some(bytes)) => Some(crate::text::printable_bytes(&bytes, 128)),
        _ => None,
    }
}

fn correlation(client: Option<String>) -> Correlation {
    Correlation {
        request_id: property(&["ngx", "kong_request_id"]),
        route: property(&["kong", "route_name"]),
        client,
    }
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

/// Compares without an early exit, so the time taken says nothing about where a guess differs.
fn constant_time_eq(expected: &[u8], given: &[u8]) -> bool {
    if expected.len() != given.len() {
        return false;
    }
    expected
        .iter()
        .zip(given)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time() {
        assert!(constant_time_eq(b"s3cret", b"s3cret"));
        assert!(!constant_time_eq(b"s3cret", b"s3creT"));
        assert!(!constant_time_eq(b"s3cret", b"s3cre"));
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
