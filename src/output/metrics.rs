//! Metric names: one counter per diagnosis code. Kong 3.9 exports the shared key
//! `pw:auth_diagnosis:<name>` as `pw_auth_diagnosis_<name>`; the meta file's `label_patterns`
//! turn the `_code=<code>` suffix into the `code` label.

use crate::diagnosis::Code;

/// `diagnoses_total_code=jwt-expired`.
pub fn counter_name(code: Code) -> String {
    format!("diagnoses_total_code={}", code.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            counter_name(Code::JwtExpired),
            "diagnoses_total_code=jwt-expired"
        );
    }
}
