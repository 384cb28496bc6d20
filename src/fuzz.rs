//! Property-based fuzzing of the pure core (proptest, stable toolchain). `make test` runs the
//! default number of cases; `make fuzz` runs many more (PROPTEST_CASES). Every property asserts
//! something that could fail: no panic, bounded printable output, no credential piece in it.

use crate::decide::config::load;
use crate::decide::diagnose::{diagnose, Input, Sentences};
use crate::output::header;
use crate::output::logline::{self, Correlation};
use crate::parse::request::{Headers, Request, Response};
use proptest::prelude::*;

/// Names a client might use, with the ones the route reads among them.
fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("authorization".to_string()),
        Just("apikey".to_string()),
        Just("x-api-key".to_string()),
        Just("cookie".to_string()),
        Just("x-forwarded-for".to_string()),
        Just("x-forwarded-proto".to_string()),
        Just("x-anonymous-consumer".to_string()),
        Just("x-consumer-username".to_string()),
        Just("date".to_string()),
        Just("origin".to_string()),
        "[a-zA-Z0-9_-]{1,24}",
        any::<Vec<u8>>().prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

/// Values: credential-shaped, JWT-shaped, or any bytes at all.
fn header_value() -> impl Strategy<Value = Vec<u8>> {
    let segment = "[A-Za-z0-9_-]{0,40}";
    prop_oneof![
        "(Bearer|bearer|BEARER|Basic|Token|hmac|ldap|LDAP|) ?[A-Za-z0-9._~+/=-]{0,80}"
            .prop_map(String::into_bytes),
        (segment, segment, segment)
            .prop_map(|(a, b, c)| format!("Bearer eyJ{a}.{b}.{c}").into_bytes()),
        any::<Vec<u8>>(),
        prop::collection::vec(any::<u8>(), 0..4096),
    ]
}

fn request() -> impl Strategy<Value = Request> {
    (
        prop_oneof![
            Just("GET".to_string()),
            Just("OPTIONS".to_string()),
            "[A-Z]{0,8}"
        ],
        "/[ -~]{0,64}",
        prop_oneof![
            Just("http".to_string()),
            Just("https".to_string()),
            "[a-z]{0,5}"
        ],
        "[ -~]{0,40}",
        prop::collection::vec((header_name(), header_value()), 0..40),
        prop::option::of(any::<std::net::IpAddr>()),
        prop::option::of("[ -~]{0,64}"),
    )
        .prop_map(
            |(method, path, scheme, authority, headers, peer, raw_query)| Request {
                method: method.into(),
                path: path.into(),
                scheme: scheme.into(),
                authority: authority.into(),
                headers: Headers::from_pairs(headers),
                peer,
                raw_query,
                limit: None,
            },
        )
}

/// Raw header pairs, as a host holds them.
type RawPairs = Vec<(Vec<u8>, Vec<u8>)>;

/// A well-formed header-map buffer and the pairs in it.
fn pairs_buffer() -> impl Strategy<Value = (Vec<u8>, RawPairs)> {
    prop::collection::vec(
        (
            prop::collection::vec(any::<u8>(), 0..24),
            prop::collection::vec(any::<u8>(), 0..48),
        ),
        0..24,
    )
    .prop_map(|pairs| {
        let borrowed: Vec<(&[u8], &[u8])> = pairs
            .iter()
            .map(|(n, v)| (n.as_slice(), v.as_slice()))
            .collect();
        (crate::parse::pairs::tests::serialize(&borrowed), pairs)
    })
}

const CONFIGS: [&str; 7] = [
    "{}",
    r#"{"mode":"edge","auth":{"jwt":{"claims_to_verify":["exp","nbf"],"maximum_expiration":3600}}}"#,
    r#"{"mode":"enforce","anonymous":"anonymous","auth":{"key_auth":{"key_in_query":false}}}"#,
    r#"{"require_https":true,"trusted_ips":["10.0.0.0/8","::/0"],"expected_hosts":["api.example.com"]}"#,
    r#"{"auth":{"basic_auth":{},"hmac_auth":{"clock_skew":10},"oauth2":{}}}"#,
    r#"{"statuses":[401,403],"clock_skew":60,"auth":{"jwt":{"cookie_names":["session"]}}}"#,
    r#"{"mode":"edge","auth":{"ldap_auth":{"header_type":"basic","realm":"corp"},"session":{"cookie_name":"apikey"}}}"#,
];

proptest! {
    #[test]
    fn fuzz_diagnose_never_panics_and_never_leaks(
        request in request(),
        status in 100u16..600,
        config_index in 0usize..CONFIGS.len(),
        now in any::<i64>(),
        anonymous in any::<bool>(),
        from_upstream in any::<bool>(),
        www in "[ -~]{0,80}",
        secret in "[A-Za-z0-9]{16,40}",
        in_query in any::<bool>(),
    ) {
        let config = load(CONFIGS[config_index].as_bytes()).unwrap();
        let mut request = request;
        if in_query {
            // Planted in the query string, every byte percent-encoded: only its decoded form
            // reaches the diagnosis, and that must not leak either.
            let encoded: String = secret.bytes().map(|b| format!("%{b:02X}")).collect();
            let sep = if request.path().contains('?') { '&' } else { '?' };
            request.path = format!("{}{sep}apikey={encoded}", request.path()).into();
        } else {
            // A planted credential, in the header every default plugin reads.
            request.headers.push("apikey", secret.as_bytes());
        }
        let response = Response {
            status,
            headers: Headers::from_pairs([("www-authenticate".to_string(), www.into_bytes())]),
            upstream_status: from_upstream.then(|| status.to_string()),
            ngx_answered: None,
        };
        let verdict = diagnose(&Input { config: &config, request: &request, response: Some(&response), now, anonymous, sentences: Sentences::All });
        prop_assert!(!verdict.diagnoses.is_empty());
        let value = header::serialize(&verdict.diagnoses).unwrap();
        prop_assert!(value.len() <= crate::bounds::MAX_HEADER_BYTES);
        prop_assert!(value.bytes().all(|b| (0x20..=0x7e).contains(&b)));
        let parsed: sfv::List = sfv::Parser::new(&value).parse().unwrap();
        prop_assert!(!parsed.is_empty());
        let line = logline::render(status, &verdict.diagnoses, &Correlation::default(), verdict.credential.as_ref());
        for piece in secret.as_bytes().windows(8) {
            let piece = std::str::from_utf8(piece).unwrap();
            prop_assert!(!value.contains(piece), "{piece} in header {value}");
            prop_assert!(!line.contains(piece), "{piece} in log {line}");
        }
    }

    /// The pairs reader on every truncation of a good buffer and on oversized lengths: never a
    /// panic, only complete pairs, each one as written.
    #[test]
    fn fuzz_pairs_reader_truncated_and_oversized(
        (buffer, pairs) in pairs_buffer(),
        patch_at in any::<prop::sample::Index>(),
        patch in any::<u32>(),
        garbage in any::<Vec<u8>>(),
    ) {
        let check = |bytes: &[u8]| -> Result<(), TestCaseError> {
            let parsed = crate::parse::pairs::parse(bytes.to_vec());
            prop_assert!(parsed.len() <= parsed.declared as usize);
            // Every pair read lies inside the buffer, with its two NULs.
            let used: usize = parsed.iter().map(|(n, v)| n.len() + v.len() + 2).sum();
            prop_assert!(used <= bytes.len());
            Ok(())
        };
        let whole = crate::parse::pairs::parse(buffer.clone());
        prop_assert!(!whole.cut());
        prop_assert_eq!(whole.len(), pairs.len());
        for (got, (name, value)) in whole.iter().zip(&pairs) {
            prop_assert_eq!(got.0, name.as_slice());
            prop_assert_eq!(got.1, value.as_slice());
        }
        // Every truncated length: a prefix of the pairs, each as written.
        for cut in 0..buffer.len() {
            let parsed = crate::parse::pairs::parse(buffer[..cut].to_vec());
            prop_assert!(parsed.len() <= pairs.len());
            prop_assert!(cut < 4 || parsed.cut(), "cut at {} of {}", cut, buffer.len());
            for (got, (_, value)) in parsed.iter().zip(&pairs) {
                prop_assert_eq!(got.1, value.as_slice());
            }
        }
        // Oversized: any u32 field (count, a name or value length) replaced by any value, with
        // or without garbage after the end.
        if buffer.len() >= 4 {
            let fields = 1 + 2 * pairs.len();
            let at = 4 * patch_at.index(fields);
            let mut patched = buffer.clone();
            patched[at..at + 4].copy_from_slice(&patch.to_le_bytes());
            check(&patched)?;
            patched.extend_from_slice(&garbage);
            check(&patched)?;
            for big in [u32::MAX, u32::MAX / 8, (buffer.len() as u32).wrapping_add(1)] {
                let mut patched = buffer.clone();
                patched[at..at + 4].copy_from_slice(&big.to_le_bytes());
                check(&patched)?;
            }
        }
        check(&garbage)?;
    }

    /// ldap-auth credentials in every shape a client sends them, beside a session cookie: the
    /// password, the encoded credentials and the session cookie never show, whoever answered.
    #[test]
    fn fuzz_ldap_and_session_never_leak(
        user in "[a-z]{0,12}",
        password in "[A-Za-z0-9]{8,24}",
        scheme in prop_oneof![Just("ldap"), Just("  LDAP"), Just("Basic"), Just("corp"), Just("")],
        shape in 0u8..4,
        proxy in any::<bool>(),
        session in "[A-Za-z0-9_-]{16,40}",
        corp in any::<bool>(),
        status in prop_oneof![Just(401u16), Just(403u16)],
        anonymous in any::<bool>(),
        from_upstream in any::<bool>(),
    ) {
        use base64::Engine;
        let b64 = |t: &str| base64::engine::general_purpose::STANDARD.encode(t);
        let plain = format!("{user}:{password}");
        let credentials = match shape {
            0 => b64(&plain),
            1 => b64(&plain).trim_end_matches('=').to_string(),
            2 => b64(&format!("{user}{password}")),
            _ => plain.clone(),
        };
        let config = if corp {
            r#"{"mode":"edge","auth":{"ldap_auth":{"header_type":"corp","realm":"c"},"session":{}}}"#
        } else {
            r#"{"auth":{"ldap_auth":{},"session":{},"key_auth":{}}}"#
        };
        let config = load(config.as_bytes()).unwrap();
        let name = if proxy { "proxy-authorization" } else { "authorization" };
        let request = Request {
            method: "GET".into(),
            path: "/".into(),
            headers: Headers::from_pairs([
                (name.to_string(), format!("{scheme} {credentials}").into_bytes()),
                ("cookie".to_string(), format!("lang=en; session={session}").into_bytes()),
            ]),
            ..Request::default()
        };
        let response = Response {
            status,
            headers: Headers::from_pairs([("www-authenticate".to_string(), b"LDAP".to_vec())]),
            upstream_status: from_upstream.then(|| status.to_string()),
            ngx_answered: None,
        };
        let verdict = diagnose(&Input { config: &config, request: &request, response: Some(&response), now: 0, anonymous, sentences: Sentences::All });
        let value = header::serialize(&verdict.diagnoses).unwrap();
        let line = logline::render(status, &verdict.diagnoses, &Correlation::default(), verdict.credential.as_ref());
        for secret in [&password, &credentials, &session, &plain] {
            for piece in secret.as_bytes().windows(8) {
                let piece = std::str::from_utf8(piece).unwrap();
                prop_assert!(!value.contains(piece), "{piece} in header {value}");
                prop_assert!(!line.contains(piece), "{piece} in log {line}");
            }
        }
    }

    #[test]
    fn fuzz_config_bytes(bytes in any::<Vec<u8>>()) {
        if let Err(e) = load(&bytes) {
            prop_assert!(e.to_string().contains("field `"));
        }
    }

    #[test]
    fn fuzz_config_objects(key in "[a-z_]{1,16}", value in "(true|false|null|-?[0-9]{1,6}|\"[ -~]{0,12}\"|\\[\\]|\\{\\})") {
        let json = format!("{{\"{key}\":{value}}}");
        match load(json.as_bytes()) {
            Ok(_) => {}
            Err(e) => prop_assert!(e.to_string().contains("field `"), "{e}"),
        }
    }

    #[test]
    fn fuzz_jwt_segments(a in any::<Vec<u8>>(), b in "[A-Za-z0-9_=-]{0,200}", c in any::<Vec<u8>>()) {
        let mut token = b"eyJ".to_vec();
        token.extend_from_slice(&a);
        token.push(b'.');
        token.extend_from_slice(b.as_bytes());
        token.push(b'.');
        token.extend_from_slice(&c);
        let _ = crate::parse::jwt::decode(&token);
    }

    #[test]
    fn fuzz_parsers(text in any::<String>()) {
        let _ = crate::parse::challenge::parse(&text);
        let _ = crate::parse::httpdate::parse(&text);
        let _ = crate::parse::cidr::Cidr::parse(&text);
        let _ = crate::parse::cidr::peer_ip(&text);
        let _ = crate::parse::json::read(text.as_bytes());
    }
}
