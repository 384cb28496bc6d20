//! `adhost`: replay scenarios against the filter, or show them to a person.
//!
//! ```text
//! adhost replay [--wasm PATH] FILE...   one JSON line per scenario; exit 1 if any fails or traps
//! adhost demo [--wasm PATH] [DIR]       readable walk through DIR (default tests/scenarios)
//! adhost bench [--filter PATH] [--noop PATH] [--iterations N]
//!                                       the filter against the no-op filter (SPEC §9); exit 1
//!                                       if the filter misbehaves on a benchmark shape
//! ```
//! Exit 2: bad usage, unreadable or invalid scenario, missing or invalid wasm.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use adhost::tools::demo;
use adhost::tools::report::Line;
use adhost::{check, load_host, replay, Host, Scenario};

const USAGE: &str = "usage: adhost replay [--wasm PATH] FILE...\n       adhost demo [--wasm PATH] [DIR]\n       adhost explain FILE [--config CONFIG.json] [--status N] [--now UNIX|RFC3339|HTTP-DATE] [--wasm PATH]\n       adhost bench [--filter PATH] [--noop PATH] [--iterations N]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("adhost: {}", one_line(&error));
            ExitCode::from(2)
        }
    }
}

/// Writes to stdout; a reader that went away (`adhost replay … | head`) ends the run as SIGPIPE
/// would (exit 141), not with a panic and a backtrace.
fn out(text: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        eprintln!("adhost: cannot write the output: {error}");
        std::process::exit(2);
    }
}

fn one_line(error: &anyhow::Error) -> String {
    format!("{error:#}").replace('\n', " ")
}

struct Options {
    wasm: Option<PathBuf>,
    positional: Vec<PathBuf>,
}

fn parse(args: &[String]) -> anyhow::Result<Options> {
    let mut wasm = None;
    let mut positional = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--wasm" {
            let path = iter
                .next()
                .ok_or_else(|| anyhow::anyhow!("--wasm needs a path\n{USAGE}"))?;
            wasm = Some(PathBuf::from(path));
        } else if let Some(path) = arg.strip_prefix("--wasm=") {
            wasm = Some(PathBuf::from(path));
        } else if arg.starts_with("--") {
            anyhow::bail!("unknown option {}\n{USAGE}", shown(arg));
        } else {
            positional.push(PathBuf::from(arg));
        }
    }
    Ok(Options { wasm, positional })
}

fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let Some((command, rest)) = args.split_first() else {
        anyhow::bail!("{USAGE}");
    };
    match command.as_str() {
        "replay" => {
            let options = parse(rest)?;
            if options.positional.is_empty() {
                anyhow::bail!("replay needs at least one scenario file\n{USAGE}");
            }
            replay_files(options.wasm.as_deref(), &options.positional)
        }
        "demo" => {
            let options = parse(rest)?;
            let dir = match options.positional.as_slice() {
                [] => adhost::default_scenarios_dir(),
                [dir] => dir.clone(),
                _ => anyhow::bail!("demo takes one directory\n{USAGE}"),
            };
            demo_dir(options.wasm.as_deref(), &dir)
        }
        "explain" => explain(rest),
        "bench" => bench(rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => anyhow::bail!("unknown command {}\n{USAGE}", shown(other)),
    }
}

/// An argument as an error may echo it: a mistyped option or a short word as it is, anything
/// else by its size, since a value pasted in the wrong place may be a credential.
fn shown(arg: &str) -> String {
    let option = arg.strip_prefix("--").is_some_and(|name| {
        name.len() <= 24 && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
    });
    if option || arg.len() < 8 {
        arg.to_owned()
    } else {
        format!("<{} bytes>", arg.len())
    }
}

/// The value after an option (`--config FILE`).
fn option_value<'a>(
    iter: &mut impl Iterator<Item = &'a String>,
    name: &str,
) -> anyhow::Result<String> {
    iter.next()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("{name} needs a value\n{USAGE}"))
}

/// `explain FILE [--config F] [--status N] [--now S] [--wasm P]`.
fn explain(args: &[String]) -> anyhow::Result<ExitCode> {
    use anyhow::Context as _;
    let mut ask = adhost::tools::explain::Ask::default();
    let mut wasm = None;
    let mut file = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = |name: &str| option_value(&mut iter, name);
        match arg.as_str() {
            "--config" => {
                let path = value("--config")?;
                ask.config = Some(
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read CONFIG {path}"))?,
                );
            }
            "--status" => {
                let status = value("--status")?;
                ask.status = Some(
                    status
                        .parse()
                        .ok()
                        .filter(|s| (100..=599).contains(s))
                        .ok_or_else(|| {
                            anyhow::anyhow!("STATUS must be an HTTP status, got {}", shown(&status))
                        })?,
                );
            }
            "--now" => {
                let now = value("--now")?;
                ask.now = Some(adhost::tools::exchange::parse_now(&now).ok_or_else(|| {
                    anyhow::anyhow!(
                        "NOW takes unix seconds, 2026-11-28T12:00:00Z or an HTTP date, got {}",
                        shown(&now)
                    )
                })?);
            }
            "--wasm" => wasm = Some(PathBuf::from(value("--wasm")?)),
            other if other.starts_with("--") => {
                anyhow::bail!("unknown option {}\n{USAGE}", shown(other))
            }
            other if file.is_none() => file = Some(PathBuf::from(other)),
            _ => anyhow::bail!("explain takes one FILE\n{USAGE}"),
        }
    }
    let Some(file) = file else {
        anyhow::bail!(
            "explain needs FILE: make explain FILE=request.txt (curl -v output or a request head)"
        );
    };
    let bytes =
        std::fs::read(&file).with_context(|| format!("cannot read FILE {}", file.display()))?;
    ask.transcript = String::from_utf8_lossy(&bytes).into_owned();
    let host = load_host(wasm.as_deref())?;
    out(&adhost::tools::explain::explain(&host, &ask)?);
    Ok(ExitCode::SUCCESS)
}

/// `bench [--filter P] [--noop P] [--iterations N]`: N timed requests per module and shape
/// (default 30000, in 30 batches).
fn bench(args: &[String]) -> anyhow::Result<ExitCode> {
    let mut filter = adhost::default_wasm_path();
    let mut noop = adhost::release_wasm_path("noop_filter");
    let mut iterations = 30_000;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = |name: &str| option_value(&mut iter, name);
        match arg.as_str() {
            "--filter" => filter = PathBuf::from(value("--filter")?),
            "--noop" => noop = PathBuf::from(value("--noop")?),
            "--iterations" => {
                let n = value("--iterations")?;
                iterations = n.parse().ok().filter(|&n: &usize| n > 0).ok_or_else(|| {
                    anyhow::anyhow!("--iterations takes a positive count, got {}", shown(&n))
                })?;
            }
            other => anyhow::bail!("unknown argument {}\n{USAGE}", shown(other)),
        }
    }
    let options = adhost::tools::bench::Options::new(filter, noop, iterations);
    eprintln!(
        "adhost bench: {} timed requests per module and shape, in {} batches",
        options.iterations, options.rounds
    );
    match adhost::tools::bench::run(&options) {
        Ok(report) => {
            out(&report.render());
            Ok(ExitCode::SUCCESS)
        }
        Err(error)
            if error
                .downcast_ref::<adhost::tools::bench::Broken>()
                .is_some() =>
        {
            eprintln!("adhost: {}", one_line(&error));
            Ok(ExitCode::from(1))
        }
        Err(error) => Err(error),
    }
}

/// Loads every scenario before running any, so an invalid file stops the run with exit 2.
fn load_all(files: &[PathBuf]) -> anyhow::Result<Vec<Scenario>> {
    files.iter().map(|file| Scenario::load(file)).collect()
}

fn replay_files(wasm: Option<&Path>, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let scenarios = load_all(files)?;
    let host = load_host(wasm)?;
    let mut all_ok = true;
    for scenario in &scenarios {
        let (ok, line) = replay_one(&host, scenario)?;
        // A trap fails the run even where the scenario expected it (SPEC §8).
        all_ok &= ok && !line.trapped;
        out(&format!("{}\n", line.to_json()));
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn replay_one(host: &Host, scenario: &Scenario) -> anyhow::Result<(bool, Line)> {
    let outcome = replay(host, scenario)?;
    let verdict = check(scenario, &outcome);
    for failure in &verdict.failures {
        eprintln!("FAIL {}: {failure}", scenario.name);
    }
    Ok((verdict.ok(), Line::new(&outcome, verdict.ok())))
}

fn demo_dir(wasm: Option<&Path>, dir: &Path) -> anyhow::Result<ExitCode> {
    let files = adhost::scenario_files(dir)?;
    if files.is_empty() {
        anyhow::bail!("no *.json scenario in {}", dir.display());
    }
    let scenarios = load_all(&files)?;
    let host = load_host(wasm)?;
    let mut passed = 0usize;
    for scenario in &scenarios {
        let outcome = replay(&host, scenario)?;
        let verdict = check(scenario, &outcome);
        if verdict.ok() && !outcome.trapped() {
            passed += 1;
        }
        out(&format!("{}\n", demo::render(scenario, &outcome, &verdict)));
    }
    out(&format!("{} scenarios, {passed} ok\n", scenarios.len()));
    Ok(if passed == scenarios.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
