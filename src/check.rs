//! `check`: where tree and allowlist disagree, each as `file:line:col: message`.

use crate::allowlist::{Allowlist, DirectivePos, module_path};
use crate::error::{Pos, Result};
use crate::extract::extract;
use crate::index::TreeIndex;
use crate::plan::{self, Locator};
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub pos: Pos,
    /// A short stable word for tools: missing-block, stale-block, modules-differ, ...
    pub kind: &'static str,
    pub message: String,
}

pub fn check(index: &TreeIndex, list: &Allowlist, locator: &mut Locator) -> Result<Vec<Finding>> {
    let found = extract(index, locator)?.list;
    let mut findings = Vec::new();
    let mut explained: HashSet<String> = HashSet::new();
    for sym in &list.symbols {
        let name = sym.linker_name();
        match found.symbol(&name) {
            None => {
                if sym.sites.is_empty()
                    && let Some(region) = list.regions.iter().find(|r| r.symbols.contains(&name))
                {
                    explained.insert(region.file.clone());
                    findings.push(Finding {
                        pos: Pos {
                            file: region.file.clone(),
                            line: 1,
                            col: 1,
                        },
                        kind: "missing-block",
                        message: format!("{name}: region missing (allowlist {})", region.pos),
                    });
                }
                for site in &sym.sites {
                    let files = locator.files_for(site)?;
                    match files.first() {
                        None => {
                            let err = plan::not_found_message(index, list, locator, sym, site);
                            findings.push(Finding {
                                pos: sym.pos.clone(),
                                kind: "symbol-not-found",
                                message: err,
                            });
                        }
                        Some(f) => {
                            explained.extend(files.iter().cloned());
                            findings.push(Finding {
                                pos: locator.decl_pos(f, site)?.unwrap_or_else(|| Pos {
                                    file: f.clone(),
                                    line: 1,
                                    col: 1,
                                }),
                                kind: "missing-block",
                                message: format!("{name}: block missing (allowlist {})", sym.pos),
                            });
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
                    findings.push(Finding {
                        pos: there.pos.clone(),
                        kind: "rename-pending",
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
                    findings.push(Finding {
                        pos: there.pos.clone(),
                        kind: "modules-differ",
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
                    let in_tree = index
                        .scans
                        .values()
                        .flat_map(|s| &s.docs)
                        .find(|d| d.symbol == name && d.site.local == site.local);
                    if let Some(doc) = in_tree
                        && doc.directive_row.is_none()
                    {
                        findings.push(Finding {
                            pos: doc.pos.clone(),
                            kind: "directive-missing",
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
        .filter(|s| found.symbol(&s.linker_name()).is_none())
        .filter_map(|s| {
            let seen = crate::relocate::sightings(index, list, s)
                .into_iter()
                .next()?;
            Some((seen.symbol, s.linker_name()))
        })
        .collect();
    for sym in &found.symbols {
        let name = sym.linker_name();
        if list.symbol(&name).is_none() {
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
                None => format!("{name}: annotated in the tree but not in the allowlist"),
            };
            findings.push(Finding {
                pos: sym.pos.clone(),
                kind: "stale-block",
                message,
            });
            explained.insert(sym.pos.file.clone());
        }
    }
    // Whatever else apply would change is a layout difference; name its first line.
    // Symbols already reported as not found cannot be planned; leave them out.
    let mut plannable = list.clone();
    let lost: HashSet<String> = findings
        .iter()
        .filter(|f| f.kind == "symbol-not-found")
        .filter_map(|f| f.message.split(':').next().map(str::to_string))
        .collect();
    plannable
        .symbols
        .retain(|s| !lost.contains(&s.linker_name()));
    plannable
        .regions
        .retain(|r| r.symbols.iter().all(|s| !lost.contains(s)));
    let applied = plan::apply(index, &plannable, false, locator)?;
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
        findings.push(Finding {
            pos: Pos {
                file: change.rel.clone(),
                line,
                col: 1,
            },
            kind: "layout-differs",
            message: "annotation text or layout differs from what the allowlist renders".into(),
        });
    }
    findings.sort_by(|a, b| (&a.pos.file, a.pos.line).cmp(&(&b.pos.file, b.pos.line)));
    Ok(findings)
}

/// JSON without a serializer dependency: the shape is small and fixed.
pub fn to_json(findings: &[Finding]) -> String {
    let esc = |s: &str| {
        let mut o = String::new();
        for c in s.chars() {
            match c {
                '"' => o.push_str("\\\""),
                '\\' => o.push_str("\\\\"),
                '\n' => o.push_str("\\n"),
                c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
                c => o.push(c),
            }
        }
        o
    };
    let items: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "  {{\"file\": \"{}\", \"line\": {}, \"column\": {}, \"kind\": \"{}\", \"message\": \"{}\"}}",
                esc(&f.pos.file),
                f.pos.line,
                f.pos.col,
                f.kind,
                esc(&f.message)
            )
        })
        .collect();
    if items.is_empty() {
        "[]\n".into()
    } else {
        format!("[\n{}\n]\n", items.join(",\n"))
    }
}
