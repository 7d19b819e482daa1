//! UI tests in the style of cargo's: one folder per case under `tests/ui/`, each a tree, a
//! command and what the command must print, exit with and leave behind.
//!
//! A case folder holds:
//!
//! - `cmd`: one line, the linkallow arguments (`check`, `apply --write`). Words are split at
//!   blanks; `'single'` or `"double"` quotes keep blanks in a word. `$TREE` stands for the copy of
//!   the tree and `$WORK` for the folder the command runs in.
//! - `tree-in/`: a tiny Go tree (a GOROOT with `src/` and `VERSION`, or a module with `go.mod`).
//! - `allowlist.toml` (optional): copied to `$WORK/allowlist.toml`, which is passed as
//!   `--allowlist allowlist.toml`.
//! - `files/` (optional): more inputs (a counts CSV...), copied into `$WORK`.
//! - `setup` (optional): a shell script run in `$WORK` (with `$TREE` set) before the command, for
//!   what git cannot hold (a file name that is not UTF-8, a read-only file).
//! - `stdout`, `stderr`, `exit`: what the run must print and its exit code. The work folder's
//!   path is replaced by `$WORK` and the tree's by `$TREE` before comparing, and a scan's
//!   time (`) in 0.01s`) by `) in $SECONDS`.
//! - `tree-out/` (optional): the tree after the run; without it the tree must not change.
//! - `allowlist-out.toml` (optional): the allowlist after the run; without it, unchanged.
//! - `created` (optional): names the run creates in `$WORK`, one a line; without it, none.
//! - `work-out/` (optional): what the run creates in `$WORK` (a patch series), byte for byte.
//!
//! The harness runs `linkallow --goroot $TREE [--allowlist allowlist.toml] CMD...` in `$WORK`
//! (`--goroot`/`--allowlist` are left out when `cmd` gives them). Every folder is a test of its
//! own, named by the folder, run in parallel: `cargo test --test ui NAME` runs the cases whose
//! name contains NAME. `LINKALLOW_BLESS=1 cargo test --test ui` rewrites the expectations from
//! what the tool prints. Read every blessed file: an expectation is what the tool should print,
//! not what it happens to print. A failed case keeps its `$WORK` and prints where it is.

mod util;

use libtest_mimic::{Arguments, Failed, Trial};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use util::{TempDir, copy_exact as copy, diff_exact as diff_trees};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui")
}

/// The blank-separated words of `line`, with simple quoting.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    assert!(quote.is_none(), "unbalanced quote in cmd: {line}");
    if in_word {
        out.push(cur);
    }
    out
}

fn unified(name: &str, want: &str, got: &str) -> String {
    similar::TextDiff::from_lines(want, got)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{name} (expected)"), &format!("{name} (actual)"))
        .to_string()
}

fn read(path: &Path) -> Option<String> {
    std::fs::read(path)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).to_string())
}

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect()
}

/// Runs one case; fails with what differs, keeping `$WORK` to look at.
fn run_case(case: &Path, bless: bool) -> Result<(), Failed> {
    let name = case.file_name().unwrap().to_string_lossy().to_string();
    let cmd = read(&case.join("cmd")).ok_or_else(|| format!("{name}: no cmd file"))?;
    let mut dir = TempDir::new(&format!("ui-{name}"));
    let work = dir.path().to_path_buf();
    let tree = work.join("tree");
    let tree_in = case.join("tree-in");
    if !tree_in.is_dir() {
        return Err(format!("{name}: no tree-in/").into());
    }
    copy(&tree_in, &tree);
    let list_in = case.join("allowlist.toml");
    let has_list = list_in.exists();
    if has_list {
        copy(&list_in, &work.join("allowlist.toml"));
    }
    if case.join("files").is_dir() {
        for e in std::fs::read_dir(case.join("files")).unwrap() {
            copy(&e.unwrap().path(), &work);
        }
    }
    // `setup` (optional): a shell script run in $WORK with $TREE set, for what git cannot hold
    // (file names that are not UTF-8). The tree the run must leave alone (without tree-out/) is
    // then tree-in/ set up the same way, in a folder of its own.
    let mut baseline = tree_in.clone();
    let mut base_dir = None;
    if case.join("setup").exists() {
        let setup = |dir: &Path, tree: &Path| {
            let status = Command::new("sh")
                .arg(case.join("setup"))
                .current_dir(dir)
                .env("TREE", tree)
                .status()
                .expect("sh setup");
            assert!(status.success(), "{name}: setup failed");
        };
        let base = base_dir.insert(TempDir::new(&format!("ui-{name}.baseline")));
        baseline = base.join("tree");
        copy(&tree_in, &baseline);
        setup(base, &baseline);
        setup(&work, &tree);
    }
    let before = names(&work);

    let canon = work.canonicalize().unwrap();
    let expand = |w: &str| {
        w.replace("$TREE", &tree.to_string_lossy())
            .replace("$WORK", &work.to_string_lossy())
    };
    let args: Vec<String> = words(cmd.trim()).iter().map(|w| expand(w)).collect();
    let mut command = Command::new(env!("CARGO_BIN_EXE_linkallow"));
    command
        .current_dir(&work)
        .env_remove("GOROOT")
        .env_remove("SOURCE_DATE_EPOCH")
        .env("NO_COLOR", "1")
        .env("HOME", &work)
        // The journal seal's key lives in the user's cache folder: outside the case's tree, so
        // it is not a file the case created.
        .env(
            "XDG_CACHE_HOME",
            std::env::temp_dir().join("linkallow-ui-cache"),
        )
        .env("GIT_CONFIG_NOSYSTEM", "1");
    if !args
        .iter()
        .any(|a| a == "--goroot" || a.starts_with("--goroot="))
    {
        command.arg("--goroot").arg(&tree);
    }
    if has_list
        && !args
            .iter()
            .any(|a| a == "--allowlist" || a.starts_with("--allowlist="))
    {
        command.args(["--allowlist", "allowlist.toml"]);
    }
    command.args(&args);
    let out = command.output().expect("run linkallow");

    // The work folder's path, as given and canonical, becomes $WORK (the tree's, $TREE).
    let scrub = |bytes: &[u8]| {
        let mut text = String::from_utf8_lossy(bytes).to_string();
        for w in [&work, &canon] {
            let w = w.to_string_lossy();
            text = text
                .replace(&format!("{w}/tree"), "$TREE")
                .replace(&*w, "$WORK");
        }
        // A scan's summary says how long it took: `in 0.01s` becomes `in $SECONDS`.
        while let Some(at) = text.find(") in ") {
            let rest = &text[at + 5..];
            let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'));
            match digits {
                Some(n) if n > 0 && rest[n..].starts_with('s') => {
                    text = format!("{}) in $SECONDS{}", &text[..at], &rest[n + 1..]);
                }
                _ => break,
            }
        }
        text
    };
    let got_stdout = scrub(&out.stdout);
    let got_stderr = scrub(&out.stderr);
    let got_exit = format!(
        "{}\n",
        out.status
            .code()
            .map_or_else(|| "signal".to_string(), |c| c.to_string())
    );
    let mut created: Vec<String> = names(&work).difference(&before).cloned().collect();
    created.sort();
    let got_created: String = created.iter().map(|n| format!("{n}\n")).collect();

    let mut problems = Vec::new();
    let texts = [
        ("stdout", &got_stdout),
        ("stderr", &got_stderr),
        ("exit", &got_exit),
        ("created", &got_created),
    ];
    for (file, got) in texts {
        let path = case.join(file);
        let optional = file == "created";
        let want = read(&path).unwrap_or_default();
        if bless {
            if optional && got.is_empty() {
                let _ = std::fs::remove_file(&path);
            } else {
                std::fs::write(&path, got).unwrap();
            }
        } else if (!optional || path.exists() || !got.is_empty()) && want != *got {
            problems.push(format!("{file} differs:\n{}", unified(file, &want, got)));
        }
    }

    // What the run created in $WORK (a patch series), file by file.
    let work_out = case.join("work-out");
    if bless {
        let _ = std::fs::remove_dir_all(&work_out);
        if !created.is_empty() {
            std::fs::create_dir_all(&work_out).unwrap();
            for n in &created {
                copy(&work.join(n), &work_out);
            }
        }
    } else if work_out.is_dir() {
        for n in names(&work_out) {
            let d = diff_trees(&work_out.join(&n), &work.join(&n));
            if !d.is_empty() {
                problems.push(format!("{n} in $WORK differs from work-out/{n}:\n{d}"));
            }
        }
    }

    let list_out = case.join("allowlist-out.toml");
    if has_list {
        let got = read(&work.join("allowlist.toml")).unwrap_or_default();
        let original = read(&list_in).unwrap();
        if bless {
            if got == original {
                let _ = std::fs::remove_file(&list_out);
            } else {
                std::fs::write(&list_out, &got).unwrap();
            }
        } else {
            let want = read(&list_out).unwrap_or(original);
            if want != got {
                problems.push(format!(
                    "allowlist.toml differs:\n{}",
                    unified("allowlist.toml", &want, &got)
                ));
            }
        }
    }

    let tree_out = case.join("tree-out");
    if bless {
        let _ = std::fs::remove_dir_all(&tree_out);
        if !diff_trees(&baseline, &tree).is_empty() {
            copy(&tree, &tree_out);
        }
    } else {
        let want = if tree_out.is_dir() {
            &tree_out
        } else {
            &baseline
        };
        let d = diff_trees(want, &tree);
        if !d.is_empty() {
            let what = if tree_out.is_dir() {
                "the tree differs from tree-out/"
            } else {
                "the tree changed (no tree-out/, so it must stay as tree-in/)"
            };
            problems.push(format!("{what}:\n{d}"));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    dir.keep();
    Err(format!(
        "{}\n(LINKALLOW_BLESS=1 rewrites the expectations; read them after. $WORK is {})",
        problems.join("\n"),
        work.display()
    )
    .into())
}

fn main() {
    let args = Arguments::from_args();
    let bless = std::env::var_os("LINKALLOW_BLESS").is_some_and(|v| v == "1");
    let dir = cases_dir();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no UI cases under {}", dir.display());
    let trials = cases
        .into_iter()
        .map(|case| {
            let name = case.file_name().unwrap().to_string_lossy().to_string();
            Trial::test(name, move || run_case(&case, bless))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
