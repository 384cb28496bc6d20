//! The host proper: [`Host`] compiles a module once; [`Plugin`] is one instance of it with its
//! root context (one VM, as Kong runs a filter per worker); [`Plugin::run_request`] drives one
//! HTTP context through the callbacks in ngx_wasm_module's order.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{anyhow, bail, Context as _};
use wasmtime::{
    Config, Engine, InstancePre, Linker, Module, Store, TypedFunc, WasmParams, WasmResults,
};

use crate::host::http::{Properties, Request, Response};
use crate::host::map::HeaderMap;
use crate::host::state::{HeaderEdit, HostState, LocalResponse, LogEntry, Step, Trap};
use crate::host::{abi, nginx, wasi};

/// Largest wasm stack a guest call may use.
const MAX_WASM_STACK: usize = 1 << 20;

/// The root context id ngx_wasm_module uses.
pub const ROOT_CONTEXT_ID: u32 = 1;

/// What a filter is handed for `request` before it runs (`Err`: nginx answers 400 itself): the
/// request's header map, pseudo-headers first, and the properties `get_property` answers, those
/// of the scenario (`properties`) winning over `source.*` and what nginx derives. Every run goes
/// through here, and so does the filter crate's native agreement test.
pub fn handed_over(
    request: &Request,
    properties: &Properties,
) -> Result<nginx::Admitted, nginx::Refusal> {
    let mut props = request.source_properties();
    props.extend(properties.iter().map(|(k, v)| (k.clone(), v.clone())));
    nginx::admit(request, &props)
}

/// A compiled filter module, ready to instantiate any number of times.
pub struct Host {
    engine: Engine,
    pre: InstancePre<HostState>,
}

/// How a plugin instance is set up.
#[derive(Clone, Debug)]
pub struct PluginOptions {
    /// The filter configuration handed to `on_configure` (Kong passes the JSON-encoded config).
    pub config: Vec<u8>,
    /// The VM configuration (`on_vm_start`); Kong passes none.
    pub vm_config: Vec<u8>,
    /// The wall clock the guest sees, in nanoseconds since the Unix epoch.
    pub clock_nanos: u64,
    /// Kong's name for the filter (the `.wasm` file stem).
    pub filter_name: String,
    /// A fault to inject: the host refuses header writes and metric increments.
    pub refuse_writes: bool,
}

impl Default for PluginOptions {
    fn default() -> Self {
        Self {
            config: Vec::new(),
            vm_config: Vec::new(),
            clock_nanos: 0,
            filter_name: "auth_diagnosis".into(),
            refuse_writes: false,
        }
    }
}

impl Host {
    /// Compiles `wasm` and links it against the host's imports.
    pub fn new(wasm: &[u8]) -> anyhow::Result<Self> {
        let mut config = Config::new();
        config.consume_fuel(false);
        config.max_wasm_stack(MAX_WASM_STACK);
        let engine = Engine::new(&config).map_err(anyhow::Error::from)?;
        let module = Module::new(&engine, wasm)
            .map_err(anyhow::Error::from)
            .context("not a valid wasm module")?;
        check_exports(&module)?;
        let mut linker = Linker::new(&engine);
        abi::add_to_linker(&mut linker).map_err(anyhow::Error::from)?;
        wasi::add_to_linker(&mut linker).map_err(anyhow::Error::from)?;
        abi::define_not_implemented(&mut linker, &module).map_err(anyhow::Error::from)?;
        linker
            .define_unknown_imports_as_traps(&module)
            .map_err(anyhow::Error::from)?;
        let pre = linker
            .instantiate_pre(&module)
            .map_err(anyhow::Error::from)
            .context("cannot link the module")?;
        Ok(Self { engine, pre })
    }

    /// Reads and compiles a `.wasm` file.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let wasm =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Self::new(&wasm).with_context(|| format!("cannot load {}", path.display()))
    }

    /// The wasmtime engine (shared by every instance).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Instantiates the module and starts it as ngx_wasm_module does: `_initialize` (if
    /// exported), `proxy_on_context_create(1, 0)`, `proxy_on_vm_start(1, size)`. A trap there is
    /// kept in the plugin (see [`Plugin::trap`]); `Err` means the module could not be
    /// instantiated at all.
    pub fn instantiate(&self, options: PluginOptions) -> anyhow::Result<Plugin> {
        let mut state = HostState::new(
            options.filter_name,
            options.config,
            options.vm_config,
            options.clock_nanos,
        );
        state.refuse_writes = options.refuse_writes;
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limits);
        let instance = self
            .pre
            .instantiate(&mut store)
            .map_err(anyhow::Error::from)
            .context("cannot instantiate the module")?;
        let memory = instance.get_memory(&mut store, "memory");
        let allocate = typed::<i32, i32>(&instance, &mut store, "proxy_on_memory_allocate")?;
        store.data_mut().memory = memory;
        store.data_mut().allocate = Some(allocate);
        let exports = Exports {
            initialize: instance
                .get_typed_func::<(), ()>(&mut store, "_initialize")
                .ok(),
            on_context_create: typed(&instance, &mut store, "proxy_on_context_create")?,
            on_vm_start: typed(&instance, &mut store, "proxy_on_vm_start")?,
            on_configure: typed(&instance, &mut store, "proxy_on_configure")?,
            on_request_headers: typed(&instance, &mut store, "proxy_on_request_headers")?,
            on_response_headers: typed(&instance, &mut store, "proxy_on_response_headers")?,
            on_log: typed(&instance, &mut store, "proxy_on_log")?,
            on_done: typed(&instance, &mut store, "proxy_on_done")?,
            on_delete: typed(&instance, &mut store, "proxy_on_delete")?,
            on_tick: instance
                .get_typed_func::<i32, ()>(&mut store, "proxy_on_tick")
                .ok(),
        };
        let mut plugin = Plugin {
            store,
            exports,
            root_id: ROOT_CONTEXT_ID,
            next_context_id: ROOT_CONTEXT_ID + 1,
            trap: None,
            vm_started: false,
            configured: None,
        };
        plugin.start();
        Ok(plugin)
    }
}

fn check_exports(module: &Module) -> anyhow::Result<()> {
    let has = |name: &str| module.exports().any(|e| e.name() == name);
    if !has("proxy_abi_version_0_2_1") && !has("proxy_abi_version_0_2_0") {
        bail!("the module is not a proxy-wasm filter: it exports no proxy_abi_version_0_2_1 (nor 0_2_0)");
    }
    if !has("memory") {
        bail!("the module exports no memory");
    }
    Ok(())
}

fn typed<P: WasmParams, R: WasmResults>(
    instance: &wasmtime::Instance,
    store: &mut Store<HostState>,
    name: &str,
) -> anyhow::Result<TypedFunc<P, R>> {
    instance
        .get_typed_func::<P, R>(&mut *store, name)
        .map_err(|e| anyhow!("the module's export {name} is missing or has the wrong type: {e}"))
}

struct Exports {
    initialize: Option<TypedFunc<(), ()>>,
    on_context_create: TypedFunc<(i32, i32), ()>,
    on_vm_start: TypedFunc<(i32, i32), i32>,
    on_configure: TypedFunc<(i32, i32), i32>,
    on_request_headers: TypedFunc<(i32, i32, i32), i32>,
    on_response_headers: TypedFunc<(i32, i32, i32), i32>,
    on_log: TypedFunc<i32, ()>,
    on_done: TypedFunc<i32, i32>,
    on_delete: TypedFunc<i32, ()>,
    on_tick: Option<TypedFunc<i32, ()>>,
}

/// One instance of the filter: its store, its exports, its root context.
pub struct Plugin {
    store: Store<HostState>,
    exports: Exports,
    root_id: u32,
    next_context_id: u32,
    trap: Option<Trap>,
    vm_started: bool,
    configured: Option<bool>,
}

/// What the filter did with one request.
#[derive(Clone, Debug, Default)]
pub struct RequestOutcome {
    /// The HTTP context id used.
    pub context_id: u32,
    /// The trap that ended the request early, if any (later callbacks were skipped).
    pub trap: Option<Trap>,
    /// Log lines of this request (from `on_context_create` to `on_delete`).
    pub logs: Vec<LogEntry>,
    /// What `on_request_headers` returned (0 Continue, 1 Pause).
    pub request_action: Option<i32>,
    /// What `on_response_headers` returned, if it ran.
    pub response_action: Option<i32>,
    /// The request headers after the filter's edits (pseudo-headers included).
    pub request_headers: HeaderMap,
    /// A response the filter produced with `send_local_response`.
    pub local_response: Option<LocalResponse>,
    /// The upstream's response after the filter's edits; `None` when no response was given or
    /// the filter answered in the request-headers step.
    pub response: Option<FinalResponse>,
    /// Every header edit, in order.
    pub edits: Vec<HeaderEdit>,
    /// Why nginx answered 400 before any filter ran (the filter was not called), if it did.
    pub refused: Option<String>,
}

/// The upstream's response as the client receives it after the filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FinalResponse {
    /// `:status` of the final map (`None` if the filter made it unparseable or removed it).
    pub status: Option<u16>,
    /// Headers without `:status`.
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// The response the client sees: the filter's own answer or the (edited) upstream response.
#[derive(Clone, Copy, Debug)]
pub enum ClientResponse<'a> {
    Local(&'a LocalResponse),
    Upstream(&'a FinalResponse),
}

impl ClientResponse<'_> {
    /// The status line's code.
    pub fn status(&self) -> Option<u32> {
        match self {
            ClientResponse::Local(local) => Some(local.status),
            ClientResponse::Upstream(response) => response.status.map(u32::from),
        }
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        match self {
            ClientResponse::Local(local) => &local.headers,
            ClientResponse::Upstream(response) => &response.headers,
        }
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        match self {
            ClientResponse::Local(local) => &local.body,
            ClientResponse::Upstream(response) => &response.body,
        }
    }
}

impl RequestOutcome {
    /// What the client receives.
    pub fn client_response(&self) -> Option<ClientResponse<'_>> {
        match (&self.local_response, &self.response) {
            (Some(local), _) if local.step == Step::RequestHeaders => {
                Some(ClientResponse::Local(local))
            }
            (_, Some(response)) => Some(ClientResponse::Upstream(response)),
            _ => None,
        }
    }

    /// Whether the filter answered by itself in the request-headers step.
    pub fn answered_locally(&self) -> bool {
        matches!(self.client_response(), Some(ClientResponse::Local(_)))
    }
}

impl Plugin {
    fn start(&mut self) {
        if let Some(initialize) = self.exports.initialize.clone() {
            self.store.data_mut().step = Step::Initialize;
            let result = initialize.call(&mut self.store, ());
            if self
                .settle(Step::Initialize, "_initialize", result)
                .is_err()
            {
                return;
            }
        }
        let root = self.root_id as i32;
        self.store.data_mut().root_id = self.root_id;
        self.store.data_mut().context_id = self.root_id;
        if self
            .call(
                Step::Initialize,
                "proxy_on_context_create",
                |e| &e.on_context_create,
                (root, 0),
            )
            .is_err()
        {
            return;
        }
        let vm_config_len = len_i32(self.store.data().vm_config.len());
        if let Ok(started) = self.call(
            Step::VmStart,
            "proxy_on_vm_start",
            |e| &e.on_vm_start,
            (root, vm_config_len),
        ) {
            self.vm_started = started != 0;
        }
    }

    /// Calls `proxy_on_configure(1, config_size)`; `Ok(true)` when the filter accepted its
    /// configuration. A VM that did not start answers `Ok(false)` without calling.
    pub fn configure(&mut self) -> Result<bool, Trap> {
        if let Some(trap) = &self.trap {
            return Err(trap.clone());
        }
        if !self.vm_started {
            self.configured = Some(false);
            return Ok(false);
        }
        let root = self.root_id as i32;
        let config_len = len_i32(self.store.data().plugin_config.len());
        let configured = self.call(
            Step::Configure,
            "proxy_on_configure",
            |e| &e.on_configure,
            (root, config_len),
        )? != 0;
        self.configured = Some(configured);
        Ok(configured)
    }

    /// Calls `proxy_on_tick(root)` once, as the module's timer does when the root context set a
    /// tick period (ngx_proxy_wasm.c, `ngx_proxy_wasm_on_tick`): in the root context, so it runs
    /// under the root's rules, as `on_configure` does. `Ok(false)` when no period is set or the
    /// filter exports no `proxy_on_tick`.
    pub fn tick(&mut self) -> Result<bool, Trap> {
        if let Some(trap) = &self.trap {
            return Err(trap.clone());
        }
        let Some(on_tick) = self.exports.on_tick.clone() else {
            return Ok(false);
        };
        if self.store.data().tick_period_ms == 0 {
            return Ok(false);
        }
        let root = self.root_id as i32;
        self.store.data_mut().context_id = self.root_id;
        self.store.data_mut().step = Step::Configure;
        let result = on_tick.call(&mut self.store, root);
        self.settle(Step::Configure, "proxy_on_tick", result)?;
        Ok(true)
    }

    /// What `configure` returned last (`None` before it ran).
    pub fn configured(&self) -> Option<bool> {
        self.configured
    }

    /// The trap that poisoned this instance, if any: later calls do nothing.
    pub fn trap(&self) -> Option<&Trap> {
        self.trap.as_ref()
    }

    /// Removes and returns the captured log lines so far.
    pub fn take_logs(&mut self) -> Vec<LogEntry> {
        self.store.data_mut().flush_stdio();
        std::mem::take(&mut self.store.data_mut().logs)
    }

    /// Metric values by the names the filter defined.
    pub fn metrics(&self) -> BTreeMap<String, u64> {
        self.store.data().metric_values()
    }

    /// Sets the wall clock the guest sees.
    pub fn set_clock_nanos(&mut self, nanos: u64) {
        self.store.data_mut().clock_nanos = nanos;
    }

    /// Runs one request through a new HTTP context: `on_context_create(id, 1)`,
    /// `on_request_headers(id, n, eos=false)`, then — unless the filter answered locally or no
    /// response is given — `on_response_headers(id, n, false)`, then `on_log`, `on_done`,
    /// `on_delete`. `properties` answer `get_property`; `source.address`/`source.port` come from
    /// the request and `response.code` from the response unless `properties` sets them.
    pub fn run_request(
        &mut self,
        request: &Request,
        response: Option<&Response>,
        properties: &Properties,
    ) -> RequestOutcome {
        let context_id = self.next_context_id;
        self.next_context_id = self
            .next_context_id
            .wrapping_add(1)
            .max(ROOT_CONTEXT_ID + 1);
        // Lines logged between requests (e.g. by on_configure) are not this request's.
        let earlier = self.take_logs();
        let mut outcome = RequestOutcome {
            context_id,
            ..RequestOutcome::default()
        };
        if let Some(trap) = &self.trap {
            outcome.trap = Some(trap.clone());
            self.store.data_mut().logs = earlier;
            return outcome;
        }

        // What nginx does before any filter: a 400 of its own, or the request as
        // ngx_wasm_module hands it over (see nginx.rs).
        let admitted = match handed_over(request, properties) {
            Ok(admitted) => admitted,
            Err(refusal) => {
                outcome.refused = Some(refusal.0);
                self.store.data_mut().logs = earlier;
                return outcome;
            }
        };
        {
            let state = self.store.data_mut();
            state.http = Default::default();
            state.http.request_headers = admitted.headers;
            state.http.properties = admitted.properties;
            state.context_id = context_id;
        }
        let id = context_id as i32;
        let root = self.root_id as i32;
        let result = self.drive(id, root, response, &mut outcome);
        if let Err(trap) = result {
            outcome.trap = Some(trap);
        }

        let logs = self.take_logs();
        self.store.data_mut().logs = earlier;
        let state = self.store.data_mut();
        state.context_id = self.root_id;
        let http = std::mem::take(&mut state.http);
        outcome.logs = logs;
        outcome.request_headers = http.request_headers;
        outcome.edits = http.edits;
        let answered_early = http
            .local_response
            .as_ref()
            .is_some_and(|local| local.step == Step::RequestHeaders);
        if http.has_response && !answered_early {
            let mut headers = http.response_headers;
            let status = headers
                .get(b":status")
                .and_then(|s| std::str::from_utf8(s).ok())
                .and_then(|s| s.trim().parse().ok());
            headers.remove(b":status");
            outcome.response = Some(FinalResponse {
                status,
                headers,
                body: http.response_body,
            });
        }
        outcome.local_response = http.local_response;
        outcome
    }

    fn drive(
        &mut self,
        id: i32,
        root: i32,
        response: Option<&Response>,
        outcome: &mut RequestOutcome,
    ) -> Result<(), Trap> {
        self.call(
            Step::RequestHeaders,
            "proxy_on_context_create",
            |e| &e.on_context_create,
            (id, root),
        )?;
        // num_headers: nginx's header list, without the pseudo-headers
        // (src/http/proxy_wasm/ngx_http_proxy_wasm.c:25).
        let count = len_i32(self.store.data().http.request_headers.header_count());
        outcome.request_action = Some(self.call(
            Step::RequestHeaders,
            "proxy_on_request_headers",
            |e| &e.on_request_headers,
            (id, count, 0),
        )?);

        let local_status = self
            .store
            .data()
            .http
            .local_response
            .as_ref()
            .map(|l| l.status);
        match (local_status, response) {
            (Some(status), _) => {
                self.set_response_code_property(u64::from(status));
            }
            (None, Some(response)) => {
                {
                    let state = self.store.data_mut();
                    let early = std::mem::take(&mut state.http.response_headers);
                    let mut map = response.header_map();
                    for (name, value) in early.iter() {
                        map.add(name, value);
                    }
                    state.http.response_headers = map;
                    state.http.response_body = response.body.clone();
                    state.http.has_response = true;
                }
                self.set_response_code_property(u64::from(response.status));
                // ngx_http_proxy_wasm.c:183-184: the response headers without :status.
                let count = len_i32(self.store.data().http.response_headers.header_count());
                outcome.response_action = Some(self.call(
                    Step::ResponseHeaders,
                    "proxy_on_response_headers",
                    |e| &e.on_response_headers,
                    (id, count, 0),
                )?);
            }
            (None, None) => {}
        }

        self.call(Step::Log, "proxy_on_log", |e| &e.on_log, id)?;
        self.call(Step::Done, "proxy_on_done", |e| &e.on_done, id)?;
        self.call(Step::Done, "proxy_on_delete", |e| &e.on_delete, id)?;
        Ok(())
    }

    fn set_response_code_property(&mut self, status: u64) {
        self.store
            .data_mut()
            .http
            .properties
            .entry("response.code".into())
            .or_insert_with(|| status.to_string().into_bytes());
    }

    /// Calls the guest export `pick` selects, in `step`; a failure poisons the instance.
    fn call<P: WasmParams, R: WasmResults>(
        &mut self,
        step: Step,
        function: &str,
        pick: impl FnOnce(&Exports) -> &TypedFunc<P, R>,
        params: P,
    ) -> Result<R, Trap> {
        self.store.data_mut().step = step;
        let result = pick(&self.exports).call(&mut self.store, params);
        self.settle(step, function, result)
    }

    /// Flushes partial output lines and turns a failed call into a trap that poisons the instance.
    fn settle<R>(
        &mut self,
        step: Step,
        function: &str,
        result: wasmtime::Result<R>,
    ) -> Result<R, Trap> {
        self.store.data_mut().flush_stdio();
        result.map_err(|error| {
            let trap = Trap {
                step,
                function: function.to_owned(),
                message: error.root_cause().to_string(),
                detail: format!("{error:?}"),
            };
            self.trap = Some(trap.clone());
            trap
        })
    }
}

fn len_i32(len: usize) -> i32 {
    i32::try_from(len).unwrap_or(i32::MAX)
}
