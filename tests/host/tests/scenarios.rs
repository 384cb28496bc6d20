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
        for change in adhost::tools::expect::changes(&scenario, &outcome) {
            problems.push(format!("{}: {change}", scenario.name));
        }
    }
    assert!(checked >= 40, "only {checked} observe/edge scenarios");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Strict logfmt, as go-logfmt reads it: `key` or `key=value`, separated by single spaces; a key
/// is one or more bytes above space other than `=` and `"`; a bare value likewise and never empty;
/// a quoted value escapes `"` and `\`. Returns the pairs, or why the line is not strict logfmt.
fn strict_logfmt(line: &str) -> Result<Vec<(String, Option<String>)>, String> {
    let bare = |b: u8| b > b' ' && b != b'=' && b != b'"' && b != 0x7f;
    let bytes = line.as_bytes();
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bare(bytes[i]) {
            i += 1;
        }
        if i == start {
            return Err(format!("no key at byte {i}"));
        }
        let key = line[start..i].to_string();
        let mut value = None;
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            if i < bytes.len() && bytes[i] == b'"' {
                i += 1;
                let mut text = String::new();
                loop {
                    match bytes.get(i) {
                        None => return Err(format!("unterminated quote in {key}")),
                        Some(b'"') => break,
                        Some(b'\\') => {
                            match bytes.get(i + 1) {
                                Some(b'"') => text.push('"'),
                                Some(b'\\') => text.push('\\'),
                                other => return Err(format!("bad escape {other:?} in {key}")),
                            }
                            i += 2;
                        }
                        Some(&b) => {
                            text.push(char::from(b));
                            i += 1;
                        }
                    }
                }
                i += 1;
                value = Some(text);
            } else {
                let from = i;
                while i < bytes.len() && bare(bytes[i]) {
                    i += 1;
                }
                if i == from {
                    return Err(format!("empty bare value for {key}"));
                }
                value = Some(line[from..i].to_string());
            }
        }
        pairs.push((key, value));
        match bytes.get(i) {
            None => {}
            Some(b' ') if i + 1 < bytes.len() && bytes[i + 1] != b' ' => i += 1,
            Some(&b) => return Err(format!("unexpected byte {b:#x} at {i}")),
        }
    }
    Ok(pairs)
}

#[test]
fn strict_logfmt_refuses_what_parsers_misread() {
    assert!(strict_logfmt("a=1 b=\"x y\" c").is_ok());
    for bad in [
        "credential=jwt:len=61:sha256=bf834d53",
        "a=\"x",
        "a= b=1",
        "a=1  b=2",
        "a=x\"y",
    ] {
        assert!(strict_logfmt(bad).is_err(), "{bad}");
    }
}

/// Every line the filter writes in every bundled scenario is strict logfmt; a diagnosis line's
/// keys are the ones SPEC section 6 names and its `codes` the codes the scenario got; every
/// scenario that configures logs the start-up line.
#[test]
fn every_log_line_is_strict_logfmt() {
    const KEYS: &[&str] = &[
        "status",
        "codes",
        "request_id",
        "route",
        "client",
        "credential",
        "credential_len",
        "credential_sha256",
        "detail",
    ];
    let host = real_host();
    let files = scenario_files(&default_scenarios_dir()).expect("tests/scenarios is readable");
    let (mut lines, mut problems) = (0, Vec::new());
    for file in &files {
        let scenario = Scenario::load(file).expect("scenario loads");
        let outcome = replay(&host, &scenario).expect("replays");
        if outcome.configured
            && !outcome
                .logs
                .iter()
                .any(|l| l.message.starts_with("auth-diagnosis version="))
        {
            problems.push(format!("{}: no start-up line", scenario.name));
        }
        for entry in &outcome.logs {
            // Every line of the filter's own is strict logfmt: start-up, diagnosis, summary.
            if !entry.message.starts_with("auth-diagnosis ") {
                continue;
            }
            let parsed = strict_logfmt(&entry.message);
            if !entry.message.starts_with("auth-diagnosis status=") {
                if let Err(why) = parsed {
                    problems.push(format!("{}: {why}: {}", scenario.name, entry.message));
                }
                continue;
            }
            lines += 1;
            match parsed {
                Err(why) => problems.push(format!("{}: {why}: {}", scenario.name, entry.message)),
                Ok(pairs) => {
                    for (key, value) in pairs.iter().skip(1) {
                        if !KEYS.contains(&key.as_str()) || value.is_none() {
                            problems.push(format!("{}: key {key:?} {value:?}", scenario.name));
                        }
                    }
                    let codes = pairs.iter().find(|(k, _)| k == "codes");
                    let want = outcome.codes().join(",");
                    if codes.and_then(|(_, v)| v.as_deref()) != Some(want.as_str()) {
                        problems.push(format!("{}: codes {codes:?}, want {want}", scenario.name));
                    }
                }
            }
        }
    }
    assert!(lines > 50, "only {lines} diagnosis lines");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
