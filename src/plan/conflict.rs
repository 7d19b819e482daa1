//! Conflicts between the files of one package that an apply would create. The compiler keys a
//! `//go:linkname` by the package-level object it names, whatever file the directive is in:
//! `pw.linknames[obj]` in cmd/compile/internal/noder/writer.go (go1.20 through go1.27) refuses a
//! second directive for one local name ("duplicate //go:linkname for %s"), even with the same
//! target; types2 refuses a name two files declare ("redeclared in this block"). Both only when one
//! build configuration compiles both files: a `_linux.go`/`_darwin.go` pair, or `//go:build race`
//! against `!race`, never meet.

use crate::error::{Error, Pos, Result};
use crate::go::constraint::{self, BuildContext, Constraint};
use crate::go::syntax::{DeclKind, GoFile};
use crate::plan::{DiagKind, Diagnostic, FileChange};
use crate::tree::annotations::Directive;
use crate::tree::locate::Locator;
use crate::tree::{Tree, dir_of};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// An allowlist entry that puts text into a file: a site (by the local name its directive
/// names) or a region.
pub struct Owner {
    pub pos: Pos,
    pub symbols: Vec<String>,
    /// The local name a site's directive names; `None` for a region.
    pub local: Option<String>,
}

/// What decides whether the go command builds a file: its name and its header constraint (with
/// `cgo` added for a file that imports "C").
struct Built {
    name: String,
    constraint: Option<Constraint>,
}

impl Built {
    fn of(rel: &str, text: &str) -> Built {
        let name = rel.rsplit('/').next().unwrap_or(rel).to_string();
        // A header the go command cannot parse is taken as no constraint: built everywhere.
        let mut constraint = match constraint::header_constraint(text) {
            Some((_, Ok(c))) => Some(c),
            _ => None,
        };
        if imports_c(text) {
            let cgo = Constraint::Tag("cgo".into());
            constraint = Some(match constraint {
                Some(c) => Constraint::And(Box::new(c), Box::new(cgo)),
                None => cgo,
            });
        }
        Built { name, constraint }
    }

    fn builds(&self, ctx: &BuildContext, free: &dyn Fn(&str) -> Option<bool>) -> bool {
        ctx.matches_file_name(&self.name)
            && self
                .constraint
                .as_ref()
                .is_none_or(|c| c.eval_with(ctx, free))
    }
}

/// `import "C"`, alone or in a group: go/build builds such a file only with cgo.
fn imports_c(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .any(|l| l == "import \"C\"" || l == "\"C\"")
}

/// The name of a file's package clause.
fn package_name(text: &str) -> Option<&str> {
    text.lines()
        .find_map(|l| l.strip_prefix("package "))
        .and_then(|rest| rest.split_whitespace().next())
}

/// `//go:linkname` lines of a text: (local name, 1-based line).
fn directives(text: &str) -> Vec<(String, usize)> {
    if !text.contains("//go:linkname ") {
        return Vec::new();
    }
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| Directive::parse(l.trim_start()).map(|d| (d.local, i + 1)))
        .collect()
}

/// The build configurations a tree is built for: the ports its `cmd/dist` lists (every pair
/// go/build knows words for, in a module), cgo on and off, and every setting of the tags the
/// files at stake name besides these.
pub struct Configs {
    ports: Vec<(String, String)>,
    release: Option<u32>,
}

/// At most this many free tags are tried both ways (2^12 settings); later ones stay unset.
const MAX_FREE_TAGS: usize = 12;

impl Configs {
    pub fn of(tree: &Tree) -> Configs {
        let listed = tree
            .is_goroot()
            .then(|| tree.base.parent())
            .flatten()
            .and_then(|goroot| crate::scan::command::dist_list(goroot).ok());
        let mut ports: Vec<(String, String)> = match listed {
            Some(pairs) => pairs
                .iter()
                .filter_map(|p| p.split_once('/'))
                .map(|(os, arch)| (os.to_string(), arch.to_string()))
                .collect(),
            None => constraint::every_os_arch(),
        };
        // The first configuration found is the one a refusal names: the most familiar one.
        ports.sort_by_key(|(os, arch)| (os != "linux", arch != "amd64"));
        Configs {
            ports,
            release: tree.version.as_deref().and_then(constraint::release_of),
        }
    }

    /// A configuration that builds every file of `all` and none of `none`, described, or None.
    fn find(&self, all: &[&Built], none: &[&Built]) -> Option<String> {
        let mut tags = Vec::new();
        for c in all.iter().chain(none).filter_map(|b| b.constraint.as_ref()) {
            c.tags(&mut tags);
        }
        // A go1.N tag is true from release N on: release 0 and each N named cover every case.
        let releases: Vec<u32> = match self.release {
            Some(r) => vec![r],
            None => {
                let mut named: Vec<u32> = tags
                    .iter()
                    .filter_map(|t| t.strip_prefix("go1.")?.parse().ok())
                    .collect();
                named.push(0);
                named.sort_unstable();
                named.dedup();
                named
            }
        };
        // `ignore` is the tag by convention never set: such files are never built.
        let free: Vec<&str> = tags
            .iter()
            .map(String::as_str)
            .filter(|t| !constraint::is_context_tag(t) && *t != "ignore")
            .take(MAX_FREE_TAGS)
            .collect();
        for (goos, goarch) in &self.ports {
            for &release in &releases {
                for cgo in [false, true] {
                    let ctx = BuildContext {
                        goos: goos.clone(),
                        goarch: goarch.clone(),
                        release,
                        cgo,
                        experiments: Vec::new(),
                    };
                    for set in 0u32..(1 << free.len()) {
                        let on = |t: &str| {
                            if t == "ignore" {
                                return Some(false);
                            }
                            let i = free.iter().position(|f| *f == t)?;
                            Some(set & (1 << i) != 0)
                        };
                        if all.iter().all(|b| b.builds(&ctx, &on))
                            && !none.iter().any(|b| b.builds(&ctx, &on))
                        {
                            let mut shown =
                                format!("{goos}/{goarch} (cgo {}", if cgo { "on" } else { "off" });
                            let tags_on: Vec<&str> = free
                                .iter()
                                .enumerate()
                                .filter(|(i, _)| set & (1 << i) != 0)
                                .map(|(_, t)| *t)
                                .collect();
                            if !tags_on.is_empty() {
                                shown.push_str(&format!(", tags {}", tags_on.join(",")));
                            }
                            if self.release.is_none() && release > 0 {
                                shown.push_str(&format!(", go1.{release}"));
                            }
                            shown.push(')');
                            return Some(shown);
                        }
                    }
                }
            }
        }
        None
    }
}

/// A top-level name a file declares, as the compiler's scope knows it: a method by its
/// receiver's type (`T.m`, pointer or not); (key, names to look the other files up by, row).
fn declared(file: &GoFile) -> Vec<(String, Vec<String>, usize)> {
    let mut out = Vec::new();
    for d in &file.decls {
        match d.kind {
            DeclKind::Func | DeclKind::Var | DeclKind::Const | DeclKind::Type => {
                for n in &d.names {
                    // Any number of files may declare init and _.
                    if n != "_" && !(n == "init" && d.kind == DeclKind::Func) {
                        out.push((n.clone(), vec![n.clone()], d.start));
                    }
                }
            }
            DeclKind::Method => {
                let recv = d.receiver.as_deref().unwrap_or("");
                let base = recv.trim_start_matches('*');
                let base = base.split('[').next().unwrap_or(base);
                for n in &d.names {
                    out.push((
                        format!("{base}.{n}"),
                        vec![format!("{base}.{n}"), format!("(*{base}).{n}")],
                        d.start,
                    ));
                }
            }
            DeclKind::Package | DeclKind::Import => {}
        }
    }
    out
}

/// A file of the package as the plan leaves it.
struct Sibling<'a> {
    rel: String,
    text: Cow<'a, str>,
    /// Whether the plan changes or creates the file (its text is the plan's, not the tree's).
    changed: bool,
}

/// The conflicts `changes` would give their packages in some build configuration, each as a
/// problem of the allowlist entry that brings the new text, at that entry's position: a second
/// `//go:linkname` for a name, a name declared twice, a region's file that no configuration
/// builds, a region's directive for a name no built file declares in some configuration.
pub fn package_conflicts(
    tree: &Tree,
    locator: &mut Locator,
    changes: &[FileChange],
    parsed: &BTreeMap<String, GoFile>,
    owners: &HashMap<String, Vec<Owner>>,
) -> Result<Vec<Diagnostic>> {
    let configs = Configs::of(tree);
    let by_rel: HashMap<&str, &FileChange> = changes.iter().map(|c| (c.rel.as_str(), c)).collect();
    let mut problems = Vec::new();
    for change in changes {
        let Some(text) = change.new.as_deref() else {
            continue;
        };
        let rel = change.rel.as_str();
        let owned = owners.get(rel).map(Vec::as_slice).unwrap_or_default();
        let region = owned.iter().find(|o| o.local.is_none());
        let old_locals: Vec<String> = change
            .old
            .as_deref()
            .map(directives)
            .unwrap_or_default()
            .into_iter()
            .map(|(l, _)| l)
            .collect();
        let new_locals: Vec<(String, usize)> = directives(text)
            .into_iter()
            .filter(|(l, _)| !old_locals.contains(l))
            .collect();
        if new_locals.is_empty() && region.is_none() {
            continue;
        }
        let me = Built::of(rel, text);
        let refuse = |owner: &Owner, message: String| Diagnostic {
            pos: owner.pos.clone(),
            symbols: owner.symbols.clone(),
            kind: DiagKind::InTheWay,
            message: format!("{}: {message}", owner.symbols.join(", ")),
        };
        if let Some(owner) = region
            && configs.find(&[&me], &[]).is_none()
        {
            problems.push(refuse(
                owner,
                format!(
                    "the region goes into {rel}, which no build configuration of this tree builds (its name's _GOOS/_GOARCH suffix, its //go:build line): what it pushes would never reach the linker"
                ),
            ));
            continue;
        }
        let dir = dir_of(rel);
        let package = package_name(text);
        let index = if tree.path(dir).is_dir() {
            Some(locator.dir(dir)?)
        } else {
            None
        };
        let mut siblings: Vec<Sibling> = Vec::new();
        for (other, bytes) in index.iter().flat_map(|d| d.sources()) {
            if other == rel {
                continue;
            }
            let text = match by_rel.get(other) {
                Some(c) => match c.new.as_deref() {
                    Some(t) => Cow::Borrowed(t),
                    None => continue,
                },
                // Not UTF-8: not a file the compiler takes, nor one the plan reads.
                None => match std::str::from_utf8(bytes) {
                    Ok(t) => Cow::Borrowed(t),
                    Err(_) => continue,
                },
            };
            siblings.push(Sibling {
                rel: other.to_string(),
                changed: by_rel.contains_key(other),
                text,
            });
        }
        for c in changes {
            if c.rel != rel
                && dir_of(&c.rel) == dir
                && c.old.is_none()
                && let Some(t) = c.new.as_deref()
            {
                siblings.push(Sibling {
                    rel: c.rel.clone(),
                    changed: true,
                    text: Cow::Borrowed(t),
                });
            }
        }
        siblings.retain(|s| package_name(&s.text) == package);
        let parse = |s: &Sibling, locator: &mut Locator| -> Result<Option<GoFile>> {
            if s.changed {
                return match parsed.get(&s.rel) {
                    Some(f) => Ok(Some(f.clone())),
                    None => GoFile::parse(&s.rel, &s.text).map(Some),
                };
            }
            Ok(locator.parsed(&s.rel)?.cloned())
        };
        let mine = match parsed.get(rel) {
            Some(f) => Cow::Borrowed(f),
            None => Cow::Owned(GoFile::parse(rel, text)?),
        };
        for (local, line) in &new_locals {
            let owner = owned
                .iter()
                .find(|o| o.local.as_deref() == Some(local))
                .or(region);
            let Some(owner) = owner else {
                return Err(Error::Plan {
                    pos: mine.pos(line - 1, 0),
                    message: format!(
                        "apply would add //go:linkname {local} here for no allowlist entry; refusing to guess"
                    ),
                });
            };
            for s in &siblings {
                let Some((_, at)) = directives(&s.text).into_iter().find(|(l, _)| l == local)
                else {
                    continue;
                };
                let b = Built::of(&s.rel, &s.text);
                if let Some(cfg) = configs.find(&[&me, &b], &[]) {
                    problems.push(refuse(
                        owner,
                        format!(
                            "apply would add //go:linkname {local} to {rel}, but {}:{at} already has //go:linkname {local}, and {cfg} builds both files: the compiler refuses a second //go:linkname for one name of a package (\"duplicate //go:linkname for {local}\"); delete the one in {}, or keep the two files in disjoint build configurations",
                            s.rel, s.rel
                        ),
                    ));
                }
            }
            // A region's directive may name a declaration of another file: every configuration
            // that builds the region must build one.
            if owner.local.is_none() && mine.decl_declaring(local).is_none() {
                let mut declaring = Vec::new();
                for s in &siblings {
                    if let Some(f) = parse(s, locator)?
                        && f.decl_declaring(local).is_some()
                    {
                        declaring.push(Built::of(&s.rel, &s.text));
                    }
                }
                let declaring_refs: Vec<&Built> = declaring.iter().collect();
                if !declaring.is_empty()
                    && let Some(cfg) = configs.find(&[&me], &declaring_refs)
                {
                    problems.push(refuse(
                        owner,
                        format!(
                            "the region for {rel} pushes {local} with //go:linkname, but {cfg} builds {rel} and no file of the package that declares {local}: the compiler refuses it there (\"//go:linkname must refer to declared function or variable\"); give {rel} the build constraint of the declaration"
                        ),
                    ));
                }
            }
        }
        let Some(owner) = region else {
            continue;
        };
        let old_keys: Vec<String> = match change.old.as_deref() {
            Some(_) => locator
                .parsed(rel)?
                .map(|f| declared(f).into_iter().map(|(k, _, _)| k).collect())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        for (key, lookups, _) in declared(&mine) {
            if old_keys.contains(&key) {
                continue;
            }
            let maybe: Vec<&str> = index
                .iter()
                .flat_map(|d| lookups.iter().flat_map(|n| d.may_declare(n)))
                .collect();
            for s in &siblings {
                if !s.changed && !maybe.contains(&s.rel.as_str()) {
                    continue;
                }
                let Some(f) = parse(s, locator)? else {
                    continue;
                };
                let Some((_, _, row)) = declared(&f).into_iter().find(|(k, _, _)| *k == key) else {
                    continue;
                };
                let b = Built::of(&s.rel, &s.text);
                let refusal = if lookups.len() > 1 {
                    format!("method {key} already declared")
                } else {
                    format!("{key} redeclared in this block")
                };
                if let Some(cfg) = configs.find(&[&me, &b], &[]) {
                    problems.push(refuse(
                        owner,
                        format!(
                            "the region for {rel} declares {key}, which {}:{} declares too, and {cfg} builds both files: the compiler refuses it (\"{refusal}\"); leave {key} out of the region, or keep the two files in disjoint build configurations",
                            s.rel,
                            row + 1
                        ),
                    ));
                }
            }
        }
    }
    Ok(problems)
}
