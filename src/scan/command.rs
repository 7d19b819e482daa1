//! `linkallow scan`: resolve the `--against` trees, scan (or merge shards), write the report,
//! and decide the exit code (0 clean, 1 some active pull fails, 2 something unreadable).

use super::report::{self, Summary};
use super::walk::{self, ScanError};
use crate::error::exit;
use crate::linker::LinkerRule;
use crate::linker::verdict::Link;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::Command;

pub struct ScanOptions {
    pub paths: Vec<PathBuf>,
    /// GOROOTs or release names (`go1.27.3`).
    pub against: Vec<String>,
    pub json: bool,
    pub goos: Option<String>,
    pub goarch: Option<String>,
    /// `paths` are JSON Lines shards to merge.
    pub merge: bool,
    /// Judge `_test.go` pulls as `go test` builds them; without it they are inactive, as for
    /// `go build`.
    pub tests: bool,
}

/// Runs the command; problems that do not stop it are printed to `err` as `path[:line]: message`.
pub fn run(opts: &ScanOptions, out: &mut impl Write, err: &mut impl Write) -> std::io::Result<u8> {
    let mut problems: Vec<ScanError> = Vec::new();
    let mut summary = Summary::default();
    let mut failing = false;
    let mut stats = String::new();
    if opts.merge {
        let mut merged = report::merge(&opts.paths, |r| {
            failing |= r.fails();
            if opts.json {
                report::write_json(out, &r)
            } else {
                summary.add(&r);
                Ok(())
            }
        })?;
        problems.append(&mut merged);
    } else {
        let (goos, goarch) = target(opts);
        if let Err(message) = check_target_shape(&goos, &goarch) {
            writeln!(err, "linkallow: {message}")?;
            return Ok(exit::ERROR);
        }
        let cgo = cgo_enabled(&goos, &goarch);
        let mut rules = Vec::new();
        for a in &opts.against {
            match resolve_goroot(a).and_then(|root| {
                LinkerRule::load(&root, &goos, &goarch, cgo).map_err(|e| e.to_string())
            }) {
                // No prediction for a port the release does not have.
                Ok(rule) => match check_target(&rule.goroot, &rule.version, &goos, &goarch) {
                    Ok(()) => rules.push(rule),
                    Err(message) => {
                        writeln!(err, "linkallow: {a}: --against: {message}")?;
                        return Ok(exit::ERROR);
                    }
                },
                Err(message) => problems.push(ScanError {
                    path: a.clone(),
                    line: None,
                    message: format!("--against: {message}"),
                }),
            }
        }
        let walked = walk::walk(&opts.paths);
        let bar = progress_bar(walked.files.len() as u64);
        let tick = |n: u64| bar.inc(n);
        let started = std::time::Instant::now();
        let mut scanned = super::scan_walked(walked, &rules, &tick);
        bar.finish_and_clear();
        if !opts.tests {
            scanned.records.iter_mut().for_each(not_built_by_go_build);
        }
        problems.extend(scanned.errors);
        for r in &scanned.records {
            failing |= r.fails();
            if opts.json {
                report::write_json(out, r)?;
            } else {
                summary.add(r);
            }
        }
        let secs = started.elapsed().as_secs_f64();
        stats = format!(
            "linkallow: {} in {} ({:.1} MB) in {secs:.2}s; against {}",
            crate::error::plural(scanned.records.len(), "pull", "pulls"),
            crate::error::plural(scanned.files, "file", "files"),
            scanned.bytes as f64 / 1e6,
            if rules.is_empty() {
                "no tree".to_string()
            } else {
                rules
                    .iter()
                    .map(|r| format!("{} ({}/{})", r.version, r.ctx.goos, r.ctx.goarch))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
    }
    if !opts.json {
        summary.write(out)?;
    }
    out.flush()?;
    if !stats.is_empty() {
        writeln!(err, "{stats}")?;
    }
    for p in &problems {
        writeln!(err, "linkallow: {p}")?;
    }
    Ok(if !problems.is_empty() {
        exit::ERROR
    } else if failing {
        exit::DRIFT
    } else {
        exit::OK
    })
}

/// `go build` builds no `_test.go` file: its pulls are inactive under every tree.
fn not_built_by_go_build(r: &mut super::PullRecord) {
    if !r.test {
        return;
    }
    for v in r.verdicts.iter_mut().flat_map(|v| v.values_mut()) {
        if v.link != Link::Ignored {
            v.link = Link::Inactive;
            v.reason =
                "a test file: `go build` does not build it (--tests judges it as `go test` does)"
                    .to_string();
        }
    }
}

/// A GOOS or GOARCH is a lower-case word of letters and digits (`linux`, `amd64`): anything
/// else can name no port, and must not reach a path or a message unchecked.
fn check_target_shape(goos: &str, goarch: &str) -> Result<(), String> {
    for (flag, v) in [("--goos", goos), ("--goarch", goarch)] {
        if v.is_empty()
            || !v
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(format!(
                "{flag} {v:?}: not a GOOS/GOARCH word (lower-case letters and digits; `go tool dist list` names the pairs)"
            ));
        }
    }
    Ok(())
}

/// The pair must be one the tree's `go tool dist list` prints.
fn check_target(
    goroot: &std::path::Path,
    version: &str,
    goos: &str,
    goarch: &str,
) -> Result<(), String> {
    let pairs = dist_list(goroot)?;
    let pair = format!("{goos}/{goarch}");
    if pairs.contains(&pair) {
        return Ok(());
    }
    let same_os: Vec<&str> = pairs
        .iter()
        .filter(|p| p.split('/').next() == Some(goos))
        .map(String::as_str)
        .collect();
    let hint = if same_os.is_empty() {
        format!("no port has GOOS {goos}")
    } else {
        format!("its {goos} ports are {}", same_os.join(", "))
    };
    Err(format!(
        "--goos {goos} --goarch {goarch}: {version} does not list {pair} in `go tool dist list` ({hint})"
    ))
}

/// The pairs `go tool dist list` prints for a tree: the keys of `cgoEnabled` in
/// `src/cmd/dist/build.go`, less those in `broken`.
pub fn dist_list(goroot: &std::path::Path) -> Result<std::collections::BTreeSet<String>, String> {
    let path = goroot.join("src/cmd/dist/build.go");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e} (needed to check --goos/--goarch)", path.display()))?;
    let keys = |var: &str| -> Option<Vec<String>> {
        let start = text.find(&format!("\nvar {var} = map[string]bool{{"))?;
        let body = &text[start..];
        let body = &body[body.find('{')? + 1..];
        let body = &body[..body.find("\n}")?];
        Some(
            body.lines()
                .filter_map(|l| {
                    let l = l.trim().strip_prefix('"')?;
                    Some(l[..l.find('"')?].to_string())
                })
                .collect(),
        )
    };
    let Some(all) = keys("cgoEnabled").filter(|k| !k.is_empty()) else {
        return Err(format!(
            "{}: no `var cgoEnabled = map[string]bool{{...}}` (needed to check --goos/--goarch)",
            path.display()
        ));
    };
    let broken = keys("broken").unwrap_or_default();
    Ok(all.into_iter().filter(|p| !broken.contains(p)).collect())
}

fn progress_bar(len: u64) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed}")
    {
        bar.set_style(style);
    }
    bar
}

/// `--goos`/`--goarch`, else $GOOS/$GOARCH as the go command reads them, else the host.
fn target(opts: &ScanOptions) -> (String, String) {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let goos = opts
        .goos
        .clone()
        .or_else(|| env("GOOS"))
        .unwrap_or_else(|| host_goos().to_string());
    let goarch = opts
        .goarch
        .clone()
        .or_else(|| env("GOARCH"))
        .unwrap_or_else(|| host_goarch().to_string());
    (goos, goarch)
}

fn host_goos() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    }
}

fn host_goarch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "loongarch64" => "loong64",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        other => other,
    }
}

/// The go command's default: $CGO_ENABLED, else on for a native build with a C compiler.
fn cgo_enabled(goos: &str, goarch: &str) -> bool {
    if let Ok(v) = std::env::var("CGO_ENABLED")
        && !v.is_empty()
    {
        return v == "1";
    }
    if goos != host_goos() || goarch != host_goarch() {
        return false;
    }
    let cc = std::env::var("CC").unwrap_or_else(|_| "gcc".to_string());
    let cc = cc.split_whitespace().next().unwrap_or("gcc").to_string();
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|p| p.join(&cc).is_file() || p.join("clang").is_file())
    })
}

/// A GOROOT path, or a release name resolved as the go command does
/// (`GOTOOLCHAIN=go1.27.3 go env GOROOT`).
pub fn resolve_goroot(against: &str) -> Result<PathBuf, String> {
    let as_path = PathBuf::from(against);
    if as_path.is_dir() {
        return Ok(as_path);
    }
    if !against.starts_with("go1.") {
        return Err(format!(
            "{against}: neither a GOROOT folder nor a release name like go1.27.3"
        ));
    }
    let out = Command::new("go")
        .args(["env", "GOROOT"])
        .env("GOTOOLCHAIN", against)
        .env_remove("GOROOT")
        .output()
        .map_err(|e| format!("running `GOTOOLCHAIN={against} go env GOROOT`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`GOTOOLCHAIN={against} go env GOROOT` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}
