//! `allowlist.toml`: which symbols are legacy-pulled, by which modules, and the few layout facts the
//! tree cannot tell us. Loaded with serde (unknown fields are errors, with line and column), written
//! with toml_edit so the file stays readable.

use crate::annotation::{self, BlockText};
use crate::error::{Error, Pos, Result};
use crate::readfile::check_inside;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use toml::Spanned;

/// Where the push directive sits among the declaration's other `//go:` lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DirectivePos {
    /// Before any other `//go:` line (the tree's usual choice).
    #[default]
    First,
    /// After the other `//go:` lines.
    Last,
    /// The block documents a declaration that does not carry the directive.
    None,
}

/// One place where a symbol's block sits in a declaration's doc comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocSite {
    /// File relative to the tree; `None`: the one file of `push_package` declaring `local`.
    pub file: Option<String>,
    /// The Go identifier the directive names (and the declaration that carries it).
    pub local: String,
    /// Import path of the package holding the push.
    pub push_package: String,
    /// Key of the declaration documented, when it is not the declaration of `local`.
    pub doc_of: Option<String>,
    pub directive: DirectivePos,
    /// The block follows the previous doc text without a `//` line between.
    pub glued: bool,
    pub text: BlockText,
}

impl DocSite {
    /// The name of the documented declaration: `doc_of`'s name, else the directive's local name.
    /// It is also X in the default lead sentence.
    pub fn decl_name(&self) -> &str {
        match &self.doc_of {
            Some(key) => key.rsplit(' ').next().unwrap_or(key),
            None => &self.local,
        }
    }

    /// Whether two sites differ in nothing but their file.
    pub fn same_but_file(&self, other: &DocSite) -> bool {
        DocSite {
            file: None,
            ..self.clone()
        } == DocSite {
            file: None,
            ..other.clone()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub package: String,
    pub name: String,
    pub modules: Vec<String>,
    pub sites: Vec<DocSite>,
    /// The name the symbol had before the standard library renamed it.
    pub renamed_from: Option<String>,
    /// The package that held the symbol before the standard library moved it.
    pub moved_from: Option<String>,
    /// Where the entry starts in the allowlist, for messages.
    pub pos: Pos,
}

impl Symbol {
    pub fn linker_name(&self) -> String {
        format!("{}.{}", self.package, self.name)
    }

    /// Whether the linker name is `linker_name`, without building it.
    pub fn is_named(&self, linker_name: &str) -> bool {
        linker_name
            .strip_prefix(self.package.as_str())
            .and_then(|rest| rest.strip_prefix('.'))
            == Some(self.name.as_str())
    }

    /// The symbol's linker name before a recorded rename or move.
    pub fn old_linker_name(&self) -> Option<String> {
        if self.renamed_from.is_none() && self.moved_from.is_none() {
            return None;
        }
        Some(format!(
            "{}.{}",
            self.moved_from.as_deref().unwrap_or(&self.package),
            self.renamed_from.as_deref().unwrap_or(&self.name)
        ))
    }

    /// The directive a site renders: one argument when the local name is the symbol's own.
    pub fn directive_line(&self, site: &DocSite) -> String {
        if site.local == self.name && site.push_package == self.package {
            format!("//go:linkname {}", site.local)
        } else {
            format!("//go:linkname {} {}", site.local, self.linker_name())
        }
    }
}

/// Verbatim source that exists only for legacy pulls and cannot be tied to one declaration's
/// doc comment: method stubs, standalone directives, whole badlinkname files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub file: String,
    /// Key of the declaration the region follows; `None`: the region is the whole file.
    pub after: Option<String>,
    pub symbols: Vec<String>,
    /// The source lines. A line `{{block SYMBOL}}` stands for that symbol's rendered block.
    pub text: String,
    pub pos: Pos,
}

impl Region {
    /// The region's source lines, each placeholder rendered as that symbol's canonical block.
    pub fn render(&self, list: &Allowlist) -> Result<Vec<String>> {
        Ok(self
            .render_mapped(list)?
            .into_iter()
            .map(|(l, _)| l)
            .collect())
    }

    /// Rendered lines, each with the line of `text` it came from (0-based).
    fn render_mapped(&self, list: &Allowlist) -> Result<Vec<(String, usize)>> {
        let mut out = Vec::new();
        let body = self.text.strip_suffix('\n').unwrap_or(&self.text);
        for (k, line) in body.split('\n').enumerate() {
            match annotation::parse_placeholder(line) {
                Some((symbol, x)) => {
                    let sym = list.symbol(symbol).ok_or_else(|| Error::Allowlist {
                        pos: self.pos.clone(),
                        message: format!(
                            "region uses the block of {symbol}, which has no [[symbol]] entry"
                        ),
                    })?;
                    let block = annotation::render(x, &sym.modules, &BlockText::canonical());
                    out.extend(block.into_iter().map(|l| (l, k)));
                }
                None => out.push((line.to_string(), k)),
            }
        }
        Ok(out)
    }
}

/// How many modules depend on a module: a count (as deps.dev reports it) or only its tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dependents {
    Count(u64),
    AtLeast(u64),
}

impl Dependents {
    /// The lower bound the series compares with tier thresholds.
    pub fn floor(self) -> u64 {
        match self {
            Dependents::Count(n) | Dependents::AtLeast(n) => n,
        }
    }
}

/// The tiers of go.dev/issue/67401's CL series, largest first; the final round follows.
pub const DEFAULT_TIERS: [u64; 10] = [
    100_000, 50_000, 20_000, 10_000, 5_000, 2_000, 1_000, 500, 200, 100,
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowlist {
    /// Free text: where the list came from.
    pub source: Option<String>,
    /// Dependents thresholds of the CL series, strictly decreasing.
    pub tiers: Vec<u64>,
    /// Dependents per module path; a module without an entry goes in the final round.
    pub dependents: BTreeMap<String, Dependents>,
    pub symbols: Vec<Symbol>,
    pub regions: Vec<Region>,
    /// Why annotations the tree still has may go: the removal CL's body quotes these.
    pub removed: Vec<Removal>,
}

/// A `[[removed]]` note: a symbol (or some of its modules) taken off the allowlist, and why
/// that breaks no one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub symbol: String,
    /// The modules taken off the symbol's list; empty: the whole entry.
    pub modules: Vec<String>,
    pub reason: String,
    pub pos: Pos,
}

impl Default for Allowlist {
    fn default() -> Self {
        Allowlist {
            source: None,
            tiers: DEFAULT_TIERS.to_vec(),
            dependents: BTreeMap::new(),
            symbols: Vec::new(),
            regions: Vec::new(),
            removed: Vec::new(),
        }
    }
}

impl Allowlist {
    /// Linker names before recorded renames and moves: apply and check govern them too.
    pub fn old_linker_names(&self) -> HashSet<String> {
        self.symbols
            .iter()
            .filter_map(Symbol::old_linker_name)
            .collect()
    }

    /// The linker names the allowlist governs: as they are, and the old names of recorded
    /// renames and moves (whose stale blocks it removes).
    pub fn governed_names(&self) -> HashSet<String> {
        let mut names = self.old_linker_names();
        names.extend(self.symbols.iter().map(Symbol::linker_name));
        names
    }

    /// Warnings for recorded renames and moves: each drops a linker name that the listed
    /// modules pull, so those programs stop linking.
    pub fn dropped_names(&self) -> Vec<String> {
        self.symbols
            .iter()
            .filter_map(|s| {
                let old = s.old_linker_name()?;
                let who = if s.modules.is_empty() {
                    "no module listed".to_string()
                } else {
                    s.modules
                        .iter()
                        .map(|m| module_path(m))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                Some(format!(
                    "{}: {} drops the linker name {old}; programs that pull it ({who}) will no longer link. To keep them linking, keep name = {:?} and record local = {:?}{}",
                    s.pos,
                    if s.renamed_from.is_some() { "renamed_from" } else { "moved_from" },
                    s.renamed_from.as_deref().unwrap_or(&s.name),
                    s.name,
                    match &s.moved_from {
                        Some(old_pkg) => format!(", package = {old_pkg:?}, in = {:?}", s.package),
                        None => String::new(),
                    }
                ))
            })
            .collect()
    }

    /// Every module path the symbols name, in first-appearance order.
    pub fn module_paths(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.symbols
            .iter()
            .flat_map(|s| s.modules.iter().map(|m| module_path(m)))
            .filter(|m| seen.insert(*m))
            .collect()
    }

    pub fn symbol(&self, linker_name: &str) -> Option<&Symbol> {
        self.symbols.iter().find(|s| s.is_named(linker_name))
    }

    /// Number of entries whose prose is carried as text, and regions: what `extract` reports.
    pub fn irregular_counts(&self) -> (usize, usize) {
        let prose = self
            .symbols
            .iter()
            .filter(|s| s.sites.iter().any(|site| site.text.is_irregular()))
            .count();
        (prose, self.regions.len())
    }
}

// ---- reading -------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    source: Option<String>,
    tiers: Option<Spanned<Vec<u64>>>,
    #[serde(default)]
    dependents: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default, rename = "symbol")]
    symbols: Vec<Spanned<SymbolSpec>>,
    #[serde(default, rename = "region")]
    regions: Vec<Spanned<RegionSpec>>,
    #[serde(default)]
    removed: Vec<Spanned<RemovedSpec>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemovedSpec {
    symbol: String,
    #[serde(default)]
    modules: Vec<String>,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SymbolSpec {
    package: String,
    name: String,
    renamed_from: Option<String>,
    moved_from: Option<String>,
    #[serde(default)]
    modules: Vec<String>,
    #[serde(default)]
    files: Vec<String>,
    #[serde(default, rename = "site")]
    sites: Vec<SiteSpec>,
    // The fields of a single site, written on the symbol itself (serde's flatten cannot be
    // combined with deny_unknown_fields, so they are repeated here).
    file: Option<String>,
    local: Option<String>,
    #[serde(rename = "in")]
    push_package: Option<String>,
    doc_of: Option<String>,
    directive: Option<String>,
    #[serde(default)]
    glued: bool,
    lead_name: Option<String>,
    lead: Option<String>,
    header: Option<bool>,
    tail: Option<String>,
    block: Option<String>,
}

impl SymbolSpec {
    fn own_site(&self) -> SiteSpec {
        SiteSpec {
            file: self.file.clone(),
            local: self.local.clone(),
            push_package: self.push_package.clone(),
            doc_of: self.doc_of.clone(),
            directive: self.directive.clone(),
            glued: self.glued,
            lead_name: self.lead_name.clone(),
            lead: self.lead.clone(),
            header: self.header,
            tail: self.tail.clone(),
            block: self.block.clone(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SiteSpec {
    file: Option<String>,
    local: Option<String>,
    #[serde(rename = "in")]
    push_package: Option<String>,
    doc_of: Option<String>,
    directive: Option<String>,
    #[serde(default)]
    glued: bool,
    lead_name: Option<String>,
    lead: Option<String>,
    header: Option<bool>,
    tail: Option<String>,
    block: Option<String>,
}

impl SiteSpec {
    fn is_empty(&self) -> bool {
        self.file.is_none()
            && self.local.is_none()
            && self.push_package.is_none()
            && self.doc_of.is_none()
            && self.directive.is_none()
            && !self.glued
            && self.lead_name.is_none()
            && self.lead.is_none()
            && self.header.is_none()
            && self.tail.is_none()
            && self.block.is_none()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionSpec {
    file: String,
    after: Option<String>,
    symbols: Vec<String>,
    text: Spanned<String>,
}

/// Line and column (1-based) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, col)
}

/// Line and column of many offsets in one text: the line starts found once, each position by a
/// binary search. [`line_col`] for every entry would count lines from the top each time, and
/// make loading quadratic in the number of entries.
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .collect();
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    /// What [`line_col`] gives for `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.len);
        let line = self.starts.partition_point(|&s| s <= offset);
        (line, offset - self.starts[line - 1] + 1)
    }
}

pub fn load(path: &str) -> Result<Allowlist> {
    let text = crate::readfile::read_text(
        std::path::Path::new(path),
        "an allowlist is UTF-8, as TOML is",
    )?;
    parse(path, &text)
}

pub fn parse(path: &str, text: &str) -> Result<Allowlist> {
    let lines = LineIndex::new(text);
    let at = |offset: usize| {
        let (line, col) = lines.line_col(offset);
        Pos {
            file: path.to_string(),
            line,
            col,
        }
    };
    let spec: FileSpec = toml::from_str(text).map_err(|e| Error::Allowlist {
        pos: at(e.span().map_or(0, |s| s.start)),
        message: e.message().trim().to_string(),
    })?;
    let mut list = Allowlist {
        source: spec.source,
        ..Default::default()
    };
    if let Some(tiers) = spec.tiers {
        let pos = at(tiers.span().start);
        let tiers = tiers.into_inner();
        if tiers.is_empty() || tiers.windows(2).any(|w| w[0] <= w[1]) {
            return Err(Error::Allowlist {
                pos,
                message: "tiers must be dependents thresholds, largest first, none repeated".into(),
            });
        }
        list.tiers = tiers;
    }
    for (module, value) in spec.dependents {
        let pos = at(value.span().start);
        let dependents = parse_dependents(value.get_ref()).ok_or_else(|| Error::Allowlist {
            pos,
            message: format!("dependents of {module}: expected a count or a tier like \">=50000\""),
        })?;
        list.dependents.insert(module, dependents);
    }
    let mut seen = HashSet::new();
    for (i, entry) in spec.symbols.into_iter().enumerate() {
        let pos = at(entry.span().start);
        let s = entry.into_inner();
        let own = s.own_site();
        let bad = |message: String| Error::Allowlist {
            pos: pos.clone(),
            message,
        };
        // A bad package or name is shown at its value, at the offending character.
        let at_field = |field: &str, message: String| Error::Allowlist {
            pos: value_pos(path, text, i, None, field, 0).unwrap_or_else(|| pos.clone()),
            message,
        };
        check_package(&s.package).map_err(|m| at_field("package", m))?;
        let sites = s.sites.iter().enumerate().map(|(j, site)| (Some(j), site));
        for (j, spec) in sites.chain([(None, &own)]) {
            // At the character itself: in a CRLF file that is the first line of the value, not
            // the entry's header.
            check_site_text(spec).map_err(|(field, k, message)| Error::Allowlist {
                pos: value_pos(path, text, i, j, field, k).unwrap_or_else(|| pos.clone()),
                message,
            })?;
        }
        if s.name.is_empty()
            || s.name
                .contains(|c: char| c.is_whitespace() || c.is_control() || is_bidi(c))
        {
            return Err(at_field(
                "name",
                format!(
                    "symbol name {:?} is not a Go identifier or method symbol",
                    s.name
                ),
            ));
        }
        let linker_name = format!("{}.{}", s.package, s.name);
        if !seen.insert(linker_name.clone()) {
            return Err(bad(format!("{linker_name} is listed twice")));
        }
        if let Some(old) = &s.renamed_from
            && (old.is_empty() || old.contains(char::is_whitespace) || *old == s.name)
        {
            return Err(bad(format!(
                "renamed_from = {old:?}: expected the symbol's previous name"
            )));
        }
        if let Some(old) = &s.moved_from {
            check_package(old).map_err(&bad)?;
            if *old == s.package {
                return Err(bad(format!(
                    "moved_from = {old:?} is the symbol's own package"
                )));
            }
        }
        let mut modules = HashSet::new();
        for (k, m) in s.modules.iter().enumerate() {
            // At the item, where it is written.
            let at_item = |message: String| Error::Allowlist {
                pos: item_pos(path, text, i, "modules", k).unwrap_or_else(|| pos.clone()),
                message,
            };
            check_module_item(m).map_err(at_item)?;
            if !modules.insert(module_path(m)) {
                return Err(at_item(format!(
                    "module {m} is listed twice for {linker_name}"
                )));
            }
        }
        let has_own = !own.is_empty() || !s.files.is_empty();
        if !s.sites.is_empty() && has_own {
            return Err(bad(
                "give site fields either on the symbol or in [[symbol.site]] tables, not both"
                    .into(),
            ));
        }
        let mut sites = Vec::new();
        if s.files.is_empty() {
            for spec in &s.sites {
                sites
                    .push(resolve_site(&s.package, &s.name, spec, spec.file.clone()).map_err(bad)?);
            }
            if s.sites.is_empty() && !own.is_empty() {
                sites.push(resolve_site(&s.package, &s.name, &own, own.file.clone()).map_err(bad)?);
            }
        } else {
            if own.file.is_some() {
                return Err(bad("give either file or files".into()));
            }
            for f in &s.files {
                sites.push(resolve_site(&s.package, &s.name, &own, Some(f.clone())).map_err(bad)?);
            }
        }
        list.symbols.push(Symbol {
            package: s.package,
            name: s.name,
            modules: s.modules,
            sites,
            renamed_from: s.renamed_from,
            moved_from: s.moved_from,
            pos,
        });
    }
    for entry in spec.regions {
        let pos = at(entry.span().start);
        let r = entry.into_inner();
        let bad = |message: String| Error::Allowlist {
            pos: pos.clone(),
            message,
        };
        check_inside(&r.file).map_err(|e| bad(e.to_string()))?;
        for sym in &r.symbols {
            if list.symbol(sym).is_none() {
                return Err(bad(format!(
                    "region names {sym}, which has no [[symbol]] entry"
                )));
            }
        }
        // Line k of the text, where the TOML shows it: a `'''` string starts on the next line.
        let text_start = r.text.span().start;
        let multiline =
            text[text_start..].starts_with("'''\n") || text[text_start..].starts_with("\"\"\"\n");
        let (first_line, _) = lines.line_col(text_start);
        let text_pos = |k: usize, col: usize| {
            if multiline {
                Pos {
                    file: path.to_string(),
                    line: first_line + 1 + k,
                    col,
                }
            } else {
                at(text_start)
            }
        };
        let region = Region {
            file: r.file,
            after: r.after,
            symbols: r.symbols,
            text: r.text.into_inner(),
            pos,
        };
        check_region(&region, &list, &text_pos)?;
        list.regions.push(region);
    }
    for entry in spec.removed {
        let pos = at(entry.span().start);
        let r = entry.into_inner();
        let bad = |message: String| Error::Allowlist {
            pos: pos.clone(),
            message,
        };
        if crate::go::name::split_linker_name(&r.symbol).is_none() {
            return Err(bad(format!(
                "removed symbol {:?} is not a linker name like runtime.memhash",
                r.symbol
            )));
        }
        for m in &r.modules {
            check_module_item(m).map_err(&bad)?;
        }
        if r.reason.trim().is_empty() || r.reason.contains(|c: char| c.is_control() && c != '\n') {
            return Err(bad(
                "removed: reason must say, in plain text, why no one pulls it any more".into(),
            ));
        }
        list.removed.push(Removal {
            symbol: r.symbol,
            modules: r.modules,
            reason: r.reason,
            pos,
        });
    }
    let known: HashSet<&str> = list.module_paths().into_iter().collect();
    if let Some(unknown) = list.dependents.keys().find(|m| !known.contains(m.as_str())) {
        return Err(Error::Allowlist {
            pos: at(text.find("[dependents]").unwrap_or(0)),
            message: format!("dependents lists {unknown}, which no symbol names"),
        });
    }
    // A symbol with no explicit site and no region gets the default doc site.
    let in_region: HashSet<String> = list
        .regions
        .iter()
        .flat_map(|r| r.symbols.iter().cloned())
        .collect();
    for s in &mut list.symbols {
        if s.sites.is_empty() && !in_region.contains(&s.linker_name()) {
            let site = resolve_site(&s.package, &s.name, &SiteSpec::default(), None).map_err(
                |message| Error::Allowlist {
                    pos: s.pos.clone(),
                    message,
                },
            )?;
            s.sites.push(site);
        }
    }
    Ok(list)
}

/// A `[dependents]` value: `1234` or `">=50000"` / `"≥50000"` (the tier without the count).
fn parse_dependents(value: &toml::Value) -> Option<Dependents> {
    match value {
        toml::Value::Integer(n) => u64::try_from(*n).ok().map(Dependents::Count),
        toml::Value::String(s) => {
            let n = s.strip_prefix(">=").or_else(|| s.strip_prefix('≥'))?;
            n.trim()
                .replace(',', "")
                .parse()
                .ok()
                .map(Dependents::AtLeast)
        }
        _ => None,
    }
}

/// A module path as the go command accepts one (the rules of golang.org/x/mod/module.CheckPath,
/// less the major-version suffix), optionally followed by a note: `gvisor.dev/gvisor (from
/// assembly)`. Anything else would put broken or injected lines into the Go tree.
pub fn check_module_item(item: &str) -> std::result::Result<(), String> {
    let (path, note) = match item.split_once(' ') {
        Some((p, n)) => (p, Some(n)),
        None => (item, None),
    };
    let bad = |why: &str| Err(format!("module {item:?} is not a module path: {why}"));
    if path.is_empty() {
        return bad("empty");
    }
    let elems: Vec<&str> = path.split('/').collect();
    if elems.iter().any(|e| e.is_empty()) {
        return bad("empty path element");
    }
    for e in &elems {
        if !e
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'))
        {
            return bad("only ASCII letters, digits and -._~ may appear in a path element");
        }
        if e.starts_with('.') || e.ends_with('.') {
            return bad("a path element may not start or end with a dot");
        }
    }
    let first = elems[0];
    if !first.contains('.')
        || first.starts_with('-')
        || first
            .chars()
            .any(|c| c.is_ascii_uppercase() || c == '_' || c == '~')
    {
        return bad("the first element must be a lower-case domain name such as github.com");
    }
    if let Some(note) = note {
        let inner = note.strip_prefix('(').and_then(|n| n.strip_suffix(')'));
        let printable =
            |t: &str| !t.is_empty() && !t.contains(|c: char| c.is_control() || is_bidi(c));
        if !inner.is_some_and(printable) {
            return bad(
                "after the path only a note in parentheses may follow, as in \"(from assembly)\"",
            );
        }
    }
    Ok(())
}

/// Characters that reorder how text is shown (CVE-2021-42574): never written into Go source.
fn is_bidi(c: char) -> bool {
    // U+FEFF too: Go rejects a byte order mark inside a file.
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{FEFF}')
}

/// Prose and names that go into comment lines: printable, one line where one is meant, no
/// trailing blanks (gofmt would remove them), and verbatim blocks made of `//` lines.
fn check_site_text(spec: &SiteSpec) -> std::result::Result<(), (&'static str, usize, String)> {
    let one_line = [
        ("local", &spec.local),
        ("in", &spec.push_package),
        ("doc_of", &spec.doc_of),
        ("lead_name", &spec.lead_name),
    ];
    let lines = [
        ("lead", &spec.lead),
        ("tail", &spec.tail),
        ("block", &spec.block),
    ];
    for (field, value) in one_line.iter().chain(&lines) {
        let Some(value) = value else { continue };
        let multi = lines.iter().any(|(f, _)| f == field);
        for (k, line) in value.split('\n').enumerate() {
            let at = if multi {
                format!("{field}, line {}", k + 1)
            } else {
                field.to_string()
            };
            if line.contains('\r') {
                return Err((
                    field,
                    k,
                    format!("{at}: carriage return (a CRLF allowlist?); Go source uses LF"),
                ));
            }
            if let Some(c) = line
                .chars()
                .find(|&c| (c.is_control() && c != '\t') || is_bidi(c))
            {
                return Err((field, k, format!("{at}: control character {c:?}")));
            }
            if !multi && k > 0 {
                return Err((field, k, format!("{field}: must be one line")));
            }
            if line.ends_with([' ', '\t']) {
                return Err((
                    field,
                    k,
                    format!("{at}: ends in blanks, which gofmt removes"),
                ));
            }
            if *field == "block" && !line.starts_with("//") {
                return Err((
                    field,
                    k,
                    format!("{at}: a verbatim block is made of // comment lines"),
                ));
            }
            if *field == "block"
                && let Some(why) = block_line_refusal(line)
            {
                return Err((field, k, format!("{at}: {why}")));
            }
        }
    }
    Ok(())
}

/// Why a verbatim block line cannot go into a doc comment as it is: a directive (`//go:nosplit`,
/// a second `//go:linkname`) is source, not prose, and gofmt moves it out of the text; a line
/// not of the form `//` or `// text` gofmt rewrites. Prose (`lead`, `tail`) is written after
/// `// `, so it cannot make either.
fn block_line_refusal(line: &str) -> Option<String> {
    if annotation::is_directive(line) {
        return Some(format!(
            "{line:?} is a directive; a block is comment prose (directives come from `directive`, other source from a [[region]])"
        ));
    }
    (line != "//" && !line.starts_with("// ")).then(|| {
        format!("{line:?}: block lines are `//` or `// text` (gofmt rewrites other comment lines)")
    })
}

/// Where the character that made line `k` of `field` of symbol entry `i` (site `j`, or the
/// entry's own fields) fail sits in the allowlist text: the first control or bidi character as
/// written, else an escape, else trailing blanks, else the line's start.
fn value_pos(
    path: &str,
    text: &str,
    i: usize,
    j: Option<usize>,
    field: &str,
    k: usize,
) -> Option<Pos> {
    let doc = toml_edit::Document::parse(text).ok()?;
    let entry = doc.get("symbol")?.as_array_of_tables()?.get(i)?;
    let table = match j {
        None => entry,
        Some(j) => entry.get("site")?.as_array_of_tables()?.get(j)?,
    };
    let span = table.get(field)?.span()?;
    let raw = text.get(span.clone())?;
    // A multi-line string's first newline (CRLF in a CRLF file) is not part of its value.
    let skip = ["\"\"\"", "'''"]
        .iter()
        .find(|q| raw.starts_with(*q))
        .map_or(0, |q| {
            let after = &raw[q.len()..];
            q.len()
                + if after.starts_with("\r\n") {
                    2
                } else {
                    usize::from(after.starts_with('\n'))
                }
        });
    let body = &raw[skip..];
    // Line k of a multi-line string is line k of the text; a one-line string has one.
    let start = if skip > 0 && k > 0 {
        body.match_indices('\n')
            .nth(k - 1)
            .map_or(0, |(n, _)| n + 1)
    } else {
        0
    };
    let line = body[start..].split('\n').next().unwrap_or("");
    let trimmed = line.trim_end_matches('\r');
    let within = line
        .find(|c: char| (c.is_control() && c != '\t') || is_bidi(c))
        .or_else(|| line.find('\\'))
        .or_else(|| {
            trimmed
                .ends_with([' ', '\t'])
                .then(|| trimmed.trim_end_matches([' ', '\t']).len())
        })
        .unwrap_or(0);
    let (line, col) = line_col(text, span.start + skip + start + within);
    Some(Pos {
        file: path.to_string(),
        line,
        col,
    })
}

/// Where item `k` of array `field` of symbol entry `i` is written.
fn item_pos(path: &str, text: &str, i: usize, field: &str, k: usize) -> Option<Pos> {
    let doc = toml_edit::Document::parse(text).ok()?;
    let entry = doc.get("symbol")?.as_array_of_tables()?.get(i)?;
    let span = entry.get(field)?.as_array()?.get(k)?.span()?;
    let (line, col) = line_col(text, span.start);
    Some(Pos {
        file: path.to_string(),
        line,
        col,
    })
}

/// A region's text renders to Go source: well-formed placeholders for listed symbols, no
/// control characters, and it parses (a whole file, or top-level declarations and comments).
fn check_region(
    region: &Region,
    list: &Allowlist,
    text_pos: &dyn Fn(usize, usize) -> Pos,
) -> Result<()> {
    let bad = |k: usize, col: usize, message: String| Error::Allowlist {
        pos: text_pos(k, col),
        message,
    };
    if region.text.trim().is_empty() {
        return Err(bad(0, 1, "region text is empty".into()));
    }
    for (k, line) in region.text.split('\n').enumerate() {
        if let Some(i) = line.find('\r') {
            return Err(bad(
                k,
                i + 1,
                "carriage return (a CRLF allowlist?); Go source uses LF".into(),
            ));
        }
        if let Some((i, c)) = line
            .char_indices()
            .find(|&(_, c)| (c.is_control() && c != '\t') || is_bidi(c))
        {
            return Err(bad(k, i + 1, format!("control character {c:?}")));
        }
        if line.starts_with("{{") && annotation::parse_placeholder(line).is_none() {
            return Err(bad(
                k,
                1,
                format!("{line:?} is not a placeholder: expected {{{{hall-of-shame SYMBOL X}}}}"),
            ));
        }
        if let Some((symbol, _)) = annotation::parse_placeholder(line)
            && list.symbol(symbol).is_none()
        {
            return Err(bad(
                k,
                1,
                format!("region uses the block of {symbol}, which has no [[symbol]] entry"),
            ));
        }
    }
    let rendered = region.render_mapped(list)?;
    let whole = region.after.is_none();
    // Inserted after a declaration, a package clause or an import would not parse in place.
    if !whole
        && let Some((_, k)) = rendered.iter().find(|(l, _)| {
            l.starts_with("package ") || l.starts_with("import ") || l.starts_with("import(")
        })
    {
        return Err(bad(
            *k,
            1,
            "a region inserted after a declaration cannot hold a package clause or an import; the file's imports are the tree's".into(),
        ));
    }
    // A region that is not a whole file is parsed under a package clause of two lines.
    let skip = if whole { 0 } else { 2 };
    let mut source = if whole {
        String::new()
    } else {
        "package p\n\n".to_string()
    };
    for (line, _) in &rendered {
        source.push_str(line);
        source.push('\n');
    }
    if let Err(Error::GoSyntax { pos, what }) =
        crate::go::syntax::GoFile::parse(&region.file, &source)
    {
        let k = pos
            .line
            .checked_sub(1 + skip)
            .and_then(|r| rendered.get(r))
            .map_or(0, |(_, k)| *k);
        return Err(bad(
            k,
            pos.col,
            format!("region text for {} is not Go source ({what})", region.file),
        ));
    }
    Ok(())
}

/// The module path of a list item (`gvisor.dev/gvisor (from assembly)` -> `gvisor.dev/gvisor`).
/// The module path of a list item: the item less a note in parentheses (`(from assembly)`).
/// Anything else after a blank stays, so that a message shows the whole item.
pub fn module_path(item: &str) -> &str {
    let item = item.trim();
    match item.find(" (") {
        Some(i) if item.ends_with(')') => item[..i].trim_end(),
        _ => item,
    }
}

fn check_package(pkg: &str) -> std::result::Result<(), String> {
    check_inside(pkg).map_err(|e| e.to_string())?;
    if pkg.is_empty() || pkg.contains(|c: char| c.is_whitespace() || c.is_control() || is_bidi(c)) {
        return Err(format!("package {pkg:?} is not an import path"));
    }
    Ok(())
}

fn resolve_site(
    package: &str,
    name: &str,
    spec: &SiteSpec,
    file: Option<String>,
) -> std::result::Result<DocSite, String> {
    if let Some(f) = &file {
        check_inside(f).map_err(|e| e.to_string())?;
        if !f.ends_with(".go") {
            return Err(format!("file {f:?} is not a .go file"));
        }
    }
    let push_package = spec
        .push_package
        .clone()
        .unwrap_or_else(|| package.to_string());
    check_package(&push_package)?;
    let local = match &spec.local {
        Some(l) => l.clone(),
        None if is_identifier(name) => name.to_string(),
        None => {
            return Err(format!(
                "{package}.{name} is not a plain identifier: say which stub pushes it with local"
            ));
        }
    };
    if !is_identifier(&local) {
        return Err(format!("local {local:?} is not a Go identifier"));
    }
    let directive = match spec.directive.as_deref() {
        None | Some("first") => DirectivePos::First,
        Some("last") => DirectivePos::Last,
        Some("none") => DirectivePos::None,
        Some(other) => {
            return Err(format!(
                "directive = {other:?}: expected \"first\", \"last\" or \"none\""
            ));
        }
    };
    let text = BlockText {
        lead_name: spec.lead_name.clone(),
        lead: spec.lead.clone(),
        header: spec.header.unwrap_or(true),
        tail: spec.tail.clone(),
        raw: spec.block.clone(),
    };
    Ok(DocSite {
        file,
        local,
        push_package,
        doc_of: spec.doc_of.clone(),
        directive,
        glued: spec.glued,
        text,
    })
}

pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

// ---- writing -------------------------------------------------------------------------------

/// Renders the allowlist as TOML. Multi-line text uses literal `'''` strings so it reads as the
/// Go comments it came from.
pub fn to_toml(list: &Allowlist, header_comment: &str) -> String {
    use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};
    let mut doc = DocumentMut::new();
    if let Some(source) = &list.source {
        doc["source"] = value(source.as_str());
    }
    doc.decor_mut().set_prefix(header_comment);
    if list.tiers != DEFAULT_TIERS {
        doc["tiers"] = value(Array::from_iter(list.tiers.iter().map(|&t| t as i64)));
    }
    if !list.dependents.is_empty() {
        let mut t = Table::new();
        for (module, d) in &list.dependents {
            t[module.as_str()] = match d {
                Dependents::Count(n) => value(*n as i64),
                Dependents::AtLeast(n) => value(format!(">={n}")),
            };
        }
        doc["dependents"] = Item::Table(t);
    }
    let mut symbols = ArrayOfTables::new();
    for s in &list.symbols {
        let mut t = Table::new();
        t["package"] = value(s.package.as_str());
        t["name"] = value(s.name.as_str());
        if let Some(old) = &s.renamed_from {
            t["renamed_from"] = value(old.as_str());
        }
        if let Some(old) = &s.moved_from {
            t["moved_from"] = value(old.as_str());
        }
        let mut modules = Array::new();
        for m in &s.modules {
            modules.push_formatted(toml_edit::Value::from(m.as_str()).decorated("\n    ", ""));
        }
        if !modules.is_empty() {
            modules.set_trailing(",\n");
        }
        t["modules"] = value(modules);
        let same_but_file =
            s.sites.len() > 1 && s.sites.iter().all(|x| x.same_but_file(&s.sites[0]));
        if s.sites.len() == 1 || same_but_file {
            write_site(&mut t, s, &s.sites[0]);
            if same_but_file {
                t.remove("file");
                let mut files = Array::new();
                for site in &s.sites {
                    files.push_formatted(
                        toml_edit::Value::from(site.file.clone().unwrap_or_default())
                            .decorated("\n    ", ""),
                    );
                }
                files.set_trailing(",\n");
                t["files"] = value(files);
            }
        } else if !s.sites.is_empty() {
            let mut sites = ArrayOfTables::new();
            for site in &s.sites {
                let mut st = Table::new();
                write_site(&mut st, s, site);
                sites.push(st);
            }
            t["site"] = Item::ArrayOfTables(sites);
        }
        symbols.push(t);
    }
    doc["symbol"] = Item::ArrayOfTables(symbols);
    let mut regions = ArrayOfTables::new();
    for r in &list.regions {
        let mut t = Table::new();
        t["file"] = value(r.file.as_str());
        if let Some(after) = &r.after {
            t["after"] = value(after.as_str());
        }
        let mut syms = Array::new();
        for s in &r.symbols {
            syms.push(s.as_str());
        }
        t["symbols"] = value(syms);
        t["text"] = multiline(&r.text);
        regions.push(t);
    }
    if !regions.is_empty() {
        doc["region"] = Item::ArrayOfTables(regions);
    }
    let mut removed = ArrayOfTables::new();
    for r in &list.removed {
        let mut t = Table::new();
        t["symbol"] = value(r.symbol.as_str());
        if !r.modules.is_empty() {
            t["modules"] = value(Array::from_iter(r.modules.iter().map(String::as_str)));
        }
        t["reason"] = multiline(&r.reason);
        removed.push(t);
    }
    if !removed.is_empty() {
        doc["removed"] = Item::ArrayOfTables(removed);
    }
    doc.to_string()
}

impl Allowlist {
    /// Keeps what the tree cannot tell from the allowlist this one replaces: tiers, counts (of
    /// modules still named), `[[removed]]` notes and the order of entries (new ones follow, in
    /// the tree's order).
    pub fn keep_from(&mut self, previous: &Allowlist) {
        self.tiers = previous.tiers.clone();
        let named: HashSet<String> = self.module_paths().iter().map(|m| m.to_string()).collect();
        self.dependents = previous
            .dependents
            .iter()
            .filter(|(m, _)| named.contains(*m))
            .map(|(m, d)| (m.clone(), *d))
            .collect();
        self.removed = previous.removed.clone();
        let rank = |s: &Symbol| {
            previous
                .symbols
                .iter()
                .position(|p| p.linker_name() == s.linker_name())
                .unwrap_or(usize::MAX)
        };
        self.symbols.sort_by_key(rank);
    }
}

/// `new` (an extracted allowlist) with the comments of `previous` (the allowlist it replaces)
/// carried over: the file's header comments (with a `Generated by` line brought up to date),
/// and the comments above, inside and beside every `[[symbol]]`, `[[region]]`, `[[removed]]`,
/// `[dependents]` entry and root key that still exists. Comments of entries the tree no longer
/// has go with them. When `previous` does not parse, `new` is returned as it is.
pub fn keep_comments(new: &str, previous: &str) -> String {
    use toml_edit::DocumentMut;
    let (Ok(mut doc), Ok(old)) = (new.parse::<DocumentMut>(), previous.parse::<DocumentMut>())
    else {
        return new.to_string();
    };
    // The header: the comment lines the file opens with.
    let header = |text: &str| -> String {
        text.lines()
            .take_while(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let (new_header, old_header) = (header(new), header(previous));
    let generated = |l: &str| l.starts_with("# Generated by `linkallow extract`");
    let kept_header = if old_header.trim().is_empty() {
        new_header.clone()
    } else {
        let fresh = new_header.lines().find(|l| generated(l));
        let mut h: String = old_header
            .lines()
            .map(|l| match fresh {
                Some(f) if generated(l) => format!("{f}\n"),
                _ => format!("{l}\n"),
            })
            .collect();
        if !h.ends_with("\n\n") {
            h.push('\n');
        }
        h
    };

    // Root keys (source, tiers) and the [dependents] table, key by key.
    copy_table_comments(doc.as_table_mut(), old.as_table(), false);
    // Entries, matched by what identifies them.
    let symbol_id = |t: &toml_edit::Table| {
        format!(
            "{}.{}",
            t.get("package").and_then(|v| v.as_str()).unwrap_or(""),
            t.get("name").and_then(|v| v.as_str()).unwrap_or("")
        )
    };
    let region_id = |t: &toml_edit::Table| {
        format!(
            "{}|{}|{}",
            t.get("file").and_then(|v| v.as_str()).unwrap_or(""),
            t.get("after").and_then(|v| v.as_str()).unwrap_or(""),
            t.get("symbols").map(|v| v.to_string()).unwrap_or_default()
        )
    };
    let removed_id = |t: &toml_edit::Table| {
        t.get("symbol")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    type Id<'a> = &'a dyn Fn(&toml_edit::Table) -> String;
    let ids: [(&str, Id); 3] = [
        ("symbol", &symbol_id),
        ("region", &region_id),
        ("removed", &removed_id),
    ];
    for (key, id) in ids {
        let Some(old_entries) = old.get(key).and_then(|i| i.as_array_of_tables()) else {
            continue;
        };
        let Some(entries) = doc.get_mut(key).and_then(|i| i.as_array_of_tables_mut()) else {
            continue;
        };
        for t in entries.iter_mut() {
            let me = id(t);
            if let Some(o) = old_entries.iter().find(|o| id(o) == me) {
                copy_table_comments(t, o, true);
            }
        }
    }
    if let Some(trailing) = old.trailing().as_str()
        && trailing.contains('#')
    {
        doc.set_trailing(trailing);
    }
    // The document opens with a header (the old one, copied with the first key's comments, or
    // the new one): replace it by the header kept above.
    let body = doc.to_string();
    let opening = header(&body);
    let body = body.get(opening.len()..).unwrap_or(&body);
    format!("{kept_header}{body}")
}

/// Copies comments from `old` to `new` for the keys both have: above a key, beside its value,
/// inside arrays (per item, for the items both have), and above the table itself when
/// `with_header` (an entry of an array of tables). A subtable (`[dependents]`) is copied the same
/// way, header included.
fn copy_table_comments(new: &mut toml_edit::Table, old: &toml_edit::Table, with_header: bool) {
    let has_comment = |d: &toml_edit::Decor| {
        d.prefix()
            .and_then(|p| p.as_str())
            .is_some_and(|p| p.contains('#'))
            || d.suffix()
                .and_then(|p| p.as_str())
                .is_some_and(|p| p.contains('#'))
    };
    if with_header && has_comment(old.decor()) {
        *new.decor_mut() = old.decor().clone();
    }
    let keys: Vec<String> = new.iter().map(|(k, _)| k.to_string()).collect();
    for k in keys {
        let (Some(old_key), Some(old_item)) = (old.key(&k), old.get(&k)) else {
            continue;
        };
        let Some((mut key, item)) = new.get_key_value_mut(&k) else {
            continue;
        };
        if has_comment(old_key.leaf_decor()) {
            *key.leaf_decor_mut() = old_key.leaf_decor().clone();
        }
        match (item, old_item) {
            (toml_edit::Item::Value(v), toml_edit::Item::Value(o)) => {
                if let Some(s) = o.decor().suffix().and_then(|s| s.as_str())
                    && s.contains('#')
                {
                    v.decor_mut().set_suffix(s.to_string());
                }
                if let (Some(arr), Some(old_arr)) = (v.as_array_mut(), o.as_array()) {
                    for item in arr.iter_mut() {
                        let same = old_arr
                            .iter()
                            .find(|x| x.as_str().is_some() && x.as_str() == item.as_str());
                        if let Some(x) = same
                            && has_comment(x.decor())
                        {
                            *item.decor_mut() = x.decor().clone();
                        }
                    }
                    if let Some(t) = old_arr.trailing().as_str()
                        && t.contains('#')
                    {
                        arr.set_trailing(t.to_string());
                    }
                }
            }
            (toml_edit::Item::Table(t), toml_edit::Item::Table(o)) => {
                copy_table_comments(t, o, true);
            }
            _ => {}
        }
    }
}

fn write_site(t: &mut toml_edit::Table, s: &Symbol, site: &DocSite) {
    use toml_edit::value;
    if let Some(f) = &site.file {
        t["file"] = value(f.as_str());
    }
    if site.local != s.name {
        t["local"] = value(site.local.as_str());
    }
    if site.push_package != s.package {
        t["in"] = value(site.push_package.as_str());
    }
    if let Some(d) = &site.doc_of {
        t["doc_of"] = value(d.as_str());
    }
    match site.directive {
        DirectivePos::First => {}
        DirectivePos::Last => t["directive"] = value("last"),
        DirectivePos::None => t["directive"] = value("none"),
    }
    if site.glued {
        t["glued"] = value(true);
    }
    let text = &site.text;
    if let Some(n) = &text.lead_name {
        t["lead_name"] = value(n.as_str());
    }
    if let Some(l) = &text.lead {
        t["lead"] = multiline(l);
    }
    if !text.header {
        t["header"] = value(false);
    }
    if let Some(tail) = &text.tail {
        t["tail"] = multiline(tail);
    }
    if let Some(raw) = &text.raw {
        t["block"] = multiline(raw);
    }
}

/// A string item, as a `'''` literal when it spans lines and contains nothing that needs escaping.
fn multiline(s: &str) -> toml_edit::Item {
    if s.contains('\n')
        && !s.contains("'''")
        && !s.ends_with('\'')
        && let Ok(v) = format!("'''\n{s}'''").parse::<toml_edit::Value>()
    {
        return toml_edit::Item::Value(v);
    }
    toml_edit::value(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quadratic_allowlist_parse_line_index_agrees_with_line_col() {
        for text in ["", "a", "\n", "ab\ncd\n\nxyz", "é\n名x\n"] {
            let lines = LineIndex::new(text);
            for offset in 0..=text.len() + 2 {
                if text.is_char_boundary(offset.min(text.len())) {
                    assert_eq!(
                        lines.line_col(offset),
                        line_col(text, offset),
                        "{text:?} at {offset}"
                    );
                }
            }
        }
    }

    #[test]
    fn malformed_toml_names_line_and_column() {
        let err = parse("a.toml", "[[symbol]]\npackage = \"runtime\"\nname = \n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("a.toml:3:"), "{err}");
    }

    #[test]
    fn unknown_field_is_an_error_at_its_entry() {
        let err = parse(
            "a.toml",
            "\n[[symbol]]\npackage = \"runtime\"\nname = \"x\"\nmodlues = []\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("a.toml:") && err.contains("modlues"), "{err}");
    }

    #[test]
    fn escaping_package_is_refused() {
        let err = parse("a.toml", "[[symbol]]\npackage = \"../etc\"\nname = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            // At the value, where the path is written.
            err.contains("a.toml:2:11") && err.contains("escapes"),
            "{err}"
        );
    }

    #[test]
    fn writes_what_it_reads() {
        let text = "[[symbol]]\npackage = \"runtime\"\nname = \"load_g\"\nmodules = [\"a.b/c\", \"d.e/f (from assembly)\"]\nfiles = [\"runtime/a.go\", \"runtime/b.go\"]\ntail = \"\"\n\n[[symbol]]\npackage = \"time\"\nname = \"now\"\n[[symbol.site]]\nfile = \"runtime/timestub.go\"\nlocal = \"time_now\"\nin = \"runtime\"\n[[symbol.site]]\nfile = \"time/time.go\"\ndoc_of = \"func now\"\ndirective = \"none\"\nlead = '''\nfree\ntext'''\n\n[[region]]\nfile = \"reflect/badlinkname.go\"\nsymbols = [\"time.now\"]\ntext = '''\npackage reflect\n'''\n";
        let list = parse("a.toml", text).unwrap();
        assert_eq!(list.symbols[0].sites.len(), 2);
        assert_eq!(
            list.symbols[1].sites[1].text.lead.as_deref(),
            Some("free\ntext")
        );
        let again = parse("b.toml", &to_toml(&list, "")).unwrap();
        let strip_pos = |l: &Allowlist| {
            l.symbols
                .iter()
                .map(|s| (s.linker_name(), s.modules.clone(), s.sites.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(strip_pos(&again), strip_pos(&list));
        assert_eq!(again.regions[0].text, list.regions[0].text);
    }
}
