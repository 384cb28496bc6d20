//! The benchmark's 401 shapes (`adhost::tools::bench::shapes`, the very requests `make bench`
//! times), decided and written out as the glue does: the harness callgrind profiles the pure core
//! with (`make profile`), and a check that each shape gets its code.

use super::*;
use crate::decide::config::load;
use crate::decide::exposure::{self, Tier};
use crate::output::logline::{self, Correlation};
use crate::parse::request::Headers;
use adhost::tools::bench::{shapes, Expect, Shape};

/// The request's headers as the host hands them over: one buffer in the wire format.
fn wire(shape: &Shape) -> Vec<u8> {
    let pairs: Vec<(&[u8], &[u8])> = shape
        .request
        .headers
        .iter()
        .map(|(n, v)| (n.as_bytes(), v.as_slice()))
        .collect();
    crate::parse::pairs::tests::serialize(&pairs)
}

/// One 401 as the glue handles it: the host's buffer read into headers, the response's headers
/// copied in one by one, the decision, the header at the summary tier and the log line.
fn one(config: &Config, shape: &Shape, wire: &[u8]) -> (String, String) {
    let request = Request {
        method: shape.request.method.clone().into(),
        path: shape.request.path.clone().into(),
        scheme: shape.request.scheme.clone().into(),
        authority: shape.request.authority.clone().into(),
        headers: Headers::from_wire(crate::parse::pairs::parse(wire.to_vec())),
        ..Request::default()
    };
    let mut headers = Headers::lend(&mut Headers::default(), 6, 96, 1024);
    for (name, value) in &shape.response.headers {
        headers.push(name, value);
    }
    let response = Response {
        status: shape.response.status,
        headers,
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
        shape.response.status,
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
    let unauthorized: Vec<(Shape, &str)> = shapes()
        .into_iter()
        .filter_map(|s| match s.expect {
            Expect::Diagnosis(code) => Some((s.clone(), code)),
            Expect::Untouched => None,
        })
        .collect();
    assert_eq!(unauthorized.len(), 2, "the bench's two 401 shapes");
    // `PROFILE_SHAPE=stripped-by-proxy` (a code) profiles one shape alone.
    let only = std::env::var("PROFILE_SHAPE").ok();
    let unauthorized: Vec<_> = unauthorized
        .into_iter()
        .filter(|(_, code)| only.as_deref().is_none_or(|o| o == *code))
        .collect();
    let wires: Vec<Vec<u8>> = unauthorized.iter().map(|(shape, _)| wire(shape)).collect();
    for _ in 0..rounds {
        for ((shape, code), wire) in unauthorized.iter().zip(&wires) {
            let (header, line) = one(&config, shape, wire);
            assert!(
                header.starts_with(&format!("{code};")),
                "{}: {header}",
                shape.name
            );
            assert!(
                line.contains(&format!("codes={code}")),
                "{}: {line}",
                shape.name
            );
        }
    }
}
