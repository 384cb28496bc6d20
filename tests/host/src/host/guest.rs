//! Access to guest memory from inside a hostcall. Every pointer and length comes from the guest,
//! so every access is bounds-checked: a bad pointer becomes a trap, never a host panic.

use wasmtime::{format_err, Caller, Memory, Result};

use crate::host::state::HostState;

/// The guest's exported memory.
fn memory(caller: &Caller<'_, HostState>) -> Result<Memory> {
    caller
        .data()
        .memory
        .ok_or_else(|| format_err!("host trap (bad usage): the module exports no memory"))
}

fn range(ptr: i32, len: i32, size: usize) -> Result<std::ops::Range<usize>> {
    // The ABI passes u32 pointers and sizes in i32 slots.
    let start = ptr as u32 as usize;
    let len = len as u32 as usize;
    let end = start
        .checked_add(len)
        .filter(|&end| end <= size)
        .ok_or_else(|| {
            format_err!("host trap (bad argument): guest memory access out of bounds ({start}+{len} > {size})")
        })?;
    Ok(start..end)
}

/// Copies `len` bytes at `ptr` out of guest memory.
pub fn read(caller: &Caller<'_, HostState>, ptr: i32, len: i32) -> Result<Vec<u8>> {
    let memory = memory(caller)?;
    let data = memory.data(caller);
    let range = range(ptr, len, data.len())?;
    data.get(range)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| format_err!("host trap (bad argument): guest memory access out of bounds"))
}

/// Copies `bytes` into guest memory at `ptr`.
pub fn write(caller: &mut Caller<'_, HostState>, ptr: i32, bytes: &[u8]) -> Result<()> {
    let memory = memory(caller)?;
    let data = memory.data_mut(caller);
    let len = i32::try_from(bytes.len())
        .map_err(|_| format_err!("host trap (internal error): buffer too large"))?;
    let range = range(ptr, len, data.len())?;
    let dst = data.get_mut(range).ok_or_else(|| {
        format_err!("host trap (bad argument): guest memory access out of bounds")
    })?;
    dst.copy_from_slice(bytes);
    Ok(())
}

/// Writes a little-endian u32 at `ptr`.
pub fn write_u32(caller: &mut Caller<'_, HostState>, ptr: i32, value: u32) -> Result<()> {
    write(caller, ptr, &value.to_le_bytes())
}

/// Writes a little-endian u64 at `ptr`.
pub fn write_u64(caller: &mut Caller<'_, HostState>, ptr: i32, value: u64) -> Result<()> {
    write(caller, ptr, &value.to_le_bytes())
}

/// Outcome of handing a buffer to the guest.
pub enum Returned {
    Written,
    /// `proxy_on_memory_allocate` returned 0.
    AllocationFailed,
}

/// Places `bytes` in a buffer the guest allocates with `proxy_on_memory_allocate` (called
/// re-entrantly), then writes its address at `ptr_out` and its size at `len_out`.
pub fn return_buffer(
    caller: &mut Caller<'_, HostState>,
    bytes: &[u8],
    ptr_out: i32,
    len_out: i32,
) -> Result<Returned> {
    let allocate = caller.data().allocate.clone().ok_or_else(|| {
        format_err!("host trap (bad usage): the module exports no proxy_on_memory_allocate")
    })?;
    let len = i32::try_from(bytes.len())
        .map_err(|_| format_err!("host trap (internal error): buffer too large"))?;
    let buffer = allocate.call(&mut *caller, len)?;
    if buffer == 0 {
        return Ok(Returned::AllocationFailed);
    }
    write(caller, buffer, bytes)?;
    write_u32(caller, ptr_out, buffer as u32)?;
    write_u32(caller, len_out, len as u32)?;
    Ok(Returned::Written)
}

/// What ngx_wasm_module does with a marshalled map (src/common/proxy_wasm/
/// ngx_proxy_wasm_util.c:536-565): allocates `size` bytes in the guest, writes every byte of
/// `bytes` from there — past the allocation when `bytes` is longer, clipped only at the end of
/// linear memory (the module checks `p + size`, not what it writes) — and hands over `size`.
pub fn return_buffer_sized(
    caller: &mut Caller<'_, HostState>,
    bytes: &[u8],
    size: usize,
    ptr_out: i32,
    len_out: i32,
) -> Result<Returned> {
    let allocate = caller.data().allocate.clone().ok_or_else(|| {
        format_err!("host trap (bad usage): the module exports no proxy_on_memory_allocate")
    })?;
    let len = i32::try_from(size)
        .map_err(|_| format_err!("host trap (internal error): buffer too large"))?;
    let buffer = allocate.call(&mut *caller, len)?;
    if buffer == 0 {
        return Ok(Returned::AllocationFailed);
    }
    let memory = memory(caller)?;
    let data = memory.data_mut(&mut *caller);
    let start = buffer as u32 as usize;
    if start.checked_add(size).is_none_or(|end| end > data.len()) {
        return Ok(Returned::AllocationFailed);
    }
    let room = data.len() - start;
    let written = bytes.get(..bytes.len().min(room)).unwrap_or_default();
    if let Some(dst) = data.get_mut(start..start + written.len()) {
        dst.copy_from_slice(written);
    }
    write_u32(caller, ptr_out, buffer as u32)?;
    write_u32(caller, len_out, len as u32)?;
    Ok(Returned::Written)
}

#[cfg(test)]
mod tests {
    use super::range;

    #[test]
    fn ranges_are_checked() {
        assert_eq!(range(0, 4, 4).unwrap(), 0..4);
        assert_eq!(range(4, 0, 4).unwrap(), 4..4);
        assert!(range(1, 4, 4).is_err());
        assert!(range(-1, 2, 1 << 16).is_err());
        assert!(range(5, 0, 4).is_err());
    }
}
