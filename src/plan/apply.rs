//! `apply`: places every listed symbol, file by file, remembering plans across series stages.

use super::*;

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
pub(super) fn owners_of(
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
pub(super) struct FilePlan {
    pub(super) change: Option<(Option<String>, Option<String>)>,
    pub(super) problems: Vec<Diagnostic>,
}

/// File plans of the previous run over the same base tree (a series stage), by path, with what
/// they were computed from: a file whose inputs did not change is not planned again.
#[derive(Default)]
pub struct PlanMemo {
    pub(super) files: HashMap<String, (String, FilePlan)>,
}

impl PlanMemo {
    pub(super) fn get(&self, rel: &str, key: &str) -> Option<&FilePlan> {
        self.files
            .get(rel)
            .filter(|(k, _)| k == key)
            .map(|(_, plan)| plan)
    }
}

/// Everything a file's plan depends on besides the base tree, as text: its sites and regions
/// with their symbols, the symbols its regions render, and which of the names its blocks carry
/// the allowlist governs.
pub(super) fn memo_key(
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
pub(super) struct Planning<'a> {
    pub(super) index: &'a TreeIndex,
    pub(super) list: &'a Allowlist,
    /// The linker names the allowlist governs, old names of renames included.
    pub(super) listed: &'a HashSet<String>,
    pub(super) old_names: &'a HashSet<String>,
    pub(super) prune: bool,
    /// Whether a block's directive stays when its block goes (see [`directive_needed`]).
    pub(super) needed: &'a (dyn Fn(&FileScan, &FoundDoc) -> bool + Sync),
}

/// Plans one file; a symbol that cannot go into it leaves it, and the file is planned again.
pub(super) fn plan_one(
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

pub(super) fn unplaced(problems: &[Diagnostic], symbol: &str) -> bool {
    problems
        .iter()
        .any(|p| p.symbols.iter().any(|s| s == symbol))
}

pub(super) fn dedup_problems(mut problems: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut seen = HashSet::new();
    problems.retain(|p| seen.insert((p.pos.clone(), p.message.clone())));
    problems.sort_by(|a, b| (&a.pos.file, a.pos.line).cmp(&(&b.pos.file, b.pos.line)));
    problems
}

/// The files each of a symbol's sites goes into, or why it has none.
pub(super) fn place_symbol<'a>(
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

pub(super) const STUB_NEEDS_GO_1_23: &str = "a method symbol is pushed from a function that is not the method (a stub), which compilers before Go 1.23 cannot build (internal compiler error); before Go 1.23 the linker checked no pull, so no push is needed";

/// Whether the tree's compiler builds the method-stub push (`//go:linkname stub pkg.(*T).m`):
/// Go 1.23 and later. A tree without a release number is taken as current.
pub(super) fn method_stubs_compile(tree: &Tree) -> bool {
    tree.version
        .as_deref()
        .and_then(|v| v.strip_prefix("go1."))
        .and_then(|v| v.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|minor| minor.parse::<u32>().ok())
        .is_none_or(|minor| minor >= 23)
}

/// Whether a symbol is a method pushed with a stub's directive.
pub(super) fn pushes_method(sym: &Symbol) -> bool {
    sym.name.contains('.') && sym.sites.iter().any(|s| s.directive != DirectivePos::None)
}

/// Whether rendered region lines push a method of their own package through a stub.
pub(super) fn region_pushes_method(rendered: &[String], package: &str) -> bool {
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
