//! What `apply` and `strip` would change, file by file, computed in full before anything is
//! written. Apply is "strip what the allowlist governs, then render the allowlist", so inserting,
//! updating and moving blocks are one mechanism and a second run changes nothing.

pub mod conflict;

use crate::allowlist::{Allowlist, DirectivePos, DocSite, Region, Symbol};
use crate::annotation;
use crate::diag::{DiagKind, Diagnostic};
use crate::error::{Error, Pos, Result};
use crate::go::name::split_linker_name;
use crate::go::syntax::{Decl, DeclKind, GoFile};
use crate::tree::Tree;
use crate::tree::annotations::{Directive, FileScan, FoundDoc};
use crate::tree::index::TreeIndex;
use crate::tree::locate::{Locator, documented_decl, not_found_message};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

pub use crate::edit::FileChange;

/// Changed files only, sorted by path, and the symbols apply could not place (only when asked
/// to skip them).
#[derive(Debug, Default)]
pub struct Plan {
    pub changes: Vec<FileChange>,
    pub skipped: Vec<Diagnostic>,
    /// The new text of changed files, parsed (when the plan parsed it), by path.
    pub parsed: BTreeMap<String, GoFile>,
}

/// How `apply` treats symbols it cannot place: refuse the whole plan naming every one, or
/// plan the rest and report them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyOptions {
    pub prune: bool,
    pub skip_missing: bool,
}

/// A site or region that cannot go into a file, or a failure that stops everything.
enum Unplaced {
    Diagnostic(Diagnostic),
    Fatal(Error),
}

impl From<Error> for Unplaced {
    fn from(e: Error) -> Self {
        Unplaced::Fatal(e)
    }
}

fn problem(pos: Pos, symbols: Vec<String>, kind: DiagKind, message: String) -> Diagnostic {
    Diagnostic::new(pos, kind, symbols, message)
}

/// A line edit: replace rows `start..end` with `lines`.
struct LineEdit {
    start: usize,
    end: usize,
    lines: Vec<String>,
}

/// The file's lines with `edits` made (sorted here; overlapping edits are refused).
fn apply_edits(file: &GoFile, edits: &mut [LineEdit]) -> Result<Vec<String>> {
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

/// The top-level declarations a file's change means to remove and add, as (key, source text).
/// Everything else a change does is comment lines and directives; [`verify_change`] holds it
/// to that.
#[derive(Debug, Default)]
struct Intent {
    removed: Vec<(String, String)>,
    added: Vec<(String, String)>,
}

/// A declaration as [`Intent`] names it.
fn decl_id(f: &GoFile, d: &Decl) -> (String, String) {
    (d.key(), f.decl_text(d))
}

/// Removes the selected annotations from one file. `keep_directive` decides, per block, whether
/// its directive stays because something other than legacy pulls needs it. `None`: delete file.
fn strip_scan<'s>(
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
enum Stripped<'f> {
    Parsed(Cow<'f, GoFile>),
    Lines(Vec<String>),
}

impl Stripped<'_> {
    fn lines(&self) -> &[String] {
        match self {
            Stripped::Parsed(f) => &f.lines,
            Stripped::Lines(l) => l,
        }
    }
}

/// The import `apply` adds to a file that had none, exactly as it adds it.
const ADDED_IMPORT: &str = "import _ \"unsafe\" // for linkname";

/// The row of the import `apply` would have added, when it stands where apply adds it (after
/// the last import, a blank line before) and no directive in the file needs it any more: what
/// strip takes out with the blank line above.
fn added_import_row(lines: &[String]) -> Option<usize> {
    let i = lines.iter().position(|l| l == ADDED_IMPORT)?;
    let later_import = lines[i + 1..]
        .iter()
        .any(|l| l.starts_with("import ") || l.starts_with("import("));
    let needed = lines.iter().any(|l| l.starts_with("//go:linkname"));
    (i > 0 && lines[i - 1].is_empty() && !later_import && !needed).then_some(i)
}

/// Why [`verify_change`] refuses a file.
enum Rejection {
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
fn verify_change(
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

/// Everything the allowlist puts into one file.
#[derive(Default)]
struct FileWork<'a> {
    sites: Vec<(&'a Symbol, &'a DocSite)>,
    regions: Vec<&'a Region>,
}

/// Whether `strip` must leave a region (a standalone push) in place: another package of the
/// tree pulls one of its symbols (go1.27's net/http pulls net/textproto.readMIMEHeader).
fn region_needed(
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
fn directive_needed(index: &TreeIndex) -> impl Fn(&FileScan, &FoundDoc) -> bool + '_ {
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

const CRLF_REFUSED: &str = "this file ends its lines with CRLF; gofmt writes LF and the Go tree holds no CRLF file, and an edit would mix the two; convert it (gofmt -w, or check it out with core.autocrlf=false) and run again";

/// Where a file first ends a line with CR (a CRLF file): linkallow does not edit those.
fn crlf_line(file: &GoFile) -> Option<Pos> {
    let row = file.lines.iter().position(|l| l.ends_with('\r'))?;
    Some(file.pos(row, file.lines[row].len() - 1))
}

/// What strip does to one file.
enum Stripping {
    Unchanged,
    Deleted,
    /// The new text, parsed.
    Changed(String, GoFile),
}

fn push_change(plan: &mut Plan, rel: &str, old: Option<String>, new: Option<String>) {
    if old != new {
        plan.changes.push(FileChange {
            rel: rel.to_string(),
            old,
            new,
        });
    }
}

pub fn apply(
    index: &TreeIndex,
    list: &Allowlist,
    options: ApplyOptions,
    locator: &mut Locator,
) -> Result<Plan> {
    apply_remembering(index, list, options, locator, None)
}

/// [`apply`], taking file plans from `memo` where their inputs are the same and leaving this
/// run's plans in it.
pub fn apply_remembering(
    index: &TreeIndex,
    list: &Allowlist,
    options: ApplyOptions,
    locator: &mut Locator,
    mut memo: Option<&mut PlanMemo>,
) -> Result<Plan> {
    let tree = locator.tree();
    let prune = options.prune;
    // A recorded rename or move governs the old name too: its stale block goes.
    let old_names = list.old_linker_names();
    let listed = list.governed_names();
    let needed = directive_needed(index);
    let mut problems: Vec<Diagnostic> = Vec::new();
    let mut work: BTreeMap<String, FileWork> = BTreeMap::new();
    locator.prefetch(list.symbols.iter().flat_map(|s| &s.sites));
    for sym in &list.symbols {
        let name = sym.linker_name();
        let pushes = sym.sites.iter().any(|s| s.directive != DirectivePos::None);
        if pushes && index.blocked.contains(&name) {
            return Err(Error::Plan {
                pos: sym.pos.clone(),
                message: format!(
                    "{name} is in the linker's blockedLinknames: a push cannot make it pullable"
                ),
            });
        }
        if pushes && index.std_only.contains(&name) {
            return Err(Error::Plan {
                pos: sym.pos.clone(),
                message: format!(
                    "{name} already carries //go:linknamestd (standard library only); refusing to push it"
                ),
            });
        }
        match place_symbol(index, list, locator, sym) {
            Ok(placed) => {
                for (f, site) in placed {
                    work.entry(f).or_default().sites.push((sym, site));
                }
            }
            Err(p) => problems.push(p),
        }
    }
    // What regions use from their packages is looked up on all cores first.
    for region in &list.regions {
        let Ok(rendered) = region.render(list) else {
            continue;
        };
        let mut names =
            crate::go::syntax::free_names(&region.file, &region_snippet(region, &rendered))
                .unwrap_or_default();
        names.extend(
            rendered
                .iter()
                .filter_map(|l| Directive::parse(l))
                .map(|d| d.local),
        );
        locator.prefetch_names(crate::tree::dir_of(&region.file), &names);
    }
    for region in &list.regions {
        if region.symbols.iter().any(|s| unplaced(&problems, s)) {
            continue; // it arrives with its symbols
        }
        match check_region_names(tree, region, list, locator)? {
            None => work
                .entry(region.file.clone())
                .or_default()
                .regions
                .push(region),
            Some(p) => problems.push(p),
        }
    }
    for rel in index.scans.keys() {
        work.entry(rel.clone()).or_default();
    }
    let owners = owners_of(&work);
    let unscanned: Vec<&str> = work
        .keys()
        .map(String::as_str)
        .filter(|rel| !index.scans.contains_key(*rel))
        .collect();
    locator.parse_all(&unscanned)?;
    // Files are planned on their own, on all cores; a series stage takes a file's plan from
    // the stage before when nothing it depends on changed.
    let shared: &Locator = locator;
    let how = Planning {
        index,
        list,
        listed: &listed,
        old_names: &old_names,
        prune,
        needed: &needed,
    };
    let planned: Vec<(String, String, Result<FilePlan>)> = {
        use rayon::prelude::*;
        let work: Vec<(String, FileWork)> = work.into_iter().collect();
        work.into_par_iter()
            .map(|(rel, w)| {
                let scan = index.scans.get(&rel);
                let key = memo_key(scan, &w, list, &listed, &old_names, prune);
                if let Some(done) = memo.as_deref().and_then(|m| m.get(&rel, &key)) {
                    return (rel, key, Ok(done.clone()));
                }
                let unscanned = shared.known(&rel).filter(|_| scan.is_none());
                let planned = plan_one(&how, &rel, unscanned, w);
                (rel, key, planned)
            })
            .collect()
    };
    let mut plan = Plan::default();
    let mut remembered = HashMap::new();
    for (rel, key, planned) in planned {
        let planned = planned?;
        if let Some((old, new)) = &planned.change {
            push_change(&mut plan, &rel, old.clone(), new.clone());
        }
        problems.extend(planned.problems.iter().cloned());
        remembered.insert(rel, (key, planned));
    }
    if let Some(memo) = memo.as_deref_mut() {
        memo.files = remembered;
    }
    // Files are planned on their own; what they must not share is checked per package.
    problems.extend(crate::plan::conflict::package_conflicts(
        tree,
        locator,
        &plan.changes,
        &plan.parsed,
        &owners,
    )?);
    // A symbol left out of one file is left out of all of them: plan again without it.
    let left_out: HashSet<String> = problems.iter().flat_map(|p| p.symbols.clone()).collect();
    if !left_out.is_empty() && options.skip_missing {
        let mut rest = list.clone();
        rest.symbols
            .retain(|s| !left_out.contains(&s.linker_name()));
        rest.regions
            .retain(|r| !r.symbols.iter().any(|s| left_out.contains(s)));
        let mut again = apply_remembering(index, &rest, options, locator, memo)?;
        problems.append(&mut again.skipped);
        again.skipped = dedup_problems(problems);
        return Ok(again);
    }
    if !problems.is_empty() {
        return Err(Error::Unplaceable(dedup_problems(problems)));
    }
    Ok(plan)
}

/// The allowlist entries that bring text into each file, for refusals that name them.
fn owners_of(
    work: &BTreeMap<String, FileWork>,
) -> HashMap<String, Vec<crate::plan::conflict::Owner>> {
    use crate::plan::conflict::Owner;
    work.iter()
        .map(|(rel, w)| {
            let sites = w.sites.iter().map(|(sym, site)| Owner {
                pos: sym.pos.clone(),
                symbols: vec![sym.linker_name()],
                local: Some(site.local.clone()),
            });
            let regions = w.regions.iter().map(|r| Owner {
                pos: r.pos.clone(),
                symbols: r.symbols.clone(),
                local: None,
            });
            (rel.clone(), sites.chain(regions).collect())
        })
        .collect()
}

/// One file's plan: its change (old, new) when it has one, and the symbols that could not go
/// into it.
#[derive(Debug, Clone)]
struct FilePlan {
    change: Option<(Option<String>, Option<String>)>,
    problems: Vec<Diagnostic>,
}

/// File plans of the previous run over the same base tree (a series stage), by path, with what
/// they were computed from: a file whose inputs did not change is not planned again.
#[derive(Default)]
pub struct PlanMemo {
    files: HashMap<String, (String, FilePlan)>,
}

impl PlanMemo {
    fn get(&self, rel: &str, key: &str) -> Option<&FilePlan> {
        self.files
            .get(rel)
            .filter(|(k, _)| k == key)
            .map(|(_, plan)| plan)
    }
}

/// Everything a file's plan depends on besides the base tree, as text: its sites and regions
/// with their symbols, the symbols its regions render, and which of the names its blocks carry
/// the allowlist governs.
fn memo_key(
    scan: Option<&FileScan>,
    w: &FileWork,
    list: &Allowlist,
    listed: &HashSet<String>,
    old_names: &HashSet<String>,
    prune: bool,
) -> String {
    use std::fmt::Write;
    let mut key = format!("{prune}\n{:?}\n{:?}\n", w.sites, w.regions);
    for r in &w.regions {
        for s in &r.symbols {
            let _ = writeln!(key, "{:?}", list.symbol(s));
        }
    }
    if let Some(scan) = scan {
        let names = scan
            .docs
            .iter()
            .flat_map(|d| std::iter::once(d.symbol.clone()).chain(d.lead_claim(&scan.package)))
            .chain(scan.regions.iter().flat_map(|r| r.region.symbols.clone()));
        for n in names {
            let _ = writeln!(
                key,
                "{n} {} {}",
                listed.contains(&n),
                old_names.contains(&n)
            );
        }
    }
    key
}

/// What planning any one file of an apply needs besides the file.
struct Planning<'a> {
    index: &'a TreeIndex,
    list: &'a Allowlist,
    /// The linker names the allowlist governs, old names of renames included.
    listed: &'a HashSet<String>,
    old_names: &'a HashSet<String>,
    prune: bool,
    /// Whether a block's directive stays when its block goes (see [`directive_needed`]).
    needed: &'a (dyn Fn(&FileScan, &FoundDoc) -> bool + Sync),
}

/// Plans one file; a symbol that cannot go into it leaves it, and the file is planned again.
fn plan_one(
    how: &Planning,
    rel: &str,
    unscanned: Option<&GoFile>,
    mut w: FileWork,
) -> Result<FilePlan> {
    let mut problems = Vec::new();
    loop {
        match plan_file(how, rel, unscanned, &w) {
            Ok((old, new)) => {
                let change = (old != new).then_some((old, new));
                return Ok(FilePlan { change, problems });
            }
            Err(Unplaced::Fatal(e)) => return Err(e),
            Err(Unplaced::Diagnostic(p)) => {
                let before = (w.sites.len(), w.regions.len());
                w.sites
                    .retain(|(sym, _)| !p.symbols.contains(&sym.linker_name()));
                w.regions
                    .retain(|r| !r.symbols.iter().any(|s| p.symbols.contains(s)));
                problems.push(p.clone());
                if before == (w.sites.len(), w.regions.len()) {
                    return Err(Error::Plan {
                        pos: p.pos,
                        message: p.message,
                    });
                }
            }
        }
    }
}

fn unplaced(problems: &[Diagnostic], symbol: &str) -> bool {
    problems
        .iter()
        .any(|p| p.symbols.iter().any(|s| s == symbol))
}

fn dedup_problems(mut problems: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut seen = HashSet::new();
    problems.retain(|p| seen.insert((p.pos.clone(), p.message.clone())));
    problems.sort_by(|a, b| (&a.pos.file, a.pos.line).cmp(&(&b.pos.file, b.pos.line)));
    problems
}

/// The files each of a symbol's sites goes into, or why it has none.
fn place_symbol<'a>(
    index: &TreeIndex,
    list: &Allowlist,
    locator: &mut Locator,
    sym: &'a Symbol,
) -> std::result::Result<Vec<(String, &'a DocSite)>, Diagnostic> {
    let name = sym.linker_name();
    let mut placed = Vec::new();
    if pushes_method(sym) && !method_stubs_compile(locator.tree()) {
        return Err(problem(
            sym.pos.clone(),
            vec![name.clone()],
            DiagKind::InTheWay,
            format!("{name}: {}", STUB_NEEDS_GO_1_23),
        ));
    }
    for site in &sym.sites {
        let missing = |message: String| {
            problem(
                sym.pos.clone(),
                vec![name.clone()],
                DiagKind::SymbolNotFound,
                message,
            )
        };
        let files = match locator.files_for(site) {
            Ok(files) => files,
            Err(Error::Tree(message)) => return Err(missing(format!("{name}: {message}"))),
            Err(e) => return Err(missing(format!("{name}: {e}"))),
        };
        if files.is_empty() {
            return Err(missing(not_found_message(index, list, locator, sym, site)));
        }
        for f in files {
            if !locator.tree().exists(&f) {
                return Err(missing(format!("{name}: file {f} not found in the tree")));
            }
            placed.push((f, site));
        }
    }
    Ok(placed)
}

const STUB_NEEDS_GO_1_23: &str = "a method symbol is pushed from a function that is not the method (a stub), which compilers before Go 1.23 cannot build (internal compiler error); before Go 1.23 the linker checked no pull, so no push is needed";

/// Whether the tree's compiler builds the method-stub push (`//go:linkname stub pkg.(*T).m`):
/// Go 1.23 and later. A tree without a release number is taken as current.
fn method_stubs_compile(tree: &Tree) -> bool {
    tree.version
        .as_deref()
        .and_then(|v| v.strip_prefix("go1."))
        .and_then(|v| v.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|minor| minor.parse::<u32>().ok())
        .is_none_or(|minor| minor >= 23)
}

/// Whether a symbol is a method pushed with a stub's directive.
fn pushes_method(sym: &Symbol) -> bool {
    sym.name.contains('.') && sym.sites.iter().any(|s| s.directive != DirectivePos::None)
}

/// Whether rendered region lines push a method of their own package through a stub.
fn region_pushes_method(rendered: &[String], package: &str) -> bool {
    rendered
        .iter()
        .filter_map(|l| Directive::parse(l))
        .any(|d| {
            d.target
                .as_deref()
                .and_then(split_linker_name)
                .is_some_and(|(p, name)| p == package && name.contains('.'))
        })
}

/// One file of an apply plan: (old text, new text).
fn plan_file(
    how: &Planning,
    rel: &str,
    unscanned: Option<&GoFile>,
    w: &FileWork,
) -> std::result::Result<(Option<String>, Option<String>), Unplaced> {
    let Planning {
        index,
        list,
        listed,
        old_names,
        prune,
        needed,
    } = *how;
    let old = match index.scans.get(rel) {
        Some(scan) => Some(scan.file.text()),
        None => unscanned.map(GoFile::text),
    };
    // Strip what the allowlist governs (and, with prune, what it no longer lists, keeping
    // the directives the standard library needs itself, exactly as strip does).
    let mut intent = Intent::default();
    let (old_file, stripped) = match index.scans.get(rel) {
        Some(scan) => {
            // A block on a declaration the allowlist annotates here is replaced, whatever
            // symbol its directive names now: a rename kept under its old linker name
            // (`local = "newName"`) turns `//go:linkname newName` into the two-argument push.
            let annotated: HashSet<String> = w
                .sites
                .iter()
                .filter_map(|(_, site)| documented_decl(&scan.file, site).map(Decl::key))
                .collect();
            let claimed = |doc: &FoundDoc| {
                let key = doc
                    .site
                    .doc_of
                    .clone()
                    .or_else(|| scan.file.decl_declaring(&doc.site.local).map(Decl::key));
                key.is_some_and(|k| annotated.contains(&k))
            };
            let stripped = strip_scan(
                scan,
                &|s| prune || listed.contains(s),
                &|s| old_names.contains(s),
                &claimed,
                &|scan, doc| !listed.contains(&doc.symbol) && needed(scan, doc),
                &|r| {
                    !r.region.symbols.iter().any(|s| listed.contains(s)) && region_needed(index)(r)
                },
                &mut intent,
            )?;
            (Some(&scan.file), stripped)
        }
        None => (
            unscanned,
            unscanned.map(|f| Stripped::Parsed(Cow::Borrowed(f))),
        ),
    };
    let new = render_file(
        rel,
        stripped,
        old.as_ref().is_none_or(|t| t.ends_with('\n')),
        w,
        list,
        &mut intent,
    )?;
    if let Some(text) = &new
        && old.as_ref() != Some(text)
    {
        // The file's sites (and regions) are what cannot go in; a file with none refuses all.
        let refuse = |pos: Pos, symbols: Vec<String>, message: String| {
            if symbols.is_empty() {
                Unplaced::Fatal(Error::Plan { pos, message })
            } else {
                Unplaced::Diagnostic(problem(pos, symbols, DiagKind::InTheWay, message))
            }
        };
        verify_change(old_file, rel, text, &intent).map_err(|e| match e {
            Rejection::Duplicate { pos, local } => {
                let symbols: Vec<String> = w
                    .sites
                    .iter()
                    .filter(|(_, site)| site.local == local)
                    .map(|(sym, _)| sym.linker_name())
                    .collect();
                let message = format!(
                    "{}: //go:linkname {local} already stands here, away from the declaration it belongs to; apply would add a second one, which the compiler rejects; move it back above its declaration or delete it",
                    symbols.first().map_or(local.as_str(), String::as_str)
                );
                refuse(pos, symbols, message)
            }
            Rejection::Crlf(pos) => {
                let mut symbols: Vec<String> = Vec::new();
                for s in w
                    .sites
                    .iter()
                    .map(|(sym, _)| sym.linker_name())
                    .chain(w.regions.iter().flat_map(|r| r.symbols.clone()))
                {
                    if !symbols.contains(&s) {
                        symbols.push(s);
                    }
                }
                let message = if symbols.is_empty() {
                    CRLF_REFUSED.to_string()
                } else {
                    format!("{}: {CRLF_REFUSED}", symbols.join(", "))
                };
                refuse(pos, symbols, message)
            }
            Rejection::Fatal(e) => Unplaced::Fatal(e),
        })?;
    }
    Ok((old, new))
}

/// Every `//go:linkname` a region brings names a function or variable its package declares (the
/// compiler's rule): a truncated or rewritten file must not get a push for nothing.
fn check_region_names(
    tree: &Tree,
    region: &Region,
    list: &Allowlist,
    locator: &mut Locator,
) -> Result<Option<Diagnostic>> {
    let dir = crate::tree::dir_of(&region.file);
    let shown = if dir.is_empty() {
        "the module root"
    } else {
        dir
    };
    let missing = |message: String| {
        Some(problem(
            region.pos.clone(),
            region.symbols.clone(),
            DiagKind::SymbolNotFound,
            message,
        ))
    };
    if !tree.path(dir).is_dir() {
        return Ok(missing(format!(
            "{}: the region for {} goes into {shown}, which is not in the tree",
            region.symbols.join(", "),
            region.file
        )));
    }
    if region.after.is_some() && !tree.exists(&region.file) {
        return Ok(missing(format!(
            "{}: the region goes into {}, which is not in the tree",
            region.symbols.join(", "),
            region.file
        )));
    }
    let rendered = region.render(list)?;
    if !method_stubs_compile(tree) && region_pushes_method(&rendered, &tree.import_path(dir)) {
        return Ok(Some(problem(
            region.pos.clone(),
            region.symbols.clone(),
            DiagKind::InTheWay,
            format!(
                "{}: the region for {}: {STUB_NEEDS_GO_1_23}",
                region.symbols.join(", "),
                region.file
            ),
        )));
    }
    let own: Vec<String> = region_decls_parsed(region, &rendered)?
        .decls
        .iter()
        .flat_map(|d| d.names.clone())
        .collect();
    // Source carried from another release may use what this one does not declare.
    let snippet = region_snippet(region, &rendered);
    let imported = match region.after {
        Some(_) => import_names(&tree.read(&region.file)?),
        None => import_names(&snippet),
    };
    let mut undefined = Vec::new();
    for name in crate::go::syntax::free_names(&region.file, &snippet)? {
        if !own.contains(&name)
            && !imported.contains(&name)
            && !locator.dir_declares(dir, &name, true)?
        {
            undefined.push(name);
        }
    }
    if !undefined.is_empty() {
        return Ok(missing(format!(
            "{}: the region for {} uses {}, which {shown} does not declare in this tree (source carried from another release?)",
            region.symbols.join(", "),
            region.file,
            undefined.join(", ")
        )));
    }
    for dir_line in rendered.iter().filter_map(|l| Directive::parse(l)) {
        if own.contains(&dir_line.local) || locator.dir_declares(dir, &dir_line.local, false)? {
            continue;
        }
        return Ok(missing(format!(
            "{}: the region for {} pushes {} with //go:linkname, but no file in {shown} declares a function or variable {} (the compiler would reject it); is {} complete?",
            region.symbols.join(", "),
            region.file,
            dir_line.local,
            dir_line.local,
            region.file
        )));
    }
    Ok(None)
}

/// The names a Go file's imports bind: the alias, else the last path element (as the package
/// name usually is).
fn import_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_group = false;
    for line in text.lines() {
        let l = line.trim();
        let spec = if in_group {
            if l == ")" {
                in_group = false;
                continue;
            }
            l
        } else if l == "import (" {
            in_group = true;
            continue;
        } else if let Some(rest) = l.strip_prefix("import ") {
            rest
        } else {
            continue;
        };
        let mut fields = spec.split_whitespace();
        let (Some(first), second) = (fields.next(), fields.next()) else {
            continue;
        };
        let name = match second {
            Some(path) if path.starts_with('"') => first.to_string(),
            _ => first
                .trim_matches('"')
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string(),
        };
        names.push(name);
    }
    names
}

/// Renders the allowlist's sites and regions into a stripped file.
fn render_file(
    rel: &str,
    stripped: Option<Stripped>,
    final_newline: bool,
    w: &FileWork,
    list: &Allowlist,
    intent: &mut Intent,
) -> std::result::Result<Option<String>, Unplaced> {
    if let Some(whole) = w.regions.iter().find(|r| r.after.is_none()) {
        let text =
            whole.render(list)?.join("\n") + if whole.text.ends_with('\n') { "\n" } else { "" };
        let file = GoFile::parse(rel, &text)?;
        intent
            .added
            .extend(file.decls.iter().map(|d| decl_id(&file, d)));
        return Ok(Some(text));
    }
    let Some(stripped) = stripped else {
        if w.sites.is_empty() && w.regions.is_empty() {
            return Ok(None);
        }
        return Err(Error::Tree(format!("{rel}: file not found")).into());
    };
    if w.sites.is_empty() && w.regions.is_empty() {
        return Ok(Some(crate::go::syntax::join_lines(
            stripped.lines(),
            final_newline,
        )));
    }
    let file = match stripped {
        Stripped::Parsed(file) => file,
        Stripped::Lines(lines) => Cow::Owned(GoFile::parse(
            rel,
            &crate::go::syntax::join_lines(&lines, final_newline),
        )?),
    };
    let mut edits = Vec::new();
    let mut added_directive = false;
    let mut documented: Vec<(usize, String)> = Vec::new();
    for (sym, site) in &w.sites {
        let Some(decl) = documented_decl(&file, site) else {
            return Err(Unplaced::Diagnostic(problem(
                sym.pos.clone(),
                vec![sym.linker_name()],
                DiagKind::SymbolNotFound,
                format!(
                    "{}: {rel} does not declare {}",
                    sym.linker_name(),
                    site.doc_of.as_deref().unwrap_or(&site.local)
                ),
            )));
        };
        // One doc comment holds one block: `var a, b T` cannot carry the blocks of both.
        if let Some((_, other)) = documented.iter().find(|(start, _)| *start == decl.start) {
            return Err(Unplaced::Diagnostic(problem(
                file.pos(decl.start, 0),
                vec![sym.linker_name()],
                DiagKind::InTheWay,
                format!(
                    "{}: {} also documents {other}, and one doc comment holds one block; split the declaration or annotate it by hand",
                    sym.linker_name(),
                    decl.key()
                ),
            )));
        }
        documented.push((decl.start, sym.linker_name()));
        let (gs, group) = match file.group_above(decl.start) {
            Some((gs, ge)) => (gs, file.lines[gs..=ge].to_vec()),
            None => (decl.start, Vec::new()),
        };
        // gofmt puts a blank line before a declaration with a doc comment; one glued to the
        // code above gets it with the block.
        let glued_above = gs > 0 && !file.lines[gs - 1].trim().is_empty();
        let split = group
            .iter()
            .rposition(|l| !l.starts_with("//go:"))
            .map_or(0, |i| i + 1);
        let mut doc = group[..split].to_vec();
        let mut dirs = group[split..].to_vec();
        // A block apply does not govern (its directive names something else) stays; a second
        // one beside it would come back on every run.
        if let Some(i) = doc.iter().position(|l| annotation::is_marker(l)) {
            return Err(Unplaced::Diagnostic(problem(
                file.pos(gs + i, 0),
                vec![sym.linker_name()],
                DiagKind::InTheWay,
                format!(
                    "{}: the doc comment of {} already holds a hall-of-shame block that is not this symbol's (are its //go:linkname lines right?); refusing to add a second one",
                    sym.linker_name(),
                    decl.key()
                ),
            )));
        }
        if doc.last().is_some_and(|l| l == "//") {
            doc.pop();
        }
        // A `Deprecated:` paragraph ends a doc comment by Go's convention: the block goes
        // above it, where recognition leaves it as doc text.
        let deprecated = deprecated_paragraph(&doc).map_or(Vec::new(), |at| doc.split_off(at));
        if doc.last().is_some_and(|l| l == "//") {
            doc.pop();
        }
        if site.directive != DirectivePos::None {
            // A directive strip kept (std pulls the symbol) goes where the allowlist puts it,
            // as apply over an annotated tree puts it: one apply is the fixed point.
            let present = dirs
                .iter()
                .position(|l| Directive::parse(l).is_some_and(|d| d.local == site.local));
            let line = match present {
                Some(i) => dirs.remove(i),
                None => {
                    added_directive = true;
                    sym.directive_line(site)
                }
            };
            match site.directive {
                DirectivePos::Last => dirs.push(line),
                _ => dirs.insert(0, line),
            }
        }
        let mut out = if glued_above {
            vec![String::new()]
        } else {
            Vec::new()
        };
        let had_doc = !doc.is_empty();
        out.extend(doc);
        if had_doc && !site.glued {
            out.push("//".into());
        }
        let block = annotation::render(site.decl_name(), &sym.modules, &site.text);
        // What apply writes must be what recognition takes back as the block, whole: prose
        // with a paragraph of doc text in it would come back outside the block, once more on
        // every run.
        let pushed = site.directive != DirectivePos::None;
        if annotation::block_extent(&block, pushed) != Some(block.len()) {
            return Err(Unplaced::Fatal(Error::Allowlist {
                pos: sym.pos.clone(),
                message: format!(
                    "{}: the block this entry renders would not be recognised as its block again: {}",
                    sym.linker_name(),
                    annotation::NOT_A_BLOCK
                ),
            }));
        }
        out.extend(block);
        if !deprecated.is_empty() {
            out.push("//".into());
            out.extend(deprecated);
        }
        if !dirs.is_empty() {
            out.push("//".into());
            out.extend(dirs);
        }
        edits.push(LineEdit {
            start: gs,
            end: decl.start,
            lines: out,
        });
    }
    let mut region_edits = Vec::new();
    for region in &w.regions {
        let after = region.after.as_deref().unwrap_or_default();
        let Some(end) = crate::tree::annotations::anchor_row(&file, after) else {
            return Err(Unplaced::Diagnostic(problem(
                region.pos.clone(),
                region.symbols.clone(),
                DiagKind::SymbolNotFound,
                format!(
                    "{}: region anchor `{after}` not found in {rel}",
                    region.symbols.join(", ")
                ),
            )));
        };
        let mut lines = vec![String::new()];
        let rendered = region.render(list)?;
        intent.added.extend(region_decls(region, &rendered)?);
        lines.extend(rendered);
        region_edits.push(LineEdit {
            start: end + 1,
            end: end + 1,
            lines,
        });
    }
    // A declaration glued to the anchor stays apart from what goes in before it, so the region
    // is recognised as a chunk of its own on the next run.
    for i in 0..region_edits.len() {
        let at = region_edits[i].start;
        let last_here = region_edits[i + 1..].iter().all(|e| e.start != at);
        if last_here && at < file.lines.len() && !file.lines[at].trim().is_empty() {
            region_edits[i].lines.push(String::new());
        }
    }
    // The import goes in before regions inserted at the same row, where apply expects it.
    let adds_import = w.regions.iter().any(|r| r.text.contains("//go:linkname "));
    if (added_directive || adds_import) && !file.has_unsafe_import() {
        let at = file
            .decls
            .iter()
            .filter(|d| matches!(d.kind, DeclKind::Import | DeclKind::Package))
            .map(|d| d.end + 1)
            .max()
            .unwrap_or(0);
        edits.push(LineEdit {
            start: at,
            end: at,
            lines: vec![String::new(), ADDED_IMPORT.into()],
        });
        intent.added.push(("import".into(), ADDED_IMPORT.into()));
    }
    edits.extend(region_edits);
    let mut out = apply_edits(&file, &mut edits)?;
    realign_split_comment_runs(&file.lines, &mut out);
    Ok(Some(crate::go::syntax::join_lines(&out, final_newline)))
}

/// Where the last paragraph of doc comment lines starts when it is a `Deprecated:` one.
fn deprecated_paragraph(doc: &[String]) -> Option<usize> {
    let at = doc.iter().rposition(|l| l == "//").map_or(0, |i| i + 1);
    doc.get(at)
        .is_some_and(|l| l.starts_with("// Deprecated:"))
        .then_some(at)
}

/// The byte where a line's trailing `//` comment starts, outside string and rune literals,
/// when code precedes it.
fn trailing_comment_at(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let bytes = line.as_bytes();
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q != '`' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if matches!(c, '"' | '\'' | '`') => quote = Some(c),
            None if c == '/' && bytes.get(i + 1) == Some(&b'/') => {
                return (!line[..i].trim().is_empty()).then_some(i);
            }
            None => {}
        }
    }
    None
}

/// A top-level one-line declaration with a trailing comment: (code, comment).
fn commented_decl(line: &str) -> Option<(&str, &str)> {
    if !(line.starts_with("var ") || line.starts_with("const ") || line.starts_with("type ")) {
        return None;
    }
    let at = trailing_comment_at(line)?;
    Some((line[..at].trim_end(), &line[at..]))
}

/// gofmt aligns the trailing comments of consecutive one-line declarations. A block inserted
/// between two of them splits the run, and each part is aligned on its own, as gofmt does.
fn realign_split_comment_runs(old: &[String], new: &mut [String]) {
    let runs = |lines: &[String]| {
        let mut runs: Vec<Vec<usize>> = Vec::new();
        for (r, l) in lines.iter().enumerate() {
            if commented_decl(l).is_none() {
                continue;
            }
            match runs.last_mut() {
                Some(run) if r > 0 && run.last() == Some(&(r - 1)) => run.push(r),
                _ => runs.push(vec![r]),
            }
        }
        runs
    };
    let old_runs: HashSet<Vec<String>> = runs(old)
        .into_iter()
        .map(|run| run.iter().map(|&r| old[r].clone()).collect())
        .collect();
    for run in runs(new) {
        let lines: Vec<String> = run.iter().map(|&r| new[r].clone()).collect();
        if old_runs.contains(&lines) {
            continue;
        }
        let width = lines
            .iter()
            .filter_map(|l| commented_decl(l))
            .map(|(code, _)| code.chars().count())
            .max()
            .unwrap_or(0);
        for &r in &run {
            if let Some((code, comment)) = commented_decl(&new[r]) {
                let pad = width + 1 - code.chars().count();
                new[r] = format!("{code}{}{comment}", " ".repeat(pad));
            }
        }
    }
}

/// A line with the padding before its trailing comment collapsed, so realignment by gofmt's
/// rule does not count as changing a declaration.
fn without_comment_padding(text: &str) -> String {
    text.split('\n')
        .map(|l| match commented_decl(l) {
            Some((code, comment)) => format!("{code} {comment}"),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The declarations a region's source brings into its file.
fn region_decls(region: &Region, rendered: &[String]) -> Result<Vec<(String, String)>> {
    let file = region_decls_parsed(region, rendered)?;
    Ok(file
        .decls
        .iter()
        .filter(|d| d.kind != DeclKind::Package)
        .map(|d| decl_id(&file, d))
        .collect())
}

/// A region's rendered source as a Go file of its own: under a package clause unless it is one.
fn region_snippet(region: &Region, rendered: &[String]) -> String {
    match region.after {
        Some(_) => format!("package p\n\n{}\n", rendered.join("\n")),
        None => format!("{}\n", rendered.join("\n")),
    }
}

/// A region's rendered source parsed on its own (under a package clause unless it is a file).
fn region_decls_parsed(region: &Region, rendered: &[String]) -> Result<GoFile> {
    GoFile::parse(&region.file, &region_snippet(region, rendered)).map_err(|e| Error::Allowlist {
        pos: region.pos.clone(),
        message: format!("region text is not Go source: {e}"),
    })
}

/// The files a plan touches, for messages: `3 files (1 created, 0 deleted)`, `no files`.
pub fn summary(plan: &Plan) -> String {
    let created = plan.changes.iter().filter(|c| c.old.is_none()).count();
    let deleted = plan.changes.iter().filter(|c| c.new.is_none()).count();
    match plan.changes.len() {
        0 => "no files".into(),
        1 => format!("1 file ({created} created, {deleted} deleted)"),
        n => format!("{n} files ({created} created, {deleted} deleted)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stripping moves rows instead of parsing again: on every annotated file of the installed
    /// Go tree, the moved parse must equal a parse of the stripped text.
    #[test]
    fn stripped_rows_equal_a_fresh_parse() {
        let Some(goroot) = crate::testing::goroot() else {
            return;
        };
        let tree = Tree::open(&goroot).unwrap();
        let index = TreeIndex::build(&tree).unwrap();
        let keep = directive_needed(&index);
        let mut moved = 0;
        for scan in index.scans.values() {
            let mut intent = Intent::default();
            let stripped = strip_scan(
                scan,
                &|_| true,
                &|_| false,
                &|_| false,
                &keep,
                &region_needed(&index),
                &mut intent,
            )
            .unwrap();
            let Some(Stripped::Parsed(file)) = stripped else {
                continue;
            };
            let fresh = GoFile::parse(&file.rel, &file.text()).unwrap();
            let rows = |f: &GoFile| -> Vec<(String, usize, usize, bool)> {
                f.decls
                    .iter()
                    .map(|d| (d.key(), d.start, d.end, d.bodiless))
                    .collect()
            };
            assert_eq!(rows(&file), rows(&fresh), "{}", file.rel);
            assert_eq!(file.lines, fresh.lines, "{}", file.rel);
            for r in 0..file.lines.len() {
                assert_eq!(file.in_decl(r), fresh.in_decl(r), "{}:{}", file.rel, r + 1);
            }
            moved += 1;
        }
        assert!(moved > 50, "only {moved} files stripped by moving rows");
    }
}
