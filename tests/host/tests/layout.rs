//! The host never uses the tools built on it: `src/host/` names nothing of `src/tools/`, so the
//! host can be read, and reused, on its own.

use std::path::Path;

#[test]
fn the_host_never_uses_the_tools() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/host");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        checked += 1;
        for needle in ["crate::tools", "adhost::tools", "super::super"] {
            if text.contains(needle) {
                wrong.push(format!("{} uses {needle}", path.display()));
            }
        }
    }
    assert!(checked >= 8, "checked {checked} files in {}", dir.display());
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
