//! The filter's own 401 in enforce mode: Kong-shaped JSON, a challenge for the expected scheme.

use crate::decide::config::Auth;
use crate::decide::diagnose::Verdict;
use crate::diagnosis::{Diagnosis, Plugin};

/// A response the filter sends by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalResponse {
    /// Always 401.
    pub status: u32,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// JSON body.
    pub body: String,
}

/// Builds the rejection. `shown` is what the client may see of the diagnoses (its tier), `None`
/// when nothing; `header` is the diagnosis header (name, value) when there is one.
pub fn reject(
    verdict: &Verdict,
    shown: Option<&[Diagnosis]>,
    plugin: Option<Plugin>,
    auth: &Auth,
    request_id: Option<&str>,
    header: Option<(&str, &str)>,
) -> LocalResponse {
    // Written by hand: a JSON serializer would add kilobytes to the filter for four fields.
    let mut body = String::from("{\"message\":\"Unauthorized\"");
    if let Some(shown) = shown {
        body.push_str(",\"diagnosis\":[");
        for (i, d) in shown.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str("{\"code\":");
            push_json_string(&mut body, d.code.as_str());
            if let Some(p) = d.plugin {
                body.push_str(",\"plugin\":");
                push_json_string(&mut body, p.as_str());
            }
            if let Some(at) = d.at {
                body.push_str(",\"at\":");
                push_json_string(&mut body, at.as_str());
            }
            for (key, text) in [("detail", d.detail.as_str()), ("hint", &d.hint)] {
                if !text.is_empty() {
                    body.push_str(",\"");
                    body.push_str(key);
                    body.push_str("\":");
                    push_json_string(&mut body, text);
                }
            }
            body.push('}');
        }
        body.push(']');
    }
    if let Some(id) = request_id {
        body.push_str(",\"request_id\":");
        push_json_string(&mut body, id);
    }
    body.push('}');
    let mut headers = vec![
        (
            "content-type".to_string(),
            "application/json; charset=utf-8".to_string(),
        ),
        (
            "www-authenticate".to_string(),
            challenge(verdict, plugin, auth),
        ),
    ];
    if let Some((name, value)) = header {
        headers.push((name.to_string(), value.to_string()));
    }
    LocalResponse {
        status: 401,
        headers,
        body,
    }
}

/// A JSON string literal; control characters escaped as `\u00XX`.
fn push_json_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// RFC 9110 challenge for the plugin the client should satisfy; RFC 6750 form for bearer tokens.
fn challenge(verdict: &Verdict, plugin: Option<Plugin>, auth: &Auth) -> String {
    let first = verdict.diagnoses.first();
    let first_code = first.map_or("unknown", |d| d.code.as_str());
    let no_token = matches!(first_code, "no-credentials" | "stripped-by-proxy");
    // The session plugin has no challenge: the client must satisfy the plugin behind it.
    let plugin = match plugin {
        Some(Plugin::Session) => behind_session(auth),
        other => other,
    };
    match plugin {
        // As ldap-auth writes it: its scheme, and the realm only when one is set.
        Some(Plugin::LdapAuth) => {
            let ldap = auth.ldap_auth.as_ref();
            let scheme = ldap.map_or("LDAP", Auth::ldap_challenge_scheme);
            match ldap.and_then(|l| l.realm.as_deref()) {
                Some(realm) => format!("{scheme} realm=\"{realm}\""),
                None => scheme.to_string(),
            }
        }
        Some(Plugin::KeyAuth) => "Key realm=\"kong\"".into(),
        Some(Plugin::BasicAuth) => "Basic realm=\"kong\"".into(),
        Some(Plugin::HmacAuth) => "hmac realm=\"kong\"".into(),
        Some(Plugin::Jwt | Plugin::Oauth2 | Plugin::OpenidConnect | Plugin::Session) | None
            if no_token =>
        {
            "Bearer realm=\"kong\"".into()
        }
        Some(Plugin::Jwt | Plugin::Oauth2 | Plugin::OpenidConnect | Plugin::Session) | None => {
            format!(
            "Bearer realm=\"kong\", error=\"invalid_token\", error_description=\"{first_code}\""
        )
        }
    }
}

/// The auth plugin a session-cookie route falls back to, in the order a client is likeliest to
/// be asked for it.
fn behind_session(auth: &Auth) -> Option<Plugin> {
    [
        auth.ldap_auth.as_ref().map(|_| Plugin::LdapAuth),
        auth.key_auth.as_ref().map(|_| Plugin::KeyAuth),
        auth.basic_auth.then_some(Plugin::BasicAuth),
        auth.hmac_auth.as_ref().map(|_| Plugin::HmacAuth),
        auth.jwt.as_ref().map(|_| Plugin::Jwt),
        auth.oauth2.as_ref().map(|_| Plugin::Oauth2),
        auth.openid_connect.then_some(Plugin::OpenidConnect),
    ]
    .into_iter()
    .flatten()
    .next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::Code;
    use serde_json::Value;

    fn verdict(code: Code) -> Verdict {
        Verdict {
            diagnoses: vec![Diagnosis::new(code, "d", "h")],
            credential: None,
        }
    }

    #[test]
    fn kong_shaped() {
        let v = verdict(Code::JwtExpired);
        let r = reject(
            &v,
            Some(&v.diagnoses),
            Some(Plugin::Jwt),
            &Auth::all_defaults(),
            Some("abc"),
            Some(("X-Auth-Diagnosis", "jwt-expired")),
        );
        assert_eq!(r.status, 401);
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["message"], "Unauthorized");
        assert_eq!(body["request_id"], "abc");
        assert_eq!(body["diagnosis"][0]["code"], "jwt-expired");
        let www = &r
            .headers
            .iter()
            .find(|(n, _)| n == "www-authenticate")
            .unwrap()
            .1;
        assert_eq!(
            www,
            "Bearer realm=\"kong\", error=\"invalid_token\", error_description=\"jwt-expired\""
        );
    }

    #[test]
    fn body_is_valid_json_whatever_the_text() {
        let mut v = verdict(Code::Unknown);
        v.diagnoses[0].detail = "quote \" backslash \\ newline \n tab \t nul \u{0}".into();
        let r = reject(
            &v,
            Some(&v.diagnoses),
            None,
            &Auth::all_defaults(),
            Some("id\"x"),
            Some(("X-Auth-Diagnosis", "unknown")),
        );
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            body["diagnosis"][0]["detail"],
            v.diagnoses[0].detail.as_str()
        );
        assert_eq!(body["request_id"], "id\"x");
    }

    #[test]
    fn hidden_when_not_exposed() {
        let r = reject(
            &verdict(Code::NoCredentials),
            None,
            Some(Plugin::KeyAuth),
            &Auth::all_defaults(),
            None,
            None,
        );
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert!(body.get("diagnosis").is_none());
        assert!(body.get("request_id").is_none());
        assert!(r
            .headers
            .iter()
            .any(|(n, v)| n == "www-authenticate" && v == "Key realm=\"kong\""));
        assert_eq!(r.headers.len(), 2);
    }

    /// ldap-auth's challenge as Kong 3.9.3 writes it; a session route asks for the plugin behind.
    #[test]
    fn ldap_and_session_challenges() {
        use crate::decide::config::load;
        let table: &[(&str, Plugin, Code, &str)] = &[
            (
                r#"{"auth":{"ldap_auth":{}}}"#,
                Plugin::LdapAuth,
                Code::NoCredentials,
                "LDAP",
            ),
            (
                r#"{"auth":{"ldap_auth":{"realm":"corp dir"}}}"#,
                Plugin::LdapAuth,
                Code::CredentialNotRecognized,
                "LDAP realm=\"corp dir\"",
            ),
            (
                r#"{"auth":{"ldap_auth":{"header_type":"basic"}}}"#,
                Plugin::LdapAuth,
                Code::SchemeMismatch,
                "basic",
            ),
            (
                r#"{"auth":{"session":{},"ldap_auth":{}}}"#,
                Plugin::Session,
                Code::CredentialNotRecognized,
                "LDAP",
            ),
            (
                r#"{"auth":{"session":{},"key_auth":{}}}"#,
                Plugin::Session,
                Code::CredentialNotRecognized,
                "Key realm=\"kong\"",
            ),
            (
                r#"{"auth":{"session":{}}}"#,
                Plugin::Session,
                Code::NoCredentials,
                "Bearer realm=\"kong\"",
            ),
        ];
        for (json, plugin, code, expected) in table {
            let config = load(json.as_bytes()).unwrap();
            let r = reject(
                &verdict(*code),
                None,
                Some(*plugin),
                &config.auth,
                None,
                None,
            );
            let www = &r
                .headers
                .iter()
                .find(|(n, _)| n == "www-authenticate")
                .unwrap()
                .1;
            assert_eq!(www, expected, "{json}");
        }
    }

    #[test]
    fn a_summary_body_has_no_detail() {
        let v = verdict(Code::NoCredentials);
        let summary = vec![Diagnosis::new(Code::NoCredentials, "", "send a credential")];
        let r = reject(
            &v,
            Some(&summary),
            Some(Plugin::KeyAuth),
            &Auth::all_defaults(),
            None,
            None,
        );
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["diagnosis"][0]["code"], "no-credentials");
        assert_eq!(body["diagnosis"][0]["hint"], "send a credential");
        assert!(body["diagnosis"][0].get("detail").is_none());
    }
}
