//! `WWW-Authenticate` challenges (RFC 9110 section 11.6.1) and the RFC 6750 error they carry.

/// One challenge: a scheme and its parameters (a token68 is kept under the name `token68`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Auth scheme as sent (`Bearer`, `Basic`, `Key`).
    pub scheme: String,
    /// `(name, value)` with names lowercased and quoted values unescaped.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// A parameter by name (lowercase).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses every challenge of one header value. Garbage yields what could be read, never a panic.
pub fn parse(value: &str) -> Vec<Challenge> {
    let mut challenges: Vec<Challenge> = Vec::new();
    for element in split_elements(value) {
        let element = element.trim();
        if element.is_empty() {
            continue;
        }
        // An element starting with `token SP` (or a lone token) opens a new challenge.
        let first_space = element.find([' ', '\t']);
        let first_eq = element.find('=');
        let opens = match (first_space, first_eq) {
            (Some(s), Some(e)) => s < e,
            (None, None) => true,
            (Some(_), None) => true,
            (None, Some(_)) => false,
        };
        if opens {
            let (scheme, rest) = match first_space {
                Some(s) => (
                    element.get(..s).unwrap_or(""),
                    element.get(s..).unwrap_or(""),
                ),
                None => (element, ""),
            };
            let mut challenge = Challenge {
                scheme: scheme.to_string(),
                params: Vec::new(),
            };
            let rest = rest.trim();
            if !rest.is_empty() {
                match param(rest).filter(|_| !is_token68(rest)) {
                    Some(p) => challenge.params.push(p),
                    None => challenge.params.push(("token68".into(), rest.to_string())),
                }
            }
            challenges.push(challenge);
        } else if let (Some(current), Some(p)) = (challenges.last_mut(), param(element)) {
            current.params.push(p);
        }
    }
    challenges
}

/// What a challenge in one of Kong 3.9's own exact forms says: which plugin wrote it, and whether
/// that plugin found a credential to refuse. Kong writes these with `fmt` and no commas
/// (kong-config/NOTES.md, "Kong 3.9's own 401s", lists each with its source line); an upstream
/// following RFC 9110 separates parameters with commas, so the exact forms are a sign of Kong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KongForm {
    /// The plugin whose form it is. `Bearer` without `error=` is jwt's (or oauth2's, which
    /// [`kong_form`] cannot tell apart: the caller picks by the route's plugins).
    pub plugin: crate::diagnosis::Plugin,
    /// The plugin refused a credential it found (`error="invalid_token"`), rather than finding
    /// none. `None` when the form does not say (key-auth, basic-auth, hmac-auth use one form).
    pub refused_one: Option<bool>,
}

/// oauth2's refusal of a token, after the scheme and realm (oauth2/access.lua:982-984).
const OAUTH2_INVALID: &str =
    "error=\"invalid_token\" error_description=\"The access token is invalid or has expired\"";

/// Recognises Kong 3.9's own `WWW-Authenticate` forms: key-auth `Key` or `Key realm="…"`,
/// basic-auth `Basic realm="service"` (its default realm), hmac-auth `hmac` or `hmac realm="…"`,
/// jwt `Bearer` or `Bearer realm="…"` (no token) and the same followed by ` error="invalid_token"`
/// (a token refused), oauth2 that followed by ` error_description="The access token is invalid
/// or has expired"`.
pub(super) fn kong_form(value: &str) -> Option<KongForm> {
    use crate::diagnosis::Plugin;
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    // ` realm="…"` as Kong formats it: fmt('… realm="%s"', conf.realm).
    let rest = rest.trim_start();
    let (realm, rest) = match rest.strip_prefix("realm=\"") {
        Some(quoted) => match quoted.split_once('"') {
            Some((realm, after)) => (Some(realm), after.trim_start()),
            None => return None,
        },
        None => (None, rest),
    };
    let form = |plugin, refused_one| {
        Some(KongForm {
            plugin,
            refused_one,
        })
    };
    match (scheme, realm, rest) {
        ("Key", _, "") => form(Plugin::KeyAuth, None),
        ("Basic", Some("service"), "") => form(Plugin::BasicAuth, None),
        ("hmac", _, "") => form(Plugin::HmacAuth, None),
        ("Bearer", _, "") => form(Plugin::Jwt, Some(false)),
        ("Bearer", _, "error=\"invalid_token\"") => form(Plugin::Jwt, Some(true)),
        ("Bearer", _, OAUTH2_INVALID) => form(Plugin::Oauth2, Some(true)),
        _ => None,
    }
}

/// Whether the response carries ldap-auth's challenge: `LDAP` (its default `header_type`
/// upper-cased) or the configured `header_type` as Kong writes it, alone or with ` realm="…"`
/// (kong/plugins/ldap-auth/access.lua, 3.9.3). No upstream challenges with an LDAP scheme, so a
/// 401 that carries one is Kong's own. `configured` is that scheme (`Auth::ldap_challenge_scheme`):
/// the decision reads the config, this only the header.
pub fn from_ldap_auth(
    response: &crate::parse::request::Response,
    configured: Option<&str>,
) -> bool {
    response.headers.all("www-authenticate").any(|value| {
        let value = value.trim_ascii_start();
        let end = value
            .iter()
            .position(|&b| b == b' ' || b == b'\t' || b == b',')
            .unwrap_or(value.len());
        let scheme = value.get(..end).unwrap_or_default();
        scheme.eq_ignore_ascii_case(b"ldap") || configured.is_some_and(|c| scheme == c.as_bytes())
    })
}

/// RFC 9110 `token68`: `abc123==`.
fn is_token68(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// Splits at commas that are not inside a quoted string.
fn split_elements(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match (quoted, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (_, false, '"') => quoted = !quoted,
            (false, _, ',') => {
                out.push(value.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(value.get(start..).unwrap_or(""));
    out
}

/// `name=value` or `name="quoted \"value\""`.
fn param(text: &str) -> Option<(String, String)> {
    let (name, value) = text.split_once('=')?;
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(crate::parse::text::is_tchar) {
        return None;
    }
    let value = value.trim();
    let value = match value.strip_prefix('"') {
        Some(inner) => {
            let mut out = String::new();
            let mut escaped = false;
            for c in inner.chars() {
                match (escaped, c) {
                    (true, c) => {
                        out.push(c);
                        escaped = false;
                    }
                    (false, '\\') => escaped = true,
                    (false, '"') => break,
                    (false, c) => out.push(c),
                }
            }
            out
        }
        None => value.to_string(),
    };
    Some((name.to_ascii_lowercase(), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let c = parse(
            r#"Bearer realm="api", error="invalid_token", error_description="The access token expired""#,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "Bearer");
        assert_eq!(c[0].param("error"), Some("invalid_token"));
        assert_eq!(
            c[0].param("error_description"),
            Some("The access token expired")
        );

        let c = parse(r#"Basic realm="a, b", Bearer error=insufficient_scope, scope="x y""#);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].param("realm"), Some("a, b"));
        assert_eq!(c[1].scheme, "Bearer");
        assert_eq!(c[1].param("scope"), Some("x y"));

        assert_eq!(parse("Bearer")[0].params.len(), 0);
        assert_eq!(
            parse("Negotiate abc123==")[0].param("token68"),
            Some("abc123==")
        );
        assert!(parse("").is_empty());
        assert!(parse(",,,").is_empty());
        assert_eq!(parse(r#"Key realm="kong\"#)[0].param("realm"), Some("kong"));
    }

    /// Kong 3.9's own forms (NOTES.md lists the source lines), and near misses an upstream sends.
    #[test]
    fn kong_forms() {
        use crate::diagnosis::Plugin::{self, *};
        type Row<'a> = (&'a str, Option<(Plugin, Option<bool>)>);
        let cases: &[Row<'_>] = &[
            ("Key", Some((KeyAuth, None))),
            (r#"Key realm="kong""#, Some((KeyAuth, None))),
            (r#"Basic realm="service""#, Some((BasicAuth, None))),
            ("hmac", Some((HmacAuth, None))),
            (r#"hmac realm="api""#, Some((HmacAuth, None))),
            ("Bearer", Some((Jwt, Some(false)))),
            (r#"Bearer realm="orders""#, Some((Jwt, Some(false)))),
            (r#"Bearer error="invalid_token""#, Some((Jwt, Some(true)))),
            (
                r#"Bearer realm="x" error="invalid_token""#,
                Some((Jwt, Some(true))),
            ),
            (
                r#"Bearer error="invalid_token" error_description="The access token is invalid or has expired""#,
                Some((Oauth2, Some(true))),
            ),
            // RFC 9110 upstreams separate parameters with commas.
            (r#"Bearer realm="x", error="invalid_token""#, None),
            (
                r#"Bearer error="invalid_token", error_description="The access token expired""#,
                None,
            ),
            (r#"Basic realm="orders""#, None),
            ("Negotiate", None),
            (r#"Key realm="unterminated"#, None),
            ("", None),
        ];
        for (value, expected) in cases {
            let got = kong_form(value).map(|f| (f.plugin, f.refused_one));
            assert_eq!(got, *expected, "{value}");
        }
    }

    #[test]
    fn ldap_auth_signs_its_401() {
        use crate::decide::config::RawLdapAuth;
        use crate::parse::request::{Headers, Response};
        let response = |www: &str| Response {
            status: 401,
            headers: Headers::from_pairs([("WWW-Authenticate".into(), www.as_bytes().to_vec())]),
            upstream_status: None,
            ngx_answered: None,
        };
        let corp = RawLdapAuth {
            header_type: "Corp".into(),
            realm: None,
        };
        let table: &[(&str, Option<&RawLdapAuth>, bool)] = &[
            ("LDAP", None, true),
            ("LDAP realm=\"test-ldap\"", None, true),
            ("ldap", None, true),
            ("Corp realm=\"x\"", Some(&corp), true),
            ("Corp", None, false),
            ("corp", Some(&corp), false),
            ("LDAPS", None, false),
            ("Basic realm=\"service\"", None, false),
            ("Bearer, LDAP", None, false),
            ("", None, false),
        ];
        for (www, ldap, expected) in table {
            let configured = ldap.map(crate::decide::config::Auth::ldap_challenge_scheme);
            assert_eq!(
                from_ldap_auth(&response(www), configured),
                *expected,
                "{www}"
            );
        }
    }
}
