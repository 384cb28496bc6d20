//! The checked config and the decision: which diagnoses a request gets, how much of them a
//! client is shown, and what enforce mode answers. Built on `parse` and `output`; never talks to
//! the host.

pub(crate) mod config;
pub(crate) mod credential;
pub(crate) mod diagnose;
pub(crate) mod enforce;
pub(crate) mod exposure;
pub(crate) mod judge;
pub(crate) mod lent;
