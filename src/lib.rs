//! linkallow: declarative legacy `//go:linkname` annotations for the Go tree.
//!
//! Pipeline: read the tree ([`gotree`], [`index`], [`syntax`], [`recognise`]) and the allowlist
//! ([`allowlist`]) → plan every edit ([`plan`], blocks from [`annotation`]) → diff or write
//! ([`edit`]). [`extract`] and [`check`] compare the two sides. [`series`] splits the work
//! into one change per dependents tier, written as patches ([`message`], [`mbox`]) or git
//! commits ([`commit`]); [`dependents`] imports the counts the tiers need. [`scan`] finds pulls in
//! module sources and predicts each release's verdict with the linker's rule ([`linker`]).

pub mod allowlist;
pub mod annotation;
pub mod check;
pub mod commit;
pub mod conflict;
pub mod dependents;
pub mod edit;
pub mod error;
pub mod extract;
pub mod gomod;
pub mod gotree;
pub mod index;
pub mod linker;
pub mod locate;
pub mod mbox;
pub mod message;
pub mod plan;
pub mod readfile;
pub mod recognise;
pub mod relocate;
pub mod scan;
pub mod series;
pub mod survey;
pub mod syntax;
#[cfg(test)]
mod testing;
