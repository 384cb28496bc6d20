//! Every limit on how much of a request the filter looks at. A request is attacker-controlled:
//! these keep the work per request small and bounded whatever arrives.

/// Request headers examined; the rest are ignored, and the diagnosis says so.
pub const MAX_HEADERS: usize = 256;
/// Bytes of a token decoded as a JWT; a longer token is described but not decoded.
pub const MAX_JWT_BYTES: usize = 16 * 1024;
/// Nesting depth accepted in a JWT header or payload (serde_json refuses past 128 on its own).
pub const MAX_JSON_DEPTH: usize = 32;
/// Query parameters and cookies examined.
pub const MAX_PARAMS: usize = 64;
/// Length of the response header, in bytes (SPEC section 4).
pub const MAX_HEADER_BYTES: usize = 1024;
/// Length of one `detail` or `hint` sentence, in bytes.
pub const MAX_SENTENCE_BYTES: usize = 300;
/// Credentials one request can carry where the filter looks: a header, a query parameter or a
/// cookie each, within the bounds above.
pub const MAX_CREDENTIALS: usize = MAX_HEADERS + 2 * MAX_PARAMS;
/// Diagnoses kept for one response.
pub const MAX_DIAGNOSES: usize = 8;
/// Credential pieces indexed once per request for redaction (a table of at most 4 MiB); past
/// it, each sentence is indexed instead and the credentials streamed past it.
pub const MAX_INDEXED_PIECES: usize = 1 << 18;

/// Each bound, at its edge and one past it.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::jwt::{self, Malformed};
    use crate::parse::request::{Headers, Request};

    fn jwt_with_payload(payload: &str) -> Vec<u8> {
        crate::parse::jwt::tests::token(r#"{"alg":"HS256"}"#, payload).into_bytes()
    }

    #[test]
    fn headers() {
        let at = Headers::from_pairs((0..MAX_HEADERS).map(|i| (format!("x-{i}"), Vec::new())));
        assert_eq!((at.iter().count(), at.ignored()), (MAX_HEADERS, 0));
        let past = Headers::from_pairs((0..=MAX_HEADERS).map(|i| (format!("x-{i}"), Vec::new())));
        assert_eq!((past.iter().count(), past.ignored()), (MAX_HEADERS, 1));
    }

    #[test]
    fn jwt_length() {
        let mut token = jwt_with_payload(r#"{"iss":"a"}"#);
        token.resize(MAX_JWT_BYTES, b'A');
        assert!(!matches!(jwt::decode(&token), Err(Malformed::TooLong(_))));
        token.push(b'A');
        assert_eq!(
            jwt::decode(&token).unwrap_err(),
            Malformed::TooLong(MAX_JWT_BYTES + 1)
        );
    }

    #[test]
    fn json_depth() {
        let nested = |depth: usize| {
            // The payload object itself is one level.
            let inner = depth - 1;
            format!("{{\"a\":{}1{}}}", "[".repeat(inner), "]".repeat(inner))
        };
        assert!(jwt::decode(&jwt_with_payload(&nested(MAX_JSON_DEPTH))).is_ok());
        assert_eq!(
            jwt::decode(&jwt_with_payload(&nested(MAX_JSON_DEPTH + 1))).unwrap_err(),
            Malformed::TooDeep("payload")
        );
    }

    #[test]
    fn indexed_pieces() {
        use crate::output::redact::{scrub, Room, Secrets};
        // A credential of n pieces whose last piece is "tail0001".
        let credential = |pieces: usize| {
            let mut c = vec![b'x'; pieces + 7 - 8];
            c.extend_from_slice(b"tail0001");
            c
        };
        for (pieces, indexed) in [(MAX_INDEXED_PIECES, true), (MAX_INDEXED_PIECES + 1, false)] {
            let c = credential(pieces);
            let credentials: &[&[u8]] = &[&c];
            let mut room = Room::default();
            let secrets = Secrets::new(credentials, &mut room);
            assert_eq!(secrets.is_indexed(), indexed, "{pieces} pieces");
            assert_eq!(scrub("saw tail0001 here", &secrets), "saw [redacted] here");
            assert_eq!(scrub("saw tail0002 here", &secrets), "saw tail0002 here");
        }
    }

    #[test]
    fn params() {
        let query = |n: usize| {
            let params: Vec<String> = (0..n).map(|i| format!("p{i}=1")).collect();
            Request {
                path: format!("/?{}", params.join("&")).into(),
                ..Request::default()
            }
        };
        assert_eq!(query(MAX_PARAMS).query().len(), MAX_PARAMS);
        assert_eq!(query(MAX_PARAMS + 1).query().len(), MAX_PARAMS);
        let cookies = |n: usize| {
            let pairs: Vec<String> = (0..n).map(|i| format!("c{i}=1")).collect();
            Request {
                headers: Headers::from_pairs([(
                    "cookie".to_string(),
                    pairs.join("; ").into_bytes(),
                )]),
                ..Request::default()
            }
        };
        assert_eq!(cookies(MAX_PARAMS + 1).cookies().len(), MAX_PARAMS);
    }

    /// A request past every bound, a credential in every header, query parameter and cookie:
    /// the decision finds at most `MAX_CREDENTIALS`, so the list the worker lends for them (that
    /// many long) is never grown.
    #[test]
    fn credentials() {
        use crate::decide::config::load;
        use crate::decide::diagnose::{diagnose_in, Input, Lists, Sentences};
        let config = load(br#"{"auth":{"jwt":{"cookie_names":["c"]}}}"#).unwrap();
        let key = |i: usize| format!("k3y-{i:04}-9f8e7d6c");
        let query: Vec<String> = (0..MAX_PARAMS + 5)
            .map(|i| format!("apikey={}", key(i)))
            .collect();
        let cookies: Vec<String> = (0..MAX_PARAMS + 5)
            .map(|i| format!("c={}", key(i)))
            .collect();
        let mut headers: Vec<(String, Vec<u8>)> = (0..MAX_HEADERS + 5)
            .map(|i| ("apikey".to_string(), key(i).into_bytes()))
            .collect();
        headers.insert(0, ("cookie".to_string(), cookies.join("; ").into_bytes()));
        let request = Request {
            path: format!("/?{}", query.join("&")).into(),
            headers: Headers::from_pairs(headers),
            ..Request::default()
        };
        let found = crate::decide::credential::find(&request, &config.auth);
        assert!(found.len() >= MAX_HEADERS + MAX_PARAMS, "{}", found.len());
        assert!(found.len() <= MAX_CREDENTIALS, "{}", found.len());
        let mut lists = Lists {
            diagnoses: Vec::with_capacity(MAX_DIAGNOSES),
            credentials: Vec::with_capacity(MAX_CREDENTIALS),
        };
        let block = (lists.credentials.as_ptr(), lists.credentials.capacity());
        let verdict = diagnose_in(
            &Input {
                config: &config,
                request: &request,
                response: None,
                now: 0,
                anonymous: true,
                sentences: Sentences::All,
            },
            &mut lists,
        );
        assert!(!verdict.diagnoses.is_empty());
        let back = (lists.credentials.as_ptr(), lists.credentials.capacity());
        assert_eq!(back, block, "the credentials' list was grown");
    }

    #[test]
    fn sentences_and_diagnoses() {
        use crate::decide::config::load;
        use crate::decide::diagnose::{diagnose, Input, Sentences};
        let hosts: Vec<String> = (0..12)
            .map(|i| format!("\"host-{i}-{}.example\"", "h".repeat(40)))
            .collect();
        let json = format!(
            r#"{{"require_https":true,"expected_hosts":[{}],"trusted_ips":["10.0.0.0/8"]}}"#,
            hosts.join(",")
        );
        let config = load(json.as_bytes()).unwrap();
        let long_name = format!("x-api-key-{}", "n".repeat(2 * MAX_SENTENCE_BYTES));
        let request = Request {
            method: "GET".into(),
            path: "/".into(),
            scheme: "http".into(),
            authority: "b.example".into(),
            headers: Headers::from_pairs([
                (long_name, b"k3y-9f8e7d6c".to_vec()),
                ("authorization".into(), b"Token abc".to_vec()),
                ("authorization".into(), b"Basic !!".to_vec()),
                ("apikey".into(), b"\"quoted\"".to_vec()),
                ("x-forwarded-proto".into(), b"https".to_vec()),
                ("x-forwarded-host".into(), b"c.example".to_vec()),
            ]),
            peer: "192.0.2.1".parse().ok(),
            ..Request::default()
        };
        let verdict = diagnose(&Input {
            config: &config,
            request: &request,
            response: None,
            now: 0,
            anonymous: true,
            sentences: Sentences::All,
        });
        assert!(verdict.diagnoses.len() <= MAX_DIAGNOSES);
        assert!(verdict.diagnoses.len() >= 6, "{:?}", verdict.diagnoses);
        for d in &verdict.diagnoses {
            assert!(d.detail.len() <= MAX_SENTENCE_BYTES && d.hint.len() <= MAX_SENTENCE_BYTES);
        }
    }

    #[test]
    fn a_long_sentence_is_cut_at_the_bound() {
        use crate::decide::config::load;
        use crate::decide::diagnose::{diagnose, Input, Sentences};
        use crate::parse::request::Response;
        let config = load(b"{}").unwrap();
        let request = Request {
            headers: Headers::from_pairs([("apikey".to_string(), b"k3y-9f8e7d6c".to_vec())]),
            ..Request::default()
        };
        let long = "w".repeat(150);
        let challenge = format!(
            r#"Bearer realm="{long}", error="{long}", error_description="{long}", scope="{long}""#
        );
        let response = Response {
            status: 401,
            headers: Headers::from_pairs([(
                "www-authenticate".to_string(),
                challenge.into_bytes(),
            )]),
            upstream_status: Some("401".into()),
            ngx_answered: None,
        };
        let verdict = diagnose(&Input {
            config: &config,
            request: &request,
            response: Some(&response),
            now: 0,
            anonymous: false,
            sentences: Sentences::All,
        });
        assert_eq!(verdict.diagnoses[0].detail.len(), MAX_SENTENCE_BYTES);
    }
}
