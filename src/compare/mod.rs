//! The two comparisons of tree and allowlist: `extract` reads the allowlist a tree implies, and
//! `check` says where the tree and a given allowlist disagree.

pub mod check;
pub mod extract;
