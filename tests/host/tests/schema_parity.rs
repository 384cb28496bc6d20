//! Parity between the two judges of a filter configuration: the JSON Schema Kong validates with
//! (`kong-config/auth_diagnosis.meta.json`, draft 4) and the filter's own parser (the real
//! `auth_diagnosis.wasm`, configured through the embedded host). Both read the same fixtures
//! under `tests/config-fixtures/`, and the directory says what both must answer:
//!
//! - `valid/`: the schema accepts it and `on_configure` returns true;
//! - `invalid/`: the schema refuses it and `on_configure` returns false after exactly one error
//!   line naming the field;
//!
//! There is no third directory: a configuration Kong accepts and the filter refuses is a filter
//! chain that silently does not run (kong-config/NOTES.md, fail-open), so the schema expresses
//! every check the filter makes. Addresses are also checked on generated near-misses.
//!
//! Every mismatch is collected and reported at once. Nothing is built here: a missing filter
//! fails with "run make wasm first".

// Test support code may panic: a failed expectation is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use adhost::{repo_root, scenario_files, Host, PluginOptions};
use serde_json::Value;

/// Where the fixtures live, and what each directory promises.
const DIRS: &[(&str, Verdict)] = &[
    (
        "valid",
        Verdict {
            schema: true,
            filter: true,
        },
    ),
    (
        "invalid",
        Verdict {
            schema: false,
            filter: false,
        },
    ),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Verdict {
    /// The schema accepts it.
    schema: bool,
    /// `on_configure` returns true.
    filter: bool,
}

fn meta_path() -> PathBuf {
    repo_root().join("kong-config/auth_diagnosis.meta.json")
}

fn fixtures_dir() -> PathBuf {
    repo_root().join("tests/config-fixtures")
}

fn load_meta() -> Value {
    let path = meta_path();
    let text =
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn real_host() -> Host {
    // A missing filter fails ("build it with make wasm"), never skips.
    adhost::load_host(None).unwrap_or_else(|e| panic!("{e:#}"))
}

/// What Kong 3.5–3.9 demand of a meta file (`kong/runloop/wasm.lua`, `FILTER_META_SCHEMA`):
/// an object whose `config_schema` is a draft-4 schema; 3.9 adds `metrics.label_patterns`, a list
/// of `{label, pattern}` strings (both required). Written as a draft-4 schema itself.
fn kong_meta_shape() -> Value {
    serde_json::json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "required": ["config_schema"],
        "properties": {
            "config_schema": {"type": "object"},
            "metrics": {
                "type": "object",
                "properties": {
                    "label_patterns": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["label", "pattern"],
                            "properties": {
                                "label": {"type": "string"},
                                "pattern": {"type": "string"}
                            }
                        }
                    }
                }
            }
        }
    })
}

fn config_validator(meta: &Value) -> jsonschema::Validator {
    let schema = &meta["config_schema"];
    jsonschema::draft4::new(schema)
        .unwrap_or_else(|e| panic!("config_schema does not compile as draft 4: {e}"))
}

#[test]
fn meta_file_has_the_shape_kong_requires() {
    let meta = load_meta();
    let shape = jsonschema::draft4::new(&kong_meta_shape()).expect("the shape compiles");
    let errors: Vec<String> = shape
        .iter_errors(&meta)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "meta file shape: {errors:#?}");

    // Kong 3.9 exports the counters only with a label pattern (NOTES.md section 3).
    let patterns = meta["metrics"]["label_patterns"]
        .as_array()
        .expect("metrics.label_patterns is a list (Kong 3.9)");
    assert!(
        !patterns.is_empty(),
        "metrics.label_patterns names the code label"
    );

    let schema = &meta["config_schema"];
    if let Err(e) = jsonschema::draft4::meta::validate(schema) {
        panic!(
            "config_schema is not a valid draft-4 schema at {}: {e}",
            e.instance_path
        );
    }
    assert_eq!(
        schema["$schema"], "http://json-schema.org/draft-04/schema#",
        "Kong forces draft 4; say so"
    );
    config_validator(&meta);
}

#[test]
fn schema_and_filter_agree_on_every_fixture() {
    let meta = load_meta();
    let validator = config_validator(&meta);
    let host = real_host();

    let mut report = String::new();
    let mut counts = Vec::new();
    for (dir, verdict) in DIRS {
        let files = scenario_files(&fixtures_dir().join(dir)).expect("fixture directory");
        assert!(!files.is_empty(), "no fixtures in {dir}/");
        counts.push(format!("{dir}: {}", files.len()));
        for file in &files {
            let name = format!("{dir}/{}", file_name(file));
            let bytes = std::fs::read(file).expect("fixture readable");
            for problem in judge(&validator, &host, &bytes, *verdict) {
                let _ = writeln!(report, "{name}: {problem}");
            }
        }
    }
    // Nothing lies outside the three directories, where no test would read it.
    for entry in std::fs::read_dir(fixtures_dir()).expect("fixtures directory") {
        let name = file_name(&entry.expect("directory entry").path());
        if name != "README.md" && !DIRS.iter().any(|(dir, _)| *dir == name) {
            let _ = writeln!(
                report,
                "{name}: not a fixture directory ({}), so never tested",
                DIRS.iter().map(|(d, _)| *d).collect::<Vec<_>>().join(", ")
            );
        }
    }
    eprintln!("schema parity: {}", counts.join(", "));
    assert!(
        report.is_empty(),
        "schema and filter disagree with the fixtures:\n{report}"
    );
}

/// A small deterministic generator (xorshift64): the same cases on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Near-misses of valid addresses and CIDRs (a character inserted, removed or replaced, two
/// joined), given to both judges in `trusted_ips` and `expose_to`: both accept or both refuse.
#[test]
fn schema_and_filter_agree_on_generated_addresses() {
    let meta = load_meta();
    let validator = config_validator(&meta);
    let host = real_host();
    let seeds = [
        "10.0.0.0/8",
        "192.168.1.7",
        "0.0.0.0/0",
        "255.255.255.255/32",
        "::",
        "::1/128",
        "2001:db8::/32",
        "1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7::",
        "::2:3:4:5:6:7:8",
        "::ffff:10.0.0.0/104",
        "1:2:3:4:5:6:1.2.3.4",
        "1::2:3:4:5:1.2.3.4",
        "fe80::1/64",
    ];
    let alphabet: Vec<char> = "0123456789abcdefABCDEFg.:/%[] \n-+x\u{a0}"
        .chars()
        .collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut accepted, mut refused) = (0, 0);
    let mut report = String::new();
    for case in 0..1500 {
        let mut text: Vec<char> = seeds[rng.below(seeds.len())].chars().collect();
        for _ in 0..=rng.below(2) {
            let at = rng.below(text.len() + 1);
            let c = alphabet[rng.below(alphabet.len())];
            match rng.below(4) {
                0 => text.insert(at, c),
                1 if at < text.len() => {
                    text.remove(at);
                }
                2 if at < text.len() => text[at] = c,
                _ => text.extend(seeds[rng.below(seeds.len())].chars().take(at % 6)),
            }
        }
        let text: String = text.into_iter().collect();
        let field = if case % 2 == 0 {
            "trusted_ips"
        } else {
            "expose_to"
        };
        let config = serde_json::json!({ field: [text] });
        let schema_ok = validator.is_valid(&config);
        if schema_ok {
            accepted += 1;
        } else {
            refused += 1;
        }
        let want = Verdict {
            schema: schema_ok,
            filter: schema_ok,
        };
        let bytes = serde_json::to_vec(&config).expect("JSON");
        for problem in judge(&validator, &host, &bytes, want) {
            let _ = writeln!(report, "{config}: {problem}");
        }
    }
    eprintln!("generated addresses: {accepted} accepted, {refused} refused by both");
    assert!(
        accepted > 100 && refused > 100,
        "the generator covers both sides"
    );
    assert!(report.is_empty(), "schema and filter disagree:\n{report}");
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Everything wrong with one fixture, empty when both sides answer as the directory says.
fn judge(
    validator: &jsonschema::Validator,
    host: &Host,
    bytes: &[u8],
    want: Verdict,
) -> Vec<String> {
    let mut problems = Vec::new();

    // Schema side. Text that is not JSON never reaches a schema: Kong refuses it before.
    match serde_json::from_slice::<Value>(bytes) {
        Ok(instance) => {
            let errors: Vec<String> = validator
                .iter_errors(&instance)
                .map(|e| format!("{} {e}", pointer(&e.instance_path.to_string())))
                .collect();
            match (want.schema, errors.is_empty()) {
                (true, false) => problems.push(format!(
                    "schema refuses it, should accept: {}",
                    errors.join("; ")
                )),
                (false, true) => problems.push("schema accepts it, should refuse".to_owned()),
                _ => {}
            }
        }
        Err(e) if want.schema => problems.push(format!("not JSON ({e}), yet expected valid")),
        Err(_) => {}
    }

    // Filter side: the real wasm, a fresh instance, the same bytes.
    let mut plugin = match host.instantiate(PluginOptions {
        config: bytes.to_vec(),
        ..Default::default()
    }) {
        Ok(plugin) => plugin,
        Err(e) => {
            problems.push(format!("cannot instantiate the filter: {e:#}"));
            return problems;
        }
    };
    let configured = plugin.configure();
    let logs = plugin.take_logs();
    let errors: Vec<&str> = logs
        .iter()
        .filter(|l| matches!(l.level, "error" | "critical"))
        .map(|l| l.message.as_str())
        .collect();
    let accepted = match configured {
        Ok(accepted) => accepted,
        Err(trap) => {
            problems.push(format!("the filter trapped in on_configure: {trap:?}"));
            return problems;
        }
    };
    match (want.filter, accepted) {
        (true, false) => problems.push(format!("the filter refuses it, should accept: {errors:?}")),
        (false, true) => problems.push("the filter accepts it, should refuse".to_owned()),
        _ => {}
    }
    if accepted {
        if !errors.is_empty() {
            problems.push(format!("accepted, yet logged errors: {errors:?}"));
        }
    } else {
        match errors.as_slice() {
            [line] if line.contains("field `") => {}
            [line] => problems.push(format!("the error line names no field: {line:?}")),
            lines => problems.push(format!(
                "expected exactly one error line, got {}: {lines:?}",
                lines.len()
            )),
        }
    }
    problems
}

/// A JSON pointer for a report: the document itself is `/`.
fn pointer(path: &str) -> String {
    if path.is_empty() {
        "/".to_owned()
    } else {
        path.to_owned()
    }
}
