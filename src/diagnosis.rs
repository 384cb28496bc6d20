//! A diagnosis: a code from SPEC section 5 with where the problem sits and what to do.

use std::borrow::Cow;

/// Diagnosis codes, declared from most to least likely cause: the header lists them in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// A CORS preflight got the 401.
    PreflightRejected,
    /// Kong authenticated a consumer and `hide_credentials` removed what the upstream wanted.
    CredentialsHidden,
    /// No credential, and the request came through an intermediary.
    StrippedByProxy,
    /// No credential anywhere.
    NoCredentials,
    /// A placeholder instead of a credential.
    CredentialPlaceholder,
    /// Empty, quoted, whitespace, control or non-ASCII characters.
    CredentialMalformed,
    /// Not a JWT.
    JwtMalformed,
    /// `alg` none or not one Kong accepts.
    JwtAlgUnsupported,
    /// `exp` passed.
    JwtExpired,
    /// `nbf` in the future.
    JwtNotYetValid,
    /// A required claim is absent.
    JwtClaimMissing,
    /// A claim has the wrong type.
    JwtClaimInvalid,
    /// Lifetime above `maximum_expiration`.
    JwtLifetimeTooLong,
    /// Basic (or ldap-auth) credentials that are not base64 `user:password`.
    BasicMalformed,
    /// hmac-auth Date missing or outside `clock_skew`.
    HmacDateSkew,
    /// More than one credential where Kong wants one.
    DuplicateCredentials,
    /// An Authorization scheme the route does not accept.
    SchemeMismatch,
    /// A credential under a name the route does not read.
    CredentialWrongName,
    /// A credential where the plugin does not look.
    CredentialWrongLocation,
    /// The upstream, not Kong, refused the request.
    UpstreamRejected,
    /// A well-formed credential that Kong did not recognise.
    CredentialNotRecognized,
    /// TLS ended before Kong although the route expects https.
    ForwardedProtoHttp,
    /// The request's host is not the one the route expects.
    HostMismatch,
    /// Forwarding headers from a peer Kong does not trust.
    ForwardedUntrusted,
    /// Kong fell back to the anonymous consumer (enforce).
    AnonymousConsumer,
    /// Nothing else fits.
    Unknown,
}

impl Code {
    /// Every code, in priority order (the log flood guard counts by it; the tests walk it).
    pub const ALL: [Code; 26] = [
        Code::PreflightRejected,
        Code::CredentialsHidden,
        Code::StrippedByProxy,
        Code::NoCredentials,
        Code::CredentialPlaceholder,
        Code::CredentialMalformed,
        Code::JwtMalformed,
        Code::JwtAlgUnsupported,
        Code::JwtExpired,
        Code::JwtNotYetValid,
        Code::JwtClaimMissing,
        Code::JwtClaimInvalid,
        Code::JwtLifetimeTooLong,
        Code::BasicMalformed,
        Code::HmacDateSkew,
        Code::DuplicateCredentials,
        Code::SchemeMismatch,
        Code::CredentialWrongName,
        Code::CredentialWrongLocation,
        Code::UpstreamRejected,
        Code::CredentialNotRecognized,
        Code::ForwardedProtoHttp,
        Code::HostMismatch,
        Code::ForwardedUntrusted,
        Code::AnonymousConsumer,
        Code::Unknown,
    ];

    /// The code as it appears in the header, the log line and the metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::PreflightRejected => "preflight-rejected",
            Code::CredentialsHidden => "credentials-hidden",
            Code::StrippedByProxy => "stripped-by-proxy",
            Code::NoCredentials => "no-credentials",
            Code::CredentialPlaceholder => "credential-placeholder",
            Code::CredentialMalformed => "credential-malformed",
            Code::JwtMalformed => "jwt-malformed",
            Code::JwtAlgUnsupported => "jwt-alg-unsupported",
            Code::JwtExpired => "jwt-expired",
            Code::JwtNotYetValid => "jwt-not-yet-valid",
            Code::JwtClaimMissing => "jwt-claim-missing",
            Code::JwtClaimInvalid => "jwt-claim-invalid",
            Code::JwtLifetimeTooLong => "jwt-lifetime-too-long",
            Code::BasicMalformed => "basic-malformed",
            Code::HmacDateSkew => "hmac-date-skew",
            Code::DuplicateCredentials => "duplicate-credentials",
            Code::SchemeMismatch => "scheme-mismatch",
            Code::CredentialWrongName => "credential-wrong-name",
            Code::CredentialWrongLocation => "credential-wrong-location",
            Code::UpstreamRejected => "upstream-rejected",
            Code::CredentialNotRecognized => "credential-not-recognized",
            Code::ForwardedProtoHttp => "forwarded-proto-http",
            Code::HostMismatch => "host-mismatch",
            Code::ForwardedUntrusted => "forwarded-untrusted",
            Code::AnonymousConsumer => "anonymous-consumer",
            Code::Unknown => "unknown",
        }
    }
}

/// The Kong auth plugin a diagnosis concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Plugin {
    /// key-auth.
    KeyAuth,
    /// jwt.
    Jwt,
    /// basic-auth.
    BasicAuth,
    /// hmac-auth.
    HmacAuth,
    /// oauth2.
    Oauth2,
    /// openid-connect.
    OpenidConnect,
    /// ldap-auth.
    LdapAuth,
    /// session: it never answers 401 itself; the auth plugin behind it does, once the session
    /// cookie no longer authenticates.
    Session,
}

impl Plugin {
    /// Kong's plugin name.
    pub fn as_str(self) -> &'static str {
        match self {
            Plugin::KeyAuth => "key-auth",
            Plugin::Jwt => "jwt",
            Plugin::BasicAuth => "basic-auth",
            Plugin::HmacAuth => "hmac-auth",
            Plugin::Oauth2 => "oauth2",
            Plugin::OpenidConnect => "openid-connect",
            Plugin::LdapAuth => "ldap-auth",
            Plugin::Session => "session",
        }
    }
}

/// Where the problem sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// The caller sent the wrong thing.
    Client,
    /// Something between the caller and Kong.
    Proxy,
    /// Kong's configuration.
    Kong,
    /// The service behind Kong.
    Upstream,
}

impl At {
    /// Token form.
    pub fn as_str(self) -> &'static str {
        match self {
            At::Client => "client",
            At::Proxy => "proxy",
            At::Kong => "kong",
            At::Upstream => "upstream",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    /// What went wrong.
    pub code: Code,
    /// Which plugin it concerns, when one does.
    pub plugin: Option<Plugin>,
    /// Where the problem sits.
    pub at: Option<At>,
    /// One sentence of facts: what was seen, what was expected.
    pub detail: String,
    /// The next step: most hints are fixed sentences, borrowed rather than copied (a copy per
    /// diagnosis that the log line's mode then clears costs on every 401).
    pub hint: Cow<'static, str>,
}

impl Diagnosis {
    /// A finding with its code, detail and hint.
    pub fn new(code: Code, detail: impl Into<String>, hint: impl Into<Cow<'static, str>>) -> Self {
        Diagnosis {
            code,
            plugin: None,
            at: None,
            detail: detail.into(),
            hint: hint.into(),
        }
    }

    /// Names the plugin.
    pub fn plugin(mut self, plugin: Plugin) -> Self {
        self.plugin = Some(plugin);
        self
    }

    /// Names the plugin when there is one.
    pub fn maybe_plugin(mut self, plugin: Option<Plugin>) -> Self {
        self.plugin = plugin;
        self
    }

    /// Says where the problem sits.
    pub fn at(mut self, at: At) -> Self {
        self.at = Some(at);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_sorted_and_complete() {
        let mut sorted = Code::ALL;
        sorted.sort();
        assert_eq!(sorted, Code::ALL);
        let mut names: Vec<_> = Code::ALL.iter().map(|c| c.as_str()).collect();
        names.dedup();
        assert_eq!(names.len(), Code::ALL.len());
        assert!(names
            .iter()
            .all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')));
    }
}
