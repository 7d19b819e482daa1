//! `extract`: the allowlist that regenerates an annotated tree. Symbols come out in tree order
//! (by file, then line), modules in the order the tree lists them, and a field is written only
//! where the default would not give the tree back.

use crate::allowlist::{Allowlist, DocSite, Symbol};
use crate::error::{Pos, Result};
use crate::go::name::split_linker_name;
use crate::tree::index::TreeIndex;
use crate::tree::locate::Locator;

pub struct Extracted {
    pub list: Allowlist,
    /// Symbols whose sites disagree about their modules: (symbol, where).
    pub warnings: Vec<String>,
}

pub fn extract(index: &TreeIndex, locator: &mut Locator) -> Result<Extracted> {
    let Extracted { mut list, warnings } = annotations(index);
    // Leave out what the defaults give back: the file when it is the only one declaring the name,
    // all files when every declaring file carries the same block.
    let mut defaults: Vec<(usize, DocSite)> = Vec::new();
    for (i, sym) in list.symbols.iter().enumerate() {
        let in_region = list
            .regions
            .iter()
            .any(|r| r.symbols.contains(&sym.linker_name()));
        let Some(site) = sym.sites.first().filter(|_| !in_region) else {
            continue;
        };
        let first = DocSite {
            file: None,
            ..site.clone()
        };
        if sym.sites.iter().all(|s| s.same_but_file(&first)) {
            defaults.push((i, first));
        }
    }
    locator.prefetch(defaults.iter().map(|(_, site)| site));
    for (i, first) in defaults {
        let sym = &mut list.symbols[i];
        let mut files: Vec<String> = sym.sites.iter().filter_map(|s| s.file.clone()).collect();
        files.sort();
        if locator.files_for(&first)? == files {
            sym.sites = vec![first];
        }
    }
    Ok(Extracted { list, warnings })
}

/// The tree's annotations as allowlist entries, in tree order, every site naming its file.
pub fn annotations(index: &TreeIndex) -> Extracted {
    let mut list = Allowlist::default();
    let mut warnings = Vec::new();
    // Each symbol's entry by linker name: a search of the list per block would be quadratic.
    let mut entry_of: std::collections::HashMap<String, usize> = Default::default();
    let mut add = |list: &mut Allowlist,
                   symbol: &str,
                   modules: &[String],
                   site: Option<DocSite>,
                   pos: &Pos,
                   warnings: &mut Vec<String>| {
        let (package, name) = split_linker_name(symbol).unwrap_or((symbol, ""));
        match entry_of.get(symbol).map(|&i| &mut list.symbols[i]) {
            Some(existing) => {
                if existing.modules != modules && !modules.is_empty() {
                    warnings.push(format!(
                        "{pos}: {symbol} lists other modules than at {}",
                        existing.pos
                    ));
                }
                existing.sites.extend(site);
            }
            None => {
                entry_of.insert(symbol.to_string(), list.symbols.len());
                list.symbols.push(Symbol {
                    package: package.to_string(),
                    name: name.to_string(),
                    modules: modules.to_vec(),
                    sites: site.into_iter().collect(),
                    renamed_from: None,
                    moved_from: None,
                    pos: pos.clone(),
                })
            }
        }
    };
    for scan in index.scans.values() {
        // Doc sites and regions in file order.
        let mut items: Vec<(usize, bool, usize)> = Vec::new();
        items.extend(
            scan.docs
                .iter()
                .enumerate()
                .map(|(i, d)| (d.block.0, true, i)),
        );
        items.extend(
            scan.regions
                .iter()
                .enumerate()
                .map(|(i, r)| (r.rows.0, false, i)),
        );
        items.sort();
        for (_, is_doc, i) in items {
            if is_doc {
                let doc = &scan.docs[i];
                add(
                    &mut list,
                    &doc.symbol,
                    &doc.modules,
                    Some(doc.site.clone()),
                    &doc.pos,
                    &mut warnings,
                );
            } else {
                let found = &scan.regions[i];
                for (symbol, modules) in &found.modules {
                    add(
                        &mut list,
                        symbol,
                        modules,
                        None,
                        &found.region.pos,
                        &mut warnings,
                    );
                }
                list.regions.push(found.region.clone());
            }
        }
    }
    Extracted { list, warnings }
}
