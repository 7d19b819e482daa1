//! The CL series: one change per dependents tier, the way go.dev/issue/67401 landed. The tree
//! after stage k is exactly `apply` of the allowlist restricted to what stage k reaches, computed
//! over the same base tree; a step is the difference between two consecutive states.

pub mod commit;
pub mod mbox;
pub mod message;

use crate::allowlist::{Allowlist, Symbol, module_path};
use crate::edit::FileChange;
use crate::error::Result;
use crate::plan;
use crate::tree::index::TreeIndex;
use crate::tree::locate::Locator;
use crate::tree::{Tree, dir_of};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// A linker name the series drops: `old` is now `new`, and the modules that pull `old` no
/// longer link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    pub old: String,
    pub new: String,
    pub modules: Vec<String>,
}

/// What a stage adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageKind {
    /// Modules the allowlist no longer lists for a symbol, and (with `--prune`) annotations of
    /// symbols it no longer lists, taken out: the removal CL, reviewed on its own.
    Removal,
    /// Blocks the base tree already has, brought in line with the allowlist (renames, moves,
    /// prose): reviewed on their own, before anything new.
    Update,
    /// Modules with at least this many dependents.
    Tier(u64),
    /// Modules without a count or below the last tier, and symbols without modules.
    Final,
}

impl StageKind {
    /// A stable name for the stage: the Change-Id is derived from it.
    pub fn key(self) -> String {
        match self {
            StageKind::Removal => "removal".into(),
            StageKind::Update => "update".into(),
            StageKind::Tier(t) => format!("tier-{t}"),
            StageKind::Final => "final".into(),
        }
    }
}

/// One reviewable change of the series.
#[derive(Debug)]
pub struct Step {
    pub kind: StageKind,
    /// Files changed from the previous state, sorted by path.
    pub changes: Vec<FileChange>,
    /// Symbols first documented by this step.
    pub new_symbols: Vec<String>,
    /// Modules this step adds, with their dependents as the allowlist gives them.
    pub new_modules: Vec<(String, Option<crate::allowlist::Dependents>)>,
    /// Recorded renames and moves this step carries out: the old linker name stops existing.
    pub renames: Vec<Rename>,
    /// What a removal step takes out.
    pub removed: Vec<Removed>,
}

/// A symbol's whole annotation (no modules) or some of its modules, taken out.
pub type Removed = (String, Vec<String>);

impl Step {
    /// Packages (import paths) whose files the step touches, sorted.
    pub fn packages(&self, tree: &Tree) -> Vec<String> {
        let set: BTreeSet<String> = self
            .changes
            .iter()
            .map(|c| tree.import_path(dir_of(&c.rel)))
            .collect();
        set.into_iter().collect()
    }
}

/// Module paths each symbol's blocks list in a tree, by linker name. A block whose lead sentence
/// still names an old declaration counts for that name too, so a recorded rename carries its
/// modules over.
pub fn documented(index: &TreeIndex) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for scan in index.scans.values() {
        for doc in &scan.docs {
            let modules = doc.modules.iter().map(|m| module_path(m).to_string());
            for name in std::iter::once(doc.symbol.clone()).chain(doc.lead_claim(&scan.package)) {
                out.entry(name).or_default().extend(modules.clone());
            }
        }
        for region in &scan.regions {
            for (symbol, modules) in &region.modules {
                let set = out.entry(symbol.clone()).or_default();
                set.extend(modules.iter().map(|m| module_path(m).to_string()));
            }
        }
    }
    out
}

/// What the base tree already documents for a symbol, under its name or its recorded old name.
fn documented_for(
    documented: &BTreeMap<String, BTreeSet<String>>,
    sym: &Symbol,
) -> Option<BTreeSet<String>> {
    let names = std::iter::once(sym.linker_name()).chain(sym.old_linker_name());
    let found: Vec<&BTreeSet<String>> = names.filter_map(|n| documented.get(&n)).collect();
    (!found.is_empty()).then(|| found.into_iter().flatten().cloned().collect())
}

/// The allowlist as stage `kind` leaves the tree: what the base documents, plus modules with at
/// least the tier's dependents. Regions are verbatim source and cannot be split: a region comes
/// whole, with all its symbols' modules, in the first stage that reaches any of its symbols.
pub fn restrict(
    list: &Allowlist,
    documented: &BTreeMap<String, BTreeSet<String>>,
    kind: StageKind,
) -> Allowlist {
    if kind == StageKind::Final {
        return list.clone();
    }
    let reaches = |m: &str| match kind {
        StageKind::Tier(t) => list.dependents.get(m).is_some_and(|d| d.floor() >= t),
        _ => false,
    };
    let mut modules: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for sym in &list.symbols {
        let known = documented_for(documented, sym);
        let kept: Vec<String> = sym
            .modules
            .iter()
            .filter(|m| {
                let path = module_path(m);
                reaches(path) || known.as_ref().is_some_and(|k| k.contains(path))
            })
            .cloned()
            .collect();
        if known.is_some() || !kept.is_empty() {
            modules.insert(sym.linker_name(), kept);
        }
    }
    // Whole regions: repeat until no region pulls in another symbol.
    let mut regions: Vec<bool> = vec![false; list.regions.len()];
    loop {
        let mut grew = false;
        for (i, region) in list.regions.iter().enumerate() {
            if regions[i] || !region.symbols.iter().any(|s| modules.contains_key(s)) {
                continue;
            }
            regions[i] = true;
            grew = true;
            for s in &region.symbols {
                if let Some(sym) = list.symbol(s) {
                    modules.insert(s.clone(), sym.modules.clone());
                }
            }
        }
        if !grew {
            break;
        }
    }
    let mut out = list.clone();
    out.symbols
        .retain(|s| modules.contains_key(&s.linker_name()));
    for sym in &mut out.symbols {
        sym.modules = modules.remove(&sym.linker_name()).unwrap_or_default();
    }
    let mut keep = regions.into_iter();
    out.regions.retain(|_| keep.next().unwrap_or(false));
    out
}

/// The stages in order: the removal, the update of what the base documents, each tier, the
/// final round.
pub fn stage_kinds(list: &Allowlist) -> Vec<StageKind> {
    [StageKind::Removal, StageKind::Update]
        .into_iter()
        .chain(list.tiers.iter().map(|&t| StageKind::Tier(t)))
        .chain(std::iter::once(StageKind::Final))
        .collect()
}

/// The base tree's own annotations (as extract reads them, so they render back byte for byte)
/// less what the allowlist no longer lists: the state after the removal step, and what it
/// removes.
fn removal_list(
    index: &TreeIndex,
    list: &Allowlist,
    locator: &mut Locator,
    prune: bool,
) -> Result<(Allowlist, Vec<Removed>)> {
    let mut found = crate::compare::extract::extract(index, locator)?.list;
    let mut removed = Vec::new();
    let listed = list.governed_names();
    if prune {
        found.symbols.retain(|s| {
            let keep = listed.contains(&s.linker_name());
            if !keep {
                removed.push((s.linker_name(), Vec::new()));
            }
            keep
        });
    }
    for sym in &mut found.symbols {
        let name = sym.linker_name();
        let Some(listed) = list.symbol(&name) else {
            continue;
        };
        let wanted: HashSet<&str> = listed.modules.iter().map(|m| module_path(m)).collect();
        let gone: Vec<String> = sym
            .modules
            .iter()
            .filter(|m| !wanted.contains(module_path(m)))
            .map(|m| module_path(m).to_string())
            .collect();
        if !gone.is_empty() {
            sym.modules.retain(|m| wanted.contains(module_path(m)));
            removed.push((name, gone));
        }
    }
    let kept: HashSet<String> = found.symbols.iter().map(Symbol::linker_name).collect();
    found
        .regions
        .retain(|r| r.symbols.iter().any(|s| kept.contains(s)));
    Ok((found, removed))
}

/// A planned series, and what the tree it was planned on says about earlier rounds.
pub struct Series {
    pub steps: Vec<Step>,
    /// Whether the tree already carries hall-of-shame annotations.
    pub annotated: bool,
    /// Symbols the tree annotates that the allowlist no longer lists: what only `--prune`
    /// removes.
    pub unlisted: Vec<String>,
}

/// The series for `tree`: from the tree as it is, or (`from_stripped`) from `strip` of it, which
/// regenerates every annotation. The stripped tree lives in memory; nothing is written. The
/// tree is read once: the stripped tree's index is the tree's, with strip's files indexed again.
pub fn plan_series(
    tree: &Tree,
    list: &Allowlist,
    from_stripped: bool,
    prune: bool,
) -> Result<Series> {
    let index = TreeIndex::build(tree)?;
    // What strip would take out: a region it keeps because std pulls its symbol (go1.26's
    // syscall.utimensat) is not an annotation of an earlier round.
    let annotated = index.scans.values().any(|s| {
        !s.docs.is_empty()
            || s.regions.iter().any(|r| {
                !r.region
                    .symbols
                    .iter()
                    .any(|sym| index.pulled_in_tree.contains(sym))
            })
    });
    let listed = list.governed_names();
    let unlisted: Vec<String> = crate::compare::extract::annotations(&index)
        .list
        .symbols
        .iter()
        .map(Symbol::linker_name)
        .filter(|n| !listed.contains(n))
        .collect();
    let steps = if from_stripped {
        let mut stripped = plan::strip(&index)?;
        let base = tree.with_overlay(
            stripped
                .changes
                .iter()
                .map(|c| (c.rel.clone(), c.new.clone())),
        );
        let index = index.with_changes(&base, &stripped.changes, &mut stripped.parsed)?;
        let mut locator = Locator::new(&base, &index);
        // Files strip changed that hold no marker any more were parsed by strip all the same.
        locator.remember(stripped.parsed);
        steps(&index, list, &mut locator, prune)?
    } else {
        let mut locator = Locator::new(tree, &index);
        steps(&index, list, &mut locator, prune)?
    };
    Ok(Series {
        steps,
        annotated,
        unlisted,
    })
}

/// The steps that take the base tree (the one `index` was built from) to `apply` of the whole
/// allowlist, one per non-empty stage.
pub fn steps(
    index: &TreeIndex,
    list: &Allowlist,
    locator: &mut Locator,
    prune: bool,
) -> Result<Vec<Step>> {
    let documented = documented(index);
    // Base text of every file any stage touches, and each state as changed files.
    let mut base: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut previous_state: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut previous_list: Option<Allowlist> = None;
    let mut steps = Vec::new();
    // A stage re-plans only the files whose inputs changed since the stage before; the memo
    // holds one stage's plans, so memory does not grow with the number of stages.
    let mut memo = plan::PlanMemo::default();
    for kind in stage_kinds(list) {
        let (restricted, removed) = match kind {
            StageKind::Removal => removal_list(index, list, locator, prune)?,
            _ => (restrict(list, &documented, kind), Vec::new()),
        };
        let applied = plan::apply_remembering(
            index,
            &restricted,
            plan::ApplyOptions {
                prune,
                skip_missing: false,
            },
            locator,
            Some(&mut memo),
        )?;
        let mut state = BTreeMap::new();
        for c in applied.changes {
            base.entry(c.rel.clone()).or_insert(c.old);
            state.insert(c.rel, c.new);
        }
        let files: BTreeSet<&String> = state.keys().chain(previous_state.keys()).collect();
        let mut changes = Vec::new();
        for rel in files {
            let at = |s: &BTreeMap<String, Option<String>>| {
                s.get(rel).or_else(|| base.get(rel)).cloned().flatten()
            };
            let (old, new) = (at(&previous_state), at(&state));
            if old != new {
                changes.push(FileChange {
                    rel: rel.clone(),
                    old,
                    new,
                });
            }
        }
        if !changes.is_empty() {
            let mut step = describe(
                kind,
                changes,
                previous_list.as_ref(),
                &restricted,
                &documented,
            );
            step.removed = removed;
            steps.push(step);
        }
        previous_state = state;
        previous_list = Some(restricted);
    }
    Ok(steps)
}

fn describe(
    kind: StageKind,
    changes: Vec<FileChange>,
    before: Option<&Allowlist>,
    after: &Allowlist,
    documented: &BTreeMap<String, BTreeSet<String>>,
) -> Step {
    let had = |name: &str| before.is_some_and(|b| b.symbol(name).is_some());
    let had_module = |name: &str, m: &str| {
        before
            .and_then(|b| b.symbol(name))
            .is_some_and(|s| s.modules.iter().any(|x| module_path(x) == m))
    };
    let new_symbols = after
        .symbols
        .iter()
        .map(Symbol::linker_name)
        .filter(|n| !had(n) && !documented.contains_key(n))
        .collect();
    let mut seen = HashSet::new();
    let mut new_modules = Vec::new();
    for sym in &after.symbols {
        let name = sym.linker_name();
        let known = documented_for(documented, sym).unwrap_or_default();
        for m in sym.modules.iter().map(|m| module_path(m)) {
            if !had_module(&name, m) && !known.contains(m) && seen.insert(m.to_string()) {
                new_modules.push((m.to_string(), after.dependents.get(m).copied()));
            }
        }
    }
    let renames = if kind == StageKind::Update {
        after
            .symbols
            .iter()
            .filter_map(|s| {
                Some(Rename {
                    old: s.old_linker_name()?,
                    new: s.linker_name(),
                    modules: s
                        .modules
                        .iter()
                        .map(|m| module_path(m).to_string())
                        .collect(),
                })
            })
            .filter(|r| documented.contains_key(&r.old))
            .collect()
    } else {
        Vec::new()
    };
    Step {
        kind,
        changes,
        new_symbols,
        new_modules,
        renames,
        removed: Vec::new(),
    }
}

/// `1234567` as `1,234,567`, the way the Go CL titles wrote thresholds.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allowlist::read::parse;

    const LIST: &str = r#"
tiers = [1000, 100]

[dependents]
"big.example/a" = 5000
"mid.example/b" = 300
"small.example/c" = ">=100"

[[symbol]]
package = "runtime"
name = "one"
modules = ["mid.example/b", "big.example/a", "nocount.example/d"]

[[symbol]]
package = "runtime"
name = "two"
modules = ["small.example/c"]

[[symbol]]
package = "runtime"
name = "three"

[[symbol]]
package = "runtime"
name = "four"
modules = ["nocount.example/d"]

[[region]]
file = "runtime/badlinkname.go"
symbols = ["runtime.four", "runtime.two"]
text = "package runtime\n"
"#;

    fn names(list: &Allowlist) -> Vec<(String, Vec<String>)> {
        list.symbols
            .iter()
            .map(|s| (s.name.clone(), s.modules.clone()))
            .collect()
    }

    #[test]
    fn tiers_keep_allowlist_order_and_regions_come_whole() {
        let list = parse("a.toml", LIST).unwrap();
        let none = BTreeMap::new();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(restrict(&list, &none, StageKind::Update).symbols.is_empty());
        assert_eq!(
            names(&restrict(&list, &none, StageKind::Tier(1000))),
            vec![("one".to_string(), s(&["big.example/a"]))]
        );
        // Tier 100 reaches two, which pulls its region's other symbol, four, in whole.
        let t100 = restrict(&list, &none, StageKind::Tier(100));
        assert_eq!(
            names(&t100),
            vec![
                ("one".to_string(), s(&["mid.example/b", "big.example/a"])),
                ("two".to_string(), s(&["small.example/c"])),
                ("four".to_string(), s(&["nocount.example/d"])),
            ]
        );
        assert_eq!(t100.regions.len(), 1);
        assert_eq!(restrict(&list, &none, StageKind::Final), list);
    }

    #[test]
    fn what_the_base_documents_stays_in_every_stage() {
        let mut list = parse("a.toml", LIST).unwrap();
        list.symbols[2].renamed_from = Some("old".into());
        let mut documented = BTreeMap::new();
        documented.insert(
            "runtime.one".to_string(),
            BTreeSet::from(["nocount.example/d".to_string()]),
        );
        documented.insert("runtime.old".to_string(), BTreeSet::new());
        let update = restrict(&list, &documented, StageKind::Update);
        assert_eq!(
            names(&update),
            vec![
                ("one".to_string(), vec!["nocount.example/d".to_string()]),
                ("three".to_string(), vec![]),
            ]
        );
    }

    #[test]
    fn thresholds_print_like_the_go_titles() {
        assert_eq!(thousands(100000), "100,000");
        assert_eq!(thousands(500), "500");
        assert_eq!(thousands(1000), "1,000");
    }
}
