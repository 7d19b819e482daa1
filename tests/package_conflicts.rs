//! Issue 17 item 3: what apply accepts because the two files never meet in one build
//! configuration must then build, for each system, with the real go command.

mod util;

use std::path::Path;
use std::process::Command;

/// Copies the UI case's tree, runs `apply --write` with its allowlist, and builds and vets the
/// result for each of `ports` with the installed go command.
fn applied_copy_builds(case: &str, ports: &[(&str, &str)]) {
    let Some(goroot) = util::goroot() else {
        return;
    };
    let case_dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/ui")
        .join(case);
    let work = util::tempdir(case);
    let tree = work.join("tree");
    util::copy_tree(&case_dir.join("tree-in"), &tree);
    let out = util::linkallow(
        &tree,
        &case_dir.join("allowlist.toml"),
        &["apply", "--write"],
    );
    util::ok(&out);
    assert!(
        !util::diff_trees(&case_dir.join("tree-in"), &tree).is_empty(),
        "{case}: apply --write changed nothing, so building the copy proves nothing"
    );
    for (goos, goarch) in ports {
        for verb in ["build", "vet"] {
            let out = Command::new(goroot.join("bin/go"))
                .args([verb, "./..."])
                .current_dir(&tree)
                .env("GOROOT", &goroot)
                .env("GOTOOLCHAIN", "local")
                .env("GOFLAGS", "-mod=mod")
                .env("GOOS", goos)
                .env("GOARCH", goarch)
                .env("CGO_ENABLED", "0")
                .output()
                .expect("run go");
            assert!(
                out.status.success(),
                "{case}: GOOS={goos} GOARCH={goarch} go {verb} ./... failed on the applied copy:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn duplicate_linkname_in_disjoint_builds_is_applied_and_builds() {
    applied_copy_builds(
        "apply-duplicate-linkname-disjoint-builds",
        &[("linux", "amd64"), ("darwin", "arm64")],
    );
}

#[test]
fn region_redeclaring_a_name_of_a_disjoint_file_is_applied_and_builds() {
    applied_copy_builds(
        "apply-region-redeclares-disjoint-builds",
        &[("linux", "amd64"), ("windows", "amd64")],
    );
}
