//! Finds the legacy-linkname annotations already in a Go file: blocks in doc comments (with the
//! directive beside them or not), and regions of source that exist only for legacy pulls.

use crate::allowlist::{DirectivePos, DocSite, Region};
use crate::annotation::{self, BlockText};
use crate::error::Pos;
use crate::go::name::split_linker_name;
use crate::go::syntax::{Decl, DeclKind, GoFile};

/// A `//go:linkname local [target]` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub local: String,
    pub target: Option<String>,
}

impl Directive {
    pub fn parse(line: &str) -> Option<Directive> {
        let rest = line.strip_prefix("//go:linkname ")?;
        let mut fields = rest.split_whitespace();
        let local = fields.next()?.to_string();
        let target = fields.next().map(str::to_string);
        Some(Directive { local, target })
    }

    /// The linker symbol the directive names, for a file of package `pkg`.
    pub fn symbol(&self, pkg: &str) -> String {
        self.target
            .clone()
            .unwrap_or_else(|| format!("{pkg}.{}", self.local))
    }
}

/// A block in the doc comment of a declaration.
#[derive(Debug, Clone)]
pub struct FoundDoc {
    pub symbol: String,
    pub modules: Vec<String>,
    pub site: DocSite,
    /// The comment group and the block inside it (rows, inclusive).
    pub group: (usize, usize),
    pub block: (usize, usize),
    /// The last row of the group's prose (before the `//` and the directives): rows after the
    /// block up to it are doc text that follows the block.
    pub prose_end: usize,
    pub directive_row: Option<usize>,
    pub pos: Pos,
}

impl FoundDoc {
    /// The symbol a block names in its lead sentence when that is not the declaration it sits
    /// on: the old name, when the declaration was renamed and the prose was not.
    pub fn lead_claim(&self, package: &str) -> Option<String> {
        let name = self.site.text.lead_name.as_deref()?;
        (crate::allowlist::validate::is_identifier(name) && name != self.site.decl_name())
            .then(|| format!("{package}.{name}"))
    }
}

/// A region that `strip` removes whole. `region.text` has placeholders for canonical blocks.
#[derive(Debug, Clone)]
pub struct FoundRegion {
    pub region: Region,
    /// Rows (inclusive); the whole file when `region.after` is `None`.
    pub rows: (usize, usize),
    /// Modules per symbol, as the region shows them.
    pub modules: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Clone)]
pub struct FileScan {
    pub file: GoFile,
    pub package: String,
    pub docs: Vec<FoundDoc>,
    pub regions: Vec<FoundRegion>,
}

/// Lead sentences that start a block in the middle of a paragraph (`set_crosscall2`).
fn is_lead_line(content: &str) -> bool {
    let mut words = content.splitn(2, ' ');
    let first = words.next().unwrap_or("");
    let rest = words.next().unwrap_or("");
    (!first.is_empty()
        && (rest.starts_with("should be an internal detail")
            || rest.starts_with("is for package")
            || rest.starts_with("is meant for package")))
        || content.starts_with("Despite being an exported symbol,")
        || content.starts_with("Other widely used packages")
        || content.starts_with("Other packages should not be accessing")
}

pub fn scan(file: GoFile, package: &str) -> FileScan {
    let mut scan = FileScan {
        file,
        package: package.to_string(),
        docs: Vec::new(),
        regions: Vec::new(),
    };
    let f = &scan.file;
    let mut claimed: Vec<(usize, usize)> = Vec::new();
    let mut docs = Vec::new();
    let mut regions: Vec<(usize, usize, Vec<String>)> = Vec::new();
    for (gs, ge) in f.comment_groups() {
        if !(gs..=ge).any(|r| annotation::is_marker(&f.lines[r])) {
            continue;
        }
        if claimed.iter().any(|&(s, e)| s <= gs && ge <= e) {
            continue;
        }
        let decl = f.decl_starting_at(ge + 1);
        let directive_row = dirs_start(f, gs, ge)
            .and_then(|ds| (ds..=ge).find(|&r| Directive::parse(&f.lines[r]).is_some()));
        let directive = directive_row.and_then(|r| Directive::parse(&f.lines[r]));
        match decl {
            Some(d) if matches!(d.kind, DeclKind::Type | DeclKind::Const) => continue,
            Some(d) if !is_stub_for(d, directive.as_ref(), package) => {
                let Some(found) = doc_site(f, package, gs, ge, d, directive_row) else {
                    continue;
                };
                // A directive naming a stub (E3), or a method documented here whose directive sits
                // beside a stub further down (E4): the stub is a region of its own.
                let stub_symbol = found.symbol.clone();
                let stub = match &directive {
                    Some(dir) if !d.declares(&dir.local) => f
                        .decl_declaring(&dir.local)
                        .and_then(|s| stub_chunk(f, s.start, &dir.local)),
                    None => find_directive_chunk(f, package, &stub_symbol),
                    _ => None,
                };
                if let Some((s, e)) = stub {
                    claimed.push((s, e));
                    regions.push((s, e, vec![stub_symbol]));
                }
                docs.push(found);
            }
            _ => {
                // The region starts at its own comment: a declaration glued above it is not
                // legacy source, and one glued below must be (or nothing here is recognised).
                let (_, mut e) = f.chunk_of(gs);
                let s = gs;
                if !chunk_is_legacy_from(f, package, s, e) {
                    continue;
                }
                let floating_header = directive.is_none();
                let mut symbols = directives_in(f, package, s, e);
                if floating_header {
                    // A header without its own directive covers the legacy chunks that follow.
                    while let Some((ns, ne)) = next_chunk(f, e) {
                        let more = directives_in(f, package, ns, ne);
                        let comment_only = (ns..=ne).all(|r| f.is_top_comment(r));
                        let legacy = !more.is_empty() && chunk_is_legacy(f, package, ns, ne);
                        let lead_in = comment_only
                            && next_chunk(f, ne).is_some_and(|(a, b)| {
                                chunk_is_legacy(f, package, a, b)
                                    && !directives_in(f, package, a, b).is_empty()
                            });
                        if !(legacy || lead_in) {
                            break;
                        }
                        symbols.extend(more);
                        e = ne;
                    }
                }
                if symbols.is_empty() {
                    continue;
                }
                claimed.push((s, e));
                regions.push((s, e, symbols));
            }
        }
    }
    // Whole-file regions: nothing but the package clause and imports would be left.
    let covered = |d: &Decl| regions.iter().any(|&(s, e, _)| s <= d.start && d.end <= e);
    let whole_file = docs.is_empty()
        && !regions.is_empty()
        && f.decls
            .iter()
            .all(|d| matches!(d.kind, DeclKind::Package | DeclKind::Import) || covered(d));
    if whole_file {
        let symbols = regions
            .iter()
            .flat_map(|(_, _, syms)| syms.clone())
            .collect();
        regions = vec![(0, f.lines.len().saturating_sub(1), symbols)];
    }
    let spans: Vec<(usize, usize)> = regions.iter().map(|&(s, e, _)| (s, e)).collect();
    let found_regions = regions
        .into_iter()
        .map(|(s, e, symbols)| region_of(f, package, s, e, symbols, whole_file, &spans))
        .collect();
    scan.docs = docs;
    scan.regions = found_regions;
    scan
}

/// First row of the trailing `//go:` run of a comment group.
fn dirs_start(f: &GoFile, gs: usize, ge: usize) -> Option<usize> {
    let mut ds = ge + 1;
    while ds > gs && f.lines[ds - 1].starts_with("//go:") {
        ds -= 1;
    }
    (ds <= ge).then_some(ds)
}

/// A bodiless func that only exists to give a method's symbol a linkname (E1).
fn is_stub_for(decl: &Decl, directive: Option<&Directive>, package: &str) -> bool {
    let Some(dir) = directive else { return false };
    let Some(target) = &dir.target else {
        return false;
    };
    decl.kind == DeclKind::Func
        && decl.bodiless
        && decl.declares(&dir.local)
        && split_linker_name(target).is_some_and(|(p, name)| p == package && name.contains('.'))
}

fn doc_site(
    f: &GoFile,
    package: &str,
    gs: usize,
    ge: usize,
    decl: &Decl,
    directive_row: Option<usize>,
) -> Option<FoundDoc> {
    let ds = dirs_start(f, gs, ge);
    let mut te = ds.map_or(ge, |d| d.saturating_sub(1));
    if ds.is_some() && f.lines[te] == "//" && te > gs {
        te -= 1;
    }
    if ds == Some(gs) {
        return None;
    }
    // A linkname inside the prose, or one naming neither this declaration nor (for a method's
    // E3 stub) this method: the block cannot be told apart from its neighbours' text. gofmt
    // would move such a line down to the directives; leave the group to the user.
    if (gs..=te).any(|r| f.lines[r].starts_with("//go:linkname")) {
        return None;
    }
    if let Some(dir) = directive_row.and_then(|r| Directive::parse(&f.lines[r]))
        && !decl.declares(&dir.local)
    {
        let own = decl.method_symbol().map(|m| format!("{package}.{m}"));
        if dir.target.is_none() || dir.target != own {
            return None;
        }
    }
    // A compiler directive inside what would be the block (`//go:nosplit`, a comment, then the
    // linkname) is not prose: removing the block would take it.
    if (gs..=te).any(|r| f.lines[r].starts_with("//go:")) {
        return None;
    }
    let m = (gs..=te).find(|&r| annotation::is_marker(&f.lines[r]))?;
    let mut p = m;
    while p > gs && f.lines[p - 1] != "//" {
        p -= 1;
    }
    // A marker paragraph right after a module list is the block's tail: the block starts at
    // the lead above the list (`Other widely used packages ... most notably:` + list). Without
    // such a lead it is the tail of a block split in two, and not a block of its own: strip
    // would orphan the list.
    let lead_at = |from: usize| {
        (from..=m)
            .find(|&r| annotation::from_comment(&f.lines[r]).is_some_and(|c| is_lead_line(&c)))
    };
    let after_list = p >= gs + 2 && !annotation::list_items(&f.lines[p - 2..p - 1]).is_empty();
    if after_list {
        let mut q = p - 2;
        while q > gs && f.lines[q - 1] != "//" {
            q -= 1;
        }
        p = lead_at(q).filter(|&l| l < p).map(|_| q)?;
    }
    let bs = lead_at(p).unwrap_or(p);
    if bs > p && !annotation::list_items(&f.lines[bs - 1..bs]).is_empty() {
        return None; // a lead glued under a list item: the pieces of a block, out of order
    }
    let glued = bs != p;
    // The block is what it is made of; a paragraph after it (`Deprecated: ...`) stays doc.
    let be = bs + annotation::block_extent(&f.lines[bs..=te], directive_row.is_some())? - 1;
    let directive = directive_row.and_then(|r| Directive::parse(&f.lines[r]));
    let (symbol, local, doc_of, position) = match &directive {
        Some(dir) => {
            let doc_of = (!decl.declares(&dir.local)).then(|| decl.key());
            let dirs: Vec<usize> = (ds.unwrap()..=ge).collect();
            let row = directive_row.unwrap();
            let position = if dirs.len() > 1 && dirs.last() == Some(&row) {
                DirectivePos::Last
            } else {
                DirectivePos::First
            };
            (dir.symbol(package), dir.local.clone(), doc_of, position)
        }
        None => {
            let name = decl
                .method_symbol()
                .or_else(|| decl.names.first().cloned())?;
            let local = decl.names.first()?.clone();
            (
                format!("{package}.{name}"),
                local,
                Some(decl.key()),
                DirectivePos::None,
            )
        }
    };
    let mut site = DocSite {
        file: Some(f.rel.clone()),
        local,
        push_package: package.to_string(),
        doc_of,
        directive: position,
        glued,
        text: BlockText::canonical(),
    };
    let lines = &f.lines[bs..=be];
    let (modules, text) = annotation::recognise(site.decl_name(), lines);
    site.text = text;
    Some(FoundDoc {
        symbol,
        modules,
        site,
        group: (gs, ge),
        block: (bs, be),
        prose_end: te,
        directive_row,
        pos: f.pos(bs, 0),
    })
}

/// The chunk holding a directive whose symbol is `symbol` (the stub below an E4 method).
fn find_directive_chunk(f: &GoFile, package: &str, symbol: &str) -> Option<(usize, usize)> {
    let (row, dir) = (0..f.lines.len()).find_map(|r| {
        let dir = Directive::parse(&f.lines[r])?;
        (f.is_top_comment(r) && dir.symbol(package) == symbol).then_some((r, dir))
    })?;
    stub_chunk(f, row, &dir.local)
}

/// The chunk around `row` when it holds nothing but comments and the bodiless stub `local`:
/// removing it whole can then take nothing else with it (a directive moved next to another
/// declaration does not make that declaration a stub).
fn stub_chunk(f: &GoFile, row: usize, local: &str) -> Option<(usize, usize)> {
    let (s, e) = f.chunk_of(row);
    let mut decls = f.decls.iter().filter(|d| d.start <= e && s <= d.end);
    let only_stub = decls.next().is_some_and(|d| {
        d.kind == DeclKind::Func && d.bodiless && d.declares(local) && s <= d.start && d.end <= e
    }) && decls.next().is_none();
    let rest_is_comment = (s..=e).all(|r| f.is_top_comment(r) || f.in_decl(r));
    (only_stub && rest_is_comment).then_some((s, e))
}

fn directives_in(f: &GoFile, package: &str, s: usize, e: usize) -> Vec<String> {
    (s..=e)
        .filter(|&r| f.is_top_comment(r))
        .filter_map(|r| Directive::parse(&f.lines[r]))
        .map(|d| d.symbol(package))
        .collect()
}

fn next_chunk(f: &GoFile, end: usize) -> Option<(usize, usize)> {
    let mut r = end + 1;
    while r < f.lines.len() && f.is_blank(r) {
        r += 1;
    }
    (r < f.lines.len() && r > end + 1).then(|| f.chunk_of(r))
}

/// Whether the declarations in rows `s..=e` are all legacy (see [`chunk_is_legacy`]); rows
/// without a declaration may hold any comments.
fn chunk_is_legacy_from(f: &GoFile, package: &str, s: usize, e: usize) -> bool {
    let has_decl = f.decls.iter().any(|d| s <= d.end && d.start <= e);
    (!has_decl || chunk_is_legacy(f, package, s, e)) && !holds_stray_directive(f, s, e)
}

/// Whether rows `s..=e` hold a compiler directive other than linkname and build that no
/// declaration follows (a `//go:noescape` left behind by a moved function): that line is not
/// legacy source, and removing the chunk would take it.
fn holds_stray_directive(f: &GoFile, s: usize, e: usize) -> bool {
    (s..=e).any(|r| {
        let l = &f.lines[r];
        let foreign = l.starts_with("//go:")
            && !l.starts_with("//go:linkname")
            && !l.starts_with("//go:build");
        if !foreign || !f.is_top_comment(r) {
            return false;
        }
        let mut end = r;
        while f.is_top_comment(end + 1) {
            end += 1;
        }
        f.decl_starting_at(end + 1).is_none()
    })
}

/// A chunk that exists only for legacy pulls: bare directives, stubs, and same-package renames
/// that keep an old symbol alive (`legacyTimeTimeAbs` -> `time.Time.abs`).
fn chunk_is_legacy(f: &GoFile, package: &str, s: usize, e: usize) -> bool {
    if holds_stray_directive(f, s, e) {
        return false;
    }
    let decls: Vec<&Decl> = f
        .decls
        .iter()
        .filter(|d| s <= d.start && d.end <= e)
        .collect();
    let dirs: Vec<Directive> = (s..=e)
        .filter(|&r| f.is_top_comment(r))
        .filter_map(|r| Directive::parse(&f.lines[r]))
        .collect();
    if dirs.is_empty() {
        return (s..=e).all(|r| f.is_top_comment(r));
    }
    decls.iter().all(|d| {
        dirs.iter().any(|dir| {
            d.declares(&dir.local)
                && dir
                    .target
                    .as_deref()
                    .and_then(split_linker_name)
                    .is_some_and(|(p, name)| p == package && name != dir.local)
        })
    })
}

fn region_of(
    f: &GoFile,
    package: &str,
    s: usize,
    e: usize,
    symbols: Vec<String>,
    whole_file: bool,
    regions: &[(usize, usize)],
) -> FoundRegion {
    let mut text: Vec<String> = Vec::new();
    let mut modules: Vec<(String, Vec<String>)> = Vec::new();
    let mut header_modules: Option<Vec<String>> = None;
    let mut r = s;
    while r <= e {
        // A canonical block directly followed by `//` and its directive becomes a placeholder.
        if f.is_top_comment(r) && (r == 0 || !f.is_top_comment(r - 1)) {
            let mut ge = r;
            while ge < e && f.is_top_comment(ge + 1) {
                ge += 1;
            }
            let group: Vec<String> = f.lines[r..=ge].to_vec();
            if group.iter().any(|l| annotation::is_marker(l)) {
                let items = annotation::list_items(&group);
                let dir_row = (r..=ge).find(|&x| Directive::parse(&f.lines[x]).is_some());
                if let Some(dr) = dir_row {
                    let dir = Directive::parse(&f.lines[dr]).unwrap();
                    let symbol = dir.symbol(package);
                    let block_end = dr
                        .checked_sub(2)
                        .filter(|&b| b >= r && f.lines[dr - 1] == "//");
                    if let Some(be) = block_end {
                        let x = block_lead_name(&f.lines[r]).unwrap_or_else(|| dir.local.clone());
                        let (mods, bt) = annotation::recognise(&x, &f.lines[r..=be]);
                        if bt == BlockText::canonical() {
                            text.push(annotation::placeholder(&symbol, &x));
                            text.extend(f.lines[be + 1..=ge].iter().cloned());
                            modules.push((symbol, mods));
                            r = ge + 1;
                            continue;
                        }
                    }
                    modules.push((symbol, items));
                } else if header_modules.is_none() && !items.is_empty() {
                    header_modules = Some(items);
                }
            }
        }
        text.push(f.lines[r].clone());
        r += 1;
    }
    for sym in &symbols {
        if !modules.iter().any(|(s, _)| s == sym) {
            modules.push((sym.clone(), header_modules.clone().unwrap_or_default()));
        }
    }
    let mut joined = text.join("\n");
    if whole_file && f.final_newline {
        joined.push('\n');
    }
    let after = (!whole_file).then(|| anchor_before(f, s, regions));
    FoundRegion {
        region: Region {
            file: f.rel.clone(),
            after,
            symbols,
            text: joined,
            pos: f.pos(s, 0),
        },
        rows: (s, e),
        modules,
    }
}

/// What a region follows: the key of the declaration ending the previous chunk, or, when that
/// chunk is a comment (`//go:cgo_import_dynamic ...`), its last line verbatim.
fn anchor_before(f: &GoFile, start: usize, regions: &[(usize, usize)]) -> String {
    // Regions that follow each other share the anchor of the first; apply keeps their order.
    // Walk up over blank rows and earlier regions to the last row that stays after strip.
    let mut end = start;
    while end > 0 {
        end -= 1;
        if f.is_blank(end) {
            continue;
        }
        match regions
            .iter()
            .find(|&&(s, e)| s <= end && end <= e && s < start)
        {
            Some(&(s, _)) => end = s,
            None => break,
        }
    }
    match f.decls.iter().find(|d| d.end == end) {
        Some(d) => d.key(),
        None if f.is_top_comment(end) => f.lines[end].clone(),
        None => f
            .decl_before(start)
            .map(Decl::key)
            .unwrap_or_else(|| "package".into()),
    }
}

/// The row a region anchor names: the end of that declaration, or that comment line.
pub fn anchor_row(f: &GoFile, anchor: &str) -> Option<usize> {
    if anchor.starts_with("//") {
        return (0..f.lines.len()).find(|&r| f.is_top_comment(r) && f.lines[r] == anchor);
    }
    // The import apply adds may be gone in a stripped file; the package clause stands in.
    let fallback = if anchor == "import" {
        f.decl_by_key("package")
    } else {
        None
    };
    f.decl_by_key(anchor).or(fallback).map(|d| d.end)
}

/// X of a `// X should be an internal detail,` line.
fn block_lead_name(line: &str) -> Option<String> {
    let c = annotation::from_comment(line)?;
    let x = c.strip_suffix(" should be an internal detail,")?;
    (!x.contains(' ')).then(|| x.to_string())
}
