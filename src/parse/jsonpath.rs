//! The JSON path at a line/column of a document: turns serde_json's "at line 1 column 20" into
//! `statuses[1]`, so config errors name the field without a path-tracking deserializer (which
//! would cost tens of kilobytes of wasm).

/// Dotted path (`auth.jwt.claims_to_verify[0]`) of the value or key at `line`/`column`
/// (1-based, as serde_json reports them); `.` for the document itself.
pub fn at(json: &[u8], line: usize, column: usize) -> String {
    let offset = offset_of(json, line, column);
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < offset.min(json.len()) {
        let Some(&b) = json.get(i) else { break };
        match b {
            b'"' => {
                let end = string_end(json, i);
                if let Some(Frame::Object { key, expecting_key }) = stack.last_mut() {
                    if *expecting_key {
                        *key = String::from_utf8_lossy(
                            json.get(i + 1..end.saturating_sub(1)).unwrap_or_default(),
                        )
                        .into_owned();
                        *expecting_key = false;
                    }
                }
                i = end;
                continue;
            }
            b'{' => stack.push(Frame::Object {
                key: String::new(),
                expecting_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { expecting_key, .. }) => *expecting_key = true,
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key, .. } if !key.is_empty() => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
            Frame::Object { .. } => {}
        }
    }
    if path.is_empty() {
        ".".into()
    } else {
        path
    }
}

enum Frame {
    Object { key: String, expecting_key: bool },
    Array { index: usize },
}

/// Index just past the string that starts at `start` (a `"`).
fn string_end(json: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(&b) = json.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    json.len()
}

fn offset_of(json: &[u8], line: usize, column: usize) -> usize {
    let mut current = 1;
    let mut start = 0;
    for (i, &b) in json.iter().enumerate() {
        if current == line {
            break;
        }
        if b == b'\n' {
            current += 1;
            start = i + 1;
        }
    }
    start + column.saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of_error(json: &str) -> String {
        let e = serde_json::from_str::<serde_json::Value>(json)
            .err()
            .map(|e| (e.line(), e.column()))
            .unwrap_or((1, json.len()));
        at(json.as_bytes(), e.0, e.1)
    }

    #[test]
    fn table() {
        let cases = [
            (r#"{"statuses":[401,"403"]}"#, 1, 22, "statuses[1]"),
            (r#"{"mode":"x"}"#, 1, 11, "mode"),
            (
                r#"{"auth":{"jwt":{"claims_to_verify":["iat"]}}}"#,
                1,
                41,
                "auth.jwt.claims_to_verify[0]",
            ),
            (
                "{\n  \"a\": 1,\n  \"b\": [1, {\"c\": true}]\n}",
                3,
                17,
                "b[1].c",
            ),
            (r#"{"a\"b":1}"#, 1, 8, "a\\\"b"),
        ];
        for (json, line, column, expected) in cases {
            assert_eq!(at(json.as_bytes(), line, column), expected, "{json}");
        }
        assert_eq!(path_of_error("{\"x\":[1,2,}"), "x[2]");
    }
}
