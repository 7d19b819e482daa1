//! Property tests over real annotated files of the installed Go tree: lines moved, deleted and
//! duplicated in and around blocks and directives, bytes flipped, files truncated. Whatever the
//! damage, apply, strip and apply --prune never lose a declaration, never panic, write nothing
//! when they refuse, write only what parses (and what gofmt keeps, when the input was kept), and
//! a second run changes nothing.

mod util;
use linkallow::edit::{self, DirLock};
use linkallow::go::syntax::GoFile;
use linkallow::plan;
use linkallow::tree::Tree;
use linkallow::tree::index::TreeIndex;
use linkallow::tree::locate::Locator;
use linkallow::{allowlist::Allowlist, compare::extract};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use util::*;

/// Annotated files with each layout the tree uses: blocks after doc text, bodiless assembly
/// declarations with other directives, a var, method stubs (E1, E3) and a floating header.
const FILES: [&str; 5] = [
    "crypto/tls/common.go",
    "math/big/arith_decl.go",
    "database/sql/convert.go",
    "net/url/url.go",
    "time/time.go",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize),
    Duplicate(usize),
    Move(usize, usize),
    Flip(usize, u8),
    Truncate(usize),
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Apply,
    Strip,
    Prune,
}

/// Rows near a block or directive: where damage hurts.
fn hot_rows(text: &str) -> Vec<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let marks: Vec<usize> = (0..lines.len())
        .filter(|&r| {
            lines[r].starts_with("//go:linkname")
                || lines[r].contains("go.dev/issue/67401")
                || lines[r].contains("hall of shame")
        })
        .collect();
    let mut rows: Vec<usize> = marks
        .iter()
        .flat_map(|&m| m.saturating_sub(12)..(m + 4).min(lines.len()))
        .collect();
    rows.sort();
    rows.dedup();
    rows
}

fn mutate(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let n = lines.len();
    match *m {
        Mutation::Delete(r) => {
            lines.remove(r % n);
        }
        Mutation::Duplicate(r) => {
            let l = lines[r % n].clone();
            lines.insert(r % n, l);
        }
        Mutation::Move(from, to) => {
            let l = lines.remove(from % n);
            lines.insert(to % n, l);
        }
        Mutation::Flip(r, byte) => {
            let l = &mut lines[r % n];
            let mut bytes = std::mem::take(l).into_bytes();
            let at = (byte as usize) % (bytes.len() + 1);
            const NOISE: &[u8] = b"/ {}\n:-gox";
            let b = NOISE[(byte as usize) % NOISE.len()];
            bytes.insert(at, b);
            *l = String::from_utf8_lossy(&bytes).to_string();
        }
        Mutation::Truncate(r) => lines.truncate(r % n),
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// `(key, text)` of every top-level declaration, or None when the file does not parse.
fn decls(rel: &str, text: &str) -> Option<Vec<(String, String)>> {
    let f = GoFile::parse(rel, text).ok()?;
    Some(f.decls.iter().map(|d| (d.key(), f.decl_text(d))).collect())
}

fn gofmt_clean(goroot: &Path, file: &Path) -> bool {
    let out = std::process::Command::new(goroot.join("bin/gofmt"))
        .arg("-l")
        .arg(file)
        .output()
        .expect("gofmt");
    out.status.success() && out.stdout.is_empty()
}

/// A GOROOT holding only `rel` (and an empty src/runtime, which makes it a GOROOT).
fn mini_tree(dir: &Path, rel: &str, text: &str) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("src/runtime")).unwrap();
    let path = dir.join("src").join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
}

fn plan_for(tree: &Tree, list: &Allowlist, op: Op) -> linkallow::error::Result<plan::Plan> {
    let index = TreeIndex::build(tree)?;
    let mut locator = Locator::new(tree, &index);
    match op {
        Op::Apply | Op::Prune => {
            let options = plan::ApplyOptions {
                prune: matches!(op, Op::Prune),
                skip_missing: false,
            };
            plan::apply(&index, list, options, &mut locator)
        }
        Op::Strip => plan::strip(&index),
    }
}

struct Case {
    rel: &'static str,
    original: String,
    list: Allowlist,
    /// Declarations strip takes away from the original: the only ones a run may drop.
    legacy: Vec<String>,
    hot: Vec<usize>,
}

fn case(goroot: &Path, scratch: &Path, rel: &'static str) -> Case {
    let original = std::fs::read_to_string(goroot.join("src").join(rel)).unwrap();
    mini_tree(scratch, rel, &original);
    let tree = Tree::open(scratch).unwrap();
    let index = TreeIndex::build(&tree).unwrap();
    let list = extract::extract(&index, &mut Locator::new(&tree, &index))
        .unwrap()
        .list;
    let stripped = plan::strip(&index).unwrap();
    let after = stripped.changes[0].new.clone().unwrap_or_default();
    let kept = decls(rel, &after).unwrap_or_default();
    let legacy = decls(rel, &original)
        .unwrap()
        .into_iter()
        .filter(|d| !kept.contains(d))
        .map(|(k, _)| k)
        .collect();
    Case {
        hot: hot_rows(&original),
        rel,
        original,
        list,
        legacy,
    }
}

static RUN: AtomicUsize = AtomicUsize::new(0);

fn check_one(goroot: &Path, c: &Case, m: &Mutation, op: Op) -> Result<(), TestCaseError> {
    let dir = std::env::temp_dir().join(format!(
        "linkallow-mutation-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    ));
    let input = mutate(&c.original, m);
    mini_tree(&dir, c.rel, &input);
    let path = dir.join("src").join(c.rel);
    let tree = Tree::open(&dir).unwrap();
    let result = plan_for(&tree, &c.list, op).and_then(|p| {
        let lock = DirLock::acquire(&tree.base)?;
        edit::write(&tree.base, &p.changes, &lock).map(|()| p)
    });
    let output = std::fs::read_to_string(&path).ok();
    let Ok(_) = result else {
        // A refusal writes nothing.
        prop_assert_eq!(output.as_deref(), Some(input.as_str()));
        let _ = std::fs::remove_dir_all(&dir);
        return Ok(());
    };
    let Some(output) = output else {
        // Only a file that was nothing but legacy source may go.
        let before = decls(c.rel, &input).unwrap_or_default();
        prop_assert!(
            before
                .iter()
                .all(|(k, _)| c.legacy.contains(k) || k == "package" || k == "import"),
            "{:?} deleted {}",
            op,
            c.rel
        );
        let _ = std::fs::remove_dir_all(&dir);
        return Ok(());
    };
    if let Some(before) = decls(c.rel, &input) {
        let after = decls(c.rel, &output);
        prop_assert!(after.is_some(), "{:?} wrote a file that does not parse", op);
        let after = after.unwrap();
        for d in &before {
            prop_assert!(
                after.contains(d) || c.legacy.contains(&d.0) || d.0 == "import",
                "{:?} lost or changed `{}`",
                op,
                d.0
            );
        }
    }
    if output != input && gofmt_clean_text(goroot, &dir, &input) {
        prop_assert!(
            gofmt_clean(goroot, &path),
            "{:?} made a gofmt-clean file unclean",
            op
        );
    }
    let again = plan_for(&tree, &c.list, op);
    prop_assert!(
        again.as_ref().is_ok_and(|p| p.changes.is_empty()),
        "{:?}: a second run would change something: {:?}",
        op,
        again.map(|p| p.changes.len()).map_err(|e| e.to_string())
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn gofmt_clean_text(goroot: &Path, dir: &Path, text: &str) -> bool {
    let probe = dir.join("probe.go");
    std::fs::write(&probe, text).unwrap();
    let clean = gofmt_clean(goroot, &probe);
    let _ = std::fs::remove_file(probe);
    clean
}

fn mutation(hot: Vec<usize>) -> impl Strategy<Value = Mutation> {
    let row = proptest::sample::select(hot);
    prop_oneof![
        row.clone().prop_map(Mutation::Delete),
        row.clone().prop_map(Mutation::Duplicate),
        (row.clone(), any::<usize>()).prop_map(|(a, b)| Mutation::Move(a, b)),
        (row.clone(), row.clone()).prop_map(|(a, b)| Mutation::Move(a, b)),
        (row.clone(), any::<u8>()).prop_map(|(r, b)| Mutation::Flip(r, b)),
        row.prop_map(Mutation::Truncate),
    ]
}

fn cases_per_file() -> u32 {
    std::env::var("LINKALLOW_MUTATION_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40)
}

#[test]
fn damaged_annotated_files_never_lose_a_declaration() {
    let Some(goroot) = toolchain(&shipped_release()) else {
        return;
    };
    let scratch = TempDir::new("mutation-setup");
    for rel in FILES {
        let c = case(&goroot, &scratch, rel);
        let mut runner = TestRunner::new(Config {
            cases: cases_per_file(),
            failure_persistence: None,
            ..Config::default()
        });
        let strategy = (
            mutation(c.hot.clone()),
            prop_oneof![Just(Op::Apply), Just(Op::Strip), Just(Op::Prune)],
        );
        if let Err(e) = runner.run(&strategy, |(m, op)| check_one(&goroot, &c, &m, op)) {
            panic!("{rel}: {e}");
        }
    }
}

/// Seeds the property test found on the shipped release's tree, each a test named after what it
/// guards.
macro_rules! found_by_mutation {
    ($($name:ident: $rel:literal, $m:expr, $op:expr;)*) => {$(
        #[test]
        fn $name() {
            let Some(goroot) = toolchain(&shipped_release()) else { return };
            let scratch = TempDir::new(stringify!($name));
            let c = case(&goroot, &scratch, $rel);
            check_one(&goroot, &c, &$m, $op).unwrap_or_else(|e| panic!("{e}"));
        }
    )*};
}

found_by_mutation! {
    a_comment_line_split_into_top_level_code_is_refused_not_stripped:
        "net/url/url.go", Mutation::Flip(656, 124), Op::Strip;
    a_block_whose_directive_names_nothing_declared_is_not_doubled:
        "crypto/tls/common.go", Mutation::Flip(1311, 15), Op::Apply;
    a_package_clause_out_of_place_is_refused:
        "math/big/arith_decl.go", Mutation::Move(8, 32), Op::Apply;
    a_declaration_glued_below_a_region_anchor_stays_apart:
        "time/time.go", Mutation::Move(1323, 1899), Op::Apply;
    a_function_glued_above_a_floating_header_is_not_taken_with_it:
        "time/time.go", Mutation::Move(1900, 1297), Op::Strip;
    a_stray_noescape_is_not_removed_with_a_floating_block:
        "math/big/arith_decl.go", Mutation::Move(36, 63), Op::Prune;
    a_block_on_a_declaration_glued_to_code_gets_the_blank_line_gofmt_wants:
        "crypto/tls/common.go", Mutation::Move(1298, 1309), Op::Apply;
    a_blank_line_inside_a_block_does_not_orphan_its_list:
        "math/big/arith_decl.go", Mutation::Move(7, 6725053512708645206), Op::Strip;
    a_list_item_moved_above_its_lead_is_not_doubled:
        "crypto/tls/common.go", Mutation::Move(1306, 1303), Op::Prune;
    a_directive_inside_the_prose_is_left_to_the_user:
        "time/time.go", Mutation::Move(1322, 1306), Op::Apply;
}
