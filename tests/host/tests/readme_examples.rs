//! The README's examples give what the README shows.
//!
//! Every `make explain …` line in a ```sh block of README.md runs, with its FILE/CONFIG/STATUS/NOW
//! arguments mapped the way the Makefile maps them, through the real filter. When the ```text
//! block right after that ```sh block shows its output, the stable parts must match: the Request
//! and Response lines, the first code (with its `plugin`/`at`) of the `X-Auth-Diagnosis:` line,
//! the `codes=` of the log line and the codes listed under "What it means". Wording (detail,
//! hint, the rest of the log line) may change on other branches without breaking this test.
//!
//! Every `X-Auth-Diagnosis:` line shown elsewhere in a code block must parse (up to a trailing
//! `…`) as an RFC 9651 List whose first member is a real code.
//!
//! To refresh the shown outputs after the filter's wording changed:
//!     README_REFRESH=1 cargo test -p adhost --test readme_examples
//! rewrites each output block with what the command prints now (long lines cut with `…`).

// Test support code may panic: a failed expectation is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use adhost::tools::explain::{explain, Ask};

/// Shown lines longer than this are cut with `…` when refreshing.
const SHOWN_WIDTH: usize = 150;

struct Block {
    info: String,
    /// Line index of the opening fence.
    start: usize,
    /// Line index of the closing fence.
    end: usize,
    lines: Vec<String>,
}

fn blocks(readme: &str) -> Vec<Block> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if let Some(info) = lines[i].strip_prefix("```") {
            let start = i;
            let mut body = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].starts_with("```") {
                body.push(lines[i].to_string());
                i += 1;
            }
            out.push(Block {
                info: info.trim().to_string(),
                start,
                end: i,
                lines: body,
            });
        }
        i += 1;
    }
    out
}

/// `make explain FILE=a CONFIG=b STATUS=401 # comment` → the arguments.
#[derive(Debug, Default)]
struct Command {
    file: String,
    config: Option<String>,
    status: Option<u16>,
    now: Option<u64>,
}

fn parse_command(line: &str) -> Option<Command> {
    let rest = line.trim().strip_prefix("make explain ")?;
    let rest = rest.split(" #").next().unwrap_or_default();
    let mut command = Command::default();
    for word in rest.split_whitespace() {
        let (key, value) = word
            .split_once('=')
            .unwrap_or_else(|| panic!("README: `{line}`: {word} is not KEY=VALUE"));
        match key {
            "FILE" => command.file = value.to_string(),
            "CONFIG" => command.config = Some(value.to_string()),
            "STATUS" => command.status = Some(value.parse().expect("STATUS is a number")),
            "NOW" => command.now = Some(value.parse().expect("NOW is unix seconds")),
            other => panic!("README: `{line}`: make explain takes no {other}"),
        }
    }
    assert!(!command.file.is_empty(), "README: `{line}` names no FILE");
    Some(command)
}

fn run(host: &adhost::Host, command: &Command) -> String {
    let root = adhost::repo_root();
    let read = |path: &str| {
        std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| {
            panic!("README example names {path}, which is not in the repository: {e}")
        })
    };
    let ask = Ask {
        transcript: read(&command.file),
        config: command.config.as_deref().map(read),
        status: command.status,
        now: command.now,
    };
    explain(host, &ask).unwrap_or_else(|e| panic!("README example {command:?} fails: {e:#}"))
}

fn first_member_head(header_line: &str) -> String {
    // The code and its token parameters: everything before the first string parameter.
    let value = header_line
        .strip_prefix("X-Auth-Diagnosis: ")
        .unwrap_or(header_line);
    let end = [";detail=", ";hint=", ",", "…"]
        .iter()
        .filter_map(|m| value.find(m))
        .min()
        .unwrap_or(value.len());
    value[..end].trim().to_string()
}

/// The stable parts of an explain output.
#[derive(Debug, PartialEq)]
struct Stable {
    request_response: Vec<String>,
    first: String,
    log_codes: Option<String>,
    meanings: Vec<String>,
}

fn stable(output: &[String]) -> Stable {
    let request_response = output
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .cloned()
        .collect();
    let first = output
        .iter()
        .find(|l| l.starts_with("X-Auth-Diagnosis: "))
        .map(|l| first_member_head(l))
        .unwrap_or_default();
    let log_codes = output
        .iter()
        .find(|l| l.starts_with("Log line: "))
        .and_then(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("codes="))
                .map(str::to_string)
        });
    let meanings = output
        .iter()
        .filter_map(|l| {
            let t = l.trim_start();
            let (n, rest) = t.split_once(". ")?;
            n.parse::<u32>().ok()?;
            rest.split(':').next().map(str::to_string)
        })
        .collect();
    Stable {
        request_response,
        first,
        log_codes,
        meanings,
    }
}

fn shown(output: &str) -> Vec<String> {
    output
        .lines()
        .map(|l| {
            let l = l.trim_end();
            if l.chars().count() <= SHOWN_WIDTH {
                l.to_string()
            } else {
                let cut: String = l.chars().take(SHOWN_WIDTH - 1).collect();
                format!("{cut}…")
            }
        })
        .collect()
}

#[test]
fn readme_examples_give_what_the_readme_shows() {
    let root = adhost::repo_root();
    let path = root.join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let host = adhost::load_host(None).unwrap_or_else(|e| panic!("{e:#}"));
    let all = blocks(&readme);
    let refresh = std::env::var_os("README_REFRESH").is_some();
    let mut replacements: Vec<(usize, usize, Vec<String>)> = Vec::new();
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut compared = 0;
    for (i, block) in all.iter().enumerate() {
        if block.info != "sh" {
            continue;
        }
        let commands: Vec<Command> = block
            .lines
            .iter()
            .filter_map(|l| parse_command(l))
            .collect();
        let outputs: Vec<String> = commands.iter().map(|c| run(&host, c)).collect();
        ran += commands.len();
        for (command, output) in commands.iter().zip(&outputs) {
            let header = output
                .lines()
                .find_map(|l| l.strip_prefix("X-Auth-Diagnosis: "))
                .unwrap_or_else(|| {
                    panic!("README example {command:?} prints no header line:\n{output}")
                });
            assert!(
                adhost::tools::replay::codes_from_header(header).is_some_and(|c| !c.is_empty()),
                "README example {command:?} gets no diagnosis: {header}"
            );
        }
        // The output shown for a block of one command: the ```text block right after it.
        let Some(next) = all.get(i + 1) else { continue };
        if commands.len() != 1 || next.info != "text" || next.start != block.end + 1 {
            continue;
        }
        let actual = shown(&outputs[0]);
        if refresh {
            replacements.push((next.start + 1, next.end, actual));
            continue;
        }
        compared += 1;
        let (want, got) = (stable(&next.lines), stable(&actual));
        if want != got {
            failures.push(format!(
                "README line {}: the output shown for `make explain FILE={}` differs from what it prints now \
                 (refresh: README_REFRESH=1 cargo test -p adhost --test readme_examples)\n shown: {want:#?}\n   now: {got:#?}",
                next.start + 1,
                commands[0].file
            ));
        }
    }
    if refresh {
        let mut lines: Vec<String> = readme.lines().map(str::to_string).collect();
        for (from, to, actual) in replacements.into_iter().rev() {
            lines.splice(from..to, actual);
        }
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        return;
    }
    assert!(ran > 0, "the README shows no make explain example");
    assert!(compared > 0, "the README shows no make explain output");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn shown_headers_are_real_diagnoses() {
    let readme = std::fs::read_to_string(adhost::repo_root().join("README.md")).unwrap();
    let known: Vec<&str> = adhost::tools::catalogue::CODES
        .iter()
        .map(|c| c.0)
        .collect();
    let mut seen = 0;
    for block in blocks(&readme) {
        for line in &block.lines {
            let Some(value) = line.trim().strip_prefix("X-Auth-Diagnosis: ") else {
                continue;
            };
            seen += 1;
            let head = first_member_head(value);
            let code = head.split(';').next().unwrap_or_default();
            assert!(
                known.contains(&code),
                "README shows an unknown code: {line}"
            );
            // Up to a `…` the value is a List (a cut one ends inside a member: parse the head).
            let parsed = value.split('…').next().unwrap_or_default();
            let candidate = if value.contains('…') {
                head.as_str()
            } else {
                parsed
            };
            assert!(
                adhost::tools::replay::codes_from_header(candidate).is_some(),
                "README shows a header that is not an RFC 9651 List: {line}"
            );
        }
    }
    assert!(seen > 0, "the README shows no X-Auth-Diagnosis line");
}

#[test]
fn the_makefile_maps_explain_arguments_as_this_test_does() {
    let makefile = std::fs::read_to_string(adhost::repo_root().join("Makefile")).unwrap();
    for mapping in [
        "explain $(FILE)",
        "$(if $(CONFIG),--config $(CONFIG))",
        "$(if $(STATUS),--status $(STATUS))",
        "$(if $(NOW),--now '$(NOW)')",
    ] {
        assert!(
            makefile.contains(mapping),
            "Makefile explain recipe lacks {mapping}"
        );
    }
}
