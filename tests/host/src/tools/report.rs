//! The one-line JSON report of `adhost replay` (SPEC §8).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::host::map::HeaderMap;
use crate::tools::replay::Outcome;

/// One replayed scenario, exactly the keys SPEC §8 names, in that order.
#[derive(Clone, Debug, Serialize)]
pub struct Line {
    pub name: String,
    pub configured: bool,
    pub codes: Vec<String>,
    pub header: Option<String>,
    pub local_response: Option<LocalResponseLine>,
    /// `[level, message]` pairs.
    pub logs: Vec<(String, String)>,
    pub metrics: BTreeMap<String, u64>,
    pub trapped: bool,
    /// Why nginx answered 400 before any filter ran (the filter never saw the request), or null.
    pub refused: Option<String>,
    pub ok: bool,
}

/// A local response as reported.
#[derive(Clone, Debug, Serialize)]
pub struct LocalResponseLine {
    pub status: u32,
    /// `[name, value]` pairs (lossy UTF-8).
    pub headers: Vec<(String, String)>,
    /// Lossy UTF-8.
    pub body: String,
}

impl Line {
    /// The report of `outcome`, with the verdict `ok`.
    pub fn new(outcome: &Outcome, ok: bool) -> Self {
        Self {
            name: outcome.name.clone(),
            configured: outcome.configured,
            codes: outcome.codes(),
            header: outcome.header(),
            local_response: outcome.local_response().map(|local| LocalResponseLine {
                status: local.status,
                headers: text_pairs(&local.headers),
                body: String::from_utf8_lossy(&local.body).into_owned(),
            }),
            logs: outcome
                .logs
                .iter()
                .map(|entry| (entry.level.to_owned(), entry.message.clone()))
                .collect(),
            metrics: outcome.metrics.clone(),
            trapped: outcome.trapped(),
            refused: outcome.refused.clone(),
            ok,
        }
    }

    /// The JSON text (one line).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|e| format!("{{\"error\":\"cannot serialize: {e}\"}}"))
    }
}

/// Header pairs as lossy text.
pub fn text_pairs(map: &HeaderMap) -> Vec<(String, String)> {
    map.iter()
        .map(|(n, v)| {
            (
                String::from_utf8_lossy(n).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            )
        })
        .collect()
}
