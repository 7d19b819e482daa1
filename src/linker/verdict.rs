//! One pull against one tree's rule: the verdict `cmd/link` of that release gives, restated
//! from its `checkLinkname` (see `LinkerRule::check` for what differs between releases).

use super::blocked;
use super::tree::{CheckShape, DefKind, LinkerRule, Push, SymbolDef};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What the linker does with a pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Link {
    Ok,
    Rejected,
    Undefined,
    Ignored,
    Inactive,
    /// What the link does is not known from the sources scanned (a pull into a module that
    /// is not in the corpus): not a failure.
    Unknown,
}

impl Link {
    pub fn as_str(self) -> &'static str {
        match self {
            Link::Ok => "ok",
            Link::Rejected => "rejected",
            Link::Undefined => "undefined",
            Link::Ignored => "ignored",
            Link::Inactive => "inactive",
            Link::Unknown => "unknown",
        }
    }

    /// A pull that breaks the build.
    pub fn fails(self) -> bool {
        matches!(self, Link::Rejected | Link::Undefined)
    }
}

/// Why the linker does what it does, for tools (report, adopt) that must not parse `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// A type or constant: the compiler refuses the directive.
    NotFuncOrVar,
    /// The file is not built for the release and platform.
    NotBuilt,
    /// Nothing live uses the pulled name (unused, or only in branches the compiler folds
    /// away), so the object holds no reference.
    Unreferenced,
    /// A definition of the package's own symbol.
    OwnDefinition,
    /// A definition (push) of a symbol the tree defines with content too.
    Duplicate,
    /// A variable with a value, replacing the tree's zero-valued one.
    ReplacesBss,
    /// A definition of a symbol the tree lacks.
    Defines,
    /// The release's linker checks no linkname (Go 1.22 and earlier).
    NoCheck,
    /// In `blockedLinknames`.
    Blocked,
    /// The linker's builtin symbol: referenced by index, never checked.
    Builtin,
    /// The compiler knew the symbol from export data and wrote a package reference, which
    /// `loadObjRefs` never checks.
    PackageRef,
    /// A reference from the defining package.
    SamePackage,
    /// Pushed with `//go:linkname`.
    Pushed,
    /// Pushed with `//go:linknamestd`, and the referrer is in the standard library.
    LinknamestdStd,
    /// Pushed with `//go:linknamestd` only; the referrer is not in the standard library.
    Linknamestd,
    /// Defined and not pushed.
    NoPush,
    /// Reaches an ABI wrapper, which Go 1.23–1.26 let through.
    AbiWrapper,
    /// Defined in assembly, which Go 1.23–1.26 mark as linknamed.
    AsmFlagged,
    /// An assembly symbol named for the referring package.
    AsmNamedForPackage,
    /// A C-like assembly symbol without a package.
    NoPackage,
    /// Defined in assembly on a platform without ABI wrappers: not checked.
    NoRegabi,
    /// No such symbol (or not under the ABI the reference needs) on the platform.
    Undefined,
    /// A pull into another module's package, which no linker checks: `link` says whether the
    /// target module (when scanned) defines it.
    Module,
    /// A cause this linkallow does not know (a record from a newer one): read, never written,
    /// and treated as no cause at all would be, except that `reason` is not parsed for it.
    #[serde(other)]
    Other,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::NotFuncOrVar => "not-func-or-var",
            Cause::NotBuilt => "not-built",
            Cause::Unreferenced => "unreferenced",
            Cause::OwnDefinition => "own-definition",
            Cause::Duplicate => "duplicate",
            Cause::ReplacesBss => "replaces-bss",
            Cause::Defines => "defines",
            Cause::NoCheck => "no-check",
            Cause::Blocked => "blocked",
            Cause::Builtin => "builtin",
            Cause::PackageRef => "package-ref",
            Cause::SamePackage => "same-package",
            Cause::Pushed => "pushed",
            Cause::LinknamestdStd => "linknamestd-std",
            Cause::Linknamestd => "linknamestd",
            Cause::NoPush => "no-push",
            Cause::AbiWrapper => "abi-wrapper",
            Cause::AsmFlagged => "asm-flagged",
            Cause::AsmNamedForPackage => "asm-named-for-package",
            Cause::NoPackage => "no-package",
            Cause::NoRegabi => "no-regabi",
            Cause::Undefined => "undefined",
            Cause::Module => "module",
            Cause::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub link: Link,
    /// Absent in records of linkallow versions before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
    pub reason: String,
}

/// What the pulling side declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullKind {
    Func,
    Var,
    Type,
    Const,
    /// A reference from assembly; `abi_internal` when written `<ABIInternal>`, `is_static`
    /// when written `name<>` (a file-local symbol).
    Asm {
        abi_internal: bool,
        is_static: bool,
    },
}

impl PullKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PullKind::Func => "func",
            PullKind::Var => "var",
            PullKind::Type => "type",
            PullKind::Const => "const",
            PullKind::Asm { .. } => "asm",
        }
    }
}

/// Which definition a reference reaches.
enum Reached<'a> {
    /// The definition itself, compiled from Go.
    Go(&'a SymbolDef),
    /// The definition itself, from an assembly object.
    Asm(&'a SymbolDef),
    /// An ABI wrapper the compiler made for the definition.
    Wrapper(&'a SymbolDef),
}

/// The pull as the rule sees it.
pub struct Pull<'a> {
    pub symbol: &'a str,
    pub kind: PullKind,
    /// A func with a body or a var with a value: a definition (push), not a reference.
    pub defines: bool,
    /// The package the linker names as the referrer: `main`, or the import path.
    pub package: &'a str,
    /// The file is built for this tree's release and the target platform.
    pub active: bool,
    /// Why no live code uses the pulled name, if none does: the object then holds no
    /// reference for the linker to check or resolve.
    pub unreferenced: Option<&'a str>,
    /// The compiler has read the symbol's object (or its receiver type) from export data
    /// before the pull: the reference is by package index (`reached` names what led there).
    pub package_ref: Option<&'a str>,
    /// The import paths of the pulling package, for what a program with it links.
    pub imports: &'a [String],
}

fn verdict(link: Link, cause: Cause, reason: impl Into<String>) -> Verdict {
    Verdict {
        link,
        cause: Some(cause),
        reason: reason.into(),
    }
}

/// The verdict of `rule`'s linker on `pull`.
pub fn judge(rule: &LinkerRule, pull: &Pull) -> Verdict {
    let version = &rule.version;
    let platform = format!("{}/{}", rule.ctx.goos, rule.ctx.goarch);
    match pull.kind {
        PullKind::Type | PullKind::Const => {
            return verdict(
                Link::Ignored,
                Cause::NotFuncOrVar,
                format!(
                    "a linkname on a {}: the compiler refuses it (must refer to declared function or variable); the linker never sees it",
                    pull.kind.as_str()
                ),
            );
        }
        _ => {}
    }
    if !pull.active {
        return verdict(
            Link::Inactive,
            Cause::NotBuilt,
            format!("the file is not built for {version} on {platform}"),
        );
    }
    let def = rule.symbols.get(pull.symbol);
    if pull.defines {
        return match def {
            Some(d) if d.package == pull.package => verdict(
                Link::Ok,
                Cause::OwnDefinition,
                format!("the definition itself ({})", d.site),
            ),
            // No program links the tree's definition: nothing to collide with.
            Some(d)
                if !rule.links_package(&d.package, pull.imports) && !rule.linkable(&d.package) =>
            {
                verdict(
                    Link::Ok,
                    Cause::Defines,
                    format!(
                        "defines {}; {version} defines it too ({}), but no program links {}",
                        pull.symbol, d.site, d.package
                    ),
                )
            }
            // The pulling package does not import the tree's package, but the program may
            // (scan assumes the defining package is linked): a duplicate there.
            Some(d)
                if !rule.links_package(&d.package, pull.imports)
                    && (d.has_data || pull.kind != PullKind::Var) =>
            {
                verdict(
                    Link::Rejected,
                    Cause::Duplicate,
                    format!(
                        "defines {} (a push), but {version} also defines it at {}: duplicated definition in a program that links {} ({} does not import it)",
                        pull.symbol, d.site, d.package, pull.package
                    ),
                )
            }
            Some(d) if d.has_data || pull.kind != PullKind::Var => verdict(
                Link::Rejected,
                Cause::Duplicate,
                format!(
                    "defines {} (a push), but {version} also defines it at {}: duplicated definition",
                    pull.symbol, d.site
                ),
            ),
            Some(d) => verdict(
                Link::Ok,
                Cause::ReplacesBss,
                format!(
                    "defines {} with a value, which replaces the tree's zero-valued variable at {}",
                    pull.symbol, d.site
                ),
            ),
            None => verdict(
                Link::Ok,
                Cause::Defines,
                format!(
                    "defines {} (a push into its package); the linker checks only references",
                    pull.symbol
                ),
            ),
        };
    }
    if let Some(why) = pull.unreferenced {
        return verdict(
            Link::Inactive,
            Cause::Unreferenced,
            format!("no live code uses it on {platform} ({why}): the object holds no reference"),
        );
    }
    // NumberSyms (cmd/internal/obj/sym.go) refers to a builtin (goobj.BuiltinIdx) by index:
    // from assembly, with `<>` or without, and before Go 1.24 from a Go pull too. Such a
    // reference reaches the runtime's symbol and is never checked.
    let builtin_abi = match pull.kind {
        PullKind::Asm { abi_internal, .. } => Some(abi_internal),
        PullKind::Func if !rule.linkname_not_builtin => Some(true),
        PullKind::Var if !rule.linkname_not_builtin => Some(false),
        _ => None,
    };
    if let Some(abi_internal) = builtin_abi
        && rule.is_builtin(pull.symbol, abi_internal)
    {
        return verdict(
            Link::Ok,
            Cause::Builtin,
            format!(
                "a builtin of {version}'s object format (cmd/internal/goobj/builtinlist.go): referenced by index, never checked"
            ),
        );
    }
    if let PullKind::Asm {
        is_static: true, ..
    } = pull.kind
    {
        return verdict(
            Link::Undefined,
            Cause::Undefined,
            format!(
                "written {}<>: a file-local symbol, which no other file defines (only builtins resolve across files)",
                pull.symbol
            ),
        );
    }
    let Some(shape) = &rule.check else {
        return match reached(rule, pull, def) {
            Some(r) => verdict(
                Link::Ok,
                Cause::NoCheck,
                format!(
                    "{version} checks no linkname; defined at {}",
                    def_of(&r).site
                ),
            ),
            None => undefined(rule, pull, &platform),
        };
    };
    // loadObjRefs calls checkLinkname only for non-package references.
    if let Some(via) = pull.package_ref {
        return match reached(rule, pull, def) {
            Some(r) => verdict(
                Link::Ok,
                Cause::PackageRef,
                format!(
                    "the compiler read it from export data before the pull ({via}), so the object refers to it by package index, which the linker never checks; defined at {}",
                    def_of(&r).site
                ),
            ),
            None => undefined(rule, pull, &platform),
        };
    }
    if let Some(b) = rule.blocked.get(pull.symbol)
        && !blocked::allows(b, pull.package, shape.fips_version_drop)
    {
        let who = if b.allowed.is_empty() {
            "no package".to_string()
        } else {
            b.allowed.join(", ")
        };
        return verdict(
            Link::Rejected,
            Cause::Blocked,
            format!(
                "in blockedLinknames (cmd/link/internal/loader/loader.go:{}), which allows only {who}",
                b.line
            ),
        );
    }
    let Some(r) = reached(rule, pull, def) else {
        return undefined(rule, pull, &platform);
    };
    let d = def_of(&r);
    if d.package == pull.package {
        return verdict(
            Link::Ok,
            Cause::SamePackage,
            "a reference from the defining package",
        );
    }
    match r {
        Reached::Go(d) => by_push(d, pull, shape, version),
        Reached::Wrapper(d) => {
            if shape.wrapper_allowed {
                verdict(
                    Link::Ok,
                    Cause::AbiWrapper,
                    format!(
                        "reaches the ABI wrapper of {}, which {version}'s linker lets through ({})",
                        d.site, shape.site
                    ),
                )
            } else {
                by_push(d, pull, shape, version)
            }
        }
        Reached::Asm(d) => {
            if shape.asm_flagged {
                return verdict(
                    Link::Ok,
                    Cause::AsmFlagged,
                    format!(
                        "defined in assembly at {}; {version} marks every assembly symbol as linknamed",
                        d.site
                    ),
                );
            }
            if !shape.from_assembly {
                return by_push(d, pull, shape, version);
            }
            if pull.symbol.starts_with(pull.package) {
                return verdict(
                    Link::Ok,
                    Cause::AsmNamedForPackage,
                    "an assembly symbol named for the referring package",
                );
            }
            if !pull.symbol.contains('.') {
                return verdict(
                    Link::Ok,
                    Cause::NoPackage,
                    "a C-like assembly symbol (no package)",
                );
            }
            if !rule.regabi {
                return verdict(
                    Link::Ok,
                    Cause::NoRegabi,
                    format!(
                        "defined in assembly at {}; without ABI wrappers on {} the linker cannot check it",
                        d.site, rule.ctx.goarch
                    ),
                );
            }
            // The linker takes the flags of the symbol under the other ABI, if there is one.
            let other = match d.kind {
                DefKind::AsmFunc {
                    abi_internal: false,
                } => d.go_decl,
                DefKind::AsmFunc { abi_internal: true } => d.push.is_some() || d.asm_ref_in_package,
                _ => false,
            };
            if other {
                by_push(d, pull, shape, version)
            } else {
                no_push(d, version)
            }
        }
    }
}

fn def_of<'a>(r: &Reached<'a>) -> &'a SymbolDef {
    match r {
        Reached::Go(d) | Reached::Asm(d) | Reached::Wrapper(d) => d,
    }
}

/// The definition a reference of this kind (and so ABI) reaches, if the symbol exists under it.
fn reached<'a>(rule: &LinkerRule, pull: &Pull, def: Option<&'a SymbolDef>) -> Option<Reached<'a>> {
    let d = def?;
    let wants_internal = match pull.kind {
        PullKind::Func => true,
        PullKind::Asm { abi_internal, .. } => abi_internal,
        _ => false,
    };
    let abi0_wrapper = d.push.is_some() || d.asm_ref_in_package;
    let r = match (d.kind, wants_internal) {
        (DefKind::GoVar, _) => Reached::Go(d),
        (DefKind::AsmData, _) => Reached::Asm(d),
        (DefKind::GoFunc, true) => Reached::Go(d),
        (DefKind::GoFunc, false) if !rule.regabi => Reached::Go(d),
        (DefKind::GoFunc, false) if abi0_wrapper => Reached::Wrapper(d),
        (DefKind::GoFunc, false) => return None,
        (DefKind::AsmFunc { abi_internal }, wants) if abi_internal == wants || !rule.regabi => {
            Reached::Asm(d)
        }
        (DefKind::AsmFunc { .. }, true) if d.go_decl => Reached::Wrapper(d),
        (DefKind::AsmFunc { .. }, false) if abi0_wrapper => Reached::Wrapper(d),
        (DefKind::AsmFunc { .. }, _) => return None,
    };
    // A Go func pull of a data symbol looks for the ABIInternal version, which data lacks.
    if pull.kind == PullKind::Func
        && rule.regabi
        && matches!(d.kind, DefKind::GoVar | DefKind::AsmData)
    {
        return None;
    }
    Some(r)
}

fn by_push(d: &SymbolDef, pull: &Pull, shape: &CheckShape, version: &str) -> Verdict {
    match &d.push {
        Some(Push {
            std_only: false,
            site,
        }) => verdict(Link::Ok, Cause::Pushed, format!("pushed at {site}")),
        Some(Push {
            std_only: true,
            site,
        }) if shape.linknamestd => {
            if is_std(pull.package) {
                verdict(
                    Link::Ok,
                    Cause::LinknamestdStd,
                    format!("pushed for the standard library at {site}"),
                )
            } else {
                verdict(
                    Link::Rejected,
                    Cause::Linknamestd,
                    format!("pushed for the standard library only (//go:linknamestd at {site})"),
                )
            }
        }
        Some(Push { site, .. }) => verdict(Link::Ok, Cause::Pushed, format!("pushed at {site}")),
        None => no_push(d, version),
    }
}

fn no_push(d: &SymbolDef, version: &str) -> Verdict {
    verdict(
        Link::Rejected,
        Cause::NoPush,
        format!(
            "defined at {} and not pushed: {version} has no //go:linkname for it in {}",
            d.site, d.package
        ),
    )
}

fn undefined(rule: &LinkerRule, pull: &Pull, platform: &str) -> Verdict {
    let pkg = crate::go::name::package_of(pull.symbol);
    let why = match pkg {
        Some(p) if !rule.packages.contains(p) => {
            format!("{p} has no files built on {platform} in {}", rule.version)
        }
        _ => match rule.symbols.get(pull.symbol) {
            Some(d) => format!(
                "{} exists at {} but not under the ABI a {} reference needs",
                pull.symbol,
                d.site,
                pull.kind.as_str()
            ),
            None => {
                let elsewhere = rule.defined_elsewhere(pull.symbol);
                let mut why = format!("{} defines no {} on {platform}", rule.version, pull.symbol);
                if !elsewhere.is_empty() {
                    why.push_str(&format!("; only in {}", elsewhere.join(", ")));
                }
                why
            }
        },
    };
    verdict(Link::Undefined, Cause::Undefined, why)
}

// TEMP-ALIAS: see lib.rs.
#[doc(hidden)]
pub use crate::go::name::{is_std, package_of as symbol_package};

/// What the scanned corpus holds of the module a module pull's target package comes from.
pub enum ModuleDefs<'a> {
    /// The module (at the version the pulling module requires) was not scanned, or no
    /// requirement provides the package.
    NotScanned,
    /// Scanned, but no file of the package is built for the rule's platform.
    NoFiles,
    Symbols(&'a HashMap<String, SymbolDef>),
}

/// Why a module pull breaks nothing at link time that a push could guard.
const MODULE_UNCHECKED: &str = "the linker checks no pull into a non-std package (no push needed or possible); a missing one fails an executable's link (relocation target not defined; with external linking the C linker's undefined reference), but a -buildmode=c-shared library can keep it silently undefined (go.dev/issue/81051)";

/// The verdict on a pull into package `pkg` of another module, `module` (`path version`, as
/// the reasons name it): no linker checks it, so it links when the symbol exists there
/// under the reference's ABI and the program links the package.
pub fn judge_module(
    rule: &LinkerRule,
    pull: &Pull,
    pkg: &str,
    module: &str,
    defs: ModuleDefs,
) -> Verdict {
    let version = &rule.version;
    let platform = format!("{}/{}", rule.ctx.goos, rule.ctx.goarch);
    if let PullKind::Type | PullKind::Const = pull.kind {
        return judge(rule, pull);
    }
    if !pull.active {
        return judge(rule, pull);
    }
    let imported = pull.imports.iter().any(|i| i == pkg);
    let def = match &defs {
        ModuleDefs::Symbols(m) => m.get(pull.symbol),
        _ => None,
    };
    if pull.defines {
        return match def {
            Some(d) if imported && d.has_data => verdict(
                Link::Rejected,
                Cause::Duplicate,
                format!(
                    "defines {} (a push), but {module} also defines it at {}: duplicated definition",
                    pull.symbol, d.site
                ),
            ),
            _ => verdict(
                Link::Ok,
                Cause::Defines,
                format!(
                    "defines {} in {module}'s package {pkg}; the linker checks only references",
                    pull.symbol
                ),
            ),
        };
    }
    if let Some(why) = pull.unreferenced {
        return verdict(
            Link::Inactive,
            Cause::Unreferenced,
            format!("no live code uses it on {platform} ({why}): the object holds no reference"),
        );
    }
    if let PullKind::Asm {
        is_static: true, ..
    } = pull.kind
    {
        return judge(rule, pull);
    }
    let (link, why) = match defs {
        ModuleDefs::NotScanned => (
            Link::Unknown,
            format!(
                "{module} is not in the scanned corpus: whether it defines {} is unknown",
                pull.symbol
            ),
        ),
        ModuleDefs::NoFiles => (
            Link::Undefined,
            format!("{pkg} of {module} has no files built on {platform} with {version}"),
        ),
        ModuleDefs::Symbols(_) => match reached(rule, pull, def) {
            Some(r) if imported => (
                Link::Ok,
                format!("{module} defines it at {}", def_of(&r).site),
            ),
            Some(r) => (
                Link::Unknown,
                format!(
                    "{module} defines it at {}, but the pulling package does not import {pkg}: it links only if another package of the program does",
                    def_of(&r).site
                ),
            ),
            None => (
                Link::Undefined,
                match def {
                    Some(d) => format!(
                        "{module} defines {} at {} but not under the ABI a {} reference needs",
                        pull.symbol,
                        d.site,
                        pull.kind.as_str()
                    ),
                    None => format!(
                        "{module} defines no {} on {platform} with {version}",
                        pull.symbol
                    ),
                },
            ),
        },
    };
    verdict(link, Cause::Module, format!("{why}; {MODULE_UNCHECKED}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linker::BuildContext;
    use crate::linker::blocked::Blocked;
    use std::collections::{BTreeMap, HashMap, HashSet};

    fn def(kind: DefKind, push: Option<(bool, &str)>, go_decl: bool) -> SymbolDef {
        SymbolDef {
            package: "runtime".into(),
            kind,
            site: "runtime/x.go:1".into(),
            go_decl,
            asm_ref_in_package: false,
            has_data: true,
            push: push.map(|(std_only, site)| Push {
                std_only,
                site: site.into(),
            }),
            method_wrapper: false,
        }
    }

    fn rule(release: u32, shape: Option<CheckShape>) -> LinkerRule {
        let mut symbols = HashMap::new();
        symbols.insert(
            "runtime.pushed".into(),
            def(DefKind::GoFunc, Some((false, "runtime/p.go:3")), false),
        );
        symbols.insert("runtime.plain".into(), def(DefKind::GoFunc, None, false));
        symbols.insert(
            "runtime.stdonly".into(),
            def(DefKind::GoFunc, Some((true, "runtime/s.go:4")), false),
        );
        symbols.insert(
            "runtime.gogo".into(),
            def(
                DefKind::AsmFunc {
                    abi_internal: false,
                },
                None,
                true,
            ),
        );
        symbols.insert(
            "runtime.memmove".into(),
            def(
                DefKind::AsmFunc { abi_internal: true },
                Some((false, "runtime/stubs.go:9")),
                true,
            ),
        );
        symbols.insert("runtime.allglen".into(), def(DefKind::GoVar, None, false));
        symbols.insert(
            "runtime.blocked".into(),
            def(DefKind::GoFunc, Some((false, "runtime/b.go:1")), false),
        );
        let mut blocked = BTreeMap::new();
        blocked.insert(
            "runtime.blocked".into(),
            Blocked {
                allowed: vec!["iter".into()],
                line: 7,
            },
        );
        LinkerRule {
            goroot: "/go".into(),
            version: format!("go1.{release}.0"),
            ctx: BuildContext {
                goos: "linux".into(),
                goarch: "amd64".into(),
                release,
                cgo: true,
                experiments: Vec::new(),
            },
            check: shape,
            blocked,
            regabi: true,
            symbols,
            packages: HashSet::from(["runtime".to_string()]),
            elsewhere: Default::default(),
            builtins: Default::default(),
            linkname_not_builtin: true,
            imports: Default::default(),
            objects: Default::default(),
        }
    }

    fn shape(old: bool) -> CheckShape {
        CheckShape {
            site: "loader.go:1".into(),
            asm_flagged: old,
            wrapper_allowed: old,
            from_assembly: !old,
            linknamestd: !old,
            fips_version_drop: true,
        }
    }

    fn link(r: &LinkerRule, symbol: &str, kind: PullKind) -> Link {
        judge(
            r,
            &Pull {
                symbol,
                kind,
                defines: false,
                package: "main",
                active: true,
                unreferenced: None,
                package_ref: None,
                imports: &[],
            },
        )
        .link
    }

    #[test]
    fn the_rule_per_release() {
        let asm = PullKind::Asm {
            abi_internal: false,
            is_static: false,
        };
        let (r22, r26, r27) = (
            rule(22, None),
            rule(26, Some(shape(true))),
            rule(27, Some(shape(false))),
        );
        let cases = [
            (
                "runtime.pushed",
                PullKind::Func,
                [Link::Ok, Link::Ok, Link::Ok],
            ),
            (
                "runtime.plain",
                PullKind::Func,
                [Link::Ok, Link::Rejected, Link::Rejected],
            ),
            (
                "runtime.stdonly",
                PullKind::Func,
                [Link::Ok, Link::Ok, Link::Rejected],
            ),
            (
                "runtime.blocked",
                PullKind::Func,
                [Link::Ok, Link::Rejected, Link::Rejected],
            ),
            (
                "runtime.missing",
                PullKind::Func,
                [Link::Undefined, Link::Undefined, Link::Undefined],
            ),
            ("runtime.gogo", asm, [Link::Ok, Link::Ok, Link::Rejected]),
            (
                "runtime.gogo",
                PullKind::Func,
                [Link::Ok, Link::Ok, Link::Rejected],
            ),
            ("runtime.memmove", asm, [Link::Ok, Link::Ok, Link::Ok]),
            (
                "runtime.allglen",
                asm,
                [Link::Ok, Link::Rejected, Link::Rejected],
            ),
            (
                "runtime.allglen",
                PullKind::Var,
                [Link::Ok, Link::Rejected, Link::Rejected],
            ),
            (
                "runtime.plain",
                asm,
                [Link::Undefined, Link::Undefined, Link::Undefined],
            ),
            (
                "runtime.x",
                PullKind::Type,
                [Link::Ignored, Link::Ignored, Link::Ignored],
            ),
        ];
        for (sym, kind, want) in cases {
            let got = [
                link(&r22, sym, kind),
                link(&r26, sym, kind),
                link(&r27, sym, kind),
            ];
            assert_eq!(got, want, "{sym} {kind:?}");
        }
        let v = judge(
            &r27,
            &Pull {
                symbol: "runtime.stdonly",
                kind: PullKind::Func,
                defines: false,
                package: "main",
                active: true,
                unreferenced: None,
                package_ref: None,
                imports: &[],
            },
        );
        assert!(v.reason.contains("runtime/s.go:4"), "{}", v.reason);
        let v = judge(
            &r27,
            &Pull {
                symbol: "runtime.blocked",
                kind: PullKind::Func,
                defines: false,
                package: "iter",
                active: true,
                unreferenced: None,
                package_ref: None,
                imports: &[],
            },
        );
        assert_eq!(v.link, Link::Ok);
        let v = judge(
            &r27,
            &Pull {
                symbol: "runtime.plain",
                kind: PullKind::Func,
                defines: false,
                package: "main",
                active: false,
                unreferenced: None,
                package_ref: None,
                imports: &[],
            },
        );
        assert_eq!(v.link, Link::Inactive);
    }
}
