//! `make explain` on the bundled transcripts (tests/transcripts): each gets the expected codes
//! from the real filter, and no output line carries the credential.

// Test support code may panic: a failed expectation is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use adhost::tools::explain::{explain, Ask};
use serde_json::Value;

fn transcripts() -> std::path::PathBuf {
    adhost::repo_root().join("tests/transcripts")
}

fn host() -> adhost::Host {
    // A missing filter fails ("build it with make wasm"), never skips.
    adhost::load_host(None).unwrap_or_else(|e| panic!("{e:#}"))
}

#[test]
fn bundled_transcripts_are_explained() {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(transcripts().join("expected.json")).unwrap(),
    )
    .unwrap();
    let host = host();
    let now = expected["now"].as_u64();
    let mut failures = Vec::new();
    for case in expected["cases"].as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        let ask = Ask {
            transcript: std::fs::read_to_string(transcripts().join(file)).unwrap(),
            config: (!case["config"].is_null()).then(|| case["config"].to_string()),
            status: None,
            // A case may name its own clock; `"now": null` means the transcript's Date.
            now: case.get("now").map_or(now, Value::as_u64),
        };
        let out = match explain(&host, &ask) {
            Ok(out) => out,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        let header = out
            .lines()
            .find_map(|l| l.strip_prefix("X-Auth-Diagnosis: "))
            .unwrap_or_default();
        let codes = adhost::tools::replay::codes_from_header(header).unwrap_or_default();
        let want: Vec<String> = case["codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        if codes != want {
            failures.push(format!("{file}: expected {want:?}, got {codes:?}\n{out}"));
        }
        for code in &want {
            if !out.contains(&format!(". {code}: ")) {
                failures.push(format!("{file}: no reading for {code}"));
            }
        }
        for needle in case["contains"].as_array().unwrap() {
            let needle = needle.as_str().unwrap();
            if !out.contains(needle) {
                failures.push(format!("{file}: output lacks {needle:?}\n{out}"));
            }
        }
        for secret in case["secrets"].as_array().unwrap() {
            let secret = secret.as_str().unwrap();
            for piece in secret.as_bytes().windows(8) {
                let piece = std::str::from_utf8(piece).unwrap();
                if piece.starts_with("eyJ") || piece.contains('.') {
                    // The base64url of the JWT header `{"alg":"HS256","typ":"JWT"}` is public and shared.
                    continue;
                }
                if out.contains(piece) {
                    failures.push(format!("{file}: credential piece {piece:?} printed"));
                    break;
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bad_input_gets_a_clear_error() {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(transcripts().join("expected.json")).unwrap(),
    )
    .unwrap();
    let host = host();
    for case in expected["errors"].as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        let ask = Ask {
            transcript: std::fs::read_to_string(transcripts().join(file)).unwrap(),
            ..Ask::default()
        };
        let err = explain(&host, &ask).expect_err(file).to_string();
        assert!(
            err.contains(case["contains"].as_str().unwrap()),
            "{file}: {err}"
        );
    }
    let refused = explain(
        &host,
        &Ask {
            transcript: "GET / HTTP/1.1\n".into(),
            config: Some(r#"{"statuses":[99]}"#.into()),
            ..Ask::default()
        },
    )
    .expect_err("a bad config is refused");
    assert!(
        refused.to_string().contains("field `statuses`"),
        "{refused}"
    );
}

/// A request Kong's nginx answers 400 itself (here a second Authorization header, nginx ≥ 1.23)
/// never reaches a filter: explain says so instead of diagnosing it, and prints no credential.
#[test]
fn a_request_nginx_refuses_is_named_not_diagnosed() {
    let host = host();
    let transcript = "> GET /orders HTTP/1.1\n> Host: api.example.com\n> Authorization: Bearer s3cr3t-first-token\n> Authorization: Bearer s3cr3t-second-token\n>\n< HTTP/1.1 400 Bad Request\n";
    let err = explain(
        &host,
        &Ask {
            transcript: transcript.into(),
            now: Some(1_764_331_200),
            ..Ask::default()
        },
    )
    .expect_err("nginx refuses it")
    .to_string();
    assert!(err.contains("400 before any filter"), "{err}");
    assert!(err.contains("a second Authorization header"), "{err}");
    assert!(!err.contains("s3cr3t"), "{err}");
}
