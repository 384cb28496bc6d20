//! What is built on the host: scenarios (load, replay, check), `make demo`, `explain`, the
//! benchmark, transcripts and the masking of everything they print.

pub mod bench;
pub mod catalogue;
pub mod demo;
pub mod exchange;
pub mod expect;
pub mod explain;
pub mod kong_words;
pub mod mask;
pub mod prometheus;
pub mod replay;
pub mod report;
pub mod scenario;
pub mod transcript;
