//! Kong 3.9's own words in its 401 bodies, read from kong/plugins/*/ at tag 3.9.3 (each entry
//! names its file and line; kong-config/NOTES.md has the same table). `explain` reads the body the
//! client got and says which plugin spoke and what that tells: most of all whether Kong found a
//! credential at all, which the request the client sent cannot show when something in between
//! removed it.

use serde_json::{Map, Value};

/// What Kong's body says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Words {
    /// The plugin that speaks this way.
    pub plugin: &'static str,
    /// Kong's text as it was sent (the `message`, or the claim error / `error_description`).
    pub said: String,
    /// Where Kong 3.9.3 writes it.
    pub source: &'static str,
    /// What it tells.
    pub meaning: &'static str,
    /// The plugin found no credential in the places it reads.
    pub found_none: bool,
}

/// Kong's words, from the 401's JSON body and its challenge (`Unauthorized` is said by several
/// plugins: the challenge form tells which). `None` when the body is not one of Kong's.
pub fn read(body: &Map<String, Value>, challenge: Option<&str>) -> Option<Words> {
    let words = |plugin, said: &str, source, meaning, found_none| {
        Some(Words {
            plugin,
            said: said.to_owned(),
            source,
            meaning,
            found_none,
        })
    };
    // jwt's claim checks answer with the claim errors as the body (handler.lua:233, :240).
    for claim in ["exp", "nbf"] {
        if let Some(said) = body.get(claim).and_then(Value::as_str) {
            return match said {
                "token expired" => words("jwt", said, "kong/plugins/jwt/jwt_parser.lua:409 (sent by handler.lua:233)", "jwt verified the signature, then found exp at or before Kong's clock (no leeway)", false),
                "token not valid yet" => words("jwt", said, "kong/plugins/jwt/jwt_parser.lua:401 (sent by handler.lua:233)", "jwt verified the signature, then found nbf after Kong's clock", false),
                "exceeds maximum allowed expiration" => words("jwt", said, "kong/plugins/jwt/jwt_parser.lua:461 (sent by handler.lua:240)", "exp is further away than the plugin's maximum_expiration", false),
                _ if said.starts_with("must be a ") => words("jwt", said, "kong/plugins/jwt/jwt_parser.lua:435 (sent by handler.lua:233)", "a claim in claims_to_verify is not a number", false),
                _ => None,
            };
        }
    }
    if let Some(description) = body.get("error_description").and_then(Value::as_str) {
        return match description {
            "The access token is missing" => words(
                "oauth2",
                description,
                "kong/plugins/oauth2/access.lua:965",
                "oauth2 found no access token (header or access_token parameter)",
                true,
            ),
            "The access token is invalid or has expired" => words(
                "oauth2",
                description,
                "kong/plugins/oauth2/access.lua:979, :997, :1015",
                "oauth2 found a token it has not issued, issued for another service, or expired",
                false,
            ),
            _ => None,
        };
    }
    let message = body.get("message").and_then(Value::as_str)?;
    let form = challenge.map(|c| c.split_whitespace().next().unwrap_or_default());
    match message {
        "No API key found in request" => words("key-auth", message, "kong/plugins/key-auth/handler.lua:30, :174", "key-auth found no key in the places it reads", true),
        "Duplicate API key found" => words("key-auth", message, "kong/plugins/key-auth/handler.lua:29, :168", "key-auth found the same key name more than once", false),
        "Multiple tokens provided" => words("jwt", message, "kong/plugins/jwt/handler.lua:167", "jwt found more than one distinct token", false),
        "Unrecognizable token" => words("jwt", message, "kong/plugins/jwt/handler.lua:169", "jwt could not read the token", false),
        "Invalid algorithm" => words("jwt", message, "kong/plugins/jwt/handler.lua:205", "the token's alg is not the algorithm of the consumer's jwt credential", false),
        "Invalid key/secret" => words("jwt", message, "kong/plugins/jwt/handler.lua:222", "the consumer's jwt credential has no secret or public key for its algorithm", false),
        "Invalid signature" => words("jwt", message, "kong/plugins/jwt/handler.lua:227", "the signature does not verify with the consumer's jwt credential", false),
        "HMAC signature does not match" => words("hmac-auth", message, "kong/plugins/hmac-auth/access.lua:32, :333, :339", "the credential was found but the signature (or body digest) does not match", false),
        "HMAC signature cannot be verified" => words("hmac-auth", message, "kong/plugins/hmac-auth/access.lua:31, :320, :327", "the hmac parameters are incomplete, or no hmac credential has the username", false),
        "Unauthorized" => match form {
            Some("Key") => words("key-auth", message, "kong/plugins/key-auth/handler.lua:31, :194", "key-auth found a key that no consumer credential has (or one whose ttl ran out)", false),
            Some("Bearer") => words("jwt", message, "kong/plugins/jwt/handler.lua:165", "jwt found no token in the places it reads", true),
            Some("Basic") => words("basic-auth", message, "kong/plugins/basic-auth/access.lua:164, :179, :184", "basic-auth found no Authorization header, Basic credentials it could not read, an unknown username or a wrong password", false),
            Some("hmac") => words("hmac-auth", message, "kong/plugins/hmac-auth/access.lua:290", "hmac-auth found neither Authorization nor Proxy-Authorization", true),
            _ => None,
        },
        _ if message.starts_with("HMAC signature cannot be verified, a valid date") => words("hmac-auth", message, "kong/plugins/hmac-auth/access.lua:296-298", "neither Date nor X-Date is within clock_skew of Kong's clock", false),
        _ if message.starts_with("Bad token; ") => words("jwt", message, "kong/plugins/jwt/handler.lua:176 (jwt_parser.lua:265-277)", "jwt could not decode the token", false),
        _ if message.starts_with("No mandatory '") => words("jwt", message, "kong/plugins/jwt/handler.lua:184", "the token lacks the key claim (key_claim_name)", false),
        _ if message.starts_with("Invalid '") => words("jwt", message, "kong/plugins/jwt/handler.lua:186", "the token's key claim is empty", false),
        _ if message.starts_with("No credentials found for given '") => words("jwt", message, "kong/plugins/jwt/handler.lua:198", "no jwt credential has the token's key claim as its key: Kong looked it up before checking the signature, exp or nbf", false),
        _ if message.starts_with("Could not find consumer for '") => words("jwt", message, "kong/plugins/jwt/handler.lua:257", "the jwt credential's consumer is gone", false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> Map<String, Value> {
        match serde_json::from_str(json) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn table() {
        type Row<'a> = (&'a str, Option<&'a str>, Option<(&'a str, bool)>);
        let cases: &[Row<'_>] = &[
            (
                r#"{"message":"No API key found in request"}"#,
                Some(r#"Key realm="kong""#),
                Some(("key-auth", true)),
            ),
            (
                r#"{"message":"Unauthorized"}"#,
                Some("Key"),
                Some(("key-auth", false)),
            ),
            (
                r#"{"message":"Unauthorized"}"#,
                Some("Bearer"),
                Some(("jwt", true)),
            ),
            (
                r#"{"message":"Unauthorized"}"#,
                Some(r#"Basic realm="service""#),
                Some(("basic-auth", false)),
            ),
            (
                r#"{"message":"Unauthorized"}"#,
                Some("hmac"),
                Some(("hmac-auth", true)),
            ),
            (r#"{"message":"Unauthorized"}"#, None, None),
            (
                r#"{"message":"No credentials found for given 'iss'"}"#,
                None,
                Some(("jwt", false)),
            ),
            (
                r#"{"message":"Bad token; invalid JSON"}"#,
                None,
                Some(("jwt", false)),
            ),
            (r#"{"exp":"token expired"}"#, None, Some(("jwt", false))),
            (
                r#"{"error":"invalid_request","error_description":"The access token is missing"}"#,
                None,
                Some(("oauth2", true)),
            ),
            (
                r#"{"message":"HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication"}"#,
                None,
                Some(("hmac-auth", false)),
            ),
            (r#"{"message":"something else"}"#, None, None),
            (r#"{"error":"invalid_token"}"#, None, None),
        ];
        for (json, challenge, expected) in cases {
            let got = read(&body(json), *challenge).map(|w| (w.plugin, w.found_none));
            assert_eq!(got, *expected, "{json}");
        }
    }
}
