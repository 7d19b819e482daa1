//! `linkallow scan` end to end. The oracle is the real linker: for each installed toolchain
//! (Go 1.26.8, go1.27.3, go1.23.9 from the first lockdown, and go1.22.10 from before it) every fixture package is built
//! with `go build`, and scan's prediction must equal what happened.

mod util;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use util::*;

/// Toolchains the acceptance test runs against: (GOTOOLCHAIN value, what it stands for).
const TOOLCHAINS: &[&str] = &["local", "go1.27.3", "go1.23.9", "go1.22.10"];

/// Targets: (GOOS, GOARCH), built with CGO_ENABLED=0 so no C toolchain is needed. arm64 turns
/// the platform-specific cases around; 386 has no register ABI, so no ABI wrappers.
const PLATFORMS: &[(&str, &str)] = &[("linux", "amd64"), ("linux", "arm64"), ("linux", "386")];

/// The toolchain's GOROOT, or None (skip, with the reason printed) unless
/// LINKALLOW_REQUIRE_GO=1, when a missing toolchain fails the test.
fn toolchain_goroot(name: &str) -> Option<PathBuf> {
    let out = Command::new("go")
        .args(["env", "GOROOT"])
        .env("GOTOOLCHAIN", name)
        .env_remove("GOROOT")
        .output();
    let reason = match out {
        Ok(o) if o.status.success() => {
            return Some(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
        }
        Ok(o) => format!(
            "`GOTOOLCHAIN={name} go env GOROOT` failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => format!("no go command: {e}"),
    };
    if std::env::var("LINKALLOW_REQUIRE_GO").is_ok_and(|v| v == "1") {
        panic!("LINKALLOW_REQUIRE_GO=1 but {reason}");
    }
    eprintln!("SKIP: {reason}");
    None
}

/// What a real build of one package did.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Links,
    /// `invalid reference to SYM`
    Rejected(String),
    /// `relocation target SYM not defined`
    Undefined(String),
    /// `duplicated definition of symbol SYM`
    Duplicate(String),
    /// No file of the package is built for the target.
    NoFiles,
    /// The compiler stopped it: the linker never ran.
    Compile(String),
}

fn build(goroot: &Path, module: &Path, pkg: &str, goos: &str, goarch: &str) -> Outcome {
    let out = Command::new(goroot.join("bin/go"))
        .args(["build", "-o", "/dev/null", &format!("./{pkg}")])
        .current_dir(module)
        .env("GOROOT", goroot)
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=mod")
        .env("GOOS", goos)
        .env("GOARCH", goarch)
        .env("CGO_ENABLED", "0")
        .output()
        .expect("run go build");
    if out.status.success() {
        return Outcome::Links;
    }
    let err = stderr(&out);
    if let Some(at) = err.find("invalid reference to ") {
        let sym = err[at + "invalid reference to ".len()..]
            .split_whitespace()
            .next()
            .unwrap_or("");
        return Outcome::Rejected(sym.to_string());
    }
    if let Some(at) = err.find("relocation target ") {
        let sym = err[at + "relocation target ".len()..]
            .split_whitespace()
            .next()
            .unwrap_or("");
        return Outcome::Undefined(sym.to_string());
    }
    if err.contains("build constraints exclude all Go files") {
        return Outcome::NoFiles;
    }
    if let Some(at) = err.find("duplicated definition of symbol ") {
        let sym = err[at + "duplicated definition of symbol ".len()..]
            .split([' ', ','])
            .next()
            .unwrap_or("");
        return Outcome::Duplicate(sym.to_string());
    }
    Outcome::Compile(
        err.lines()
            .find(|l| !l.starts_with('#'))
            .unwrap_or("")
            .to_string(),
    )
}

/// scan's prediction for one package: the failing pulls with their verdicts, and whether a
/// pull the linker never sees (type/const) is there.
#[derive(Debug, Default)]
struct Prediction {
    /// Symbol → (verdict, reason) for pulls that fail.
    failing: BTreeMap<String, (String, String)>,
    ignored: bool,
    /// Pulls in files built for the target.
    active: usize,
    /// References (records that are not definitions).
    references: usize,
}

fn predict(records: &[Value], version: &str) -> BTreeMap<String, Prediction> {
    let mut out: BTreeMap<String, Prediction> = BTreeMap::new();
    for r in records {
        let file = r["file"].as_str().unwrap();
        // A fixture package is a top-level folder; its subpackages are its imports.
        let pkg = file.split_once('/').map_or("", |(d, _)| d).to_string();
        let v = &r["verdicts"][version];
        let link = v["link"]
            .as_str()
            .unwrap_or_else(|| panic!("no verdict for {version}: {r}"));
        let p = out.entry(pkg).or_default();
        if r["defines"] == false {
            p.references += 1;
        }
        if link != "inactive" {
            p.active += 1;
        }
        match link {
            "rejected" | "undefined" => {
                p.failing.insert(
                    r["symbol"].as_str().unwrap().to_string(),
                    (link.to_string(), v["reason"].as_str().unwrap().to_string()),
                );
            }
            "ignored" => p.ignored = true,
            "ok" | "inactive" | "unknown" => {}
            other => panic!("unknown verdict {other}"),
        }
    }
    out
}

fn agrees(p: &Prediction, o: &Outcome) -> bool {
    if p.ignored {
        return matches!(o, Outcome::Compile(e) if e.contains("must refer to declared function or variable"));
    }
    match o {
        Outcome::Links => p.failing.is_empty(),
        Outcome::Rejected(s) => p.failing.get(s).is_some_and(|(l, _)| l == "rejected"),
        Outcome::Undefined(s) => p.failing.get(s).is_some_and(|(l, _)| l == "undefined"),
        Outcome::Duplicate(s) => p
            .failing
            .get(s)
            .is_some_and(|(l, why)| l == "rejected" && why.contains("duplicated definition")),
        Outcome::NoFiles => p.active == 0,
        Outcome::Compile(_) => false,
    }
}

fn version_of(goroot: &Path) -> String {
    std::fs::read_to_string(goroot.join("VERSION"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn predictions_match_real_builds() {
    let mut roots = Vec::new();
    for name in TOOLCHAINS {
        match toolchain_goroot(name) {
            Some(r) => roots.push(r),
            None => return,
        }
    }
    let tmp = TempDir::new("scan-oracle");
    let module = tmp.join("mod");
    copy_tree(&fixtures().join("scan/mod"), &module);
    let packages: Vec<String> = {
        let mut p: Vec<String> = std::fs::read_dir(&module)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        p.sort();
        p
    };
    let mut table = String::new();
    let mut disagreements = Vec::new();
    for (goos, goarch) in PLATFORMS {
        let mut args: Vec<String> = vec![
            "scan".into(),
            module.display().to_string(),
            "--json".into(),
            "--goos".into(),
            goos.to_string(),
            "--goarch".into(),
            goarch.to_string(),
        ];
        for r in &roots {
            args.push("--against".into());
            args.push(r.display().to_string());
        }
        let out = run(bin().args(&args).env("CGO_ENABLED", "0"));
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "scan failed: {}",
            stderr(&out)
        );
        let records: Vec<Value> = stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        for root in &roots {
            let version = version_of(root);
            let predicted = predict(&records, &version);
            let none = Prediction::default();
            for pkg in &packages {
                // `nopull_*` packages hold references scan must not report as pulls.
                let p = match predicted.get(pkg) {
                    Some(p) => {
                        assert!(
                            !pkg.starts_with("nopull_") || p.references == 0,
                            "scan reports pulls in {pkg}: {:?}",
                            p.failing
                        );
                        p
                    }
                    None if pkg.starts_with("nopull_") => &none,
                    None => panic!("scan found no pull in {pkg}"),
                };
                let o = build(root, &module, pkg, goos, goarch);
                let ok = agrees(p, &o);
                let shown: Vec<String> = p
                    .failing
                    .iter()
                    .map(|(s, (l, _))| format!("{l} {s}"))
                    .collect();
                let guess = if p.ignored {
                    "ignored (compiler refuses)".to_string()
                } else if p.active == 0 {
                    "inactive".to_string()
                } else if shown.is_empty() {
                    "links".to_string()
                } else {
                    shown.join(", ")
                };
                let line = format!(
                    "| {version} | {goos}/{goarch} | {pkg} | {guess} | {o:?} | {} |\n",
                    if ok { "match" } else { "MISMATCH" }
                );
                table.push_str(&line);
                if !ok {
                    disagreements.push(line);
                }
            }
        }
    }
    println!(
        "| release | platform | package | predicted | real build | |\n|---|---|---|---|---|---|\n{table}"
    );
    assert!(
        disagreements.is_empty(),
        "prediction differs from the real linker:\n{}",
        disagreements.concat()
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Every record carries exactly the fields the issue lists (and verdicts with --against).
#[test]
fn json_records_have_the_promised_fields() {
    let out = run(bin()
        .args(["scan", "--json"])
        .arg(fixtures().join("scan/mod")));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let want: BTreeSet<&str> = [
        "module",
        "version",
        "file",
        "line",
        "column",
        "end_column",
        "symbol",
        "local",
        "kind",
        "defines",
        "test",
        "build",
    ]
    .into();
    let text = stdout(&out);
    let mut n = 0;
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, want, "{line}");
        n += 1;
    }
    assert!(n >= 15, "{text}");
    let arm: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["file"] == "arm64_only/pull_arm64.go")
        .collect();
    assert_eq!(arm[0]["build"], "arm64");
    assert_eq!(arm[0]["module"], "example.com/linkfix");
    // The fixture sits in this repository's checkout (a pseudo-version, as go build stamps
    // it) or in an unpacked tarball (no version).
    let version = &arm[0]["version"];
    assert!(
        version.is_null() || version.as_str().is_some_and(|v| v.starts_with("v0.0.0-")),
        "{version}"
    );
    let asm: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["kind"] == "asm")
        .collect();
    assert_eq!(asm.len(), 18, "{asm:?}");
}

fn write(path: &Path, text: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const GOOD_PULL: &str = "package main\n\nimport _ \"unsafe\"\n\n//go:linkname fastrand runtime.fastrand\nfunc fastrand() uint32\n\nfunc main() { println(fastrand()) }\n";

/// A module cache holds `path@version` folders with `!x` escaping and a `cache/` to skip; a
/// vendor folder attributes files through modules.txt.
#[test]
fn attributes_pulls_to_modules() {
    let tmp = TempDir::new("scan-modules");
    let cache = tmp.join("gomodcache");
    write(
        &cache.join("github.com/!burnt!sushi/x@v1.2.3/go.mod"),
        "module github.com/BurntSushi/x\n",
    );
    write(
        &cache.join("github.com/!burnt!sushi/x@v1.2.3/sub/a.go"),
        GOOD_PULL,
    );
    write(
        &cache.join("cache/download/github.com/y/@v/a.go"),
        GOOD_PULL,
    );
    write(
        &tmp.join("app/go.mod"),
        "module example.com/app\n\ngo 1.22\n",
    );
    write(
        &tmp.join("app/vendor/modules.txt"),
        "# example.com/dep v0.4.0\n## explicit\nexample.com/dep\n",
    );
    write(&tmp.join("app/vendor/example.com/dep/d.go"), GOOD_PULL);
    write(&tmp.join("app/testdata/t.go"), GOOD_PULL);
    write(&tmp.join("app/_skip/t.go"), GOOD_PULL);
    write(&tmp.join("app/.hidden/t.go"), GOOD_PULL);
    write(&tmp.join("app/main_test.go"), GOOD_PULL);
    let out = run(bin().args(["scan", "--json"]).arg(&tmp));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got: Vec<(String, String, String, bool)> = stdout(&out)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["module"].as_str().unwrap().to_string(),
                v["version"].as_str().unwrap_or("-").to_string(),
                v["file"].as_str().unwrap().to_string(),
                v["test"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "example.com/app".into(),
                "-".into(),
                "main_test.go".into(),
                true
            ),
            (
                "example.com/dep".into(),
                "v0.4.0".into(),
                "d.go".into(),
                false
            ),
            (
                "github.com/BurntSushi/x".into(),
                "v1.2.3".into(),
                "sub/a.go".into(),
                false
            ),
        ]
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Bad input is reported with its path (and line), never a panic; good pulls are still
/// reported; exit 2.
#[test]
fn bad_input_is_reported_and_scanning_goes_on() {
    let tmp = TempDir::new("scan-bad");
    let m = tmp.join("m");
    write(&m.join("go.mod"), "module example.com/m\n");
    write(&m.join("good/main.go"), GOOD_PULL);
    let mut latin1 = GOOD_PULL.as_bytes().to_vec();
    latin1.extend_from_slice(b"// caf\xe9\n");
    write(&m.join("latin1/main.go"), latin1);
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&m, m.join("loop")).unwrap();
        std::os::unix::fs::symlink(m.join("nowhere.go"), m.join("dangling.go")).unwrap();
    }
    // A folder named like a Go file is a folder (as for the go command: nats.go, yaml.go).
    write(&m.join("dir.go/main.go"), GOOD_PULL);
    write(&tmp.join("broken/go.mod"), "modul example.com/broken\n");
    write(&tmp.join("broken/main.go"), GOOD_PULL);
    let out = run(bin()
        .args(["scan", "--json", "--against"])
        .arg(tmp.join("m"))
        .arg(&tmp));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let latin1_path = m.join("latin1/main.go");
    for want in [
        format!("{}:9: not UTF-8", latin1_path.display()),
        format!("{}: symlink loop", m.join("loop").display()),
        format!(
            "{}: No such file or directory",
            m.join("dangling.go").display()
        ),
        format!(
            "{}: no module line in go.mod",
            tmp.join("broken/go.mod").display()
        ),
        format!(
            "{}: --against: {}: not a GOROOT (no src/runtime)",
            m.display(),
            m.display()
        ),
    ] {
        assert!(err.contains(&want), "want {want:?} in:\n{err}");
    }
    let files: BTreeSet<String> = stdout(&out)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["file"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        files,
        BTreeSet::from([
            "good/main.go".to_string(),
            "dir.go/main.go".to_string(),
            "main.go".to_string()
        ]),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Shards merge into the same output; a corrupt line is reported with file and line.
#[test]
fn merge_streams_shards_and_reports_corrupt_lines() {
    let tmp = TempDir::new("scan-merge");
    let out = run(bin()
        .args(["scan", "--json"])
        .arg(fixtures().join("scan/mod")));
    let all = stdout(&out);
    let lines: Vec<&str> = all.lines().collect();
    let (a, b) = lines.split_at(lines.len() / 2);
    write(&tmp.join("a.jsonl"), a.join("\n") + "\n");
    write(&tmp.join("b.jsonl"), b.join("\n") + "\n{\"module\": 3\n");
    let merged = run(bin()
        .args(["scan", "--merge", "--json"])
        .arg(tmp.join("a.jsonl"))
        .arg(tmp.join("b.jsonl")));
    assert_eq!(merged.status.code(), Some(2));
    assert_eq!(stdout(&merged), all);
    let want = format!(
        "{}:{}: not a scan record",
        tmp.join("b.jsonl").display(),
        b.len() + 1
    );
    assert!(stderr(&merged).contains(&want), "{}", stderr(&merged));
    let human = run(bin()
        .args(["scan", "--merge"])
        .arg(tmp.join("a.jsonl"))
        .arg(tmp.join("b.jsonl")));
    let direct = run(bin().args(["scan"]).arg(fixtures().join("scan/mod")));
    assert_eq!(stdout(&human), stdout(&direct));
    let _ = std::fs::remove_dir_all(&tmp);
}

/// `linkallow scan ./sub` inside a module: the enclosing go.mod (or vendor/modules.txt) names the
/// module, and file names stay relative to the module root.
#[test]
fn a_walk_inside_a_module_is_attributed_to_it() {
    let tmp = TempDir::new("scan-inside");
    write(&tmp.join("app/go.mod"), "module example.com/app\n");
    write(&tmp.join("app/sub/deep/a.go"), GOOD_PULL);
    write(
        &tmp.join("app/vendor/modules.txt"),
        "# example.com/dep v0.4.0\n## explicit\nexample.com/dep\n",
    );
    write(&tmp.join("app/vendor/example.com/dep/x/d.go"), GOOD_PULL);
    let fields = |dir: &Path| -> Vec<(String, String, String)> {
        let out = run(bin().args(["scan", "--json"]).arg(dir));
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                (
                    v["module"].as_str().unwrap().to_string(),
                    v["version"].as_str().unwrap_or("-").to_string(),
                    v["file"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        fields(&tmp.join("app/sub")),
        vec![("example.com/app".into(), "-".into(), "sub/deep/a.go".into())]
    );
    assert_eq!(
        fields(&tmp.join("app/vendor/example.com/dep/x")),
        vec![("example.com/dep".into(), "v0.4.0".into(), "x/d.go".into())]
    );
    assert_eq!(
        fields(&tmp.join("app/vendor/example.com")),
        vec![("example.com/dep".into(), "v0.4.0".into(), "x/d.go".into())]
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

/// An `undefined` verdict names the files that define the symbol for other targets.
#[test]
fn undefined_names_where_the_symbol_exists() {
    let Some(root) = toolchain_goroot("local") else {
        return;
    };
    let out = run(bin()
        .args([
            "scan",
            "--json",
            "--goos",
            "linux",
            "--goarch",
            "amd64",
            "--against",
        ])
        .arg(&root)
        .arg(fixtures().join("scan/mod/other_arch")));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: Value = serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
    let verdict = &v["verdicts"][version_of(&root).as_str()];
    assert_eq!(verdict["link"], "undefined");
    let reason = verdict["reason"].as_str().unwrap();
    assert!(reason.contains("runtime/tls_arm64.s:"), "{reason}");
    assert!(reason.contains("(arm64)"), "{reason}");
}

/// quic-go v0.44.0: `scan .` counted a pull in a `_test.go` file toward exit 1, though `go build`
/// builds no test file. By default such pulls are inactive; `--tests` judges them as `go test`.
#[test]
fn test_file_pulls_count_only_with_tests() {
    let Some(root) = toolchain_goroot("local") else {
        return;
    };
    let tmp = TempDir::new("scan-tests-flag");
    let m = tmp.join("m");
    write(&m.join("go.mod"), "module example.com/m\n\ngo 1.22\n");
    write(&m.join("m.go"), "package m\n");
    write(
        &m.join("m_test.go"),
        "package m\n\nimport (\n\t_ \"encoding/json\"\n\t_ \"unsafe\"\n)\n\n//go:linkname isValidNumber encoding/json.isValidNumber\nfunc isValidNumber(s string) bool\n\n// A live use: an unused pull leaves no reference for the linker to judge.\nvar _ = isValidNumber(\"1\")\n",
    );
    let version = version_of(&root);
    let scan = |extra: &[&str]| {
        let out = run(bin()
            .args(["scan", "--json", "--goos", "linux", "--goarch", "amd64"])
            .args(extra)
            .arg("--against")
            .arg(&root)
            .arg(&m));
        let v: Value = serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
        (
            out.status.code(),
            v["verdicts"][version.as_str()].clone(),
            v["test"].clone(),
        )
    };
    let (code, verdict, test) = scan(&[]);
    assert_eq!(test, true);
    assert_eq!(code, Some(0), "{verdict}");
    assert_eq!(verdict["link"], "inactive");
    assert!(
        verdict["reason"].as_str().unwrap().contains("--tests"),
        "{verdict}"
    );
    let (code, verdict, _) = scan(&["--tests"]);
    assert_eq!(code, Some(1), "{verdict}");
    assert_eq!(verdict["link"], "rejected");
    let _ = std::fs::remove_dir_all(&tmp);
}

/// `scan .` on a git checkout printed `"version":null`; the version is the one `go build`
/// stamps on the main module (the oracle here: `go version -m` of a real build), for a tagged
/// HEAD, a commit after the tag, a dirty tree, and a module in a subfolder with its own tags.
#[test]
fn version_comes_from_the_vcs_tag_as_go_build_stamps_it() {
    let Some(root) = toolchain_goroot("local") else {
        return;
    };
    let tmp = TempDir::new("scan-vcs-version");
    let repo = tmp.join("repo");
    let git = |args: &[&str]| {
        let out = run(Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(["-c", "user.email=a@example.com", "-c", "user.name=a"])
            .args(args));
        assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    };
    write(&repo.join("go.mod"), "module example.com/m\n\ngo 1.22\n");
    write(&repo.join("main.go"), GOOD_PULL);
    write(
        &repo.join("sub/go.mod"),
        "module example.com/m/sub\n\ngo 1.22\n",
    );
    write(&repo.join("sub/main.go"), GOOD_PULL);
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "one"]);
    git(&["tag", "v1.2.3"]);
    git(&["tag", "sub/v0.3.0"]);
    git(&["tag", "v2.0.0"]); // not for a module without /v2
    let stamped = |dir: &Path| {
        let bin_path = tmp.join("prog");
        let out = run(Command::new(root.join("bin/go"))
            .current_dir(dir)
            .args(["build", "-buildvcs=true", "-o"])
            .arg(&bin_path)
            .arg(".")
            .env("GOTOOLCHAIN", "local")
            .env("GOFLAGS", "")
            .env("GOROOT", &root));
        assert!(out.status.success(), "{}", stderr(&out));
        let out = run(Command::new(root.join("bin/go"))
            .args(["version", "-m"])
            .arg(&bin_path));
        let _ = std::fs::remove_file(&bin_path);
        stdout(&out)
            .lines()
            .find_map(|l| l.trim().strip_prefix("mod\t"))
            .and_then(|l| l.split('\t').nth(1))
            .unwrap()
            .to_string()
    };
    let scanned = |dir: &Path| {
        let out = run(bin().args(["scan", "--json"]).arg(dir));
        let v: Value = serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
        v["version"].as_str().map(str::to_string)
    };
    let mut seen = Vec::new();
    for step in ["tagged", "after the tag", "dirty"] {
        match step {
            "after the tag" => git(&["commit", "-q", "--allow-empty", "-m", "two"]),
            "dirty" => write(&repo.join("main.go"), format!("{GOOD_PULL}// edit\n")),
            _ => {}
        }
        for dir in [repo.clone(), repo.join("sub")] {
            let want = stamped(&dir);
            assert_ne!(want, "(devel)", "{step}");
            assert_eq!(
                scanned(&dir).as_deref(),
                Some(want.as_str()),
                "{step}: {dir:?}"
            );
            seen.push(want);
        }
    }
    assert_eq!(seen[0], "v1.2.3");
    assert_eq!(seen[1], "v0.3.0");
    assert!(seen[4].ends_with("+dirty"), "{seen:?}");
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Pulls into another module's package (a local module behind a `replace`), from Go and from
/// assembly: no linker checks them, so the link fails exactly when the target module lacks
/// the symbol, and scan predicts that from the target module's sources when it scanned them.
/// References to the pulling module's own packages are not pulls.
#[test]
fn module_pulls_match_real_builds() {
    let mut roots = Vec::new();
    for name in ["local", "go1.27.3", "go1.22.10"] {
        match toolchain_goroot(name) {
            Some(r) => roots.push(r),
            None => return,
        }
    }
    let tmp = tempdir("scan-modpull");
    let corpus = tmp.join("c");
    copy_tree(&fixtures().join("scan/modpull"), &corpus);
    let main = corpus.join("main");
    // Loading a tree's rule is most of a scan's time: the second scan loads one.
    let scan = |path: &Path, roots: &[PathBuf]| {
        let mut cmd = bin();
        cmd.arg("scan").arg(path).arg("--json");
        cmd.args(["--goos", "linux", "--goarch", "amd64"]);
        for r in roots {
            cmd.arg("--against").arg(r);
        }
        run(cmd.env("CGO_ENABLED", "0"))
    };
    let out = scan(&corpus, &roots);
    // A live undefined module pull fails the gate as an undefined std pull does.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let records: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut seen = BTreeSet::new();
    for r in &records {
        assert_eq!(r["module"], "example.com/modpull", "{r}");
        assert_eq!(
            r["target_module"],
            serde_json::json!({"path": "example.com/dep", "version": "v0.1.0"}),
            "{r}"
        );
        let file = r["file"].as_str().unwrap();
        assert!(
            !file.starts_with("nopull_"),
            "own packages are not pulls: {r}"
        );
        if r["kind"] == "asm" {
            assert!(
                r["local"]
                    .as_str()
                    .unwrap()
                    .starts_with("example·com∕dep∕p·"),
                "{r}"
            );
        }
        seen.insert(file.split_once('/').unwrap().0.to_string());
        for v in r["verdicts"].as_object().unwrap().values() {
            if v["link"] == "inactive" {
                continue; // the other platform's assembly
            }
            assert_eq!(v["cause"], "module", "{r}");
            assert!(
                v["reason"].as_str().unwrap().contains("go.dev/issue/81051"),
                "{r}"
            );
        }
    }
    let want: BTreeSet<String> = ["asm_missing", "asm_other", "exists", "missing"]
        .map(String::from)
        .into();
    assert_eq!(seen, want);
    let mut disagreements = Vec::new();
    for root in &roots {
        let version = version_of(root);
        let predicted = predict(&records, &version);
        let none = Prediction::default();
        for pkg in want.iter().map(String::as_str).chain(["nopull_own"]) {
            let p = predicted.get(pkg).unwrap_or(&none);
            let o = build(root, &main, pkg, "linux", "amd64");
            if !agrees(p, &o) {
                disagreements.push(format!(
                    "{version} {pkg}: predicted {:?}, real {o:?}",
                    p.failing
                ));
            }
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    // The human report (here of the records merged back) lists them apart.
    let shard = tmp.join("all.jsonl");
    std::fs::write(&shard, stdout(&out)).unwrap();
    let merged = run(bin().args(["scan", "--merge"]).arg(&shard));
    assert_eq!(merged.status.code(), Some(1), "{}", stderr(&merged));
    let text = stdout(&merged);
    let at = text
        .find("pulls into other modules' packages")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(text[at..].contains("example.com/dep/p.gone"), "{text}");
    // Without the target module in the corpus nothing is known, and nothing fails.
    let out = scan(&main, &roots[..1]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for l in stdout(&out).lines() {
        let r: Value = serde_json::from_str(l).unwrap();
        for v in r["verdicts"].as_object().unwrap().values() {
            if v["link"] == "inactive" {
                continue;
            }
            assert_eq!(v["link"], "unknown", "{r}");
            assert!(
                v["reason"]
                    .as_str()
                    .unwrap()
                    .contains("example.com/dep v0.1.0 => ../dep is not in the scanned corpus"),
                "{r}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Review h12: a dirty tree at a tag is `v1.2.3+dirty` (as `go version -m` shows), the
/// version does not depend on writing the path relative or absolute, a module in `sub/` of a
/// repository whose root has no go.mod gets none (`(devel)`), and the scanned repository's
/// config runs nothing: a hostile `core.fsmonitor`, hooks, pager or external diff.
#[test]
fn vcs_version_matches_go_and_runs_nothing_from_the_repository() {
    let Some(root) = toolchain_goroot("local") else {
        return;
    };
    let tmp = tempdir("scan-vcs-hostile");
    let git = |repo: &Path, args: &[&str]| {
        let out = run(Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["-c", "user.email=a@example.com", "-c", "user.name=a"])
            .args(args));
        assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    };
    let stamped = |dir: &Path| {
        let bin_path = tmp.join("prog");
        let out = run(Command::new(root.join("bin/go"))
            .current_dir(dir)
            .args(["build", "-buildvcs=true", "-o"])
            .arg(&bin_path)
            .arg(".")
            .env("GOTOOLCHAIN", "local")
            .env("GOFLAGS", "")
            .env("GOROOT", &root));
        assert!(out.status.success(), "{}", stderr(&out));
        let out = run(Command::new(root.join("bin/go"))
            .args(["version", "-m"])
            .arg(&bin_path));
        let _ = std::fs::remove_file(&bin_path);
        stdout(&out)
            .lines()
            .find_map(|l| l.trim().strip_prefix("mod\t"))
            .and_then(|l| l.split('\t').nth(1))
            .unwrap()
            .to_string()
    };
    let scanned = |cwd: &Path, dir: &str| {
        let out = run(bin().current_dir(cwd).args(["scan", "--json", dir]));
        let v: Value = serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
        v["version"].as_str().unwrap_or("(devel)").to_string()
    };
    // Dirty at a tag.
    let repo = tmp.join("repo");
    write(&repo.join("go.mod"), "module example.com/m\n\ngo 1.22\n");
    write(&repo.join("main.go"), GOOD_PULL);
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-qm", "one"]);
    git(&repo, &["tag", "v1.2.3"]);
    write(&repo.join("main.go"), format!("{GOOD_PULL}// edit\n"));
    let want = stamped(&repo);
    assert_eq!(want, "v1.2.3+dirty");
    // A module below a root without go.mod.
    let bare = tmp.join("bare");
    write(
        &bare.join("sub/go.mod"),
        "module example.com/b/sub\n\ngo 1.22\n",
    );
    write(&bare.join("sub/main.go"), GOOD_PULL);
    git(&bare, &["init", "-q"]);
    git(&bare, &["add", "."]);
    git(&bare, &["commit", "-qm", "one"]);
    git(&bare, &["tag", "sub/v0.3.0"]);
    let want_sub = stamped(&bare.join("sub"));
    assert_eq!(want_sub, "(devel)");
    // Now the repository turns hostile; go build would run these, scan must not.
    let marker = tmp.join("pwned");
    let evil = format!("touch {}", marker.display());
    write(
        &repo.join("hooks/post-index-change"),
        format!("#!/bin/sh\n{evil}\n"),
    );
    run(Command::new("chmod")
        .arg("+x")
        .arg(repo.join("hooks/post-index-change")));
    for (k, v) in [
        ("core.fsmonitor", evil.as_str()),
        ("core.hooksPath", "hooks"),
        ("core.pager", evil.as_str()),
        ("diff.external", evil.as_str()),
    ] {
        git(&repo, &["config", k, v]);
    }
    assert_eq!(scanned(&tmp, "repo"), want);
    assert_eq!(scanned(&tmp, repo.to_str().unwrap()), want);
    assert_eq!(scanned(&repo, "."), want);
    assert_eq!(scanned(&bare, "sub"), want_sub);
    assert!(
        !marker.exists(),
        "scan ran a command from the repository's config"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}
