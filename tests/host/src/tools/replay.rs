//! Replays one scenario on a fresh instance and gathers everything the checks and reports need.

use std::collections::BTreeMap;

use crate::host::plugin::{ClientResponse, Host, PluginOptions, RequestOutcome};
use crate::host::state::{LocalResponse, LogEntry, Trap};
use crate::tools::scenario::Scenario;

/// The result of replaying one scenario.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub name: String,
    /// What `on_configure` returned (false when it trapped).
    pub configured: bool,
    /// The first trap, if any call trapped.
    pub trap: Option<Trap>,
    /// Every captured log line, configuration first.
    pub logs: Vec<LogEntry>,
    /// Metric values after the request.
    pub metrics: BTreeMap<String, u64>,
    /// The request's outcome; `None` when the filter was not configured.
    pub request: Option<RequestOutcome>,
    /// The name of the diagnosis header for this scenario.
    pub header_name: String,
    /// Why nginx answered 400 before any filter ran, if it did (the filter never saw it).
    pub refused: Option<String>,
}

/// Replays `scenario` on a new instance of `host`'s module. Only an instantiation failure is an
/// error; traps are part of the outcome.
pub fn replay(host: &Host, scenario: &Scenario) -> anyhow::Result<Outcome> {
    let options = PluginOptions {
        config: scenario.config_bytes(),
        clock_nanos: scenario.clock_nanos(),
        ..PluginOptions::default()
    };
    let mut plugin = host.instantiate(options)?;
    let configured = plugin.configure();
    let mut logs = plugin.take_logs();
    let mut outcome = Outcome {
        name: scenario.name.clone(),
        configured: matches!(configured, Ok(true)),
        trap: configured.err(),
        logs: Vec::new(),
        metrics: BTreeMap::new(),
        request: None,
        header_name: scenario.header_name(),
        refused: None,
    };
    if outcome.configured {
        let request = plugin.run_request(
            &scenario.request(),
            scenario.response().as_ref(),
            &scenario.properties(),
        );
        logs.extend(request.logs.iter().cloned());
        outcome.trap = request.trap.clone();
        outcome.refused = request.refused.clone();
        outcome.request = Some(request);
    }
    outcome.logs = logs;
    outcome.metrics = plugin.metrics();
    Ok(outcome)
}

impl Outcome {
    /// Whether any call trapped.
    pub fn trapped(&self) -> bool {
        self.trap.is_some()
    }

    /// What the client receives, if anything.
    pub fn client_response(&self) -> Option<ClientResponse<'_>> {
        self.request
            .as_ref()
            .and_then(RequestOutcome::client_response)
    }

    /// The response the filter produced with `send_local_response`: its own answer in the
    /// request-headers step, or (ngx_wasm_module semantics) an override of the upstream's status
    /// and body in the response-headers step.
    pub fn local_response(&self) -> Option<&LocalResponse> {
        self.request.as_ref()?.local_response.as_ref()
    }

    /// The diagnosis header as the client sees it (first value, lossy UTF-8), or `None`.
    pub fn header(&self) -> Option<String> {
        let response = self.client_response()?;
        response.headers().get_str(&self.header_name)
    }

    /// The diagnosis codes: the header's RFC 9651 List members' tokens; if the header is absent
    /// or not a List, the `codes=` key of the `auth-diagnosis ` log line; else none.
    pub fn codes(&self) -> Vec<String> {
        if let Some(codes) = self.header().as_deref().and_then(codes_from_header) {
            return codes;
        }
        self.logs
            .iter()
            .find_map(|entry| codes_from_log(&entry.message))
            .unwrap_or_default()
    }
}

/// The tokens of an RFC 9651 List, or `None` when `value` is not one.
pub fn codes_from_header(value: &str) -> Option<Vec<String>> {
    let list: sfv::List = sfv::Parser::new(value).parse().ok()?;
    Some(
        list.iter()
            .filter_map(|entry| match entry {
                sfv::ListEntry::Item(item) => {
                    item.bare_item.as_token().map(|t| t.as_str().to_owned())
                }
                sfv::ListEntry::InnerList(_) => None,
            })
            .collect(),
    )
}

/// The `codes=a,b,c` value of a logfmt line starting with `auth-diagnosis `.
pub fn codes_from_log(message: &str) -> Option<Vec<String>> {
    let rest = message.strip_prefix("auth-diagnosis ")?;
    let value = logfmt_value(rest, "codes")?;
    Some(
        value
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

/// The value of `key` in a logfmt line (quoted values unescaped).
pub fn logfmt_value(line: &str, key: &str) -> Option<String> {
    let mut rest = line.trim_start();
    while !rest.is_empty() {
        let word_end = rest.find([' ', '=']).unwrap_or(rest.len());
        let (word, after) = rest.split_at(word_end);
        let Some(after) = after.strip_prefix('=') else {
            rest = after.trim_start();
            continue;
        };
        let (value, next) = logfmt_parse_value(after);
        if word == key {
            return Some(value);
        }
        rest = next.trim_start();
    }
    None
}

fn logfmt_parse_value(text: &str) -> (String, &str) {
    let Some(quoted) = text.strip_prefix('"') else {
        let end = text.find(' ').unwrap_or(text.len());
        let (value, next) = text.split_at(end);
        return (value.to_owned(), next);
    };
    let mut value = String::new();
    let mut escaped = false;
    for (i, c) in quoted.char_indices() {
        if escaped {
            value.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            return (value, quoted.get(i + 1..).unwrap_or_default());
        } else {
            value.push(c);
        }
    }
    (value, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_come_from_the_header_list() {
        let header = r#"jwt-expired;plugin=jwt;at=client;detail="exp is 3600 s before now";hint="get a new token", stripped-by-proxy;at=proxy"#;
        assert_eq!(
            codes_from_header(header).unwrap(),
            ["jwt-expired", "stripped-by-proxy"]
        );
        assert!(codes_from_header("not a list;;").is_none());
        assert_eq!(codes_from_header("\"string\", tok").unwrap(), ["tok"]);
    }

    #[test]
    fn codes_fall_back_to_the_log_line() {
        let line = r#"auth-diagnosis status=401 codes=jwt-expired,stripped-by-proxy request_id=abc detail="a \"quoted\" = thing""#;
        assert_eq!(
            codes_from_log(line).unwrap(),
            ["jwt-expired", "stripped-by-proxy"]
        );
        assert_eq!(
            logfmt_value(line, "detail").unwrap(),
            "a \"quoted\" = thing"
        );
        assert_eq!(logfmt_value(line, "request_id").unwrap(), "abc");
        assert!(codes_from_log("other status=401 codes=x").is_none());
        assert!(logfmt_value("a=1 b=2", "c").is_none());
    }
}
