//! Filter configuration, in two steps: serde reads the JSON into [`RawConfig`] (unknown fields and
//! wrong types are parse errors), then [`Config::check`] turns it into a checked [`Config`]
//! (values out of range are check errors). Both errors name the field.

use crate::parse::cidr::Cidr;
use crate::parse::shape::Shape;
use crate::parse::text::{is_tchar, printable};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::marker::PhantomData;

/// Where the filter sits and what it may do (SPEC section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
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

/// The config exactly as JSON gives it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// `observe`, `enforce` or `edge`.
    #[serde(default)]
    pub mode: Mode,
    /// Response statuses that get annotated.
    #[serde(default, deserialize_with = "optional_list")]
    pub statuses: Option<Vec<u16>>,
    /// `summary`, `full`, `token` or `never`.
    #[serde(default)]
    pub expose: Expose,
    /// CIDRs of clients shown the full diagnosis whatever `expose` says (unless `never`).
    #[serde(default, deserialize_with = "list")]
    pub expose_to: Vec<String>,
    /// Secret a request must carry in `X-Auth-Diagnosis-Token` when `expose = "token"`.
    pub token: Option<String>,
    /// Name of the response header.
    pub header_name: Option<String>,
    /// The Kong auth plugins guarding the route, with their config.
    pub auth: Option<RawAuth>,
    /// Username of Kong's anonymous consumer (enforce).
    pub anonymous: Option<String>,
    /// Seconds of leeway when judging `exp` and `nbf`.
    #[serde(default)]
    pub clock_skew: u64,
    /// CIDRs of the proxies in front of Kong.
    #[serde(default, deserialize_with = "list")]
    pub trusted_ips: Vec<String>,
    /// Hosts the route should be reached with.
    #[serde(default, deserialize_with = "list")]
    pub expected_hosts: Vec<String>,
    /// The client is meant to reach the service over TLS.
    #[serde(default)]
    pub require_https: bool,
    /// Level of the diagnosis log line.
    #[serde(default)]
    pub log_level: LogLevel,
    /// Diagnosis lines per second per worker before the rest are held back and summed up.
    #[serde(default = "default_log_rate")]
    pub log_rate: u32,
}

/// 20 lines a second per worker: every 401 of a person debugging shows up, and a flood of 15,000
/// a second writes ~10 KB/s per worker instead of ~6 MB/s.
pub const DEFAULT_LOG_RATE: u32 = 20;

/// The most `log_rate` may say (beyond that, 0 means unlimited).
const MAX_LOG_RATE: u32 = 100_000;

fn default_log_rate() -> u32 {
    DEFAULT_LOG_RATE
}

/// The `auth` object: one optional entry per Kong auth plugin, with the plugin's own field names.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAuth {
    /// key-auth.
    pub key_auth: Option<RawKeyAuth>,
    /// jwt.
    pub jwt: Option<RawJwt>,
    /// basic-auth (no options matter to the diagnosis).
    pub basic_auth: Option<Empty>,
    /// hmac-auth.
    pub hmac_auth: Option<RawHmacAuth>,
    /// oauth2.
    pub oauth2: Option<RawOauth2>,
    /// openid-connect (bearer tokens; no options matter to the diagnosis).
    pub openid_connect: Option<Empty>,
    /// ldap-auth.
    pub ldap_auth: Option<RawLdapAuth>,
    /// session.
    pub session: Option<RawSession>,
}

/// A plugin entry without options.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// key-auth's options, with Kong's defaults.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawKeyAuth {
    /// Header and query parameter names the key is read from.
    #[serde(deserialize_with = "list")]
    pub key_names: Vec<String>,
    /// Read the key from headers.
    pub key_in_header: bool,
    /// Read the key from the query string.
    pub key_in_query: bool,
    /// Read the key from the body.
    pub key_in_body: bool,
}

impl Default for RawKeyAuth {
    fn default() -> Self {
        Self {
            key_names: vec!["apikey".into()],
            key_in_header: true,
            key_in_query: true,
            key_in_body: false,
        }
    }
}

/// Claims the jwt plugin can be asked to verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Claim {
    /// Expiry.
    Exp,
    /// Not-before.
    Nbf,
}

/// jwt's options, with Kong's defaults.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawJwt {
    /// Headers the token is read from (`Bearer <token>`).
    #[serde(deserialize_with = "list")]
    pub header_names: Vec<String>,
    /// Query parameters the token is read from.
    #[serde(deserialize_with = "list")]
    pub uri_param_names: Vec<String>,
    /// Cookies the token is read from.
    #[serde(deserialize_with = "list")]
    pub cookie_names: Vec<String>,
    /// Claim that names the consumer's jwt credential.
    pub key_claim_name: String,
    /// Registered claims to verify.
    #[serde(deserialize_with = "list")]
    pub claims_to_verify: Vec<Claim>,
    /// Longest lifetime accepted, in seconds (0: no limit).
    pub maximum_expiration: u64,
}

impl Default for RawJwt {
    fn default() -> Self {
        Self {
            header_names: vec!["authorization".into()],
            uri_param_names: vec!["jwt".into()],
            cookie_names: Vec::new(),
            key_claim_name: "iss".into(),
            claims_to_verify: Vec::new(),
            maximum_expiration: 0,
        }
    }
}

/// hmac-auth's options, with Kong's defaults.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawHmacAuth {
    /// Seconds a request's Date may differ from Kong's clock.
    pub clock_skew: u64,
}

impl Default for RawHmacAuth {
    fn default() -> Self {
        Self { clock_skew: 300 }
    }
}

/// oauth2's options, with Kong's defaults.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawOauth2 {
    /// Header the access token is read from.
    pub auth_header_name: String,
}

impl Default for RawOauth2 {
    fn default() -> Self {
        Self {
            auth_header_name: "authorization".into(),
        }
    }
}

/// ldap-auth's options, with Kong's defaults (kong/plugins/ldap-auth/schema.lua, 3.9.3).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawLdapAuth {
    /// The Authorization scheme ldap-auth reads (matched case-insensitively), then base64 of
    /// `user:password`; also the scheme of its `WWW-Authenticate` challenge.
    pub header_type: String,
    /// The `realm` of its challenge, when set.
    pub realm: Option<String>,
}

impl Default for RawLdapAuth {
    fn default() -> Self {
        Self {
            header_type: "ldap".into(),
            realm: None,
        }
    }
}

/// session's options, with Kong's defaults (kong/plugins/session/schema.lua, 3.9.3).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawSession {
    /// Name of the cookie that carries Kong's session.
    pub cookie_name: String,
}

impl Default for RawSession {
    fn default() -> Self {
        Self {
            cookie_name: "session".into(),
        }
    }
}

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
        /// What serde said.
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
    // Empty means `{}`: the same defaults, from the same serde attributes.
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    // serde would also take a JSON array as a struct, by position: only an object is a config.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ConfigError::Parse {
            field: ".".into(),
            problem: "the configuration must be a JSON object".into(),
        });
    }
    objects_are_objects(bytes)?;
    serde_json::from_slice(bytes).map_err(|e| {
        let problem = printable(&e.to_string(), 200).into_owned();
        let path = crate::parse::jsonpath::at(bytes, e.line(), e.column());
        let field = unknown_field_path(&path, &problem);
        // serde quotes the value it refuses: never the token's, which is a secret.
        let problem = if field == "token" {
            "must be a string (the value is not shown)".into()
        } else {
            problem
        };
        ConfigError::Parse { field, problem }
    })
}

/// serde also reads a struct from a JSON array, by position: `"auth": []` would pass. The auth
/// entries must be objects, as Kong's schema says.
fn objects_are_objects(bytes: &[u8]) -> Result<(), ConfigError> {
    let Some(top) = crate::parse::shape::object(bytes) else {
        return Ok(());
    };
    let not_object = |field: String| ConfigError::Parse {
        field,
        problem: "must be a JSON object".into(),
    };
    // serde also reads a unit enum variant from a one-key object (`{"edge": null}`).
    let not_string = |field: String| ConfigError::Parse {
        field,
        problem: "must be a string".into(),
    };
    for key in ["mode", "expose", "log_level"] {
        if top.get(key).is_some_and(Shape::is_object) {
            return Err(not_string(key.into()));
        }
    }
    let claims = top
        .get("auth")
        .and_then(|a| a.get("jwt"))
        .and_then(|j| j.get("claims_to_verify"));
    if let Some(Shape::Array(items)) = claims {
        if let Some(i) = items.iter().position(Shape::is_object) {
            return Err(not_string(format!("auth.jwt.claims_to_verify[{i}]")));
        }
    }
    match top.get("auth") {
        None | Some(Shape::Null) => Ok(()),
        Some(Shape::Object(plugins)) => {
            for (name, entry) in plugins {
                if !matches!(entry, Shape::Object(_) | Shape::Null) {
                    return Err(not_object(format!("auth.{name}")));
                }
            }
            Ok(())
        }
        Some(_) => Err(not_object("auth".into())),
    }
}

/// serde reports an unknown field just after its key, where the path ends at the parent object
/// when the key is the first one: make sure the path names the field itself.
fn unknown_field_path(path: &str, problem: &str) -> String {
    let unknown = problem
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next());
    match unknown {
        Some(name) if path == "." => name.to_string(),
        Some(name) if !path.ends_with(name) => format!("{path}.{name}"),
        _ => path.to_string(),
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

    /// Checks the values serde cannot: ranges, combinations, syntax of names and CIDRs.
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

/// A JSON list, or `{}` for an empty one: Kong re-encodes a stored filter config with cjson,
/// which writes an empty list as an empty object.
fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    d.deserialize_any(ListVisitor(PhantomData))
}

/// [`list`] for an optional field, where `null` means absent.
fn optional_list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    d.deserialize_option(OptionalListVisitor(PhantomData))
}

struct ListVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element()? {
            out.push(item);
        }
        Ok(out)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<T>, A::Error> {
        match map.next_key::<IgnoredAny>()? {
            None => Ok(Vec::new()),
            Some(_) => Err(de::Error::custom("expected a list, found an object")),
        }
    }
}

struct OptionalListVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for OptionalListVisitor<T> {
    type Value = Option<Vec<T>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        list(d).map(Some)
    }
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
