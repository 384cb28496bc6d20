//! Every hostcall the filter makes, without the SDK's wrappers: those panic on any status they do
//! not expect (proxy-wasm 0.2.5 hostcalls.rs, `panic!("unexpected status")` after each call, and
//! declare the status as an enum, so that a value outside it is undefined behaviour), and its map
//! reader slices the pairs buffer without checking it (`deserialize_map_bytes`).
//! ngx_wasm_module answers INTERNAL_FAILURE on its allocation-failure paths and, with 98 or more
//! request headers, hands over a pairs buffer shorter than the pairs it describes
//! (src/common/proxy_wasm/ngx_proxy_wasm_util.c:285-350 against 354-460): through the SDK either
//! is a trap, and the request fails with a 500. Here every status is a plain integer mapped to a
//! `Result`, and every buffer the host hands over is taken back and read with checked lengths.
//!
//! This is the crate's only `unsafe`: the imports, and taking back the buffers the host
//! allocated through the SDK's `proxy_on_memory_allocate` (a `Vec<u8>` of that capacity,
//! leaked), exactly as the SDK's own readers do. The functions keep the SDK's names and
//! signatures, so that the glue reads the same either way.
#![allow(unsafe_code)]

use crate::parse::pairs::{self, Pairs, Span};
use proxy_wasm::types::{BufferType, Bytes, LogLevel, MapType, MetricType, Status};
use std::ptr::null_mut;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[link(wasm_import_module = "env")]
extern "C" {
    fn proxy_log(level: u32, message_data: *const u8, message_size: usize) -> u32;
    fn proxy_get_current_time_nanoseconds(return_time: *mut u64) -> u32;
    fn proxy_set_tick_period_milliseconds(period: u32) -> u32;
    fn proxy_get_buffer_bytes(
        buffer_type: u32,
        start: usize,
        max_size: usize,
        return_buffer_data: *mut *mut u8,
        return_buffer_size: *mut usize,
    ) -> u32;
    fn proxy_get_header_map_pairs(
        map_type: u32,
        return_map_data: *mut *mut u8,
        return_map_size: *mut usize,
    ) -> u32;
    fn proxy_get_header_map_value(
        map_type: u32,
        key_data: *const u8,
        key_size: usize,
        return_value_data: *mut *mut u8,
        return_value_size: *mut usize,
    ) -> u32;
    fn proxy_add_header_map_value(
        map_type: u32,
        key_data: *const u8,
        key_size: usize,
        value_data: *const u8,
        value_size: usize,
    ) -> u32;
    fn proxy_remove_header_map_value(map_type: u32, key_data: *const u8, key_size: usize) -> u32;
    fn proxy_get_property(
        path_data: *const u8,
        path_size: usize,
        return_value_data: *mut *mut u8,
        return_value_size: *mut usize,
    ) -> u32;
    #[allow(clippy::too_many_arguments)]
    fn proxy_send_local_response(
        status_code: u32,
        status_code_details_data: *const u8,
        status_code_details_size: usize,
        body_data: *const u8,
        body_size: usize,
        headers_data: *const u8,
        headers_size: usize,
        grpc_status: i32,
    ) -> u32;
    fn proxy_define_metric(
        metric_type: u32,
        name_data: *const u8,
        name_size: usize,
        return_id: *mut u32,
    ) -> u32;
    fn proxy_increment_metric(metric_id: u32, offset: i64) -> u32;
}

/// A status as the ABI numbers it; anything the SDK's enum does not list is an internal failure.
fn result(code: u32) -> Result<(), Status> {
    match code {
        0 => Ok(()),
        1 => Err(Status::NotFound),
        2 => Err(Status::BadArgument),
        3 => Err(Status::SerializationFailure),
        4 => Err(Status::ParseFailure),
        7 => Err(Status::Empty),
        8 => Err(Status::CasMismatch),
        _ => Err(Status::InternalFailure),
    }
}

/// Calls a hostcall that hands over a buffer, and takes the buffer back. `NotFound` (and a
/// missing buffer) is `Ok(None)`.
fn take_buffer(
    call: impl FnOnce(*mut *mut u8, *mut usize) -> u32,
) -> Result<Option<Bytes>, Status> {
    let mut data: *mut u8 = null_mut();
    let mut size: usize = 0;
    match result(call(&mut data, &mut size)) {
        Ok(()) if data.is_null() => Ok(None),
        Ok(()) => {
            // SAFETY: the host allocated `size` bytes at `data` through this module's
            // `proxy_on_memory_allocate(size)` (the SDK's: a Vec<u8> of capacity `size`, leaked)
            // and handed them over: rebuilding that Vec takes ownership back and frees it on
            // drop, as the SDK's readers do. Only the length is trusted, never the content.
            Ok(Some(unsafe { Vec::from_raw_parts(data, size, size) }))
        }
        Err(Status::NotFound) => Ok(None),
        Err(status) => Err(status),
    }
}

pub fn log(level: LogLevel, message: &str) -> Result<(), Status> {
    // SAFETY: a pointer and length of a live str.
    result(unsafe { proxy_log(level as u32, message.as_ptr(), message.len()) })
}

pub fn get_current_time() -> Result<SystemTime, Status> {
    let mut nanos: u64 = 0;
    // SAFETY: the out-pointer points to a live local.
    result(unsafe { proxy_get_current_time_nanoseconds(&mut nanos) })?;
    Ok(UNIX_EPOCH + Duration::from_nanos(nanos))
}

pub fn set_tick_period(period: Duration) -> Result<(), Status> {
    let millis = u32::try_from(period.as_millis()).unwrap_or(u32::MAX);
    // SAFETY: no pointer.
    result(unsafe { proxy_set_tick_period_milliseconds(millis) })
}

pub fn get_buffer(
    buffer_type: BufferType,
    start: usize,
    max_size: usize,
) -> Result<Option<Bytes>, Status> {
    // SAFETY: both out-pointers point to live locals (see take_buffer).
    take_buffer(|data, size| unsafe {
        proxy_get_buffer_bytes(buffer_type as u32, start, max_size, data, size)
    })
}

/// The request's header pairs, pseudo-headers included, read by [`pairs::parse`], which checks
/// every length, the spans written into `spans`' buffer when they fit; empty when the host
/// refuses.
pub fn request_pairs(spans: &mut Vec<Span>) -> Pairs {
    // SAFETY: both out-pointers point to live locals (see take_buffer).
    let bytes = take_buffer(|data, size| unsafe {
        proxy_get_header_map_pairs(MapType::HttpRequestHeaders as u32, data, size)
    });
    match bytes {
        Ok(Some(bytes)) => pairs::parse_into(bytes, spans),
        _ => Pairs::default(),
    }
}

pub fn get_map_value_bytes(map_type: MapType, key: &str) -> Result<Option<Bytes>, Status> {
    // SAFETY: a live str, and out-pointers to live locals (see take_buffer).
    take_buffer(|data, size| unsafe {
        proxy_get_header_map_value(map_type as u32, key.as_ptr(), key.len(), data, size)
    })
}

pub fn add_map_value_bytes(map_type: MapType, key: &str, value: &[u8]) -> Result<(), Status> {
    // SAFETY: pointers and lengths of a live str and slice.
    result(unsafe {
        proxy_add_header_map_value(
            map_type as u32,
            key.as_ptr(),
            key.len(),
            value.as_ptr(),
            value.len(),
        )
    })
}

/// Removes the header (the SDK's `set_map_value_bytes(map, key, None)`); only removal is used.
pub fn remove_map_value(map_type: MapType, key: &str) -> Result<(), Status> {
    // SAFETY: the pointer and length of a live str.
    result(unsafe { proxy_remove_header_map_value(map_type as u32, key.as_ptr(), key.len()) })
}

/// `path` is the ABI's form of a property path: its segments joined by NUL.
pub fn get_property(path: &str) -> Result<Option<Bytes>, Status> {
    // SAFETY: a live str, and out-pointers to live locals (see take_buffer).
    take_buffer(|data, size| unsafe { proxy_get_property(path.as_ptr(), path.len(), data, size) })
}

pub fn send_http_response(
    status_code: u32,
    headers: Vec<(&str, &str)>,
    body: Option<&[u8]>,
) -> Result<(), Status> {
    let headers = serialize_map(&headers);
    let body = body.unwrap_or_default();
    // SAFETY: pointers and lengths of live slices; no status-code details.
    result(unsafe {
        proxy_send_local_response(
            status_code,
            null_mut(),
            0,
            body.as_ptr(),
            body.len(),
            headers.as_ptr(),
            headers.len(),
            -1,
        )
    })
}

pub fn define_metric(metric_type: MetricType, name: &str) -> Result<u32, Status> {
    let mut id: u32 = 0;
    // SAFETY: a live str, and an out-pointer to a live local.
    result(unsafe { proxy_define_metric(metric_type as u32, name.as_ptr(), name.len(), &mut id) })?;
    Ok(id)
}

pub fn increment_metric(metric_id: u32, offset: i64) -> Result<(), Status> {
    // SAFETY: no pointer.
    result(unsafe { proxy_increment_metric(metric_id, offset) })
}

/// A header map as the ABI carries it: the count, each pair's two lengths (u32 little endian),
/// then each name and value followed by a NUL.
fn serialize_map(map: &[(&str, &str)]) -> Bytes {
    let len = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes();
    let size = 4 + map
        .iter()
        .map(|(n, v)| n.len() + v.len() + 10)
        .sum::<usize>();
    let mut bytes = Vec::with_capacity(size);
    bytes.extend_from_slice(&len(map.len()));
    for (name, value) in map {
        bytes.extend_from_slice(&len(name.len()));
        bytes.extend_from_slice(&len(value.len()));
    }
    for (name, value) in map {
        bytes.extend_from_slice(name.as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(value.as_bytes());
        bytes.push(0);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_outside_the_sdk_enum_are_internal_failures() {
        assert_eq!(result(0), Ok(()));
        assert_eq!(result(1), Err(Status::NotFound));
        assert_eq!(result(8), Err(Status::CasMismatch));
        for unknown in [5, 6, 9, 10, 11, 99, u32::MAX] {
            assert_eq!(result(unknown), Err(Status::InternalFailure), "{unknown}");
        }
    }

    #[test]
    fn a_map_as_the_abi_carries_it() {
        let bytes = serialize_map(&[("a", "bc"), ("", "")]);
        assert_eq!(
            bytes,
            [
                2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b'a', 0, b'b', b'c', 0,
                0, 0
            ]
        );
        // Read back by the checked reader the filter uses for request pairs.
        let read = pairs::parse(bytes);
        assert_eq!(read.declared, 2);
        let read: Vec<(&[u8], &[u8])> = read.iter().collect();
        assert_eq!(read, [(&b"a"[..], &b"bc"[..]), (&b""[..], &b""[..])]);
    }
}
