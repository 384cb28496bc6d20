//! `make explain`: a request pasted from a terminal (`curl -v` output or a bare request head) runs
//! through the real filter, and the person gets the header, the log line and what each code means.
//! Nothing printed ever carries the credential: values are masked, and any credential text that
//! might reach the output is redacted.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _};

use crate::host::http::{Properties, Request, Response};
use crate::host::plugin::{Host, PluginOptions};
use crate::tools::catalogue;
use crate::tools::exchange;
use crate::tools::kong_words;
use crate::tools::mask;
use crate::tools::replay::codes_from_header;
use crate::tools::transcript::{self, Transcript};

/// What `explain` was asked.
#[derive(Debug, Default)]
pub struct Ask {
    /// The transcript text.
    pub transcript: String,
    /// The filter config (JSON); `None` means all defaults.
    pub config: Option<String>,
    /// The status to explain: the exchange that ended in it is taken, and it is assumed when
    /// the transcript has no response (default 401).
    pub status: Option<u16>,
    /// The clock, unix seconds (`NOW=`); default: the response's `Date`, else this machine's.
    pub now: Option<u64>,
}

/// Runs the request through the filter and renders the explanation.
pub fn explain(host: &Host, ask: &Ask) -> anyhow::Result<String> {
    let exchanges = exchange::split(&ask.transcript);
    let parsed: Vec<Result<Transcript, transcript::TranscriptError>> = exchanges
        .iter()
        .map(|e| transcript::parse(&e.text))
        .collect();
    // The exchange that ended in the status asked about (a curl -L run shows every hop).
    let wanted = ask.status.unwrap_or(401);
    let index = parsed
        .iter()
        .rposition(|t| matches!(t, Ok(t) if t.status == Some(wanted)))
        .or_else(|| parsed.iter().rposition(Result::is_ok));
    let (t, ex) = match index.and_then(|i| Some((parsed.get(i)?, exchanges.get(i)?))) {
        Some((Ok(t), ex)) => (t.clone(), ex),
        _ => {
            let error = parsed.iter().find_map(|t| t.as_ref().err());
            bail!(
                "{}",
                error.map_or_else(|| "no request found".to_string(), ToString::to_string)
            );
        }
    };
    let index = index.unwrap_or(0);
    let config = edge_config(ask.config.as_deref())?;
    let (response, assumed) = response_of(&t, ask.status);
    let date = header_of(&t.response_headers, "date").and_then(exchange::parse_http_date);
    let (now, clock) = match (ask.now, date) {
        (Some(now), _) => (now, "NOW="),
        (None, Some(date)) => (date, "the response's Date: the moment it was sent"),
        (None, None) => (
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            "this machine's clock: the transcript shows no Date",
        ),
    };
    let challenge = header_of(&t.response_headers, "www-authenticate");
    let body = exchange::json_body(&ex.body).or_else(|| plain_body(&ex.body));
    let words = body
        .as_ref()
        .and_then(|b| kong_words::read(b, challenge))
        .filter(|_| !assumed);
    // Kong's words say it found no credential where the client sent one: something between
    // them removed it. The filter is given the request as Kong received it.
    let mut request_seen = t.clone();
    let removed = match &words {
        Some(w) if w.found_none => strip_unseen(&mut request_seen, w.plugin, ask.config.as_deref()),
        _ => Vec::new(),
    };

    let mut properties = Properties::new();
    // Only what the transcript shows: the upstream status when Kong's headers say it proxied,
    // and Kong's request id only where who answered is known (a host answering ngx.* but not
    // ngx.upstream_status would say Kong answered).
    let upstream = answered_by_upstream(&response);
    if let Some(status) = &upstream {
        properties.insert("ngx.upstream_status".into(), status.clone().into_bytes());
    }
    // Kong's own words in the body are Kong's too (its error template also carries the id).
    let kong = answered_by_kong(&response) || (upstream.is_none() && words.is_some());
    if upstream.is_some() || kong {
        let id = header_of(&t.response_headers, "x-kong-request-id").or_else(|| {
            body.as_ref()
                .and_then(|b| b.get("request_id"))
                .and_then(serde_json::Value::as_str)
        });
        if let Some(id) = id {
            properties.insert("ngx.kong_request_id".into(), id.as_bytes().to_vec());
        }
    }
    let request = Request {
        method: request_seen.method.clone(),
        path: request_seen.path.clone(),
        scheme: request_seen.scheme.clone(),
        authority: request_seen.authority.clone(),
        source: None,
        headers: request_seen
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
    if exchanges.len() > 1 {
        let _ = writeln!(
            out,
            "Exchange {} of {} (the one that ended in {})",
            index + 1,
            exchanges.len(),
            response.status
        );
    }
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
    } else if upstream.is_some() {
        "from the upstream (Kong's X-Kong-Upstream-Latency or Via)"
    } else if answered_by_kong(&response) {
        "from Kong itself (X-Kong-Response-Latency)"
    } else if kong {
        "from Kong itself (its own words in the body)"
    } else {
        "no X-Kong-* latency header or Kong Via: the filter judges who answered from Server and the challenge"
    };
    let _ = writeln!(out, "Response\n  {} {who}", response.status);
    if assumed {
        let _ = writeln!(
            out,
            "  The transcript shows no response, so these facts are missing: the status ({} assumed; STATUS= sets it), who answered (X-Kong-* headers, Server, WWW-Authenticate), Kong's own words (the JSON body) and the moment of the 401 (Date). Paste the whole curl -v output, response included, for a surer answer.",
            response.status
        );
    }
    let _ = writeln!(out, "  Clock: {} ({clock})", exchange::rfc3339(now));
    let notes = redirect_notes(&parsed, index);
    for note in &notes {
        let _ = writeln!(out, "  {note}");
    }
    match (&words, &body) {
        (Some(w), _) => {
            let _ = writeln!(
                out,
                "Kong said\n  \"{}\" ({}, {}): {}",
                mask::redact(&mask::printable(w.said.as_bytes()), &secrets),
                w.plugin,
                w.source,
                w.meaning
            );
            let first = header
                .as_deref()
                .and_then(codes_from_header)
                .and_then(|codes| codes.into_iter().next());
            let before_claims = w.said.starts_with("No credentials found for given '");
            if before_claims
                && matches!(first.as_deref(), Some("jwt-expired" | "jwt-not-yet-valid"))
            {
                let _ = writeln!(
                    out,
                    "  Kong looks the credential up before it checks exp and nbf, so the token's times did not decide this 401; they are judged here at {} ({clock}), not at the moment of the 401 (the response's Date).",
                    exchange::rfc3339(now),
                );
            }
            if !removed.is_empty() {
                let _ = writeln!(
                    out,
                    "  The client sent {} but {} found none: it did not reach Kong. Explained as the request Kong received, without it.",
                    removed.join(" and "),
                    w.plugin
                );
            }
        }
        (None, Some(b)) if !assumed => {
            if let Some(message) = b.get("message").and_then(serde_json::Value::as_str) {
                let shown: String = mask::printable(message.as_bytes())
                    .chars()
                    .take(120)
                    .collect();
                let _ = writeln!(
                    out,
                    "Body\n  message \"{}\": not one of Kong 3.9's auth plugin messages",
                    mask::redact(&shown, &secrets)
                );
            }
        }
        _ => {}
    }
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
        let members = crate::tools::demo::split_list(header.as_deref().unwrap_or_default());
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

/// Kong's error template for `Accept: text/plain` (kong/tools/http.lua): the message, then
/// `request_id: …`.
fn plain_body(body: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut lines = body.lines();
    let message = lines.next()?.trim();
    let id = lines.next()?.strip_prefix("request_id: ")?;
    let mut map = serde_json::Map::new();
    map.insert("message".into(), message.into());
    map.insert("request_id".into(), id.trim().into());
    Some(map)
}

fn header_of<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn response_header<'a>(response: &'a Response, name: &str) -> Option<&'a [u8]> {
    response
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

/// The upstream status, when Kong's headers show that it proxied the request: its latency
/// header, `X-Kong-Upstream-Status`, or its `Via`.
fn answered_by_upstream(response: &Response) -> Option<String> {
    if let Some(status) = response_header(response, "x-kong-upstream-status") {
        return Some(String::from_utf8_lossy(status).trim().to_owned());
    }
    let via_kong = response_header(response, "via").is_some_and(|v| {
        String::from_utf8_lossy(v)
            .to_ascii_lowercase()
            .contains("kong/")
    });
    (response_header(response, "x-kong-upstream-latency").is_some() || via_kong)
        .then(|| response.status.to_string())
}

fn answered_by_kong(response: &Response) -> bool {
    response_header(response, "x-kong-response-latency").is_some()
}

/// Notes on the redirects curl followed before `index`: a redirect to another origin after which
/// a credential header was not sent again.
fn redirect_notes(
    parsed: &[Result<Transcript, transcript::TranscriptError>],
    index: usize,
) -> Vec<String> {
    let mut notes = Vec::new();
    for pair in parsed.get(..=index).unwrap_or_default().windows(2) {
        let [Ok(from), Ok(to)] = pair else { continue };
        let Some(status) = from.status.filter(|s| (300..400).contains(s)) else {
            continue;
        };
        let origin = |t: &Transcript| format!("{}://{}", t.scheme, t.authority);
        if origin(from) == origin(to) {
            continue;
        }
        let dropped: Vec<&str> = from
            .headers
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| mask::is_credential_name(n))
            .filter(|n| !to.headers.iter().any(|(m, _)| m == n))
            .collect();
        let what = if dropped.is_empty() {
            "the request after it carried the same credential headers".to_string()
        } else {
            format!(
                "curl did not send {} again: it sends credentials only to the host the request started at (--location-trusted would keep them; better, call {} directly)",
                dropped.join(", "),
                origin(to)
            )
        };
        notes.push(format!(
            "Redirect: {} answered {status} to {}; {what}.",
            origin(from),
            origin(to)
        ));
    }
    notes
}

/// Removes from `t` what `plugin` reads (per the config, else Kong's defaults), returning the
/// places it removed: Kong's words say the plugin found none of them.
fn strip_unseen(t: &mut Transcript, plugin: &str, config: Option<&str>) -> Vec<String> {
    let config: serde_json::Value = config
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default();
    let names = |path: &[&str], default: &[&str]| -> Vec<String> {
        let mut v = &config;
        for key in path {
            v = &v[*key];
        }
        match v {
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            serde_json::Value::String(one) => vec![one.clone()],
            _ => default.iter().map(|d| (*d).to_owned()).collect(),
        }
    };
    let (headers, query) = match plugin {
        "key-auth" => {
            let keys = names(&["auth", "key_auth", "key_names"], &["apikey"]);
            (keys.clone(), keys)
        }
        "jwt" => (
            names(&["auth", "jwt", "header_names"], &["authorization"]),
            names(&["auth", "jwt", "uri_param_names"], &["jwt"]),
        ),
        "oauth2" => (
            names(&["auth", "oauth2", "auth_header_name"], &["authorization"]),
            vec!["access_token".to_owned()],
        ),
        "hmac-auth" => (
            vec!["authorization".to_owned(), "proxy-authorization".to_owned()],
            Vec::new(),
        ),
        _ => (Vec::new(), Vec::new()),
    };
    // Kong's header look-ups treat - and _ alike, without case.
    let same = |a: &str, b: &str| {
        a.replace('_', "-")
            .eq_ignore_ascii_case(&b.replace('_', "-"))
    };
    let mut removed = Vec::new();
    t.headers.retain(|(name, _)| {
        let read = headers.iter().any(|h| same(h, name));
        if read {
            removed.push(format!("header {name}"));
        }
        !read
    });
    if let Some((base, q)) = t.path.split_once('?') {
        let kept: Vec<&str> = q
            .split('&')
            .filter(|p| {
                let name = p.split('=').next().unwrap_or_default();
                let read = query.iter().any(|q| q == name);
                if read {
                    removed.push(format!("query parameter {name}"));
                }
                !read
            })
            .collect();
        t.path = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
    }
    removed
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

    /// What Kong says it never found is taken off the request, per the config or Kong's
    /// defaults, with `-` and `_` alike in header names.
    #[test]
    fn unseen_credentials_are_taken_off() {
        let t = |path: &str, headers: &[(&str, &str)]| Transcript {
            method: "GET".into(),
            path: path.into(),
            scheme: "https".into(),
            authority: "api.example.com".into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            status: Some(401),
            response_headers: Vec::new(),
        };
        let mut key = t("/o?id=7&apikey=k1", &[("api_key", "k2"), ("accept", "*/*")]);
        let removed = strip_unseen(
            &mut key,
            "key-auth",
            Some(r#"{"auth":{"key_auth":{"key_names":["api-key","apikey"]}}}"#),
        );
        assert_eq!(removed, ["header api_key", "query parameter apikey"]);
        assert_eq!(key.path, "/o?id=7");
        assert_eq!(key.headers, [("accept".to_string(), "*/*".to_string())]);
        let mut jwt = t("/o?jwt=x", &[("authorization", "Bearer x")]);
        assert_eq!(
            strip_unseen(&mut jwt, "jwt", None),
            ["header authorization", "query parameter jwt"]
        );
        assert_eq!(jwt.path, "/o");
        let mut basic = t("/o", &[("authorization", "Basic eA==")]);
        assert!(strip_unseen(&mut basic, "basic-auth", None).is_empty());
        assert_eq!(basic.headers.len(), 1);
    }

    #[test]
    fn config_is_forced_to_edge() {
        let c = edge_config(Some(r#"{"mode":"enforce","auth":{"key_auth":{}}}"#)).unwrap();
        assert!(c.contains("\"mode\":\"edge\"") && c.contains("key_auth"));
        assert!(edge_config(Some("[1]")).is_err());
        assert!(edge_config(Some("{")).is_err());
    }
}
