//! `adhost demo`: each scenario as a person reads it — the request (credentials masked), what
//! came back, the diagnosis header and the filter's log lines.

use std::fmt::Write as _;

use crate::host::plugin::ClientResponse;
use crate::tools::expect::Verdict;
use crate::tools::mask;
use crate::tools::replay::Outcome;
use crate::tools::scenario::Scenario;

/// Renders one replayed scenario.
pub fn render(scenario: &Scenario, outcome: &Outcome, verdict: &Verdict) -> String {
    let mut out = String::new();
    let request = scenario.request();
    let target = mask::target(&request.path);
    let mut secrets = target.secrets.clone();

    let _ = writeln!(out, "== {} ==", scenario.name);
    let _ = writeln!(out, "> {} {} HTTP/1.1", request.method, target.shown);
    // The scenario's authority is the Host header, unless it writes Host headers itself (two
    // of them are a request nginx refuses: show both).
    let writes_host = request
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("host"));
    if !writes_host {
        let _ = writeln!(
            out,
            "> Host: {}",
            mask::printable(request.authority.as_bytes())
        );
    }
    for (name, value) in &request.headers {
        let masked = mask::header(name, value);
        secrets.extend(masked.secrets);
        let _ = writeln!(out, "> {name}: {}", masked.shown);
    }
    let from = request.source.as_deref().unwrap_or("an unknown peer");
    let _ = writeln!(out, "  (from {from} over {})", request.scheme);

    if !outcome.configured {
        let _ = writeln!(out, "! the filter rejected its configuration");
    } else if let Some(why) = &outcome.refused {
        let _ = writeln!(out, "< HTTP/1.1 400 (nginx, before any filter runs: {why})");
    } else if outcome.trap.is_none() {
        response_lines(&mut out, outcome, &secrets);
    }
    for entry in &outcome.logs {
        let _ = writeln!(
            out,
            "  log [{}] {}",
            entry.level,
            mask::redact(&entry.message, &secrets)
        );
    }
    if let Some(trap) = &outcome.trap {
        let _ = writeln!(out, "! {}", mask::redact(&trap.to_string(), &secrets));
    }
    if verdict.ok() && outcome.trap.is_some() {
        let _ = writeln!(
            out,
            "  FAILED: the filter trapped (Kong fails such a request with a 500)"
        );
    } else if verdict.ok() {
        let _ = writeln!(out, "  ok");
    } else {
        for failure in &verdict.failures {
            let _ = writeln!(out, "  FAILED: {}", mask::redact(failure, &secrets));
        }
    }
    out
}

fn response_lines(out: &mut String, outcome: &Outcome, secrets: &[Vec<u8>]) {
    match outcome.client_response() {
        Some(ClientResponse::Local(local)) => {
            let _ = writeln!(out, "< HTTP/1.1 {} (answered by the filter)", local.status);
        }
        Some(ClientResponse::Upstream(response)) => {
            let status = response.status.map_or("?".to_owned(), |s| s.to_string());
            // Kong marks what it generated itself with X-Kong-Response-Latency.
            let by_kong = response
                .headers
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case(b"x-kong-response-latency"));
            let source = if by_kong {
                "Kong's own auth plugin"
            } else {
                "the upstream"
            };
            let _ = writeln!(out, "< HTTP/1.1 {status} (from {source})");
        }
        None => {
            let _ = writeln!(out, "< (no response)");
        }
    }
    let Some(header) = outcome.header() else {
        let _ = writeln!(out, "< {}: (none)", outcome.header_name);
        return;
    };
    let header = mask::redact(&header, secrets);
    let members = split_list(&header);
    let last = members.len().saturating_sub(1);
    for (i, member) in members.iter().enumerate() {
        let lead = if i == 0 {
            format!("{}: ", outcome.header_name)
        } else {
            "    ".to_owned()
        };
        let comma = if i < last { "," } else { "" };
        let _ = writeln!(out, "< {lead}{member}{comma}");
    }
}

/// Splits a structured-field list at its top-level commas (not inside quoted strings).
pub fn split_list(value: &str) -> Vec<String> {
    let mut members = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                members.push(current.trim().to_owned());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() || members.is_empty() {
        members.push(current.trim().to_owned());
    }
    members
}

#[cfg(test)]
mod tests {
    use super::split_list;

    #[test]
    fn lists_split_outside_quotes() {
        assert_eq!(
            split_list(r#"a;detail="x, \"y\"", b;hint="z""#),
            [r#"a;detail="x, \"y\"""#, r#"b;hint="z""#]
        );
        assert_eq!(split_list("solo"), ["solo"]);
    }
}
