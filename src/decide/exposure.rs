//! How much of a diagnosis the client is shown (SPEC section 4). The log line always carries
//! everything; the header and the enforce body carry the detail only for a trusted caller.

use crate::decide::config::{Config, Expose};
use crate::diagnosis::{Code, Diagnosis};
use crate::output::header::{self, Member};
use std::borrow::Cow;
use std::net::IpAddr;

/// What the client is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Code, plugin, where, and a hint fixed per code.
    Summary,
    /// The detail and the specific hint too: what the log line says.
    Full,
}

/// The tier for this request, `None` when the client is shown nothing (`expose = "never"`).
/// `client` is the address Kong sees (after its own `trusted_ips`), as `source.address` gives it.
pub fn tier(config: &Config, token_matched: bool, client: Option<IpAddr>) -> Option<Tier> {
    let trusted = || client.is_some_and(|ip| config.expose_to.iter().any(|c| c.contains(ip)));
    match config.expose {
        Expose::Never => None,
        Expose::Full => Some(Tier::Full),
        Expose::Token if token_matched => Some(Tier::Full),
        Expose::Summary | Expose::Token if trusted() => Some(Tier::Full),
        Expose::Summary | Expose::Token => Some(Tier::Summary),
    }
}

/// The diagnoses as a client at `tier` may see them. A summary keeps the code, the plugin and
/// where the problem sits, and swaps the hint for the code's fixed one; nothing in it comes from
/// the request, the host or the config but `places`, the credential names and schemes the route
/// accepts.
pub fn shown<'a>(diagnoses: &'a [Diagnosis], tier: Tier, places: &str) -> Cow<'a, [Diagnosis]> {
    match tier {
        Tier::Full => Cow::Borrowed(diagnoses),
        Tier::Summary => Cow::Owned(
            diagnoses
                .iter()
                .map(|d| Diagnosis {
                    code: d.code,
                    plugin: d.plugin,
                    at: d.at,
                    detail: String::new(),
                    hint: summary_hint(d.code, places).into(),
                })
                .collect(),
        ),
    }
}

/// [`write_header_value`] into a new value; `None` when there is nothing to say.
#[cfg(test)]
pub fn header_value(diagnoses: &[Diagnosis], tier: Tier, places: &str) -> Option<String> {
    let mut out = String::new();
    write_header_value(&mut out, diagnoses, tier, places).then_some(out)
}

/// The header as a client at `tier` sees it, written into `out` (cleared first; the glue's kept
/// buffer): what `header::serialize(&shown(..))` writes, the summary without a copy of every
/// diagnosis and its hint (this runs on every summary 401). `false` when there is nothing to say.
pub fn write_header_value(
    out: &mut String,
    diagnoses: &[Diagnosis],
    tier: Tier,
    places: &str,
) -> bool {
    match tier {
        Tier::Full => header::serialize_members_into(out, diagnoses.iter().map(header::member)),
        Tier::Summary => header::serialize_members_into(
            out,
            diagnoses.iter().map(|d| {
                let (hint, with_places) = fixed_hint(d.code);
                Member {
                    diagnosis: d,
                    detail: "",
                    hint: if with_places {
                        [hint, ": ", places]
                    } else {
                        [hint, "", ""]
                    },
                    // The fixed hint and ": " are plain (every_code_has_a_plain_hint); `places`
                    // is read.
                    plain: 2,
                }
            }),
        ),
    }
}

fn summary_hint(code: Code, places: &str) -> String {
    let (hint, with_places) = fixed_hint(code);
    if !with_places {
        return hint.to_string();
    }
    // Pushed, not `format!`ed: this runs for every diagnosis of every summary 401, and
    // core::fmt costs several times the copy in wasm.
    let mut out = String::with_capacity(hint.len() + 2 + places.len());
    out.push_str(hint);
    out.push_str(": ");
    out.push_str(places);
    out
}

/// One hint per code, the same for every request; `true` when the route's accepted places
/// complete it.
fn fixed_hint(code: Code) -> (&'static str, bool) {
    match code {
        Code::PreflightRejected => ("browsers send no credentials on a CORS preflight: the API must let OPTIONS through without authentication", false),
        Code::CredentialsHidden => ("the service behind the gateway wants a credential the gateway does not pass on: ask the API's operators", false),
        Code::StrippedByProxy => ("a proxy between you and the gateway removed the credential: have it pass the credential on, then send it where the route reads it", true),
        Code::NoCredentials => ("send a credential where the route reads it", true),
        Code::CredentialPlaceholder => ("the credential is a placeholder: send the real value", false),
        Code::CredentialMalformed => ("send the credential without quotes, spaces, control or non-ASCII characters", false),
        Code::JwtMalformed => ("send the whole token: three base64url parts joined by dots", false),
        Code::JwtAlgUnsupported => ("sign the token with an algorithm the gateway accepts (HS256, RS256, ES256 and the like; never none)", false),
        Code::JwtExpired => ("get a new token", false),
        Code::JwtNotYetValid => ("the token is not valid yet: wait for its nbf, or check the issuer's clock", false),
        Code::JwtClaimMissing => ("get a token with the claims the route requires", false),
        Code::JwtClaimInvalid => ("get a token whose exp and nbf are numbers and whose key claim is a string", false),
        Code::JwtLifetimeTooLong => ("get a token with a shorter lifetime", false),
        Code::BasicMalformed => ("send base64 of user:password after the scheme the route reads", true),
        Code::HmacDateSkew => ("send a Date or X-Date header from a synchronised clock", false),
        Code::DuplicateCredentials => ("send the credential once, in one place", false),
        Code::SchemeMismatch => ("use the scheme the route accepts", true),
        Code::CredentialWrongName => ("send the credential under a name the route reads", true),
        Code::CredentialWrongLocation => ("send the credential where the route reads it", true),
        Code::UpstreamRejected => ("the service behind the gateway refused the request: see its WWW-Authenticate header", false),
        Code::CredentialNotRecognized => ("the credential is well-formed but the gateway does not know it: check it, or ask the API's operators with the request id", false),
        Code::ForwardedProtoHttp => ("call the API over https", false),
        Code::HostMismatch => ("call the API by its documented host name", false),
        Code::ForwardedUntrusted => ("the gateway ignores forwarding headers from the proxy in front of it: ask the API's operators", false),
        Code::AnonymousConsumer => ("send a valid credential where the route reads it", true),
        Code::Unknown => ("ask the API's operators with the request id: the gateway's log has the whole diagnosis", false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::config::load;
    use crate::diagnosis::{At, Plugin};

    fn config(json: &str) -> Config {
        load(json.as_bytes()).unwrap()
    }

    #[test]
    fn tiers() {
        let v4 = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        let table: &[(&str, bool, Option<IpAddr>, Option<Tier>)] = &[
            ("{}", false, v4("203.0.113.9"), Some(Tier::Summary)),
            ("{}", false, None, Some(Tier::Summary)),
            (r#"{"expose":"full"}"#, false, None, Some(Tier::Full)),
            (r#"{"expose":"never"}"#, true, None, None),
            (
                r#"{"expose":"never","expose_to":["0.0.0.0/0"]}"#,
                false,
                v4("10.0.0.1"),
                None,
            ),
            (
                r#"{"expose":"token","token":"t0k3n-long"}"#,
                true,
                None,
                Some(Tier::Full),
            ),
            (
                r#"{"expose":"token","token":"t0k3n-long"}"#,
                false,
                None,
                Some(Tier::Summary),
            ),
            (
                r#"{"expose_to":["10.0.0.0/8"]}"#,
                false,
                v4("10.1.2.3"),
                Some(Tier::Full),
            ),
            (
                r#"{"expose_to":["10.0.0.0/8"]}"#,
                false,
                v4("11.1.2.3"),
                Some(Tier::Summary),
            ),
            (
                r#"{"expose_to":["10.0.0.0/8"]}"#,
                false,
                None,
                Some(Tier::Summary),
            ),
            (
                r#"{"expose_to":["2001:db8::/32"]}"#,
                false,
                v4("2001:db8::7"),
                Some(Tier::Full),
            ),
            (
                r#"{"expose":"token","token":"t0k3n-long","expose_to":["10.0.0.0/8"]}"#,
                false,
                v4("10.9.9.9"),
                Some(Tier::Full),
            ),
        ];
        for (json, token, client, expected) in table {
            assert_eq!(
                tier(&config(json), *token, *client),
                *expected,
                "{json} {client:?}"
            );
        }
    }

    #[test]
    fn a_summary_holds_nothing_from_the_request() {
        let c = config(r#"{"auth":{"key_auth":{"key_names":["apikey"]}}}"#);
        let diagnoses = vec![
            Diagnosis::new(
                Code::StrippedByProxy,
                "no credential; BIGipServerpool_internal cookie from 10.0.0.8",
                "ask the F5 team to keep Authorization",
            )
            .at(At::Proxy),
            Diagnosis::new(
                Code::CredentialNotRecognized,
                "consumer alice",
                "curl localhost:8001",
            )
            .plugin(Plugin::KeyAuth)
            .at(At::Kong),
        ];
        let summary = shown(&diagnoses, Tier::Summary, &c.places);
        assert_eq!(summary.len(), 2);
        for (s, d) in summary.iter().zip(&diagnoses) {
            assert_eq!((s.code, s.plugin, s.at), (d.code, d.plugin, d.at));
            assert!(s.detail.is_empty());
            assert_eq!(s.hint, summary_hint(d.code, &c.places));
            for secret in ["BIGip", "10.0.0.8", "alice", "8001", "F5"] {
                assert!(!s.hint.contains(secret), "{secret} in {}", s.hint);
            }
        }
        assert!(summary[0]
            .hint
            .ends_with(": header apikey or query apikey (key-auth)"));
        assert_eq!(
            shown(&diagnoses, Tier::Full, &c.places).as_ref(),
            diagnoses.as_slice()
        );
    }

    #[test]
    fn the_header_value_is_the_shown_diagnoses_serialized() {
        let c = config(r#"{"auth":{"key_auth":{"key_names":["apikey"]}}}"#);
        let long = "z".repeat(700);
        let cases: Vec<Vec<Diagnosis>> = vec![
            vec![],
            Code::ALL
                .iter()
                .map(|&code| Diagnosis::new(code, "a \"detail\"", "a hint").at(At::Client))
                .collect(),
            vec![
                Diagnosis::new(Code::NoCredentials, long.clone(), long.clone()),
                Diagnosis::new(Code::JwtExpired, "exp", "h").plugin(Plugin::Jwt),
            ],
        ];
        for diagnoses in &cases {
            for t in [Tier::Summary, Tier::Full] {
                assert_eq!(
                    header_value(diagnoses, t, &c.places),
                    header::serialize(&shown(diagnoses, t, &c.places)),
                    "{t:?}"
                );
            }
        }
    }

    #[test]
    fn every_code_has_a_plain_hint() {
        // Plain: written into the header without being read (Member::plain).
        for code in Code::ALL {
            let (hint, _) = fixed_hint(code);
            assert!(!hint.is_empty(), "{code:?}");
            assert!(
                hint.bytes()
                    .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\'),
                "{code:?}: {hint}"
            );
        }
    }
}
