//! The layers of `lib.rs`, checked: a module uses only the layers below its own, so no arrow runs
//! back up (a parser cannot reach the decision, an output cannot read the config), and only the
//! glue names the SDK. Test code
//! (after a file's `#[cfg(test)]`, and the test-only files) may reach anywhere.

use std::path::{Path, PathBuf};

/// Each layer (a folder of `src/`, or a shared file) and what it may use besides itself.
const LAYERS: &[(&str, &[&str])] = &[
    ("bounds", &[]),
    ("diagnosis", &[]),
    ("parse", &["bounds", "diagnosis"]),
    ("output", &["bounds", "diagnosis", "parse"]),
    ("decide", &["bounds", "diagnosis", "parse", "output"]),
    (
        "glue",
        &["bounds", "diagnosis", "parse", "output", "decide"],
    ),
];

/// Files that are tests from their first line (declared under `#[cfg(test)]`).
const TEST_FILES: &[&str] = &[
    "fuzz.rs",
    "layers.rs",
    "decide/diagnose/tests.rs",
    "decide/diagnose/profile.rs",
];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules `code` names through `crate::`.
fn uses(code: &str) -> Vec<String> {
    code.match_indices("crate::")
        .map(|(at, m)| {
            code[at + m.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn no_arrow_runs_back_up() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    assert!(
        all.len() > 20,
        "found {} files under {}",
        all.len(),
        src.display()
    );
    let mut wrong = Vec::new();
    for path in &all {
        let rel = path
            .strip_prefix(&src)
            .map_or_else(|_| path.display().to_string(), |p| p.display().to_string());
        if rel == "lib.rs" || TEST_FILES.contains(&rel.as_str()) {
            continue;
        }
        let top = rel.split(['/', '.']).next().unwrap_or_default();
        let Some((layer, allowed)) = LAYERS.iter().find(|(l, _)| *l == top) else {
            wrong.push(format!("{rel}: in no layer (add it to LAYERS)"));
            continue;
        };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let code = text.split("\n#[cfg(test)]").next().unwrap_or_default();
        // Only the glue talks to the host.
        if *layer != "glue" && code.contains("proxy_wasm::") {
            wrong.push(format!("{rel} ({layer}) names proxy_wasm::"));
        }
        for used in uses(code) {
            if used != *layer && !allowed.contains(&used.as_str()) {
                wrong.push(format!("{rel} ({layer}) uses crate::{used}"));
            }
        }
    }
    assert!(wrong.is_empty(), "arrows back up:\n{}", wrong.join("\n"));
}

#[test]
fn the_check_sees_an_arrow() {
    assert_eq!(
        uses("use crate::decide::config;\nfn f() { crate::parse::text::x(); }"),
        ["decide", "parse"]
    );
}
