//! linkallow: declarative legacy `//go:linkname` annotations for the Go tree.
//!
//! Pipeline: read the tree ([`tree`], its index and annotations) and the allowlist
//! ([`allowlist`]) → plan every edit ([`plan`], blocks from [`annotation`]) → diff or write
//! ([`edit`]). [`compare`] holds `extract` and `check`, which compare the two sides. [`series`]
//! splits the work into one change per dependents tier, written as patches or git commits;
//! [`allowlist::counts`] reads the counts the tiers need. [`scan`] finds pulls in module sources and
//! predicts each release's verdict with the linker's rule ([`linker`]). Everything that reads Go
//! text or asks the go command lives in [`go`], the leaf both pipelines share.
//! `ARCHITECTURE.md` gives the layers.

pub mod allowlist;
pub mod annotation;
pub mod compare;
pub mod date;
pub mod diag;
pub mod edit;
pub mod error;
pub mod go;
pub mod linker;
pub mod plan;
pub mod readfile;
pub mod scan;
pub mod series;
pub mod survey;
#[cfg(test)]
mod testing;
pub mod tree;

// TEMP-ALIAS: the paths before the layout step, kept only while branches begun before it are
// merged; removed before the step ends.
#[doc(hidden)]
pub use compare::{check, extract};
#[doc(hidden)]
pub use go::{gomod, syntax};
#[doc(hidden)]
pub use series::{commit, mbox, message};
#[doc(hidden)]
pub use tree as gotree;
#[doc(hidden)]
pub use tree::{annotations as recognise, hints as relocate, index, locate};
