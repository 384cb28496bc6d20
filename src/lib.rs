//! auth-diagnosis: a proxy-wasm filter for Kong Gateway that explains why a request got a 401.
//!
//! The filter is split the way the house style asks: `glue` is the only module that talks to the
//! host (it gathers plain data and applies decisions); every other module is a pure function of
//! its inputs and is tested natively.

mod bounds;
mod challenge;
mod cidr;
mod config;
mod credential;
mod diagnose;
mod diagnosis;
mod enforce;
mod exposure;
mod fingerprint;
mod forwarding;
#[cfg(test)]
mod fuzz;
mod glue;
mod header;
mod httpdate;
mod jsonpath;
mod judge;
mod jwt;
mod log_gate;
mod logline;
mod metrics;
mod redact;
mod request;
mod shape;
mod text;

proxy_wasm::main! {{
    glue::register();
}}
