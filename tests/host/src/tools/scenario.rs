//! The scenario file format (SPEC §8): one JSON object per file. Unknown keys are errors at every
//! level, so a typo in a scenario fails loudly instead of silently checking nothing.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::host::http::{Properties, Request, Response};

/// The header that carries the diagnosis unless the config renames it.
pub const DEFAULT_HEADER_NAME: &str = "X-Auth-Diagnosis";

/// One scenario.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    /// The filter config: an object is passed JSON-encoded (as Kong 3.5+ does), a string is passed
    /// as is (Kong 3.4, or deliberately broken JSON); absent or null means an empty buffer.
    #[serde(default)]
    pub config: Option<serde_json::Value>,
    /// Unix seconds: the host clock.
    pub now: u64,
    pub request: RequestSpec,
    #[serde(default)]
    pub properties: BTreeMap<String, Bytes>,
    /// The upstream's response; omitted when the filter is expected to answer by itself.
    #[serde(default)]
    pub response: Option<ResponseSpec>,
    #[serde(default)]
    pub expect: Expect,
}

/// The request of a scenario.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    pub method: String,
    pub path: String,
    pub scheme: String,
    pub authority: String,
    /// `ip:port`, `[v6]:port` or a bare address.
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub headers: Vec<(String, Bytes)>,
}

/// The upstream response of a scenario.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseSpec {
    pub status: u16,
    #[serde(default)]
    pub headers: Vec<(String, Bytes)>,
    #[serde(default)]
    pub body: Option<String>,
}

/// The scenario format's own names: what a parse error may show unmasked.
const VOCABULARY: &[&str] = &[
    "name",
    "config",
    "now",
    "request",
    "method",
    "path",
    "scheme",
    "authority",
    "source",
    "headers",
    "body",
    "properties",
    "response",
    "status",
    "expect",
    "first",
    "codes",
    "codes_include",
    "codes_exclude",
    "local_status",
    "header_absent",
    "header_contains",
    "log_contains",
    "never_contains",
    "client_never_sees",
    "configured",
    "metrics",
    "unchanged",
    "trapped",
    "base64",
];

/// What must hold after the replay; every key is optional and unchecked when absent.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The first diagnosis code.
    pub first: Option<String>,
    /// The exact list of codes.
    pub codes: Option<Vec<String>>,
    /// Codes that must all appear.
    pub codes_include: Option<Vec<String>>,
    /// Codes none of which may appear.
    pub codes_exclude: Option<Vec<String>>,
    /// `Some(None)` (JSON null): the filter must not answer by itself; `Some(Some(s))`: it must,
    /// with status `s`.
    #[serde(default, deserialize_with = "present")]
    pub local_status: Option<Option<u16>>,
    /// `true`: the header must be absent; `false`: present.
    pub header_absent: Option<bool>,
    /// Substrings of the header.
    pub header_contains: Option<Vec<String>>,
    /// The exact name (case included) the diagnosis header goes out under, once.
    pub header_sent_as: Option<String>,
    /// Substrings that must each appear in some log message.
    pub log_contains: Option<Vec<String>>,
    /// Strings that must appear nowhere the filter writes.
    pub never_contains: Option<Vec<String>>,
    /// Strings that must appear nowhere the client receives (the log line may hold them).
    pub client_never_sees: Option<Vec<String>>,
    /// What `on_configure` returned.
    pub configured: Option<bool>,
    /// Metric values by name.
    pub metrics: Option<BTreeMap<String, u64>>,
    /// Metric values by the series Kong 3.9's Prometheus plugin exports for them
    /// (`pw_auth_diagnosis_diagnoses_total{code="…",route="…"}`), through the meta file's
    /// `label_patterns`.
    pub prometheus: Option<BTreeMap<String, u64>>,
    /// Status, body and every pre-existing response header (but the diagnosis header) unchanged.
    pub unchanged: Option<bool>,
    /// Whether a call is expected to trap (default false).
    pub trapped: Option<bool>,
    /// The request is one nginx answers 400 before any filter runs: a substring of the reason.
    /// Absent, a refused request fails the scenario (it expects what no filter is handed).
    pub refused: Option<String>,
}

/// Distinguishes a key present with `null` (`Some(None)`) from an absent key (`None`, via
/// `#[serde(default)]`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A header or property value: a JSON string, or `{"base64": "…"}` for bytes that are not UTF-8.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Bytes(pub Vec<u8>);

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BytesVisitor;

        impl<'de> Visitor<'de> for BytesVisitor {
            type Value = Bytes;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or {\"base64\": \"…\"}")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Bytes, E> {
                Ok(Bytes(value.as_bytes().to_vec()))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Bytes, A::Error> {
                let mut decoded = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key != "base64" || decoded.is_some() {
                        return Err(de::Error::custom(format!(
                            "unexpected key ({} bytes): a binary value is {{\"base64\": \"…\"}}",
                            key.len()
                        )));
                    }
                    let text: String = map.next_value()?;
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(text.trim())
                        .map_err(|e| {
                            de::Error::custom(format!("invalid base64 ({} bytes): {e}", text.len()))
                        })?;
                    decoded = Some(bytes);
                }
                decoded
                    .map(Bytes)
                    .ok_or_else(|| de::Error::custom("missing key \"base64\""))
            }
        }

        deserializer.deserialize_any(BytesVisitor)
    }
}

impl Scenario {
    /// Parses a scenario from JSON text.
    pub fn from_json(text: &str) -> anyhow::Result<Self> {
        // serde quotes the values it refuses, and a scenario's values may be credentials: the
        // message keeps the format's own words and masks every other quoted run.
        let scenario: Scenario = serde_json::from_str(text).map_err(|e| {
            anyhow::anyhow!("{}", crate::tools::mask::quoted(&e.to_string(), VOCABULARY))
        })?;
        if scenario.name.trim().is_empty() {
            anyhow::bail!("\"name\" is empty");
        }
        Ok(scenario)
    }

    /// Reads and parses a scenario file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Self::from_json(&text).with_context(|| format!("invalid scenario {}", path.display()))
    }

    /// The bytes handed to `on_configure`.
    pub fn config_bytes(&self) -> Vec<u8> {
        match &self.config {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(serde_json::Value::String(raw)) => raw.as_bytes().to_vec(),
            Some(value) => value.to_string().into_bytes(),
        }
    }

    /// The name of the diagnosis header: the config's `header_name`, else `X-Auth-Diagnosis`.
    pub fn header_name(&self) -> String {
        let from_object = self.config.as_ref().and_then(|c| c.get("header_name"));
        let from_string = || {
            let Some(serde_json::Value::String(raw)) = &self.config else {
                return None;
            };
            serde_json::from_str::<serde_json::Value>(raw)
                .ok()
                .and_then(|v| {
                    v.get("header_name")
                        .and_then(|h| h.as_str())
                        .map(str::to_owned)
                })
        };
        from_object
            .and_then(|h| h.as_str())
            .map(str::to_owned)
            .or_else(from_string)
            .unwrap_or_else(|| DEFAULT_HEADER_NAME.to_owned())
    }

    /// The host clock in nanoseconds.
    pub fn clock_nanos(&self) -> u64 {
        self.now.saturating_mul(1_000_000_000)
    }

    /// The request for the host.
    pub fn request(&self) -> Request {
        let r = &self.request;
        Request {
            method: r.method.clone(),
            path: r.path.clone(),
            scheme: r.scheme.clone(),
            authority: r.authority.clone(),
            source: r.source.clone(),
            headers: r
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), v.0.clone()))
                .collect(),
        }
    }

    /// The upstream response for the host, if any.
    pub fn response(&self) -> Option<Response> {
        self.response.as_ref().map(|r| Response {
            status: r.status,
            headers: r
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), v.0.clone()))
                .collect(),
            body: r.body.clone().unwrap_or_default().into_bytes(),
        })
    }

    /// The properties for the host.
    pub fn properties(&self) -> Properties {
        self.properties
            .iter()
            .map(|(k, v)| (k.clone(), v.0.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"{
      "name": "f5-stripped-authorization",
      "config": {"mode": "observe"},
      "now": 1764331200,
      "request": {"method": "GET", "path": "/orders?id=7", "scheme": "https", "authority": "api.example.com",
                  "source": "10.0.0.8:50412",
                  "headers": [["x-forwarded-for", "203.0.113.9"], ["cookie", "BIGipServerpool=123.456.0000"],
                              ["x-bin", {"base64": "/wD+"}]]},
      "properties": {"ngx.kong_request_id": "5f1c", "kong.route_name": "orders", "ngx.upstream_status": "401"},
      "response": {"status": 401, "headers": [["www-authenticate", "Bearer"]]},
      "expect": {"first": "stripped-by-proxy", "codes": ["stripped-by-proxy"], "local_status": null,
                 "header_absent": false, "log_contains": ["request_id=5f1c"], "never_contains": ["s3cr3t"]}
    }"#;

    #[test]
    fn parses_the_spec_example() {
        let s = Scenario::from_json(EXAMPLE).unwrap();
        assert_eq!(s.name, "f5-stripped-authorization");
        assert_eq!(s.config_bytes(), br#"{"mode":"observe"}"#);
        assert_eq!(s.request.headers[2].1, Bytes(vec![0xff, 0x00, 0xfe]));
        assert_eq!(s.expect.local_status, Some(None));
        assert_eq!(s.expect.header_absent, Some(false));
        assert_eq!(s.header_name(), "X-Auth-Diagnosis");
        assert_eq!(s.clock_nanos(), 1_764_331_200_000_000_000);
        assert_eq!(s.response().unwrap().status, 401);
    }

    #[test]
    fn local_status_absent_null_and_number_differ() {
        let base = r#"{"name":"x","now":0,"request":{"method":"GET","path":"/","scheme":"http","authority":"a"},"expect":"#;
        let absent = Scenario::from_json(&format!("{base}{{}}}}")).unwrap();
        assert_eq!(absent.expect.local_status, None);
        let null = Scenario::from_json(&format!("{base}{{\"local_status\":null}}}}")).unwrap();
        assert_eq!(null.expect.local_status, Some(None));
        let number = Scenario::from_json(&format!("{base}{{\"local_status\":401}}}}")).unwrap();
        assert_eq!(number.expect.local_status, Some(Some(401)));
        assert!(absent.config_bytes().is_empty());
    }

    #[test]
    fn typos_are_rejected() {
        let typo_top = EXAMPLE.replace("\"properties\"", "\"propertys\"");
        assert!(Scenario::from_json(&typo_top).is_err());
        let typo_expect = EXAMPLE.replace("\"header_absent\"", "\"header_abscent\"");
        assert!(Scenario::from_json(&typo_expect).is_err());
        let bad_base64 = EXAMPLE.replace("/wD+", "not base64!");
        assert!(Scenario::from_json(&bad_base64).is_err());
        let bad_key = EXAMPLE.replace("{\"base64\"", "{\"b64\"");
        assert!(Scenario::from_json(&bad_key).is_err());
    }

    #[test]
    fn header_name_follows_the_config() {
        let renamed = EXAMPLE.replace(r#"{"mode": "observe"}"#, r#"{"header_name": "X-Why"}"#);
        assert_eq!(
            Scenario::from_json(&renamed).unwrap().header_name(),
            "X-Why"
        );
        let raw = EXAMPLE.replace(r#"{"mode": "observe"}"#, r#""{\"header_name\":\"X-Raw\"}""#);
        let s = Scenario::from_json(&raw).unwrap();
        assert_eq!(s.header_name(), "X-Raw");
        assert_eq!(s.config_bytes(), br#"{"header_name":"X-Raw"}"#);
    }
}
