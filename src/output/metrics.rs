//! Metric names: one counter per diagnosis code, and per route when the host names the route.
//! Kong 3.9 stores a filter's metric as `pw:auth_diagnosis:<name>` and its Prometheus plugin
//! exports it as `pw_auth_diagnosis_<name>`, cutting labels out of the name with the meta file's
//! `label_patterns` (kong/plugins/prometheus/wasmx.lua, 3.9.3): the patterns run in their order,
//! each one searching from where the previous match ended, so the labels sit in the name in the
//! same order as the patterns: `_code=` first, then `_route=`.

use crate::diagnosis::Code;

/// Longest route name carried as a label. The stored name (`pw:` + filter name + `:` + this
/// name) must stay within ngx_wasm_module's `max_metric_name_length` (default 256), or
/// `proxy_define_metric` traps: with 64 bytes of route the longest name here is 123 bytes.
pub const ROUTE_LABEL_MAX: usize = 64;

/// Route-labelled counters one worker defines at most. Each distinct name costs shared memory
/// in the metrics zone (96 bytes of entry + the name + 8 + 16 per worker, rounded up to a power of
/// two: 512 bytes with 4 workers; ngx_wasm_module docs/METRICS.md), and a full zone makes
/// `proxy_define_metric` trap. 512 names take 256 KiB of the default 5 MiB `slab_size`; past the
/// bound a diagnosis is counted without its route.
pub const MAX_ROUTE_COUNTERS: usize = 512;

/// The route name as a label value, when it is one: Kong's route names are `[A-Za-z0-9._~-]` or
/// UTF-8 (typedefs.utf8_name); a name outside that ASCII set (a UTF-8 one arrives here with `?` in
/// place of each byte) or longer than [`ROUTE_LABEL_MAX`] is counted without a route, so that the
/// label pattern stays simple and the exported text needs no escaping.
pub fn route_label(route: &str) -> Option<&str> {
    let fits = !route.is_empty()
        && route.len() <= ROUTE_LABEL_MAX
        && route
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-'));
    fits.then_some(route)
}

/// `diagnoses_total_code=jwt-expired`, or with a route `diagnoses_total_code=jwt-expired_route=orders`.
pub fn counter_name(code: Code, route: Option<&str>) -> String {
    // Pushed, not format!ted: this runs for every code of every annotated response, and the
    // formatting machinery costs thousands of wasm instructions (measured with `make bench`).
    const PREFIX: &str = "diagnoses_total_code=";
    const ROUTE: &str = "_route=";
    let code = code.as_str();
    let route = route.unwrap_or_default();
    let mut name = String::with_capacity(PREFIX.len() + code.len() + ROUTE.len() + route.len());
    name.push_str(PREFIX);
    name.push_str(code);
    if !route.is_empty() {
        name.push_str(ROUTE);
        name.push_str(route);
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for (code, route, expected) in [
            (Code::JwtExpired, None, "diagnoses_total_code=jwt-expired"),
            (
                Code::JwtExpired,
                Some("orders"),
                "diagnoses_total_code=jwt-expired_route=orders",
            ),
        ] {
            assert_eq!(counter_name(code, route), expected);
        }
    }

    #[test]
    fn route_labels() {
        let long = "r".repeat(ROUTE_LABEL_MAX + 1);
        let longest = "r".repeat(ROUTE_LABEL_MAX);
        for (route, expected) in [
            ("orders", true),
            ("orders.v2_beta~1-x", true),
            (longest.as_str(), true),
            (long.as_str(), false),
            ("", false),
            ("caf??", false),
            ("a b", false),
            ("a\"b", false),
            ("a=b", false),
            ("a:b", false),
        ] {
            assert_eq!(route_label(route).is_some(), expected, "{route:?}");
        }
    }

    #[test]
    fn longest_name_fits_the_default_limit() {
        let longest_code = Code::ALL
            .iter()
            .map(|c| c.as_str().len())
            .max()
            .unwrap_or(0);
        let route = "r".repeat(ROUTE_LABEL_MAX);
        let name = counter_name(Code::CredentialWrongLocation, Some(&route));
        assert_eq!(
            name.len(),
            "diagnoses_total_code=_route=".len() + longest_code + ROUTE_LABEL_MAX
        );
        // `pw:` + `auth_diagnosis` + `:` + name, against ngx_wasm_module's default 256.
        assert!(4 + "auth_diagnosis".len() + name.len() <= 256);
    }
}
