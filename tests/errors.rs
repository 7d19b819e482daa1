//! Bad input gets a clear error (file:line:col where there is one), exit 2, and nothing is written.

mod util;
use std::path::{Path, PathBuf};
use util::*;

/// A copy of the stripped forms fixture plus an allowlist with `body`.
fn setup(name: &str, body: &str) -> (PathBuf, PathBuf) {
    let tmp = tempdir(name);
    let tree = tmp.join("tree");
    copy_tree(&fixtures().join("forms/in"), &tree);
    let allow = tmp.join("allowlist.toml");
    std::fs::write(&allow, body).unwrap();
    (tree, allow)
}

fn apply_write(tree: &Path, allow: &Path) -> std::process::Output {
    linkallow(tree, allow, &["apply", "--write"])
}

#[track_caller]
fn fails_with(out: &std::process::Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(out));
    assert!(
        stderr(out).contains(needle),
        "expected {needle:?} in:\n{}",
        stderr(out)
    );
}

#[track_caller]
fn unchanged(tree: &Path) {
    assert_eq!(
        diff_trees(&fixtures().join("forms/in"), tree),
        "",
        "the tree was modified"
    );
}

const PLAIN: &str = "[[symbol]]\npackage = \"example.com/m/p\"\nname = \"plain\"\nmodules = [\"example.com/alpha\"]\n";

#[test]
fn malformed_toml_names_file_line_and_column() {
    let (tree, allow) = setup(
        "malformed",
        "[[symbol]]\npackage = \"example.com/m/p\"\nname = plain\n",
    );
    let out = apply_write(&tree, &allow);
    fails_with(&out, "allowlist.toml:3:8");
    unchanged(&tree);
}

#[test]
fn unknown_field_is_refused() {
    let (tree, allow) = setup("unknown-field", &format!("{PLAIN}modlues = []\n"));
    fails_with(&apply_write(&tree, &allow), "unknown field `modlues`");
    unchanged(&tree);
}

#[test]
fn unknown_package_is_refused() {
    let (tree, allow) = setup(
        "unknown-package",
        "[[symbol]]\npackage = \"example.com/m/nope\"\nname = \"x\"\n",
    );
    fails_with(
        &apply_write(&tree, &allow),
        "package example.com/m/nope not found",
    );
}

#[test]
fn escaping_path_is_refused() {
    let (tree, allow) = setup(
        "escape",
        &format!("{PLAIN}file = \"../../etc/passwd.go\"\n"),
    );
    fails_with(&apply_write(&tree, &allow), "escapes the tree");
    unchanged(&tree);
}

#[test]
fn missing_symbol_names_close_matches() {
    let (tree, allow) = setup(
        "missing",
        "[[symbol]]\npackage = \"example.com/m/p\"\nname = \"plian\"\n",
    );
    let out = apply_write(&tree, &allow);
    fails_with(&out, "allowlist.toml:1:1");
    assert!(
        stderr(&out).contains("close matches: plain"),
        "{}",
        stderr(&out)
    );
    unchanged(&tree);
    let check = linkallow(&tree, &allow, &["check"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        stdout(&check).contains("symbol not found"),
        "{}",
        stdout(&check)
    );
}

#[test]
fn broken_go_file_is_refused_and_nothing_written() {
    let body = format!("{PLAIN}\n[[symbol]]\npackage = \"example.com/m/p\"\nname = \"bare\"\n");
    let (tree, allow) = setup("broken-go", &body);
    let bad = tree.join("p/nounsafe.go");
    let text = std::fs::read_to_string(&bad)
        .unwrap()
        .replace("func bare() int {", "func bare() int {{");
    std::fs::write(&bad, &text).unwrap();
    let out = apply_write(&tree, &allow);
    fails_with(&out, "p/nounsafe.go:");
    assert!(
        stderr(&out).contains("does not parse cleanly"),
        "{}",
        stderr(&out)
    );
    // p.go would have been edited; it must not be.
    assert_eq!(
        std::fs::read(tree.join("p/p.go")).unwrap(),
        std::fs::read(fixtures().join("forms/in/p/p.go")).unwrap()
    );
}

#[test]
fn read_only_file_stops_every_write() {
    use std::os::unix::fs::PermissionsExt;
    let body = format!("{PLAIN}\n[[symbol]]\npackage = \"example.com/m/p\"\nname = \"bare\"\n");
    let (tree, allow) = setup("read-only", &body);
    let ro = tree.join("p/p.go");
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o444)).unwrap();
    fails_with(&apply_write(&tree, &allow), "read-only");
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o644)).unwrap();
    unchanged(&tree);
}

#[test]
fn vanished_file_is_an_error() {
    let (tree, allow) = setup("vanished", &format!("{PLAIN}file = \"p/gone.go\"\n"));
    fails_with(&apply_write(&tree, &allow), "p/gone.go");
    unchanged(&tree);
}

#[test]
fn not_a_tree_is_an_error() {
    let tmp = tempdir("not-a-tree");
    let out = run(bin().arg("--goroot").arg(&tmp).arg("check"));
    fails_with(&out, "not a GOROOT");
}

#[test]
fn write_keeps_file_mode() {
    use std::os::unix::fs::PermissionsExt;
    let (tree, allow) = setup("mode", PLAIN);
    let f = tree.join("p/p.go");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
    ok(&apply_write(&tree, &allow));
    assert_eq!(
        std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert!(
        std::fs::read_to_string(&f)
            .unwrap()
            .contains("// plain should be an internal detail,")
    );
}

/// A GOROOT-shaped tree whose linker blocks one name and whose runtime pushes another with
/// //go:linknamestd: linkallow must refuse to push either.
fn mini_goroot(name: &str) -> PathBuf {
    let root = tempdir(name);
    let rt = root.join("src/runtime");
    std::fs::create_dir_all(&rt).unwrap();
    std::fs::write(rt.join("r.go"), "package runtime\n\nimport _ \"unsafe\"\n\nfunc mapaccess1() {}\n\n//go:linknamestd stdOnly\nfunc stdOnly() {}\n").unwrap();
    let ld = root.join("src/cmd/link/internal/loader");
    std::fs::create_dir_all(&ld).unwrap();
    std::fs::write(ld.join("loader.go"), "package loader\n\nvar blockedLinknames = map[string][]string{\n\t\"runtime.mapaccess1\": {\"runtime\"},\n}\n").unwrap();
    root
}

#[test]
fn blocked_and_std_only_names_are_refused() {
    for (sym, needle) in [
        ("mapaccess1", "blockedLinknames"),
        ("stdOnly", "linknamestd"),
    ] {
        let root = mini_goroot(&format!("mini-{sym}"));
        let allow = root.join("allowlist.toml");
        std::fs::write(
            &allow,
            format!("[[symbol]]\npackage = \"runtime\"\nname = \"{sym}\"\nmodules = [\"a.b/c\"]\n"),
        )
        .unwrap();
        let out = apply_write(&root, &allow);
        fails_with(&out, needle);
    }
}

/// `dependents import` of `counts` (written to a file named `name`) into an allowlist of PLAIN.
fn import_counts(test: &str, name: &str, counts: &str) -> (std::process::Output, PathBuf) {
    let (_, allow) = setup(test, PLAIN);
    let file = allow.with_file_name(name);
    std::fs::write(&file, counts).unwrap();
    let out = run(bin()
        .arg("--allowlist")
        .arg(&allow)
        .args(["dependents", "import"])
        .arg(&file));
    (out, allow)
}

#[test]
fn counts_for_an_unknown_module_are_refused() {
    let (out, allow) = import_counts(
        "counts-unknown",
        "counts.csv",
        "module,dependents\nexample.com/alpha,120\nexample.com/alhpa,7\n",
    );
    fails_with(&out, "counts.csv:3:1: unknown module example.com/alhpa");
    assert_eq!(std::fs::read_to_string(&allow).unwrap(), PLAIN);
}

#[test]
fn malformed_counts_are_refused_with_line_and_column() {
    let (out, allow) = import_counts("counts-csv", "counts.csv", "example.com/alpha,many\n");
    fails_with(
        &out,
        "counts.csv:1:19: dependents \"many\" is not a whole number",
    );
    assert_eq!(std::fs::read_to_string(&allow).unwrap(), PLAIN);
    let (out, allow) = import_counts(
        "counts-json",
        "counts.json",
        "{\"example.com/alpha\": 1,}\n",
    );
    fails_with(&out, "counts.json:1:");
    assert_eq!(std::fs::read_to_string(&allow).unwrap(), PLAIN);
}

#[test]
fn imported_counts_reach_the_allowlist() {
    let (out, allow) = import_counts(
        "counts-ok",
        "counts.json",
        "{\"example.com/alpha\": 123456}\n",
    );
    ok(&out);
    let text = std::fs::read_to_string(&allow).unwrap();
    assert!(
        text.starts_with(PLAIN.lines().next().unwrap()) || text.contains(PLAIN),
        "{text}"
    );
    assert!(
        text.contains("[dependents]\n\"example.com/alpha\" = 123456\n"),
        "{text}"
    );
}

#[test]
fn commit_refuses_a_directory_that_is_not_a_git_repository() {
    let (tree, allow) = setup("not-git", PLAIN);
    let out = run(bin()
        .arg("--allowlist")
        .arg(&allow)
        .arg("commit")
        .arg("--repo")
        .arg(&tree)
        .args(["--author", "A <a@example.com>"]));
    fails_with(&out, "not a git repository");
    unchanged(&tree);
    assert!(!tree.join(".git").exists());
}

#[test]
fn a_date_that_is_not_a_date_is_refused() {
    let (tree, allow) = setup("bad-date", PLAIN);
    let out_dir = tree.parent().unwrap().join("patches");
    let out = linkallow(
        &tree,
        &allow,
        &[
            "patches",
            "--author",
            "A <a@example.com>",
            "--date",
            "soon",
            "--out",
            out_dir.to_str().unwrap(),
        ],
    );
    fails_with(&out, "date \"soon\"");
    assert!(!out_dir.exists());
}

// ---- issue 11: nothing is lost, nothing unchecked is written --------------------------------

/// The forms fixture's allowlist with `from` replaced by `to` (once).
fn forms_allowlist_with(name: &str, from: &str, to: &str) -> (PathBuf, PathBuf) {
    let golden = std::fs::read_to_string(fixtures().join("forms/allowlist.toml")).unwrap();
    assert!(golden.contains(from), "fixture lacks {from:?}");
    setup(name, &golden.replacen(from, to, 1))
}

#[test]
fn region_text_that_is_not_go_is_refused_at_its_allowlist_line() {
    let (tree, allow) = forms_allowlist_with(
        "region-not-go",
        "func badGet(*T) int'''",
        "func badGet(*T) int {'''",
    );
    let out = apply_write(&tree, &allow);
    fails_with(&out, "allowlist.toml:162:");
    fails_with(&out, "not Go source");
    unchanged(&tree);
}

#[test]
fn empty_region_text_is_refused() {
    let (tree, allow) = forms_allowlist_with(
        "region-empty",
        "text = '''\n// for linkname because we cannot linkname methods directly\nfunc badGet(*T) int'''",
        "text = \"\"",
    );
    fails_with(&apply_write(&tree, &allow), "region text is empty");
    unchanged(&tree);
}

#[test]
fn placeholder_without_arguments_is_refused_not_written_literally() {
    let (tree, allow) = forms_allowlist_with(
        "placeholder-bare",
        "// for linkname because we cannot linkname methods directly\n",
        "{{hall-of-shame}}\n",
    );
    let out = apply_write(&tree, &allow);
    fails_with(&out, "allowlist.toml:161:1");
    fails_with(&out, "is not a placeholder");
    unchanged(&tree);
}

#[test]
fn module_strings_cannot_inject_comment_lines() {
    for (case, module) in [
        ("newline", "evil\\n// injected"),
        ("carriage-return", "example.com/evil\\r"),
        ("empty", ""),
        ("spaces", "example.com/a b"),
        ("bidi", "example.com/a (\\u202e)"),
    ] {
        let (tree, allow) = setup(
            &format!("module-{case}"),
            &format!(
                "[[symbol]]\npackage = \"example.com/m/p\"\nname = \"plain\"\nmodules = [\"{module}\"]\n"
            ),
        );
        let out = apply_write(&tree, &allow);
        // At the item itself, line 4 column 12.
        fails_with(&out, "allowlist.toml:4:12");
        fails_with(&out, "is not a module path");
        unchanged(&tree);
    }
}

#[test]
fn prose_with_a_carriage_return_is_refused() {
    let (tree, allow) = setup(
        "prose-cr",
        &format!("{PLAIN}tail = \"Do not remove.\\r\"\n"),
    );
    fails_with(&apply_write(&tree, &allow), "carriage return");
    unchanged(&tree);
}

/// A copy of the annotated forms tree, its allowlist, and `p/p.go` after `mutate`.
fn annotated_with(name: &str, mutate: impl Fn(&str) -> String) -> (PathBuf, PathBuf) {
    let tmp = tempdir(name);
    let tree = tmp.join("tree");
    copy_tree(&fixtures().join("forms/out"), &tree);
    let file = tree.join("p/p.go");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, mutate(&text)).unwrap();
    (tree, fixtures().join("forms/allowlist.toml"))
}

#[test]
fn directive_moved_below_another_function_costs_no_declaration() {
    // Once, apply and strip took the function above the stray directive with it (moving
    // crypto/tls's errNoCertificates directive to the end of common.go cost 41 lines).
    let (tree, allow) = annotated_with("directive-below", |t| {
        t.replacen("//go:linkname plain\n", "", 1).replacen(
            "func lastDirective() int { return 3 }\n",
            "func lastDirective() int { return 3 }\n//go:linkname plain\n",
            1,
        )
    });
    let before = std::fs::read_to_string(tree.join("p/p.go")).unwrap();
    let out = linkallow(&tree, &allow, &["apply", "--write"]);
    fails_with(
        &out,
        "//go:linkname plain already stands here, away from the declaration",
    );
    assert_eq!(
        std::fs::read_to_string(tree.join("p/p.go")).unwrap(),
        before
    );
    // strip removes the block and leaves every declaration and the stray directive alone.
    ok(&linkallow(&tree, &allow, &["strip", "--write"]));
    let after = std::fs::read_to_string(tree.join("p/p.go")).unwrap();
    let stripped = std::fs::read_to_string(fixtures().join("forms/in/p/p.go")).unwrap();
    let decls = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.starts_with("func ") || l.starts_with("var "))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(decls(&after), decls(&stripped), "strip lost a declaration");
    assert!(
        after.contains("func lastDirective() int { return 3 }\n//go:linkname plain\n"),
        "{after}"
    );
}

#[test]
fn directive_moved_onto_another_function_costs_no_declaration() {
    let (tree, allow) = annotated_with("directive-elsewhere", |t| {
        t.replacen("//go:linkname plain\n", "", 1).replacen(
            "//go:noinline\n//go:linkname lastDirective\n",
            "//go:noinline\n//go:linkname lastDirective\n//go:linkname plain\n",
            1,
        )
    });
    let before = std::fs::read_to_string(tree.join("p/p.go")).unwrap();
    let out = linkallow(&tree, &allow, &["apply", "--write"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(tree.join("p/p.go")).unwrap(),
        before
    );
}

#[test]
fn patches_folder_with_a_non_ascii_name_neither_panics_nor_loses_files() {
    // Once, a file named `ab€.patch` made the folder sync slice inside `€` and panic after the
    // numbered patches there had been deleted.
    let (tree, allow) = setup("patches-non-ascii", PLAIN);
    let out_dir = tree.parent().unwrap().join("series");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(out_dir.join("ab€.patch"), "keep me\n").unwrap();
    std::fs::write(out_dir.join("0009-stale.patch"), "stale\n").unwrap();
    let out = linkallow(
        &tree,
        &allow,
        &[
            "patches",
            "--author",
            "A <a@example.com>",
            "--out",
            out_dir.to_str().unwrap(),
        ],
    );
    ok(&out);
    let names: Vec<String> = read_dir_files(&out_dir)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    // 0009-stale.patch carries no Change-Id of the series: not linkallow's to delete.
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names[0].starts_with("0001-"), "{names:?}");
    assert_eq!(names[1], "0009-stale.patch");
    assert_eq!(names[2], "ab€.patch");
    assert_eq!(
        std::fs::read_to_string(out_dir.join("ab€.patch")).unwrap(),
        "keep me\n"
    );
}

#[test]
fn a_truncated_file_gets_no_push_for_a_name_it_no_longer_declares() {
    // Once, `head -n 8 src/math/unsafe.go` was "fixed" with a push of the missing Float32bits,
    // exit 0, and every later command said the file was not found.
    let tmp = tempdir("truncated");
    let tree = tmp.join("tree");
    copy_tree(&fixtures().join("forms/in"), &tree);
    let file = tree.join("p/p.go");
    let text = std::fs::read_to_string(&file).unwrap();
    let cut: String = text.lines().take(31).map(|l| format!("{l}\n")).collect();
    assert!(cut.contains("func q_hidden") && !cut.contains("func Exported"));
    std::fs::write(&file, &cut).unwrap();
    let out = linkallow(
        &tree,
        &fixtures().join("forms/allowlist.toml"),
        &["apply", "--write"],
    );
    fails_with(
        &out,
        "no file in p declares a function or variable Exported",
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), cut);
}

// ---- issue 12: errors that point at the cause ------------------------------------------------

#[test]
fn a_non_utf8_byte_in_a_file_without_annotations_does_not_stop_the_run() {
    let (tree, allow) = setup("non-utf8-unrelated", PLAIN);
    std::fs::write(tree.join("p/unrelated.go"), b"package p\n\n// caf\xe9\n").unwrap();
    let out = linkallow(&tree, &allow, &["apply"]);
    ok(&out);
}

#[test]
fn a_non_utf8_byte_in_a_file_with_directives_is_named_at_its_line_and_column() {
    let (tree, allow) = setup("non-utf8-directive", PLAIN);
    std::fs::write(
        tree.join("p/bad.go"),
        b"package p\n\nimport _ \"unsafe\"\n\n//go:linkname x\nvar x = \"\xff\"\n",
    )
    .unwrap();
    let out = linkallow(&tree, &allow, &["apply"]);
    fails_with(&out, "p/bad.go:6:10: invalid UTF-8");
    assert!(
        !stderr(&out).contains(tree.to_str().unwrap()),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_io_error_is_said_once() {
    let (tree, _) = setup("io-once", PLAIN);
    let out = linkallow(&tree, &tree.join("missing.toml"), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).matches("os error 2").count(),
        1,
        "{}",
        stderr(&out)
    );
}

#[test]
fn check_json_prints_its_error_as_json() {
    let (tree, _) = setup("check-json-error", PLAIN);
    let out = linkallow(&tree, &tree.join("missing.toml"), &["check", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON on stdout");
    assert!(v["error"].as_str().unwrap().contains("missing.toml"), "{v}");
}

#[test]
fn check_json_lists_findings() {
    let (tree, allow) = setup("check-json", PLAIN);
    let out = linkallow(&tree, &allow, &["check", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON on stdout");
    let first = &v[0];
    assert_eq!(first["kind"], "missing-block", "{v}");
    assert_eq!(first["file"], "p/p.go", "{v}");
    assert!(first["line"].as_u64().unwrap() > 1, "{v}");
}

#[test]
fn patch_dates_git_would_refuse_are_refused() {
    let (tree, allow) = setup("bad-dates", PLAIN);
    for date in ["2026-02-30T00:00:00Z", "9999999999-01-01T00:00:00Z", "-5"] {
        let date = format!("--date={date}");
        let dir = tree.parent().unwrap().join("series");
        let out = linkallow(
            &tree,
            &allow,
            &[
                "patches",
                "--author",
                "A <a@example.com>",
                "--out",
                dir.to_str().unwrap(),
                &date,
            ],
        );
        fails_with(&out, "expected a real UTC date");
        assert!(!dir.exists(), "patches written for --date {date}");
    }
}

#[test]
fn a_stub_whose_directive_went_missing_is_not_declared_twice() {
    // Once, deleting `//go:linkname badGet ...` made apply insert the stub region again beside
    // the unrecognised stub: `badGet redeclared in this block`, exit 0.
    let tmp = tempdir("stub-twice");
    let tree = tmp.join("tree");
    copy_tree(&fixtures().join("forms/out"), &tree);
    let file = tree.join("p/p.go");
    let text = std::fs::read_to_string(&file).unwrap();
    let damaged: String = text
        .lines()
        .filter(|l| !l.starts_with("//go:linkname badGet "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(damaged, text, "the fixture has a badGet stub directive");
    std::fs::write(&file, &damaged).unwrap();
    let out = linkallow(
        &tree,
        &fixtures().join("forms/allowlist.toml"),
        &["apply", "--write"],
    );
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), damaged);
}

#[test]
fn a_comment_between_other_directives_and_the_linkname_keeps_them() {
    // Once, `//go:noinline`, a note, then `//go:linkname` lost the //go:noinline line.
    let tmp = tempdir("directive-note");
    let tree = tmp.join("tree");
    copy_tree(&fixtures().join("forms/out"), &tree);
    let file = tree.join("p/p.go");
    let text = std::fs::read_to_string(&file).unwrap();
    let noted = text.replacen(
        "//go:noinline\n//go:linkname lastDirective\n",
        "//go:noinline\n// keep in sync with plain.\n//go:linkname lastDirective\n",
        1,
    );
    assert_ne!(noted, text);
    std::fs::write(&file, &noted).unwrap();
    let allow = fixtures().join("forms/allowlist.toml");
    for args in [&["apply", "--write"][..], &["strip", "--write"][..]] {
        let _ = linkallow(&tree, &allow, args);
        let now = std::fs::read_to_string(&file).unwrap();
        assert!(
            now.contains("//go:noinline\n"),
            "{args:?} lost //go:noinline:\n{now}"
        );
    }
}

#[test]
fn a_bare_allowlist_name_can_be_written() {
    let (tree, _) = setup("bare-name", PLAIN);
    let dir = tree.parent().unwrap();
    std::fs::write(dir.join("allowlist.toml"), PLAIN).unwrap();
    std::fs::write(dir.join("counts.csv"), "example.com/alpha,5\n").unwrap();
    let out = run(bin().current_dir(dir).arg("--goroot").arg(&tree).args([
        "dependents",
        "import",
        "counts.csv",
    ]));
    ok(&out);
    let text = std::fs::read_to_string(dir.join("allowlist.toml")).unwrap();
    assert!(text.contains("\"example.com/alpha\" = 5"), "{text}");
}

/// A CRLF file is refused, not edited into mixed line endings: apply names its symbols at the
/// first CR and writes nothing, check reports it, strip refuses it, and --skip-missing annotates
/// the other files only.
#[test]
fn crlf_file_is_refused_not_mixed() {
    let tmp = tempdir("crlf");
    let tree = tmp.join("tree");
    copy_tree(&fixtures().join("forms/in"), &tree);
    let file = tree.join("p/nounsafe.go");
    let crlf = std::fs::read_to_string(&file)
        .unwrap()
        .replace('\n', "\r\n");
    std::fs::write(&file, &crlf).unwrap();
    let before = diff_trees(&fixtures().join("forms/in"), &tree);
    let allow = fixtures().join("forms/allowlist.toml");
    let out = linkallow(&tree, &allow, &["apply", "--write"]);
    fails_with(
        &out,
        "p/nounsafe.go:1:10: example.com/m/p.bare: this file ends its lines with CRLF",
    );
    assert_eq!(diff_trees(&fixtures().join("forms/in"), &tree), before);
    let out = linkallow(&tree, &allow, &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ends its lines with CRLF"));
    let out = linkallow(&tree, &allow, &["apply", "--write", "--skip-missing"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), crlf);
    assert!(
        std::fs::read_to_string(tree.join("p/p.go"))
            .unwrap()
            .contains("go.dev/issue/67401")
    );
    // An annotated CRLF file: strip refuses rather than leave LF separators in it.
    let p = tree.join("p/p.go");
    std::fs::write(
        &p,
        std::fs::read_to_string(&p).unwrap().replace('\n', "\r\n"),
    )
    .unwrap();
    let out = linkallow(&tree, &allow, &["strip", "--write"]);
    fails_with(&out, "p/p.go:1:");
    fails_with(&out, "ends its lines with CRLF");
}
