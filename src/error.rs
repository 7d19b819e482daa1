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
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
    // The OS error is part of the message, not a source: `{:#}` would print it twice.
    #[error("{}: {err}", path.display())]
    Io { path: PathBuf, err: std::io::Error },
    #[error("{pos}: {what}")]
    Encoding { pos: Pos, what: String },
    #[error("{pos}: {message}")]
    Allowlist { pos: Pos, message: String },
    #[error("{pos}: Go file does not parse cleanly ({what}); refusing to edit it")]
    GoSyntax { pos: Pos, what: String },
    #[error("{0}")]
    Tree(String),
    #[error("{pos}: {message}")]
    Plan { pos: Pos, message: String },
    #[error("{}", unplaceable(.0))]
    Unplaceable(Vec<crate::plan::Problem>),
    #[error("{0}")]
    Other(String),
}

fn unplaceable(problems: &[crate::plan::Problem]) -> String {
    let mut out = format!(
        "{} of the allowlist's entries cannot be placed in this tree; nothing was written (--skip-missing applies the rest):",
        problems.len()
    );
    for p in problems {
        out.push_str(&format!("\n  {}: {}", p.pos, p.message));
    }
    out
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, err: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            err,
        }
    }

    /// Text that is not UTF-8, at the first bad byte (line and column in bytes).
    pub fn encoding(file: &str, bytes: &[u8], e: &std::str::Utf8Error) -> Self {
        let at = e.valid_up_to();
        let before = &bytes[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = at
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
            + 1;
        Error::Encoding {
            pos: Pos {
                file: file.to_string(),
                line,
                col,
            },
            what: format!(
                "invalid UTF-8 (byte 0x{:02x}); Go source is UTF-8",
                bytes[at]
            ),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
