//! Where a symbol went when the tree no longer declares it: the stale hall-of-shame block that
//! still names it, or lists its modules, on a declaration of another name or in another package.
//! This turns "not found" after a standard-library rename or move into the allowlist edit to make.

use crate::allowlist::{Allowlist, Symbol, module_path};
use crate::error::Pos;
use crate::go::name::split_linker_name;
use crate::tree::index::TreeIndex;
use std::collections::BTreeSet;

/// A block in the tree that looks like the lost symbol's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// The linker symbol the block is recorded under now.
    pub symbol: String,
    /// Key of the declaration it sits on (`func convertAssignValue`).
    pub decl: String,
    pub pos: Pos,
}

fn module_set(modules: &[String]) -> BTreeSet<&str> {
    modules.iter().map(|m| module_path(m)).collect()
}

/// Blocks the allowlist does not govern that name `sym` in their lead sentence, list exactly its
/// modules, or sit on a declaration of its name in another package. Best match first.
pub fn sightings(index: &TreeIndex, list: &Allowlist, sym: &Symbol) -> Vec<Sighting> {
    let old_names = list.old_linker_names();
    let governed = |s: &str| list.symbol(s).is_some() || old_names.contains(s);
    let wanted = module_set(&sym.modules);
    let mut found: Vec<(usize, Sighting)> = Vec::new();
    let own = sym.linker_name();
    for scan in index.scans.values() {
        for doc in &scan.docs {
            if doc.symbol == own {
                continue;
            }
            let names_it = doc.site.text.lead_name.as_deref() == Some(sym.name.as_str());
            let same_modules = !wanted.is_empty() && module_set(&doc.modules) == wanted;
            let same_name = split_linker_name(&doc.symbol)
                .is_some_and(|(p, n)| n == sym.name && p != sym.package);
            let score =
                usize::from(names_it) * 2 + usize::from(same_modules) * 2 + usize::from(same_name);
            // Whether the allowlist governs the block is asked last: it is the costly test.
            if score > 0 && !governed(&doc.symbol) {
                let decl = doc
                    .site
                    .doc_of
                    .clone()
                    .or_else(|| scan.file.decl_declaring(&doc.site.local).map(|d| d.key()))
                    .unwrap_or_else(|| format!("declaration of {}", doc.site.local));
                found.push((
                    score,
                    Sighting {
                        symbol: doc.symbol.clone(),
                        decl,
                        pos: doc.pos.clone(),
                    },
                ));
            }
        }
    }
    found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.pos.file.cmp(&b.1.pos.file)));
    found.into_iter().map(|(_, s)| s).collect()
}

/// The allowlist edit a sighting suggests, as a sentence.
pub fn suggestion(sym: &Symbol, seen: &Sighting) -> String {
    let Some((package, name)) = split_linker_name(&seen.symbol) else {
        return String::new();
    };
    let mut record = Vec::new();
    let mut what = Vec::new();
    if package != sym.package {
        what.push(format!("moved to package {package}"));
        record.push(format!(
            "package = {package:?}, moved_from = {:?}",
            sym.package
        ));
    }
    if name != sym.name {
        what.push(format!("renamed to {name}"));
        record.push(format!("name = {name:?}, renamed_from = {:?}", sym.name));
    }
    let mut text = format!(
        "its block now sits on {} at {}, pushed as {}",
        seen.decl, seen.pos, seen.symbol
    );
    if !what.is_empty() {
        // Keeping the old linker name is what keeps the listed modules linking: say that first.
        let keep = if package == sym.package {
            format!("local = {name:?}")
        } else {
            format!("in = {package:?}, local = {name:?}")
        };
        text.push_str(&format!(
            "; if it was {}, record {keep} in the allowlist entry, so that the new declaration pushes the old name {} and its pullers keep linking (recording {} instead drops {} and breaks the listed modules)",
            what.join(" and "),
            sym.linker_name(),
            record.join(", "),
            sym.linker_name()
        ));
    }
    text
}

/// A lost symbol's best sighting as a hint, if any.
pub fn hint(index: &TreeIndex, list: &Allowlist, sym: &Symbol) -> Option<String> {
    sightings(index, list, sym)
        .first()
        .map(|seen| suggestion(sym, seen))
}
