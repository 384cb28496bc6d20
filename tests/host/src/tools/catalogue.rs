//! What each diagnosis code means and what usually fixes it, for a person reading `make explain`
//! or `make demo`. The README's code table says the same.

/// `(code, meaning, typical fix)`, in the filter's priority order.
pub const CODES: [(&str, &str, &str); 26] = [
    ("preflight-rejected", "A browser's CORS preflight (OPTIONS) got the 401; browsers never send credentials on a preflight.", "Set run_on_preflight=false on the auth plugin, or add the cors plugin to the route."),
    ("credentials-hidden", "Kong authenticated the consumer, then hide_credentials removed the credential the upstream still wanted.", "Set hide_credentials=false, or make the upstream trust Kong's X-Consumer-* headers."),
    ("stripped-by-proxy", "No credential reached Kong, and the request passed a proxy, CDN or load balancer that probably removed it.", "Make the named hop forward Authorization / the key header (CloudFront origin request policy, F5 HTTP profile or iRule, ...)."),
    ("no-credentials", "The request carries no credential at all.", "Send the credential where the route's plugin reads it."),
    ("credential-placeholder", "The credential is a template placeholder such as ${TOKEN}, null or <token>.", "Set the variable that should hold the real credential."),
    ("credential-malformed", "The credential is empty, quoted, or contains whitespace, control or non-ASCII bytes.", "Send it exactly as issued, without quotes or line breaks."),
    ("jwt-malformed", "The token is not a JWT: not three base64url segments, or its header/payload is not JSON, or it has no alg.", "Send the JWT exactly as issued (header.payload.signature)."),
    ("jwt-alg-unsupported", "The JWT's alg is none, or one Kong's jwt plugin does not accept.", "Issue the token with a supported algorithm that matches the consumer's jwt credential."),
    ("jwt-expired", "The JWT's exp is in the past (Kong's jwt allows no leeway).", "Get a new token; if it expired seconds ago, check the clocks of the issuer and Kong."),
    ("jwt-not-yet-valid", "The JWT's nbf is in the future.", "Wait, or fix the issuer's clock."),
    ("jwt-claim-missing", "A claim Kong needs is missing: the key_claim_name claim (iss) or one in claims_to_verify.", "Issue the token with that claim."),
    ("jwt-claim-invalid", "exp/nbf is not a number, or the key claim is not a string.", "Issue standard claims: NumericDate exp/nbf, a string iss."),
    ("jwt-lifetime-too-long", "exp is further away than the jwt plugin's maximum_expiration.", "Issue shorter-lived tokens, or raise maximum_expiration."),
    ("basic-malformed", "Basic (or ldap-auth) credentials that are not base64(username:password): not base64, no ':', an empty user or password.", "Use curl -u user:password for basic-auth; for ldap-auth send Authorization: ldap base64(username:password)."),
    ("hmac-date-skew", "hmac-auth needs a Date or X-Date within clock_skew of Kong's clock.", "Send a current, signed Date header; check the client clock."),
    ("duplicate-credentials", "More than one credential where Kong wants one (two Authorization headers, a key in two places).", "Send the credential once."),
    ("scheme-mismatch", "The Authorization scheme is not one the route accepts (Token, JWT, BEARER, no scheme, Basic where ldap-auth wants ldap ...).", "Use the scheme the plugin expects, e.g. Authorization: Bearer <jwt>, Authorization: ldap <base64 user:password>."),
    ("credential-wrong-name", "A credential under a name the route does not read (x-api-key while key-auth reads apikey ...).", "Rename it, or add the name to the plugin's key_names / header_names."),
    ("credential-wrong-location", "A credential where the plugin does not look (query with key_in_query=false, a cookie not in cookie_names ...).", "Move it to where the plugin reads it, or change the plugin's config."),
    ("upstream-rejected", "The 401 came from the upstream service, not Kong; its WWW-Authenticate says why.", "Check what the upstream expects; Kong's auth already let the request through."),
    ("credential-not-recognized", "A well-formed credential was refused by Kong: the consumer or its credential probably does not exist; for ldap-auth, the directory refused the bind; for session, the session cookie no longer authenticates.", "Check the consumer and credential with the Admin API command in the hint; ldap-auth: the account and Kong's error.log; session: log in again."),
    ("forwarded-proto-http", "The route expects https but the request reached Kong over http (TLS ended at a proxy).", "Use https; add the load balancer to trusted_ips so X-Forwarded-Proto counts."),
    ("host-mismatch", "The request's Host (or X-Forwarded-Host) is not the one the route expects.", "Call the expected host; check proxies that rewrite Host."),
    ("forwarded-untrusted", "X-Forwarded-* headers came from a peer outside trusted_ips, so Kong ignored them.", "Add the proxy to Kong's trusted_ips."),
    ("anonymous-consumer", "Kong's auth fell back to the anonymous consumer (enforce mode answers 401 for it).", "Fix the cause listed before it."),
    ("unknown", "None of the known causes fit; the detail lists what was checked.", "Compare with a working request; read Kong's error.log for the request id."),
];

/// Meaning and fix of a code.
pub fn describe(code: &str) -> Option<(&'static str, &'static str)> {
    CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, meaning, fix)| (*meaning, *fix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_described_once() {
        let mut names: Vec<&str> = CODES.iter().map(|(c, _, _)| *c).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CODES.len());
        assert!(describe("jwt-expired").is_some());
        assert!(describe("nope").is_none());
    }
}
