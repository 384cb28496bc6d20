//! `adhost bench` (SPEC §9, `make bench`): the filter against a no-op proxy-wasm filter in the same
//! host and the same run, on the success path and on two 401 shapes.
//!
//! Timing goes through [`Plugin::run_request`], one instance per filter serving every request with
//! increasing context ids, as a Kong worker does. Batches of requests are timed, filter and no-op
//! batches interleaved (their order alternating) so machine noise hits both, and the medians of the
//! per-batch ns/request are compared. Before any timing each shape runs once through each filter
//! and the outcome is checked: a benchmark of a broken filter is worthless, so that fails the run
//! with [`Broken`].
//!
//! A second, instrumented instance of each module (same linker, same hostcalls, a driver that makes
//! the callbacks in [`Plugin::run_request`]'s order) shows where the time goes: hostcalls made per
//! request, ns per callback, bytes the host hands the guest through `proxy_on_memory_allocate`, and
//! linear memory growth.

use std::fmt;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context as _};
use wasmtime::{
    Caller, Config, Engine, Extern, Func, Instance, Linker, Memory, Module, Store, TypedFunc,
};

use crate::host::http::{Properties, Request, Response};
use crate::host::map::HeaderMap;
use crate::host::plugin::{Host, Plugin, PluginOptions, RequestOutcome, ROOT_CONTEXT_ID};
use crate::host::state::{HostState, HttpState, Step};
use crate::host::{abi, wasi};
use crate::tools::scenario::DEFAULT_HEADER_NAME;

/// The host clock (unix seconds) every request sees: 2025-11-28T12:00:00Z, as the scenarios use.
pub const NOW: u64 = 1_764_331_200;

/// The filter configuration: defaults (observe mode, statuses [401]) but the log flood guard,
/// so that every timed 401 writes its line as a lone 401 does; `flood_log_lines` measures the
/// guard with the default config.
pub const CONFIG: &[u8] = br#"{"log_rate":0}"#;

/// Requests in the flood measure: identical annotated 401s within one second of host time.
const FLOOD_REQUESTS: u64 = 10_000;

/// HS256, iss orders-app, sub user-4711, iat NOW-600, exp NOW+3000: valid at [`NOW`].
const VALID_JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJvcmRlcnMtYXBwIiwic3ViIjoidXNlci00NzExIiwiaWF0IjoxNzY0MzMwNjAwLCJleHAiOjE3NjQzMzQyMDB9.6mCNOQfZqYfjJ3IsOLwR7NiMBcKC4JsATKI06uZqE4c";
/// HS256, iat NOW-7200, exp NOW-3600: expired an hour before [`NOW`].
const EXPIRED_JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJvcmRlcnMtYXBwIiwic3ViIjoidXNlci00NzExIiwiaWF0IjoxNzY0MzI0MDAwLCJleHAiOjE3NjQzMjc2MDB9.kvEzsZ0zCA2xbYLszxPjpl_7_PAGDiFBPx00GALxpG0";

/// How much to measure.
#[derive(Clone, Debug)]
pub struct Options {
    pub filter: PathBuf,
    pub noop: PathBuf,
    /// Timed requests per filter and shape, split into `rounds` batches.
    pub iterations: usize,
    /// Timed batches per filter and shape.
    pub rounds: usize,
    /// Untimed requests per filter and shape before the first batch.
    pub warmup: usize,
    /// Requests per shape over which linear memory growth is measured.
    pub memory_requests: usize,
}

impl Options {
    /// The default plan for `iterations` timed requests: 30 batches (fewer for tiny runs), a
    /// warm-up of a tenth, memory growth over up to 10,000 requests per shape.
    pub fn new(filter: PathBuf, noop: PathBuf, iterations: usize) -> Self {
        let iterations = iterations.max(1);
        Self {
            filter,
            noop,
            iterations,
            rounds: iterations.min(30),
            warmup: (iterations / 10).max(1),
            memory_requests: iterations.min(10_000),
        }
    }

    fn batch(&self) -> usize {
        (self.iterations / self.rounds.max(1)).max(1)
    }
}

/// The filter did not behave as the shape requires (or trapped): the run measures nothing.
#[derive(Debug)]
pub struct Broken(pub String);

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "benchmark refused: {}", self.0)
    }
}

impl std::error::Error for Broken {}

/// What a shape expects of the filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// No diagnosis header, response untouched.
    Untouched,
    /// The diagnosis header names this code.
    Diagnosis(&'static str),
}

/// One request shape: request, upstream response, properties.
#[derive(Clone, Debug)]
pub struct Shape {
    pub name: &'static str,
    pub expect: Expect,
    pub request: Request,
    pub response: Response,
    pub properties: Properties,
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec()))
        .collect()
}

fn properties(upstream_status: u16) -> Properties {
    [
        ("ngx.kong_request_id", "b0288a7b1a283f23f8c0e41a2399742d"),
        ("kong.route_name", "orders"),
        ("kong.service_name", "orders-service"),
        ("kong.version", "3.9.1"),
        ("ngx.upstream_status", &upstream_status.to_string()),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
    .collect()
}

fn request(method: &str, headers: &[(&str, &str)]) -> Request {
    Request {
        method: method.into(),
        path: "/orders?id=7&expand=items".into(),
        scheme: "https".into(),
        authority: "api.example.com".into(),
        source: Some("10.0.0.8:50412".into()),
        headers: pairs(headers),
    }
}

fn unauthorized(challenge: &str) -> Response {
    Response {
        status: 401,
        headers: pairs(&[
            ("content-type", "application/json; charset=utf-8"),
            ("content-length", "26"),
            ("www-authenticate", challenge),
            ("x-kong-upstream-latency", "3"),
            ("x-kong-proxy-latency", "1"),
            ("via", "1.1 kong/3.9.1"),
        ]),
        body: br#"{"message":"Unauthorized"}"#.to_vec(),
    }
}

/// The three shapes: the success path and the two 401 shapes.
pub fn shapes() -> Vec<Shape> {
    let bearer = format!("Bearer {VALID_JWT}");
    let expired = format!("Bearer {EXPIRED_JWT}");
    let common: [(&str, &str); 9] = [
        ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
        ("accept", "application/json, text/plain, */*"),
        ("accept-encoding", "gzip, deflate, br, zstd"),
        ("accept-language", "en-US,en;q=0.9,de;q=0.8"),
        ("x-request-id", "7c0e5b1e-3f5a-4b8e-9d6c-2a1f0e9b8c7d"),
        ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        ("x-forwarded-for", "203.0.113.9"),
        ("x-forwarded-proto", "https"),
        ("cache-control", "no-cache"),
    ];
    let mut success = common.to_vec();
    success.extend([
        ("content-type", "application/json"),
        ("content-length", "27"),
        (
            "cookie",
            "session=3f2a9c7d1e5b4a60; theme=dark; _ga=GA1.2.1234567890.1764000000",
        ),
        ("authorization", bearer.as_str()),
        ("apikey", "k3y-7f3a9c2e5d1b4a68"),
        ("x-consumer-id", "8c1f4b9e-2d7a-4e3c-b5f6-0a9d8e7c6b5a"),
        ("x-consumer-username", "orders-app"),
    ]);
    let mut stripped = common.to_vec();
    stripped.push((
        "cookie",
        "BIGipServerpool_orders=1677787402.36895.0000; session=3f2a9c7d1e5b4a60",
    ));
    let mut stale = common.to_vec();
    stale.push(("authorization", expired.as_str()));

    vec![
        Shape {
            name: "success (200, valid JWT + apikey)",
            expect: Expect::Untouched,
            request: request("POST", &success),
            response: Response {
                status: 200,
                headers: pairs(&[
                    ("content-type", "application/json; charset=utf-8"),
                    ("content-length", "13"),
                    ("cache-control", "private, max-age=0"),
                    ("date", "Fri, 28 Nov 2025 12:00:00 GMT"),
                    ("x-kong-upstream-latency", "3"),
                    ("x-kong-proxy-latency", "1"),
                    ("via", "1.1 kong/3.9.1"),
                ]),
                body: br#"{"orders":[]}"#.to_vec(),
            },
            properties: properties(200),
        },
        Shape {
            name: "401 stripped credential (BIG-IP)",
            expect: Expect::Diagnosis("stripped-by-proxy"),
            request: request("GET", &stripped),
            response: unauthorized("Bearer"),
            properties: properties(401),
        },
        Shape {
            name: "401 expired JWT",
            expect: Expect::Diagnosis("jwt-expired"),
            request: request("GET", &stale),
            response: unauthorized(r#"Bearer error="invalid_token""#),
            properties: properties(401),
        },
    ]
}

/// Which of the two modules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Filter,
    Noop,
}

impl Role {
    fn label(self) -> &'static str {
        match self {
            Role::Filter => "filter",
            Role::Noop => "noop",
        }
    }
}

/// Checks what the client would receive against the shape.
fn judge(
    role: Role,
    shape: &Shape,
    status: Option<u32>,
    headers: &HeaderMap,
) -> Result<(), String> {
    let want = u32::from(shape.response.status);
    if status != Some(want) {
        return Err(format!(
            "the client would get status {status:?}, not the upstream's {want}"
        ));
    }
    let header = headers.get_str(DEFAULT_HEADER_NAME);
    match (role, shape.expect, header) {
        (Role::Noop, _, None) | (Role::Filter, Expect::Untouched, None) => Ok(()),
        (Role::Filter, Expect::Diagnosis(code), Some(value)) if value.contains(code) => Ok(()),
        (Role::Filter, Expect::Diagnosis(code), Some(value)) => Err(format!(
            "{DEFAULT_HEADER_NAME} does not name {code}: {value}"
        )),
        (Role::Filter, Expect::Diagnosis(code), None) => Err(format!(
            "no {DEFAULT_HEADER_NAME} header (expected one naming {code})"
        )),
        (_, _, Some(value)) => Err(format!("unexpected {DEFAULT_HEADER_NAME}: {value}")),
    }
}

fn check_outcome(role: Role, shape: &Shape, outcome: &RequestOutcome) -> anyhow::Result<()> {
    let fail = |why: String| {
        anyhow::Error::new(Broken(format!(
            "{} on shape {:?}: {why}",
            role.label(),
            shape.name
        )))
    };
    if let Some(trap) = &outcome.trap {
        return Err(fail(trap.to_string()));
    }
    let Some(client) = outcome.client_response() else {
        return Err(fail("no response reached the client".into()));
    };
    judge(role, shape, client.status(), client.headers()).map_err(fail)
}

fn new_plugin(host: &Host, role: Role) -> anyhow::Result<Plugin> {
    let mut plugin = host.instantiate(PluginOptions {
        config: CONFIG.to_vec(),
        clock_nanos: NOW * 1_000_000_000,
        filter_name: stem(role).into(),
        ..Default::default()
    })?;
    match plugin.configure() {
        Ok(true) => Ok(plugin),
        Ok(false) => Err(Broken(format!("{} refused the configuration {{}}", role.label())).into()),
        Err(trap) => Err(Broken(format!(
            "{} trapped while configuring: {trap}",
            role.label()
        ))
        .into()),
    }
}

fn stem(role: Role) -> &'static str {
    match role {
        Role::Filter => "auth_diagnosis",
        Role::Noop => "noop_filter",
    }
}

/// Times `count` requests of `shape`; ns per request.
fn time_batch(plugin: &mut Plugin, shape: &Shape, count: usize, role: Role) -> anyhow::Result<f64> {
    let start = Instant::now();
    for _ in 0..count {
        let outcome = plugin.run_request(&shape.request, Some(&shape.response), &shape.properties);
        if let Some(trap) = &outcome.trap {
            return Err(Broken(format!(
                "{} trapped on {:?}: {trap}",
                role.label(),
                shape.name
            ))
            .into());
        }
        black_box(outcome);
    }
    Ok(per_request(start.elapsed(), count))
}

fn per_request(elapsed: Duration, count: usize) -> f64 {
    elapsed.as_nanos() as f64 / count.max(1) as f64
}

/// The median (upper median for an even count); 0 for no samples.
pub fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(0.0)
}

fn min_max(samples: &[f64]) -> (f64, f64) {
    samples
        .iter()
        .fold((f64::INFINITY, 0.0_f64), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

/// Per-batch ns/request of one shape, both modules.
#[derive(Clone, Debug, Default)]
struct Series {
    filter: Vec<f64>,
    noop: Vec<f64>,
}

/// Everything measured.
#[derive(Clone, Debug)]
pub struct Report {
    lines: Vec<String>,
    pub success_ratio: f64,
    pub unauthorized_ratio: f64,
    pub wasm_bytes: u64,
}

impl Report {
    /// The printed report; its last three lines are `success_ratio=R`, `unauthorized_ratio=R`,
    /// `wasm_bytes=N`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(line);
            out.push('\n');
        }
        let _ = writeln!(out, "success_ratio={:.2}", self.success_ratio);
        let _ = writeln!(out, "unauthorized_ratio={:.2}", self.unauthorized_ratio);
        let _ = writeln!(out, "wasm_bytes={}", self.wasm_bytes);
        out
    }
}

/// The log lines (diagnoses and summaries, one tick included) the filter writes, default config,
/// for [`FLOOD_REQUESTS`] identical annotated 401s within one second of host time.
fn flood_log_lines(host: &Host, shapes: &[Shape]) -> anyhow::Result<usize> {
    let shape = shapes
        .iter()
        .find(|s| matches!(s.expect, Expect::Diagnosis(_)))
        .context("no 401 shape")?;
    let mut plugin = host.instantiate(PluginOptions {
        config: b"{}".to_vec(),
        clock_nanos: NOW * 1_000_000_000,
        ..Default::default()
    })?;
    anyhow::ensure!(plugin.configure() == Ok(true), "the filter refused {{}}");
    plugin.take_logs();
    let written = |message: &str| message.starts_with("auth-diagnosis ");
    let mut lines = 0;
    for i in 0..FLOOD_REQUESTS {
        plugin.set_clock_nanos(NOW * 1_000_000_000 + i * (1_000_000_000 / FLOOD_REQUESTS));
        let outcome = plugin.run_request(&shape.request, Some(&shape.response), &shape.properties);
        check_outcome(Role::Filter, shape, &outcome)?;
        lines += outcome.logs.iter().filter(|l| written(&l.message)).count();
    }
    plugin
        .tick()
        .map_err(|trap| anyhow::anyhow!("tick trapped: {trap:?}"))?;
    lines += plugin
        .take_logs()
        .iter()
        .filter(|l| written(&l.message))
        .count();
    Ok(lines)
}

/// Runs the benchmark.
pub fn run(options: &Options) -> anyhow::Result<Report> {
    let wasm_bytes = std::fs::metadata(&options.filter)
        .with_context(|| {
            format!(
                "{} not found: build it with make wasm",
                options.filter.display()
            )
        })?
        .len();
    let noop_bytes = std::fs::metadata(&options.noop)
        .with_context(|| {
            format!(
                "{} not found: build it with make wasm",
                options.noop.display()
            )
        })?
        .len();
    let filter_host = Host::from_file(&options.filter)?;
    let noop_host = Host::from_file(&options.noop)?;
    let shapes = shapes();

    let mut filter = new_plugin(&filter_host, Role::Filter)?;
    let mut noop = new_plugin(&noop_host, Role::Noop)?;
    for shape in &shapes {
        for (role, plugin) in [(Role::Filter, &mut filter), (Role::Noop, &mut noop)] {
            let outcome =
                plugin.run_request(&shape.request, Some(&shape.response), &shape.properties);
            check_outcome(role, shape, &outcome)?;
        }
    }
    for shape in &shapes {
        time_batch(&mut filter, shape, options.warmup, Role::Filter)?;
        time_batch(&mut noop, shape, options.warmup, Role::Noop)?;
    }

    let batch = options.batch();
    let mut series = vec![Series::default(); shapes.len()];
    for round in 0..options.rounds {
        for (index, (shape, series)) in shapes.iter().zip(series.iter_mut()).enumerate() {
            if (round + index) % 2 == 0 {
                series
                    .filter
                    .push(time_batch(&mut filter, shape, batch, Role::Filter)?);
                series
                    .noop
                    .push(time_batch(&mut noop, shape, batch, Role::Noop)?);
            } else {
                series
                    .noop
                    .push(time_batch(&mut noop, shape, batch, Role::Noop)?);
                series
                    .filter
                    .push(time_batch(&mut filter, shape, batch, Role::Filter)?);
            }
        }
    }
    // The instances must have served every request without a trap (checked per batch) and still
    // behave: check each shape once more after the timing.
    for shape in &shapes {
        for (role, plugin) in [(Role::Filter, &mut filter), (Role::Noop, &mut noop)] {
            let outcome =
                plugin.run_request(&shape.request, Some(&shape.response), &shape.properties);
            check_outcome(role, shape, &outcome)?;
        }
    }

    let flood_lines = flood_log_lines(&filter_host, &shapes)?;
    let mut lines = Vec::new();
    lines.push(format!(
        "filter {} ({wasm_bytes} bytes) vs noop {} ({noop_bytes} bytes), config {} (observe mode)",
        options.filter.display(),
        options.noop.display(),
        String::from_utf8_lossy(CONFIG)
    ));
    lines.push(format!(
        "timing: Plugin::run_request, one instance per module serving all shapes; {} batches x {batch} requests per module and shape after {} warm-up requests; filter and noop batches interleaved, order alternating; host in the dev profile",
        options.rounds, options.warmup
    ));
    lines.push(
        "checked before and after timing: success shape gets no X-Auth-Diagnosis, each 401 shape gets one naming its code, no trap".into(),
    );
    lines.push(
        "ratio = filter median / noop median; paired = median of per-round filter/noop ratios (a noise check); batches = fastest-slowest batch".into(),
    );
    lines.push(String::new());
    lines.push(format!(
        "{:<36} {:>9} {:>9} {:>9} {:>6} {:>7}   {:<19} {:<19}",
        "shape (median ns/request)",
        "filter",
        "noop",
        "added",
        "ratio",
        "paired",
        "filter batches",
        "noop batches"
    ));
    let mut medians = Vec::new();
    for (shape, series) in shapes.iter().zip(&series) {
        let (f, n) = (median(&series.filter), median(&series.noop));
        let (flo, fhi) = min_max(&series.filter);
        let (nlo, nhi) = min_max(&series.noop);
        let paired: Vec<f64> = series
            .filter
            .iter()
            .zip(&series.noop)
            .map(|(f, n)| ratio(*f, *n))
            .collect();
        lines.push(format!(
            "{:<36} {:>9.0} {:>9.0} {:>9.0} {:>6.2} {:>7.2}   {:<19} {:<19}",
            shape.name,
            f,
            n,
            f - n,
            ratio(f, n),
            median(&paired),
            format!("{flo:.0}-{fhi:.0}"),
            format!("{nlo:.0}-{nhi:.0}"),
        ));
        medians.push((shape.expect, f, n));
    }
    let success_ratio = medians
        .iter()
        .find(|(e, _, _)| *e == Expect::Untouched)
        .map_or(0.0, |(_, f, n)| ratio(*f, *n));
    let (f401, n401) = medians
        .iter()
        .filter(|(e, _, _)| *e != Expect::Untouched)
        .fold((0.0, 0.0), |(fs, ns), (_, f, n)| (fs + f, ns + n));
    let unauthorized_ratio = ratio(f401, n401);

    lines.push(String::new());
    profile(options, &filter_host, &noop_host, &shapes, &mut lines)?;

    lines.push(String::new());
    lines.push("success_ratio: filter median / noop median on the success shape.".into());
    lines.push(
        "unauthorized_ratio: both 401 shapes combined, (sum of the filter's two medians) / (sum of the noop's two medians).".into(),
    );
    lines.push("wasm_bytes: size of the filter's .wasm file.".into());
    lines.push(format!(
        "flood_log_lines: log lines (diagnoses and summaries, one tick included) for {FLOOD_REQUESTS} identical annotated 401s within one second of host time, default config."
    ));
    lines.push(format!("flood_log_lines={flood_lines}"));
    Ok(Report {
        lines,
        success_ratio,
        unauthorized_ratio,
        wasm_bytes,
    })
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

// ---- the instrumented driver ----

/// Hostcalls made by one instance: one counter per import, plus `proxy_on_memory_allocate`.
struct Tally {
    names: Vec<String>,
    counts: Vec<AtomicU64>,
    /// ns spent inside each hostcall (guest allocations it makes included).
    nanos: Vec<AtomicU64>,
    alloc_calls: AtomicU64,
    alloc_bytes: AtomicU64,
}

/// A copy of the counters.
struct Snapshot {
    counts: Vec<u64>,
    nanos: Vec<u64>,
    alloc_calls: u64,
    alloc_bytes: u64,
}

impl Tally {
    fn snapshot(&self) -> Snapshot {
        let load = |v: &Vec<AtomicU64>| v.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        Snapshot {
            counts: load(&self.counts),
            nanos: load(&self.nanos),
            alloc_calls: self.alloc_calls.load(Ordering::Relaxed),
            alloc_bytes: self.alloc_bytes.load(Ordering::Relaxed),
        }
    }
}

struct Callbacks {
    on_context_create: TypedFunc<(i32, i32), ()>,
    on_request_headers: TypedFunc<(i32, i32, i32), i32>,
    on_response_headers: TypedFunc<(i32, i32, i32), i32>,
    on_log: TypedFunc<i32, ()>,
    on_done: TypedFunc<i32, i32>,
    on_delete: TypedFunc<i32, ()>,
}

/// Reads one field of [`CallbackTimes`].
type Pick = fn(&CallbackTimes) -> f64;

/// ns spent in each callback (host work inside hostcalls included).
#[derive(Clone, Copy, Debug, Default)]
struct CallbackTimes {
    create: f64,
    request: f64,
    response: f64,
    log: f64,
    done: f64,
}

impl CallbackTimes {
    const FIELDS: [(&'static str, Pick); 5] = [
        ("proxy_on_context_create", |t| t.create),
        ("proxy_on_request_headers", |t| t.request),
        ("proxy_on_response_headers", |t| t.response),
        ("proxy_on_log", |t| t.log),
        ("proxy_on_done + on_delete", |t| t.done),
    ];

    fn scaled(&self, k: f64) -> Self {
        Self {
            create: self.create * k,
            request: self.request * k,
            response: self.response * k,
            log: self.log * k,
            done: self.done * k,
        }
    }

    fn total(&self) -> f64 {
        self.create + self.request + self.response + self.log + self.done
    }
}

fn wt<T>(result: wasmtime::Result<T>) -> anyhow::Result<T> {
    result.map_err(anyhow::Error::from)
}

/// A second instance of a module, driven directly so it can be watched.
struct Probe {
    store: Store<HostState>,
    memory: Memory,
    callbacks: Callbacks,
    tally: Option<Arc<Tally>>,
    next_id: u32,
}

impl Probe {
    /// Instantiates `module` with the host's hostcalls (wrapped in counters when `count`), then
    /// starts and configures it as [`Host::instantiate`] and [`Plugin::configure`] do.
    fn new(engine: &Engine, module: &Module, role: Role, count: bool) -> anyhow::Result<Self> {
        let mut linker = Linker::new(engine);
        wt(abi::add_to_linker(&mut linker))?;
        wt(wasi::add_to_linker(&mut linker))?;
        wt(abi::define_not_implemented(&mut linker, module))?;
        wt(linker.define_unknown_imports_as_traps(module))?;
        let state = HostState::new(
            stem(role).into(),
            CONFIG.to_vec(),
            Vec::new(),
            NOW * 1_000_000_000,
        );
        let mut store = Store::new(engine, state);
        store.limiter(|state| &mut state.limits);
        // An engine that counts fuel starts every store empty; the others refuse, harmlessly.
        let _ = store.set_fuel(u64::MAX);

        let (instance, tally) = if count {
            let names: Vec<String> = module.imports().map(|i| i.name().to_owned()).collect();
            let tally = Arc::new(Tally {
                counts: names.iter().map(|_| AtomicU64::new(0)).collect(),
                nanos: names.iter().map(|_| AtomicU64::new(0)).collect(),
                names,
                alloc_calls: AtomicU64::new(0),
                alloc_bytes: AtomicU64::new(0),
            });
            let mut imports = Vec::new();
            for (index, import) in module.imports().enumerate() {
                let found = wt(linker.get(&mut store, import.module(), import.name()))
                    .with_context(|| format!("no definition for {}", import.name()))?;
                let Extern::Func(inner) = found else {
                    imports.push(found);
                    continue;
                };
                let ty = inner.ty(&store);
                let tally = Arc::clone(&tally);
                let counted = Func::new(&mut store, ty, move |mut caller, params, results| {
                    let start = Instant::now();
                    let result = inner.call(&mut caller, params, results);
                    let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
                    if let (Some(count), Some(total)) =
                        (tally.counts.get(index), tally.nanos.get(index))
                    {
                        count.fetch_add(1, Ordering::Relaxed);
                        total.fetch_add(nanos, Ordering::Relaxed);
                    }
                    result
                });
                imports.push(Extern::Func(counted));
            }
            let instance = wt(Instance::new(&mut store, module, &imports))?;
            (instance, Some(tally))
        } else {
            (wt(linker.instantiate(&mut store, module))?, None)
        };

        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| anyhow!("the module exports no memory"))?;
        let allocate =
            wt(instance.get_typed_func::<i32, i32>(&mut store, "proxy_on_memory_allocate"))?;
        let allocate = match &tally {
            Some(tally) => {
                let tally = Arc::clone(tally);
                let counted = Func::wrap(
                    &mut store,
                    move |mut caller: Caller<'_, HostState>, size: i32| {
                        tally.alloc_calls.fetch_add(1, Ordering::Relaxed);
                        tally
                            .alloc_bytes
                            .fetch_add(u64::from(size as u32), Ordering::Relaxed);
                        allocate.call(&mut caller, size)
                    },
                );
                wt(counted.typed::<i32, i32>(&store))?
            }
            None => allocate,
        };
        store.data_mut().memory = Some(memory);
        store.data_mut().allocate = Some(allocate);

        let callbacks = Callbacks {
            on_context_create: wt(instance.get_typed_func(&mut store, "proxy_on_context_create"))?,
            on_request_headers: wt(instance.get_typed_func(&mut store, "proxy_on_request_headers"))?,
            on_response_headers: wt(
                instance.get_typed_func(&mut store, "proxy_on_response_headers")
            )?,
            on_log: wt(instance.get_typed_func(&mut store, "proxy_on_log"))?,
            on_done: wt(instance.get_typed_func(&mut store, "proxy_on_done"))?,
            on_delete: wt(instance.get_typed_func(&mut store, "proxy_on_delete"))?,
        };
        let vm_start: TypedFunc<(i32, i32), i32> =
            wt(instance.get_typed_func(&mut store, "proxy_on_vm_start"))?;
        let configure: TypedFunc<(i32, i32), i32> =
            wt(instance.get_typed_func(&mut store, "proxy_on_configure"))?;

        let root = ROOT_CONTEXT_ID as i32;
        if let Ok(initialize) = instance.get_typed_func::<(), ()>(&mut store, "_initialize") {
            store.data_mut().step = Step::Initialize;
            wt(initialize.call(&mut store, ()))?;
        }
        store.data_mut().root_id = ROOT_CONTEXT_ID;
        store.data_mut().context_id = ROOT_CONTEXT_ID;
        wt(callbacks.on_context_create.call(&mut store, (root, 0)))?;
        store.data_mut().step = Step::VmStart;
        let started = wt(vm_start.call(&mut store, (root, 0)))?;
        store.data_mut().step = Step::Configure;
        let config_len = CONFIG.len() as i32;
        let configured = started != 0 && wt(configure.call(&mut store, (root, config_len)))? != 0;
        if !configured {
            return Err(Broken(format!(
                "{} (probe) refused the configuration",
                role.label()
            ))
            .into());
        }
        store.data_mut().logs.clear();
        Ok(Self {
            store,
            memory,
            callbacks,
            tally,
            next_id: ROOT_CONTEXT_ID + 1,
        })
    }

    fn memory_bytes(&self) -> usize {
        self.memory.data_size(&self.store)
    }

    /// One request, in [`Plugin::run_request`]'s callback order; adds each callback's time to
    /// `times` and returns the response headers the client would get (`:status` included).
    fn run(&mut self, shape: &Shape, times: &mut CallbackTimes) -> anyhow::Result<HeaderMap> {
        let id = self.next_id as i32;
        self.next_id = self.next_id.wrapping_add(1).max(ROOT_CONTEXT_ID + 1);
        let root = ROOT_CONTEXT_ID as i32;
        {
            let mut props = shape.request.source_properties();
            props.extend(shape.properties.iter().map(|(k, v)| (k.clone(), v.clone())));
            // As Plugin::run_request: what nginx hands the filter (not timed).
            let admitted = crate::host::nginx::admit(&shape.request, &props)
                .map_err(|why| anyhow!("nginx refuses shape {:?}: {why}", shape.name))?;
            let state = self.store.data_mut();
            state.http = HttpState::default();
            state.http.request_headers = admitted.headers;
            state.http.properties = admitted.properties;
            state.context_id = id as u32;
        }
        let c = &self.callbacks;
        let store = &mut self.store;

        store.data_mut().step = Step::RequestHeaders;
        let t = Instant::now();
        wt(c.on_context_create.call(&mut *store, (id, root)))?;
        times.create += elapsed_ns(t);
        let count = store.data().http.request_headers.header_count() as i32;
        let t = Instant::now();
        wt(c.on_request_headers.call(&mut *store, (id, count, 0)))?;
        times.request += elapsed_ns(t);
        if store.data().http.local_response.is_some() {
            return Err(anyhow!("the module answered {:?} by itself", shape.name));
        }

        {
            let state = store.data_mut();
            let early = std::mem::take(&mut state.http.response_headers);
            let mut map = shape.response.header_map();
            for (name, value) in early.iter() {
                map.add(name, value);
            }
            state.http.response_headers = map;
            state.http.response_body = shape.response.body.clone();
            state.http.has_response = true;
            state
                .http
                .properties
                .entry("response.code".into())
                .or_insert_with(|| shape.response.status.to_string().into_bytes());
            state.step = Step::ResponseHeaders;
        }
        let count = store.data().http.response_headers.header_count() as i32;
        let t = Instant::now();
        wt(c.on_response_headers.call(&mut *store, (id, count, 0)))?;
        times.response += elapsed_ns(t);

        store.data_mut().step = Step::Log;
        let t = Instant::now();
        wt(c.on_log.call(&mut *store, id))?;
        times.log += elapsed_ns(t);
        store.data_mut().step = Step::Done;
        let t = Instant::now();
        wt(c.on_done.call(&mut *store, id))?;
        wt(c.on_delete.call(&mut *store, id))?;
        times.done += elapsed_ns(t);

        let state = store.data_mut();
        state.flush_stdio();
        state.logs.clear();
        state.context_id = ROOT_CONTEXT_ID;
        Ok(std::mem::take(&mut state.http).response_headers)
    }

    /// Runs `shape` and checks the outcome as the timed run does.
    fn run_checked(&mut self, role: Role, shape: &Shape) -> anyhow::Result<()> {
        let headers = self.run(shape, &mut CallbackTimes::default())?;
        let status = headers
            .get(b":status")
            .and_then(|s| std::str::from_utf8(s).ok())
            .and_then(|s| s.parse().ok());
        judge(role, shape, status, &headers).map_err(|why| {
            anyhow::Error::new(Broken(format!(
                "{} (probe) on shape {:?}: {why}",
                role.label(),
                shape.name
            )))
        })
    }
}

fn elapsed_ns(start: Instant) -> f64 {
    start.elapsed().as_nanos() as f64
}

/// Where the time goes: ns per callback, hostcalls per request (with the time spent inside them),
/// linear memory growth.
fn profile(
    options: &Options,
    filter_host: &Host,
    noop_host: &Host,
    shapes: &[Shape],
    lines: &mut Vec<String>,
) -> anyhow::Result<()> {
    let filter_module = compile(filter_host.engine(), &options.filter)?;
    let noop_module = compile(noop_host.engine(), &options.noop)?;
    let modules = [
        (Role::Filter, filter_host.engine(), &filter_module),
        (Role::Noop, noop_host.engine(), &noop_module),
    ];
    let batch = options.batch();

    // ns per callback, on uncounted instances, interleaved like the timed run.
    let mut plain = Vec::new();
    for (role, engine, module) in modules {
        let mut probe = Probe::new(engine, module, role, false)?;
        for shape in shapes {
            probe.run_checked(role, shape)?;
            for _ in 0..options.warmup {
                probe.run(shape, &mut CallbackTimes::default())?;
            }
        }
        plain.push((role, probe));
    }
    // samples[module][shape]: per-batch ns/request of each callback.
    let mut samples: Vec<Vec<Vec<CallbackTimes>>> = vec![vec![Vec::new(); shapes.len()]; 2];
    for round in 0..options.rounds {
        for (index, shape) in shapes.iter().enumerate() {
            let mut order = [0, 1];
            if (round + index) % 2 == 1 {
                order.reverse();
            }
            for which in order {
                let (Some((_, probe)), Some(out)) = (
                    plain.get_mut(which),
                    samples.get_mut(which).and_then(|s| s.get_mut(index)),
                ) else {
                    continue;
                };
                let mut times = CallbackTimes::default();
                for _ in 0..batch {
                    probe.run(shape, &mut times)?;
                }
                out.push(times.scaled(1.0 / batch as f64));
            }
        }
    }
    for (role, probe) in &mut plain {
        for shape in shapes {
            probe.run_checked(*role, shape)?;
        }
    }
    let cell = |which: usize, index: usize, pick: Pick| {
        samples
            .get(which)
            .and_then(|s| s.get(index))
            .map_or(0.0, |rows| {
                median(&rows.iter().map(pick).collect::<Vec<_>>())
            })
    };
    lines.push(format!(
        "ns per callback (a second instance of each module driven directly in run_request's callback order, no outcome built; medians of {} batches x {batch}; host work inside hostcalls included):",
        options.rounds
    ));
    let mut header = format!("  {:<27}", "");
    let mut columns = format!("  {:<27}", "callback");
    for shape in shapes {
        let _ = write!(header, " | {:^23}", short(shape));
        let _ = write!(columns, " | {:>7} {:>7} {:>7}", "filter", "noop", "added");
    }
    lines.push(header);
    lines.push(columns);
    let mut fields = CallbackTimes::FIELDS.to_vec();
    fields.push(("all callbacks", CallbackTimes::total));
    for (name, pick) in fields {
        let mut row = format!("  {name:<27}");
        for index in 0..shapes.len() {
            let (f, n) = (cell(0, index, pick), cell(1, index, pick));
            let _ = write!(row, " | {f:>7.0} {n:>7.0} {:>7.0}", f - n);
        }
        lines.push(row);
    }

    // Hostcalls and memory, on counting instances.
    let mut counting = Vec::new();
    for (role, engine, module) in modules {
        let mut probe = Probe::new(engine, module, role, true)?;
        let configured = probe.memory_bytes();
        for shape in shapes {
            probe.run_checked(role, shape)?;
        }
        counting.push((role, probe, configured));
    }
    lines.push(String::new());
    lines.push(format!(
        "hostcalls per request (instrumented instance, mean over {batch} requests per shape; ns = time inside each hostcall as seen from the counting wrapper, so an upper bound):"
    ));
    for shape in shapes {
        lines.push(format!("  {}", shape.name));
        for (role, probe, _) in &mut counting {
            let Some(tally) = probe.tally.clone() else {
                continue;
            };
            let before = tally.snapshot();
            for _ in 0..batch {
                probe.run(shape, &mut CallbackTimes::default())?;
            }
            let after = tally.snapshot();
            let per = |a: u64, b: u64| a.saturating_sub(b) as f64 / batch as f64;
            let mut calls: Vec<(f64, f64, &str)> = after
                .counts
                .iter()
                .zip(&before.counts)
                .zip(after.nanos.iter().zip(&before.nanos))
                .zip(&tally.names)
                .map(|(((a, b), (na, nb)), name)| (per(*a, *b), per(*na, *nb), name.as_str()))
                .filter(|(n, _, _)| *n > 0.0)
                .collect();
            calls.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(b.2)));
            let total = calls.iter().fold(0.0, |sum, (n, _, _)| sum + n);
            let nanos = calls.iter().fold(0.0, |sum, (_, ns, _)| sum + ns);
            let list = calls
                .iter()
                .map(|(n, ns, name)| format!("{name} x{} {ns:.0} ns", count(*n)))
                .collect::<Vec<_>>()
                .join(", ");
            lines.push(format!(
                "    {:<6} {} hostcalls, {nanos:.0} ns{}{list}; {} buffers / {:.0} bytes handed over via proxy_on_memory_allocate",
                role.label(),
                count(total),
                if list.is_empty() { "" } else { ": " },
                count(per(after.alloc_calls, before.alloc_calls)),
                per(after.alloc_bytes, before.alloc_bytes),
            ));
        }
    }

    lines.push(String::new());
    lines.push(
        "wasm instructions per request (wasmtime fuel, one unit per instruction: exact and the same on every run, unlike the times above):".into(),
    );
    let mut fuel_config = Config::new();
    fuel_config.consume_fuel(true);
    let fuel_engine = wt(Engine::new(&fuel_config))?;
    let mut fueled = Vec::new();
    for (role, path) in [(Role::Filter, &options.filter), (Role::Noop, &options.noop)] {
        let module = compile(&fuel_engine, path)?;
        fueled.push((role, Probe::new(&fuel_engine, &module, role, false)?));
    }
    for shape in shapes {
        let mut row = format!("  {:<34}", shape.name);
        for (role, probe) in &mut fueled {
            // The first request defines the counters: count a later one.
            probe.run_checked(*role, shape)?;
            wt(probe.store.set_fuel(u64::MAX))?;
            probe.run(shape, &mut CallbackTimes::default())?;
            let used = u64::MAX - wt(probe.store.get_fuel())?;
            let _ = write!(row, " {:>6} {used:>9}", role.label());
        }
        lines.push(row);
    }

    lines.push(String::new());
    lines.push(format!(
        "linear memory growth (instrumented instance, {} more requests per shape):",
        options.memory_requests
    ));
    for (role, probe, configured) in &mut counting {
        let mut parts = Vec::new();
        for shape in shapes {
            let before = probe.memory_bytes();
            for _ in 0..options.memory_requests {
                probe.run(shape, &mut CallbackTimes::default())?;
            }
            let grown = probe.memory_bytes().saturating_sub(before);
            parts.push(format!(
                "{} {grown} B ({:.2} B/request)",
                short(shape),
                grown as f64 / options.memory_requests.max(1) as f64
            ));
        }
        for shape in shapes {
            probe.run_checked(*role, shape)?;
        }
        lines.push(format!(
            "  {:<6} {} KiB after configure, {} KiB at the end; growth: {}",
            role.label(),
            *configured / 1024,
            probe.memory_bytes() / 1024,
            parts.join(", ")
        ));
    }
    lines.push("  (linear memory never shrinks: 0 B means the guest's heap reused what earlier requests freed)".into());
    Ok(())
}

/// A per-request count: whole when it is.
fn count(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{n:.0}")
    } else {
        format!("{n:.2}")
    }
}

fn short(shape: &Shape) -> &'static str {
    match shape.expect {
        Expect::Untouched => "success",
        Expect::Diagnosis(code) => code,
    }
}

fn compile(engine: &Engine, path: &std::path::Path) -> anyhow::Result<Module> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    wt(Module::new(engine, &bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release_wasm_path;

    fn tiny(filter: &str) -> Options {
        let filter = release_wasm_path(filter);
        let noop = release_wasm_path("noop_filter");
        for path in [&filter, &noop] {
            assert!(
                path.is_file(),
                "{} is missing: run make wasm first",
                path.display()
            );
        }
        Options {
            rounds: 2,
            warmup: 1,
            memory_requests: 2,
            ..Options::new(filter, noop, 4)
        }
    }

    /// Structure only: a test never asserts on wall-clock time.
    #[test]
    fn a_tiny_run_ends_with_the_three_lines() {
        let text = run(&tiny("auth_diagnosis")).unwrap().render();
        let lines: Vec<&str> = text.lines().collect();
        let [.., success, unauthorized, bytes] = lines.as_slice() else {
            panic!("too few lines:\n{text}");
        };
        for (line, key) in [
            (success, "success_ratio="),
            (unauthorized, "unauthorized_ratio="),
        ] {
            let value = line.strip_prefix(key).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(value.split_once('.').unwrap().1.len(), 2, "{line}");
            assert!(value.parse::<f64>().unwrap() > 0.0, "{line}");
        }
        let size: u64 = bytes.strip_prefix("wasm_bytes=").unwrap().parse().unwrap();
        assert_eq!(
            size,
            std::fs::metadata(release_wasm_path("auth_diagnosis"))
                .unwrap()
                .len()
        );
        assert!(text.contains("hostcalls per request"), "{text}");
        // The flood guard holds a flood to a burst, a second's refill and one summary.
        let flood: usize = lines
            .iter()
            .find_map(|l| l.strip_prefix("flood_log_lines="))
            .unwrap_or_else(|| panic!("no flood_log_lines:\n{text}"))
            .parse()
            .unwrap();
        assert!((20..=100).contains(&flood), "flood_log_lines={flood}");
        // Instruction counts are exact: a 401 costs the filter more than the no-op, and the
        // success path costs it little more.
        let counts = |name: &str| -> (u64, u64) {
            let row = lines
                .iter()
                .skip_while(|l| !l.starts_with("wasm instructions per request"))
                .find(|l| l.contains(name))
                .unwrap_or_else(|| panic!("no instruction row for {name}:\n{text}"));
            let numbers: Vec<u64> = row
                .split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect();
            let [.., filter, noop] = numbers.as_slice() else {
                panic!("{row}");
            };
            (*filter, *noop)
        };
        let (filter, noop) = counts("success (200");
        assert!(
            filter >= noop && filter < noop * 3,
            "success: {filter} vs {noop}"
        );
        for name in ["401 stripped", "401 expired"] {
            let (filter, noop) = counts(name);
            assert!(filter > noop * 10, "{name}: {filter} vs {noop}");
        }
    }

    /// A filter that does not diagnose the 401 shapes is refused before any timing.
    #[test]
    fn a_filter_that_does_not_diagnose_is_refused() {
        let error = run(&tiny("noop_filter")).unwrap_err();
        let broken = error.downcast_ref::<Broken>().expect("a Broken error");
        assert!(broken.0.contains("no X-Auth-Diagnosis header"), "{broken}");
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 3.0);
    }
}
