//! Reading an allowlist: the serde specs, `parse` (which checks every entry through
//! [`super::validate`]) and the positions of values and items in the text.

use super::validate::{
    SiteSpec, check_module_item, check_package, check_region, check_site_text, is_bidi,
    resolve_site,
};
use super::{Allowlist, Dependents, Region, Removal, Symbol, module_path};
use crate::error::{Error, Pos, Result};
use crate::readfile::check_inside;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use toml::Spanned;

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
        list.symbols.push(read_symbol(
            path,
            text,
            i,
            entry.into_inner(),
            pos,
            &mut seen,
        )?);
    }
    for entry in spec.regions {
        let pos = at(entry.span().start);
        list.regions.push(read_region(
            path,
            text,
            &lines,
            entry.into_inner(),
            pos,
            &list,
        )?);
    }
    for entry in spec.removed {
        let pos = at(entry.span().start);
        list.removed.push(read_removal(entry.into_inner(), pos)?);
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

/// The `i`th `[[symbol]]` entry checked and its sites resolved; `seen` holds the linker names
/// of the entries before it.
fn read_symbol(
    path: &str,
    text: &str,
    i: usize,
    s: SymbolSpec,
    pos: Pos,
    seen: &mut HashSet<String>,
) -> Result<Symbol> {
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
            "give site fields either on the symbol or in [[symbol.site]] tables, not both".into(),
        ));
    }
    let mut sites = Vec::new();
    if s.files.is_empty() {
        for spec in &s.sites {
            sites.push(resolve_site(&s.package, &s.name, spec, spec.file.clone()).map_err(bad)?);
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
    Ok(Symbol {
        package: s.package,
        name: s.name,
        modules: s.modules,
        sites,
        renamed_from: s.renamed_from,
        moved_from: s.moved_from,
        pos,
    })
}

/// One `[[region]]` entry, checked against the symbols read before it.
fn read_region(
    path: &str,
    text: &str,
    lines: &LineIndex,
    r: RegionSpec,
    pos: Pos,
    list: &Allowlist,
) -> Result<Region> {
    let at = |offset: usize| {
        let (line, col) = lines.line_col(offset);
        Pos {
            file: path.to_string(),
            line,
            col,
        }
    };
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
    check_region(&region, list, &text_pos)?;
    Ok(region)
}

/// One `[[removed]]` note, checked.
fn read_removal(r: RemovedSpec, pos: Pos) -> Result<Removal> {
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
    Ok(Removal {
        symbol: r.symbol,
        modules: r.modules,
        reason: r.reason,
        pos,
    })
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
}
