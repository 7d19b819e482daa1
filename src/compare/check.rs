//! `check`: where tree and allowlist disagree, each as `file:line:col: message`.

use crate::allowlist::{Allowlist, DirectivePos, module_path};
use crate::compare::extract::extract;
use crate::diag::{DiagKind, Diagnostic};
use crate::error::{Pos, Result};
use crate::plan;
use crate::tree::index::TreeIndex;
use crate::tree::locate::{self, Locator};
use std::collections::{HashMap, HashSet};

pub fn check(
    index: &TreeIndex,
    list: &Allowlist,
    locator: &mut Locator,
) -> Result<Vec<Diagnostic>> {
    let found = extract(index, locator)?.list;
    // Lookups by linker name, built once: a search per entry would make check quadratic in the
    // allowlist's length.
    let mut found_by_name: HashMap<String, &crate::allowlist::Symbol> = HashMap::new();
    for s in &found.symbols {
        found_by_name.entry(s.linker_name()).or_insert(s);
    }
    let mut doc_of: HashMap<(&str, &str), &crate::tree::annotations::FoundDoc> = HashMap::new();
    for d in index.scans.values().flat_map(|s| &s.docs) {
        doc_of
            .entry((d.symbol.as_str(), d.site.local.as_str()))
            .or_insert(d);
    }
    let mut findings = Vec::new();
    let mut explained: HashSet<String> = HashSet::new();
    for sym in &list.symbols {
        let name = sym.linker_name();
        match found_by_name.get(&name).copied() {
            None => {
                if sym.sites.is_empty()
                    && let Some(region) = list.regions.iter().find(|r| r.symbols.contains(&name))
                {
                    explained.insert(region.file.clone());
                    findings.push(Diagnostic {
                        pos: Pos {
                            file: region.file.clone(),
                            line: 1,
                            col: 1,
                        },
                        kind: DiagKind::MissingBlock,
                        symbols: vec![name.clone()],
                        message: format!("{name}: region missing (allowlist {})", region.pos),
                    });
                }
                for site in &sym.sites {
                    let files = match locator.files_for(site) {
                        Ok(files) => files,
                        Err(e) => {
                            findings.push(Diagnostic {
                                pos: sym.pos.clone(),
                                kind: DiagKind::SymbolNotFound,
                                symbols: vec![name.clone()],
                                message: format!("{name}: {e}"),
                            });
                            continue;
                        }
                    };
                    if let Some(f) = files.iter().find(|f| !locator.tree().exists(f)) {
                        findings.push(Diagnostic {
                            pos: sym.pos.clone(),
                            kind: DiagKind::SymbolNotFound,
                            symbols: vec![name.clone()],
                            message: format!("{name}: file {f} not found in the tree"),
                        });
                        continue;
                    }
                    match files.first() {
                        None => {
                            let err = locate::not_found_message(index, list, locator, sym, site);
                            findings.push(Diagnostic {
                                pos: sym.pos.clone(),
                                kind: DiagKind::SymbolNotFound,
                                symbols: vec![name.clone()],
                                message: err,
                            });
                        }
                        Some(f) => {
                            explained.extend(files.iter().cloned());
                            // A named file that does not declare the site's name is apply's
                            // "does not declare" finding below, not a missing block.
                            if let Some(pos) = locator.decl_pos(f, site)? {
                                findings.push(Diagnostic {
                                    pos,
                                    kind: DiagKind::MissingBlock,
                                    symbols: vec![name.clone()],
                                    message: format!(
                                        "{name}: block missing (allowlist {})",
                                        sym.pos
                                    ),
                                });
                            }
                        }
                    }
                }
            }
            Some(there) => {
                if let Some(old) = &sym.renamed_from
                    && there
                        .sites
                        .iter()
                        .any(|s| s.text.lead_name.as_ref() == Some(old))
                {
                    findings.push(Diagnostic {
                        pos: there.pos.clone(),
                        kind: DiagKind::RenamePending,
                        symbols: vec![name.clone()],
                        message: format!(
                            "{name}: block still names {old} (renamed_from); apply updates it"
                        ),
                    });
                    explained.insert(there.pos.file.clone());
                }
                if there.modules != sym.modules {
                    let have: Vec<&str> = there.modules.iter().map(|m| module_path(m)).collect();
                    let want: Vec<&str> = sym.modules.iter().map(|m| module_path(m)).collect();
                    let missing: Vec<&str> =
                        want.iter().filter(|m| !have.contains(m)).copied().collect();
                    let extra: Vec<&str> =
                        have.iter().filter(|m| !want.contains(m)).copied().collect();
                    let detail = if missing.is_empty() && extra.is_empty() {
                        "same modules, other order or notes".to_string()
                    } else {
                        format!(
                            "missing [{}], not listed [{}]",
                            missing.join(", "),
                            extra.join(", ")
                        )
                    };
                    findings.push(Diagnostic {
                        pos: there.pos.clone(),
                        kind: DiagKind::ModulesDiffer,
                        symbols: vec![name.clone()],
                        message: format!(
                            "{name}: module list differs from the allowlist: {detail}"
                        ),
                    });
                    explained.insert(there.pos.file.clone());
                }
                for site in &sym.sites {
                    if site.directive == DirectivePos::None {
                        continue;
                    }
                    let in_tree = doc_of.get(&(name.as_str(), site.local.as_str()));
                    if let Some(doc) = in_tree
                        && doc.directive_row.is_none()
                    {
                        findings.push(Diagnostic {
                            pos: doc.pos.clone(),
                            kind: DiagKind::DirectiveMissing,
                            symbols: vec![name.clone()],
                            message: format!("{name}: //go:linkname {} missing", site.local),
                        });
                        explained.insert(doc.pos.file.clone());
                    }
                }
            }
        }
    }
    let old_names = list.old_linker_names();
    // Each lost symbol's best sighting, looked up once: (sighted block's symbol, lost symbol).
    let lost: Vec<(String, String)> = list
        .symbols
        .iter()
        .filter(|s| !found_by_name.contains_key(&s.linker_name()))
        .filter_map(|s| {
            let seen = crate::tree::hints::sightings(index, list, s)
                .into_iter()
                .next()?;
            Some((seen.symbol, s.linker_name()))
        })
        .collect();
    let listed: HashSet<String> = list.symbols.iter().map(|s| s.linker_name()).collect();
    for sym in &found.symbols {
        let name = sym.linker_name();
        if !listed.contains(&name) {
            // A lost symbol this block looks like: the rename or move to record.
            let lost = lost.iter().find(|(seen, _)| *seen == name).map(|(_, s)| s);
            let message = match lost {
                _ if old_names.contains(&name) => {
                    format!(
                        "{name}: block under the old name of a recorded rename or move; apply moves it"
                    )
                }
                Some(s) => format!(
                    "{name}: annotated in the tree but not in the allowlist; it looks like {s} renamed or moved"
                ),
                None => format!(
                    "{name}: annotated in the tree but not in the allowlist; apply --prune removes it (patches --prune makes the removal CL)"
                ),
            };
            findings.push(Diagnostic {
                pos: sym.pos.clone(),
                kind: DiagKind::StaleBlock,
                symbols: vec![name.clone()],
                message,
            });
            explained.insert(sym.pos.file.clone());
        }
    }
    // What apply cannot place is a finding; whatever else it would change is a layout
    // difference, named by its first line.
    let applied = plan::apply(
        index,
        list,
        plan::ApplyOptions {
            prune: false,
            skip_missing: true,
        },
        locator,
    )?;
    // Symbols already reported as not found.
    let not_found_in = |f: &Diagnostic| {
        if f.kind == DiagKind::SymbolNotFound {
            f.symbols.clone()
        } else {
            Vec::new()
        }
    };
    let mut not_found: HashSet<String> = findings.iter().flat_map(not_found_in).collect();
    for p in &applied.skipped {
        let reported = p.symbols.iter().all(|s| not_found.contains(s.as_str()));
        if p.kind == DiagKind::InTheWay || !reported {
            explained.insert(p.pos.file.clone());
            findings.push(Diagnostic {
                pos: p.pos.clone(),
                kind: p.kind,
                symbols: p.symbols.clone(),
                message: p.message.clone(),
            });
            not_found.extend(findings.last().map(not_found_in).unwrap_or_default());
        }
    }
    for change in &applied.changes {
        if explained.contains(&change.rel) {
            continue;
        }
        let old = change.old.as_deref().unwrap_or("");
        let new = change.new.as_deref().unwrap_or("");
        let line = old
            .lines()
            .zip(new.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(old.lines().count().min(new.lines().count()))
            + 1;
        findings.push(Diagnostic {
            pos: Pos {
                file: change.rel.clone(),
                line,
                col: 1,
            },
            kind: DiagKind::LayoutDiffers,
            symbols: Vec::new(),
            message: "annotation text or layout differs from what the allowlist renders".into(),
        });
    }
    findings.sort_by(|a, b| (&a.pos.file, a.pos.line).cmp(&(&b.pos.file, b.pos.line)));
    Ok(findings)
}

/// The findings as a JSON array of `{column, file, kind, line, message}` (keys sorted, as
/// they always were).
pub fn to_json(findings: &[Diagnostic]) -> String {
    let sorted = serde_json::to_value(findings).unwrap_or_default();
    let mut out = serde_json::to_string_pretty(&sorted).unwrap_or_else(|_| "[]".into());
    out.push('\n');
    out
}
