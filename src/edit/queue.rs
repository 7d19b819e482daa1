//! The edit queue: line edits of one file, made together; overlapping edits are refused.

use crate::error::{Error, Result};
use crate::go::syntax::GoFile;

/// A line edit: replace rows `start..end` with `lines`.
pub(crate) struct LineEdit {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) lines: Vec<String>,
}

/// The file's lines with `edits` made (sorted here; overlapping edits are refused).
pub(crate) fn apply_edits(file: &GoFile, edits: &mut [LineEdit]) -> Result<Vec<String>> {
    edits.sort_by_key(|e| (e.start, e.end));
    for w in edits.windows(2) {
        if w[1].start < w[0].end {
            return Err(Error::Plan {
                pos: file.pos(w[1].start, 0),
                message: "two edits overlap here; refusing to guess".into(),
            });
        }
    }
    let mut out = Vec::with_capacity(file.lines.len());
    let mut row = 0;
    for e in edits.iter() {
        out.extend_from_slice(&file.lines[row..e.start]);
        out.extend_from_slice(&e.lines);
        row = e.end;
    }
    out.extend_from_slice(&file.lines[row..]);
    Ok(out)
}
