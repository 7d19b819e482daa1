//! Edits as data and as files: a file's change, the diff that shows it, and the transaction
//! that writes it.

pub mod diff;
pub mod gofmt;
pub mod journal;
pub mod queue;
pub mod transaction;
pub mod verify;

pub use diff::{DiffPaths, file_mode, git_path, quote_path, unified_diff};
pub use transaction::*;

/// One file's change: `None` means the file is absent (before) or deleted (after).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub rel: String,
    pub old: Option<String>,
    pub new: Option<String>,
}
