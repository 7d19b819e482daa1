//! The CL series on temp copies of the installed Go tree: patches per dependents tier that
//! `git am` applies in order back to the original tree, tier states that build, commits whose
//! Change-Ids survive regeneration, and a rename plus a move diagnosed and regenerated.

mod util;
use linkallow::allowlist::{self, Allowlist, module_path};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use util::*;

/// The author the shipped patches/ carry (`patches --author`).
const SHIPPED_AUTHOR: &str = "linkallow <linkallow@example.com>";

fn shipped_allowlist() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("allowlist.toml")
}

/// The shipped allowlist with the fixture's (fictional) dependents counts imported.
fn allowlist_with_counts(tmp: &Path) -> PathBuf {
    let allow = tmp.join("allowlist.toml");
    std::fs::copy(shipped_allowlist(), &allow).unwrap();
    let csv = fixtures().join("series/dependents.csv");
    let out = run(bin()
        .arg("--allowlist")
        .arg(&allow)
        .args(["dependents", "import"])
        .arg(&csv));
    ok(&out);
    allow
}

/// The tier rule, written out independently of the series module: at threshold `t` a symbol
/// lists its modules with at least `t` dependents, in allowlist order, and is documented when it
/// lists any.
fn expected_at(list: &Allowlist, t: Option<u64>) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for sym in &list.symbols {
        let kept: Vec<String> = sym
            .modules
            .iter()
            .filter(|m| match t {
                None => true,
                Some(t) => list
                    .dependents
                    .get(module_path(m))
                    .is_some_and(|d| d.floor() >= t),
            })
            .cloned()
            .collect();
        if !kept.is_empty() || t.is_none() {
            out.insert(sym.linker_name(), kept);
        }
    }
    out
}

/// Symbols whose blocks are verbatim source (regions, raw blocks): the rule cannot split their
/// module lists, so they arrive whole.
fn verbatim(list: &Allowlist) -> HashSet<String> {
    let mut set: HashSet<String> = list
        .regions
        .iter()
        .flat_map(|r| r.symbols.iter().cloned())
        .collect();
    for sym in &list.symbols {
        if sym.sites.iter().any(|s| s.text.raw.is_some()) {
            set.insert(sym.linker_name());
        }
    }
    set
}

fn extract(tree: &Path, tmp: &Path) -> Allowlist {
    let out_path = tmp.join("state.toml");
    ok(&run(bin()
        .arg("--goroot")
        .arg(tree)
        .arg("extract")
        .arg("-o")
        .arg(&out_path)));
    allowlist::read::load(out_path.to_str().unwrap()).unwrap()
}

/// `linkallow patches` of `tree` into `out`.
fn write_series(
    tree: &Path,
    allow: &Path,
    out: &Path,
    from_stripped: bool,
) -> std::process::Output {
    let mut args = vec![
        "patches",
        "--out",
        out.to_str().unwrap(),
        "--author",
        SHIPPED_AUTHOR,
    ];
    if from_stripped {
        args.push("--from-stripped");
    }
    linkallow(tree, allow, &args)
}

fn patch_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "patch"))
        .collect();
    v.sort();
    v
}

#[test]
fn tiers_apply_with_git_am_in_order_build_and_give_the_tree_back() {
    let Some(goroot) = goroot() else { return };
    let tmp = TempDir::new("series");
    let allow = allowlist_with_counts(&tmp);
    let list = allowlist::read::load(allow.to_str().unwrap()).unwrap();

    // The series against the installed tree (read-only), twice: byte-identical.
    let p1 = tmp.join("p1");
    let p2 = tmp.join("p2");
    for p in [&p1, &p2] {
        ok(&write_series(&goroot, &allow, p, true));
    }
    assert_eq!(
        read_dir_files(&p1),
        read_dir_files(&p2),
        "patches differ between runs"
    );
    let patches = patch_files(&p1);
    assert_eq!(
        patches.len(),
        list.tiers.len() + 1,
        "one patch per tier plus the final round with these counts"
    );

    // A GOROOT copy, stripped, as a git repository.
    let t = tmp.join("go");
    copy_tree(&goroot, &t);
    ok(&linkallow(&t, &allow, &["strip", "--write"]));
    git_repo_of_src(&t);
    // From the stripped tree as it is, the series is the same.
    let p3 = tmp.join("p3");
    ok(&write_series(&t, &allow, &p3, false));
    assert_eq!(read_dir_files(&p1), read_dir_files(&p3));

    let verbatim = verbatim(&list);
    let mut table = Vec::new();
    for (i, patch) in patches.iter().enumerate() {
        git(&t, &["am", "-q", patch.to_str().unwrap()]);
        let threshold = list.tiers.get(i).copied();
        let state = extract(&t, &tmp);
        let expected = expected_at(&list, threshold);
        let got: BTreeMap<String, Vec<String>> = state
            .symbols
            .iter()
            .map(|s| (s.linker_name(), s.modules.clone()))
            .collect();
        for (name, modules) in &expected {
            let have = got.get(name);
            assert!(have.is_some(), "tier {threshold:?}: {name} not documented");
            if !verbatim.contains(name) {
                assert_eq!(have, Some(modules), "tier {threshold:?}: {name}");
            }
        }
        for name in got.keys() {
            assert!(
                expected.contains_key(name) || verbatim.contains(name),
                "tier {threshold:?}: {name} documented too early"
            );
        }
        let modules: HashSet<&str> = got.values().flatten().map(|m| module_path(m)).collect();
        table.push(format!(
            "{:>8}: {:>3} symbols, {:>2} modules",
            threshold.map_or("final".to_string(), |t| t.to_string()),
            got.len(),
            modules.len()
        ));
        let last = i + 1 == patches.len();
        if i == 0 || last {
            let build = go(&t, &tmp, &["build", "std"]);
            assert!(
                build.status.success(),
                "go build std after patch {}: {}",
                i + 1,
                String::from_utf8_lossy(&build.stderr)
            );
        }
    }
    eprintln!("tree after each patch:\n{}", table.join("\n"));
    assert_eq!(
        diff_trees(&goroot.join("src"), &t.join("src")),
        "",
        "git am of the whole series does not give the tree back"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A copy of the installed tree's `src/` (and VERSION) at `dir`: enough for every command but
/// building.
fn src_copy(goroot: &Path, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    copy_tree(&goroot.join("src"), &dir.join("src"));
    std::fs::copy(goroot.join("VERSION"), dir.join("VERSION")).unwrap();
}

fn branch_change_ids(repo: &Path, branch: &str) -> Vec<String> {
    git(
        repo,
        &[
            "log",
            "--reverse",
            "--format=%(trailers:key=Change-Id,valueonly)",
            &format!("main..{branch}"),
        ],
    )
    .lines()
    .filter(|l| !l.is_empty())
    .map(str::to_string)
    .collect()
}

#[test]
fn commit_makes_the_series_and_keeps_change_ids_on_regeneration() {
    let Some(goroot) = goroot() else { return };
    let tmp = TempDir::new("commit");
    let allow = allowlist_with_counts(&tmp);
    let repo = tmp.join("go");
    src_copy(&goroot, &repo);
    ok(&linkallow(&repo, &allow, &["strip", "--write"]));
    git_repo_of_src(&repo);
    let commit = |extra: &[&str]| {
        run(bin()
            .arg("--allowlist")
            .arg(&allow)
            .arg("commit")
            .arg("--repo")
            .arg(&repo)
            .args([
                "--branch",
                "tiers",
                "--author",
                "A Maintainer <m@example.com>",
            ])
            .args(extra))
    };
    ok(&commit(&[]));
    let first = branch_change_ids(&repo, "tiers");
    assert_eq!(first.len(), 11, "{first:?}");
    assert!(first.iter().all(|c| c.len() == 41 && c.starts_with('I')));
    // The branch's last tree is the original tree; the work tree did not move.
    git(&repo, &["diff", "--quiet", "main"]);
    let tip_tree = git(&repo, &["rev-parse", "tiers^{tree}"]);

    // An existing branch is refused unless forced; nothing changes.
    let tip = git(&repo, &["rev-parse", "tiers"]);
    let again = commit(&[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("branch tiers exists"),
        "{}",
        stderr(&again)
    );
    assert_eq!(git(&repo, &["rev-parse", "tiers"]), tip);

    // Regenerating after an allowlist change keeps every tier's Change-Id.
    let text = std::fs::read_to_string(&allow).unwrap();
    std::fs::write(
        &allow,
        text.replacen(
            "\"github.com/goccy/go-json\" = ",
            "\"github.com/goccy/go-json\" = 1",
            1,
        ),
    )
    .unwrap();
    ok(&commit(&["--force"]));
    assert_eq!(branch_change_ids(&repo, "tiers"), first);
    assert_eq!(git(&repo, &["rev-parse", "tiers^{tree}"]), tip_tree);

    // The commits hold the same changes as the patches.
    let p = tmp.join("p");
    ok(&write_series(&repo, &allow, &p, false));
    let mut n = 0;
    for patch in patch_files(&p) {
        let text = std::fs::read_to_string(&patch).unwrap();
        assert!(
            text.contains(&format!("Change-Id: {}\n", first[n])),
            "{}",
            patch.display()
        );
        n += 1;
    }
    assert_eq!(n, first.len());

    // A branch checked out in another worktree is refused, as git refuses it.
    let tip = git(&repo, &["rev-parse", "tiers"]);
    let other = tmp.join("other-worktree");
    git(
        &repo,
        &["worktree", "add", "-q", other.to_str().unwrap(), "tiers"],
    );
    let elsewhere = commit(&["--force"]);
    assert_eq!(elsewhere.status.code(), Some(2));
    assert!(
        stderr(&elsewhere).contains("checked out in the worktree"),
        "{}",
        stderr(&elsewhere)
    );
    assert_eq!(git(&repo, &["rev-parse", "tiers"]), tip);
    git(
        &repo,
        &["worktree", "remove", "--force", other.to_str().unwrap()],
    );

    // A dirty work tree is refused and the branch stays.
    std::fs::write(repo.join("src/dirty.go"), "package dirty\n").unwrap();
    let dirty = commit(&["--force"]);
    assert_eq!(dirty.status.code(), Some(2));
    assert!(
        stderr(&dirty).contains("work tree is dirty"),
        "{}",
        stderr(&dirty)
    );
    assert_eq!(git(&repo, &["rev-parse", "tiers"]), tip);
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn rename_and_move_are_diagnosed_and_regenerate_as_one_change() {
    let Some(goroot) = goroot() else { return };
    let tmp = TempDir::new("rename");
    let t = tmp.join("go");
    src_copy(&goroot, &t);
    let src = t.join("src");

    // Rename: database/sql.convertAssign -> convertAssignValue, code and directive, not prose.
    for entry in std::fs::read_dir(src.join("database/sql")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "go") {
            let text = std::fs::read_to_string(&path).unwrap();
            let renamed = text
                .replace("convertAssign(", "convertAssignValue(")
                .replace(
                    "//go:linkname convertAssign\n",
                    "//go:linkname convertAssignValue\n",
                );
            std::fs::write(&path, renamed).unwrap();
        }
    }
    // Move: net.isDomainName, with its doc comment and directive, to a new internal package.
    let dnsclient = src.join("net/dnsclient.go");
    let text = std::fs::read_to_string(&dnsclient).unwrap();
    let start = text.find("// isDomainName checks if a string").unwrap();
    let end = start + text[start..].find("\n}\n").unwrap() + 3;
    let chunk = text[start..end].to_string();
    let rest = format!("{}{}", &text[..start], text[end..].trim_start_matches('\n'));
    std::fs::write(&dnsclient, rest).unwrap();
    std::fs::create_dir_all(src.join("internal/dnsname")).unwrap();
    std::fs::write(
        src.join("internal/dnsname/name.go"),
        format!("// Package dnsname validates DNS names.\npackage dnsname\n\nimport _ \"unsafe\" // for linkname\n\n{chunk}"),
    )
    .unwrap();
    let before = tmp.join("before");
    copy_tree(&src, &before);

    // check says what happened and what to record.
    let shipped = shipped_allowlist();
    let report = linkallow(&t, &shipped, &["check"]);
    assert_eq!(report.status.code(), Some(1));
    let report = stdout(&report);
    eprintln!("{report}");
    assert!(
        report.contains("database/sql.convertAssign: symbol not found"),
        "{report}"
    );
    assert!(
        report
            .contains("its block now sits on func convertAssignValue at src/database/sql/convert.go:")
            && report.contains("record local = \"convertAssignValue\" in the allowlist entry, so that the new declaration pushes the old name database/sql.convertAssign")
            && report
                .contains("recording name = \"convertAssignValue\", renamed_from = \"convertAssign\" instead drops database/sql.convertAssign and breaks the listed modules"),
        "{report}"
    );
    assert!(
        report.contains("its block now sits on func isDomainName at src/internal/dnsname/name.go:")
            && report.contains("record in = \"internal/dnsname\", local = \"isDomainName\"")
            && report.contains("package = \"internal/dnsname\", moved_from = \"net\""),
        "{report}"
    );
    assert!(
        report.contains("it looks like net.isDomainName renamed or moved"),
        "{report}"
    );
    // apply refuses with the same hint and writes nothing.
    let refused = linkallow(&t, &shipped, &["apply", "--write"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("renamed_from = \"convertAssign\""),
        "{}",
        stderr(&refused)
    );
    assert_eq!(diff_trees(&before, &src), "");

    // Record the rename and the move as check suggests.
    let allow = tmp.join("allowlist.toml");
    let text = std::fs::read_to_string(&shipped).unwrap();
    let text = text
        .replace(
            "package = \"database/sql\"\nname = \"convertAssign\"\n",
            "package = \"database/sql\"\nname = \"convertAssignValue\"\nrenamed_from = \"convertAssign\"\n",
        )
        .replace(
            "package = \"net\"\nname = \"isDomainName\"\n",
            "package = \"internal/dnsname\"\nname = \"isDomainName\"\nmoved_from = \"net\"\n",
        );
    std::fs::write(&allow, text).unwrap();
    let report = linkallow(&t, &allow, &["check"]);
    assert_eq!(report.status.code(), Some(1));
    // Dropping the old names is allowed, and said out loud.
    assert!(
        stderr(&report).contains("renamed_from drops the linker name database/sql.convertAssign; programs that pull it (ariga.io/entcache) will no longer link"),
        "{}",
        stderr(&report)
    );
    assert_eq!(
        stdout(&report).lines().collect::<Vec<_>>(),
        vec![
            "src/database/sql/convert.go:212:1: database/sql.convertAssignValue: block still names convertAssign (renamed_from); apply updates it"
        ]
    );

    // From the tree as it is, the rename is one reviewable change; then check is clean.
    let p = tmp.join("p");
    ok(&write_series(&t, &allow, &p, false));
    let patches = patch_files(&p);
    assert_eq!(patches.len(), 1, "{patches:?}");
    let patch = std::fs::read_to_string(&patches[0]).unwrap();
    eprintln!("{patch}");
    assert!(
        patch
            .contains("Subject: [PATCH] database/sql: update legacy //go:linkname documentation\n"),
        "{patch}"
    );
    assert!(
        patch.contains("\tdatabase/sql.convertAssign is now database/sql.convertAssignValue\n"),
        "{patch}"
    );
    assert!(
        patch.contains("This drops the old linker names")
            && patch.contains("\tdatabase/sql.convertAssign: ariga.io/entcache\n"),
        "{patch}"
    );
    assert!(patch.contains("-// convertAssign should be an internal detail,\n+// convertAssignValue should be an internal detail,\n"), "{patch}");
    git_repo_of_src(&t);
    git(&t, &["am", "-q", patches[0].to_str().unwrap()]);
    ok(&linkallow(&t, &allow, &["check"]));
    let updated = tmp.join("updated");
    copy_tree(&src, &updated);

    // The whole series regenerates against the changed tree: the last state is the tree.
    let full = tmp.join("full");
    ok(&write_series(&t, &allow, &full, true));
    ok(&linkallow(&t, &allow, &["strip", "--write"]));
    git(&t, &["add", "-A"]);
    git(&t, &["commit", "-q", "-m", "stripped"]);
    for patch in patch_files(&full) {
        git(&t, &["am", "-q", patch.to_str().unwrap()]);
    }
    assert_eq!(
        diff_trees(&updated, &src),
        "",
        "the regenerated series does not give the tree back"
    );
    ok(&linkallow(&t, &allow, &["check"]));
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn shipped_patches_are_current() {
    let Some(goroot) = toolchain(&shipped_release()) else {
        return;
    };
    let tmp = TempDir::new("shipped-patches");
    ok(&write_series(&goroot, &shipped_allowlist(), &tmp, true));
    assert_eq!(
        read_dir_files(&tmp),
        read_dir_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("patches")),
        "patches/ is stale: regenerate with `linkallow patches --from-stripped`"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A block left behind on the next declaration when its own moved away (no directive, lead still
/// naming the old declaration) is removed by apply once the rename is recorded.
#[test]
fn a_block_left_behind_by_a_rename_is_removed_and_the_new_place_annotated() {
    let tmp = TempDir::new("left-behind");
    let tree = tmp.join("m");
    std::fs::create_dir_all(tree.join("p")).unwrap();
    std::fs::write(tree.join("go.mod"), "module example.com/m\n\ngo 1.23\n").unwrap();
    let before = "package p\n\nimport _ \"unsafe\"\n\n// gone should be an internal detail,\n// but widely used packages access it using linkname.\n// Notable members of the hall of shame include:\n//   - example.com/puller\n//\n// Do not remove or change the type signature.\n// See go.dev/issue/67401.\nfunc other() {}\n\n//go:linkname renamed\nfunc renamed() {}\n";
    std::fs::write(tree.join("p/p.go"), before).unwrap();
    let allow = tmp.join("allowlist.toml");
    std::fs::write(
        &allow,
        "[[symbol]]\npackage = \"example.com/m/p\"\nname = \"renamed\"\nrenamed_from = \"gone\"\nmodules = [\"example.com/puller\"]\n",
    )
    .unwrap();
    ok(&linkallow(&tree, &allow, &["apply", "--write"]));
    assert_eq!(
        std::fs::read_to_string(tree.join("p/p.go")).unwrap(),
        "package p\n\nimport _ \"unsafe\"\n\nfunc other() {}\n\n// renamed should be an internal detail,\n// but widely used packages access it using linkname.\n// Notable members of the hall of shame include:\n//   - example.com/puller\n//\n// Do not remove or change the type signature.\n// See go.dev/issue/67401.\n//\n//go:linkname renamed\nfunc renamed() {}\n"
    );
    ok(&linkallow(&tree, &allow, &["check"]));
    let again = linkallow(&tree, &allow, &["apply"]);
    ok(&again);
    assert_eq!(stdout(&again), "");
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A pull program of database/sql.convertAssign, built with the tree's own toolchain.
fn build_convert_assign_pull(goroot: &Path, dir: &Path) -> std::process::Output {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("go.mod"), "module pull\n\ngo 1.23\n").unwrap();
    std::fs::write(
        dir.join("main.go"),
        "package main\n\nimport (\n\t_ \"database/sql\"\n\t_ \"unsafe\"\n)\n\n//go:linkname convertAssign database/sql.convertAssign\nfunc convertAssign(dest, src any) error\n\nfunc main() {\n\tvar s string\n\tif err := convertAssign(&s, \"hi\"); err != nil || s != \"hi\" {\n\t\tpanic(err)\n\t}\n}\n",
    )
    .unwrap();
    go(goroot, dir, &["build", "-o", "/dev/null", "."])
}

/// The default outcome of a rename keeps the pullers linking: the renamed declaration pushes
/// the old linker name with a two-argument //go:linkname, after one apply check is clean, and
/// a real pull of the old name links before and after.
#[test]
fn a_rename_recorded_with_local_keeps_the_old_name_linking() {
    let Some(goroot) = goroot() else { return };
    let tmp = TempDir::new("rename-keep");
    let t = tmp.join("go");
    copy_tree(&goroot, &t);
    let src = t.join("src");
    let pull = tmp.join("pull");
    let before = build_convert_assign_pull(&t, &pull);
    assert!(before.status.success(), "{}", stderr(&before));

    for entry in std::fs::read_dir(src.join("database/sql")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "go") {
            let text = std::fs::read_to_string(&path).unwrap();
            let renamed = text
                .replace("convertAssign(", "convertAssignValue(")
                .replace(
                    "//go:linkname convertAssign\n",
                    "//go:linkname convertAssignValue\n",
                );
            std::fs::write(&path, renamed).unwrap();
        }
    }
    let broken = build_convert_assign_pull(&t, &pull);
    assert!(!broken.status.success(), "the pull linked without a push");

    let allow = tmp.join("allowlist.toml");
    let text = std::fs::read_to_string(shipped_allowlist()).unwrap();
    std::fs::write(
        &allow,
        text.replace(
            "package = \"database/sql\"\nname = \"convertAssign\"\n",
            "package = \"database/sql\"\nname = \"convertAssign\"\nlocal = \"convertAssignValue\"\n",
        ),
    )
    .unwrap();
    let diff = linkallow(&t, &allow, &["apply"]);
    ok(&diff);
    assert!(
        stdout(&diff).contains("-//go:linkname convertAssignValue\n+//go:linkname convertAssignValue database/sql.convertAssign\n"),
        "{}",
        stdout(&diff)
    );
    assert!(
        !stderr(&diff).contains("drops the linker name"),
        "{}",
        stderr(&diff)
    );
    ok(&linkallow(&t, &allow, &["apply", "--write"]));
    ok(&linkallow(&t, &allow, &["check"]));
    let again = linkallow(&t, &allow, &["apply"]);
    ok(&again);
    assert_eq!(stdout(&again), "");
    let after = build_convert_assign_pull(&t, &pull);
    assert!(after.status.success(), "{}", stderr(&after));
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Removals are CLs too (go.dev/issue/69222 took a module off a list): with --prune the series
/// opens with a removal change that names what went and why, and after it check is clean.
#[test]
fn removals_make_their_own_cl_with_the_reasons() {
    let tmp = TempDir::new("removal");
    let tree = tmp.join("m");
    copy_tree(&fixtures().join("forms/out"), &tree);
    let golden = std::fs::read_to_string(fixtures().join("forms/allowlist.toml")).unwrap();
    let edited = golden
        .replacen(
            "name = \"plain\"\nmodules = [\n    \"example.com/alpha\",\n    \"example.com/beta\",\n]\n",
            "name = \"plain\"\nmodules = [\n    \"example.com/alpha\",\n]\n",
            1,
        )
        .replacen(
            "[[symbol]]\npackage = \"example.com/m/p\"\nname = \"documented\"\nmodules = [\n    \"example.com/alpha\",\n]\n",
            "",
            1,
        )
        + "\n[[removed]]\nsymbol = \"example.com/m/p.plain\"\nmodules = [\"example.com/beta\"]\nreason = \"beta v2 calls the exported API instead (example.com/beta/pull/7)\"\n";
    assert_ne!(edited, golden);
    let allow = tmp.join("allowlist.toml");
    std::fs::write(&allow, &edited).unwrap();

    // check names both and says how to make the CL; patches without --prune says so too.
    let report = linkallow(&tree, &allow, &["check"]);
    assert_eq!(report.status.code(), Some(1));
    assert!(stdout(&report).contains("example.com/m/p.documented: annotated in the tree but not in the allowlist; apply --prune removes it"), "{}", stdout(&report));
    let plain = tmp.join("plain");
    let out = linkallow(
        &tree,
        &allow,
        &[
            "patches",
            "--out",
            plain.to_str().unwrap(),
            "--author",
            SHIPPED_AUTHOR,
        ],
    );
    ok(&out);
    assert!(
        stderr(&out).contains("the tree still annotates 1 symbol the allowlist no longer lists (example.com/m/p.documented); --prune makes their removal CL"),
        "{}",
        stderr(&out)
    );
    // A module taken off a list is a removal CL even without --prune.
    let patches = patch_files(&plain);
    assert_eq!(patches.len(), 1, "{patches:?}");
    let patch = std::fs::read_to_string(&patches[0]).unwrap();
    assert!(
        patch.contains(
            // Wrapped at 78 columns, as git format-patch wraps it.
            "Subject: [PATCH] example.com/m/p: remove example.com/beta from linkname\n comment\n"
        ),
        "{patch}"
    );

    let series = tmp.join("series");
    let out = linkallow(
        &tree,
        &allow,
        &[
            "patches",
            "--prune",
            "--out",
            series.to_str().unwrap(),
            "--author",
            SHIPPED_AUTHOR,
        ],
    );
    ok(&out);
    assert!(
        stderr(&out).contains("example.com/m/p.documented: removed without a [[removed]] note"),
        "{}",
        stderr(&out)
    );
    let patches = patch_files(&series);
    assert_eq!(patches.len(), 1, "{patches:?}");
    let patch = std::fs::read_to_string(&patches[0]).unwrap();
    assert!(
        patch.contains(
            "Subject: [PATCH] example.com/m/p: remove legacy //go:linkname no longer pulled\n"
        ),
        "{patch}"
    );
    assert!(
        patch.contains("\texample.com/m/p.plain (from its list: example.com/beta): beta v2 calls the exported API instead (example.com/beta/pull/7)\n"),
        "{patch}"
    );
    assert!(
        patch.contains(
            "\texample.com/m/p.documented: no reason recorded in allowlist.toml ([[removed]])\n"
        ),
        "{patch}"
    );
    assert!(patch.contains("-//   - example.com/beta\n"), "{patch}");
    assert!(patch.contains("Change-Id: I"), "{patch}");

    // The CL applies, and after it tree and allowlist agree.
    let repo = tmp.join("repo");
    copy_tree(&tree, &repo);
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "base"]);
    git(&repo, &["am", "-q", patches[0].to_str().unwrap()]);
    ok(&linkallow(&repo, &allow, &["check"]));
}

/// A stage that becomes empty on regeneration leaves a CL behind in Gerrit: say which one.
#[test]
fn an_emptied_stage_names_the_change_id_to_abandon() {
    let tmp = TempDir::new("abandon");
    let tree = tmp.join("m");
    copy_tree(&fixtures().join("forms/in"), &tree);
    let golden = std::fs::read_to_string(fixtures().join("forms/allowlist.toml")).unwrap();
    let allow = tmp.join("allowlist.toml");
    let with = |counts: &str| {
        std::fs::write(&allow, format!("{golden}\n[dependents]\n{counts}")).unwrap();
    };
    let out_dir = tmp.join("series");
    let patches = |extra: &[&str]| {
        let mut args = vec![
            "patches",
            "--out",
            out_dir.to_str().unwrap(),
            "--author",
            SHIPPED_AUTHOR,
        ];
        args.extend(extra);
        linkallow(&tree, &allow, &args)
    };
    with("\"example.com/alpha\" = 200000\n\"example.com/gamma\" = 600\n");
    let first = patches(&[]);
    ok(&first);
    let tier_500 = patch_files(&out_dir)
        .into_iter()
        .find(|p| p.to_string_lossy().ends_with("-with-500.patch"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .expect("a ≥500 patch");
    let id = tier_500
        .lines()
        .find_map(|l| l.strip_prefix("Change-Id: "))
        .unwrap()
        .to_string();

    // gamma loses its count: the ≥500 stage is empty now.
    with("\"example.com/alpha\" = 200000\n");
    let again = patches(&[]);
    ok(&again);
    assert!(
        stderr(&again).contains(&format!(
            "the CL with Change-Id {id} (tier-500) has no change any more; abandon it in Gerrit"
        )),
        "{}",
        stderr(&again)
    );
    assert!(
        patch_files(&out_dir)
            .iter()
            .all(|p| !std::fs::read_to_string(p).unwrap().contains(&id)),
        "the stale patch is still there"
    );
}

/// `patches --out DIR` replaces and deletes only the series' own numbered patches (the ones
/// carrying its Change-Ids, a tier it has dropped included); anyone else's are named and left,
/// and one at a name the series would write stops the run before anything is written.
#[test]
fn patches_out_deletes_only_patch_files_of_its_series() {
    let tmp = TempDir::new("foreign-patches");
    let tree = tmp.join("m");
    copy_tree(&fixtures().join("forms/in"), &tree);
    let golden = std::fs::read_to_string(fixtures().join("forms/allowlist.toml")).unwrap();
    let allow = tmp.join("allowlist.toml");
    let counts = "\n[dependents]\n\"example.com/alpha\" = 200000\n\"example.com/gamma\" = 600\n";
    std::fs::write(&allow, format!("{golden}{counts}")).unwrap();
    let out_dir = tmp.join("series");
    let patches = || {
        linkallow(
            &tree,
            &allow,
            &[
                "patches",
                "--out",
                out_dir.to_str().unwrap(),
                "--author",
                SHIPPED_AUTHOR,
            ],
        )
    };
    ok(&patches());
    let ours = patch_files(&out_dir);
    let tier_500 = ours
        .iter()
        .find(|p| p.to_string_lossy().ends_with("-with-500.patch"))
        .expect("a ≥500 patch")
        .clone();
    let foreign = [
        (
            "0001-my-own-work.patch",
            "From: me\nSubject: mine\n\nno Change-Id\n".to_string(),
        ),
        (
            "0002-another-series.patch",
            "Subject: x\n\nChange-Id: I0123456789abcdef0123456789abcdef01234567\n".to_string(),
        ),
        ("0003-not-text.patch", "\u{0}\u{1}".to_string()),
    ];
    for (name, text) in &foreign {
        std::fs::write(out_dir.join(name), text).unwrap();
    }
    // The ≥500 tier goes away: its patch is still this series', and goes.
    std::fs::write(&allow, format!("tiers = [100000]\n{golden}{counts}")).unwrap();
    let again = patches();
    ok(&again);
    assert!(
        !tier_500.exists(),
        "the dropped tier's patch is still there"
    );
    for (name, text) in &foreign {
        let path = out_dir.join(name);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), *text, "{name}");
        assert!(
            stderr(&again).contains(&format!(
                "warning: {}: not a patch of series legacy-linkname; left in place",
                path.display()
            )),
            "{}",
            stderr(&again)
        );
    }

    // Someone else's patch where the series writes one: refused, nothing touched.
    let ours = patch_files(&out_dir);
    let target = ours
        .iter()
        .find(|p| !foreign.iter().any(|(n, _)| p.ends_with(n)))
        .unwrap()
        .clone();
    std::fs::write(&target, "Subject: mine\n").unwrap();
    let before: Vec<(String, Vec<u8>)> = read_dir_files(&out_dir);
    let refused = patches();
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains(&format!(
            "{}: exists and is not a patch of series legacy-linkname",
            target.display()
        )),
        "{}",
        stderr(&refused)
    );
    assert_eq!(read_dir_files(&out_dir), before);
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A Go file of package p declaring `func NAME() int`.
fn go_func(name: &str) -> String {
    format!("package p\n\nimport _ \"unsafe\"\n\nfunc {name}() int {{ return 1 }}\n")
}

/// A module example.com/m at `dir` holding `files`, as the first commit of a repository on
/// branch main.
fn module_repo(dir: &Path, files: &[(&str, String)]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("go.mod"), "module example.com/m\n\ngo 1.23\n").unwrap();
    for (rel, text) in files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "base"]);
}

/// An allowlist naming `p.NAME` for each name, pulled by example.com/alpha.
fn allowlist_of(tmp: &Path, names: &[&str]) -> PathBuf {
    let allow = tmp.join("allowlist.toml");
    let text: String = names
        .iter()
        .map(|n| {
            format!(
                "[[symbol]]\npackage = \"example.com/m/p\"\nname = \"{n}\"\nmodules = [\"example.com/alpha\"]\n\n"
            )
        })
        .collect();
    std::fs::write(&allow, text).unwrap();
    allow
}

/// `linkallow commit` of the module at `repo`, from `run_in` (a worktree of it).
fn commit_module(allow: &Path, repo: &Path, extra: &[&str]) -> std::process::Output {
    run(bin()
        .arg("--allowlist")
        .arg(allow)
        .arg("--goroot")
        .arg(repo)
        .arg("commit")
        .arg("--repo")
        .arg(repo)
        .args(["--author", "A Maintainer <m@example.com>"])
        .args(extra))
}

/// git refuses to move a branch that any worktree has checked out (or is rebasing), the main
/// worktree included when the command runs in a linked one; so does `commit --force`.
#[test]
fn commit_force_refuses_a_branch_checked_out_in_the_main_worktree() {
    let tmp = TempDir::new("commit-main-worktree");
    let main = tmp.join("main");
    module_repo(&main, &[("p/p.go", go_func("plain"))]);
    let allow = allowlist_of(&tmp, &["plain"]);
    let linked = tmp.join("linked");
    git(
        &main,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "side",
            linked.to_str().unwrap(),
        ],
    );
    let tip = git(&main, &["rev-parse", "main"]);
    let out = commit_module(&allow, &linked, &["--branch", "main", "--force"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "branch main is checked out in the worktree {}",
            main.display()
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(git(&main, &["rev-parse", "main"]), tip);
    git(&main, &["diff", "--quiet", "HEAD"]);

    // A branch being rebased in another worktree (its HEAD detached) is in use too.
    std::fs::write(linked.join("NOTES"), "one\n").unwrap();
    git(&linked, &["add", "NOTES"]);
    git(&linked, &["commit", "-q", "-m", "one"]);
    run(std::process::Command::new("git")
        .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
        .args(["rebase", "-q", "-i", "HEAD~1"])
        .env("GIT_SEQUENCE_EDITOR", "sed -i s/^pick/edit/")
        .current_dir(&linked));
    assert!(
        git(&linked, &["status"]).contains("rebas"),
        "no rebase in progress"
    );
    let side = git(&main, &["rev-parse", "side"]);
    let out = commit_module(&allow, &main, &["--branch", "side", "--force"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "branch side is being rebased in the worktree {}",
            linked.display()
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(git(&main, &["rev-parse", "side"]), side);
    let _ = std::fs::remove_dir_all(&tmp);
}

/// git status calls a file marked assume-unchanged or skip-worktree clean whatever it holds:
/// the series commits are built from HEAD's blobs, so its local edits stay out of them.
#[test]
fn commit_builds_from_heads_blobs_not_assume_unchanged_or_skip_worktree_edits() {
    for flag in ["--assume-unchanged", "--skip-worktree"] {
        let tmp = TempDir::new(&format!("commit-head-blobs{flag}"));
        let repo = tmp.join("m");
        module_repo(
            &repo,
            &[("p/p.go", go_func("plain")), ("p/q.go", go_func("other"))],
        );
        let allow = allowlist_of(&tmp, &["plain"]);
        git(&repo, &["update-index", flag, "p/p.go", "p/q.go"]);
        let local = "LOCAL EDIT, NOT FOR THE COMMIT";
        std::fs::write(
            repo.join("p/p.go"),
            go_func("plain").replace("return 1", &format!("return 1 // {local}")),
        )
        .unwrap();
        std::fs::write(
            repo.join("p/q.go"),
            format!("// {local}\n{}", go_func("other")),
        )
        .unwrap();
        ok(&commit_module(&allow, &repo, &["--branch", "series"]));
        let shown = git(&repo, &["show", "series:p/p.go"]);
        assert!(!shown.contains(local), "{flag}: {shown}");
        assert!(shown.contains("//go:linkname plain\nfunc plain() int { return 1 }\n"));
        assert_eq!(
            git(&repo, &["diff", "--name-only", "main", "series"]),
            "p/p.go\n",
            "{flag}"
        );
        // The commit is HEAD's file plus the block, nothing else.
        let diff = git(&repo, &["diff", "main", "series"]);
        assert!(
            diff.lines()
                .filter(|l| l.starts_with('-') && !l.starts_with("---"))
                .count()
                == 0,
            "{flag}: {diff}"
        );
        let _ = std::fs::remove_dir_all(&tmp);
    }
}

/// Ignored files are not HEAD's: a tree in an ignored folder is refused, and an ignored file
/// of a tracked package is not there for the series (it used to go in whole, as a new file).
#[test]
fn commit_leaves_ignored_files_out_of_the_series() {
    let tmp = TempDir::new("commit-ignored");
    let repo = tmp.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(repo.join(".gitignore"), "/vendored/\nzgen.go\n").unwrap();
    std::fs::write(repo.join("README"), "r\n").unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "base"]);
    let ignored = repo.join("vendored/m");
    std::fs::create_dir_all(ignored.join("p")).unwrap();
    std::fs::write(ignored.join("go.mod"), "module example.com/m\n\ngo 1.23\n").unwrap();
    std::fs::write(ignored.join("p/p.go"), go_func("plain")).unwrap();
    let allow = allowlist_of(&tmp, &["plain", "gen"]);
    let commit = |tree: &Path| {
        run(bin()
            .arg("--allowlist")
            .arg(&allow)
            .arg("--goroot")
            .arg(tree)
            .args(["commit", "--repo"])
            .arg(&repo)
            .args(["--branch", "series", "--author", "A <a@example.com>"]))
    };
    let out = commit(&ignored);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("HEAD of the repository holds no files here"),
        "{}",
        stderr(&out)
    );
    assert!(git(&repo, &["branch", "--list", "series"]).is_empty());

    // A tracked module whose package has an ignored file: gen, declared only there, is not in
    // HEAD, so the series cannot document it.
    let tracked = repo.join("m");
    std::fs::create_dir_all(tracked.join("p")).unwrap();
    std::fs::write(tracked.join("go.mod"), "module example.com/m\n\ngo 1.23\n").unwrap();
    std::fs::write(tracked.join("p/p.go"), go_func("plain")).unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "module"]);
    std::fs::write(tracked.join("p/zgen.go"), go_func("gen")).unwrap();
    let out = commit(&tracked);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("gen"), "{}", stderr(&out));
    assert!(git(&repo, &["branch", "--list", "series"]).is_empty());
    // Without gen the series is plain's block alone.
    let allow_plain = allowlist_of(&tmp, &["plain"]);
    assert_eq!(allow_plain, allow);
    ok(&commit(&tracked));
    assert_eq!(
        git(&repo, &["diff", "--name-only", "main", "series"]),
        "m/p/p.go\n"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The header part of a patch (after the `From <id>` line, up to the blank line), less Date.
fn mail_headers(patch: &str) -> Vec<String> {
    patch
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| !l.starts_with("Date: "))
        .map(str::to_string)
        .collect()
}

/// The message body of a patch, and the lines of its diff that name files.
fn body_and_names(patch: &str) -> (String, Vec<String>) {
    let (_, rest) = patch.split_once("\n\n").unwrap();
    let (body, diff) = rest.split_once("\n---\n").unwrap();
    let names = diff
        .lines()
        .filter(|l| {
            [
                "diff --git ",
                "--- ",
                "+++ ",
                "new file",
                "deleted file",
                " create mode",
            ]
            .iter()
            .any(|p| l.starts_with(p))
                || l.contains(" | ")
        })
        .map(|l| match l.split_once(" | ") {
            Some((name, _)) => name.trim().to_string(),
            None => l.to_string(),
        })
        .collect();
    (body.to_string(), names)
}

/// The patches are what git format-patch makes of the same commits: the author's name RFC 2047
/// encoded, a non-ASCII subject encoded and folded, a long ASCII one wrapped, file names with a
/// tab, quote, newline, blank or non-ASCII letter quoted as git quotes them (a backslash the
/// tree refuses in a path; edit.rs tests its quoting); git am
/// takes them back to the series' tree and git apply takes apply's diff.
#[test]
fn patches_quote_names_and_encode_headers_as_git_format_patch() {
    let tmp = TempDir::new("format-patch-oracle");
    let repo = tmp.join("m");
    let odd = [
        ("t\tab.go", "fTab"),
        ("q\"uote.go", "fQuote"),
        ("new\nline.go", "fNewline"),
        ("sp ace.go", "fSpace"),
        ("é.go", "fAccent"),
    ];
    let files: Vec<(String, String)> = odd
        .iter()
        .map(|(n, f)| (format!("p/{n}"), go_func(f)))
        .collect();
    let files: Vec<(&str, String)> = files.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    module_repo(&repo, &files);
    let mut list = String::from("tiers = [1000]\n\n");
    for (i, (_, f)) in odd.iter().enumerate() {
        let module = if i < 2 {
            "example.com/big"
        } else {
            "example.com/alpha"
        };
        list.push_str(&format!(
            "[[symbol]]\npackage = \"example.com/m/p\"\nname = \"{f}\"\nmodules = [\"{module}\"]\n\n"
        ));
    }
    list.push_str("[dependents]\n\"example.com/big\" = 5000\n");
    let allow = tmp.join("allowlist.toml");
    std::fs::write(&allow, list).unwrap();
    let author = "Jörg \"J\" Müller-Lüdenscheidt <j@example.com>";

    ok(&run(bin()
        .arg("--allowlist")
        .arg(&allow)
        .arg("--goroot")
        .arg(&repo)
        .args(["commit", "--repo"])
        .arg(&repo)
        .args(["--branch", "series", "--author", author])));
    let ours_dir = tmp.join("ours");
    ok(&linkallow(
        &repo,
        &allow,
        &[
            "patches",
            "--out",
            ours_dir.to_str().unwrap(),
            "--author",
            author,
            "--date",
            "2026-01-01T00:00:00Z",
        ],
    ));
    let git_dir = tmp.join("git");
    git(
        &repo,
        &[
            "format-patch",
            "-q",
            "-o",
            git_dir.to_str().unwrap(),
            "main..series",
        ],
    );
    let (ours, theirs) = (patch_files(&ours_dir), patch_files(&git_dir));
    assert_eq!(ours.len(), 2, "{ours:?}");
    assert_eq!(theirs.len(), ours.len(), "{theirs:?}");
    // (File names are not compared: git cuts the subject to 52 characters, linkallow to 64.)
    for (o, t) in ours.iter().zip(&theirs) {
        let (o, t) = (
            std::fs::read_to_string(o).unwrap(),
            std::fs::read_to_string(t).unwrap(),
        );
        assert_eq!(mail_headers(&o), mail_headers(&t));
        assert_eq!(body_and_names(&o), body_and_names(&t));
    }
    let headers = mail_headers(&std::fs::read_to_string(&ours[0]).unwrap()).join("\n");
    assert!(
        headers.starts_with("From: =?UTF-8?q?J=C3=B6rg=20=22J=22"),
        "{headers}"
    );

    // git am takes the patches back to the series' tree.
    let am = tmp.join("am");
    git(
        &tmp,
        &["clone", "-q", "-b", "main", repo.to_str().unwrap(), "am"],
    );
    let mut args = vec!["am", "-q"];
    let paths: Vec<String> = ours.iter().map(|p| p.display().to_string()).collect();
    args.extend(paths.iter().map(String::as_str));
    git(&am, &args);
    assert_eq!(
        git(&am, &["rev-parse", "HEAD^{tree}"]),
        git(&repo, &["rev-parse", "series^{tree}"])
    );

    // apply's diff is one git apply takes.
    let out = linkallow(&repo, &allow, &["apply"]);
    ok(&out);
    let diff = tmp.join("apply.diff");
    std::fs::write(&diff, &out.stdout).unwrap();
    git(&repo, &["apply", "--check", diff.to_str().unwrap()]);
    assert!(stdout(&out).contains("diff --git \"a/p/new\\nline.go\" \"b/p/new\\nline.go\"\n"));
    assert!(stdout(&out).contains("+++ \"b/p/\\303\\251.go\"\n"));
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A newline in `--author`, `--series`, `--date` or the git identity would end a mail header
/// (or the commit's author line) and start another: all are refused, nothing is written.
#[test]
fn patches_and_commit_refuse_control_characters_in_headers() {
    let tmp = TempDir::new("header-injection");
    let repo = tmp.join("m");
    module_repo(&repo, &[("p/p.go", go_func("plain"))]);
    let allow = allowlist_of(&tmp, &["plain"]);
    let out_dir = tmp.join("series");
    let home = tmp.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let gitconfig = home.join(".gitconfig");
    let patches = |extra: &[&str]| {
        run(bin()
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", &home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .arg("--allowlist")
            .arg(&allow)
            .arg("--goroot")
            .arg(&repo)
            .args(["patches", "--out", out_dir.to_str().unwrap()])
            .args(extra))
    };
    let author = ["--author", "A <a@example.com>"];
    for (what, args) in [
        (
            "author",
            vec!["--author", "A\nSubject: injected <a@example.com>"],
        ),
        (
            "author",
            vec!["--author", "A <a@example.com\nSubject: injected>"],
        ),
        (
            "series name",
            [&author[..], &["--series", "s\nSubject: injected"]].concat(),
        ),
        (
            "date",
            [&author[..], &["--date", "2026-01-01T00:00:00Z\nSubject: x"]].concat(),
        ),
    ] {
        let out = patches(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("control character U+000A"),
            "{what}: {}",
            stderr(&out)
        );
        assert!(!out_dir.exists(), "{args:?} wrote patches");
    }
    // git config with a newline in user.name, for patches and for commit.
    git(
        &home,
        &[
            "config",
            "--file",
            gitconfig.to_str().unwrap(),
            "user.name",
            "A\nSubject: injected",
        ],
    );
    git(
        &home,
        &[
            "config",
            "--file",
            gitconfig.to_str().unwrap(),
            "user.email",
            "a@example.com",
        ],
    );
    let out = patches(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("git config user.name and user.email")
            && stderr(&out).contains("control character U+000A"),
        "{}",
        stderr(&out)
    );
    assert!(!out_dir.exists());
    let out = run(bin()
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", &home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .arg("--allowlist")
        .arg(&allow)
        .arg("--goroot")
        .arg(&repo)
        .args(["commit", "--repo"])
        .arg(&repo)
        .args(["--branch", "series"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("git config user.name") && stderr(&out).contains("U+000A"),
        "{}",
        stderr(&out)
    );
    assert!(git(&repo, &["branch", "--list", "series"]).is_empty());
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Text from the tree reaches the commit message: a folder named with a newline would split the
/// removal CL's Subject header (and its commit subject). The message is refused; nothing goes out.
#[test]
fn a_newline_in_a_package_folder_never_reaches_the_subject() {
    let tmp = TempDir::new("subject-from-folder");
    let tree = tmp.join("m");
    let dir = tree.join("q\nSubject: injected");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(tree.join("go.mod"), "module example.com/m\n\ngo 1.23\n").unwrap();
    let annotated = go_func("plain").replacen("package p", "package q", 1).replace(
        "func plain",
        "// plain should be an internal detail,\n// but widely used packages access it using linkname.\n// Notable members of the hall of shame include:\n//   - example.com/alpha\n//\n// Do not remove or change the type signature.\n// See go.dev/issue/67401.\n//\n//go:linkname plain\nfunc plain",
    );
    std::fs::write(dir.join("q.go"), annotated).unwrap();
    let allow = tmp.join("allowlist.toml");
    std::fs::write(&allow, "source = \"none\"\n").unwrap();
    let out_dir = tmp.join("series");
    let out = linkallow(
        &tree,
        &allow,
        &[
            "patches",
            "--prune",
            "--out",
            out_dir.to_str().unwrap(),
            "--author",
            SHIPPED_AUTHOR,
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "the removal change's commit message cannot be written: its subject \"example.com/m/q\\nSubject: injected: remove"
        ),
        "{}",
        stderr(&out)
    );
    assert!(!out_dir.exists());
    let _ = std::fs::remove_dir_all(&tmp);
}
