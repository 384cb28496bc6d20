//! The proxy-wasm ABI 0.2.1 imports (module `env`), with ngx_wasm_module's semantics as Kong 3.9.3
//! ships them (ngx_wasm_module 9136e463, src/common/proxy_wasm/ngx_proxy_wasm_host.c): the same
//! status codes, the same step rules, the same trap messages, and the same "not yet implemented"
//! traps for the hostcalls it does not implement.

use wasmtime::{format_err, Caller, Error, ExternType, Linker, Module, Result, Val};

use crate::host::guest::{self, Returned};
use crate::host::map::HeaderMap;
use crate::host::state::{
    log_level_name, HeaderEdit, HostState, LocalResponse, MapKind, Metric, MetricKind, Step,
};

/// proxy-wasm status codes.
pub mod status {
    pub const OK: i32 = 0;
    pub const NOT_FOUND: i32 = 1;
    pub const BAD_ARGUMENT: i32 = 2;
    pub const CAS_MISMATCH: i32 = 8;
    pub const INVALID_MEMORY_ACCESS: i32 = 6;
    pub const INTERNAL_FAILURE: i32 = 10;
}

/// proxy-wasm map types the host knows.
const MAP_REQUEST_HEADERS: i32 = 0;
const MAP_RESPONSE_HEADERS: i32 = 2;

/// proxy-wasm buffer types.
const BUFFER_REQUEST_BODY: i32 = 0;
const BUFFER_RESPONSE_BODY: i32 = 1;
const BUFFER_CALL_RESPONSE_BODY: i32 = 4;
const BUFFER_VM_CONFIGURATION: i32 = 6;
const BUFFER_PLUGIN_CONFIGURATION: i32 = 7;

/// Longest metric name (ngx_wasm_module's default `max_metric_name_length`), counted with the
/// `pw:<filter>:` prefix.
const MAX_METRIC_NAME: usize = 256;

/// Hostcalls that ngx_wasm_module 9136e463 registers but does not implement: calling one traps
/// with "host trap (function not yet implemented): <name>".
pub const NOT_IMPLEMENTED: &[&str] = &[
    "proxy_get_log_level",
    "proxy_done",
    "proxy_close_stream",
    "proxy_get_status",
    "proxy_call_foreign_function",
    "proxy_grpc_call",
    "proxy_grpc_stream",
    "proxy_grpc_send",
    "proxy_grpc_cancel",
    "proxy_grpc_close",
    "proxy_resolve_shared_queue",
];

fn bad_usage(message: impl std::fmt::Display) -> Error {
    format_err!("host trap (bad usage): {message}")
}

fn internal(message: impl std::fmt::Display) -> Error {
    format_err!("host trap (internal error): {message}")
}

/// Registers every implemented `env` hostcall.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> Result<()> {
    linker.func_wrap("env", "proxy_log", proxy_log)?;
    linker.func_wrap(
        "env",
        "proxy_get_current_time_nanoseconds",
        get_current_time,
    )?;
    linker.func_wrap("env", "proxy_set_tick_period_milliseconds", set_tick_period)?;
    linker.func_wrap("env", "proxy_get_buffer_bytes", get_buffer_bytes)?;
    linker.func_wrap("env", "proxy_set_buffer_bytes", set_buffer_bytes)?;
    linker.func_wrap("env", "proxy_get_header_map_pairs", get_header_map_pairs)?;
    linker.func_wrap("env", "proxy_set_header_map_pairs", set_header_map_pairs)?;
    linker.func_wrap("env", "proxy_get_header_map_value", get_header_map_value)?;
    linker.func_wrap(
        "env",
        "proxy_replace_header_map_value",
        replace_header_map_value,
    )?;
    linker.func_wrap("env", "proxy_add_header_map_value", add_header_map_value)?;
    linker.func_wrap(
        "env",
        "proxy_remove_header_map_value",
        remove_header_map_value,
    )?;
    linker.func_wrap("env", "proxy_get_property", get_property)?;
    linker.func_wrap("env", "proxy_set_property", set_property)?;
    linker.func_wrap("env", "proxy_send_local_response", send_local_response)?;
    linker.func_wrap("env", "proxy_continue_stream", continue_stream)?;
    linker.func_wrap("env", "proxy_get_shared_data", get_shared_data)?;
    linker.func_wrap("env", "proxy_set_shared_data", set_shared_data)?;
    linker.func_wrap("env", "proxy_define_metric", define_metric)?;
    linker.func_wrap("env", "proxy_increment_metric", increment_metric)?;
    linker.func_wrap("env", "proxy_record_metric", record_metric)?;
    linker.func_wrap("env", "proxy_get_metric", get_metric)?;
    linker.func_wrap("env", "proxy_set_effective_context", set_effective_context)?;
    Ok(())
}

/// Defines the hostcalls of [`NOT_IMPLEMENTED`] that `module` imports, with the module's own
/// signature, as functions that trap like ngx_wasm_module's.
pub fn define_not_implemented(linker: &mut Linker<HostState>, module: &Module) -> Result<()> {
    for import in module.imports() {
        if import.module() != "env" || !NOT_IMPLEMENTED.contains(&import.name()) {
            continue;
        }
        let ExternType::Func(ty) = import.ty() else {
            continue;
        };
        let name = import.name().to_owned();
        linker.func_new(
            "env",
            import.name(),
            ty,
            move |_caller, _params: &[Val], _results| {
                Err(format_err!(
                    "host trap (function not yet implemented): {name}"
                ))
            },
        )?;
    }
    Ok(())
}

// ---- integration ----

fn proxy_log(mut caller: Caller<'_, HostState>, level: i32, ptr: i32, len: i32) -> Result<i32> {
    let message = guest::read(&caller, ptr, len)?;
    let Some(level) = log_level_name(level) else {
        return Ok(status::BAD_ARGUMENT);
    };
    let message = String::from_utf8_lossy(&message).into_owned();
    caller.data_mut().log(level, message);
    Ok(status::OK)
}

fn get_current_time(mut caller: Caller<'_, HostState>, out: i32) -> Result<i32> {
    let now = caller.data().clock_nanos;
    guest::write_u64(&mut caller, out, now)?;
    Ok(status::OK)
}

fn set_tick_period(mut caller: Caller<'_, HostState>, period: i32) -> Result<i32> {
    let state = caller.data_mut();
    if state.context_id != state.root_id || state.step.is_http() {
        return Err(format_err!("can only set tick_period in root context"));
    }
    let period = period as u32;
    if period != 0 && state.tick_period_ms != 0 {
        return Err(format_err!("tick_period already set"));
    }
    state.tick_period_ms = period;
    Ok(status::OK)
}

fn set_effective_context(_caller: Caller<'_, HostState>, _context_id: i32) -> Result<i32> {
    Ok(status::OK)
}

// ---- buffers ----

fn get_buffer_bytes(
    mut caller: Caller<'_, HostState>,
    buffer_type: i32,
    start: i32,
    max_size: i32,
    ptr_out: i32,
    len_out: i32,
) -> Result<i32> {
    let step = caller.data().step;
    let source = match buffer_type {
        BUFFER_PLUGIN_CONFIGURATION => caller.data().plugin_config.clone(),
        BUFFER_VM_CONFIGURATION => caller.data().vm_config.clone(),
        BUFFER_REQUEST_BODY => match step {
            // No scenario carries a request body: "no body".
            Step::RequestHeaders | Step::Log => return Ok(status::NOT_FOUND),
            _ => {
                return Err(bad_usage(
                    "can only get request body during \"on_request_body\", \"on_log\"",
                ))
            }
        },
        BUFFER_RESPONSE_BODY => {
            return Err(bad_usage(
                "can only get response body during \"on_response_body\"",
            ))
        }
        BUFFER_CALL_RESPONSE_BODY => match step {
            Step::Log => return Ok(status::BAD_ARGUMENT),
            _ => {
                return Err(bad_usage(
                    "can only get dispatch response body during \"on_http_dispatch_response\"",
                ))
            }
        },
        _ => return Ok(status::BAD_ARGUMENT),
    };
    let start = (start as u32 as usize).min(source.len());
    let max = max_size as u32 as usize;
    let slice = source.get(start..).unwrap_or_default();
    let slice = slice.get(..max.min(slice.len())).unwrap_or_default();
    if slice.is_empty() {
        return Ok(status::NOT_FOUND);
    }
    hand_over(&mut caller, slice, ptr_out, len_out)
}

fn set_buffer_bytes(
    _caller: Caller<'_, HostState>,
    buffer_type: i32,
    _start: i32,
    _size: i32,
    _ptr: i32,
    _len: i32,
) -> Result<i32> {
    match buffer_type {
        BUFFER_REQUEST_BODY => Err(bad_usage(
            "can only set request body during \"on_request_body\"",
        )),
        BUFFER_RESPONSE_BODY => Err(bad_usage(
            "can only set response body during \"on_response_body\"",
        )),
        _ => Ok(status::BAD_ARGUMENT),
    }
}

fn hand_over(
    caller: &mut Caller<'_, HostState>,
    bytes: &[u8],
    ptr_out: i32,
    len_out: i32,
) -> Result<i32> {
    match guest::return_buffer(caller, bytes, ptr_out, len_out)? {
        Returned::Written => Ok(status::OK),
        Returned::AllocationFailed => Ok(status::INTERNAL_FAILURE),
    }
}

// ---- header maps ----

/// The map a read refers to, or `None` for map types ngx_wasm_module answers BadArgument to.
fn readable_map(state: &HostState, map_type: i32) -> Option<&HeaderMap> {
    if !state.step.is_http() {
        return None;
    }
    match map_type {
        MAP_REQUEST_HEADERS => Some(&state.http.request_headers),
        MAP_RESPONSE_HEADERS => Some(&state.http.response_headers),
        _ => None,
    }
}

/// Checks that `map_type` may be written in the current step (ngx_proxy_wasm_hfuncs_set_header_check).
/// `Ok(None)` is a map type the host answers BadArgument to.
fn writable_map(step: Step, map_type: i32) -> Result<Option<MapKind>> {
    match map_type {
        MAP_REQUEST_HEADERS => match step {
            Step::RequestHeaders => Ok(Some(MapKind::Request)),
            _ => Err(bad_usage(
                "can only set request headers before response is produced",
            )),
        },
        MAP_RESPONSE_HEADERS => match step {
            Step::RequestHeaders | Step::ResponseHeaders => Ok(Some(MapKind::Response)),
            _ => Err(bad_usage(
                "can only set response headers before \"on_response_body\"",
            )),
        },
        _ => Ok(None),
    }
}

fn map_mut(state: &mut HostState, kind: MapKind) -> &mut HeaderMap {
    match kind {
        MapKind::Request => &mut state.http.request_headers,
        MapKind::Response => &mut state.http.response_headers,
    }
}

fn get_header_map_pairs(
    mut caller: Caller<'_, HostState>,
    map_type: i32,
    ptr_out: i32,
    len_out: i32,
) -> Result<i32> {
    let Some(map) = readable_map(caller.data(), map_type) else {
        return Ok(status::BAD_ARGUMENT);
    };
    // At most 100 pairs, pseudo-headers first, and the module's sizing bug: see map::marshal
    // (ngx_proxy_wasm_util.c:285-460, 536-565).
    let marshalled = map.marshal();
    if let Some(count) = marshalled.truncated {
        // ngx_proxy_wasm_host.c:573-577.
        caller.data_mut().log(
            "warn",
            format!("marshalled map truncated to {count} elements"),
        );
    }
    match guest::return_buffer_sized(
        &mut caller,
        &marshalled.bytes,
        marshalled.size,
        ptr_out,
        len_out,
    )? {
        Returned::Written => Ok(status::OK),
        // ngx_proxy_wasm_host.c:567-571: result_invalid_mem.
        Returned::AllocationFailed => Ok(status::INVALID_MEMORY_ACCESS),
    }
}

fn get_header_map_value(
    mut caller: Caller<'_, HostState>,
    map_type: i32,
    key_ptr: i32,
    key_len: i32,
    ptr_out: i32,
    len_out: i32,
) -> Result<i32> {
    let key = guest::read(&caller, key_ptr, key_len)?;
    let Some(map) = readable_map(caller.data(), map_type) else {
        return Ok(status::BAD_ARGUMENT);
    };
    let Some(value) = map.get(&key).map(<[u8]>::to_vec) else {
        return Ok(status::NOT_FOUND);
    };
    hand_over(&mut caller, &value, ptr_out, len_out)
}

fn set_header_map_pairs(
    mut caller: Caller<'_, HostState>,
    map_type: i32,
    ptr: i32,
    len: i32,
) -> Result<i32> {
    let bytes = guest::read(&caller, ptr, len)?;
    let Ok(pairs) = HeaderMap::deserialize(&bytes) else {
        return Ok(status::INTERNAL_FAILURE);
    };
    let state = caller.data_mut();
    let step = state.step;
    let Some(kind) = writable_map(step, map_type)? else {
        return Ok(status::BAD_ARGUMENT);
    };
    *map_mut(state, kind) = pairs.clone();
    state.http.edits.push(HeaderEdit::SetAll {
        map: kind,
        step,
        pairs,
    });
    Ok(status::OK)
}

/// Whether a header write replaces the first value or adds one more.
#[derive(Clone, Copy)]
enum Write {
    Replace,
    Add,
}

fn replace_header_map_value(
    caller: Caller<'_, HostState>,
    map_type: i32,
    key_ptr: i32,
    key_len: i32,
    value_ptr: i32,
    value_len: i32,
) -> Result<i32> {
    write_header_value(
        caller,
        map_type,
        (key_ptr, key_len),
        (value_ptr, value_len),
        Write::Replace,
    )
}

fn add_header_map_value(
    caller: Caller<'_, HostState>,
    map_type: i32,
    key_ptr: i32,
    key_len: i32,
    value_ptr: i32,
    value_len: i32,
) -> Result<i32> {
    write_header_value(
        caller,
        map_type,
        (key_ptr, key_len),
        (value_ptr, value_len),
        Write::Add,
    )
}

/// One header value written into a map, under ngx_wasm_module's step rules, and recorded.
fn write_header_value(
    mut caller: Caller<'_, HostState>,
    map_type: i32,
    (key_ptr, key_len): (i32, i32),
    (value_ptr, value_len): (i32, i32),
    write: Write,
) -> Result<i32> {
    let name = guest::read(&caller, key_ptr, key_len)?;
    let value = guest::read(&caller, value_ptr, value_len)?;
    let state = caller.data_mut();
    let step = state.step;
    let Some(kind) = writable_map(step, map_type)? else {
        return Ok(status::BAD_ARGUMENT);
    };
    if state.refuse_writes {
        return Ok(status::INTERNAL_FAILURE);
    }
    let map = map_mut(state, kind);
    let edit = match write {
        Write::Replace => {
            map.replace(&name, &value);
            HeaderEdit::Replace {
                map: kind,
                step,
                name,
                value,
            }
        }
        Write::Add => {
            map.add(&name, &value);
            HeaderEdit::Add {
                map: kind,
                step,
                name,
                value,
            }
        }
    };
    state.http.edits.push(edit);
    Ok(status::OK)
}

fn remove_header_map_value(
    mut caller: Caller<'_, HostState>,
    map_type: i32,
    key_ptr: i32,
    key_len: i32,
) -> Result<i32> {
    let name = guest::read(&caller, key_ptr, key_len)?;
    let state = caller.data_mut();
    let step = state.step;
    let Some(kind) = writable_map(step, map_type)? else {
        return Ok(status::BAD_ARGUMENT);
    };
    map_mut(state, kind).remove(&name);
    state.http.edits.push(HeaderEdit::Remove {
        map: kind,
        step,
        name,
    });
    Ok(status::OK)
}

// ---- properties ----

/// Turns a serialized property path (segments separated by NUL) into its dotted form.
pub fn dotted_path(raw: &[u8]) -> String {
    let trimmed = raw.strip_suffix(&[0]).unwrap_or(raw);
    trimmed
        .split(|&b| b == 0)
        .map(String::from_utf8_lossy)
        .collect::<Vec<_>>()
        .join(".")
}

fn get_property(
    mut caller: Caller<'_, HostState>,
    path_ptr: i32,
    path_len: i32,
    ptr_out: i32,
    len_out: i32,
) -> Result<i32> {
    let path = dotted_path(&guest::read(&caller, path_ptr, path_len)?);
    let state = caller.data();
    let properties = if state.step.is_http() {
        &state.http.properties
    } else {
        &state.root_properties
    };
    let Some(value) = properties.get(&path).cloned() else {
        return Ok(status::NOT_FOUND);
    };
    hand_over(&mut caller, &value, ptr_out, len_out)
}

fn set_property(
    mut caller: Caller<'_, HostState>,
    path_ptr: i32,
    path_len: i32,
    value_ptr: i32,
    value_len: i32,
) -> Result<i32> {
    let path = dotted_path(&guest::read(&caller, path_ptr, path_len)?);
    let value = guest::read(&caller, value_ptr, value_len)?;
    let state = caller.data_mut();
    let properties = if state.step.is_http() {
        &mut state.http.properties
    } else {
        &mut state.root_properties
    };
    properties.insert(path, value);
    Ok(status::OK)
}

// ---- HTTP ----

#[allow(clippy::too_many_arguments)]
fn send_local_response(
    mut caller: Caller<'_, HostState>,
    status_code: i32,
    details_ptr: i32,
    details_len: i32,
    body_ptr: i32,
    body_len: i32,
    headers_ptr: i32,
    headers_len: i32,
    grpc_status: i32,
) -> Result<i32> {
    let details = guest::read(&caller, details_ptr, details_len)?;
    let body = guest::read(&caller, body_ptr, body_len)?;
    let headers = guest::read(&caller, headers_ptr, headers_len)?;
    let Ok(headers) = HeaderMap::deserialize(&headers) else {
        return Ok(status::INTERNAL_FAILURE);
    };
    let state = caller.data_mut();
    let step = state.step;
    let status_code = status_code as u32;
    match step {
        Step::RequestHeaders => {
            if state.http.local_response.is_some() {
                return Err(bad_usage("local response already stashed"));
            }
        }
        Step::ResponseHeaders => {
            // ngx_wasm_module: inside the header filter, a local response overrides the status
            // and the body (a linefeed appended) of the response being sent; its headers are
            // not applied.
            let mut new_body = body.clone();
            if !new_body.is_empty() {
                new_body.push(b'\n');
            }
            state.http.response_body = new_body;
            state
                .http
                .response_headers
                .replace(b":status", status_code.to_string().as_bytes());
        }
        Step::Log | Step::Done => return Err(bad_usage("response already sent")),
        Step::Initialize | Step::VmStart | Step::Configure => {
            return Err(bad_usage(
                "can only send a local response during an HTTP request",
            ))
        }
    }
    state.http.local_response = Some(LocalResponse {
        step,
        status: status_code,
        details,
        headers,
        body,
        grpc_status,
    });
    Ok(status::OK)
}

fn continue_stream(_caller: Caller<'_, HostState>, stream_type: i32) -> Result<i32> {
    // HttpRequest = 0, HttpResponse = 1; ngx_wasm_module answers the others with an error.
    match stream_type {
        0 | 1 => Ok(status::OK),
        _ => Ok(status::INTERNAL_FAILURE),
    }
}

// ---- shared data ----

fn get_shared_data(
    mut caller: Caller<'_, HostState>,
    key_ptr: i32,
    key_len: i32,
    ptr_out: i32,
    len_out: i32,
    cas_out: i32,
) -> Result<i32> {
    let key = guest::read(&caller, key_ptr, key_len)?;
    let Some((value, cas)) = caller.data().shared_data.get(&key).cloned() else {
        return Ok(status::NOT_FOUND);
    };
    let result = hand_over(&mut caller, &value, ptr_out, len_out)?;
    if result == status::OK {
        guest::write_u32(&mut caller, cas_out, cas)?;
    }
    Ok(result)
}

fn set_shared_data(
    mut caller: Caller<'_, HostState>,
    key_ptr: i32,
    key_len: i32,
    value_ptr: i32,
    value_len: i32,
    cas: i32,
) -> Result<i32> {
    let key = guest::read(&caller, key_ptr, key_len)?;
    let value = guest::read(&caller, value_ptr, value_len)?;
    let cas = cas as u32;
    let shared = &mut caller.data_mut().shared_data;
    let current = shared.get(&key).map_or(0, |(_, c)| *c);
    if cas != 0 && cas != current {
        return Ok(status::CAS_MISMATCH);
    }
    let next = current.wrapping_add(1).max(1);
    shared.insert(key, (value, next));
    Ok(status::OK)
}

// ---- metrics ----

fn define_metric(
    mut caller: Caller<'_, HostState>,
    kind: i32,
    name_ptr: i32,
    name_len: i32,
    id_out: i32,
) -> Result<i32> {
    let name = String::from_utf8_lossy(&guest::read(&caller, name_ptr, name_len)?).into_owned();
    let kind = match kind {
        0 => MetricKind::Counter,
        1 => MetricKind::Gauge,
        2 => MetricKind::Histogram,
        other => {
            return Err(internal(format_args!(
                "could not define metric \"{name}\": unknown type \"{other}\""
            )))
        }
    };
    let state = caller.data_mut();
    if 4 + state.filter_name.len() + name.len() > MAX_METRIC_NAME {
        return Err(internal(format_args!(
            "could not define metric: name \"{name}\" too long"
        )));
    }
    let index = match state.metrics.iter().position(|m| m.name == name) {
        Some(index) => index,
        None => {
            state.metrics.push(Metric {
                name,
                kind,
                value: 0,
            });
            state.metrics.len() - 1
        }
    };
    let id = u32::try_from(index + 1).map_err(|_| internal("too many metrics"))?;
    guest::write_u32(&mut caller, id_out, id)?;
    Ok(status::OK)
}

fn metric_mut(state: &mut HostState, id: i32) -> Option<&mut Metric> {
    let index = (id as u32 as usize).checked_sub(1)?;
    state.metrics.get_mut(index)
}

fn increment_metric(mut caller: Caller<'_, HostState>, id: i32, offset: i64) -> Result<i32> {
    let shown = id as u32;
    if caller.data().refuse_writes {
        return Ok(status::INTERNAL_FAILURE);
    }
    let Some(metric) = metric_mut(caller.data_mut(), id) else {
        return Err(internal(format_args!(
            "could not increment metric id \"{shown}\": metric not found"
        )));
    };
    if metric.kind != MetricKind::Counter {
        return Err(internal(format_args!(
            "could not increment metric id \"{shown}\": metric not a counter"
        )));
    }
    metric.value = metric.value.saturating_add_signed(offset);
    Ok(status::OK)
}

fn record_metric(mut caller: Caller<'_, HostState>, id: i32, value: i64) -> Result<i32> {
    let shown = id as u32;
    let Some(metric) = metric_mut(caller.data_mut(), id) else {
        return Err(internal(format_args!(
            "could not record value in metric id \"{shown}\": metric not found"
        )));
    };
    match metric.kind {
        MetricKind::Counter => Err(internal(format_args!(
            "could not record value in metric id \"{shown}\": metric is a counter"
        ))),
        MetricKind::Gauge => {
            metric.value = value as u64;
            Ok(status::OK)
        }
        MetricKind::Histogram => {
            // The host keeps the number of observations of a histogram.
            metric.value = metric.value.saturating_add(1);
            Ok(status::OK)
        }
    }
}

fn get_metric(mut caller: Caller<'_, HostState>, id: i32, value_out: i32) -> Result<i32> {
    let shown = id as u32;
    let value = match metric_mut(caller.data_mut(), id) {
        None => {
            return Err(internal(format_args!(
                "could not retrieve metric id \"{shown}\": metric not found"
            )))
        }
        Some(metric) if metric.kind == MetricKind::Histogram => {
            return Err(internal(format_args!(
                "could not retrieve metric id \"{shown}\": metric is a histogram"
            )))
        }
        Some(metric) => metric.value,
    };
    guest::write_u64(&mut caller, value_out, value)?;
    Ok(status::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_rules_match_ngx_wasm_module() {
        use Step::*;
        assert_eq!(
            writable_map(RequestHeaders, MAP_REQUEST_HEADERS).unwrap(),
            Some(MapKind::Request)
        );
        for step in [Initialize, VmStart, Configure, ResponseHeaders, Log, Done] {
            let err = writable_map(step, MAP_REQUEST_HEADERS).unwrap_err();
            assert_eq!(
                err.to_string(),
                "host trap (bad usage): can only set request headers before response is produced"
            );
        }
        for step in [RequestHeaders, ResponseHeaders] {
            assert_eq!(
                writable_map(step, MAP_RESPONSE_HEADERS).unwrap(),
                Some(MapKind::Response)
            );
        }
        for step in [Initialize, VmStart, Configure, Log, Done] {
            let err = writable_map(step, MAP_RESPONSE_HEADERS).unwrap_err();
            assert_eq!(
                err.to_string(),
                "host trap (bad usage): can only set response headers before \"on_response_body\""
            );
        }
        assert_eq!(writable_map(RequestHeaders, 1).unwrap(), None);
    }

    #[test]
    fn property_paths_are_dotted() {
        assert_eq!(dotted_path(b"ngx\0kong_request_id"), "ngx.kong_request_id");
        assert_eq!(dotted_path(b"source\0address\0"), "source.address");
        assert_eq!(dotted_path(b"plugin_name"), "plugin_name");
    }
}
