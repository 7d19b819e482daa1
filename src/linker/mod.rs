//! The linker's rule for `//go:linkname` references, read from a Go tree: which references a
//! release's `cmd/link` accepts (`checkLinkname`, `blockedLinknames`), which symbols the
//! standard library defines and pushes on a platform, and build constraints. `scan` judges
//! pulls with it; `index` (and through it `apply`'s refusals) reads blocked and std-only names
//! from here.

pub mod blocked;
pub mod tree;
pub mod verdict;

pub use crate::go::constraint::BuildContext;
pub use tree::LinkerRule;
pub use verdict::{Link, PullKind, Verdict, judge};

use std::collections::HashSet;

/// The names `blockedLinknames` lists in the linker source `loader_go`.
pub fn blocked_names(loader_go: &str) -> HashSet<String> {
    blocked::parse(loader_go).into_keys().collect()
}

/// The symbols a Go file of package `package` pushes with `//go:linknamestd`.
pub fn linknamestd_symbols(text: &str, package: &str) -> Vec<String> {
    crate::go::decls::parse(text)
        .directives
        .into_iter()
        .filter(|d| d.std)
        .map(|d| d.target.unwrap_or_else(|| format!("{package}.{}", d.local)))
        .collect()
}

// TEMP-ALIAS: see lib.rs.
#[doc(hidden)]
pub use crate::go::{asm, constraint, decls as godecl};
