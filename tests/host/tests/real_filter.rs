//! The host against the real filter (target/wasm32-wasip1/release/auth_diagnosis.wasm) and the
//! `adhost` command line. Nothing is built here: a missing filter fails with "run make wasm first".

// Test support code may panic: a failed expectation is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use adhost::{default_wasm_path, Host, PluginOptions, Request, RequestOutcome, Response};

const SECRET_JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJzM2NyM3QtaXNzdWVyIiwiZXhwIjoxNzY0MzI3NjAwfQ.c2VjcmV0LXNpZ25hdHVyZS1ieXRlcw";
const SECRET_KEY: &str = "k3y-0123456789abcdef";

fn wasm_path() -> PathBuf {
    let path = default_wasm_path();
    assert!(
        path.is_file(),
        "{} is missing: run make wasm first",
        path.display()
    );
    path
}

fn real_host() -> Host {
    Host::from_file(&wasm_path()).expect("the filter loads")
}

fn request(headers: Vec<(&str, Vec<u8>)>) -> Request {
    Request {
        method: "GET".into(),
        path: "/orders?id=7".into(),
        scheme: "https".into(),
        authority: "api.example.com".into(),
        source: Some("10.0.0.8:50412".into()),
        headers: headers
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v))
            .collect(),
    }
}

fn unauthorized() -> Response {
    Response {
        status: 401,
        headers: vec![("www-authenticate".into(), b"Bearer".to_vec())],
        body: Vec::new(),
    }
}

#[test]
fn the_filter_configures_and_survives_hostile_bytes() {
    let host = real_host();
    let mut plugin = host
        .instantiate(PluginOptions {
            clock_nanos: 1_764_331_200_000_000_000,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        plugin.configure(),
        Ok(true),
        "an empty config means all defaults"
    );
    let nasty = request(vec![
        // No NUL: nginx answers a NUL in a header 400 before any filter (see nginx.rs).
        ("authorization", vec![0xff, 0xfe, b' ', 0x01, 0x80]),
        ("x-api-key", vec![0xc3, 0x28]),
        ("cookie", vec![0xff; 64]),
    ]);
    let outcome = plugin.run_request(&nasty, Some(&unauthorized()), &Default::default());
    assert_eq!(
        outcome.refused, None,
        "the filter must be handed these bytes"
    );
    assert_eq!(
        outcome.trap, None,
        "non-UTF-8 header values must not trap the filter"
    );
}

/// One instance with `config`, configured, its clock at the scenarios' moment.
fn configured(host: &Host, config: &[u8]) -> adhost::Plugin {
    let mut plugin = host
        .instantiate(PluginOptions {
            config: config.to_vec(),
            clock_nanos: 1_764_331_200_000_000_000,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        plugin.configure(),
        Ok(true),
        "{}",
        String::from_utf8_lossy(config)
    );
    plugin
}

#[test]
fn one_instance_serves_many_requests() {
    let mut plugin = configured(&real_host(), b"{}");
    let mut ids = Vec::new();
    for i in 0..200 {
        let auth = format!("Bearer {SECRET_JWT}").into_bytes();
        let req = request(vec![("authorization", auth)]);
        let response = if i % 2 == 0 {
            unauthorized()
        } else {
            Response {
                status: 200,
                ..Default::default()
            }
        };
        // Counters exist only on a Kong that has the metric hostcalls (3.8+).
        let properties = [("kong.version".to_string(), b"3.9.1".to_vec())].into();
        let outcome = plugin.run_request(&req, Some(&response), &properties);
        assert_eq!(outcome.trap, None);
        ids.push(outcome.context_id);
    }
    assert!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "context ids increase"
    );
    let total: u64 = plugin.metrics().values().sum();
    assert!(
        total >= 100,
        "every annotated 401 counts a diagnosis (got {total})"
    );
}

/// The filter reads each response into the buffers the last one left (they keep their room,
/// until a response outgrows them): a long-lived instance diagnoses every 401 exactly as a
/// fresh one does, whatever headers the 401 before it carried.
#[test]
fn every_401_is_read_afresh_in_a_long_lived_instance() {
    let host = real_host();
    let config = br#"{"expose": "full", "log_rate": 0}"#;
    let header = |h: (&str, &str)| (h.0.to_string(), h.1.as_bytes().to_vec());
    let upstream = |challenge: &str| Response {
        status: 401,
        headers: [
            ("www-authenticate", challenge),
            ("x-kong-upstream-latency", "3"),
            ("set-cookie", "session=1; Path=/"),
        ]
        .map(header)
        .to_vec(),
        body: Vec::new(),
    };
    let kong = Response {
        status: 401,
        headers: [
            ("www-authenticate", "Key realm=\"kong\""),
            ("x-kong-response-latency", "0"),
        ]
        .map(header)
        .to_vec(),
        body: Vec::new(),
    };
    let silent = Response {
        status: 401,
        headers: [("via", "1.1 kong/3.9.1"), ("server", "kong/3.9.1")]
            .map(header)
            .to_vec(),
        body: Vec::new(),
    };
    let long_challenge = format!(
        "Bearer error=\"invalid_token\", error_description=\"{}\"",
        "x".repeat(900)
    );
    let responses = [
        upstream(&long_challenge),
        kong,
        silent,
        upstream("Bearer error=\"invalid_token\""),
        Response {
            status: 401,
            ..Default::default()
        },
    ];
    // Past the room for names, then for header spans (ngx_wasm_module hands over 100 pairs at
    // most; other hosts more).
    let long_names: Vec<String> = (0..90)
        .map(|i| format!("x-long-header-name-{i:03}-{}", "n".repeat(20)))
        .collect();
    let many: Vec<(&str, Vec<u8>)> = long_names
        .iter()
        .map(|n| (n.as_str(), b"v".to_vec()))
        .collect();
    let mut too_many = vec![("apikey", b"k3y-7f3a9c2e5d1b4a68".to_vec())];
    too_many.extend((0..140).map(|_| ("a", Vec::new())));
    let requests = [
        request(vec![(
            "authorization",
            format!("Bearer {SECRET_JWT}").into_bytes(),
        )]),
        request(vec![("x-api-key", b"k3y-7f3a9c2e5d1b4a68".to_vec())]),
        request(Vec::new()),
        request(vec![(
            "cookie",
            b"session=3f2a9c7d1e5b4a60; theme=dark".to_vec(),
        )]),
        request(many),
        request(too_many),
    ];
    // The header, and the log line, which says more (every fact of the detail, the credential).
    let header_of = |plugin: &mut adhost::Plugin, req: &Request, resp: &Response| {
        let outcome = plugin.run_request(req, Some(resp), &Default::default());
        assert_eq!(outcome.trap, None);
        let header = outcome
            .client_response()
            .and_then(|r| r.headers().get_str("x-auth-diagnosis"));
        let line = outcome
            .logs
            .iter()
            .find(|l| l.message.starts_with("auth-diagnosis status="))
            .map(|l| l.message.clone());
        header.zip(line)
    };
    let mut long_lived = configured(&host, config);
    let mut seen = std::collections::HashSet::new();
    for round in 0..requests.len() {
        for (i, resp) in responses.iter().enumerate() {
            let req = &requests[(i + round) % requests.len()];
            let fresh = header_of(&mut configured(&host, config), req, resp);
            assert!(fresh.is_some(), "round {round}, response {i}");
            // After another 401, and after the same one (what a retrying client sends).
            for time in 0..2 {
                let reused = header_of(&mut long_lived, req, resp);
                assert_eq!(reused, fresh, "round {round}, response {i}, time {time}");
            }
            seen.insert(fresh);
        }
    }
    assert!(seen.len() >= 6, "the cases differ: {seen:?}");
}

#[test]
fn a_broken_config_is_refused_without_a_trap() {
    let host = real_host();
    let mut plugin = host
        .instantiate(PluginOptions {
            config: b"{\"mode\": 42".to_vec(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(plugin.configure(), Ok(false));
    let logs = plugin.take_logs();
    assert!(!logs.is_empty(), "the refusal is logged");
}

// ---- command line ----

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("adhost-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn adhost(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_adhost"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn scenario(name: &str, expect: &str) -> String {
    format!(
        r#"{{"name": "{name}", "now": 1764331200,
  "request": {{"method": "GET", "path": "/orders?id=7&apikey={SECRET_KEY}", "scheme": "https",
              "authority": "api.example.com", "source": "10.0.0.8:50412",
              "headers": [["authorization", "Bearer {SECRET_JWT}"], ["cookie", "session=s3cr3t-cookie-value"],
                          ["x-bin", {{"base64": "/wH+"}}]]}},
  "properties": {{"ngx.kong_request_id": "5f1c"}},
  "response": {{"status": 401, "headers": [["www-authenticate", "Bearer"]]}},
  "expect": {expect}}}"#
    )
}

#[test]
fn replay_prints_one_json_object_per_scenario() {
    wasm_path();
    let dir = TempDir::new("replay");
    dir.write(
        "good.json",
        &scenario(
            "good",
            r#"{"configured": true, "never_contains": ["s3cr3t-cookie-value"]}"#,
        ),
    );
    dir.write(
        "bad.json",
        &scenario("bad", r#"{"first": "definitely-not-a-code"}"#),
    );

    let ok = adhost(&["replay", "good.json"], &dir.0);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let stdout = String::from_utf8(ok.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1);
    let line: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    let keys: Vec<&str> = line
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = [
        "name",
        "configured",
        "codes",
        "header",
        "local_response",
        "logs",
        "metrics",
        "trapped",
        "refused",
        "ok",
    ];
    expected.sort_unstable();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, expected);
    assert_eq!(line["ok"], true);
    assert_eq!(line["trapped"], false);
    assert_eq!(line["refused"], serde_json::Value::Null);

    let failed = adhost(&["replay", "good.json", "bad.json"], &dir.0);
    assert_eq!(failed.status.code(), Some(1));
    assert_eq!(String::from_utf8(failed.stdout).unwrap().lines().count(), 2);
    let stderr = String::from_utf8(failed.stderr).unwrap();
    assert!(
        stderr.contains("FAIL bad: expected first=definitely-not-a-code, got"),
        "{stderr}"
    );
}

#[test]
fn replay_refuses_bad_input_with_exit_2() {
    let dir = TempDir::new("invalid");
    dir.write(
        "typo.json",
        &scenario("typo", "{}").replace("\"properties\"", "\"propertys\""),
    );
    let out = adhost(&["replay", "typo.json"], &dir.0);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("propertys"), "{stderr}");
    assert!(out.stdout.is_empty());

    dir.write("fine.json", &scenario("fine", "{}"));
    let out = adhost(&["replay", "--wasm", "missing.wasm", "fine.json"], &dir.0);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("make wasm"));

    let out = adhost(&["replay", "nowhere.json"], &dir.0);
    assert_eq!(out.status.code(), Some(2));
    let out = adhost(&["replay"], &dir.0);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn demo_never_prints_a_credential() {
    wasm_path();
    let dir = TempDir::new("demo");
    dir.write("b.json", &scenario("second", "{}"));
    dir.write("a.json", &scenario("first", r#"{"configured": true}"#));
    let out = adhost(&["demo", dir.0.to_str().unwrap()], &dir.0);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for secret in [
        SECRET_JWT,
        SECRET_KEY,
        "s3cr3t-cookie-value",
        "c2VjcmV0LXNpZ25hdHVyZS1ieXRlcw",
    ] {
        assert!(
            !stdout.contains(secret),
            "the demo printed {secret}:\n{stdout}"
        );
    }
    assert!(
        stdout.contains(&format!("Bearer <jwt, {} bytes>", SECRET_JWT.len())),
        "{stdout}"
    );
    assert!(
        stdout.contains("> GET /orders?id=7&apikey=<20 bytes> HTTP/1.1"),
        "{stdout}"
    );
    assert!(stdout.contains("> Host: api.example.com"), "{stdout}");
    assert!(stdout.contains("X-Auth-Diagnosis"), "{stdout}");
    assert!(
        stdout.find("== first ==").unwrap() < stdout.find("== second ==").unwrap(),
        "sorted by file name"
    );
    assert!(stdout.trim_end().ends_with("2 scenarios, 2 ok"), "{stdout}");

    dir.write(
        "c.json",
        &scenario("third", r#"{"first": "definitely-not-a-code"}"#),
    );
    let out = adhost(&["demo", dir.0.to_str().unwrap()], &dir.0);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .ends_with("3 scenarios, 2 ok"));
}

/// The log flood guard through the real filter: a burst of `log_rate` lines, the rest held back,
/// counted by the metrics all the same, and summed up by the next tick in one line.
#[test]
fn a_flood_of_401s_is_held_back_and_summed_up() {
    let host = real_host();
    for (config, expected_lines) in [(&b"{}"[..], 20), (&br#"{"log_rate":0}"#[..], 300)] {
        let mut plugin = configured(&host, config);
        plugin.take_logs();
        let properties = [("kong.version".to_string(), b"3.9.1".to_vec())].into();
        let mut lines = 0;
        for _ in 0..300 {
            let req = request(vec![(
                "authorization",
                format!("Bearer {SECRET_JWT}").into_bytes(),
            )]);
            let outcome = plugin.run_request(&req, Some(&unauthorized()), &properties);
            assert_eq!(outcome.trap, None);
            let header = outcome
                .client_response()
                .and_then(|r| r.headers().get(b"x-auth-diagnosis").map(<[u8]>::to_vec));
            assert!(header.is_some(), "the header is never held back");
            lines += outcome
                .logs
                .iter()
                .filter(|l| l.message.starts_with("auth-diagnosis status=401"))
                .count();
        }
        assert_eq!(lines, expected_lines, "{}", String::from_utf8_lossy(config));
        let counted: u64 = plugin.metrics().values().sum();
        assert!(counted >= 300, "every 401 is counted ({counted})");
        let ticked = plugin.tick().unwrap();
        let summaries: Vec<String> = plugin
            .take_logs()
            .into_iter()
            .map(|l| l.message)
            .filter(|m| m.contains("held_back="))
            .collect();
        if expected_lines == 20 {
            assert!(ticked, "a limited gate asks for a tick");
            assert_eq!(summaries.len(), 1, "{summaries:?}");
            assert!(
                summaries[0].starts_with("auth-diagnosis held_back=280 seconds=1 held_codes=\""),
                "{}",
                summaries[0]
            );
        } else {
            assert!(
                !ticked && summaries.is_empty(),
                "unlimited: no tick, no summary"
            );
        }
    }
}

/// One long-lived instance, as a Kong worker keeps, given `count` 401s of 97 to 110 headers
/// (one-letter names, empty values: the module sizes the pairs buffer short and writes past it,
/// see adhost::host::map::marshal), every third one an ordinary request instead; `path` gives
/// each request's path. None may trap.
fn short_pairs_buffers(count: usize, path: impl Fn(usize) -> String) -> Vec<RequestOutcome> {
    let host = real_host();
    let mut plugin = host
        .instantiate(PluginOptions {
            clock_nanos: 1_764_331_200_000_000_000,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(plugin.configure(), Ok(true));
    let properties = [("ngx.upstream_status".to_string(), b"401".to_vec())].into();
    (0..count)
        .map(|i| {
            let mut headers: Vec<(&str, Vec<u8>)> = vec![("host", b"x".to_vec())];
            headers.extend((0..96 + i % 14).map(|_| ("a", Vec::new())));
            if i % 3 == 0 {
                headers = vec![("authorization", format!("Bearer {SECRET_JWT}").into_bytes())];
            }
            let mut req = request(headers);
            req.authority = String::new();
            req.path = path(i);
            let outcome = plugin.run_request(&req, Some(&unauthorized()), &properties);
            assert_eq!(outcome.refused, None);
            assert_eq!(outcome.trap, None, "request {i}");
            outcome
        })
        .collect()
}

/// The module writes up to 27 bytes past the buffer with Kong's `:authority` (kong:8000): the
/// filter survives it, and every request still gets its diagnosis.
#[test]
fn short_pairs_buffers_do_not_poison_the_instance() {
    let outcomes = short_pairs_buffers(1000, |_| "/orders?id=7".into());
    for (i, outcome) in outcomes.iter().enumerate() {
        let header = outcome
            .client_response()
            .and_then(|r| r.headers().get_str("x-auth-diagnosis"));
        assert!(header.is_some(), "request {i}: no diagnosis");
    }
}

/// With a long `:path` the module writes as far past the buffer as the path is long (here ~6 KB,
/// under nginx's 8k request-line buffer): the filter survives that too.
#[test]
fn long_paths_past_short_pairs_buffers_do_not_poison_the_instance() {
    let long = format!("/orders/{}", "x".repeat(6000));
    let outcomes = short_pairs_buffers(300, |i| {
        if i % 2 == 0 {
            long.clone()
        } else {
            "/orders?id=7".into()
        }
    });
    assert_eq!(outcomes.len(), 300);
}

/// A host that refuses the filter's writes (header, metric) gets one error line per kind of
/// write, with its status, however many requests follow; the requests go on without a trap.
#[test]
fn a_refused_write_is_logged_once_per_kind() {
    let host = real_host();
    let mut plugin = host
        .instantiate(PluginOptions {
            config: br#"{"log_rate":0}"#.to_vec(),
            clock_nanos: 1_764_331_200_000_000_000,
            refuse_writes: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(plugin.configure(), Ok(true));
    let properties = [("kong.version".to_string(), b"3.9.1".to_vec())].into();
    let mut refusals = Vec::new();
    for _ in 0..5 {
        let outcome = plugin.run_request(&request(Vec::new()), Some(&unauthorized()), &properties);
        assert_eq!(outcome.trap, None);
        refusals.extend(
            outcome
                .logs
                .iter()
                .filter(|l| l.message.contains("the host refused a write"))
                .map(|l| (l.level, l.message.clone())),
        );
    }
    assert_eq!(refusals.len(), 2, "{refusals:?}");
    assert!(refusals
        .iter()
        .all(|(level, m)| *level == "error" && m.contains("host status 10")));
    assert!(refusals.iter().any(|(_, m)| m.contains("(ResponseHeader,")));
    assert!(refusals.iter().any(|(_, m)| m.contains("(Metric,")));
}

/// enforce on an ldap-auth route answers the anonymous consumer the way ldap-auth itself would:
/// `WWW-Authenticate: LDAP realm="…"` (kong/plugins/ldap-auth/access.lua, 3.9.3), and on a
/// session route with the challenge of the auth plugin behind the session.
#[test]
fn enforce_answers_with_ldap_auths_challenge() {
    let host = real_host();
    // base64 of "einstein:S3cr3t-Relativity".
    let ldap = b"ldap ZWluc3RlaW46UzNjcjN0LVJlbGF0aXZpdHk=".to_vec();
    // (config, request headers, the challenge, the start of the diagnosis header)
    type Row<'a> = (&'a str, Vec<(&'a str, Vec<u8>)>, &'a str, &'a str);
    let table: &[Row] = &[
        (
            r#"{"mode":"enforce","expose":"full","auth":{"ldap_auth":{"realm":"corp directory"}}}"#,
            vec![("authorization", ldap.clone())],
            "LDAP realm=\"corp directory\"",
            "credential-not-recognized;plugin=ldap-auth",
        ),
        (
            r#"{"mode":"enforce","auth":{"ldap_auth":{"header_type":"corp"}}}"#,
            vec![("authorization", ldap.clone())],
            "corp",
            "scheme-mismatch;plugin=ldap-auth",
        ),
        (
            r#"{"mode":"enforce","auth":{"session":{},"key_auth":{}}}"#,
            vec![("cookie", b"session=c2Vzc2lvbi1ieXRlcy1vbGQ".to_vec())],
            "Key realm=\"kong\"",
            "credential-not-recognized;plugin=session",
        ),
    ];
    for (config, headers, challenge, code) in table {
        let mut plugin = host
            .instantiate(PluginOptions {
                config: config.as_bytes().to_vec(),
                clock_nanos: 1_764_331_200_000_000_000,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(plugin.configure(), Ok(true), "{config}");
        let mut headers = headers.clone();
        headers.push(("x-anonymous-consumer", b"true".to_vec()));
        let outcome = plugin.run_request(&request(headers), None, &Default::default());
        assert_eq!(outcome.trap, None);
        let local = outcome.local_response.expect("enforce answers by itself");
        assert_eq!(local.status, 401);
        assert_eq!(
            local.headers.get(b"www-authenticate"),
            Some(challenge.as_bytes()),
            "{config}"
        );
        let diagnosis = local.headers.get(b"x-auth-diagnosis").unwrap_or_default();
        assert!(
            String::from_utf8_lossy(diagnosis).starts_with(code),
            "{config}: {}",
            String::from_utf8_lossy(diagnosis)
        );
        let body = String::from_utf8_lossy(&local.body);
        for secret in ["ZWluc3RlaW46", "S3cr3t-Relativity", "c2Vzc2lvbi1ieXRl"] {
            assert!(!body.contains(secret) && !String::from_utf8_lossy(diagnosis).contains(secret));
        }
    }
}
