//! No command prints a credential, errors included: secrets planted in malformed input for each
//! command (`explain`, `replay`, `demo`, `bench`) never show up, not even an 8-byte piece, in
//! what the command prints.

// Test support code may panic: a failed expectation is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::process::Command;

const SECRET: &str = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJrZXkxIn0.c2lnbmF0dXJlLW9mLWEtand0";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("adhost-secrets-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs adhost; returns (exit code, stdout + stderr).
fn adhost(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_adhost"))
        .args(args)
        .current_dir(adhost::repo_root())
        .output()
        .expect("adhost runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn assert_no_piece(what: &str, output: &str) {
    for secret in [SECRET, JWT] {
        for piece in secret.as_bytes().windows(8) {
            let piece = std::str::from_utf8(piece).unwrap();
            // `eyJhbGci` starts every HS256 JWT; a shape, not a secret piece.
            if piece.starts_with("eyJhbGci") {
                continue;
            }
            assert!(
                !output.contains(piece),
                "{what} printed {piece:?} of a planted secret:\n{output}"
            );
        }
    }
}

#[test]
fn explain_masks_malformed_lines() {
    let dir = scratch("explain");
    let inputs = [
        format!("{SECRET} /orders HTTP/1.1\nHost: api\n"),
        format!("GET /orders HTTP/1.1\nx-api-key {SECRET}\n"),
        format!("GET /orders HTTP/1.1\nAuthorization Bearer {JWT}\n"),
        format!("> GET /orders HTTP/1.1\n> Host: api\n> {JWT}\n"),
        format!("{JWT}\n"),
    ];
    for (i, input) in inputs.iter().enumerate() {
        let file = dir.join(format!("t{i}.txt"));
        std::fs::write(&file, input).unwrap();
        let (code, output) = adhost(&["explain", file.to_str().unwrap()]);
        assert_eq!(code, 2, "input {i} is malformed: {output}");
        assert_no_piece(&format!("explain of input {i}"), &output);
    }
    for args in [["--status", SECRET], ["--now", SECRET]] {
        let file = dir.join("ok.txt");
        std::fs::write(&file, "GET / HTTP/1.1\nHost: api\n").unwrap();
        let (code, output) = adhost(&["explain", file.to_str().unwrap(), args[0], args[1]]);
        assert_eq!(code, 2, "{args:?}: {output}");
        assert_no_piece(&format!("explain {}", args[0]), &output);
    }
}

#[test]
fn replay_and_demo_mask_malformed_scenarios() {
    let dir = scratch("replay");
    let request = r#""request": {"method": "GET", "path": "/", "scheme": "https", "authority": "a", "source": "10.0.0.1:1", "headers": HEADERS}"#;
    let scenario = |headers: &str, extra: &str| {
        format!(
            r#"{{"name": "s", "config": {{}}, "now": 1, {}, "properties": {{}}, "expect": {{}}{extra}}}"#,
            request.replace("HEADERS", headers)
        )
    };
    let inputs = [
        scenario(
            &format!(r#"[["x-api-key", {{"base64": "{SECRET}!"}}]]"#),
            "",
        ),
        scenario(&format!(r#"[["x-api-key", {{"{SECRET}": "x"}}]]"#), ""),
        scenario(&format!(r#"[["x-api-key", "{SECRET}", "extra"]]"#), ""),
        scenario("[]", &format!(r#", "{SECRET}": 1"#)),
        scenario(
            "[]",
            &format!(r#", "response": {{"status": "{JWT}", "headers": []}}"#),
        ),
        scenario(&format!(r#"[["authorization", "Bearer {JWT}"]]"#), "")
            .replace("\"now\": 1", &format!("\"now\": \"{SECRET}\"")),
    ];
    for (i, input) in inputs.iter().enumerate() {
        let file = dir.join(format!("s{i}.json"));
        std::fs::write(&file, input).unwrap();
        let (code, output) = adhost(&["replay", file.to_str().unwrap()]);
        assert_eq!(code, 2, "scenario {i} is malformed: {output}");
        assert_no_piece(&format!("replay of scenario {i}"), &output);

        let demo_dir = dir.join(format!("demo{i}"));
        std::fs::create_dir_all(&demo_dir).unwrap();
        std::fs::write(demo_dir.join("s.json"), input).unwrap();
        let (code, output) = adhost(&["demo", demo_dir.to_str().unwrap()]);
        assert_eq!(code, 2, "demo of scenario {i}: {output}");
        assert_no_piece(&format!("demo of scenario {i}"), &output);
    }
}

#[test]
fn bench_and_usage_errors_echo_no_value() {
    for args in [
        vec!["bench", SECRET],
        vec!["bench", "--iterations", SECRET],
        vec![SECRET],
        vec!["replay", &format!("--{SECRET}")],
    ] {
        let (code, output) = adhost(&args);
        assert_eq!(code, 2, "{args:?}: {output}");
        assert_no_piece(&format!("{args:?}"), &output);
    }
}
