//! The benchmark's two 401 shapes (tests/host/src/tools/bench.rs), decided and written out as the glue
//! does: the harness callgrind profiles the pure core with (`make profile`), and a check that each
//! shape gets its code.

use super::*;
use crate::decide::config::load;
use crate::decide::exposure::{self, Tier};
use crate::output::logline::{self, Correlation};
use crate::parse::request::Headers;

const EXPIRED_JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJvcmRlcnMtYXBwIiwic3ViIjoidXNlci00NzExIiwiaWF0IjoxNzY0MzI0MDAwLCJleHAiOjE3NjQzMjc2MDB9.kvEzsZ0zCA2xbYLszxPjpl_7_PAGDiFBPx00GALxpG0";

fn common() -> Vec<(&'static str, String)> {
    [
        ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
        ("accept", "application/json, text/plain, */*"),
        ("accept-encoding", "gzip, deflate, br, zstd"),
        ("accept-language", "en-US,en;q=0.9,de;q=0.8"),
        ("x-request-id", "7c0e5b1e-3f5a-4b8e-9d6c-2a1f0e9b8c7d"),
        ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        ("x-forwarded-for", "203.0.113.9"),
        ("x-forwarded-proto", "https"),
        ("cache-control", "no-cache"),
    ]
    .into_iter()
    .map(|(n, v)| (n, v.to_string()))
    .collect()
}

/// One 401 as the glue handles it: the request's pairs made into headers, the decision, the
/// header at the summary tier and the log line.
fn one(config: &Config, pairs: &[(&str, String)], response: &[(&str, &str)]) -> (String, String) {
    let request = Request {
        method: "GET".into(),
        path: "/orders?id=7".into(),
        scheme: "https".into(),
        authority: "api.example.com".into(),
        headers: Headers::from_pairs(
            pairs
                .iter()
                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())),
        ),
        ..Request::default()
    };
    let response = Response {
        status: 401,
        headers: Headers::from_pairs(
            response
                .iter()
                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())),
        ),
        upstream_status: None,
        ngx_answered: None,
    };
    let verdict = diagnose(&Input {
        config,
        request: &request,
        response: Some(&response),
        now: 1_764_331_200,
        anonymous: false,
        sentences: Sentences::LogLine,
    });
    let header = exposure::header_value(&verdict.diagnoses, Tier::Summary, &config.places)
        .unwrap_or_default();
    let line = logline::render(
        401,
        &verdict.diagnoses,
        &Correlation::default(),
        verdict.credential.as_ref(),
    );
    (header, line)
}

#[test]
fn profile_401_shapes() {
    let rounds: usize = std::env::var("PROFILE_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    let config = load(b"{}").unwrap();
    let mut stripped = common();
    stripped.push((
        "cookie",
        "BIGipServerpool_orders=1677787402.36895.0000; session=3f2a9c7d1e5b4a60".into(),
    ));
    let mut stale = common();
    stale.push(("authorization", format!("Bearer {EXPIRED_JWT}")));
    let upstream = [
        ("www-authenticate", "Bearer"),
        ("x-kong-upstream-latency", "3"),
    ];
    for _ in 0..rounds {
        let (header, line) = one(&config, &stripped, &upstream);
        assert!(header.starts_with("stripped-by-proxy;"), "{header}");
        assert!(line.contains("codes=stripped-by-proxy"), "{line}");
        let (header, line) = one(&config, &stale, &upstream);
        assert!(header.starts_with("jwt-expired;"), "{header}");
        assert!(line.contains("credential=jwt credential_len="), "{line}");
    }
}
