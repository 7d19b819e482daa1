//! The acceptance run on a temp copy of the installed Go tree (and of go1.27.3 when the Go
//! command can fetch it): extract, check, strip, build, link, apply, byte-for-byte round trip.

mod util;
use std::path::Path;
use std::process::Command;
use util::*;

/// A module that pulls `symbol` with //go:linkname and imports every package with annotations.
fn pull_program(dir: &Path, pull: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("go.mod"), "module pull\n\ngo 1.23\n").unwrap();
    let src = format!(
        "package main\n\nimport (\n\t_ \"bytes\"\n\t_ \"crypto/tls\"\n\t_ \"crypto/x509\"\n\t_ \"database/sql\"\n\t_ \"debug/buildinfo\"\n\t_ \"go/build\"\n\t_ \"go/types\"\n\t_ \"hash/maphash\"\n\t_ \"math/big\"\n\t_ \"net/http\"\n\t_ \"net/textproto\"\n\t_ \"runtime/pprof\"\n\t\"reflect\"\n\t_ \"time\"\n\t\"unsafe\"\n)\n\n{pull}\n\nfunc main() {{ println(reflect.TypeOf(0).Size(), unsafe.Sizeof(0)) }}\n"
    );
    std::fs::write(dir.join("main.go"), src).unwrap();
}

const PULL_ALIGN: &str = "//go:linkname rtypeAlign reflect.(*rtype).Align\nfunc rtypeAlign(unsafe.Pointer) int\n\nvar _ = rtypeAlign";

fn round_trip(orig: &Path, label: &str, full: bool) {
    let tmp = TempDir::new(&format!("real-{label}"));
    let t = tmp.join("go");
    copy_tree(orig, &t);
    let allow = tmp.join("extracted.toml");
    let la = |args: &[&str]| linkallow(&t, &allow, args);

    // 1. extract lists every annotated symbol
    let out = run(bin()
        .arg("--goroot")
        .arg(&t)
        .arg("extract")
        .arg("-o")
        .arg(&allow));
    ok(&out);
    eprintln!("{label}: {}", stderr(&out).trim());
    let list = linkallow::allowlist::read::load(allow.to_str().unwrap()).unwrap();
    assert!(
        list.symbols.len() >= 200,
        "{label}: only {} symbols",
        list.symbols.len()
    );
    let (prose, regions) = list.irregular_counts();
    assert!(
        prose + regions < list.symbols.len() / 4,
        "{label}: {prose} prose + {regions} regions is not few"
    );

    // 3. check is clean on T
    ok(&la(&["check"]));

    // --prune with nothing listed keeps exactly what strip keeps (the pushes std needs itself)
    let empty = tmp.join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let pruned = linkallow(&t, &empty, &["apply", "--prune"]);
    ok(&pruned);
    let stripped = la(&["strip"]);
    ok(&stripped);
    assert!(
        stdout(&pruned) == stdout(&stripped),
        "{label}: apply --prune with an empty allowlist differs from strip"
    );

    // 2. strip gives S; check reports every symbol
    ok(&la(&["strip", "--write"]));
    let check_s = la(&["check"]);
    assert_eq!(check_s.status.code(), Some(1), "{}", stderr(&check_s));
    let report = stdout(&check_s);
    // Every symbol is reported, except one whose standalone push region strip keeps because
    // another package of the tree pulls it (go1.27's net/http pulls readMIMEHeader): checked
    // here by grepping the tree for such a pull.
    let pulled_elsewhere = |symbol: &str| {
        let out = Command::new("grep")
            .args(["-rlE", "--include=*.go"])
            .arg(format!("^//go:linkname [^ ]+ {}$", regex_escape(symbol)))
            .arg(t.join("src"))
            .output()
            .unwrap();
        let package = symbol.rsplit_once('.').map_or(symbol, |(p, _)| p);
        stdout(&out).lines().any(|f| {
            let dir = Path::new(f).parent().unwrap();
            !dir.ends_with(package)
        })
    };
    for sym in &list.symbols {
        let name = sym.linker_name();
        assert!(
            report.contains(&format!("{name}:")) || pulled_elsewhere(&name),
            "{label}: check on S does not report {name}, and no other package pulls it"
        );
    }

    // 4. S builds; the annotated packages still link; a legacy pull is rejected
    if full {
        let build = go(&t, &tmp, &["build", "std"]);
        assert!(
            build.status.success(),
            "go build std on S: {}",
            String::from_utf8_lossy(&build.stderr)
        );
        let prog = tmp.join("pull");
        pull_program(&prog, "var _ unsafe.Pointer");
        let plain = go(&t, &prog, &["build", "-o", "/dev/null", "."]);
        assert!(
            plain.status.success(),
            "annotated packages do not link against S: {}",
            String::from_utf8_lossy(&plain.stderr)
        );
        pull_program(&prog, PULL_ALIGN);
        let pull = go(&t, &prog, &["build", "-o", "/dev/null", "."]);
        assert!(
            !pull.status.success(),
            "a pull of reflect.(*rtype).Align linked against S"
        );
        assert!(
            String::from_utf8_lossy(&pull.stderr)
                .contains("invalid reference to reflect.(*rtype).Align"),
            "{}",
            String::from_utf8_lossy(&pull.stderr)
        );
    }

    // gofmt keeps every file apply touches
    let diff = la(&["apply"]);
    ok(&diff);
    let touched: Vec<String> = stdout(&diff)
        .lines()
        .filter_map(|l| l.strip_prefix("+++ b/"))
        .map(|p| t.join(p).display().to_string())
        .collect();
    assert!(!touched.is_empty());

    // 2. apply gives T back byte for byte
    ok(&la(&["apply", "--write"]));
    assert_eq!(
        diff_trees(&orig.join("src"), &t.join("src")),
        "",
        "{label}: apply(strip(T)) != T"
    );
    let gofmt = Command::new(t.join("bin/gofmt"))
        .arg("-l")
        .args(&touched)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&gofmt.stdout),
        "",
        "gofmt would change these"
    );

    // 3. clean again, and a second apply changes nothing
    ok(&la(&["check"]));
    let again = la(&["apply"]);
    ok(&again);
    assert_eq!(stdout(&again), "");

    // 4. the pull links once pushed
    if full {
        let prog = tmp.join("pull");
        let pull = go(&t, &prog, &["build", "-o", "/dev/null", "."]);
        assert!(
            pull.status.success(),
            "pull does not link against apply(S): {}",
            String::from_utf8_lossy(&pull.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn installed_tree_round_trips_builds_and_links() {
    let Some(goroot) = goroot() else { return };
    round_trip(&goroot, "installed", true);
}

/// The shipped allowlist is what extract gives on the release it names, fetched when the
/// installed Go is another release: the gate never skips because Go moved on.
#[test]
fn shipped_allowlist_is_current_for_its_release() {
    let Some(goroot) = toolchain(&shipped_release()) else {
        return;
    };
    let shipped_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("allowlist.toml");
    let shipped = std::fs::read_to_string(&shipped_path).unwrap();
    let out = run(bin().arg("--goroot").arg(&goroot).arg("extract"));
    ok(&out);
    assert_eq!(
        stdout(&out),
        shipped,
        "allowlist.toml is stale: regenerate with `linkallow extract -o allowlist.toml`"
    );
    let check = run(bin()
        .arg("--goroot")
        .arg(&goroot)
        .arg("--allowlist")
        .arg(&shipped_path)
        .arg("check"));
    ok(&check);
}

#[test]
fn go_1_27_tree_round_trips() {
    let Some(root) = toolchain("go1.27.3") else {
        return;
    };
    round_trip(&root, "go1.27.3", false);
}

/// An older release: check reports what it lacks as findings (exit 1), apply refuses naming
/// every entry it cannot place, and apply --write --skip-missing annotates the rest so that
/// the release's own gofmt keeps every touched file it kept before and its toolchain builds std.
#[test]
fn go_1_22_tree_takes_what_it_has_room_for() {
    let Some(root) = toolchain("go1.22.10") else {
        return;
    };
    let tmp = TempDir::new("real-go1.22");
    let t = tmp.join("go");
    copy_tree(&root, &t);
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("allowlist.toml");
    let la = |args: &[&str]| linkallow(&t, &shipped, args);

    let check = la(&["check"]);
    assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));
    let report = stdout(&check);
    // runtime_cyclesPerSecond came later; the 1.22 tree has memmove's push standalone.
    assert!(report.contains("runtime/pprof.runtime_cyclesPerSecond: symbol not found"));
    assert!(report.contains(
        "runtime/stubs.go:111:1: runtime.memmove: //go:linkname memmove already stands here"
    ));

    let refused = la(&["apply", "--write"]);
    assert_eq!(refused.status.code(), Some(2));
    let err = stderr(&refused);
    assert!(
        err.contains("cannot be placed in this tree; nothing was written"),
        "{err}"
    );
    assert!(
        err.contains("runtime_cyclesPerSecond") && err.contains("runtime.memmove"),
        "{err}"
    );
    assert_eq!(diff_trees(&root.join("src"), &t.join("src")), "");

    let gofmt_l = |files: &[String]| -> Vec<String> {
        let out = Command::new(t.join("bin/gofmt"))
            .arg("-l")
            .args(files)
            .current_dir(t.join("src"))
            .output()
            .unwrap();
        stdout(&out).lines().map(str::to_string).collect()
    };
    let diff = la(&["apply", "--skip-missing"]);
    ok(&diff);
    let touched: Vec<String> = stdout(&diff)
        .lines()
        .filter_map(|l| l.strip_prefix("+++ b/src/"))
        .filter(|p| t.join("src").join(p).exists())
        .map(str::to_string)
        .collect();
    assert!(touched.len() > 50, "{touched:?}");
    let unclean_before = gofmt_l(&touched);
    let applied = la(&["apply", "--write", "--skip-missing"]);
    ok(&applied);
    assert!(
        stderr(&applied).contains("linkallow: skipped"),
        "{}",
        stderr(&applied)
    );
    assert_eq!(
        gofmt_l(&touched),
        unclean_before,
        "gofmt would change what apply wrote"
    );
    let build = go(&t, &tmp, &["build", "std"]);
    assert!(
        build.status.success(),
        "go1.22.10 build std after apply --skip-missing: {}",
        String::from_utf8_lossy(&build.stderr)
    );
    let again = la(&["apply", "--skip-missing"]);
    ok(&again);
    assert_eq!(stdout(&again), "", "a second apply would change more");
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The shipped allowlist over a stripped tree of each release we test: one `apply --write
/// --skip-missing` reaches the fixed point (a second changes nothing) and leaves no "layout
/// differs" (go1.27.3 keeps memhash's push, which std pulls, below //go:nosplit; apply left it
/// there from a stripped tree but moved it above on the next run).
#[test]
fn one_apply_reaches_the_fixed_point_on_every_release() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("allowlist.toml");
    for release in ["go1.27.3", "go1.26.8", "go1.23.9", "go1.22.10"] {
        let Some(root) = toolchain(release) else {
            continue;
        };
        let tmp = TempDir::new(&format!("fixed-point-{release}"));
        let t = tmp.join("go");
        std::fs::create_dir_all(&t).unwrap();
        copy_tree(&root.join("src"), &t.join("src"));
        std::fs::copy(root.join("VERSION"), t.join("VERSION")).unwrap();
        let la = |args: &[&str]| linkallow(&t, &shipped, args);
        ok(&la(&["strip", "--write"]));
        // A stripped tree is not "already annotated" (strip keeps the regions std needs).
        let patches = la(&[
            "patches",
            "--out",
            tmp.join("patches").to_str().unwrap(),
            "--author",
            "A U Thor <author@example.com>",
        ]);
        assert!(
            !stderr(&patches).contains("already annotated"),
            "{release}: {}",
            stderr(&patches)
        );
        ok(&la(&["apply", "--write", "--skip-missing"]));
        let again = la(&["apply", "--skip-missing"]);
        ok(&again);
        assert_eq!(
            stdout(&again),
            "",
            "{release}: a second apply would change more"
        );
        let check = la(&["check", "--json"]);
        assert!(
            !stdout(&check).contains("layout-differs"),
            "{release}: {}",
            stdout(&check)
        );
        let _ = std::fs::remove_dir_all(&tmp);
    }
}

/// `s` with the characters an extended regular expression gives meaning to escaped.
fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            '.' | '(' | ')' | '*' | '[' | ']' | '+' | '?' | '{' | '}' | '|' | '^' | '$' | '\\' => {
                vec!['\\', c]
            }
            c => vec![c],
        })
        .collect()
}
