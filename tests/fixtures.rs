//! Fixture trees we wrote ourselves, cargo-UI style: `out/` is an annotated module holding every
//! layout the Go tree uses, `in/` is what `strip` leaves, `allowlist.toml` what `extract` writes.
//! Run with LINKALLOW_BLESS=1 to regenerate `in/` and `allowlist.toml`, then read the diff.

mod util;
use std::path::Path;
use util::*;

fn bless() -> bool {
    std::env::var_os("LINKALLOW_BLESS").is_some()
}

fn round_trip_case(name: &str) {
    let case = fixtures().join(name);
    let tmp = TempDir::new(name);
    let work = tmp.join("tree");
    copy_tree(&case.join("out"), &work);
    let allow = tmp.join("allowlist.toml");

    // extract gives the golden allowlist
    ok(&run(bin()
        .arg("--goroot")
        .arg(&work)
        .arg("extract")
        .arg("-o")
        .arg(&allow)));
    let golden = case.join("allowlist.toml");
    let got = std::fs::read_to_string(&allow)
        .unwrap()
        .replace(&work.display().to_string(), "TREE");
    if bless() {
        std::fs::write(&golden, &got).unwrap();
    }
    assert_eq!(
        got,
        std::fs::read_to_string(&golden).unwrap(),
        "extract differs from {}",
        golden.display()
    );

    // check is clean on the annotated tree
    ok(&linkallow(&work, &allow, &["check"]));

    // strip gives the golden stripped tree
    ok(&run(bin()
        .arg("--goroot")
        .arg(&work)
        .arg("strip")
        .arg("--write")));
    if bless() {
        let _ = std::fs::remove_dir_all(case.join("in"));
        copy_tree(&work, &case.join("in"));
    }
    assert_eq!(
        diff_trees(&case.join("in"), &work),
        "",
        "strip output differs from in/"
    );

    // check reports every symbol on the stripped tree
    let out = linkallow(&work, &allow, &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let symbols = std::fs::read_to_string(&allow)
        .unwrap()
        .matches("[[symbol]]")
        .count();
    let reported = stdout(&out).lines().count();
    assert!(
        reported >= symbols - count_region_only(&allow),
        "{reported} findings for {symbols} symbols:\n{}",
        stdout(&out)
    );

    // apply without --write changes nothing and prints a diff git can apply
    let diff = linkallow(&work, &allow, &["apply"]);
    ok(&diff);
    assert!(stdout(&diff).contains("diff --git a/"), "{}", stdout(&diff));
    assert_eq!(diff_trees(&case.join("in"), &work), "");
    git_apply_check(&work, &stdout(&diff));

    // apply --write gives the annotated tree back byte for byte
    ok(&linkallow(&work, &allow, &["apply", "--write"]));
    assert_eq!(
        diff_trees(&case.join("out"), &work),
        "",
        "apply(strip(out)) != out"
    );

    // idempotent: a second apply has nothing to do; check is clean
    let again = linkallow(&work, &allow, &["apply"]);
    ok(&again);
    assert_eq!(stdout(&again), "");
    ok(&linkallow(&work, &allow, &["check"]));

    // the Go toolchain agrees: gofmt keeps both trees, both build
    if goroot().is_some() {
        for side in ["in", "out"] {
            let dir = case.join(side);
            let fmt = std::process::Command::new("gofmt")
                .arg("-l")
                .arg(&dir)
                .output()
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&fmt.stdout), "", "gofmt -l {side}");
            let build = std::process::Command::new("go")
                .args(["build", "./..."])
                .current_dir(&dir)
                .env("GOFLAGS", "-mod=mod")
                .output()
                .unwrap();
            assert!(
                build.status.success(),
                "go build {side}: {}",
                String::from_utf8_lossy(&build.stderr)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Symbols that only live in a region whose file strip deletes are reported once per file.
fn count_region_only(allow: &Path) -> usize {
    let text = std::fs::read_to_string(allow).unwrap();
    let list = linkallow::allowlist::read::parse("a", &text).unwrap();
    list.symbols.iter().filter(|s| s.sites.is_empty()).count()
}

fn git_apply_check(tree: &Path, diff: &str) {
    let repo = tree.parent().unwrap().join("git");
    copy_tree(tree, &repo);
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(&repo)
            .output()
            .unwrap()
    };
    if !git(&["init", "-q"]).status.success() {
        eprintln!("SKIP: git not available for the git-apply check");
        return;
    }
    let patch = repo.join("../apply.patch");
    std::fs::write(&patch, diff).unwrap();
    let out = git(&["apply", "--check", patch.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "git apply --check: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn forms_round_trip() {
    round_trip_case("forms");
}

/// extract onto an existing allowlist keeps what only the allowlist knows: counts, tiers,
/// [[removed]] notes and the order of entries.
#[test]
fn extract_onto_an_allowlist_keeps_counts_notes_and_order() {
    let tmp = TempDir::new("extract-keeps");
    let tree = tmp.join("tree");
    copy_tree(&fixtures().join("forms/out"), &tree);
    let golden = std::fs::read_to_string(fixtures().join("forms/allowlist.toml")).unwrap();
    // Move the first entry to the end, as a maintainer may order them.
    let first = golden.find("[[symbol]]").unwrap();
    let second = first + 1 + golden[first + 1..].find("[[symbol]]").unwrap();
    let regions = golden.find("[[region]]").unwrap();
    let reordered = format!(
        "{}tiers = [1000, 10]\n\n{}{}\n{}\n[dependents]\n\"example.com/alpha\" = 1234\n\n[[removed]]\nsymbol = \"example.com/m/p.gone\"\nreason = \"nobody pulls it since 2025\"\n",
        &golden[..first],
        &golden[second..regions],
        &golden[first..second],
        &golden[regions..],
    );
    let allow = tmp.join("allowlist.toml");
    std::fs::write(&allow, &reordered).unwrap();
    let before = linkallow::allowlist::read::load(allow.to_str().unwrap()).unwrap();
    ok(&run(bin()
        .arg("--goroot")
        .arg(&tree)
        .arg("extract")
        .arg("-o")
        .arg(&allow)));
    let after = linkallow::allowlist::read::load(allow.to_str().unwrap()).unwrap();
    let names = |l: &linkallow::allowlist::Allowlist| {
        l.symbols
            .iter()
            .map(|s| s.linker_name())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&after), names(&before));
    assert_eq!(after.dependents, before.dependents);
    assert_eq!(after.tiers, vec![1000, 10]);
    assert_eq!(after.removed.len(), 1);
    assert_eq!(after.removed[0].reason, "nobody pulls it since 2025");
    ok(&linkallow(&tree, &allow, &["check"]));
}
