//! Everything that leaves the filter — the header value, the log line, the metric names, the
//! flood guard's summaries — and the redaction and fingerprints every sentence passes through
//! before it does. Built on `parse` and the shared words only: it cannot see the config.

pub(crate) mod fingerprint;
pub(crate) mod header;
pub(crate) mod log_gate;
pub(crate) mod logline;
pub(crate) mod metrics;
pub(crate) mod redact;
