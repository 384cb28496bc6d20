//! The lead's acceptance gate: every bundled scenario (tests/scenarios/*.json) replayed against
//! the real filter must hold its `expect` without a trap. All failures are reported at once.

// Test support code may panic: a failed expectation is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

use adhost::{check, default_scenarios_dir, replay, scenario_files, Host, Scenario};

fn real_host() -> Host {
    // A missing filter fails ("build it with make wasm"), never skips.
    adhost::load_host(None).unwrap_or_else(|e| panic!("{e:#}"))
}

/// Every way `file` fails the gate, one line each.
fn failures_of(host: &Host, file: &Path) -> Vec<String> {
    let scenario = match Scenario::load(file) {
        Ok(scenario) => scenario,
        Err(error) => return vec![format!("{}: {error:#}", file.display())],
    };
    let outcome = match replay(host, &scenario) {
        Ok(outcome) => outcome,
        Err(error) => return vec![format!("{}: cannot replay: {error:#}", scenario.name)],
    };
    let mut failures = Vec::new();
    if let Some(trap) = &outcome.trap {
        failures.push(format!("{}: {trap}", scenario.name));
    }
    for failure in check(&scenario, &outcome).failures {
        failures.push(format!("{}: {failure}", scenario.name));
    }
    failures
}

#[test]
fn every_bundled_scenario_holds() {
    let host = real_host();
    let files = scenario_files(&default_scenarios_dir()).expect("tests/scenarios is readable");
    assert!(
        !files.is_empty(),
        "no scenario in {}",
        default_scenarios_dir().display()
    );
    let per_file: Vec<Vec<String>> = files.iter().map(|file| failures_of(&host, file)).collect();
    let failed = per_file.iter().filter(|f| !f.is_empty()).count();
    assert!(
        failed == 0,
        "{failed} of {} scenarios failed:\n{}",
        files.len(),
        per_file.concat().join("\n")
    );
}

/// observe and edge are safe in production: across every bundled scenario that runs them, the
/// client gets the upstream's status, body and headers (only the diagnosis header may differ).
#[test]
fn observe_and_edge_never_change_a_response() {
    let host = real_host();
    let files = scenario_files(&default_scenarios_dir()).expect("tests/scenarios is readable");
    let mut checked = 0;
    let mut problems = Vec::new();
    for file in &files {
        let scenario = Scenario::load(file).expect("scenario loads");
        let mode = scenario
            .config
            .as_ref()
            .and_then(|c| c.get("mode"))
            .and_then(|m| m.as_str())
            .unwrap_or("observe");
        if mode == "enforce" || scenario.response.is_none() {
            continue;
        }
        let outcome = replay(&host, &scenario).expect("replays");
        // A request nginx answers 400 itself never reaches a filter: nothing to compare.
        if !outcome.configured || outcome.refused.is_some() {
            continue;
        }
        checked += 1;
        for change in adhost::expect::changes(&scenario, &outcome) {
            problems.push(format!("{}: {change}", scenario.name));
        }
    }
    assert!(checked >= 40, "only {checked} observe/edge scenarios");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
