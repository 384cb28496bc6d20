//! The counters over many requests on one filter instance (one worker): a counter per code and
//! route, the route label bounded, and the series Kong 3.9's Prometheus plugin exports.

// Test support code may panic: a failed expectation is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use adhost::{Properties, Request, Response};

fn upstream_401(route: &str) -> (Request, Response, Properties) {
    let request = Request {
        method: "GET".into(),
        path: "/orders".into(),
        scheme: "https".into(),
        authority: "api.example.com".into(),
        source: Some("10.0.0.8:50412".into()),
        headers: vec![("user-agent".into(), b"curl/8.5.0".to_vec())],
    };
    let response = Response {
        status: 401,
        headers: vec![("x-kong-upstream-latency".into(), b"3".to_vec())],
        body: Vec::new(),
    };
    let properties: Properties = [
        ("kong.version", "3.9.1"),
        ("kong.route_name", route),
        ("ngx.upstream_status", "401"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
    .collect();
    (request, response, properties)
}

#[test]
fn one_counter_per_code_and_route_bounded_per_worker() {
    let host = adhost::load_host(None).unwrap_or_else(|e| panic!("{e:#}"));
    let mut plugin = host
        .instantiate(adhost::PluginOptions {
            config: br#"{"mode":"observe"}"#.to_vec(),
            clock_nanos: 1_764_331_200_000_000_000,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(plugin.configure(), Ok(true));
    let bound = 512;
    let extra = 20;
    // Every route twice, the second time after all the others: the same counter is found again.
    // The clock stands still, so the log flood guard (log_rate) holds most lines back: those
    // 401s are counted on their route all the same.
    let mut lines = 0;
    for round in 0..2 {
        for i in 0..bound + extra {
            let (request, response, properties) = upstream_401(&format!("route-{i}"));
            let outcome = plugin.run_request(&request, Some(&response), &properties);
            assert_eq!(outcome.trap, None, "round {round}, route {i}");
            lines += outcome
                .logs
                .iter()
                .filter(|l| l.message.starts_with("auth-diagnosis status="))
                .count();
        }
    }
    assert!(
        lines < 100,
        "the flood guard held lines back ({lines} written)"
    );
    let metrics = plugin.metrics();
    let labelled: Vec<(&String, &u64)> = metrics
        .iter()
        .filter(|(n, _)| n.contains("_route="))
        .collect();
    assert_eq!(labelled.len(), bound, "route-labelled counters per worker");
    assert!(labelled.iter().all(|(_, v)| **v == 2), "{labelled:?}");
    assert_eq!(
        metrics.get("diagnoses_total_code=no-credentials"),
        Some(&(2 * extra as u64)),
        "past the bound, a diagnosis is counted under its code alone"
    );
    assert_eq!(metrics.len(), bound + 1, "{:?}", metrics.keys());

    let exported = adhost::tools::prometheus::exported(&metrics).unwrap();
    assert_eq!(
        exported
            .get("pw_auth_diagnosis_diagnoses_total{code=\"no-credentials\",route=\"route-0\"}"),
        Some(&2)
    );
    assert_eq!(
        exported.get("pw_auth_diagnosis_diagnoses_total{code=\"no-credentials\"}"),
        Some(&(2 * extra as u64))
    );
    assert!(
        exported
            .keys()
            .all(|k| k.starts_with("pw_auth_diagnosis_diagnoses_total{code=\"no-credentials\"")),
        "every series is named as Kong exports it: {:?}",
        exported.keys().take(3).collect::<Vec<_>>()
    );
}
