//! Checks a scenario's `expect` against what the replay produced.

use crate::host::map::HeaderMap;
use crate::host::plugin::ClientResponse;
use crate::tools::replay::Outcome;
use crate::tools::scenario::Scenario;

/// The verdict on one scenario.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// One sentence per failed check (`expected first=x, got y`).
    pub failures: Vec<String>,
}

impl Verdict {
    /// Whether every check held (a trap nobody expected is a failure too).
    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs every check `scenario.expect` asks for.
pub fn check(scenario: &Scenario, outcome: &Outcome) -> Verdict {
    let expect = &scenario.expect;
    let mut failures = Vec::new();
    let mut fail = |message: String| failures.push(message);

    let expected_trap = expect.trapped.unwrap_or(false);
    match (&outcome.trap, expected_trap) {
        (Some(trap), false) => fail(format!("expected no trap, got {trap}")),
        (None, true) => fail("expected trapped=true, got no trap".into()),
        _ => {}
    }

    match (&outcome.refused, &expect.refused) {
        (Some(why), None) => fail(format!(
            "nginx answers this request 400 before any filter runs ({why}): the scenario expects what no filter is handed"
        )),
        (None, Some(expected)) => fail(format!(
            "expected nginx to refuse the request ({expected}), but it reached the filter"
        )),
        (Some(why), Some(expected)) if !why.contains(expected.as_str()) => {
            fail(format!("expected refused containing {expected:?}, got {why:?}"))
        }
        _ => {}
    }

    if let Some(configured) = expect.configured {
        if outcome.configured != configured {
            fail(format!(
                "expected configured={configured}, got {}",
                outcome.configured
            ));
        }
    }

    let codes = outcome.codes();
    if let Some(first) = &expect.first {
        match codes.first() {
            Some(got) if got == first => {}
            got => fail(format!(
                "expected first={first}, got {}",
                got.map_or("none", String::as_str)
            )),
        }
    }
    if let Some(exact) = &expect.codes {
        if &codes != exact {
            fail(format!(
                "expected codes={}, got {}",
                list(exact),
                list(&codes)
            ));
        }
    }
    if let Some(include) = &expect.codes_include {
        let missing: Vec<String> = include
            .iter()
            .filter(|c| !codes.contains(c))
            .cloned()
            .collect();
        if !missing.is_empty() {
            fail(format!(
                "expected codes to include {}, got {}",
                list(&missing),
                list(&codes)
            ));
        }
    }
    if let Some(exclude) = &expect.codes_exclude {
        let present: Vec<String> = exclude
            .iter()
            .filter(|c| codes.contains(c))
            .cloned()
            .collect();
        if !present.is_empty() {
            fail(format!(
                "expected codes to exclude {}, got {}",
                list(&present),
                list(&codes)
            ));
        }
    }

    if let Some(expected) = expect.local_status {
        let got = outcome.local_response().map(|local| local.status);
        match (expected, got) {
            (None, Some(status)) => fail(format!(
                "expected no local response, got local_status={status}"
            )),
            (Some(status), None) => fail(format!(
                "expected local_status={status}, got no local response"
            )),
            (Some(status), Some(got)) if u32::from(status) != got => {
                fail(format!("expected local_status={status}, got {got}"))
            }
            _ => {}
        }
    }

    let header = outcome.header();
    if let Some(absent) = expect.header_absent {
        match (&header, absent) {
            (Some(value), true) => fail(format!(
                "expected header_absent=true, got {}: {value}",
                outcome.header_name
            )),
            (None, false) => fail(format!(
                "expected header_absent=false, got no {} header",
                outcome.header_name
            )),
            _ => {}
        }
    }
    if let Some(substrings) = &expect.header_contains {
        for s in substrings {
            match &header {
                Some(value) if value.contains(s.as_str()) => {}
                Some(value) => fail(format!("expected header to contain {s:?}, got {value}")),
                None => fail(format!("expected header to contain {s:?}, got no header")),
            }
        }
    }
    if let Some(substrings) = &expect.log_contains {
        for s in substrings {
            if !outcome
                .logs
                .iter()
                .any(|entry| entry.message.contains(s.as_str()))
            {
                fail(format!("expected a log line containing {s:?}, got none"));
            }
        }
    }
    if let Some(secrets) = &expect.never_contains {
        for secret in secrets {
            for place in places_containing(outcome, secret, false) {
                fail(format!("expected {secret:?} nowhere, got it in {place}"));
            }
        }
    }
    if let Some(internals) = &expect.client_never_sees {
        for internal in internals {
            for place in places_containing(outcome, internal, true) {
                fail(format!(
                    "expected the client never to see {internal:?}, got it in {place}"
                ));
            }
        }
    }
    if let Some(expected) = &expect.metrics {
        // `{}` says no counter may exist at all (a host without metric hostcalls).
        if expected.is_empty() && !outcome.metrics.is_empty() {
            fail(format!(
                "expected no metrics, got {}",
                outcome
                    .metrics
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for (name, value) in expected {
            match outcome.metrics.get(name) {
                Some(got) if got == value => {}
                Some(got) => fail(format!("expected metric {name}={value}, got {got}")),
                None => fail(format!(
                    "expected metric {name}={value}, got no such metric"
                )),
            }
        }
    }
    if let Some(expected) = &expect.header_sent_as {
        let names: Vec<String> = outcome
            .client_response()
            .map(|r| {
                r.headers()
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case(expected.as_bytes()))
                    .map(|(n, _)| String::from_utf8_lossy(n).into_owned())
                    .collect()
            })
            .unwrap_or_default();
        if names != [expected.clone()] {
            fail(format!(
                "expected the header sent once as {expected}, got {names:?}"
            ));
        }
    }
    if let Some(expected) = &expect.prometheus {
        match crate::tools::prometheus::exported(&outcome.metrics) {
            Ok(exported) => {
                for (series, value) in expected {
                    match exported.get(series) {
                        Some(got) if got == value => {}
                        Some(got) => fail(format!("expected series {series} {value}, got {got}")),
                        None => fail(format!(
                            "expected series {series} {value}, got only {}",
                            exported.keys().cloned().collect::<Vec<_>>().join(", ")
                        )),
                    }
                }
            }
            Err(e) => fail(format!("cannot name the series: {e:#}")),
        }
    }
    if expect.unchanged == Some(true) {
        for problem in changes(scenario, outcome) {
            fail(format!("expected unchanged response, got {problem}"));
        }
    }

    Verdict { failures }
}

fn list(items: &[String]) -> String {
    format!("[{}]", items.join(","))
}

fn map_contains(map: &HeaderMap, needle: &[u8]) -> bool {
    map.iter()
        .any(|(n, v)| contains(n, needle) || contains(v, needle))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// Where `secret` appears in what the client receives and, unless `client_only`, in what the
/// filter wrote anywhere else (logs, metrics, traps).
fn places_containing(outcome: &Outcome, secret: &str, client_only: bool) -> Vec<String> {
    let needle = secret.as_bytes();
    let mut places = Vec::new();
    if outcome.header().is_some_and(|h| h.contains(secret)) {
        places.push("the header".to_owned());
    }
    if let Some(request) = &outcome.request {
        if let Some(local) = &request.local_response {
            if map_contains(&local.headers, needle) {
                places.push("the local response headers".into());
            }
            if contains(&local.body, needle) {
                places.push("the local response body".into());
            }
        }
        if let Some(response) = &request.response {
            if map_contains(&response.headers, needle) {
                places.push("the response headers".into());
            }
        }
    }
    if client_only {
        return places;
    }
    for entry in &outcome.logs {
        if entry.message.contains(secret) {
            places.push(format!("log line [{}] {}", entry.level, entry.message));
        }
    }
    for name in outcome.metrics.keys() {
        if name.contains(secret) {
            places.push(format!("metric name {name}"));
        }
    }
    if let Some(trap) = &outcome.trap {
        if trap.message.contains(secret) {
            places.push("the trap message".into());
        }
    }
    places
}

/// How the client's response differs from the scenario's upstream response, ignoring the
/// diagnosis header and headers the filter added under new names.
pub fn changes(scenario: &Scenario, outcome: &Outcome) -> Vec<String> {
    let Some(original) = scenario.response() else {
        return vec!["a scenario without a response (nothing to compare)".into()];
    };
    let response = match outcome.client_response() {
        Some(ClientResponse::Upstream(response)) => response,
        Some(ClientResponse::Local(local)) => {
            return vec![format!("a local response with status {}", local.status)];
        }
        None => return vec!["no response (the request did not complete)".into()],
    };
    let mut problems = Vec::new();
    if response.status != Some(original.status) {
        let got = response.status.map_or("none".to_owned(), |s| s.to_string());
        problems.push(format!("status {got} instead of {}", original.status));
    }
    if response.body != original.body {
        problems.push(format!(
            "a body of {} bytes instead of {} bytes",
            response.body.len(),
            original.body.len()
        ));
    }
    let diagnosis = outcome.header_name.as_bytes();
    let mut names: Vec<Vec<u8>> = Vec::new();
    for (name, _) in &original.headers {
        let lower = name.to_ascii_lowercase().into_bytes();
        if !lower.eq_ignore_ascii_case(diagnosis) && !names.contains(&lower) {
            names.push(lower);
        }
    }
    for name in names {
        let before: Vec<&[u8]> = original
            .headers
            .iter()
            .filter(|(n, _)| n.as_bytes().eq_ignore_ascii_case(&name))
            .map(|(_, v)| v.as_slice())
            .collect();
        let after: Vec<&[u8]> = response.headers.get_all(&name).collect();
        if before != after {
            problems.push(format!(
                "header {} changed from {:?} to {:?}",
                String::from_utf8_lossy(&name),
                before
                    .iter()
                    .map(|v| String::from_utf8_lossy(v))
                    .collect::<Vec<_>>(),
                after
                    .iter()
                    .map(|v| String::from_utf8_lossy(v))
                    .collect::<Vec<_>>()
            ));
        }
    }
    problems
}
