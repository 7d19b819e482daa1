//! `adopt`: the pulls a tree's linker rejects, from modules with enough dependents, written into
//! the allowlist (toml_edit: comments and order kept) so `apply` pushes them and `patches` puts
//! each module in its tier's CL. Names no push can help (blocked, std-only, undefined, a type
//! or constant, assembly-only definitions) are listed as "cannot be allowed" with the reason.

use super::{Error, Result, records};
use crate::allowlist::counts::Count;
use crate::allowlist::patch::AllowlistDoc;
use crate::allowlist::{self, Allowlist, Dependents};
use crate::error::Pos;
use crate::go::name::package_of;
use crate::linker::LinkerRule;
use crate::linker::tree::DefKind;
use crate::linker::verdict::{Cause, Link};
use crate::scan::PullRecord;
use std::collections::BTreeMap;

/// A pull adopt will not (or cannot) turn into a push, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Left {
    pub symbol: String,
    pub module: String,
    /// `file:line` of the first record, in the scan file.
    pub at: String,
    pub reason: String,
}

/// What adopt decided, and the allowlist text that records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adoption {
    pub text: String,
    /// (symbol, module item) appended, in order; `new_symbols` got a new `[[symbol]]` entry.
    pub added: Vec<(String, String)>,
    pub new_symbols: Vec<String>,
    pub cannot: Vec<Left>,
    /// Rejected pulls from modules below the threshold or without a count.
    pub below: Vec<Left>,
}

/// One rejected pull that a push would let link.
struct Candidate {
    symbol: String,
    item: String,
    module: String,
    at: String,
}

/// Decides what to adopt from `records` (each with its scan `file:line`), judged under the
/// verdicts keyed `rule.version`, and returns the new allowlist text (already re-parsed).
pub fn adopt(
    list_path: &str,
    list_text: &str,
    list: &Allowlist,
    records: &[(PullRecord, String)],
    rule: &LinkerRule,
    counts: &BTreeMap<String, (Dependents, Pos)>,
    min_dependents: u64,
) -> Result<Adoption> {
    let (candidates, mut cannot) = candidates(records, rule)?;
    let mut below: Vec<Left> = Vec::new();
    // Keep those from modules with enough dependents that the allowlist does not list yet.
    let mut chosen: Vec<&Candidate> = Vec::new();
    for c in &candidates {
        let package = package_of(&c.symbol).unwrap_or("");
        let name = c.symbol.get(package.len() + 1..).unwrap_or("");
        if list.symbol(&c.symbol).is_none() && !allowlist::validate::is_identifier(name) {
            cannot.push(Left {
                symbol: c.symbol.clone(),
                module: c.module.clone(),
                at: c.at.clone(),
                reason: "a method: the tree pushes methods through a stub function (`local` and \
                         `in` in the allowlist, see badlinkname.go), which adopt does not invent; \
                         add the entry by hand"
                    .into(),
            });
            continue;
        }
        let count = counts
            .get(&c.module)
            .map(|(d, _)| *d)
            .or_else(|| list.dependents.get(&c.module).copied());
        let listed = list.symbol(&c.symbol).is_some_and(|s| {
            s.modules
                .iter()
                .any(|m| allowlist::module_path(m) == c.module)
        });
        if listed {
            continue;
        }
        match count {
            Some(d) if d.floor() >= min_dependents => chosen.push(c),
            Some(d) => below.push(Left {
                symbol: c.symbol.clone(),
                module: c.module.clone(),
                at: c.at.clone(),
                reason: format!(
                    "{} dependents, below {min_dependents}",
                    match d {
                        Dependents::Count(n) => n.to_string(),
                        Dependents::AtLeast(n) => format!(">={n}"),
                    }
                ),
            }),
            None => below.push(Left {
                symbol: c.symbol.clone(),
                module: c.module.clone(),
                at: c.at.clone(),
                reason: "no dependents count (dependents count, then --dependents)".into(),
            }),
        }
    }
    if chosen.is_empty() {
        return Ok(Adoption {
            text: list_text.to_string(),
            added: Vec::new(),
            new_symbols: Vec::new(),
            cannot,
            below,
        });
    }

    let written = write(list_path, list_text, &chosen, counts)?;
    Ok(Adoption {
        cannot,
        below,
        ..written
    })
}

/// Adds the chosen modules to the list and records their counts, as `dependents import` does:
/// what is left out is for the caller to fill in.
fn write(
    list_path: &str,
    list_text: &str,
    chosen: &[&Candidate],
    counts: &BTreeMap<String, (Dependents, Pos)>,
) -> Result<Adoption> {
    let mut doc = AllowlistDoc::parse(list_path, list_text)?;
    let mut added = Vec::new();
    let mut new_symbols = Vec::new();
    for c in chosen {
        let package = package_of(&c.symbol).unwrap_or("");
        let name = c.symbol.get(package.len() + 1..).unwrap_or("");
        if doc.add_module(package, name, &c.item)? {
            new_symbols.push(c.symbol.clone());
        }
        added.push((c.symbol.clone(), c.item.clone()));
    }
    // Record each adopted module's count, as `dependents import` writes counts.
    let mut recorded: Vec<Count> = Vec::new();
    for c in chosen {
        if recorded.iter().any(|r| r.module == c.module) {
            continue;
        }
        if let Some((d, pos)) = counts.get(&c.module) {
            recorded.push(Count {
                module: c.module.clone(),
                dependents: *d,
                pos: pos.clone(),
            });
        }
    }
    if !recorded.is_empty() && !doc.has_dependents() {
        // Say where these counts come from (import would say deps.dev).
        doc.insert_dependents(
            "\n# Dependents (direct + indirect) per module: from `linkallow dependents count` over a\n\
             # corpus (written by `adopt`) or from deps.dev (`dependents import`). A module without a\n\
             # count goes in the final round.\n"
                .into(),
        );
    }
    // The modules must load before their counts are written, and the counts after.
    doc.load()?;
    doc.set_counts(&recorded)?;
    doc.load()?;
    let text = doc.text();
    Ok(Adoption {
        text,
        added,
        new_symbols,
        cannot: Vec::new(),
        below: Vec::new(),
    })
}

/// The rejected pulls of `records` a push would let link (one per symbol and module), and those
/// no push of ours helps, once per class.
fn candidates(
    records: &[(PullRecord, String)],
    rule: &LinkerRule,
) -> Result<(Vec<Candidate>, Vec<Left>)> {
    let version = &rule.version;
    let mut cannot: Vec<Left> = Vec::new();
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (r, at) in records {
        let Some(verdicts) = &r.verdicts else {
            return Err(at_error(
                at,
                "the record has no verdicts: scan with --against the tree",
            ));
        };
        let Some(v) = verdicts.get(version) else {
            let have: Vec<&str> = verdicts.keys().map(String::as_str).collect();
            return Err(at_error(
                at,
                &format!(
                    "no verdict for {version} (the tree at {}); the scan has {}: scan with --against it",
                    rule.goroot.display(),
                    have.join(", ")
                ),
            ));
        };
        let left = |reason: String| Left {
            symbol: r.symbol.clone(),
            module: r.module.clone(),
            at: at.clone(),
            reason,
        };
        // Dependents do not build a module's tests.
        if r.test {
            continue;
        }
        // A variable defined with a value over the tree's zero-valued one relies on the
        // tree's variable as a pull does; no linker checks it, so the allowlist needs it
        // whenever the tree does not push the variable yet.
        let replaces_unpushed = r.defines
            && records::counts_for_allowlist(r)
            && v.link == Link::Ok
            && rule.symbols.get(&r.symbol).is_some_and(|d| {
                matches!(d.kind, DefKind::GoVar) && !d.has_data && d.push.is_none()
            });
        // A definition is a push, not a pull: when it clashes, no push of ours helps.
        let unpushable = if r.defines && !replaces_unpushed {
            if v.link != Link::Rejected {
                continue;
            }
            Some((
                Unpushable::Definition,
                format!("a definition, not a pull: {}", v.reason),
            ))
        } else if v.cause == Some(Cause::NotFuncOrVar)
            || matches!(r.kind.as_str(), "type" | "const")
        {
            Some((
                Unpushable::TypeOrConst,
                format!(
                    "a linkname on a {}: the compiler refuses it and the linker never sees it",
                    r.kind
                ),
            ))
        } else {
            match v.link {
                Link::Rejected => why_not_pushable(rule, &r.symbol, v.cause),
                Link::Ok if replaces_unpushed => why_not_pushable(rule, &r.symbol, None),
                Link::Undefined => Some((
                    Unpushable::Undefined,
                    format!("undefined in {version}: {}", v.reason),
                )),
                Link::Ok | Link::Ignored | Link::Inactive | Link::Unknown => continue,
            }
        };
        if let Some((class, why)) = unpushable {
            if seen.insert((r.symbol.clone(), r.module.clone(), class)) {
                cannot.push(left(why));
            }
            continue;
        }
        let item = if r.kind == "asm" {
            format!("{} (from assembly)", r.module)
        } else {
            r.module.clone()
        };
        allowlist::validate::check_module_item(&item).map_err(|m| at_error(at, &m))?;
        // One item per module and symbol: plain when Go code pulls it, "(from assembly)" when
        // only assembly does.
        if let Some(c) = candidates
            .iter_mut()
            .find(|c| c.symbol == r.symbol && c.module == r.module)
        {
            if r.kind != "asm" {
                c.item = r.module.clone();
            }
        } else {
            candidates.push(Candidate {
                symbol: r.symbol.clone(),
                item,
                module: r.module.clone(),
                at: at.clone(),
            });
        }
    }
    Ok((candidates, cannot))
}

fn at_error(at: &str, message: &str) -> Error {
    let (file, line) = at.rsplit_once(':').unwrap_or((at, "0"));
    Error::at(file, line.parse().unwrap_or(0), 1, message)
}

/// Why no push of ours makes a pull link; a (symbol, module) pair is listed once per class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unpushable {
    /// The module defines the symbol, and that definition clashes.
    Definition,
    /// A linkname on a type or constant.
    TypeOrConst,
    /// The tree has no such symbol.
    Undefined,
    /// In the linker's `blockedLinknames`.
    Blocked,
    /// Pushed with `//go:linknamestd`, for the standard library alone.
    StdOnly,
    /// Defined only in assembly: no Go declaration to push.
    AsmOnly,
}

/// Why a push cannot make this rejected symbol link: the verdict's `cause` says blocked or
/// std-only; the tree says where (and whether the definition is assembly only). A record
/// without a cause (an older linkallow), or with one this linkallow does not know, is decided
/// from the tree alone, as before causes existed.
pub fn why_not_pushable(
    rule: &LinkerRule,
    symbol: &str,
    cause: Option<Cause>,
) -> Option<(Unpushable, String)> {
    let blocked = rule.blocked.get(symbol);
    let def = rule.symbols.get(symbol);
    let std_push = def.and_then(|d| d.push.as_ref()).filter(|p| p.std_only);
    let known = cause.filter(|c| *c != Cause::Other);
    let blocked_too =
        matches!(known, Some(Cause::Blocked)) || (known.is_none() && blocked.is_some());
    if blocked_too {
        let at = blocked.map_or(String::new(), |b| format!(":{}", b.line));
        return Some((
            Unpushable::Blocked,
            format!(
                "blocked: in blockedLinknames (cmd/link/internal/loader/loader.go{at}); no push unblocks it"
            ),
        ));
    }
    let std_only =
        matches!(known, Some(Cause::Linknamestd)) || (known.is_none() && std_push.is_some());
    if std_only {
        let at = std_push.map_or(String::new(), |p| format!(" at {}", p.site));
        return Some((
            Unpushable::StdOnly,
            format!("std-only: pushed with //go:linknamestd{at} for the standard library alone"),
        ));
    }
    let def = def?;
    match def.kind {
        DefKind::GoFunc | DefKind::GoVar => None,
        DefKind::AsmFunc { .. } if def.go_decl => None,
        DefKind::AsmFunc { .. } | DefKind::AsmData => Some((
            Unpushable::AsmOnly,
            format!(
                "defined only in assembly at {}: there is no Go declaration to push",
                def.site
            ),
        )),
    }
}
