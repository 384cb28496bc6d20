//! Every bundled scenario twice: through the `.wasm` in the embedded host, and natively through
//! the same gathering (`gather`) and decision, fed what that host hands the filter. When the two
//! disagree, the fault is in the glue or the host, not in the decision (coraza-proxy-wasm's
//! `vmTest` does the same for its table).
//!
//! Compared: the codes in order (the log line's, which holds them all) and the header value for
//! the tier the scenario's config gives. Left out, with the reason counted: scenarios nginx
//! refuses (no filter runs) and configs the filter refuses (nothing to decide).

use super::gather::{self, Property, Source};
use super::{parse_status, sentences};
use crate::decide::config::{self, Config, Expose, Mode};
use crate::decide::diagnose::{diagnose, Input, Verdict};
use crate::decide::exposure;
use crate::output::log_gate::LogGate;
use crate::parse::pairs::{self, Pairs, Span};
use adhost::{HeaderMap, Properties, Scenario};

/// What the embedded host hands the filter for one scenario.
struct Handed {
    request: HeaderMap,
    response: Option<HeaderMap>,
    properties: Properties,
}

impl Source for Handed {
    fn request_pairs(&self, spans: &mut Vec<Span>) -> Pairs {
        pairs::parse_into(self.request.marshal().as_read().to_vec(), spans)
    }

    fn request_header(&self, name: &str) -> Option<Vec<u8>> {
        self.request.get(name.as_bytes()).map(<[u8]>::to_vec)
    }

    fn response_header(&self, name: &str) -> Option<Vec<u8>> {
        self.response
            .as_ref()?
            .get(name.as_bytes())
            .map(<[u8]>::to_vec)
    }

    fn property_bytes(&self, path: Property) -> Option<Vec<u8>> {
        self.properties.get(&path.dotted()).cloned()
    }
}

/// The native run: what the glue does with what it is handed, in the same order. `None` when
/// the filter has nothing to say (the response is not one it annotates).
fn native(
    scenario: &Scenario,
    config: &Config,
    mut handed: Handed,
) -> Option<(Verdict, Option<String>)> {
    let now_ms = scenario.now.saturating_mul(1000);
    // on_http_request_headers: the token is checked, then removed before anything else reads
    // the request.
    let mut token_matched = false;
    if config.expose == Expose::Token {
        let (matched, sent) = gather::token(&handed, config);
        token_matched = matched;
        if sent {
            handed.request.remove(gather::TOKEN_HEADER.as_bytes());
        }
    }
    let answers = config.mode == Mode::Enforce && gather::anonymous(&handed, config);
    // on_http_response_headers: `:status` as the glue reads it from the response's map.
    let status = handed
        .response_header(":status")
        .and_then(|bytes| parse_status(&bytes));
    if !answers && !status.is_some_and(|s| config.statuses.contains(&s)) {
        return None;
    }
    let (request, client) = gather::request(&handed, config, (&mut Vec::new(), &mut Vec::new()));
    let tier = gather::tier(config, token_matched, client.as_deref());
    // A fresh instance: its flood guard has let nothing through yet.
    let logged = LogGate::new(config.log_rate).admit(now_ms);
    let response = match status {
        Some(status) if !answers => {
            // The host sets it before on_http_response_headers.
            handed
                .properties
                .entry("response.code".into())
                .or_insert_with(|| status.to_string().into_bytes());
            Some(gather::response(&handed, status, &mut Default::default()).0)
        }
        _ => None,
    };
    let verdict = diagnose(&Input {
        config,
        request: &request,
        response: response.as_ref(),
        now: i64::try_from(scenario.now).unwrap_or(0),
        anonymous: answers,
        sentences: sentences(tier, logged),
    });
    let value = tier.and_then(|t| exposure::header_value(&verdict.diagnoses, t, &config.places));
    Some((verdict, value))
}

#[test]
fn native_and_wasm_agree_on_every_scenario() {
    let host = match adhost::load_host(None) {
        Ok(host) => host,
        Err(e) => panic!("{e}"),
    };
    let files = adhost::scenario_files(&adhost::default_scenarios_dir()).unwrap_or_default();
    assert!(files.len() > 100, "found {} scenarios", files.len());
    let (mut compared, mut refused, mut unconfigured, mut silent) = (0, 0, 0, 0);
    let mut differ = Vec::new();
    for file in &files {
        let scenario = match Scenario::load(file) {
            Ok(s) => s,
            Err(e) => panic!("{}: {e}", file.display()),
        };
        let wasm = match adhost::replay(&host, &scenario) {
            Ok(outcome) => outcome,
            Err(e) => panic!("{}: {e}", scenario.name),
        };
        let Ok(config) = config::load(&scenario.config_bytes()) else {
            assert!(
                !wasm.configured,
                "{}: the .wasm took a config the core refuses",
                scenario.name
            );
            unconfigured += 1;
            continue;
        };
        assert!(
            wasm.configured,
            "{}: the .wasm refused a config the core takes",
            scenario.name
        );
        let handed =
            match adhost::host::plugin::handed_over(&scenario.request(), &scenario.properties()) {
                Ok(admitted) => Handed {
                    request: admitted.headers,
                    response: scenario.response().map(|r| r.header_map()),
                    properties: admitted.properties,
                },
                Err(_) => {
                    assert!(wasm.refused.is_some(), "{}", scenario.name);
                    refused += 1;
                    continue;
                }
            };
        let wasm_codes: Option<Vec<String>> = wasm
            .logs
            .iter()
            .find_map(|entry| adhost::tools::replay::codes_from_log(&entry.message));
        let Some((verdict, value)) = native(&scenario, &config, handed) else {
            // Neither writes a line: the filter had nothing to say.
            assert_eq!(
                wasm_codes, None,
                "{}: the .wasm diagnosed what the core leaves alone",
                scenario.name
            );
            silent += 1;
            continue;
        };
        let codes: Vec<String> = verdict
            .diagnoses
            .iter()
            .map(|d| d.code.as_str().to_owned())
            .collect();
        let header = wasm.header();
        if wasm_codes.as_ref() != Some(&codes) || header != value {
            differ.push(format!(
                "{}:\n  native codes {codes:?}, header {value:?}\n  wasm   codes {wasm_codes:?}, header {header:?}",
                scenario.name
            ));
        }
        compared += 1;
    }
    assert!(
        differ.is_empty(),
        "native and wasm differ on {}:\n{}",
        differ.len(),
        differ.join("\n")
    );
    // Most scenarios are decided by both; the others are counted so that a change shows.
    assert!(
        compared > 80,
        "compared {compared}, refused {refused}, unconfigured {unconfigured}, silent {silent}"
    );
    eprintln!(
        "compared {compared}, refused {refused}, unconfigured {unconfigured}, silent {silent}"
    );
}
