//! The proxy-wasm host: what ngx_wasm_module does, rule by rule, on wasmtime. It knows nothing
//! of scenarios or of the tools built on it.

pub mod abi;
mod guest;
pub mod http;
pub mod map;
pub mod nginx;
pub mod plugin;
pub mod state;
pub mod wasi;
