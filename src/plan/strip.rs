//! `strip`: removes every annotation apply manages, keeping what the tree itself needs.

use super::*;

/// Removes the selected annotations from one file. `keep_directive` decides, per block, whether
/// its directive stays because something other than legacy pulls needs it. `None`: delete file.
pub(super) fn strip_scan<'s>(
    scan: &'s FileScan,
    selected: &dyn Fn(&str) -> bool,
    left_behind: &dyn Fn(&str) -> bool,
    claimed: &dyn Fn(&FoundDoc) -> bool,
    keep_directive: &dyn Fn(&FileScan, &FoundDoc) -> bool,
    keep_region: &dyn Fn(&crate::tree::annotations::FoundRegion) -> bool,
    intent: &mut Intent,
) -> Result<Option<Stripped<'s>>> {
    let f = &scan.file;
    let mut edits = Vec::new();
    let governed = |d: &FoundDoc| {
        selected(&d.symbol)
            || claimed(d)
            || (d.directive_row.is_none()
                && d.lead_claim(&scan.package).is_some_and(|s| left_behind(&s)))
    };
    for doc in scan.docs.iter().filter(|d| governed(d)) {
        let (gs, ge) = doc.group;
        let (bs, _) = doc.block;
        let mut before: Vec<String> = f.lines[gs..bs].to_vec();
        if !doc.site.glued && before.last().is_some_and(|l| l == "//") {
            before.pop();
        }
        let ds = (gs..=ge)
            .rev()
            .take_while(|&r| f.lines[r].starts_with("//go:"))
            .last();
        let keep = keep_directive(scan, doc);
        let dirs: Vec<String> = ds
            .map(|ds| {
                (ds..=ge)
                    .filter(|&r| keep || Some(r) != doc.directive_row)
                    .map(|r| f.lines[r].clone())
                    .collect()
            })
            .unwrap_or_default();
        let mut group = before;
        // Doc text after the block (`Deprecated: ...`) is not the block's.
        let after = &f.lines[doc.block.1 + 1..=doc.prose_end.max(doc.block.1)];
        let after = after.strip_prefix(&["//".to_string()][..]).unwrap_or(after);
        if !after.is_empty() {
            if !group.is_empty() {
                group.push("//".into());
            }
            group.extend_from_slice(after);
        }
        if !group.is_empty() && !dirs.is_empty() {
            group.push("//".into());
        }
        group.extend(dirs);
        edits.push(LineEdit {
            start: gs,
            end: ge + 1,
            lines: group,
        });
    }
    for found in scan
        .regions
        .iter()
        .filter(|r| r.region.symbols.iter().any(|s| selected(s)) && !keep_region(r))
    {
        if found.region.after.is_none() {
            intent.removed = f.decls.iter().map(|d| decl_id(f, d)).collect();
            return Ok(None);
        }
        let (s, e) = found.rows;
        let (start, end) = if s > 0 && f.is_blank(s - 1) {
            (s - 1, e + 1)
        } else {
            (s, (e + 2).min(f.lines.len()))
        };
        intent.removed.extend(
            f.decls
                .iter()
                .filter(|d| start <= d.start && d.end < end)
                .map(|d| decl_id(f, d)),
        );
        edits.push(LineEdit {
            start,
            end,
            lines: Vec::new(),
        });
    }
    if edits.is_empty() {
        return Ok(Some(Stripped::Parsed(Cow::Borrowed(f))));
    }
    let mut out = apply_edits(f, &mut edits)?;
    let ranges: Vec<(usize, usize, usize)> = edits
        .iter()
        .map(|e| (e.start, e.end, e.lines.len()))
        .collect();
    let inert = edits
        .iter()
        .all(|e| e.lines.iter().all(|l| crate::go::syntax::is_inert(l)));
    match f.decls_after_line_edits(&ranges).filter(|_| inert) {
        Some(decls) if added_import_row(&out).is_none() => Ok(Some(Stripped::Parsed(Cow::Owned(
            f.with_rows_moved(out, decls),
        )))),
        _ => {
            if let Some(i) = added_import_row(&out) {
                out.drain(i - 1..=i);
                intent.removed.push(("import".into(), ADDED_IMPORT.into()));
            }
            Ok(Some(Stripped::Lines(out)))
        }
    }
}

/// A file with annotations taken out: parsed when its parse is known without parsing again
/// (only comment lines and whole declarations went), else its lines.
pub(super) enum Stripped<'f> {
    Parsed(Cow<'f, GoFile>),
    Lines(Vec<String>),
}

impl Stripped<'_> {
    pub(super) fn lines(&self) -> &[String] {
        match self {
            Stripped::Parsed(f) => &f.lines,
            Stripped::Lines(l) => l,
        }
    }
}

/// Everything the allowlist puts into one file.
#[derive(Default)]
pub(super) struct FileWork<'a> {
    pub(super) sites: Vec<(&'a Symbol, &'a DocSite)>,
    pub(super) regions: Vec<&'a Region>,
}

/// Whether `strip` must leave a region (a standalone push) in place: another package of the
/// tree pulls one of its symbols (go1.27's net/http pulls net/textproto.readMIMEHeader).
pub(super) fn region_needed(
    index: &TreeIndex,
) -> impl Fn(&crate::tree::annotations::FoundRegion) -> bool + '_ {
    move |r| {
        r.region
            .symbols
            .iter()
            .any(|s| index.pulled_in_tree.contains(s))
    }
}

/// Whether `strip` must leave a block's directive in place: the push defines a symbol for
/// another package, another package of the tree pulls it, or it names a declaration whose body
/// lives elsewhere (assembly) that only the directive lets compile.
pub(super) fn directive_needed(index: &TreeIndex) -> impl Fn(&FileScan, &FoundDoc) -> bool + '_ {
    move |scan, doc| {
        if doc.directive_row.is_none() {
            return false;
        }
        let Some((sym_pkg, sym_name)) = split_linker_name(&doc.symbol) else {
            return true;
        };
        if sym_pkg != scan.package || index.pulled_in_tree.contains(&doc.symbol) {
            return true;
        }
        let bodiless = scan
            .file
            .decl_declaring(&doc.site.local)
            .is_some_and(|d| d.bodiless);
        bodiless && !sym_name.contains('.')
    }
}

pub fn strip(index: &TreeIndex) -> Result<Plan> {
    use rayon::prelude::*;
    let keep = directive_needed(index);
    let scans: Vec<(&String, &FileScan)> = index.scans.iter().collect();
    let stripped: Vec<Result<Stripping>> = scans
        .par_iter()
        .map(|&(rel, scan)| {
            let mut intent = Intent::default();
            let Some(s) = strip_scan(
                scan,
                &|_| true,
                &|_| false,
                &|_| false,
                &keep,
                &region_needed(index),
                &mut intent,
            )?
            else {
                return Ok(Stripping::Deleted);
            };
            if s.lines() == scan.file.lines.as_slice() {
                return Ok(Stripping::Unchanged);
            }
            let text = crate::go::syntax::join_lines(s.lines(), scan.file.final_newline);
            let file =
                verify_change(Some(&scan.file), rel, &text, &intent).map_err(|r| match r {
                    Rejection::Fatal(e) => e,
                    Rejection::Duplicate { pos, local } => Error::Plan {
                        pos,
                        message: format!("strip would leave a second //go:linkname {local}"),
                    },
                    Rejection::Crlf(pos) => Error::Plan {
                        pos,
                        message: CRLF_REFUSED.into(),
                    },
                })?;
            Ok(Stripping::Changed(text, file))
        })
        .collect();
    let mut plan = Plan::default();
    for ((rel, scan), s) in scans.into_iter().zip(stripped) {
        let new = match s? {
            Stripping::Unchanged => continue,
            Stripping::Deleted => None,
            Stripping::Changed(text, file) => {
                plan.parsed.insert(rel.clone(), file);
                Some(text)
            }
        };
        push_change(&mut plan, rel, Some(scan.file.text()), new);
    }
    Ok(plan)
}

/// What strip does to one file.
pub(super) enum Stripping {
    Unchanged,
    Deleted,
    /// The new text, parsed.
    Changed(String, GoFile),
}
