//! The names Kong 3.9's Prometheus plugin gives the filter's counters. ngx_wasm_module stores a
//! metric as `pw:<filter>:<name>`; Kong's exporter (kong/plugins/prometheus/wasmx.lua at 3.9.3,
//! `parse_pw_key` and `parse_key`) turns that key into a series name and labels with the meta
//! file's `metrics.label_patterns`, rule by rule:
//! 1. each pattern, in the file's order, is matched with `ngx.re.match(key, pattern, "oj", ctx)`
//!    and one `ctx` shared by all patterns, so each search starts where the previous match ended
//!    (lua-nginx-module: `ctx.pos` is where matching starts and, after a match, where it ended);
//! 2. on a match, capture 2 is the label value, and the label is taken to start at
//!    `ctx.pos - #capture1` (capture 1 must end where the match ends);
//! 3. the series name is the key up to the earliest label start, with every `:` turned into `_`;
//! 4. labels print as `label="value"`, in pattern order, without escaping.
//!
//! The meta file is the repository's own (`kong-config/auth_diagnosis.meta.json`), read at build
//! time, so a scenario's `expect.prometheus` checks the names an operator will see.

use std::collections::BTreeMap;

use anyhow::{anyhow, Context as _};

/// The meta file Kong reads beside the `.wasm`.
const META: &str = include_str!("../../../../kong-config/auth_diagnosis.meta.json");

/// Kong's module (filter) name: the file stem.
pub const FILTER: &str = "auth_diagnosis";

/// One `{label, pattern}` of `metrics.label_patterns`.
struct LabelPattern {
    label: String,
    pattern: regex::Regex,
}

fn label_patterns() -> anyhow::Result<Vec<LabelPattern>> {
    let meta: serde_json::Value = serde_json::from_str(META).context("meta file is not JSON")?;
    let Some(list) = meta
        .pointer("/metrics/label_patterns")
        .and_then(serde_json::Value::as_array)
    else {
        return Ok(Vec::new());
    };
    list.iter()
        .map(|entry| {
            let label = entry
                .get("label")
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| anyhow!("label_patterns entry without a label: {entry}"))?;
            let pattern = entry
                .get("pattern")
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| anyhow!("label_patterns entry without a pattern: {entry}"))?;
            Ok(LabelPattern {
                label: label.to_string(),
                pattern: regex::Regex::new(pattern)
                    .with_context(|| format!("label pattern {pattern:?}"))?,
            })
        })
        .collect()
}

/// The exported series for one stored key, e.g. `pw:auth_diagnosis:diagnoses_total_code=x` →
/// `pw_auth_diagnosis_diagnoses_total{code="x"}`.
pub fn series(key: &str) -> anyhow::Result<String> {
    series_with(key, &label_patterns()?)
}

fn series_with(key: &str, patterns: &[LabelPattern]) -> anyhow::Result<String> {
    let mut first_label = key.len();
    let mut labels = Vec::new();
    // `ctx.pos`, 0-based here: where the next pattern starts searching.
    let mut pos = 0;
    for p in patterns {
        let Some(caps) = p.pattern.captures_at(key, pos) else {
            continue;
        };
        let (Some(whole), Some(cut), Some(value)) = (caps.get(0), caps.get(1), caps.get(2)) else {
            return Err(anyhow!(
                "label pattern {:?} needs two capture groups",
                p.pattern.as_str()
            ));
        };
        pos = whole.end();
        // Kong takes the label to start #capture1 bytes before the end of the whole match.
        let start = whole.end().saturating_sub(cut.len());
        labels.push(format!("{}=\"{}\"", p.label, value.as_str()));
        first_label = first_label.min(start);
    }
    let name = key.get(..first_label).unwrap_or(key).replace(':', "_");
    Ok(if labels.is_empty() {
        name
    } else {
        format!("{name}{{{}}}", labels.join(","))
    })
}

/// The counters as Kong 3.9's `/metrics` would list them: exported series → value.
pub fn exported(metrics: &BTreeMap<String, u64>) -> anyhow::Result<BTreeMap<String, u64>> {
    let patterns = label_patterns()?;
    metrics
        .iter()
        .map(|(name, value)| {
            Ok((
                series_with(&format!("pw:{FILTER}:{name}"), &patterns)?,
                *value,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn patterns(list: &[(&str, &str)]) -> Vec<LabelPattern> {
        list.iter()
            .map(|(label, pattern)| LabelPattern {
                label: (*label).to_string(),
                pattern: regex::Regex::new(pattern).unwrap(),
            })
            .collect()
    }

    #[test]
    fn kong_test_suite_example() {
        // spec/03-plugins/26-prometheus/09-wasmx_spec.lua (3.9.3): two labels in one name.
        let p = patterns(&[
            ("service", "(_s_id=([0-9a-z%-]+))"),
            ("route", "(_r_id=([0-9a-z%-]+))"),
        ]);
        assert_eq!(
            series_with("pw:tests:a_labeled_counter_s_id=abc_r_id=def", &p).unwrap(),
            "pw_tests_a_labeled_counter{service=\"abc\",route=\"def\"}"
        );
    }

    #[test]
    fn patterns_search_from_the_previous_match() {
        // The route pattern comes second: with the route first in the name it is never found.
        let p = patterns(&[
            ("code", "(_code=([a-z0-9-]+))"),
            ("route", "(_route=([A-Za-z0-9._~-]+))$"),
        ]);
        assert_eq!(
            series_with("pw:f:n_route=r_code=c", &p).unwrap(),
            "pw_f_n_route=r{code=\"c\"}"
        );
        assert_eq!(
            series_with("pw:f:n_code=c_route=r", &p).unwrap(),
            "pw_f_n{code=\"c\",route=\"r\"}"
        );
        assert_eq!(series_with("pw:f:n", &p).unwrap(), "pw_f_n");
    }

    #[test]
    fn the_repository_meta_file() {
        for (name, expected) in [
            (
                "diagnoses_total_code=jwt-expired",
                "pw_auth_diagnosis_diagnoses_total{code=\"jwt-expired\"}",
            ),
            (
                "diagnoses_total_code=jwt-expired_route=orders.v2_beta~1-x",
                "pw_auth_diagnosis_diagnoses_total{code=\"jwt-expired\",route=\"orders.v2_beta~1-x\"}",
            ),
        ] {
            assert_eq!(series(&format!("pw:{FILTER}:{name}")).unwrap(), expected);
        }
        // Every code the filter can count becomes a clean label.
        for (code, _, _) in crate::tools::catalogue::CODES {
            assert_eq!(
                series(&format!("pw:{FILTER}:diagnoses_total_code={code}_route=r")).unwrap(),
                format!("pw_auth_diagnosis_diagnoses_total{{code=\"{code}\",route=\"r\"}}")
            );
        }
    }
}
