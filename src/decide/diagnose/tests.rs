//! Table-driven cases for the decision: each row fires one code, and most have a near case that
//! must not.

use super::*;
use crate::decide::config::load;
use crate::parse::jwt::tests::token;
use crate::parse::request::Headers;

const NOW: i64 = 1_764_331_200;

struct Case {
    name: &'static str,
    config: &'static str,
    method: &'static str,
    path: &'static str,
    scheme: &'static str,
    peer: &'static str,
    headers: Vec<(&'static str, String)>,
    /// `None`: enforce decides before any response.
    status: Option<u16>,
    response_headers: Vec<(&'static str, &'static str)>,
    upstream_status: Option<&'static str>,
    anonymous: bool,
    /// The host answers ngx.kong_request_id.
    ngx: bool,
    expected: Vec<Code>,
}

fn case(name: &'static str, expected: Vec<Code>) -> Case {
    Case {
        name,
        config: "{}",
        method: "GET",
        path: "/orders",
        scheme: "https",
        peer: "10.0.0.8",
        headers: Vec::new(),
        status: Some(401),
        response_headers: Vec::new(),
        upstream_status: None,
        anonymous: false,
        ngx: false,
        expected,
    }
}

impl Case {
    fn config(mut self, c: &'static str) -> Self {
        self.config = c;
        self
    }
    fn header(mut self, n: &'static str, v: impl Into<String>) -> Self {
        self.headers.push((n, v.into()));
        self
    }
    fn method(mut self, m: &'static str) -> Self {
        self.method = m;
        self
    }
    fn scheme(mut self, s: &'static str) -> Self {
        self.scheme = s;
        self
    }
    fn path(mut self, p: &'static str) -> Self {
        self.path = p;
        self
    }
    fn upstream(mut self, www: Option<&'static str>) -> Self {
        self.upstream_status = Some("401");
        if let Some(w) = www {
            self.response_headers.push(("www-authenticate", w));
        }
        self
    }
    fn www(mut self, challenge: &'static str) -> Self {
        self.response_headers.push(("www-authenticate", challenge));
        self
    }
    fn kong(mut self) -> Self {
        self.response_headers.push(("x-kong-response-latency", "1"));
        self
    }
    fn response_header(mut self, n: &'static str, v: &'static str) -> Self {
        self.response_headers.push((n, v));
        self
    }
    fn ngx(mut self) -> Self {
        self.ngx = true;
        self
    }
    fn anonymous(mut self) -> Self {
        self.anonymous = true;
        self.status = None;
        self
    }

    fn run(&self) -> Verdict {
        self.run_in(&mut Lists::default())
    }

    fn run_in(&self, lists: &mut Lists) -> Verdict {
        let config = load(self.config.as_bytes()).unwrap();
        let request = Request {
            method: self.method.into(),
            path: self.path.into(),
            scheme: self.scheme.into(),
            authority: "api.example.com".into(),
            headers: Headers::from_pairs(
                self.headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())),
            ),
            peer: self.peer.parse().ok(),
            ..Request::default()
        };
        let response = self.status.map(|status| Response {
            status,
            headers: Headers::from_pairs(
                self.response_headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())),
            ),
            upstream_status: self.upstream_status.map(String::from),
            ngx_answered: self.ngx.then_some("ngx.kong_request_id"),
        });
        diagnose_in(
            &Input {
                config: &config,
                request: &request,
                response: response.as_ref(),
                now: NOW,
                anonymous: self.anonymous,
                sentences: Sentences::All,
            },
            lists,
        )
    }
}

fn jwt(payload: &str) -> String {
    token(r#"{"alg":"HS256","typ":"JWT"}"#, payload)
}

fn valid() -> String {
    jwt(&format!(r#"{{"iss":"orders-app","exp":{}}}"#, NOW + 3600))
}

const LDAP: &str = r#"{"auth":{"ldap_auth":{}}}"#;
const LDAP_CORP: &str = r#"{"auth":{"ldap_auth":{"header_type":"corp"}}}"#;
const SESSION_KEY: &str = r#"{"auth":{"session":{},"key_auth":{}}}"#;

fn b64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

fn cases() -> Vec<Case> {
    use Code::*;
    vec![
        case("nothing at all", vec![NoCredentials]).kong(),
        case("stripped behind an F5", vec![StrippedByProxy])
            .header("x-forwarded-for", "203.0.113.9")
            .header("cookie", "BIGipServerpool=1.2.3")
            .upstream(Some("Bearer")),
        case("stripped behind CloudFront", vec![StrippedByProxy]).header("x-amz-cf-id", "abc").kong(),
        case("preflight", vec![PreflightRejected])
            .method("OPTIONS")
            .header("origin", "https://app.example.com")
            .header("access-control-request-method", "POST")
            .kong(),
        case("OPTIONS without preflight headers is not one", vec![NoCredentials])
            .method("OPTIONS")
            .header("origin", "https://app.example.com")
            .kong(),
        case("hidden by hide_credentials", vec![CredentialsHidden])
            .header("x-consumer-username", "orders-app")
            .header("x-consumer-id", "7d3f")
            .upstream(Some("Bearer")),
        case("anonymous consumer is not hidden credentials", vec![NoCredentials])
            .header("x-consumer-username", "anonymous")
            .header("x-anonymous-consumer", "true")
            .kong(),
        case("placeholder key", vec![CredentialPlaceholder]).header("apikey", "${API_KEY}").kong(),
        case("placeholder bearer", vec![CredentialPlaceholder]).header("authorization", "Bearer undefined").kong(),
        case("quoted key", vec![CredentialMalformed]).header("apikey", "\"k3y-9f8e7d6c5b4a\"").kong(),
        case("empty authorization", vec![CredentialMalformed]).header("authorization", "  ").kong(),
        case("bearer without a token", vec![CredentialMalformed]).header("authorization", "Bearer").kong(),
        case("key with a space", vec![CredentialMalformed]).header("apikey", "k3y 9f8e7d6c").kong(),
        case("jwt of garbage", vec![JwtMalformed])
            .config(r#"{"auth":{"jwt":{}}}"#)
            .header("authorization", "Bearer not-a-jwt")
            .kong(),
        case("opaque bearer is fine for oauth2", vec![CredentialNotRecognized])
            .header("authorization", "Bearer 4f9c2a7e1b")
            .kong(),
        case("jwt with bad base64 payload", vec![JwtMalformed])
            .header("authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.!!!.x")
            .kong(),
        case("alg none", vec![JwtAlgUnsupported])
            .header("authorization", format!("Bearer {}", token(r#"{"alg":"none"}"#, r#"{"iss":"a"}"#)))
            .kong(),
        case("alg HS1 under Kong's jwt", vec![JwtAlgUnsupported])
            .config(r#"{"auth":{"jwt":{}}}"#)
            .header("authorization", format!("Bearer {}", token(r#"{"alg":"HS1"}"#, r#"{"iss":"a"}"#)))
            .kong(),
        case("expired an hour ago", vec![JwtExpired])
            .header("authorization", format!("Bearer {}", jwt(&format!(r#"{{"iss":"a","exp":{}}}"#, NOW - 3600))))
            .kong(),
        case("expired four seconds ago", vec![JwtExpired])
            .header("authorization", format!("Bearer {}", jwt(&format!(r#"{{"iss":"a","exp":{}}}"#, NOW - 4))))
            .kong(),
        case("expires in four seconds: not expired", vec![CredentialNotRecognized])
            .header("authorization", format!("Bearer {}", jwt(&format!(r#"{{"iss":"a","exp":{}}}"#, NOW + 4))))
            .kong(),
        case("expired, but Kong's jwt does not verify exp", vec![CredentialNotRecognized])
            .config(r#"{"auth":{"jwt":{}}}"#)
            .header("authorization", format!("Bearer {}", jwt(&format!(r#"{{"iss":"a","exp":{}}}"#, NOW - 60))))
            .kong(),
        case("key claim in the JOSE header", vec![CredentialNotRecognized])
            .config(r#"{"auth":{"jwt":{"key_claim_name":"kid"}}}"#)
            .header("authorization", format!("Bearer {}", token(r#"{"alg":"HS256","kid":"k1"}"#, r#"{"sub":"a"}"#)))
            .kong(),
        case("empty key claim", vec![JwtClaimInvalid])
            .config(r#"{"auth":{"jwt":{}}}"#)
            .header("authorization", format!("Bearer {}", jwt(r#"{"iss":""}"#)))
            .kong(),
        case("not yet valid", vec![JwtNotYetValid])
            .header("authorization", format!("Bearer {}", jwt(&format!(r#"{{"iss":"a","nbf":{}}}"#, NOW + 30))))
            .kong(),
        case("nbf in the past is fine", vec![CredentialNotRecognized])
            .header("authorization", format!("Bearer {}", jwt(&format!(r#"{{"iss":"a","nbf":{}}}"#, NOW - 30))))
            .kong(),
        case("no iss for Kong's jwt", vec![JwtClaimMissing])
            .config(r#"{"auth":{"jwt":{}}}"#)
            .header("authorization", format!("Bearer {}", jwt(r#"{"sub":"a"}"#)))
            .kong(),
        case("exp required by claims_to_verify", vec![JwtClaimMissing])
            .config(r#"{"auth":{"jwt":{"claims_to_verify":["exp"]}}}"#)
            .header("authorization", format!("Bearer {}", jwt(r#"{"iss":"a"}"#)))
            .kong(),
        case("exp as a string", vec![JwtClaimInvalid])
            .header("authorization", format!("Bearer {}", jwt(r#"{"iss":"a","exp":"tomorrow"}"#)))
            .kong(),
        case("iss as a number", vec![JwtClaimInvalid])
            .config(r#"{"auth":{"jwt":{}}}"#)
            .header("authorization", format!("Bearer {}", jwt(r#"{"iss":42}"#)))
            .kong(),
        case("lifetime too long", vec![JwtLifetimeTooLong])
            .config(r#"{"auth":{"jwt":{"claims_to_verify":["exp"],"maximum_expiration":3600}}}"#)
            .header("authorization", format!("Bearer {}", jwt(&format!(r#"{{"iss":"a","exp":{}}}"#, NOW + 86_400))))
            .kong(),
        case("lifetime within maximum", vec![CredentialNotRecognized])
            .config(r#"{"auth":{"jwt":{"claims_to_verify":["exp"],"maximum_expiration":7200}}}"#)
            .header("authorization", format!("Bearer {}", valid()))
            .kong(),
        case("basic not base64", vec![BasicMalformed]).header("authorization", "Basic user:pass").kong(),
        case("basic without colon", vec![BasicMalformed]).header("authorization", "Basic dXNlcnBhc3M=").kong(),
        case("basic well-formed", vec![CredentialNotRecognized]).header("authorization", "Basic dXNlcjpwYXNz").kong(),
        case("hmac without date", vec![HmacDateSkew])
            .header("authorization", "hmac username=\"alice\", algorithm=\"hmac-sha256\", headers=\"date\", signature=\"c2ln\"")
            .kong(),
        case("hmac date ten minutes off", vec![HmacDateSkew])
            .header("authorization", "hmac username=\"alice\", algorithm=\"hmac-sha256\", headers=\"date\", signature=\"c2ln\"")
            .header("date", "Fri, 28 Nov 2025 11:50:00 GMT")
            .kong(),
        case("hmac date one minute off", vec![CredentialNotRecognized])
            .header("authorization", "hmac username=\"alice\", algorithm=\"hmac-sha256\", headers=\"date\", signature=\"c2ln\"")
            .header("date", "Fri, 28 Nov 2025 11:59:00 GMT")
            .kong(),
        case("the same key header twice", vec![DuplicateCredentials])
            .header("apikey", "k3y-9f8e7d6c")
            .header("apikey", "k3y-9f8e7d6c")
            .kong(),
        case("two different tokens for jwt", vec![DuplicateCredentials])
            .config(r#"{"auth":{"jwt":{}}}"#)
            .path("/orders?jwt=eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJiIn0.c2ln")
            .header("authorization", format!("Bearer {}", valid()))
            .kong(),
        case("one token is not a duplicate", vec![CredentialNotRecognized])
            .config(r#"{"auth":{"jwt":{}}}"#)
            .path("/orders")
            .header("authorization", format!("Bearer {}", valid()))
            .header("x-ignored", "1")
            .kong(),
        case("key in header and query: the header wins", vec![CredentialNotRecognized])
            .config(r#"{"auth":{"key_auth":{}}}"#)
            .path("/orders?apikey=k3y-9f8e7d6c")
            .header("apikey", "k3y-9f8e7d6c")
            .kong(),
        case("BEARER for jwt", vec![SchemeMismatch])
            .config(r#"{"auth":{"jwt":{}}}"#)
            .header("authorization", format!("BEARER {}", valid()))
            .kong(),
        case("Token scheme", vec![SchemeMismatch])
            .config(r#"{"auth":{"jwt":{},"key_auth":{}}}"#)
            .header("authorization", "Token 4f9c2a7e1b")
            .kong(),
        case("Token scheme is oauth2's", vec![CredentialNotRecognized])
            .config(r#"{"auth":{"oauth2":{}}}"#)
            .header("authorization", "Token 4f9c2a7e1b")
            .kong(),
        case("no scheme", vec![SchemeMismatch]).header("authorization", valid()).kong(),
        case("x-api-key while key-auth reads apikey", vec![CredentialWrongName])
            .config(r#"{"auth":{"key_auth":{}}}"#)
            .header("x-api-key", "k3y-9f8e7d6c")
            .kong(),
case("x_api_key is not x-api-key for Kong", vec![CredentialWrongName])
            .config(r#"{"auth":{"key_auth":{"key_names":["x-api-key"]}}}"#)
            .header("X_Api_Key", "k3y-9f8e7d6c")
            .kong(),
        case("key_names x_api_key reads x-api-key", vec![CredentialNotRecognized])
            .config(r#"{"auth":{"key_auth":{"key_names":["x_api_key"]}}}"#)
            .header("X-Api-Key", "k3y-9f8e7d6c")
            .kong(),
        case("bearer while only key-auth is on", vec![CredentialWrongName])
            .config(r#"{"auth":{"key_auth":{}}}"#)
            .header("authorization", format!("Bearer {}", valid()))
            .kong(),
        case("a literal + in a query key arrives as a space", vec![CredentialMalformed])
            .config(r#"{"auth":{"key_auth":{}}}"#)
            .path("/orders?apikey=k3y+9f8e7d6c")
            .kong(),
        case("the same key percent-encoded is read whole", vec![CredentialNotRecognized])
            .config(r#"{"auth":{"key_auth":{}}}"#)
            .path("/orders?apikey=k3y%2B9f8e7d6c")
            .kong(),
        case("a percent-encoded key name is the name Kong reads", vec![CredentialNotRecognized])
            .config(r#"{"auth":{"key_auth":{"key_names":["api_key"]}}}"#)
            .path("/orders?api%5Fkey=k3y-9f8e7d6c")
            .kong(),
        case("key in query with key_in_query off", vec![CredentialWrongLocation])
            .config(r#"{"auth":{"key_auth":{"key_in_query":false}}}"#)
            .path("/orders?apikey=k3y-9f8e7d6c")
            .kong(),
        case("jwt in a cookie jwt does not read", vec![CredentialWrongLocation])
            .config(r#"{"auth":{"jwt":{}}}"#)
            .header("cookie", format!("access={}", valid()))
            .kong(),
        case("jwt in a configured cookie", vec![CredentialNotRecognized])
            .config(r#"{"auth":{"jwt":{"cookie_names":["access"]}}}"#)
            .header("cookie", format!("access={}", valid()))
            .kong(),
        case("upstream refuses the token", vec![UpstreamRejected])
            .header("authorization", format!("Bearer {}", valid()))
            .upstream(Some(r#"Bearer error="invalid_token", error_description="The access token expired""#)),
        case("upstream refuses an expired token", vec![JwtExpired, UpstreamRejected])
            .header("authorization", format!("Bearer {}", jwt(&format!(r#"{{"iss":"a","exp":{}}}"#, NOW - 4))))
            .upstream(Some("Bearer error=\"invalid_token\"")),
        case("https expected, TLS ended at the LB", vec![CredentialNotRecognized, ForwardedProtoHttp, ForwardedUntrusted])
            .config(r#"{"require_https":true}"#)
            .scheme("http")
            .header("apikey", "k3y-9f8e7d6c")
            .header("x-forwarded-proto", "https")
            .kong(),
        case("wrong host", vec![CredentialNotRecognized, HostMismatch])
            .config(r#"{"expected_hosts":["orders.example.com"]}"#)
            .header("apikey", "k3y-9f8e7d6c")
            .kong(),
        case("forwarded from an untrusted peer", vec![CredentialNotRecognized, ForwardedUntrusted])
            .config(r#"{"trusted_ips":["192.168.0.0/16"]}"#)
            .header("apikey", "k3y-9f8e7d6c")
            .header("x-forwarded-proto", "https")
            .kong(),
        case("forwarded from a trusted peer", vec![CredentialNotRecognized])
            .config(r#"{"trusted_ips":["10.0.0.0/8"]}"#)
            .header("apikey", "k3y-9f8e7d6c")
            .header("x-forwarded-proto", "https")
            .kong(),
        case("enforce: anonymous without a key", vec![NoCredentials, AnonymousConsumer])
            .config(r#"{"mode":"enforce"}"#)
            .anonymous(),
        case("enforce: anonymous with a key Kong does not know", vec![CredentialNotRecognized, AnonymousConsumer])
            .config(r#"{"mode":"enforce"}"#)
            .header("apikey", "k3y-9f8e7d6c")
            .anonymous(),
        // Who answered without Kong's latency headers (issue 13): each sign alone.
        case("edge: key refused, Kong's Key challenge only", vec![CredentialNotRecognized])
            .config(r#"{"mode":"edge"}"#)
            .header("apikey", "k3y-9f8e7d6c")
            .response_header("www-authenticate", r#"Key realm="api""#),
        case("edge: key refused, Server kong only", vec![CredentialNotRecognized])
            .config(r#"{"mode":"edge"}"#)
            .header("apikey", "k3y-9f8e7d6c")
            .response_header("server", "kong/3.9.3"),
        case("edge: key refused, no upstream status where ngx answers", vec![CredentialNotRecognized])
            .config(r#"{"mode":"edge"}"#)
            .header("apikey", "k3y-9f8e7d6c")
            .ngx(),
        case("edge: Basic realm=service, well-formed", vec![CredentialNotRecognized])
            .config(r#"{"mode":"edge"}"#)
            .header("authorization", "Basic dXNlcjpwYXNzd29yZA==")
            .response_header("www-authenticate", r#"Basic realm="service""#),
        case("edge: Kong proxied (Via), upstream refused the key", vec![UpstreamRejected])
            .config(r#"{"mode":"edge","auth":{"key_auth":{}}}"#)
            .header("apikey", "k3y-9f8e7d6c")
            .response_header("via", "1.1 kong/3.9.3")
            .response_header("www-authenticate", "Key"),
        case("observe: Kong's forms are an upstream's there", vec![UpstreamRejected])
            .config(r#"{"mode":"observe","auth":{"key_auth":{}}}"#)
            .header("apikey", "k3y-9f8e7d6c")
            .response_header("www-authenticate", "Key"),
        // The key never reached Kong; a BIG-IP set its cookie on the 401.
        case("edge: BIG-IP cookie on the response", vec![StrippedByProxy])
            .config(r#"{"mode":"edge"}"#)
            .response_header("set-cookie", "BIGipServer~api~pool=1677787402.36895.0000; path=/")
            .kong(),
        // A route whose auth names no plugin: the upstream's challenge leads.
        case("observe: no Kong auth, nothing sent", vec![UpstreamRejected])
            .config(r#"{"mode":"observe","auth":{}}"#)
            .upstream(Some(r#"Bearer error="invalid_token", error_description="The access token expired""#)),
        case("observe: no Kong auth, expired JWT", vec![JwtExpired, UpstreamRejected])
            .config(r#"{"mode":"observe","auth":{}}"#)
            .header("authorization", format!("Bearer {}", jwt(&format!(r#"{{"iss":"a","exp":{}}}"#, NOW - 60))))
            .upstream(Some("Bearer")),
        // ldap-auth (kong/plugins/ldap-auth/access.lua, 3.9.3).
        case("Basic to an ldap-auth route", vec![SchemeMismatch])
            .config(LDAP)
            .header("authorization", format!("Basic {}", b64("einstein:password")))
            .kong(),
        case("ldap scheme, well-formed: the directory refused", vec![CredentialNotRecognized])
            .config(LDAP)
            .header("authorization", format!("ldap {}", b64("einstein:password")))
            .kong(),
        case("LDAP in capitals after spaces is ldap-auth's", vec![CredentialNotRecognized])
            .config(LDAP)
            .header("authorization", format!("   LDAP {}", b64("einstein:password")))
            .kong(),
        case("header_type changed on the route, not in the client", vec![SchemeMismatch])
            .config(LDAP_CORP)
            .header("authorization", format!("ldap {}", b64("einstein:password")))
            .kong(),
        case("the changed header_type sent", vec![CredentialNotRecognized])
            .config(LDAP_CORP)
            .header("authorization", format!("corp {}", b64("einstein:password")))
            .kong(),
        case("header_type basic reads Basic", vec![CredentialNotRecognized])
            .config(r#"{"auth":{"ldap_auth":{"header_type":"basic"}}}"#)
            .header("authorization", format!("Basic {}", b64("einstein:password")))
            .kong(),
        case("ldap without a colon", vec![BasicMalformed])
            .config(LDAP)
            .header("authorization", format!("ldap {}", b64("einsteinpassword")))
            .kong(),
        case("ldap not base64", vec![BasicMalformed])
            .config(LDAP)
            .header("authorization", "ldap einstein:password")
            .kong(),
        case("ldap with an empty password", vec![BasicMalformed])
            .config(LDAP)
            .header("authorization", format!("ldap {}", b64("einstein:")))
            .kong(),
        case("ldap without padding is what nginx decodes", vec![CredentialNotRecognized])
            .config(LDAP)
            .header("authorization", format!("ldap {}", b64("einstein:pw").trim_end_matches('=')))
            .kong(),
        case("ldap in Proxy-Authorization", vec![CredentialNotRecognized])
            .config(LDAP)
            .header("proxy-authorization", format!("ldap {}", b64("einstein:password")))
            .kong(),
        case("a proxy's Basic beside ldap in Authorization is no cause", vec![CredentialNotRecognized])
            .config(LDAP)
            .header("proxy-authorization", format!("Basic {}", b64("corp-proxy:proxypass")))
            .header("authorization", format!("ldap {}", b64("einstein:password")))
            .kong(),
        case("no credential on an ldap-auth route", vec![NoCredentials]).config(LDAP).kong(),
        case("ldap among Kong's defaults", vec![CredentialNotRecognized])
            .header("authorization", format!("ldap {}", b64("einstein:password")))
            .kong(),
        case("edge: ldap-auth's challenge says Kong answered", vec![CredentialNotRecognized])
            .config(r#"{"mode":"edge","auth":{"ldap_auth":{}}}"#)
            .header("authorization", format!("ldap {}", b64("einstein:password")))
            .www("LDAP"),
        case("edge: a challenge of no Kong form says nothing of who answered", vec![Unknown])
            .config(r#"{"mode":"edge","auth":{"ldap_auth":{}}}"#)
            .header("authorization", format!("ldap {}", b64("einstein:password")))
            .www("Negotiate"),
        case("enforce: ldap refused, anonymous", vec![CredentialNotRecognized, AnonymousConsumer])
            .config(r#"{"mode":"enforce","auth":{"ldap_auth":{}}}"#)
            .header("authorization", format!("ldap {}", b64("einstein:password")))
            .anonymous(),
        // session (kong/plugins/session/access.lua, 3.9.3).
        case("a session cookie that no longer authenticates", vec![CredentialNotRecognized])
            .config(SESSION_KEY)
            .header("cookie", "lang=en; session=Ab3dEf6hIj9kLm2nOp5q")
            .kong(),
        case("the same cookie on a route without session", vec![NoCredentials])
            .config(r#"{"auth":{"key_auth":{}}}"#)
            .header("cookie", "lang=en; session=Ab3dEf6hIj9kLm2nOp5q")
            .kong(),
        case("a session cookie past Kong: the upstream refused", vec![UpstreamRejected])
            .config(SESSION_KEY)
            .header("cookie", "session=Ab3dEf6hIj9kLm2nOp5q")
            .upstream(Some("Bearer")),
        case("a custom cookie_name", vec![CredentialNotRecognized])
            .config(r#"{"auth":{"session":{"cookie_name":"sid"},"ldap_auth":{}}}"#)
            .header("cookie", "sid=Ab3dEf6hIj9kLm2nOp5q")
            .kong(),
        case("a session placeholder", vec![CredentialPlaceholder])
            .config(SESSION_KEY)
            .header("cookie", "session=undefined")
            .kong(),
        case("session and ldap both refused: one finding", vec![CredentialNotRecognized])
            .config(r#"{"auth":{"session":{},"ldap_auth":{}}}"#)
            .header("authorization", format!("ldap {}", b64("einstein:password")))
            .header("cookie", "session=Ab3dEf6hIj9kLm2nOp5q")
            .kong(),
        case("session cookie and a malformed ldap credential", vec![BasicMalformed, CredentialNotRecognized])
            .config(r#"{"auth":{"session":{},"ldap_auth":{}}}"#)
            .header("authorization", format!("ldap {}", b64("einstein")))
            .header("cookie", "session=Ab3dEf6hIj9kLm2nOp5q")
            .kong(),
        case("enforce: session cookie, anonymous", vec![CredentialNotRecognized, AnonymousConsumer])
            .config(r#"{"mode":"enforce","auth":{"session":{},"key_auth":{}}}"#)
            .header("cookie", "session=Ab3dEf6hIj9kLm2nOp5q")
            .anonymous(),
        case("edge: jwt expired at Kong", vec![JwtExpired])
            .config(r#"{"mode":"edge"}"#)
            .header("authorization", format!("Bearer {}", jwt(&format!(r#"{{"iss":"a","exp":{}}}"#, NOW - 60))))
            .kong(),
    ]
}

#[test]
fn table() {
    let mut failures = Vec::new();
    for c in cases() {
        let verdict = c.run();
        let got: Vec<Code> = verdict.diagnoses.iter().map(|d| d.code).collect();
        if got != c.expected {
            failures.push(format!(
                "{}: expected {:?}, got {:?}: {:?}",
                c.name, c.expected, got, verdict.diagnoses
            ));
        }
        assert!(!verdict.diagnoses.is_empty(), "{}", c.name);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Lists lent from one decision to the next, as the glue lends them from one 401 to the next,
/// decide what fresh ones do, and come back in their blocks, never grown: the credentials'
/// empty in its block, the diagnoses' in the verdict, or back in the lists when they outgrew it.
#[test]
fn lent_lists_decide_as_fresh_ones() {
    let mut lists = Lists {
        diagnoses: Vec::with_capacity(MAX_DIAGNOSES),
        credentials: Vec::with_capacity(crate::bounds::MAX_CREDENTIALS),
    };
    let credentials = (lists.credentials.as_ptr(), lists.credentials.capacity());
    let diagnoses = (lists.diagnoses.as_ptr(), lists.diagnoses.capacity());
    for c in cases() {
        let fresh = c.run();
        let lent = c.run_in(&mut lists);
        assert_eq!(lent.diagnoses, fresh.diagnoses, "{}", c.name);
        assert_eq!(lent.credential, fresh.credential, "{}", c.name);
        assert!(lists.credentials.is_empty(), "{}", c.name);
        let back = (lists.credentials.as_ptr(), lists.credentials.capacity());
        assert_eq!(back, credentials, "{}: the credentials' block", c.name);
        // Given back as the glue does (dirty: the decision empties it itself).
        if lists.diagnoses.capacity() == 0 {
            lists.diagnoses = lent.diagnoses;
        }
        let back = (lists.diagnoses.as_ptr(), lists.diagnoses.capacity());
        assert_eq!(back, diagnoses, "{}: the diagnoses' block", c.name);
    }
}

#[test]
fn every_code_has_a_case() {
    let mut seen: Vec<Code> = cases().iter().flat_map(|c| c.expected.clone()).collect();
    seen.sort();
    seen.dedup();
    let missing: Vec<Code> = Code::ALL
        .iter()
        .copied()
        .filter(|c| !seen.contains(c) && *c != Code::Unknown)
        .collect();
    assert!(missing.is_empty(), "no case for {missing:?}");
}

#[test]
fn never_leaks_a_credential() {
    for c in cases() {
        let verdict = c.run();
        for (name, value) in &c.headers {
            if ![
                "authorization",
                "proxy-authorization",
                "apikey",
                "x-api-key",
                "X_Api_Key",
            ]
            .contains(name)
            {
                continue;
            }
            // hmac-auth's parameters are not secret; its signature is.
            let secret = match value.strip_prefix("hmac ") {
                Some(params) => params
                    .rsplit("signature=\"")
                    .next()
                    .unwrap_or(params)
                    .as_bytes(),
                None => value.as_bytes(),
            };
            let outputs: Vec<String> = verdict
                .diagnoses
                .iter()
                .flat_map(|d| [d.detail.clone(), d.hint.to_string()])
                .chain(verdict.credential.as_ref().map(|c| format!("{c:?}")))
                .collect();
            for out in outputs {
                for piece in secret.windows(8) {
                    let piece = String::from_utf8_lossy(piece);
                    if piece.contains("Bearer")
                        || piece.contains("access=")
                        || piece.contains("=\"")
                    {
                        continue;
                    }
                    assert!(
                        !out.contains(piece.as_ref()),
                        "{}: {piece:?} in {out:?}",
                        c.name
                    );
                }
            }
        }
    }
}

/// The detail of a diagnosis that rests on who answered names the sign that decided it.
#[test]
fn detail_names_the_sign() {
    let rows: Vec<(Case, &str)> = vec![
        (
            case("key challenge", vec![])
                .config(r#"{"mode":"edge"}"#)
                .header("apikey", "k3y-9f8e7d6c")
                .response_header("www-authenticate", "Key"),
            "who answered: WWW-Authenticate: Key, key-auth's own form",
        ),
        (
            case("ngx", vec![])
                .config(r#"{"mode":"edge"}"#)
                .header("apikey", "k3y-9f8e7d6c")
                .ngx(),
            "who answered: ngx.upstream_status not found while the host answers ngx.kong_request_id",
        ),
        (
            case("server", vec![])
                .config(r#"{"mode":"edge"}"#)
                .header("apikey", "k3y-9f8e7d6c")
                .response_header("server", "kong/3.9.3"),
            "who answered: Server: kong/3.9.3 without Kong's Via",
        ),
        (
            case("latency", vec![]).header("apikey", "k3y-9f8e7d6c").kong(),
            "who answered: X-Kong-Response-Latency",
        ),
        (
            case("no kong auth", vec![])
                .config(r#"{"auth":{}}"#)
                .upstream(Some("Bearer")),
            "the request carried no credential; the route's auth names no Kong plugin",
        ),
    ];
    for (c, needle) in rows {
        let verdict = c.run();
        let first = &verdict.diagnoses[0];
        assert!(first.detail.contains(needle), "{}: {first:?}", c.name);
    }
    // jwt's words for an unknown iss, and the plugin named by the challenge when two read.
    let verdict = case("jwt challenge", vec![])
        .config(r#"{"mode":"edge","auth":{"jwt":{},"oauth2":{}}}"#)
        .header("authorization", format!("Bearer {}", valid()))
        .response_header("www-authenticate", r#"Bearer error="invalid_token""#)
        .run();
    let first = &verdict.diagnoses[0];
    assert_eq!(first.code, Code::CredentialNotRecognized);
    assert_eq!(first.plugin, Some(Plugin::Jwt));
    assert!(
        first
            .detail
            .contains("No credentials found for given 'iss'"),
        "{first:?}"
    );
    let verdict = case("oauth2 challenge", vec![])
        .config(r#"{"mode":"edge","auth":{"jwt":{},"oauth2":{}}}"#)
        .header("authorization", format!("Bearer {}", valid()))
        .response_header(
            "www-authenticate",
            r#"Bearer error="invalid_token" error_description="The access token is invalid or has expired""#,
        )
        .run();
    assert_eq!(verdict.diagnoses[0].plugin, Some(Plugin::Oauth2));
    // The demo's own first request: the hint says what the upstream asks for.
    let verdict = case("demo", vec![])
        .config(r#"{"mode":"observe","auth":{}}"#)
        .upstream(Some(
            r#"Bearer error="invalid_token", error_description="The access token expired""#,
        ))
        .run();
    assert!(
        verdict.diagnoses[0].hint.contains("Authorization: Bearer"),
        "{:?}",
        verdict.diagnoses
    );
}

#[test]
fn unknown_when_nobody_can_say_who_refused() {
    let mut c = case("edge, well-formed key, no sign of who answered", vec![]);
    c.config = r#"{"mode":"edge"}"#;
    c.headers.push(("apikey", "k3y-9f8e7d6c".into()));
    let verdict = c.run();
    assert_eq!(verdict.diagnoses.len(), 1);
    let d = &verdict.diagnoses[0];
    assert_eq!(d.code, Code::Unknown);
    assert!(
        d.detail.contains("api-key in header apikey"),
        "{}",
        d.detail
    );
}

#[test]
fn unknown_lists_what_was_checked() {
    let c = case("upstream 401 with nothing", vec![]).upstream(None);
    let mut c = c;
    c.config = r#"{"mode":"observe"}"#;
    // No credential: no-credentials, not unknown.
    assert_eq!(c.run().diagnoses[0].code, Code::NoCredentials);
}

#[test]
fn a_plus_in_a_query_key_is_explained() {
    let verdict = case("plus", vec![Code::CredentialMalformed])
        .config(r#"{"auth":{"key_auth":{}}}"#)
        .path("/orders?apikey=k3y+9f8e7d6c")
        .kong()
        .run();
    let first = &verdict.diagnoses[0];
    assert!(
        first.detail.contains("decoded as Kong reads it"),
        "{first:?}"
    );
    assert!(first.hint.contains("+ as %2B"), "{first:?}");
    // Described by the value Kong got: 12 bytes, the + a space.
    assert_eq!(verdict.credential.as_ref().unwrap().len, 12);
}

/// ldap-auth and session findings name their plugin and say what fits a directory or a login.
#[test]
fn ldap_and_session_findings_say_what_to_do() {
    use Code::*;
    // (case, first code, plugin, words in the detail, words in the hint)
    type Row = (
        Case,
        Code,
        Plugin,
        &'static [&'static str],
        &'static [&'static str],
    );
    let table: Vec<Row> = vec![
        (
            case("basic", vec![])
                .config(LDAP)
                .header(
                    "authorization",
                    format!("Basic {}", b64("einstein:password")),
                )
                .kong(),
            SchemeMismatch,
            Plugin::LdapAuth,
            &["scheme Basic", "the route accepts ldap"],
            &[
                "not Basic (what curl -u sends)",
                "header_type to basic",
                "authorization: ldap $(printf",
            ],
        ),
        (
            case("corp", vec![])
                .config(LDAP_CORP)
                .header(
                    "authorization",
                    format!("ldap {}", b64("einstein:password")),
                )
                .kong(),
            SchemeMismatch,
            Plugin::LdapAuth,
            &["scheme ldap (an ldap,", "accepts corp"],
            &[
                "header_type is corp",
                "authorization: corp base64(username:password)",
            ],
        ),
        (
            case("refused", vec![])
                .config(LDAP)
                .header(
                    "proxy-authorization",
                    format!("LDAP {}", b64("einstein:password")),
                )
                .kong(),
            CredentialNotRecognized,
            Plugin::LdapAuth,
            &[
                "header proxy-authorization",
                "<attribute>=<user>,<base_dn>",
                "500, not 401",
            ],
            &[
                "cannot tell the client which",
                "locked",
                "error.log",
                "cache_ttl",
            ],
        ),
        (
            case("no colon", vec![])
                .config(LDAP_CORP)
                .header("authorization", format!("Corp {}", b64("einsteinpassword")))
                .kong(),
            BasicMalformed,
            Plugin::LdapAuth,
            &[
                "ldap credentials in header authorization",
                "without the ':'",
            ],
            &["authorization: corp base64(username:password)"],
        ),
        (
            case("nothing", vec![]).config(LDAP).kong(),
            NoCredentials,
            Plugin::LdapAuth,
            &["Authorization or Proxy-Authorization: ldap base64(user:password) (ldap-auth)"],
            &[],
        ),
        (
            case("session", vec![])
                .config(SESSION_KEY)
                .header("cookie", "session=Ab3dEf6hIj9kLm2nOp5q")
                .kong(),
            CredentialNotRecognized,
            Plugin::Session,
            &[
                "session cookie (20 bytes) in cookie session",
                "key-auth asked for its own credential",
            ],
            &["log in again", "secret explicitly", "anonymous consumer"],
        ),
        (
            case("session, enforce", vec![])
                .config(r#"{"mode":"enforce","auth":{"session":{},"ldap_auth":{}}}"#)
                .header("cookie", "session=Ab3dEf6hIj9kLm2nOp5q")
                .anonymous(),
            CredentialNotRecognized,
            Plugin::Session,
            &["so ldap-auth fell back to the anonymous consumer"],
            &["log in again", "check its audience and cookie_path"],
        ),
        (
            case("both", vec![])
                .config(r#"{"auth":{"session":{},"ldap_auth":{}}}"#)
                .header(
                    "authorization",
                    format!("ldap {}", b64("einstein:password")),
                )
                .header("cookie", "session=Ab3dEf6hIj9kLm2nOp5q")
                .kong(),
            CredentialNotRecognized,
            Plugin::LdapAuth,
            &["; the session cookie did not authenticate either"],
            &[],
        ),
    ];
    for (c, code, plugin, in_detail, in_hint) in table {
        let verdict = c.run();
        let first = &verdict.diagnoses[0];
        assert_eq!(
            (first.code, first.plugin),
            (code, Some(plugin)),
            "{}: {first:?}",
            c.name
        );
        for words in in_detail {
            assert!(
                first.detail.contains(words),
                "{}: {words:?} not in {:?}",
                c.name,
                first.detail
            );
        }
        for words in in_hint {
            assert!(
                first.hint.contains(words),
                "{}: {words:?} not in {:?}",
                c.name,
                first.hint
            );
        }
    }
}

/// Decoded ldap credentials are secrets too: neither the user nor the password is ever shown.
#[test]
fn ldap_user_and_password_never_shown() {
    for value in [
        "einstein:relativity1905",
        "einsteinrelativity1905",
        "einstein:",
    ] {
        let verdict = case("ldap", vec![])
            .config(LDAP)
            .header("authorization", format!("ldap {}", b64(value)))
            .kong()
            .run();
        for d in &verdict.diagnoses {
            for text in [d.detail.as_str(), &d.hint] {
                assert!(
                    !text.contains("einstein") && !text.contains("relativity"),
                    "{text}"
                );
            }
        }
    }
}

/// [`push_intermediaries`] as it was before its plain loops: the oracle.
mod intermediaries {
    use super::*;
    use crate::parse::forwarding::Mark;

    fn reference_push_intermediaries(out: &mut String, hops: &[Hop]) {
        let mut written = 0;
        for (i, hop) in hops.iter().enumerate() {
            let seen_before = hops
                .get(..i)
                .unwrap_or_default()
                .iter()
                .any(|h| h.what == hop.what);
            if seen_before {
                continue;
            }
            if written == 3 {
                break;
            }
            if written > 0 {
                out.push_str(", ");
            }
            written += 1;
            out.push_str(hop.what);
            out.push_str(" (");
            let same = hops
                .get(i..)
                .unwrap_or_default()
                .iter()
                .filter(|h| h.what == hop.what);
            for (j, h) in same.enumerate() {
                if j > 0 {
                    out.push_str("; ");
                }
                h.mark.push_to(out);
            }
            out.push(')');
        }
    }

    /// The sentence is the one the iterator version wrote, on every list of up to seven hops
    /// drawn from four intermediaries and five kinds of mark.
    #[test]
    fn push_intermediaries_as_before() {
        let whats = ["F5 BIG-IP", "a proxy", "Amazon CloudFront", "Akamai"];
        let marks = [
            Mark::Cookie("BIGipServerpool"),
            Mark::Cookie("TS01\u{e9}\u{1}x"),
            Mark::Header("x-amz-cf-id"),
            Mark::SetCookie(b"TS01ab\xff"),
            Mark::Via(b"1.1 varnish"),
            Mark::Addresses(3),
        ];
        let mut seed: u64 = 0x51_7cc1_b727_220a;
        let mut next = || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap()
        };
        let mut longest = 0;
        for _ in 0..5_000 {
            let hops: Vec<Hop> = (0..next() % 8)
                .map(|_| Hop {
                    what: whats[next() % whats.len()],
                    mark: marks[next() % marks.len()],
                })
                .collect();
            let (mut new, mut old) = (String::new(), String::new());
            push_intermediaries(&mut new, &hops);
            reference_push_intermediaries(&mut old, &hops);
            assert_eq!(new, old, "{hops:?}");
            longest = longest.max(new.len());
        }
        assert!(longest > 100, "{longest}");
    }
}

/// A request without a credential is cleaned without a redaction index: what that index
/// (built from no credential) would have left of every sentence is the sentence itself.
#[test]
fn no_credential_no_index() {
    let none: Vec<&[u8]> = Vec::new();
    let mut room = Room::default();
    let secrets = Secrets::new(&none, &mut room);
    for sentence in crate::parse::text::adversarial() {
        assert!(
            matches!(scrub(&sentence, &secrets), Cow::Borrowed(s) if s == sentence),
            "{sentence:?}"
        );
        let (mut with, mut without) = (sentence.clone(), sentence.clone());
        clean(&mut with, Some(&secrets));
        clean(&mut without, None);
        assert_eq!(with, without);
    }
}

/// `is_consumer` in one pass says what its three look-ups said, on every mix of the
/// consumer headers, repeated `X-Anonymous-Consumer`s and values that are not UTF-8.
#[test]
fn is_consumer_matches_its_lookups() {
    let anonymous: [&[u8]; 6] = [b"true", b" TRUE ", b"false", b"", b"\xfftrue", b"truex"];
    let mut rows: Vec<Vec<(String, Vec<u8>)>> = vec![vec![]];
    for id in [false, true] {
        for username in [false, true] {
            for a in anonymous {
                for b in [None, Some(b"true".as_slice()), Some(b"no".as_slice())] {
                    let mut row = vec![("accept".to_string(), b"*/*".to_vec())];
                    if let Some(b) = b.filter(|_| !a.is_empty()) {
                        row.push(("x-anonymous-consumer".into(), a.to_vec()));
                        row.push(("x-anonymous-consumer".into(), b.to_vec()));
                    } else if !a.is_empty() {
                        row.push(("x-anonymous-consumer".into(), a.to_vec()));
                    }
                    if id {
                        row.push(("x-consumer-id".into(), b"8c1f".to_vec()));
                    }
                    if username {
                        row.insert(0, ("x-consumer-username".into(), b"app".to_vec()));
                    }
                    rows.push(row);
                }
            }
        }
    }
    let mut seen = [0; 2];
    for row in rows {
        let request = Request {
            headers: Headers::from_pairs(row.clone()),
            ..Request::default()
        };
        let want = is_consumer_lookups(&request);
        assert_eq!(is_consumer(&Scan::of(&request.headers)), want, "{row:?}");
        seen[usize::from(want)] += 1;
    }
    assert!(seen[0] > 0 && seen[1] > 0, "{seen:?}");
}

/// The stripped-by-proxy hint pushed is the hint formatted, for every intermediary and
/// places that are plain, unprintable or long enough to be cut.
#[test]
fn proxy_hint_as_formatted() {
    let long = "Authorization (Bearer), ".repeat(20);
    for what in [
        "F5 BIG-IP",
        "F5 BIG-IP ASM",
        "Amazon CloudFront",
        "Azure Front Door",
        "Cloudflare",
        "AWS load balancer",
        "a proxy",
        "",
    ] {
        for places in [
            "Authorization (Bearer)",
            "",
            "caf\u{e9}\u{0}\"",
            long.as_str(),
        ] {
            let hint = proxy_hint(what, places);
            assert_eq!(hint, proxy_hint_formatted(what, places), "{what} {places}");
            assert!(hint.len() <= 300 && hint.is_ascii());
        }
    }
}

/// `only_plugin` in a plain loop names what the flattened iterator named: none, one or
/// several plugins on the route, whichever they are.
#[test]
fn only_plugin_as_flattened() {
    let mut ones = 0;
    for auth in [
        "{}",
        r#"{"auth":{}}"#,
        r#"{"auth":{"key_auth":{}}}"#,
        r#"{"auth":{"jwt":{}}}"#,
        r#"{"auth":{"basic_auth":{}}}"#,
        r#"{"auth":{"hmac_auth":{}}}"#,
        r#"{"auth":{"oauth2":{}}}"#,
        r#"{"auth":{"openid_connect":{}}}"#,
        r#"{"auth":{"ldap_auth":{}}}"#,
        r#"{"auth":{"session":{}}}"#,
        r#"{"auth":{"session":{},"jwt":{}}}"#,
        r#"{"auth":{"key_auth":{},"ldap_auth":{}}}"#,
        r#"{"auth":{"openid_connect":{},"oauth2":{}}}"#,
    ] {
        let config = load(auth.as_bytes()).unwrap();
        let want = only_plugin_flattened(&config.auth);
        assert_eq!(only_plugin(&config.auth), want, "{auth}");
        ones += usize::from(want.is_some());
    }
    assert!(ones >= 8, "{ones}");
}
