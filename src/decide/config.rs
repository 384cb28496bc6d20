//! Filter configuration, in two steps: [`raw`] reads the JSON into [`RawConfig`] (bad JSON,
//! unknown fields and wrong types are parse errors), then [`Config::check`] turns it into a
//! checked [`Config`] (values out of range are check errors). Both errors name the field.

mod raw;

pub use raw::{
    RawAuth, RawConfig, RawHmacAuth, RawJwt, RawKeyAuth, RawLdapAuth, RawOauth2, RawSession,
};

use crate::parse::cidr::Cidr;
use crate::parse::text::{is_tchar, printable};
use std::fmt;

/// Where the filter sits and what it may do (SPEC section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// After Kong's auth plugins: annotates the 401s that reach it, never changes a response.
    #[default]
    Observe,
    /// On routes whose auth plugins use `anonymous`: answers 401 itself for the anonymous consumer.
    Enforce,
    /// Attached at nginx level before Kong's access phase (experimental).
    Edge,
}

/// How much of the diagnosis a client is shown (the log line always carries all of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Expose {
    /// Code, plugin, where, and a hint fixed per code: nothing taken from the request, the
    /// config or the host but the credential names and schemes the route accepts.
    #[default]
    Summary,
    /// The summary plus the detail and the specific hint, for everyone.
    Full,
    /// Full for requests carrying `X-Auth-Diagnosis-Token` equal to `token`, else the summary.
    Token,
    /// No header: the log line only.
    Never,
}

/// Level of the diagnosis log line, as proxy-wasm names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogLevel {
    /// proxy-wasm debug.
    Debug,
    /// proxy-wasm info (hidden by Kong's default `log_level = notice`).
    Info,
    /// proxy-wasm warn: shown by Kong's default log level.
    #[default]
    Warn,
    /// proxy-wasm error.
    Error,
    /// proxy-wasm critical.
    Critical,
}

/// Claims the jwt plugin can be asked to verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Expiry.
    Exp,
    /// Not-before.
    Nbf,
}

/// The most `log_rate` may say (beyond that, 0 means unlimited).
const MAX_LOG_RATE: u32 = 100_000;

/// The checked configuration the filter runs with.
#[derive(Debug)]
pub struct Config {
    /// Deployment mode.
    pub mode: Mode,
    /// Statuses that get annotated.
    pub statuses: Vec<u16>,
    /// Who sees how much.
    pub expose: Expose,
    /// Clients shown the full diagnosis.
    pub expose_to: Vec<Cidr>,
    /// Token for `expose = "token"`.
    pub token: Option<String>,
    /// Response header name, in the case configured: it goes out as written (nginx and every
    /// proxy-wasm host look header names up case-insensitively, so lookups need no lowercasing).
    pub header_name: String,
    /// Auth plugins guarding the route.
    pub auth: Auth,
    /// Anonymous consumer's username.
    pub anonymous: Option<String>,
    /// Leeway for `exp` and `nbf`.
    pub clock_skew: u64,
    /// Trusted proxies.
    pub trusted_ips: Vec<Cidr>,
    /// Expected hosts, lowercase, without port.
    pub expected_hosts: Vec<String>,
    /// TLS expected at the client.
    pub require_https: bool,
    /// Level of the log line.
    pub log_level: LogLevel,
    /// Diagnosis lines per second per worker; 0: unlimited.
    pub log_rate: u32,
    /// Where the route's plugins read credentials, in words: said once here, not per 401.
    pub places: String,
}

/// The auth plugins guarding the route. `None` means the plugin is not on the route.
#[derive(Debug)]
pub struct Auth {
    /// key-auth.
    pub key_auth: Option<RawKeyAuth>,
    /// jwt.
    pub jwt: Option<RawJwt>,
    /// basic-auth.
    pub basic_auth: bool,
    /// hmac-auth.
    pub hmac_auth: Option<RawHmacAuth>,
    /// oauth2.
    pub oauth2: Option<RawOauth2>,
    /// openid-connect.
    pub openid_connect: bool,
    /// ldap-auth.
    pub ldap_auth: Option<RawLdapAuth>,
    /// session.
    pub session: Option<RawSession>,
    /// `auth` was given; otherwise every plugin is assumed with Kong's defaults.
    pub explicit: bool,
}

impl Auth {
    /// Every open-source auth plugin with Kong's defaults: what the filter judges against when
    /// `auth` is absent (openid-connect is Kong Enterprise's: name it in `auth` to include it).
    /// session is left out too: `session` is the commonest cookie name on the web, and without
    /// the operator saying Kong's session plugin guards the route, naming an application's own
    /// cookie as a failed Kong session would mislead.
    pub fn all_defaults() -> Self {
        Self {
            key_auth: Some(RawKeyAuth::default()),
            jwt: Some(RawJwt::default()),
            basic_auth: true,
            hmac_auth: Some(RawHmacAuth::default()),
            oauth2: Some(RawOauth2::default()),
            openid_connect: false,
            ldap_auth: Some(RawLdapAuth::default()),
            session: None,
            explicit: false,
        }
    }

    /// The scheme ldap-auth puts in its challenge: `header_type`, upper-cased when it is exactly
    /// `ldap` (kong/plugins/ldap-auth/access.lua, 3.9.3, "backwards compatibility").
    pub fn ldap_challenge_scheme(ldap: &RawLdapAuth) -> &str {
        if ldap.header_type == "ldap" {
            "LDAP"
        } else {
            &ldap.header_type
        }
    }
}

/// Why a configuration was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// Not JSON, or JSON of the wrong shape: an unknown field or a wrong type.
    Parse {
        /// Dotted path of the field (`.` for the document itself).
        field: String,
        /// What is wrong and what is expected.
        problem: String,
    },
    /// Well-formed JSON with a value out of range.
    Check {
        /// Dotted path of the field.
        field: String,
        /// What is wrong and what is expected.
        problem: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Parse { field, problem } => {
                write!(f, "invalid configuration: field `{field}`: {problem}")
            }
            ConfigError::Check { field, problem } => {
                write!(f, "invalid configuration: field `{field}`: {problem}")
            }
        }
    }
}

/// One year: the bound of every duration field.
const MAX_SECONDS: u64 = 31_536_000;

fn check_error(field: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Check {
        field: field.into(),
        problem: problem.into(),
    }
}

/// Reads the bytes Kong passes to `on_configure`. Empty (or whitespace) means all defaults.
pub fn parse(bytes: &[u8]) -> Result<RawConfig, ConfigError> {
    // Only an object is a config: not an array of the fields by position, as serde took them.
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Ok(RawConfig::default()),
        Some(b'{') => raw::read(bytes),
        Some(_) => Err(ConfigError::Parse {
            field: ".".into(),
            problem: "the configuration must be a JSON object".into(),
        }),
    }
}

/// Parses and checks in one call: what `on_configure` uses.
pub fn load(bytes: &[u8]) -> Result<Config, ConfigError> {
    Config::check(parse(bytes)?)
}

impl Config {
    /// The start-up line: the filter's version and the effective config in a few words, strict
    /// logfmt, never the token (only whether there is one).
    pub fn describe(&self) -> String {
        let mut line = String::from("auth-diagnosis");
        let auth = &self.auth;
        let plugins: Vec<&str> = [
            (auth.key_auth.is_some(), "key-auth"),
            (auth.jwt.is_some(), "jwt"),
            (auth.basic_auth, "basic-auth"),
            (auth.hmac_auth.is_some(), "hmac-auth"),
            (auth.oauth2.is_some(), "oauth2"),
            (auth.openid_connect, "openid-connect"),
            (auth.ldap_auth.is_some(), "ldap-auth"),
            (auth.session.is_some(), "session"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        let statuses: Vec<String> = self.statuses.iter().map(u16::to_string).collect();
        let fields = [
            ("version", env!("CARGO_PKG_VERSION").to_string()),
            ("mode", format!("{:?}", self.mode).to_ascii_lowercase()),
            ("expose", format!("{:?}", self.expose).to_ascii_lowercase()),
            ("expose_to", self.expose_to.len().to_string()),
            ("statuses", statuses.join(",")),
            (
                "auth",
                if auth.explicit {
                    plugins.join(",")
                } else {
                    "kong-defaults".into()
                },
            ),
            ("header", self.header_name.clone()),
            ("trusted_ips", self.trusted_ips.len().to_string()),
            ("expected_hosts", self.expected_hosts.len().to_string()),
            ("log_rate", self.log_rate.to_string()),
        ];
        for (key, value) in fields {
            crate::output::logline::push_pair(&mut line, key, &value);
        }
        line.push_str(" configured");
        line
    }

    /// Checks what the JSON's types cannot say: ranges, combinations, syntax of names and CIDRs.
    pub fn check(raw: RawConfig) -> Result<Config, ConfigError> {
        let statuses = raw.statuses.unwrap_or_else(|| vec![401]);
        if statuses.is_empty() {
            return Err(check_error("statuses", "must list at least one status"));
        }
        if let Some(bad) = statuses.iter().find(|s| !(100..=599).contains(*s)) {
            return Err(check_error(
                "statuses",
                format!("{bad} is not an HTTP status (100-599)"),
            ));
        }
        match (&raw.expose, &raw.token) {
            (Expose::Token, None) => {
                return Err(check_error("token", "required when expose is \"token\""))
            }
            (Expose::Token, Some(t)) if t.is_empty() => {
                return Err(check_error("token", "must not be empty"))
            }
            (Expose::Summary | Expose::Full | Expose::Never, Some(_)) => {
                return Err(check_error(
                    "token",
                    "is set but expose is not \"token\"; set expose to \"token\" or remove token",
                ))
            }
            _ => {}
        }
        let header_name = raw.header_name.unwrap_or_else(|| "X-Auth-Diagnosis".into());
        if header_name.is_empty() || !header_name.bytes().all(is_tchar) {
            return Err(check_error(
                "header_name",
                "must be an HTTP header name (RFC 9110 token characters)",
            ));
        }
        // A year is more leeway than any clock needs, and a bound cjson re-encodes exactly (it
        // writes integers past 14 digits in exponent form, which no longer parse as integers).
        if raw.clock_skew > MAX_SECONDS {
            return Err(check_error(
                "clock_skew",
                "must be between 0 and 31536000 seconds",
            ));
        }
        if raw.log_rate > MAX_LOG_RATE {
            return Err(check_error(
                "log_rate",
                "must be between 0 (unlimited) and 100000 lines per second",
            ));
        }
        let auth = check_auth(raw.auth)?;
        if let Some(a) = &raw.anonymous {
            // ASCII whitespace only, exactly as the schema's pattern reads it in every engine.
            if a.bytes()
                .all(|b| matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' '))
            {
                return Err(check_error("anonymous", "must not be empty or blank"));
            }
        }
        let trusted_ips = cidrs("trusted_ips", &raw.trusted_ips)?;
        let expose_to = cidrs("expose_to", &raw.expose_to)?;
        let mut expected_hosts = Vec::with_capacity(raw.expected_hosts.len());
        for (i, host) in raw.expected_hosts.iter().enumerate() {
            if host.is_empty() || !host.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(check_error(
                    &format!("expected_hosts[{i}]"),
                    "must be a host name",
                ));
            }
            expected_hosts.push(host.to_ascii_lowercase());
        }
        let places = places(&auth);
        Ok(Config {
            places,
            mode: raw.mode,
            statuses,
            expose: raw.expose,
            expose_to,
            token: raw.token,
            header_name,
            auth,
            anonymous: raw.anonymous,
            clock_skew: raw.clock_skew,
            trusted_ips,
            expected_hosts,
            require_https: raw.require_https,
            log_level: raw.log_level,
            log_rate: raw.log_rate,
        })
    }
}

/// A list of addresses or CIDR blocks, each in the exact form the schema's pattern accepts.
fn cidrs(field: &str, texts: &[String]) -> Result<Vec<Cidr>, ConfigError> {
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            Cidr::parse(text).ok_or_else(|| {
                check_error(
                    &format!("{field}[{i}]"),
                    format!(
                        "\"{}\" is not an IP address or CIDR block (10.0.0.0/8, 2001:db8::/32)",
                        printable(text, 64)
                    ),
                )
            })
        })
        .collect()
}

/// Where the route's plugins read credentials, for hints and the summary a client is shown (an
/// API's public contract): `header apikey or query apikey (key-auth)`.
fn places(auth: &Auth) -> String {
    if !auth.explicit {
        return "Authorization (Bearer, Basic, hmac or ldap), header or query apikey, or query jwt or access_token (no auth config: Kong's defaults assumed)".into();
    }
    let mut parts = Vec::new();
    if let Some(k) = &auth.key_auth {
        let names = k.key_names.join("/");
        let mut places = Vec::new();
        if k.key_in_header {
            places.push(format!("header {names}"));
        }
        if k.key_in_query {
            places.push(format!("query {names}"));
        }
        if k.key_in_body {
            places.push(format!("body {names}"));
        }
        parts.push(format!("{} (key-auth)", places.join(" or ")));
    }
    if let Some(j) = &auth.jwt {
        let mut places: Vec<String> = j
            .header_names
            .iter()
            .map(|h| format!("{h}: Bearer <jwt>"))
            .collect();
        places.extend(j.uri_param_names.iter().map(|q| format!("query {q}")));
        places.extend(j.cookie_names.iter().map(|c| format!("cookie {c}")));
        parts.push(format!("{} (jwt)", places.join(" or ")));
    }
    if auth.basic_auth {
        parts.push("Authorization: Basic (basic-auth)".into());
    }
    if auth.hmac_auth.is_some() {
        parts.push("Authorization: hmac with Date (hmac-auth)".into());
    }
    if let Some(o) = &auth.oauth2 {
        parts.push(format!(
            "{}: Bearer or query access_token (oauth2)",
            o.auth_header_name
        ));
    }
    if auth.openid_connect {
        parts.push("Authorization: Bearer (openid-connect)".into());
    }
    if let Some(l) = &auth.ldap_auth {
        parts.push(format!(
            "Authorization or Proxy-Authorization: {} base64(user:password) (ldap-auth)",
            l.header_type
        ));
    }
    if let Some(s) = &auth.session {
        parts.push(format!("cookie {} after a login (session)", s.cookie_name));
    }
    if parts.is_empty() {
        return "no place: auth names no Kong plugin".into();
    }
    printable(&parts.join("; "), 240).into_owned()
}

fn check_auth(raw: Option<RawAuth>) -> Result<Auth, ConfigError> {
    let Some(raw) = raw else {
        return Ok(Auth::all_defaults());
    };
    if let Some(key_auth) = &raw.key_auth {
        check_names("auth.key_auth.key_names", &key_auth.key_names, false)?;
    }
    if let Some(jwt) = &raw.jwt {
        check_names("auth.jwt.header_names", &jwt.header_names, true)?;
        check_names("auth.jwt.uri_param_names", &jwt.uri_param_names, true)?;
        check_names("auth.jwt.cookie_names", &jwt.cookie_names, true)?;
        if jwt.key_claim_name.is_empty() {
            return Err(check_error("auth.jwt.key_claim_name", "must not be empty"));
        }
        // Kong's jwt schema bounds maximum_expiration to one year.
        if jwt.maximum_expiration > MAX_SECONDS {
            return Err(check_error(
                "auth.jwt.maximum_expiration",
                "must be between 0 and 31536000 seconds",
            ));
        }
    }
    if raw
        .hmac_auth
        .as_ref()
        .is_some_and(|h| h.clock_skew > MAX_SECONDS)
    {
        return Err(check_error(
            "auth.hmac_auth.clock_skew",
            "must be between 0 and 31536000 seconds",
        ));
    }
    if let Some(oauth2) = &raw.oauth2 {
        if oauth2.auth_header_name.is_empty() || !oauth2.auth_header_name.bytes().all(is_tchar) {
            return Err(check_error(
                "auth.oauth2.auth_header_name",
                "must be an HTTP header name",
            ));
        }
    }
    if let Some(ldap) = &raw.ldap_auth {
        // An Authorization scheme is an RFC 9110 token; Kong's strings are never empty.
        if ldap.header_type.is_empty() || !ldap.header_type.bytes().all(is_tchar) {
            return Err(check_error(
                "auth.ldap_auth.header_type",
                "must be an Authorization scheme (RFC 9110 token characters)",
            ));
        }
        // Written into a quoted-string of the challenge as it is, the way Kong writes it.
        if ldap.realm.as_ref().is_some_and(|r| {
            r.is_empty()
                || !r
                    .bytes()
                    .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
        }) {
            return Err(check_error(
                "auth.ldap_auth.realm",
                "must be non-empty printable ASCII without '\"' or '\\'",
            ));
        }
    }
    if let Some(session) = &raw.session {
        if session.cookie_name.is_empty() || !session.cookie_name.bytes().all(is_tchar) {
            return Err(check_error(
                "auth.session.cookie_name",
                "must be a cookie name (RFC 9110 token characters)",
            ));
        }
    }
    Ok(Auth {
        key_auth: raw.key_auth,
        jwt: raw.jwt,
        basic_auth: raw.basic_auth.is_some(),
        hmac_auth: raw.hmac_auth,
        oauth2: raw.oauth2,
        openid_connect: raw.openid_connect.is_some(),
        ldap_auth: raw.ldap_auth,
        session: raw.session,
        explicit: true,
    })
}

fn check_names(field: &str, names: &[String], may_be_empty: bool) -> Result<(), ConfigError> {
    if names.is_empty() && !may_be_empty {
        return Err(check_error(field, "must list at least one name"));
    }
    if let Some(i) = names
        .iter()
        .position(|n| n.is_empty() || !n.bytes().all(is_tchar))
    {
        return Err(check_error(
            &format!("{field}[{i}]"),
            "must be a non-empty name of token characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(json: &str) -> ConfigError {
        match load(json.as_bytes()) {
            Ok(_) => panic!("{json} should be refused"),
            Err(e) => e,
        }
    }

    #[test]
    fn the_start_up_line_says_the_effective_config_and_never_the_token() {
        let c = load(br#"{"mode":"enforce","expose":"token","token":"s3cr3t-t0ken-value","auth":{"key_auth":{}},"trusted_ips":["10.0.0.0/8"]}"#).unwrap();
        let line = c.describe();
        assert_eq!(
            line,
            format!(
                "auth-diagnosis version={} mode=enforce expose=token expose_to=0 statuses=401 auth=key-auth header=X-Auth-Diagnosis trusted_ips=1 expected_hosts=0 log_rate=20 configured",
                env!("CARGO_PKG_VERSION")
            )
        );
        assert!(!line.contains("s3cr3t"));
        assert!(load(b"{}")
            .unwrap()
            .describe()
            .contains(" auth=kong-defaults "));
    }

    #[test]
    fn empty_means_defaults() {
        for input in ["", "  ", "{}"] {
            let c = load(input.as_bytes()).unwrap();
            assert_eq!(c.mode, Mode::Observe);
            assert_eq!(c.statuses, vec![401]);
            assert_eq!(c.expose, Expose::Summary);
            assert!(c.expose_to.is_empty());
            assert_eq!(c.header_name, "X-Auth-Diagnosis");
            assert_eq!(c.log_level, LogLevel::Warn);
            assert!(c.auth.key_auth.is_some() && c.auth.jwt.is_some() && c.auth.basic_auth);
        }
    }

    #[test]
    fn empty_object_is_an_empty_list() {
        // What Kong's cjson makes of `[]` in a stored config.
        let c = load(br#"{"trusted_ips":{},"expected_hosts":{},"auth":{"jwt":{"cookie_names":{},"claims_to_verify":{}}}}"#).unwrap();
        assert!(c.trusted_ips.is_empty() && c.expected_hosts.is_empty());
        assert!(c.auth.jwt.unwrap().cookie_names.is_empty());
        let c = load(br#"{"statuses":null}"#).unwrap();
        assert_eq!(c.statuses, vec![401]);
        assert!(load(br#"{"trusted_ips":{"a":1}}"#).is_err());
        assert!(
            load(br#"{"statuses":{}}"#).is_err(),
            "an empty statuses list is refused"
        );
    }

    #[test]
    fn auth_given_means_only_those_plugins() {
        let c = load(br#"{"auth":{"key_auth":{}}}"#).unwrap();
        assert_eq!(c.auth.key_auth.unwrap().key_names, vec!["apikey"]);
        assert!(c.auth.jwt.is_none() && !c.auth.basic_auth && c.auth.oauth2.is_none());
    }

    /// Kong's names and defaults (ldap-auth and session schema.lua, 3.9.3), and what `places`
    /// tells a client about them.
    #[test]
    fn ldap_auth_and_session() {
        let c = load(br#"{"auth":{"ldap_auth":{},"session":{}}}"#).unwrap();
        let ldap = c.auth.ldap_auth.as_ref().unwrap();
        assert_eq!(
            (ldap.header_type.as_str(), ldap.realm.as_deref()),
            ("ldap", None)
        );
        assert_eq!(Auth::ldap_challenge_scheme(ldap), "LDAP");
        assert_eq!(c.auth.session.as_ref().unwrap().cookie_name, "session");
        assert_eq!(
            c.places,
            "Authorization or Proxy-Authorization: ldap base64(user:password) (ldap-auth); cookie session after a login (session)"
        );
        let c = load(br#"{"auth":{"ldap_auth":{"header_type":"Corp","realm":"corp dir"},"session":{"cookie_name":"sid"}}}"#).unwrap();
        let ldap = c.auth.ldap_auth.as_ref().unwrap();
        assert_eq!(Auth::ldap_challenge_scheme(ldap), "Corp");
        assert_eq!(ldap.realm.as_deref(), Some("corp dir"));
        assert!(
            c.places.contains("Proxy-Authorization: Corp base64")
                && c.places.contains("cookie sid")
        );
        // Without auth: every open-source auth plugin but session.
        let c = load(b"{}").unwrap();
        assert!(c.auth.ldap_auth.is_some() && c.auth.session.is_none());
    }

    /// Step one's errors, word for word: the field, what is wrong, never the value of a string.
    #[test]
    fn parse_errors_say_what_is_wrong() {
        let table: &[(&str, &str)] = &[
            (
                r#"{"mdoe":"observe"}"#,
                "field `mdoe`: unknown field `mdoe`, expected one of `mode`, `statuses`, `expose`, `expose_to`, `token`, `header_name`, `auth`, `anonymous`, `clock_skew`, `trusted_ips`, `expected_hosts`, `require_https`, `log_level`, `log_rate`",
            ),
            (
                r#"{"auth":{"basic_auth":{"hide_credentials":true}}}"#,
                "field `auth.basic_auth.hide_credentials`: unknown field `hide_credentials`, there are no fields",
            ),
            (
                r#"{"mode":"edge","mode":"observe"}"#,
                "field `mode`: duplicate field `mode`",
            ),
            (
                r#"{"mode":"audit"}"#,
                "field `mode`: unknown variant `audit`, expected one of `observe`, `enforce`, `edge`",
            ),
            (
                r#"{"expose":"token","token":42}"#,
                "field `token`: invalid type: an integer, expected a string",
            ),
            (
                r#"{"header_name":["s3cr3t-value"]}"#,
                "field `header_name`: invalid type: a list, expected a string",
            ),
            (
                r#"{"statuses":[401,"403"]}"#,
                "field `statuses[1]`: invalid type: a string, expected a whole number",
            ),
            (
                r#"{"statuses":[70000]}"#,
                "field `statuses[0]`: invalid value: integer `70000`, expected an integer from 0 to 65535",
            ),
            (
                r#"{"clock_skew":30.0}"#,
                "field `clock_skew`: invalid type: a negative, fractional or very large number, expected a whole number",
            ),
            (
                r#"{"trusted_ips":{"a":1}}"#,
                "field `trusted_ips`: expected a list, found an object (only `{}` stands for an empty list)",
            ),
            (
                r#"{"auth":{"jwt":[]}}"#,
                "field `auth.jwt`: must be a JSON object",
            ),
            (
                r#"{"auth":{"jwt":{"claims_to_verify":["exp",1]}}}"#,
                "field `auth.jwt.claims_to_verify[1]`: invalid type: an integer, expected a string",
            ),
            (r#"{"mode":"#, "field `mode`: not valid JSON at byte 9"),
            (r#"{"clock_skew":1e999}"#, "field `clock_skew`: not valid JSON at byte 20"),
            (r#"{"a\u0000":1}"#, "field `a?`: unknown field `a?`, expected one of `mode`, `statuses`, `expose`, `expose_to`, `token`, `header_name`, `auth`, `anonymous`, `clock_skew`, `trusted_ips`, `expected_hosts`, `require_https`, `log_level`, `log_rate`"),
        ];
        for (json, said) in table {
            let e = err(json);
            assert!(matches!(e, ConfigError::Parse { .. }), "{json}: {e}");
            assert_eq!(
                e.to_string(),
                format!("invalid configuration: {said}"),
                "{json}"
            );
            assert!(!e.to_string().contains("s3cr3t"));
        }
    }

    /// Every field of step one lands where it belongs (none read into another, none ignored).
    #[test]
    fn every_field_is_read() {
        let c = load(br#"{"mode":"enforce","statuses":[401,403],"expose":"token","expose_to":["10.0.0.0/8"],
            "token":"t0ken","header_name":"X-Why","anonymous":"anon","clock_skew":5,"trusted_ips":["10.1.0.0/16","::1"],
            "expected_hosts":["API.example.com"],"require_https":true,"log_level":"error","log_rate":7,
            "auth":{"key_auth":{"key_names":["k"],"key_in_header":false,"key_in_query":false,"key_in_body":true},
              "jwt":{"header_names":["h"],"uri_param_names":["u"],"cookie_names":["c"],"key_claim_name":"kid",
                "claims_to_verify":["nbf","exp"],"maximum_expiration":60},
              "basic_auth":{},"hmac_auth":{"clock_skew":9},"oauth2":{"auth_header_name":"X-Token"},
              "openid_connect":null,"ldap_auth":{"header_type":"corp","realm":"r"},"session":{"cookie_name":"s"}}}"#).unwrap();
        assert_eq!(
            (c.mode, c.statuses.as_slice(), c.expose, c.expose_to.len()),
            (Mode::Enforce, &[401u16, 403][..], Expose::Token, 1)
        );
        assert_eq!(
            (
                c.token.as_deref(),
                c.header_name.as_str(),
                c.anonymous.as_deref()
            ),
            (Some("t0ken"), "X-Why", Some("anon"))
        );
        assert_eq!((c.clock_skew, c.trusted_ips.len()), (5, 2));
        assert_eq!(c.expected_hosts, vec!["api.example.com"]);
        assert_eq!(
            (c.require_https, c.log_level, c.log_rate),
            (true, LogLevel::Error, 7)
        );
        let k = c.auth.key_auth.as_ref().unwrap();
        assert_eq!(
            (
                k.key_names.as_slice(),
                k.key_in_header,
                k.key_in_query,
                k.key_in_body
            ),
            (&["k".to_string()][..], false, false, true)
        );
        let j = c.auth.jwt.as_ref().unwrap();
        assert_eq!(
            (&j.header_names, &j.uri_param_names, &j.cookie_names),
            (
                &vec!["h".to_string()],
                &vec!["u".to_string()],
                &vec!["c".to_string()]
            )
        );
        assert_eq!(
            (
                j.key_claim_name.as_str(),
                j.claims_to_verify.as_slice(),
                j.maximum_expiration
            ),
            ("kid", &[Claim::Nbf, Claim::Exp][..], 60)
        );
        assert!(c.auth.basic_auth && !c.auth.openid_connect);
        assert_eq!(c.auth.hmac_auth.as_ref().unwrap().clock_skew, 9);
        assert_eq!(c.auth.oauth2.as_ref().unwrap().auth_header_name, "X-Token");
        let l = c.auth.ldap_auth.as_ref().unwrap();
        assert_eq!(
            (l.header_type.as_str(), l.realm.as_deref()),
            ("corp", Some("r"))
        );
        assert_eq!(c.auth.session.as_ref().unwrap().cookie_name, "s");
    }

    #[test]
    fn errors_name_the_field() {
        let table: &[(&str, &str, bool)] = &[
            (r#"{"mode":"audit"}"#, "mode", true),
            (r#"{"mdoe":"observe"}"#, "mdoe", true),
            (r#"{"statuses":[401,"403"]}"#, "statuses[1]", true),
            (r#"{"statuses":[99]}"#, "statuses", false),
            (r#"{"statuses":[]}"#, "statuses", false),
            (r#"{"expose":"token"}"#, "token", false),
            (r#"{"token":"abc"}"#, "token", false),
            (r#"{"header_name":"X Bad"}"#, "header_name", false),
            (
                r#"{"trusted_ips":["10.0.0.0/8","nope"]}"#,
                "trusted_ips[1]",
                false,
            ),
            (r#"{"clock_skew":-1}"#, "clock_skew", true),
            (
                r#"{"auth":{"jwt":{"claims_to_verify":["iat"]}}}"#,
                "auth.jwt.claims_to_verify[0]",
                true,
            ),
            (
                r#"{"auth":{"key_auth":{"key_names":[]}}}"#,
                "auth.key_auth.key_names",
                false,
            ),
            (r#"{"auth":{"acl":{}}}"#, "auth.acl", true),
            (
                r#"{"auth":{"ldap_auth":{"header_type":"my ldap"}}}"#,
                "auth.ldap_auth.header_type",
                false,
            ),
            (
                r#"{"auth":{"ldap_auth":{"header_type":""}}}"#,
                "auth.ldap_auth.header_type",
                false,
            ),
            (
                r#"{"auth":{"ldap_auth":{"realm":"a\"b"}}}"#,
                "auth.ldap_auth.realm",
                false,
            ),
            (
                r#"{"auth":{"ldap_auth":{"realm":""}}}"#,
                "auth.ldap_auth.realm",
                false,
            ),
            (
                r#"{"auth":{"ldap_auth":{"ldap_host":"x"}}}"#,
                "auth.ldap_auth.ldap_host",
                true,
            ),
            (
                r#"{"auth":{"session":{"cookie_name":"a;b"}}}"#,
                "auth.session.cookie_name",
                false,
            ),
            (
                r#"{"auth":{"session":{"secret":"x"}}}"#,
                "auth.session.secret",
                true,
            ),
            (
                r#"{"auth":{"basic_auth":{"hide_credentials":true}}}"#,
                "auth.basic_auth.hide_credentials",
                true,
            ),
            (r#"{"log_level":"notice"}"#, "log_level", true),
            (r#"{"anonymous":""}"#, "anonymous", false),
            ("[1,2]", ".", true),
            (r#"["enforce"]"#, ".", true),
            ("null", ".", true),
            (r#"{"auth":[]}"#, "auth", true),
            (r#"{"mode":{"edge":null}}"#, "mode", true),
            (r#"{"log_level":{"warn":null}}"#, "log_level", true),
            (
                r#"{"auth":{"jwt":{"claims_to_verify":["exp",{"nbf":null}]}}}"#,
                "auth.jwt.claims_to_verify[1]",
                true,
            ),
            (r#"{"auth":{"basic_auth":[]}}"#, "auth.basic_auth", true),
            (
                r#"{"auth":{"key_auth":[["apikey"]]}}"#,
                "auth.key_auth",
                true,
            ),
            ("{\"mode\":", "mode", true),
            (r#"{} {}"#, ".", true),
            (r#"{"log_rate":1,"log_rate":2}"#, "log_rate", true),
            (
                r#"{"auth":{"jwt":{"key_claim_name":"a","key_claim_name":"b"}}}"#,
                "auth.jwt.key_claim_name",
                true,
            ),
            (r#"{"statuses":{"0":401}}"#, "statuses", true),
            (r#"{"log_rate":4294967296}"#, "log_rate", true),
            (r#"{"clock_skew":-0}"#, "clock_skew", true),
        ];
        for (json, field, is_parse) in table {
            let e = err(json);
            let (got_field, parse) = match &e {
                ConfigError::Parse { field, .. } => (field.clone(), true),
                ConfigError::Check { field, .. } => (field.clone(), false),
            };
            assert_eq!(&got_field, field, "{json}: {e}");
            assert_eq!(parse, *is_parse, "{json}: {e}");
            assert!(e.to_string().contains(field), "{e}");
        }
    }
}
