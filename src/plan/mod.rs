//! What `apply` and `strip` would change, file by file, computed in full before anything is
//! written. Apply is "strip what the allowlist governs, then render the allowlist", so inserting,
//! updating and moving blocks are one mechanism and a second run changes nothing.

pub mod apply;
pub mod conflict;
pub mod render;
pub mod strip;

use crate::allowlist::{Allowlist, DirectivePos, DocSite, Region, Symbol};
use crate::annotation;
use crate::diag::{DiagKind, Diagnostic};
use crate::error::{Error, Pos, Result};
use crate::go::name::split_linker_name;
use crate::go::syntax::{Decl, DeclKind, GoFile};
use crate::tree::Tree;
use crate::tree::annotations::{Directive, FileScan, FoundDoc};
use crate::tree::index::TreeIndex;
use crate::tree::locate::{Locator, documented_decl, not_found_message};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

pub use crate::edit::FileChange;
use crate::edit::gofmt::*;
use crate::edit::queue::*;
use crate::edit::verify::*;
use apply::*;
pub use apply::{PlanMemo, apply, apply_remembering};
use render::*;
pub use strip::strip;
use strip::*;

/// Changed files only, sorted by path, and the symbols apply could not place (only when asked
/// to skip them).
#[derive(Debug, Default)]
pub struct Plan {
    pub changes: Vec<FileChange>,
    pub skipped: Vec<Diagnostic>,
    /// The new text of changed files, parsed (when the plan parsed it), by path.
    pub parsed: BTreeMap<String, GoFile>,
}

/// How `apply` treats symbols it cannot place: refuse the whole plan naming every one, or
/// plan the rest and report them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyOptions {
    pub prune: bool,
    pub skip_missing: bool,
}

/// A site or region that cannot go into a file, or a failure that stops everything.
enum Unplaced {
    Diagnostic(Diagnostic),
    Fatal(Error),
}

impl From<Error> for Unplaced {
    fn from(e: Error) -> Self {
        Unplaced::Fatal(e)
    }
}

fn problem(pos: Pos, symbols: Vec<String>, kind: DiagKind, message: String) -> Diagnostic {
    Diagnostic::new(pos, kind, symbols, message)
}

fn push_change(plan: &mut Plan, rel: &str, old: Option<String>, new: Option<String>) {
    if old != new {
        plan.changes.push(FileChange {
            rel: rel.to_string(),
            old,
            new,
        });
    }
}

/// The files a plan touches, for messages: `3 files (1 created, 0 deleted)`, `no files`.
pub fn summary(plan: &Plan) -> String {
    let created = plan.changes.iter().filter(|c| c.old.is_none()).count();
    let deleted = plan.changes.iter().filter(|c| c.new.is_none()).count();
    match plan.changes.len() {
        0 => "no files".into(),
        1 => format!("1 file ({created} created, {deleted} deleted)"),
        n => format!("{n} files ({created} created, {deleted} deleted)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stripping moves rows instead of parsing again: on every annotated file of the installed
    /// Go tree, the moved parse must equal a parse of the stripped text.
    #[test]
    fn stripped_rows_equal_a_fresh_parse() {
        let Some(goroot) = crate::testing::goroot() else {
            return;
        };
        let tree = Tree::open(&goroot).unwrap();
        let index = TreeIndex::build(&tree).unwrap();
        let keep = directive_needed(&index);
        let mut moved = 0;
        for scan in index.scans.values() {
            let mut intent = Intent::default();
            let stripped = strip_scan(
                scan,
                &|_| true,
                &|_| false,
                &|_| false,
                &keep,
                &region_needed(&index),
                &mut intent,
            )
            .unwrap();
            let Some(Stripped::Parsed(file)) = stripped else {
                continue;
            };
            let fresh = GoFile::parse(&file.rel, &file.text()).unwrap();
            let rows = |f: &GoFile| -> Vec<(String, usize, usize, bool)> {
                f.decls
                    .iter()
                    .map(|d| (d.key(), d.start, d.end, d.bodiless))
                    .collect()
            };
            assert_eq!(rows(&file), rows(&fresh), "{}", file.rel);
            assert_eq!(file.lines, fresh.lines, "{}", file.rel);
            for r in 0..file.lines.len() {
                assert_eq!(file.in_decl(r), fresh.in_decl(r), "{}:{}", file.rel, r + 1);
            }
            moved += 1;
        }
        assert!(moved > 50, "only {moved} files stripped by moving rows");
    }
}
