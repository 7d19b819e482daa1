//! Typed library errors. Each knows where it happened (file, line, column when there is one);
//! the binary maps every one of them to exit code 2.

use std::path::PathBuf;

/// Exit codes shared by every command: agreement, drift found, error.
pub mod exit {
    pub const OK: u8 = 0;
    pub const DRIFT: u8 = 1;
    pub const ERROR: u8 = 2;
}

/// A position in a file, 1-based as editors and compilers print it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pos {
    pub file: String,
    pub line: usize,
    pub col: usize,
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{pos}: {message}")]
    Allowlist { pos: Pos, message: String },
    #[error("{pos}: Go file does not parse cleanly ({what}); refusing to edit it")]
    GoSyntax { pos: Pos, what: String },
    #[error("{0}")]
    Tree(String),
    #[error("{pos}: {message}")]
    Plan { pos: Pos, message: String },
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
