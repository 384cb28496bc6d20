//! `adhost`: an embedded proxy-wasm host on wasmtime that loads the real `auth_diagnosis.wasm`
//! and drives it the way Kong's ngx_wasm_module does — same callback order, same hostcall
//! semantics, same step rules and traps — so tests, `make demo`, the benchmark and `explain`
//! exercise the filter as Kong would.
//!
//! Two folders: `host` is the proxy-wasm host itself (the ABI, WASI, the guest's memory, the
//! per-request state, nginx's rules and ngx_wasm_module's maps, the plugin lifecycle); `tools`
//! are what is built on it (scenarios and their replay and checks, demo, explain, bench,
//! transcripts, masking). `host` never uses `tools` (`tests/layout.rs` says so).
//!
//! ```no_run
//! use adhost::{Host, PluginOptions, Request};
//! let host = Host::from_file(&adhost::default_wasm_path())?;
//! let mut plugin = host.instantiate(PluginOptions { config: b"{}".to_vec(), ..Default::default() })?;
//! assert_eq!(plugin.configure(), Ok(true));
//! let request = Request { method: "GET".into(), path: "/".into(), scheme: "http".into(),
//!                         authority: "example.com".into(), ..Default::default() };
//! let outcome = plugin.run_request(&request, None, &Default::default());
//! # Ok::<(), anyhow::Error>(())
//! ```

pub mod host;
pub mod tools;

use std::path::{Path, PathBuf};

pub use host::http::{Properties, Request, Response};
pub use host::map::HeaderMap;
pub use host::plugin::{
    ClientResponse, FinalResponse, Host, Plugin, PluginOptions, RequestOutcome,
};
pub use host::state::{HeaderEdit, LocalResponse, LogEntry, Step, Trap};
pub use tools::expect::{check, Verdict};
pub use tools::replay::{replay, Outcome};
pub use tools::scenario::Scenario;

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// Where `make wasm` puts a filter: `<repo>/target/wasm32-wasip1/release/<stem>.wasm`.
pub fn release_wasm_path(stem: &str) -> PathBuf {
    repo_root()
        .join("target/wasm32-wasip1/release")
        .join(format!("{stem}.wasm"))
}

/// The filter's default path.
pub fn default_wasm_path() -> PathBuf {
    release_wasm_path("auth_diagnosis")
}

/// The bundled scenarios directory.
pub fn default_scenarios_dir() -> PathBuf {
    repo_root().join("tests/scenarios")
}

/// Loads and compiles the filter at `path` (default: [`default_wasm_path`]); a missing file says
/// how to build it.
pub fn load_host(path: Option<&Path>) -> anyhow::Result<Host> {
    let path = path.map_or_else(default_wasm_path, Path::to_path_buf);
    if !path.is_file() {
        anyhow::bail!("{} not found: build it with make wasm", path.display());
    }
    Host::from_file(&path)
}

/// The `*.json` files of `dir`, sorted by file name.
pub fn scenario_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    use anyhow::Context as _;
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") && path.is_file() {
            files.push(path);
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}
