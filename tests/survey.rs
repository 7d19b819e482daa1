//! The survey end to end: `dependents count` against an independent reachability oracle and
//! against `go mod graph`, `report` in headless Chromium, and `adopt` → `apply` → `patches` on a
//! real module the installed linker rejects.

mod util;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use util::*;

/// One go.mod of a generated corpus.
struct ModFile {
    path: &'static str,
    version: &'static str,
    requires: &'static [&'static str],
    /// Extracted root (`path@version/go.mod`) or `cache/download/.../@v/version.mod`.
    extracted: bool,
}

/// The module cache's `!x` escaping, written here independently of the code under test.
fn escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_uppercase() {
                format!("!{}", c.to_ascii_lowercase())
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn write_corpus(root: &Path, mods: &[ModFile]) {
    for m in mods {
        let mut text = format!("module {}\n\ngo 1.16\n", m.path);
        if !m.requires.is_empty() {
            text.push_str("\nrequire (\n");
            for (i, r) in m.requires.iter().enumerate() {
                let comment = if i % 2 == 1 { " // indirect" } else { "" };
                text.push_str(&format!("\t{r} v1.0.0{comment}\n"));
            }
            text.push_str(")\n");
        }
        let file = if m.extracted {
            root.join(format!("{}@{}", escape(m.path), escape(m.version)))
                .join("go.mod")
        } else {
            root.join("cache/download")
                .join(escape(m.path))
                .join("@v")
                .join(format!("{}.mod", escape(m.version)))
        };
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
}

/// Dependents by transitive closure (Floyd–Warshall) over the edges of the versions the test
/// itself marks as newest: a different algorithm from the code's reverse search.
fn closure_counts(edges: &[(&str, &[&str])]) -> BTreeMap<String, u64> {
    let mut names: Vec<&str> = Vec::new();
    for (m, reqs) in edges {
        names.push(m);
        names.extend(reqs.iter());
    }
    names.sort();
    names.dedup();
    let n = names.len();
    let ix = |s: &str| names.iter().position(|x| *x == s).unwrap();
    let mut reach = vec![vec![false; n]; n];
    for (m, reqs) in edges {
        for r in *reqs {
            reach[ix(m)][ix(r)] = true;
        }
    }
    for k in 0..n {
        for i in 0..n {
            for j in 0..n {
                if reach[i][k] && reach[k][j] {
                    reach[i][j] = true;
                }
            }
        }
    }
    (0..n)
        .map(|j| {
            let c = (0..n).filter(|&i| i != j && reach[i][j]).count() as u64;
            (names[j].to_string(), c)
        })
        .collect()
}

fn parse_csv(text: &str) -> BTreeMap<String, u64> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("module,dependents"));
    lines
        .map(|l| {
            let (m, c) = l.rsplit_once(',').unwrap();
            (m.to_string(), c.parse().unwrap())
        })
        .collect()
}

#[test]
fn dependents_count_matches_an_independent_closure() {
    let dir = TempDir::new("survey-count");
    let corpus = dir.join("pkg/mod");
    let mods = [
        // a's newest version is v1.10.0 (not v1.9.0 by text order): it requires c, not b.
        ModFile {
            path: "example.com/a",
            version: "v1.9.0",
            requires: &["example.com/b"],
            extracted: false,
        },
        ModFile {
            path: "example.com/a",
            version: "v1.10.0",
            requires: &["example.com/c", "github.com/BurntSushi/toml"],
            extracted: true,
        },
        // A pseudo-version is a pre-release of v1.2.1: above v1.2.0, below v1.2.1.
        ModFile {
            path: "example.com/b",
            version: "v1.2.1-0.20240101000000-abcdefabcdef",
            requires: &["example.com/d"],
            extracted: false,
        },
        ModFile {
            path: "example.com/b",
            version: "v1.2.0",
            requires: &["example.com/e"],
            extracted: false,
        },
        // Pre-releases of v1.2.0 are below it, and v1.2.0 below the pseudo-version.
        ModFile {
            path: "example.com/b",
            version: "v1.2.0-rc.1",
            requires: &["example.com/d", "example.com/e"],
            extracted: false,
        },
        // +incompatible is build metadata: v2.0.0+incompatible is above v1.5.0.
        ModFile {
            path: "example.com/c",
            version: "v1.5.0",
            requires: &[],
            extracted: false,
        },
        ModFile {
            path: "example.com/c",
            version: "v2.0.0+incompatible",
            requires: &["example.com/d"],
            extracted: false,
        },
        // A cycle: d and f require each other; neither counts itself.
        ModFile {
            path: "example.com/d",
            version: "v1.0.0",
            requires: &["example.com/f"],
            extracted: true,
        },
        ModFile {
            path: "example.com/f",
            version: "v1.0.0",
            requires: &["example.com/d", "example.com/g"],
            extracted: false,
        },
        ModFile {
            path: "github.com/BurntSushi/toml",
            version: "v1.3.0",
            requires: &["example.com/g"],
            extracted: true,
        },
        ModFile {
            path: "github.com/User/App",
            version: "v0.1.0",
            requires: &["example.com/a", "example.com/b"],
            extracted: true,
        },
    ];
    write_corpus(&corpus, &mods);
    // Not part of the graph: a module's testdata, a hidden folder, and a go.mod nested in an
    // extracted module version (as toolchain modules hold src/go.mod).
    for ignored in [
        "example.com/d@v1.0.0/testdata/go.mod",
        ".hidden/go.mod",
        "golang.org/toolchain@v0.0.1-go1.22.10.linux-amd64/src/go.mod",
    ] {
        let ignored = corpus.join(ignored);
        std::fs::create_dir_all(ignored.parent().unwrap()).unwrap();
        std::fs::write(
            &ignored,
            "module example.com/zzz\nrequire example.com/g v1.0.0\n",
        )
        .unwrap();
    }
    let newest: Vec<(&str, &[&str])> = vec![
        (
            "example.com/a",
            &["example.com/c", "github.com/BurntSushi/toml"],
        ),
        ("example.com/b", &["example.com/d"]),
        ("example.com/c", &["example.com/d"]),
        ("example.com/d", &["example.com/f"]),
        ("example.com/f", &["example.com/d", "example.com/g"]),
        ("github.com/BurntSushi/toml", &["example.com/g"]),
        ("github.com/User/App", &["example.com/a", "example.com/b"]),
    ];
    let want = closure_counts(&newest);
    let out_file = dir.join("counts.csv");
    let out = run(bin()
        .args(["dependents", "count"])
        .arg(&corpus)
        .arg("-o")
        .arg(&out_file));
    ok(&out);
    let text = std::fs::read_to_string(&out_file).unwrap();
    assert_eq!(parse_csv(&text), want, "{text}");
    // Spot checks a reader can verify by hand: g is reached from everything else.
    assert_eq!(want["example.com/g"], 7);
    assert_eq!(want["example.com/b"], 1);
    // Most-depended-on first, and the same bytes on a second run.
    assert!(
        text.starts_with("module,dependents\nexample.com/g,7\n"),
        "{text}"
    );
    let again = run(bin().args(["dependents", "count"]).arg(&corpus));
    ok(&again);
    assert_eq!(stdout(&again), text);

    // A go.mod that does not parse: its file and line.
    let bad = corpus.join("example.com/broken@v1.0.0/go.mod");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(
        &bad,
        "module example.com/broken\n\nrequire (\n\texample.com/a\n)\n",
    )
    .unwrap();
    let out = run(bin().args(["dependents", "count"]).arg(&corpus));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}:4:1: usage: require", bad.display())),
        "{err}"
    );
}

#[test]
fn dependents_count_agrees_with_go_mod_graph() {
    let Some(goroot) = goroot() else { return };
    let dir = TempDir::new("survey-modgraph");
    let corpus = dir.join("pkg/mod");
    // One version per module, go 1.16 (no graph pruning): `go mod graph` lists every edge.
    let mods = [
        ModFile {
            path: "example.com/lib",
            version: "v1.0.0",
            requires: &["example.com/util", "github.com/Some/Thing"],
            extracted: false,
        },
        ModFile {
            path: "example.com/util",
            version: "v1.0.0",
            requires: &["example.com/base"],
            extracted: false,
        },
        ModFile {
            path: "github.com/Some/Thing",
            version: "v1.0.0",
            requires: &["example.com/base", "example.com/util"],
            extracted: false,
        },
        ModFile {
            path: "example.com/base",
            version: "v1.0.0",
            requires: &[],
            extracted: false,
        },
        ModFile {
            path: "example.com/other",
            version: "v1.0.0",
            requires: &["example.com/base"],
            extracted: false,
        },
    ];
    write_corpus(&corpus, &mods);
    let main = corpus.join("example.com/main@v1.0.0");
    std::fs::create_dir_all(&main).unwrap();
    std::fs::write(
        main.join("go.mod"),
        "module example.com/main\n\ngo 1.16\n\nrequire (\n\texample.com/lib v1.0.0\n\texample.com/other v1.0.0 // indirect\n)\n",
    )
    .unwrap();
    let out = Command::new(goroot.join("bin/go"))
        .args(["mod", "graph"])
        .current_dir(&main)
        .env("GOROOT", &goroot)
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=mod")
        .env(
            "GOPROXY",
            format!("file://{}", corpus.join("cache/download").display()),
        )
        .env("GOSUMDB", "off")
        .env("GOWORK", "off")
        .env("GOMODCACHE", dir.join("gomodcache"))
        .output()
        .unwrap();
    assert!(out.status.success(), "go mod graph: {}", stderr(&out));
    let graph = stdout(&out);
    let mut edges: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in graph.lines() {
        let (from, to) = line.split_once(' ').unwrap();
        let strip = |s: &str| s.split('@').next().unwrap().to_string();
        // `go@1.16` and `toolchain@...` are the go command's own nodes, not modules.
        if matches!(strip(to).as_str(), "go" | "toolchain") {
            continue;
        }
        edges.entry(strip(from)).or_default().push(strip(to));
    }
    assert!(edges.len() >= 5, "{graph}");
    let owned: Vec<(String, Vec<String>)> = edges.into_iter().collect();
    let strs: Vec<Vec<&str>> = owned
        .iter()
        .map(|(_, r)| r.iter().map(String::as_str).collect())
        .collect();
    let borrowed: Vec<(&str, &[&str])> = owned
        .iter()
        .zip(&strs)
        .map(|((m, _), r)| (m.as_str(), r.as_slice()))
        .collect();
    let want = closure_counts(&borrowed);
    let out = run(bin().args(["dependents", "count"]).arg(&corpus));
    ok(&out);
    assert_eq!(parse_csv(&stdout(&out)), want, "go mod graph:\n{graph}");
}

/// A module cache holding the vendored github.com/timandy/routine v1.1.1 (package g).
fn routine_cache(dir: &Path) -> std::path::PathBuf {
    let cache = dir.join("pkg/mod");
    std::fs::create_dir_all(cache.join("cache/download")).unwrap();
    std::fs::create_dir_all(cache.join("github.com/timandy")).unwrap();
    copy_tree(
        &fixtures().join("survey/routine"),
        &cache.join("github.com/timandy/routine@v1.1.1"),
    );
    cache
}

/// Builds a program importing routine/g with the tree at `goroot`.
fn build_importer(goroot: &Path, dir: &Path, cache: &Path) -> std::process::Output {
    let prog = dir.join("prog");
    std::fs::create_dir_all(&prog).unwrap();
    std::fs::write(
        prog.join("go.mod"),
        format!(
            "module example.com/prog\n\ngo 1.20\n\nrequire github.com/timandy/routine v1.1.1\n\nreplace github.com/timandy/routine => {}\n",
            cache.join("github.com/timandy/routine@v1.1.1").display()
        ),
    )
    .unwrap();
    std::fs::write(
        prog.join("main.go"),
        "package main\n\nimport _ \"github.com/timandy/routine/g\"\n\nfunc main() {}\n",
    )
    .unwrap();
    Command::new(goroot.join("bin/go"))
        .args(["build", "-o", "/dev/null", "."])
        .current_dir(&prog)
        .env("GOROOT", goroot)
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=mod")
        .env("GOWORK", "off")
        .env("GOPROXY", "off")
        .output()
        .unwrap()
}

/// Acceptance: github.com/timandy/routine pulls runtime.g0, which go1.22.10 links and the
/// installed release rejects. scan → dependents count → adopt → patches → apply on a copy of
/// the installed tree, and then the program links.
#[test]
fn adopt_makes_a_rejected_real_module_link() {
    let Some(installed) = goroot() else { return };
    let Some(go122) = toolchain("go1.22.10") else {
        return;
    };
    let dir = TempDir::new("survey-adopt");
    let cache = routine_cache(&dir);
    // The oracle before: go1.22.10 links, the installed release does not.
    let before = build_importer(&installed, &dir, &cache);
    assert!(
        !before.status.success() && stderr(&before).contains("invalid reference to runtime.g0"),
        "{}",
        stderr(&before)
    );
    let old = build_importer(&go122, &dir, &cache);
    assert!(old.status.success(), "go1.22.10: {}", stderr(&old));

    let tree = dir.join("go");
    copy_tree(&installed, &tree);
    let scan = dir.join("scan.jsonl");
    let out = run(bin()
        .arg("scan")
        .arg(&cache)
        .arg("--against")
        .arg(&tree)
        .arg("--json"));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    std::fs::write(&scan, &out.stdout).unwrap();
    let version = std::fs::read_to_string(tree.join("VERSION")).unwrap();
    let version = version.lines().next().unwrap();
    assert!(stdout(&out).contains(&format!(
        r#""symbol":"runtime.g0","local":"g0","kind":"var","defines":false,"test":false,"build":null,"verdicts":{{"{version}":{{"link":"rejected""#
    )));

    // 120 modules of a corpus require routine (half of them through another): tier 100.
    let corpus = dir.join("corpus");
    for i in 0..120 {
        let req = if i % 2 == 0 {
            "github.com/timandy/routine".to_string()
        } else {
            format!("example.com/user{}", i - 1)
        };
        let root = corpus.join(format!("example.com/user{i}@v1.0.0"));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(
            root.join("go.mod"),
            format!("module example.com/user{i}\n\nrequire {req} v1.0.0\n"),
        )
        .unwrap();
    }
    std::fs::copy(
        cache.join("github.com/timandy/routine@v1.1.1/go.mod"),
        dir.join("routine.mod"),
    )
    .unwrap();
    let counts = dir.join("counts.csv");
    ok(&run(bin()
        .args(["dependents", "count"])
        .arg(&corpus)
        .arg("--scan")
        .arg(&scan)
        .arg("-o")
        .arg(&counts)));
    assert_eq!(
        std::fs::read_to_string(&counts).unwrap(),
        "module,dependents\ngithub.com/timandy/routine,120\n"
    );

    let allow = dir.join("allowlist.toml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("allowlist.toml"),
        &allow,
    )
    .unwrap();
    let shipped = std::fs::read_to_string(&allow).unwrap();
    let adopt = |extra: &[&str]| {
        linkallow(
            &tree,
            &allow,
            &[
                &[
                    "adopt",
                    scan.to_str().unwrap(),
                    "--dependents",
                    counts.to_str().unwrap(),
                ],
                extra,
            ]
            .concat(),
        )
    };
    // --min-dependents above the count: nothing adopted, nothing written.
    let out = adopt(&["--min-dependents", "121"]);
    ok(&out);
    assert!(
        stderr(&out).contains("runtime.g0 from github.com/timandy/routine"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&allow).unwrap(), shipped);
    let dry = adopt(&["--dry-run"]);
    ok(&dry);
    assert_eq!(std::fs::read_to_string(&allow).unwrap(), shipped);
    let diff = stdout(&dry);
    assert!(
        diff.contains("+[[symbol]]\n+package = \"runtime\"\n+name = \"g0\"\n+modules = [\n+    \"github.com/timandy/routine\",\n+]\n")
            && diff.contains("+\"github.com/timandy/routine\" = 120\n"),
        "{diff}"
    );
    ok(&adopt(&[]));
    let adopted = std::fs::read_to_string(&allow).unwrap();
    // Comments and order kept: the shipped text is all still there, in order.
    let kept: Vec<&str> = shipped.lines().collect();
    let mut it = adopted.lines();
    assert!(kept.iter().all(|l| it.any(|a| a == *l)), "{adopted}");
    // A second adopt finds nothing new.
    ok(&adopt(&[]));
    assert_eq!(std::fs::read_to_string(&allow).unwrap(), adopted);

    let patches = dir.join("patches");
    ok(&linkallow(
        &tree,
        &allow,
        &["patches", "--out", patches.to_str().unwrap()],
    ));
    let files = read_dir_files(&patches);
    assert_eq!(
        files.len(),
        1,
        "{:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    let (name, patch) = (&files[0].0, String::from_utf8_lossy(&files[0].1));
    assert!(name.contains("100-depende"), "{name}");
    assert!(
        patch.contains("github.com/timandy/routine (120)"),
        "{patch}"
    );
    assert!(
        patch.contains("+// g0 should be an internal detail,\n+// but widely used packages access it using linkname.\n+// Notable members of the hall of shame include:\n+//   - github.com/timandy/routine\n")
            && patch.contains("+//go:linkname g0\n"),
        "{patch}"
    );

    ok(&linkallow(&tree, &allow, &["apply", "--write"]));
    let after = build_importer(&tree, &dir, &cache);
    assert!(
        after.status.success(),
        "after adopt + apply: {}",
        stderr(&after)
    );
    let check = linkallow(&tree, &allow, &["check"]);
    ok(&check);
    // Every file apply touched is one gofmt leaves alone.
    let touched: Vec<String> = diff_trees(&installed.join("src"), &tree.join("src"))
        .lines()
        .filter_map(|l| l.strip_prefix("diff -r "))
        .map(|l| l.split(' ').nth(1).unwrap().to_string())
        .collect();
    assert_eq!(
        touched,
        [tree.join("src/runtime/proc.go").display().to_string()]
    );
    let gofmt = Command::new(tree.join("bin/gofmt"))
        .arg("-l")
        .args(&touched)
        .output()
        .unwrap();
    assert!(
        gofmt.status.success() && gofmt.stdout.is_empty(),
        "gofmt -l: {}",
        stdout(&gofmt)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Headless Chromium, or None (a failure under LINKALLOW_REQUIRE_GO=1: CI installs it).
fn chromium() -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("chromium"))
            .find(|c| c.is_file())
    });
    match found {
        Some(c) => Some(c),
        None => skip("no chromium in PATH (apt-get install chromium)"),
    }
}

/// Loads `file` in headless Chromium: the DOM after scripts ran, and the console lines.
fn browse(chromium: &Path, file: &Path, extra: &[&str]) -> (String, String) {
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .args(extra)
        .arg(format!("file://{}", file.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium: {}", stderr(&out));
    let console = stderr(&out)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .collect::<Vec<_>>()
        .join("\n");
    (stdout(&out), console)
}

#[test]
fn report_renders_in_a_real_browser() {
    let Some(installed) = goroot() else { return };
    let Some(go122) = toolchain("go1.22.10") else {
        return;
    };
    let Some(chromium) = chromium() else { return };
    // A folder that stays: the screenshot printed below is for a person to look at.
    let dir = tempdir("survey-report");
    let cache = routine_cache(&dir);
    let out = run(bin()
        .arg("scan")
        .arg(fixtures().join("scan"))
        .arg(&cache)
        .arg("--against")
        .arg(&go122)
        .arg("--against")
        .arg(&installed)
        .arg("--json"));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let scan = dir.join("scan.jsonl");
    std::fs::write(&scan, &out.stdout).unwrap();
    let counts = dir.join("counts.csv");
    std::fs::write(
        &counts,
        "module,dependents\ngithub.com/timandy/routine,150\nexample.com/linkfix,12000\n",
    )
    .unwrap();
    let allow = Path::new(env!("CARGO_MANIFEST_DIR")).join("allowlist.toml");
    let report = |to: &Path| {
        run(bin()
            .arg("--allowlist")
            .arg(&allow)
            .arg("report")
            .arg(&scan)
            .arg("--out")
            .arg(to)
            .arg("--dependents")
            .arg(&counts))
    };
    let site = dir.join("site");
    ok(&report(&site));
    // Same input, same bytes.
    let again = dir.join("again");
    ok(&report(&again));
    assert_eq!(read_dir_files(&site), read_dir_files(&again));
    let mut names: Vec<String> = read_dir_files(&site).into_iter().map(|f| f.0).collect();
    names.sort();
    for tier in [
        100000, 50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 1,
    ] {
        assert!(names.contains(&format!("linkname{tier}.html")), "{names:?}");
    }
    assert!(names.contains(&"linkname-nocount.html".to_string()));
    // Self-contained: nothing to fetch (the SVG namespace is a name, not a fetch).
    for (name, bytes) in read_dir_files(&site) {
        let text = String::from_utf8(bytes).unwrap();
        let text = text.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        assert!(
            !text.contains("http://") && !text.contains("https://") && !text.contains(" src="),
            "{name} refers to something outside the page"
        );
    }

    let (dom, console) = browse(&chromium, &site.join("index.html"), &["--dump-dom"]);
    assert!(console.is_empty(), "console:\n{console}");
    // The script ran to its end (sortable tables set up).
    assert!(dom.contains("data-sortable=\"ready\""), "{dom}");
    assert!(dom.contains("<svg id=\"heap-map\""));
    let records: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Pulls into other modules' packages are not the standard library's: report leaves them out.
    let symbols: std::collections::BTreeSet<&str> = records
        .iter()
        .filter(|r| r.get("target_module").is_none())
        .map(|r| r["symbol"].as_str().unwrap())
        .collect();
    assert!(symbols.contains("runtime.g0"));
    for s in &symbols {
        let escaped = s
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        assert!(
            dom.contains(&format!("<code>{escaped}</code>")),
            "{s} not in the symbols table"
        );
    }
    // One rectangle per symbol in the heap map, and a switch per release.
    assert_eq!(dom.matches("<rect class=\"sym\"").count(), symbols.len());
    let version = std::fs::read_to_string(installed.join("VERSION")).unwrap();
    let version = version.lines().next().unwrap().to_string();
    assert!(
        dom.contains(&format!("aria-label=\"{version}\""))
            && dom.contains("aria-label=\"go1.22.10\"")
    );
    for tier in [
        "linkname100.html",
        "linkname10000.html",
        "linkname1.html",
        "linkname-nocount.html",
    ] {
        assert!(
            dom.contains(&format!("href=\"{tier}\"")),
            "no link to {tier}"
        );
    }

    // Each tier page lists only its own modules.
    let (t100, console) = browse(&chromium, &site.join("linkname100.html"), &["--dump-dom"]);
    assert!(console.is_empty(), "console:\n{console}");
    assert!(t100.contains("github.com/timandy/routine") && !t100.contains("example.com/linkfix"));
    assert!(t100.contains("<code>g/g.go:13</code>"), "{t100}");
    let (t10k, _) = browse(&chromium, &site.join("linkname10000.html"), &["--dump-dom"]);
    assert!(t10k.contains("example.com/linkfix") && !t10k.contains("github.com/timandy/routine"));
    let (t1k, _) = browse(&chromium, &site.join("linkname1000.html"), &["--dump-dom"]);
    assert!(t1k.contains("0 pulls from 0 modules"), "{t1k}");
    let (syms, console) = browse(&chromium, &site.join("symbols.html"), &["--dump-dom"]);
    assert!(console.is_empty(), "console:\n{console}");
    assert!(syms.contains("<code>runtime.g0</code></h2>"));

    // The release switch is CSS only: check in the browser that picking each release repaints
    // runtime.g0 (links on go1.22.10, rejected on the installed release).
    let index_html = std::fs::read_to_string(site.join("index.html")).unwrap();
    let probe = "<script>var out=[];document.querySelectorAll('input.rel').forEach(function(r){r.checked=true;var g=document.querySelector('a[href$=\"-runtime-g0\"] rect');out.push(r.getAttribute('aria-label')+'='+getComputedStyle(g).fill);});document.body.setAttribute('data-switch',out.join(';'));</script></body>";
    std::fs::write(
        site.join("switch.html"),
        index_html.replace("</body>", probe),
    )
    .unwrap();
    let (dom, console) = browse(&chromium, &site.join("switch.html"), &["--dump-dom"]);
    assert!(console.is_empty(), "console:\n{console}");
    assert!(
        dom.contains(&format!(
            "data-switch=\"go1.22.10=rgb(59, 140, 90);{version}=rgb(200, 55, 74)\""
        )),
        "{}",
        dom.split("data-switch").nth(1).unwrap_or(&dom[..200])
    );

    // The console check would see an error.
    let broken = dir.join("broken.html");
    std::fs::write(&broken, "<script>notDefined()</script>").unwrap();
    let (_, console) = browse(&chromium, &broken, &["--dump-dom"]);
    assert!(console.contains("notDefined"), "{console}");

    let shot = dir.join("heap-map.png");
    browse(
        &chromium,
        &site.join("index.html"),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,1000",
        ],
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
    eprintln!("screenshot: {}", shot.display());
    // LINKALLOW_UPDATE_SCREENSHOT=1 refreshes the README's picture.
    if std::env::var_os("LINKALLOW_UPDATE_SCREENSHOT").is_some_and(|v| v == "1") {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::copy(&shot, docs.join("heap-map.png")).unwrap();
    }
}

#[test]
fn bad_survey_input_names_file_and_line_and_writes_nothing() {
    let dir = TempDir::new("survey-bad");
    let good = r#"{"module":"example.com/m","version":"v1.0.0","file":"a.go","line":3,"column":1,"symbol":"runtime.g0","local":"g0","kind":"var","defines":false,"test":false,"build":null,"verdicts":{"go1.26.8":{"link":"rejected","reason":"r"}}}"#;
    let old = good.replace(r#""build":null,"#, "");
    let scan = dir.join("old.jsonl");
    std::fs::write(&scan, format!("{good}\n\n{old}\n")).unwrap();
    let allow = dir.join("allowlist.toml");
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("allowlist.toml"))
            .unwrap();
    std::fs::write(&allow, &shipped).unwrap();
    let site = dir.join("site");
    let out = run(bin()
        .arg("--allowlist")
        .arg(&allow)
        .arg("report")
        .arg(&scan)
        .arg("--out")
        .arg(&site));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!(
            "{}:3:1: not a scan record of this linkallow (from another version?): missing build",
            scan.display()
        )),
        "{}",
        stderr(&out)
    );
    assert!(!site.exists());
    let out = run(bin()
        .arg("--allowlist")
        .arg(&allow)
        .arg("--goroot")
        .arg(&dir)
        .arg("adopt")
        .arg(&scan));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(":3:1:"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&allow).unwrap(), shipped);

    // Counts for a module the scan does not name: the counts file's line.
    std::fs::write(&scan, format!("{good}\n")).unwrap();
    let counts = dir.join("counts.csv");
    std::fs::write(
        &counts,
        "module,dependents\nexample.com/m,5\nexample.com/typo,7\n",
    )
    .unwrap();
    let out = run(bin()
        .arg("--allowlist")
        .arg(&allow)
        .arg("report")
        .arg(&scan)
        .arg("--out")
        .arg(&site)
        .arg("--dependents")
        .arg(&counts));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!(
            "{}:3:1: a count for example.com/typo",
            counts.display()
        )),
        "{}",
        stderr(&out)
    );
    // A scan against another tree than --goroot: adopt refuses, naming the record.
    if let Some(installed) = goroot() {
        let other = good.replace("go1.26.8", "go1.99.0");
        std::fs::write(&scan, format!("{other}\n")).unwrap();
        let out = run(bin()
            .arg("--allowlist")
            .arg(&allow)
            .arg("--goroot")
            .arg(&installed)
            .arg("adopt")
            .arg(&scan));
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains(&format!("{}:1:1: no verdict for", scan.display())),
            "{}",
            stderr(&out)
        );
        assert_eq!(std::fs::read_to_string(&allow).unwrap(), shipped);
    }
}

/// The scan fixture against go1.27.3: adopt lists every name no push can allow, by reason, and
/// `--dry-run` writes nothing.
#[test]
fn adopt_lists_what_no_push_can_allow() {
    let Some(go127) = toolchain("go1.27.3") else {
        return;
    };
    let dir = TempDir::new("survey-cannot");
    let out = run(bin()
        .arg("scan")
        .arg(fixtures().join("scan"))
        .arg("--against")
        .arg(&go127)
        .arg("--json"));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let scan = dir.join("scan.jsonl");
    std::fs::write(&scan, &out.stdout).unwrap();
    let allow = dir.join("allowlist.toml");
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("allowlist.toml"))
            .unwrap();
    std::fs::write(&allow, &shipped).unwrap();
    let counts = dir.join("counts.csv");
    let adopt = |count: u64| {
        std::fs::write(
            &counts,
            format!("module,dependents\nexample.com/linkfix,{count}\n"),
        )
        .unwrap();
        linkallow(
            &go127,
            &allow,
            &[
                "adopt",
                scan.to_str().unwrap(),
                "--dependents",
                counts.to_str().unwrap(),
                "--dry-run",
            ],
        )
    };
    let out = adopt(500);
    ok(&out);
    let err = stderr(&out);
    for (symbol, reason) in [
        ("runtime.mapaccess1", "blocked: in blockedLinknames"),
        (
            "runtime.bootstrapRand",
            "std-only: pushed with //go:linknamestd",
        ),
        ("runtime.load_g", "undefined in go1.27.3"),
        ("runtime.gobuf", "a linkname on a type"),
        ("runtime._PageSize", "a linkname on a const"),
        ("runtime.maxstacksize", "a definition, not a pull"),
        ("reflect.(*rtype).CanSeq", "a method"),
    ] {
        let line = format!("cannot be allowed: {symbol} from example.com/linkfix (");
        let found = err.lines().find(|l| l.contains(&line));
        assert!(
            found.is_some_and(|l| l.contains(reason)),
            "{symbol}: {reason}\n{err}"
        );
    }
    let diff = stdout(&out);
    for symbol in ["allglen", "gogo"] {
        assert!(
            diff.contains(&format!("+package = \"runtime\"\n+name = \"{symbol}\"\n")),
            "{diff}"
        );
    }
    assert!(
        diff.contains("+    \"example.com/linkfix (from assembly)\",\n"),
        "{diff}"
    );
    assert!(
        !diff.contains("mapaccess1") && !diff.contains("bootstrapRand"),
        "{diff}"
    );
    assert_eq!(std::fs::read_to_string(&allow).unwrap(), shipped);
    // Below the lowest tier (the default threshold): nothing adopted.
    let out = adopt(99);
    ok(&out);
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("not adopted: runtime.allglen from example.com/linkfix")
            && stderr(&out).contains("99 dependents, below 100"),
        "{}",
        stderr(&out)
    );
}

/// purego's `var _iscgo bool = true` under `//go:linkname _iscgo runtime.iscgo` is recorded as
/// `defines`, and no linker checks it, but it relies on the tree's variable as a pull does (the
/// Go team lists purego in that symbol's hall of shame). adopt counts such a definition when the
/// tree does not push the variable yet, and report lists it among the pulls the allowlist does
/// not name; a pushed one (runtime.iscgo) needs nothing.
#[test]
fn a_variable_defined_with_a_value_counts_for_the_allowlist() {
    let Some(installed) = goroot() else { return };
    let dir = TempDir::new("survey-defines-value");
    let m = dir.join("m");
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(m.join("go.mod"), "module example.com/definer\n\ngo 1.22\n").unwrap();
    std::fs::write(
        m.join("d.go"),
        "package definer\n\nimport _ \"unsafe\"\n\n//go:linkname _islibrary runtime.islibrary\nvar _islibrary bool = true\n\n//go:linkname _iscgo runtime.iscgo\nvar _iscgo bool = true\n",
    )
    .unwrap();
    let out = run(bin()
        .arg("scan")
        .arg(&m)
        .arg("--against")
        .arg(&installed)
        .arg("--json"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(
        r#""symbol":"runtime.islibrary","local":"_islibrary","kind":"var","defines":true"#
    ));
    let scan = dir.join("scan.jsonl");
    std::fs::write(&scan, &out.stdout).unwrap();
    let counts = dir.join("counts.csv");
    std::fs::write(&counts, "module,dependents\nexample.com/definer,500\n").unwrap();
    let allow = dir.join("allowlist.toml");
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("allowlist.toml"))
            .unwrap();
    std::fs::write(&allow, &shipped).unwrap();
    let out = linkallow(
        &installed,
        &allow,
        &[
            "adopt",
            scan.to_str().unwrap(),
            "--dependents",
            counts.to_str().unwrap(),
            "--dry-run",
        ],
    );
    ok(&out);
    let diff = stdout(&out);
    assert!(
        diff.contains("+package = \"runtime\"\n+name = \"islibrary\"\n+modules = [\n+    \"example.com/definer\",\n"),
        "{diff}"
    );
    assert!(!diff.contains("example.com/definer\",\n ]\n"), "{diff}");
    assert!(
        stderr(&out).contains("adopted 1 (symbol, module) pairs"),
        "{}",
        stderr(&out)
    );
    let site = dir.join("site");
    let out = linkallow(
        &installed,
        &allow,
        &[
            "report",
            scan.to_str().unwrap(),
            "--out",
            site.to_str().unwrap(),
        ],
    );
    ok(&out);
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    let uncovered = &index[index.find("id=\"uncovered\"").unwrap()..];
    let uncovered = &uncovered[..uncovered.find("</table>").unwrap()];
    assert!(uncovered.contains("runtime.islibrary"), "{uncovered}");
    assert!(uncovered.contains("example.com/definer"), "{uncovered}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 17, item 14: record text (module, version, file, symbol, local, reason, and the
/// release names that key the verdicts) reaches every page escaped. Hostile records are loaded in
/// headless Chromium: no script of theirs runs, and each text shows literally.
#[test]
fn report_html_injection_from_record_text() {
    let Some(chromium) = chromium() else { return };
    let dir = TempDir::new("survey-injection");
    let good = r#"{"module":"example.com/m","version":"v1.0.0","file":"a.go","line":3,"column":1,"symbol":"runtime.g0","local":"g0","kind":"var","defines":false,"test":false,"build":null,"verdicts":{"go1.26.8":{"link":"rejected","reason":"r"}}}"#;
    let pwn = |n: usize| format!("document.documentElement.setAttribute('data-pwned','{n}')");
    let payloads: Vec<String> = vec![
        format!("<script>{}</script>", pwn(1)),
        format!("\"><img src=x onerror=\"{}\">", pwn(2)),
        format!("'><img src=x onerror='{}'>", pwn(3)),
        format!("</style></title></textarea><script>{}</script>", pwn(4)),
        format!("javascript:{}", pwn(5)),
        format!("<svg onload=\"{}\"></svg>&amp;", pwn(6)),
    ];
    let mut lines = String::new();
    for (i, p) in payloads.iter().enumerate() {
        let mut r: serde_json::Value = serde_json::from_str(good).unwrap();
        // Each field hostile on its own record, and all of them on one more.
        for field in ["module", "version", "file", "symbol", "local"] {
            r[field] = format!("{p}{field}{i}").into();
        }
        let release = format!("go1.26.{i}{p}");
        r["verdicts"] = serde_json::json!({
            release: {"link": "rejected", "reason": format!("{p}reason{i}")},
            "go1.22.10": {"link": "ok", "reason": p},
        });
        lines.push_str(&format!("{r}\n"));
    }
    let scan = dir.join("hostile.jsonl");
    std::fs::write(&scan, &lines).unwrap();
    let allow = Path::new(env!("CARGO_MANIFEST_DIR")).join("allowlist.toml");
    let site = dir.join("site");
    ok(&run(bin()
        .arg("--allowlist")
        .arg(&allow)
        .arg("report")
        .arg(&scan)
        .arg("--out")
        .arg(&site)));
    // What must show as text: every field of every record, in one page or another.
    let mut wanted: Vec<String> = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        for field in ["module", "version", "file", "symbol"] {
            wanted.push(format!("{p}{field}{i}"));
        }
        wanted.push(format!("{p}reason{i}"));
        wanted.push(format!("go1.26.{i}{p}"));
    }
    let js_list = serde_json::to_string(&wanted)
        .unwrap()
        .replace("</", "<\\/");
    // Collects every text node and attribute value, then notes which wanted texts it lacks.
    let probe = format!(
        "<script>var seen=[];document.querySelectorAll('*').forEach(function(e){{for(var a of e.attributes)seen.push(a.value);}});seen.push(document.documentElement.textContent);var all=seen.join('\\n');var lacking={js_list}.filter(function(w){{return all.indexOf(w)<0;}});document.body.setAttribute('data-lacking',String(lacking.length));window.lacking=lacking;</script>"
    );
    let mut lacking_everywhere: BTreeMap<String, usize> = BTreeMap::new();
    for (name, bytes) in read_dir_files(&site) {
        let html = String::from_utf8(bytes).unwrap();
        let at = html.rfind("</body>").unwrap();
        let probed = site.join(format!("probe-{name}"));
        std::fs::write(&probed, format!("{}{probe}{}", &html[..at], &html[at..])).unwrap();
        let (dom, console) = browse(&chromium, &probed, &["--dump-dom"]);
        // Set by a payload's script (the text itself shows `data-pwned&#39;` or `data-pwned',`).
        assert!(
            !dom.contains("data-pwned=\""),
            "{name}: a record's script ran"
        );
        assert!(console.is_empty(), "{name}: console:\n{console}");
        assert!(dom.contains("data-sortable=\"ready\""), "{name}: {dom}");
        let lacking: usize = dom
            .split("data-lacking=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name}: the probe did not run"));
        lacking_everywhere.insert(name, lacking);
    }
    // Each of these pages shows module, version or file, symbol, reason and release: every
    // text it shows, literally.
    eprintln!("texts each page lacks: {lacking_everywhere:?}");
    assert_eq!(
        lacking_everywhere["symbols.html"], 0,
        "{lacking_everywhere:?}"
    );
    assert_eq!(
        lacking_everywhere["index.html"], 0,
        "{lacking_everywhere:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
