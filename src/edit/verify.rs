//! Verify before write: a changed file must parse, keep every declaration it did not mean to
//! remove or add, and change nothing but comment lines and directives.

use super::gofmt::without_comment_padding;
use crate::error::{Error, Pos};
use crate::go::syntax::{Decl, DeclKind, GoFile};
use crate::tree::annotations::Directive;
use std::collections::BTreeMap;

/// The top-level declarations a file's change means to remove and add, as (key, source text).
/// Everything else a change does is comment lines and directives; [`verify_change`] holds it
/// to that.
#[derive(Debug, Default)]
pub(crate) struct Intent {
    pub(crate) removed: Vec<(String, String)>,
    pub(crate) added: Vec<(String, String)>,
}

/// A declaration as [`Intent`] names it.
pub(crate) fn decl_id(f: &GoFile, d: &Decl) -> (String, String) {
    (d.key(), f.decl_text(d))
}

/// The import `apply` adds to a file that had none, exactly as it adds it.
pub(crate) const ADDED_IMPORT: &str = "import _ \"unsafe\" // for linkname";

/// The row of the import `apply` would have added, when it stands where apply adds it (after
/// the last import, a blank line before) and no directive in the file needs it any more: what
/// strip takes out with the blank line above.
pub(crate) fn added_import_row(lines: &[String]) -> Option<usize> {
    let i = lines.iter().position(|l| l == ADDED_IMPORT)?;
    let later_import = lines[i + 1..]
        .iter()
        .any(|l| l.starts_with("import ") || l.starts_with("import("));
    let needed = lines.iter().any(|l| l.starts_with("//go:linkname"));
    (i > 0 && lines[i - 1].is_empty() && !later_import && !needed).then_some(i)
}

/// Why [`verify_change`] refuses a file.
pub(crate) enum Rejection {
    /// The change would add a second `//go:linkname` for `local`; `pos` is the one there.
    Duplicate {
        pos: Pos,
        local: String,
    },
    /// The old file ends its lines with CRLF (first at `pos`): an edit would mix line endings.
    Crlf(Pos),
    Fatal(Error),
}

impl From<Error> for Rejection {
    fn from(e: Error) -> Self {
        Rejection::Fatal(e)
    }
}

/// Holds a planned change to its intent: the new text parses, and its top-level declarations
/// are the old ones, in order and byte for byte, less `intent.removed` plus `intent.added`.
/// A plan that would lose or alter any other declaration is refused before anything is written.
pub(crate) fn verify_change(
    old: Option<&GoFile>,
    rel: &str,
    new: &str,
    intent: &Intent,
) -> std::result::Result<GoFile, Rejection> {
    if let Some(pos) = old.and_then(crlf_line) {
        return Err(Rejection::Crlf(pos));
    }
    // An incremental parse of the change: the same result as parsing `new` afresh.
    let new_file = match old {
        Some(old) => old.parse_changed(new)?,
        None => GoFile::parse(rel, new)?,
    };
    let remaining = |file: &GoFile, dropped: &[(String, String)]| {
        let mut dropped = dropped.to_vec();
        file.decls
            .iter()
            .filter(|d| {
                let id = decl_id(file, d);
                match dropped.iter().position(|k| *k == id) {
                    Some(i) => {
                        dropped.swap_remove(i);
                        false
                    }
                    None => true,
                }
            })
            .map(|d| {
                (
                    d.key(),
                    d.start,
                    without_comment_padding(&file.decl_text(d)),
                )
            })
            .collect::<Vec<_>>()
    };
    let before = old
        .map(|f| remaining(f, &intent.removed))
        .unwrap_or_default();
    let after = remaining(&new_file, &intent.added);
    let lost = before
        .iter()
        .zip(after.iter().map(Some).chain(std::iter::repeat(None)))
        .find(|(b, a)| a.is_none_or(|a| (&a.0, &a.2) != (&b.0, &b.2)));
    if let Some(((key, row, _), _)) = lost {
        return Err(Rejection::Fatal(Error::Plan {
            pos: Pos {
                file: rel.to_string(),
                line: row + 1,
                col: 1,
            },
            message: format!(
                "the planned edit would remove or change `{key}`, which is not linkallow's to touch; refusing to write (a directive or block away from its declaration?)"
            ),
        }));
    }
    if let Some((key, row, _)) = after.get(before.len()) {
        return Err(Rejection::Fatal(Error::Plan {
            pos: new_file.pos(*row, 0),
            message: format!("the planned edit would add `{key}` unexpectedly; refusing to write"),
        }));
    }
    // The compiler rejects a name declared twice in a package; never be the one doing it (a
    // stub whose directive went missing is not recognised, and its region would come back).
    let declared = |file: &GoFile| {
        let mut names: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for d in file.decls.iter().filter(|d| {
            !matches!(
                d.kind,
                DeclKind::Method | DeclKind::Package | DeclKind::Import
            )
        }) {
            for n in d.names.iter().filter(|n| *n != "_" && *n != "init") {
                names.entry(n.clone()).or_default().push(d.start);
            }
        }
        names
    };
    let had = old.map(declared).unwrap_or_default();
    for (name, rows) in declared(&new_file) {
        if rows.len() > had.get(&name).map_or(1, Vec::len).max(1) {
            return Err(Rejection::Fatal(Error::Plan {
                pos: new_file.pos(rows[1], 0),
                message: format!(
                    "the planned edit would declare {name} twice in {rel} (the compiler rejects it); is a //go:linkname line of its stub missing?"
                ),
            }));
        }
    }
    // The compiler rejects a second //go:linkname for one name; never be the one adding it.
    let directives = |file: &GoFile| {
        let mut rows: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for r in (0..file.lines.len()).filter(|&r| file.is_top_comment(r)) {
            if let Some(d) = Directive::parse(&file.lines[r]) {
                rows.entry(d.local).or_default().push(r);
            }
        }
        rows
    };
    let was = old.map(directives).unwrap_or_default();
    for (local, rows) in directives(&new_file) {
        let had = was.get(&local).map_or(&[][..], Vec::as_slice);
        if rows.len() > had.len().max(1) {
            let (file, row) = match (old, had.first()) {
                (Some(f), Some(&r)) => (f, r),
                _ => (&new_file, rows[0]),
            };
            return Err(Rejection::Duplicate {
                pos: file.pos(row, 0),
                local,
            });
        }
    }
    Ok(new_file)
}

pub(crate) const CRLF_REFUSED: &str = "this file ends its lines with CRLF; gofmt writes LF and the Go tree holds no CRLF file, and an edit would mix the two; convert it (gofmt -w, or check it out with core.autocrlf=false) and run again";

/// Where a file first ends a line with CR (a CRLF file): linkallow does not edit those.
pub(crate) fn crlf_line(file: &GoFile) -> Option<Pos> {
    let row = file.lines.iter().position(|l| l.ends_with('\r'))?;
    Some(file.pos(row, file.lines[row].len() - 1))
}
