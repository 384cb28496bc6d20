//! What the host keeps between hostcalls: the store data of one plugin instance (one VM, one root
//! context) and of the HTTP context currently running.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::Serialize;
use wasmtime::{Memory, StoreLimits, StoreLimitsBuilder, TypedFunc};

use crate::host::map::HeaderMap;

/// The callback the host is inside of: ngx_wasm_module allows some hostcalls only in some steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// `_initialize` and `proxy_on_context_create` of the root context.
    Initialize,
    /// `proxy_on_vm_start`.
    VmStart,
    /// `proxy_on_configure`.
    Configure,
    /// `proxy_on_context_create` and `proxy_on_request_headers` of an HTTP context.
    RequestHeaders,
    /// `proxy_on_response_headers`.
    ResponseHeaders,
    /// `proxy_on_log`.
    Log,
    /// `proxy_on_done` and `proxy_on_delete`.
    Done,
}

impl Step {
    /// Whether an HTTP request is in flight (request headers can be read).
    pub fn is_http(self) -> bool {
        matches!(
            self,
            Step::RequestHeaders | Step::ResponseHeaders | Step::Log | Step::Done
        )
    }

    /// The exported function this step calls (for messages).
    pub fn callback(self) -> &'static str {
        match self {
            Step::Initialize => "proxy_on_context_create",
            Step::VmStart => "proxy_on_vm_start",
            Step::Configure => "proxy_on_configure",
            Step::RequestHeaders => "proxy_on_request_headers",
            Step::ResponseHeaders => "proxy_on_response_headers",
            Step::Log => "proxy_on_log",
            Step::Done => "proxy_on_done",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.callback())
    }
}

/// A call into the guest that failed: a wasm trap, a guest panic, or a host trap raised by a
/// hostcall used against the rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Trap {
    /// The step during which it happened.
    pub step: Step,
    /// The exported function that was called.
    pub function: String,
    /// The root cause, e.g. `host trap (bad usage): can only set response headers before
    /// "on_response_body"` or ``wasm trap: wasm `unreachable` instruction executed``.
    pub message: String,
    /// The full error chain with the wasm backtrace.
    pub detail: String,
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "trap in {}: {}", self.function, self.message)
    }
}

/// One captured log line: `proxy_log` levels are `trace`…`critical`; WASI writes to fd 1 and 2
/// are `stdout` and `stderr`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    pub level: &'static str,
    pub message: String,
}

/// Names of the proxy-wasm log levels 0..=5.
pub fn log_level_name(level: i32) -> Option<&'static str> {
    match level {
        0 => Some("trace"),
        1 => Some("debug"),
        2 => Some("info"),
        3 => Some("warn"),
        4 => Some("error"),
        5 => Some("critical"),
        _ => None,
    }
}

/// Metric kinds of `proxy_define_metric`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    Counter,
    Gauge,
    Histogram,
}

/// A metric the guest defined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Metric {
    pub name: String,
    pub kind: MetricKind,
    pub value: u64,
}

/// A response the filter produced with `proxy_send_local_response`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalResponse {
    /// The step it was sent in: `RequestHeaders` (the filter answers instead of the upstream) or
    /// `ResponseHeaders` (status and body of the upstream's response are overridden, as
    /// ngx_wasm_module does).
    pub step: Step,
    pub status: u32,
    pub details: Vec<u8>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub grpc_status: i32,
}

/// Which header map an edit touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MapKind {
    Request,
    Response,
}

/// An edit operation on a header map, in the order the guest made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderEdit {
    Add {
        map: MapKind,
        step: Step,
        name: Vec<u8>,
        value: Vec<u8>,
    },
    Replace {
        map: MapKind,
        step: Step,
        name: Vec<u8>,
        value: Vec<u8>,
    },
    Remove {
        map: MapKind,
        step: Step,
        name: Vec<u8>,
    },
    SetAll {
        map: MapKind,
        step: Step,
        pairs: HeaderMap,
    },
}

/// State of the HTTP context being run.
#[derive(Debug, Default)]
pub struct HttpState {
    pub request_headers: HeaderMap,
    /// Before the response exists (request-headers step) this holds only what the guest set
    /// early; those headers stay after the upstream's once the response arrives.
    pub response_headers: HeaderMap,
    pub response_body: Vec<u8>,
    pub has_response: bool,
    pub properties: BTreeMap<String, Vec<u8>>,
    pub local_response: Option<LocalResponse>,
    pub edits: Vec<HeaderEdit>,
}

/// The store data of one plugin instance.
pub struct HostState {
    pub step: Step,
    /// The context id of the call in progress.
    pub context_id: u32,
    pub root_id: u32,
    /// Wall clock reported to the guest, in nanoseconds since the Unix epoch.
    pub clock_nanos: u64,
    /// Kong's name for the filter (the `.wasm` file stem), used in metric name limits.
    pub filter_name: String,
    pub plugin_config: Vec<u8>,
    pub vm_config: Vec<u8>,
    pub logs: Vec<LogEntry>,
    /// Partial lines written to stdout (index 0) and stderr (index 1).
    pub stdio_lines: [Vec<u8>; 2],
    pub metrics: Vec<Metric>,
    pub shared_data: HashMap<Vec<u8>, (Vec<u8>, u32)>,
    /// Properties set by the guest at VM level (outside an HTTP context).
    pub root_properties: BTreeMap<String, Vec<u8>>,
    pub http: HttpState,
    pub tick_period_ms: u32,
    /// A fault to inject: header writes and metric increments answer INTERNAL_FAILURE, as
    /// ngx_wasm_module does on its allocation-failure paths.
    pub refuse_writes: bool,
    pub rng: u64,
    pub memory: Option<Memory>,
    pub allocate: Option<TypedFunc<i32, i32>>,
    pub limits: StoreLimits,
}

/// Largest linear memory a guest may grow to.
pub const MAX_GUEST_MEMORY: usize = 256 << 20;

impl HostState {
    /// Fresh state for a new instance.
    pub fn new(
        filter_name: String,
        plugin_config: Vec<u8>,
        vm_config: Vec<u8>,
        clock_nanos: u64,
    ) -> Self {
        Self {
            step: Step::Initialize,
            context_id: 0,
            root_id: 0,
            clock_nanos,
            filter_name,
            plugin_config,
            vm_config,
            logs: Vec::new(),
            stdio_lines: [Vec::new(), Vec::new()],
            metrics: Vec::new(),
            shared_data: HashMap::new(),
            root_properties: BTreeMap::new(),
            http: HttpState::default(),
            tick_period_ms: 0,
            refuse_writes: false,
            rng: 0x9e37_79b9_7f4a_7c15,
            memory: None,
            allocate: None,
            limits: StoreLimitsBuilder::new()
                .memory_size(MAX_GUEST_MEMORY)
                .instances(1)
                .build(),
        }
    }

    /// Records a log line.
    pub fn log(&mut self, level: &'static str, message: impl Into<String>) {
        self.logs.push(LogEntry {
            level,
            message: message.into(),
        });
    }

    /// Appends bytes written to stdout/stderr, turning every complete line into a log entry.
    pub fn write_stdio(&mut self, fd: usize, bytes: &[u8]) {
        let level = if fd == 0 { "stdout" } else { "stderr" };
        let Some(buffer) = self.stdio_lines.get_mut(fd) else {
            return;
        };
        buffer.extend_from_slice(bytes);
        let mut complete = Vec::new();
        while let Some(newline) = buffer.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=newline).collect();
            complete.push(line);
        }
        for line in complete {
            let text = String::from_utf8_lossy(&line);
            self.log(level, text.trim_end_matches(['\n', '\r']));
        }
    }

    /// Flushes partial stdout/stderr lines into the log (after every guest call).
    pub fn flush_stdio(&mut self) {
        for (fd, level) in [(0usize, "stdout"), (1, "stderr")] {
            let Some(buffer) = self.stdio_lines.get_mut(fd) else {
                continue;
            };
            if buffer.is_empty() {
                continue;
            }
            let line = std::mem::take(buffer);
            let text = String::from_utf8_lossy(&line).into_owned();
            self.log(level, text);
        }
    }

    /// Deterministic pseudo-random bytes (xorshift64*), for `random_get`.
    pub fn fill_random(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let mut x = self.rng;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.rng = x;
            let bytes = x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
            for (dst, src) in chunk.iter_mut().zip(bytes) {
                *dst = src;
            }
        }
    }

    /// Current metric values by name.
    pub fn metric_values(&self) -> BTreeMap<String, u64> {
        self.metrics
            .iter()
            .map(|m| (m.name.clone(), m.value))
            .collect()
    }
}
