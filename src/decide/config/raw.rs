//! Step one of reading a config: the JSON document into [`RawConfig`], exactly as it is written.
//! Every field is optional (absent means Kong's default or the filter's); an unknown field, a
//! repeated field or a value of the wrong type is a parse error naming the field. Ranges and
//! syntax are step two's ([`super::Config::check`]).
//!
//! Read by hand from a [`Json`] tree rather than derived with serde: the derive's generic
//! visitors were a tenth of the `.wasm`.

use super::{Claim, ConfigError, Expose, LogLevel, Mode};
use crate::parse::json::{self, child, item, Json};
use crate::parse::text::printable;

/// The config exactly as JSON gives it.
#[derive(Debug)]
pub struct RawConfig {
    /// `observe`, `enforce` or `edge`.
    pub mode: Mode,
    /// Response statuses that get annotated.
    pub statuses: Option<Vec<u16>>,
    /// `summary`, `full`, `token` or `never`.
    pub expose: Expose,
    /// CIDRs of clients shown the full diagnosis whatever `expose` says (unless `never`).
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
    pub clock_skew: u64,
    /// CIDRs of the proxies in front of Kong.
    pub trusted_ips: Vec<String>,
    /// Hosts the route should be reached with.
    pub expected_hosts: Vec<String>,
    /// The client is meant to reach the service over TLS.
    pub require_https: bool,
    /// Level of the diagnosis log line.
    pub log_level: LogLevel,
    /// Diagnosis lines per second per worker before the rest are held back and summed up.
    pub log_rate: u32,
}

impl Default for RawConfig {
    /// The config of `{}`.
    fn default() -> Self {
        Self {
            mode: Mode::default(),
            statuses: None,
            expose: Expose::default(),
            expose_to: Vec::new(),
            token: None,
            header_name: None,
            auth: None,
            anonymous: None,
            clock_skew: 0,
            trusted_ips: Vec::new(),
            expected_hosts: Vec::new(),
            require_https: false,
            log_level: LogLevel::default(),
            log_rate: DEFAULT_LOG_RATE,
        }
    }
}

/// 20 lines a second per worker: every 401 of a person debugging shows up, and a flood of 15,000
/// a second writes ~10 KB/s per worker instead of ~6 MB/s.
pub const DEFAULT_LOG_RATE: u32 = 20;

/// The `auth` object: one optional entry per Kong auth plugin, with the plugin's own field names.
#[derive(Debug, Default)]
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
#[derive(Debug, Default)]
pub struct Empty {}

/// key-auth's options, with Kong's defaults.
#[derive(Debug)]
pub struct RawKeyAuth {
    /// Header and query parameter names the key is read from.
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

/// jwt's options, with Kong's defaults.
#[derive(Debug)]
pub struct RawJwt {
    /// Headers the token is read from (`Bearer <token>`).
    pub header_names: Vec<String>,
    /// Query parameters the token is read from.
    pub uri_param_names: Vec<String>,
    /// Cookies the token is read from.
    pub cookie_names: Vec<String>,
    /// Claim that names the consumer's jwt credential.
    pub key_claim_name: String,
    /// Registered claims to verify.
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
#[derive(Debug)]
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
#[derive(Debug)]
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
#[derive(Debug)]
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
#[derive(Debug)]
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

/// Reads a document already known to start with `{`.
pub fn read(bytes: &[u8]) -> Result<RawConfig, ConfigError> {
    let doc = json::read(bytes).map_err(|e| refused(e.path, e.problem))?;
    let mut raw = RawConfig::default();
    members(doc, &At::Root, TOP_FIELDS, &mut |key, v, at| {
        match key {
            "mode" => raw.mode = variant(v, at, MODES)?,
            "statuses" => {
                raw.statuses = match v {
                    Json::Null => None,
                    v => Some(list(v, at, &mut |v, at| {
                        let n = integer(v, at, u16::MAX.into())?;
                        Ok(u16::try_from(n).unwrap_or(u16::MAX))
                    })?),
                }
            }
            "expose" => raw.expose = variant(v, at, EXPOSES)?,
            "expose_to" => raw.expose_to = strings(v, at)?,
            "token" => raw.token = optional(v, at, string)?,
            "header_name" => raw.header_name = optional(v, at, string)?,
            "auth" => raw.auth = optional(v, at, auth)?,
            "anonymous" => raw.anonymous = optional(v, at, string)?,
            "clock_skew" => raw.clock_skew = integer(v, at, u64::MAX)?,
            "trusted_ips" => raw.trusted_ips = strings(v, at)?,
            "expected_hosts" => raw.expected_hosts = strings(v, at)?,
            "require_https" => raw.require_https = boolean(v, at)?,
            "log_level" => raw.log_level = variant(v, at, LOG_LEVELS)?,
            "log_rate" => {
                let n = integer(v, at, u32::MAX.into())?;
                raw.log_rate = u32::try_from(n).unwrap_or(u32::MAX);
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(raw)
}

/// The known fields of each object, as an unknown field's error lists them.
const TOP_FIELDS: &str = "expected one of `mode`, `statuses`, `expose`, `expose_to`, `token`, `header_name`, `auth`, `anonymous`, `clock_skew`, `trusted_ips`, `expected_hosts`, `require_https`, `log_level`, `log_rate`";

const AUTH_FIELDS: &str = "expected one of `key_auth`, `jwt`, `basic_auth`, `hmac_auth`, `oauth2`, `openid_connect`, `ldap_auth`, `session`";
const KEY_AUTH_FIELDS: &str =
    "expected one of `key_names`, `key_in_header`, `key_in_query`, `key_in_body`";
const JWT_FIELDS: &str = "expected one of `header_names`, `uri_param_names`, `cookie_names`, `key_claim_name`, `claims_to_verify`, `maximum_expiration`";

/// The words of each enum, as JSON spells them.
const MODES: &[(&str, Mode)] = &[
    ("observe", Mode::Observe),
    ("enforce", Mode::Enforce),
    ("edge", Mode::Edge),
];

const EXPOSES: &[(&str, Expose)] = &[
    ("summary", Expose::Summary),
    ("full", Expose::Full),
    ("token", Expose::Token),
    ("never", Expose::Never),
];

const LOG_LEVELS: &[(&str, LogLevel)] = &[
    ("debug", LogLevel::Debug),
    ("info", LogLevel::Info),
    ("warn", LogLevel::Warn),
    ("error", LogLevel::Error),
    ("critical", LogLevel::Critical),
];

const CLAIMS: &[(&str, Claim)] = &[("exp", Claim::Exp), ("nbf", Claim::Nbf)];

fn auth(v: Json, at: &At<'_>) -> Result<RawAuth, ConfigError> {
    let mut raw = RawAuth::default();
    members(v, at, AUTH_FIELDS, &mut |key, v, at| {
        match key {
            "key_auth" => raw.key_auth = optional(v, at, key_auth)?,
            "jwt" => raw.jwt = optional(v, at, jwt)?,
            "basic_auth" => raw.basic_auth = optional(v, at, empty)?,
            "hmac_auth" => raw.hmac_auth = optional(v, at, hmac_auth)?,
            "oauth2" => raw.oauth2 = optional(v, at, oauth2)?,
            "openid_connect" => raw.openid_connect = optional(v, at, empty)?,
            "ldap_auth" => raw.ldap_auth = optional(v, at, ldap_auth)?,
            "session" => raw.session = optional(v, at, session)?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(raw)
}

fn empty(v: Json, at: &At<'_>) -> Result<Empty, ConfigError> {
    members(v, at, "there are no fields", &mut |_, _, _| Ok(false))?;
    Ok(Empty {})
}

fn key_auth(v: Json, at: &At<'_>) -> Result<RawKeyAuth, ConfigError> {
    let mut raw = RawKeyAuth::default();
    members(v, at, KEY_AUTH_FIELDS, &mut |key, v, at| {
        match key {
            "key_names" => raw.key_names = strings(v, at)?,
            "key_in_header" => raw.key_in_header = boolean(v, at)?,
            "key_in_query" => raw.key_in_query = boolean(v, at)?,
            "key_in_body" => raw.key_in_body = boolean(v, at)?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(raw)
}

fn jwt(v: Json, at: &At<'_>) -> Result<RawJwt, ConfigError> {
    let mut raw = RawJwt::default();
    members(v, at, JWT_FIELDS, &mut |key, v, at| {
        match key {
            "header_names" => raw.header_names = strings(v, at)?,
            "uri_param_names" => raw.uri_param_names = strings(v, at)?,
            "cookie_names" => raw.cookie_names = strings(v, at)?,
            "key_claim_name" => raw.key_claim_name = string(v, at)?,
            "claims_to_verify" => {
                raw.claims_to_verify = list(v, at, &mut |v, at| variant(v, at, CLAIMS))?
            }
            "maximum_expiration" => raw.maximum_expiration = integer(v, at, u64::MAX)?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(raw)
}

fn hmac_auth(v: Json, at: &At<'_>) -> Result<RawHmacAuth, ConfigError> {
    let mut raw = RawHmacAuth::default();
    members(v, at, "expected `clock_skew`", &mut |key, v, at| {
        match key {
            "clock_skew" => raw.clock_skew = integer(v, at, u64::MAX)?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(raw)
}

fn oauth2(v: Json, at: &At<'_>) -> Result<RawOauth2, ConfigError> {
    let mut raw = RawOauth2::default();
    members(v, at, "expected `auth_header_name`", &mut |key, v, at| {
        match key {
            "auth_header_name" => raw.auth_header_name = string(v, at)?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(raw)
}

fn ldap_auth(v: Json, at: &At<'_>) -> Result<RawLdapAuth, ConfigError> {
    let mut raw = RawLdapAuth::default();
    members(
        v,
        at,
        "expected `header_type` or `realm`",
        &mut |key, v, at| {
            match key {
                "header_type" => raw.header_type = string(v, at)?,
                "realm" => raw.realm = optional(v, at, string)?,
                _ => return Ok(false),
            }
            Ok(true)
        },
    )?;
    Ok(raw)
}

fn session(v: Json, at: &At<'_>) -> Result<RawSession, ConfigError> {
    let mut raw = RawSession::default();
    members(v, at, "expected `cookie_name`", &mut |key, v, at| {
        match key {
            "cookie_name" => raw.cookie_name = string(v, at)?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(raw)
}

/// Where a value sits in the document: a chain on the stack, written out only for an error.
enum At<'a> {
    /// The document itself.
    Root,
    /// A member of the object at the first.
    Key(&'a At<'a>, &'a str),
    /// An element of the list at the first.
    Index(&'a At<'a>, usize),
}

impl At<'_> {
    /// `auth.jwt.claims_to_verify[0]`, or `.` for the document itself.
    fn text(&self) -> String {
        match self {
            At::Root => ".".into(),
            At::Key(At::Root, key) => child("", key),
            At::Key(parent, key) => child(&parent.text(), key),
            At::Index(parent, i) => item(&parent.text(), *i),
        }
    }
}

/// A parse error at `field`.
fn refused(field: String, problem: impl Into<String>) -> ConfigError {
    ConfigError::Parse {
        field,
        problem: problem.into(),
    }
}

/// A value of the wrong kind. The value itself is never quoted: it may be a secret (`token`).
fn wrong_type(v: &Json, at: &At<'_>, expected: &str) -> ConfigError {
    refused(
        at.text(),
        format!("invalid type: {}, expected {expected}", v.kind()),
    )
}

/// Hands each member of the object `v` (at path `at`) to `member`, which reads a field it knows
/// and answers `false` for one it does not: an unknown field is refused, with `expected` (the
/// known ones) in the error, and so is a repeated one. A member's path (`at` then the key) is
/// written only for an error.
fn members(
    v: Json,
    at: &At<'_>,
    expected: &str,
    member: &mut dyn FnMut(&str, Json, &At<'_>) -> Result<bool, ConfigError>,
) -> Result<(), ConfigError> {
    let Json::Object(mut fields) = v else {
        return Err(refused(at.text(), "must be a JSON object"));
    };
    for i in 0..fields.len() {
        let (done, rest) = fields.split_at_mut(i);
        let Some((key, value)) = rest.first_mut() else {
            break;
        };
        let path = At::Key(at, key);
        if !member(key, std::mem::replace(value, Json::Null), &path)? {
            // Known names are printable: an unprintable one is unknown, and named printably.
            let name = printable(key, 64);
            return Err(refused(
                path.text(),
                format!("unknown field `{name}`, {expected}"),
            ));
        }
        if done.iter().any(|(k, _)| k == key) {
            return Err(refused(path.text(), format!("duplicate field `{key}`")));
        }
    }
    Ok(())
}

/// `null` is absent; anything else is read by `read`.
fn optional<T>(
    v: Json,
    at: &At<'_>,
    read: fn(Json, &At<'_>) -> Result<T, ConfigError>,
) -> Result<Option<T>, ConfigError> {
    match v {
        Json::Null => Ok(None),
        v => read(v, at).map(Some),
    }
}

/// A JSON list, or `{}` for an empty one: Kong re-encodes a stored filter config with cjson,
/// which writes an empty list as an empty object.
fn list<T>(
    v: Json,
    at: &At<'_>,
    element: &mut dyn FnMut(Json, &At<'_>) -> Result<T, ConfigError>,
) -> Result<Vec<T>, ConfigError> {
    match v {
        Json::List(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| element(v, &At::Index(at, i)))
            .collect(),
        Json::Object(members) if members.is_empty() => Ok(Vec::new()),
        Json::Object(_) => Err(refused(
            at.text(),
            "expected a list, found an object (only `{}` stands for an empty list)",
        )),
        v => Err(wrong_type(&v, at, "a list")),
    }
}

fn strings(v: Json, at: &At<'_>) -> Result<Vec<String>, ConfigError> {
    list(v, at, &mut |v, at| string(v, at))
}

fn string(v: Json, at: &At<'_>) -> Result<String, ConfigError> {
    match v {
        Json::Str(s) => Ok(s),
        v => Err(wrong_type(&v, at, "a string")),
    }
}

fn boolean(v: Json, at: &At<'_>) -> Result<bool, ConfigError> {
    match v {
        Json::Bool(b) => Ok(b),
        v => Err(wrong_type(&v, at, "a boolean")),
    }
}

/// A whole number from 0 to `max`, written without a fraction or an exponent: `30.0` and `3e1`
/// are refused (cjson re-encodes Kong's integers without either; tests/config-fixtures/README.md).
fn integer(v: Json, at: &At<'_>, max: u64) -> Result<u64, ConfigError> {
    match v {
        Json::Integer(n) if n <= max => Ok(n),
        Json::Integer(n) => Err(refused(
            at.text(),
            format!("invalid value: integer `{n}`, expected an integer from 0 to {max}"),
        )),
        v => Err(wrong_type(&v, at, "a whole number")),
    }
}

/// One of the strings in `names`, as its value.
fn variant<T: Copy>(v: Json, at: &At<'_>, names: &[(&str, T)]) -> Result<T, ConfigError> {
    let Json::Str(s) = v else {
        return Err(wrong_type(&v, at, "a string"));
    };
    if let Some((_, value)) = names.iter().find(|(name, _)| *name == s) {
        return Ok(*value);
    }
    let mut expected = String::new();
    for (i, (name, _)) in names.iter().enumerate() {
        expected.push_str(if i == 0 { "`" } else { "`, `" });
        expected.push_str(name);
    }
    Err(refused(
        at.text(),
        format!(
            "unknown variant `{}`, expected one of {expected}`",
            printable(&s, 64)
        ),
    ))
}
