//! What a worker keeps from one 401 to the next (the text buffer the header and the line are
//! written into, the counters of the route counted last) never shows in what a request gets:
//! one instance serving a mix of 401s writes, for each, the header and the line a fresh
//! instance writes, and counts every code its line names on the line's route.

// Test support code may panic: a failed expectation is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use adhost::{Host, Plugin, Properties, Request, Response};
use std::collections::BTreeMap;

/// `exp` 4 s before the clock below.
const EXPIRED: &str = "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJvcmRlcnMtYXBwIiwic3ViIjoidXNlci00NzExIiwiaWF0IjoxNzY0MzI3NTk2LCJleHAiOjE3NjQzMzExOTZ9.qPgzuBCHhM4ZIm8wLjnsEz9o_yJNwCpCPu371vqXSrs";

/// Many key names: a no-credentials member, with the places the route reads, is longer than the
/// others.
fn config() -> Vec<u8> {
    let names: Vec<String> = (0..40)
        .map(|i| format!("\"x-api-key-of-a-rather-long-name-number-{i:02}\""))
        .collect();
    format!(
        r#"{{"mode":"observe","log_rate":0,"auth":{{"key_auth":{{"key_names":[{}]}},"jwt":{{}}}}}}"#,
        names.join(",")
    )
    .into_bytes()
}

/// The 401s, by what they carry: `(credential, route)`; `None` leaves it out.
const MIX: &[(Option<&str>, Option<&str>)] = &[
    (Some(EXPIRED), Some("orders")),
    (Some(EXPIRED), Some("orders")),
    (None, Some("orders")),
    (Some(EXPIRED), Some("orders")),
    (Some(EXPIRED), Some("billing")),
    (None, None),
    (Some(EXPIRED), None),
    (Some(EXPIRED), Some("commandes-été")),
    (None, Some("commandes-été")),
    (Some(EXPIRED), Some("orders")),
    (None, Some("billing")),
    (None, Some("orders")),
    (Some(EXPIRED), Some("orders")),
];

fn exchange(credential: Option<&str>, route: Option<&str>) -> (Request, Response, Properties) {
    let mut headers = vec![("user-agent".to_string(), b"curl/8.5.0".to_vec())];
    if let Some(c) = credential {
        headers.push(("authorization".into(), c.as_bytes().to_vec()));
    }
    let request = Request {
        method: "GET".into(),
        path: "/orders".into(),
        scheme: "https".into(),
        authority: "api.example.com".into(),
        source: Some("10.0.0.8:50412".into()),
        headers,
    };
    let response = Response {
        status: 401,
        headers: vec![(
            "www-authenticate".into(),
            b"Bearer realm=\"orders\"".to_vec(),
        )],
        body: Vec::new(),
    };
    let mut properties: Properties = [
        ("kong.version", "3.9.1"),
        ("ngx.upstream_status", "401"),
        ("ngx.kong_request_id", "b0288a7b1a283f23f8c0e41a2399742d"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
    .collect();
    if let Some(r) = route {
        properties.insert("kong.route_name".into(), r.as_bytes().to_vec());
    }
    (request, response, properties)
}

fn plugin(host: &Host) -> Plugin {
    let mut plugin = host
        .instantiate(adhost::PluginOptions {
            config: config(),
            clock_nanos: 1_764_331_200_000_000_000,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(plugin.configure(), Ok(true));
    plugin
}

/// The header and the diagnosis line a request got.
fn outputs(plugin: &mut Plugin, credential: Option<&str>, route: Option<&str>) -> (String, String) {
    let (request, response, properties) = exchange(credential, route);
    let outcome = plugin.run_request(&request, Some(&response), &properties);
    assert_eq!(outcome.trap, None, "{credential:?} {route:?}");
    let header = outcome
        .client_response()
        .and_then(|r| r.headers().get_str("X-Auth-Diagnosis"))
        .expect("a header");
    let lines: Vec<String> = outcome
        .logs
        .iter()
        .filter(|l| l.message.starts_with("auth-diagnosis status="))
        .map(|l| l.message.clone())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    (header, lines[0].clone())
}

/// The counter a code is counted under on `route`, as metrics.rs names it.
fn counter(code: &str, route: Option<&str>) -> String {
    let label = route.filter(|r| {
        !r.is_empty()
            && r.len() <= 64
            && r.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-'))
    });
    match label {
        Some(r) => format!("diagnoses_total_code={code}_route={r}"),
        None => format!("diagnoses_total_code={code}"),
    }
}

#[test]
fn what_a_worker_keeps_never_shows() {
    let host = adhost::load_host(None).unwrap_or_else(|e| panic!("{e:#}"));
    let mut worker = plugin(&host);
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    let mut lengths = std::collections::BTreeSet::new();
    for round in 0..2 {
        for &(credential, route) in MIX {
            let got = outputs(&mut worker, credential, route);
            let fresh = outputs(&mut plugin(&host), credential, route);
            assert_eq!(got, fresh, "round {round}: {credential:?} {route:?}");
            lengths.insert(got.0.len());
            let codes = got
                .1
                .split(' ')
                .find_map(|kv| kv.strip_prefix("codes="))
                .expect("codes");
            for code in codes.split(',') {
                *expected.entry(counter(code, route)).or_default() += 1;
            }
        }
    }
    assert!(
        lengths.len() > 1,
        "headers of different lengths: {lengths:?}"
    );
    assert!(
        expected.keys().any(|k| k.ends_with("_route=orders"))
            && expected.keys().any(|k| k.ends_with("_route=billing"))
            && expected.keys().any(|k| !k.contains("_route=")),
        "{expected:?}"
    );
    assert_eq!(worker.metrics(), expected);
}
