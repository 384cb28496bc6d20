//! auth-diagnosis: a proxy-wasm filter for Kong Gateway that explains why a request got a 401.
//!
//! The folders are the layers, each using only those listed before it (a test, `layers`, fails
//! on an arrow running back up):
//! - `bounds`, `diagnosis`: the limits and the words every layer shares (they import nothing);
//! - `parse`: pure readers of what the host hands over (headers, challenges, JWTs, dates…);
//! - `output`: everything that leaves the filter (header value, log line, metric names) and the
//!   redaction and fingerprints every sentence passes through; it knows nothing of the config;
//! - `decide`: the checked config and the decision (what went wrong, how much to show);
//! - `glue`: the only module that talks to the host (it gathers plain data and applies
//!   decisions).
//!
//! Everything but `glue` is a pure function of its inputs and is tested natively.

mod bounds;
mod decide;
mod diagnosis;
#[cfg(test)]
mod fuzz;
mod glue;
#[cfg(test)]
mod layers;
mod output;
mod parse;

proxy_wasm::main! {{
    glue::register();
}}
