//! `make explain`: a request pasted from a terminal (`curl -v` output or a bare request head) runs
//! through the real filter, and the person gets the header, the log line and what each code means.
//! Nothing printed ever carries the credential: values are masked, and any credential text that
//! might reach the output is redacted.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _};

use crate::catalogue;
use crate::http::{Properties, Request, Response};
use crate::mask;
use crate::plugin::{Host, PluginOptions};
use crate::replay::codes_from_header;
use crate::transcript::{self, Transcript};

/// What `explain` was asked.
#[derive(Debug, Default)]
pub struct Ask {
    /// The transcript text.
    pub transcript: String,
    /// The filter config (JSON); `None` means all defaults.
    pub config: Option<String>,
    /// The status to explain when the transcript has no response (default 401).
    pub status: Option<u16>,
    /// The clock, unix seconds (default: now).
    pub now: Option<u64>,
}

/// Runs the request through the filter and renders the explanation.
pub fn explain(host: &Host, ask: &Ask) -> anyhow::Result<String> {
    let t = transcript::parse(&ask.transcript).map_err(|e| anyhow::anyhow!("{e}"))?;
    let config = edge_config(ask.config.as_deref())?;
    let now = ask.now.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    let (response, assumed) = response_of(&t, ask.status);
    let mut properties = Properties::new();
    // Kong's request id, when the transcript shows it, joins the log line to Kong's error.log.
    if let Some((_, id)) = t
        .response_headers
        .iter()
        .find(|(n, _)| n == "x-kong-request-id")
    {
        properties.insert("ngx.kong_request_id".into(), id.clone().into_bytes());
    }
    if answered_by_upstream(&response) {
        properties.insert(
            "ngx.upstream_status".into(),
            response.status.to_string().into_bytes(),
        );
    }
    let request = Request {
        method: t.method.clone(),
        path: t.path.clone(),
        scheme: t.scheme.clone(),
        authority: t.authority.clone(),
        source: None,
        headers: t
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), v.clone().into_bytes()))
            .collect(),
    };
    let mut plugin = host.instantiate(PluginOptions {
        config: config.into_bytes(),
        clock_nanos: now.saturating_mul(1_000_000_000),
        ..PluginOptions::default()
    })?;
    match plugin.configure() {
        Ok(true) => {}
        Ok(false) => {
            let why: Vec<String> = plugin.take_logs().into_iter().map(|l| l.message).collect();
            bail!("the filter refused the configuration: {}", why.join("; "));
        }
        Err(trap) => bail!("the filter trapped while configuring: {trap:?}"),
    }
    let outcome = plugin.run_request(&request, Some(&response), &properties);
    if let Some(why) = &outcome.refused {
        bail!("Kong's nginx answers this request 400 before any filter or plugin runs: {why}");
    }
    if let Some(trap) = &outcome.trap {
        bail!("the filter trapped: {trap:?}");
    }
    let header = outcome.client_response().and_then(|r| {
        r.headers()
            .get(b"x-auth-diagnosis")
            .map(|v| String::from_utf8_lossy(v).into_owned())
    });
    let log = outcome
        .logs
        .iter()
        .find(|l| l.message.starts_with("auth-diagnosis "))
        .map(|l| l.message.clone());

    let mut secrets: Vec<Vec<u8>> = Vec::new();
    let mut out = String::new();
    let target = mask::target(&t.path);
    secrets.extend(target.secrets.clone());
    let _ = writeln!(out, "Request");
    let _ = writeln!(out, "  {} {} ({})", t.method, target.shown, t.scheme);
    let host_shown = if t.authority.is_empty() {
        "(no Host header)"
    } else {
        t.authority.as_str()
    };
    let _ = writeln!(out, "  Host: {host_shown}");
    for (name, value) in &t.headers {
        let masked = mask::header(name, value.as_bytes());
        secrets.extend(masked.secrets);
        let _ = writeln!(out, "  {name}: {}", masked.shown);
    }
    let who = if assumed {
        "not in the input: assuming Kong's own auth plugin answered"
    } else if answered_by_upstream(&response) {
        "from the upstream (X-Kong-Upstream-Latency)"
    } else if answered_by_kong(&response) {
        "from Kong itself (X-Kong-Response-Latency)"
    } else {
        "from an unknown source"
    };
    let _ = writeln!(out, "Response\n  {} {who}", response.status);
    let _ = writeln!(out);
    match &header {
        Some(value) => {
            let _ = writeln!(out, "X-Auth-Diagnosis: {}", mask::redact(value, &secrets));
        }
        None => {
            let _ = writeln!(
                out,
                "X-Auth-Diagnosis: (none: status {} is not one the config annotates)",
                response.status
            );
        }
    }
    if let Some(line) = &log {
        let _ = writeln!(out, "Log line: {}", mask::redact(line, &secrets));
    }
    let codes = header
        .as_deref()
        .and_then(codes_from_header)
        .unwrap_or_default();
    if !codes.is_empty() {
        let _ = writeln!(out, "\nWhat it means");
        let members = crate::demo::split_list(header.as_deref().unwrap_or_default());
        for (i, code) in codes.iter().enumerate() {
            let (meaning, fix) = catalogue::describe(code).unwrap_or(("", ""));
            let _ = writeln!(out, "  {}. {code}: {meaning}", i + 1);
            let member = members.get(i).map(String::as_str).unwrap_or_default();
            if let Some(detail) = param(member, "detail") {
                let _ = writeln!(out, "     seen: {}", mask::redact(&detail, &secrets));
            }
            let hint = param(member, "hint").unwrap_or_else(|| fix.to_string());
            let _ = writeln!(out, "     next: {}", mask::redact(&hint, &secrets));
        }
    }
    Ok(out)
}

/// The config the filter runs with: the user's, in edge mode, so that it annotates the response
/// as given whoever produced it (enforce would only answer for the anonymous consumer), and with
/// the full diagnosis shown.
fn edge_config(config: Option<&str>) -> anyhow::Result<String> {
    let mut value: serde_json::Value = match config {
        Some(text) => serde_json::from_str(text).context("CONFIG is not JSON")?,
        None => serde_json::json!({}),
    };
    let Some(object) = value.as_object_mut() else {
        bail!("CONFIG must be a JSON object (the filter's config)");
    };
    object.insert("mode".into(), "edge".into());
    // Whoever runs explain reads the log line too: show the full diagnosis, whatever the tier.
    object.insert("expose".into(), "full".into());
    object.remove("token");
    Ok(value.to_string())
}

fn response_of(t: &Transcript, status: Option<u16>) -> (Response, bool) {
    match t.status {
        Some(s) => (
            Response {
                status: status.unwrap_or(s),
                headers: t
                    .response_headers
                    .iter()
                    .map(|(n, v)| (n.clone(), v.clone().into_bytes()))
                    .collect(),
                body: Vec::new(),
            },
            false,
        ),
        // Without a response, the usual case is Kong's own plugin saying 401: mark it as Kong's.
        None => (
            Response {
                status: status.unwrap_or(401),
                headers: vec![("x-kong-response-latency".into(), b"0".to_vec())],
                body: Vec::new(),
            },
            true,
        ),
    }
}

fn has(response: &Response, name: &str) -> bool {
    response
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case(name))
}

fn answered_by_upstream(response: &Response) -> bool {
    has(response, "x-kong-upstream-latency")
}

fn answered_by_kong(response: &Response) -> bool {
    has(response, "x-kong-response-latency")
}

/// A string parameter of one list member: `detail="…"`, unescaped.
fn param(member: &str, key: &str) -> Option<String> {
    let start = member.find(&format!(";{key}=\""))? + key.len() + 3;
    let mut out = String::new();
    let mut escaped = false;
    for c in member.get(start..)?.chars() {
        match (escaped, c) {
            (true, c) => {
                out.push(c);
                escaped = false;
            }
            (false, '\\') => escaped = true,
            (false, '"') => return Some(out),
            (false, c) => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params() {
        let m = r#"jwt-expired;plugin=jwt;detail="a \"b\" c";hint="d""#;
        assert_eq!(param(m, "detail").as_deref(), Some("a \"b\" c"));
        assert_eq!(param(m, "hint").as_deref(), Some("d"));
        assert_eq!(param(m, "nope"), None);
    }

    #[test]
    fn config_is_forced_to_edge() {
        let c = edge_config(Some(r#"{"mode":"enforce","auth":{"key_auth":{}}}"#)).unwrap();
        assert!(c.contains("\"mode\":\"edge\"") && c.contains("key_auth"));
        assert!(edge_config(Some("[1]")).is_err());
        assert!(edge_config(Some("{")).is_err());
    }
}
