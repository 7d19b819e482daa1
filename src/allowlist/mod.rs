//! `allowlist.toml`: which symbols are legacy-pulled, by which modules, and the few layout facts the
//! tree cannot tell us. Loaded with serde (unknown fields are errors, with line and column), written
//! with toml_edit so the file stays readable.

pub mod counts;
pub mod patch;
pub mod read;
pub mod validate;
pub mod write;

use crate::annotation::{self, BlockText};
use crate::error::{Error, Pos, Result};
use std::collections::{BTreeMap, HashSet};

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

/// The module path of a list item: the item less a note in parentheses (`(from assembly)`).
/// Anything else after a blank stays, so that a message shows the whole item.
pub fn module_path(item: &str) -> &str {
    let item = item.trim();
    match item.find(" (") {
        Some(i) if item.ends_with(')') => item[..i].trim_end(),
        _ => item,
    }
}
