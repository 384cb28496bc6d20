//! The WASI preview1 subset (module `wasi_snapshot_preview1`) a Rust `wasm32-wasip1` cdylib
//! imports, written by hand: no environment, no arguments, no files; stdout and stderr are
//! captured as log lines; the clock is the scenario's; randomness is deterministic. Anything else
//! a module imports is left to the linker's "unknown import" traps.

use wasmtime::{format_err, Caller, Linker, Result};

use crate::host::guest;
use crate::host::state::HostState;

const MODULE: &str = "wasi_snapshot_preview1";

/// WASI errno values.
const SUCCESS: i32 = 0;
const EBADF: i32 = 8;
const EINVAL: i32 = 28;
const ENOSYS: i32 = 52;

/// Most iovecs one `fd_write` may pass.
const MAX_IOVECS: i32 = 1024;

/// Registers the subset.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> Result<()> {
    linker.func_wrap(MODULE, "fd_write", fd_write)?;
    linker.func_wrap(MODULE, "fd_read", fd_read)?;
    linker.func_wrap(MODULE, "fd_close", |_: Caller<'_, HostState>, _fd: i32| {
        EBADF
    })?;
    linker.func_wrap(
        MODULE,
        "fd_seek",
        |_: Caller<'_, HostState>, _fd: i32, _offset: i64, _whence: i32, _out: i32| EBADF,
    )?;
    linker.func_wrap(MODULE, "fd_fdstat_get", fd_fdstat_get)?;
    linker.func_wrap(
        MODULE,
        "fd_prestat_get",
        |_: Caller<'_, HostState>, _fd: i32, _out: i32| EBADF,
    )?;
    linker.func_wrap(
        MODULE,
        "fd_prestat_dir_name",
        |_: Caller<'_, HostState>, _fd: i32, _path: i32, _len: i32| EBADF,
    )?;
    linker.func_wrap(MODULE, "environ_sizes_get", empty_sizes)?;
    linker.func_wrap(
        MODULE,
        "environ_get",
        |_: Caller<'_, HostState>, _ptrs: i32, _buf: i32| SUCCESS,
    )?;
    linker.func_wrap(MODULE, "args_sizes_get", empty_sizes)?;
    linker.func_wrap(
        MODULE,
        "args_get",
        |_: Caller<'_, HostState>, _ptrs: i32, _buf: i32| SUCCESS,
    )?;
    linker.func_wrap(MODULE, "clock_time_get", clock_time_get)?;
    linker.func_wrap(MODULE, "clock_res_get", clock_res_get)?;
    linker.func_wrap(MODULE, "random_get", random_get)?;
    linker.func_wrap(MODULE, "sched_yield", |_: Caller<'_, HostState>| SUCCESS)?;
    linker.func_wrap(
        MODULE,
        "poll_oneoff",
        |_: Caller<'_, HostState>, _in: i32, _out: i32, _n: i32, _events: i32| ENOSYS,
    )?;
    linker.func_wrap(MODULE, "proc_exit", proc_exit)?;
    Ok(())
}

fn fd_write(
    mut caller: Caller<'_, HostState>,
    fd: i32,
    iovs: i32,
    iovs_len: i32,
    written_out: i32,
) -> Result<i32> {
    if fd != 1 && fd != 2 {
        return Ok(EBADF);
    }
    if !(0..=MAX_IOVECS).contains(&iovs_len) {
        return Ok(EINVAL);
    }
    let table = guest::read(&caller, iovs, iovs_len.saturating_mul(8))?;
    let mut bytes = Vec::new();
    for iovec in table.chunks_exact(8) {
        let (ptr, len) = iovec.split_at(4);
        let ptr = u32::from_le_bytes(ptr.try_into().unwrap_or_default());
        let len = u32::from_le_bytes(len.try_into().unwrap_or_default());
        bytes.extend(guest::read(&caller, ptr as i32, len as i32)?);
    }
    let fd_index = if fd == 1 { 0 } else { 1 };
    caller.data_mut().write_stdio(fd_index, &bytes);
    let written = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    guest::write_u32(&mut caller, written_out, written)?;
    Ok(SUCCESS)
}

fn fd_read(
    _caller: Caller<'_, HostState>,
    _fd: i32,
    _iovs: i32,
    _iovs_len: i32,
    _read_out: i32,
) -> i32 {
    EBADF
}

fn fd_fdstat_get(mut caller: Caller<'_, HostState>, fd: i32, out: i32) -> Result<i32> {
    if !(0..=2).contains(&fd) {
        return Ok(EBADF);
    }
    // struct fdstat { u8 filetype; u16 flags; u64 rights_base; u64 rights_inheriting }, 24 bytes.
    let mut stat = [0u8; 24];
    if let Some(filetype) = stat.first_mut() {
        *filetype = 2; // character device
    }
    let rights: u64 = if fd == 0 { 1 << 1 } else { 1 << 6 }; // fd_read / fd_write
    if let Some(base) = stat.get_mut(8..16) {
        base.copy_from_slice(&rights.to_le_bytes());
    }
    guest::write(&mut caller, out, &stat)?;
    Ok(SUCCESS)
}

fn empty_sizes(mut caller: Caller<'_, HostState>, count_out: i32, size_out: i32) -> Result<i32> {
    guest::write_u32(&mut caller, count_out, 0)?;
    guest::write_u32(&mut caller, size_out, 0)?;
    Ok(SUCCESS)
}

fn clock_time_get(
    mut caller: Caller<'_, HostState>,
    clock: i32,
    _precision: i64,
    out: i32,
) -> Result<i32> {
    // realtime, monotonic, process and thread CPU time: all read the scenario clock.
    if !(0..=3).contains(&clock) {
        return Ok(EINVAL);
    }
    let now = caller.data().clock_nanos;
    guest::write_u64(&mut caller, out, now)?;
    Ok(SUCCESS)
}

fn clock_res_get(mut caller: Caller<'_, HostState>, clock: i32, out: i32) -> Result<i32> {
    if !(0..=3).contains(&clock) {
        return Ok(EINVAL);
    }
    guest::write_u64(&mut caller, out, 1_000)?;
    Ok(SUCCESS)
}

fn random_get(mut caller: Caller<'_, HostState>, buf: i32, len: i32) -> Result<i32> {
    let len = usize::try_from(len as u32).unwrap_or(usize::MAX);
    if len > crate::host::state::MAX_GUEST_MEMORY {
        return Ok(EINVAL);
    }
    let mut bytes = vec![0u8; len];
    caller.data_mut().fill_random(&mut bytes);
    guest::write(&mut caller, buf, &bytes)?;
    Ok(SUCCESS)
}

fn proc_exit(_caller: Caller<'_, HostState>, code: i32) -> Result<()> {
    Err(format_err!(
        "wasi proc_exit({code}) called: the module exited"
    ))
}
