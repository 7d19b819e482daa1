//! Everything that reads Go text or asks the go command: the leaf that the tree ⇄ allowlist
//! pipeline and the scan → survey pipeline both import, so neither depends on the other.

pub mod asm;
pub mod constraint;
pub mod decls;
pub mod gomod;
pub mod name;
pub mod strlit;
pub mod syntax;
