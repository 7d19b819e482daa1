//! linkallow: declarative legacy `//go:linkname` annotations for the Go tree.
//!
//! Pipeline: read the tree ([`gotree`], [`index`], [`syntax`], [`recognise`]) and the allowlist
//! ([`allowlist`]) → plan every edit ([`plan`], blocks from [`annotation`]) → diff or write
//! ([`edit`]). [`extract`] and [`check`] compare the two sides.

pub mod allowlist;
pub mod annotation;
pub mod check;
pub mod edit;
pub mod error;
pub mod extract;
pub mod gotree;
pub mod index;
pub mod plan;
pub mod recognise;
pub mod syntax;
