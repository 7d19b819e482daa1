//! The survey: from a corpus to the next round of pushes. [`graph`] counts each module's
//! direct+indirect dependents from the corpus's `go.mod` files, [`records`] reads `scan`'s JSON
//! Lines strictly, [`site`] renders the static report (tables, tier pages, the heap map drawn by
//! [`treemap`]), and [`adopt`] writes the pulls the tree rejects into the allowlist.

pub mod adopt;
pub mod graph;
pub mod records;
pub mod site;
pub mod treemap;

use crate::error::Pos;
use std::path::PathBuf;

/// What a survey step can fail on: always with the file, and the line when there is one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{pos}: {message}")]
    At { pos: Pos, message: String },
    #[error("{}: {err}", path.display())]
    Io { path: PathBuf, err: std::io::Error },
    #[error(transparent)]
    Linkallow(#[from] crate::error::Error),
}

impl Error {
    pub fn at(file: &str, line: usize, col: usize, message: impl Into<String>) -> Self {
        Error::At {
            pos: Pos {
                file: file.to_string(),
                line,
                col,
            },
            message: message.into(),
        }
    }

    pub fn io(path: impl Into<PathBuf>, err: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            err,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `dependents count`: the CSV to `output` (or standard output) and a summary line.
pub fn count_command(paths: &[PathBuf], output: Option<&std::path::Path>) -> anyhow::Result<u8> {
    use std::io::Write;
    let got = graph::count(paths)?;
    let csv = graph::to_csv(&got.counts);
    match output {
        Some(path) => crate::edit::write_file(path, &csv)?,
        None => std::io::stdout().lock().write_all(csv.as_bytes())?,
    }
    eprintln!(
        "linkallow: {} go.mod files, {} modules, {} module paths counted",
        got.files,
        got.modules,
        got.counts.len()
    );
    Ok(crate::error::exit::OK)
}
