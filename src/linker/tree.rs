//! The rule of one Go tree's linker for one platform, read from the tree itself: its version,
//! the shape of `checkLinkname`, `blockedLinknames`, and every symbol the standard library
//! defines on the platform with the push (if any) that lets other packages reference it.

use super::blocked::{self, Blocked};
use crate::error::{Error, Result};
use crate::go::asm;
use crate::go::constraint::{BuildContext, Constraint, describe, header_constraint, release_of};
use crate::go::decls::{self, GoDecls, LocalKind};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What changes between releases in `checkLinkname` and the object writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckShape {
    /// Where `checkLinkname` is, for reasons: `cmd/link/internal/loader/loader.go:2516`.
    pub site: String,
    /// Go 1.23–1.26: the object writer marks every named assembly symbol as linknamed, so
    /// assembly references are checked and assembly definitions count as pushes.
    pub asm_flagged: bool,
    /// Go 1.23–1.26: `checkLinkname` lets any ABI wrapper through.
    pub wrapper_allowed: bool,
    /// Go 1.27+: references from assembly objects are checked, and an assembly definition
    /// takes the flags of its ABI wrapper.
    pub from_assembly: bool,
    /// `//go:linknamestd` exists: std-only pushes.
    pub linknamestd: bool,
    /// Frozen `crypto/internal/fips140/vX.Y.Z/...` packages match their unversioned name.
    pub fips_version_drop: bool,
}

/// How a symbol is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefKind {
    /// A Go function with a body (ABIInternal).
    GoFunc,
    /// A Go package-level variable.
    GoVar,
    /// An assembly `TEXT` (ABI0, or ABIInternal when written `<ABIInternal>`).
    AsmFunc { abi_internal: bool },
    /// Assembly `GLOBL`/`DATA`.
    AsmData,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    /// `//go:linknamestd`: only standard-library packages may reference it.
    pub std_only: bool,
    /// `src/`-relative `file:line` of the directive.
    pub site: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolDef {
    pub package: String,
    pub kind: DefKind,
    /// `src/`-relative `file:line` of the definition.
    pub site: String,
    /// A Go declaration of this assembly function exists in its package, so the compiler
    /// makes an ABIInternal wrapper for it.
    pub go_decl: bool,
    /// The defining package's own assembly references it, so a Go function gets an ABI0
    /// wrapper.
    pub asm_ref_in_package: bool,
    /// It has content (code, or a variable with a value); a variable without one is BSS, which
    /// another definition with content replaces at link time.
    pub has_data: bool,
    pub push: Option<Push>,
    /// The `(*T).m` wrapper the compiler makes in T's package for a value method `T.m`
    /// (noder's `wrapType`): defined, but never in export data.
    pub method_wrapper: bool,
}

/// One tree's linker rule for one platform.
#[derive(Debug)]
pub struct LinkerRule {
    pub goroot: PathBuf,
    /// The VERSION file's first line (`go1.26.8`).
    pub version: String,
    pub ctx: BuildContext,
    /// None: this release's linker checks no linkname (Go 1.22 and earlier).
    pub check: Option<CheckShape>,
    pub blocked: BTreeMap<String, Blocked>,
    /// RegabiWrappers is on for the target architecture.
    pub regabi: bool,
    pub symbols: HashMap<String, SymbolDef>,
    /// Standard-library packages with files built on the target.
    pub packages: HashSet<String>,
    /// `defined_elsewhere` answers, by symbol: each is a folder read.
    pub elsewhere: Mutex<HashMap<String, Vec<String>>>,
    /// The object format's builtin symbols (cmd/internal/goobj/builtinlist.go), with whether
    /// the builtin is ABIInternal.
    pub builtins: HashMap<String, bool>,
    /// Go 1.24+: NumberSyms gives a builtin's index only to references that are not
    /// linknamed, so a Go pull of a builtin is named and checked; Go 1.23 indexed it too.
    pub linkname_not_builtin: bool,
    /// Each standard-library package's imports (resolved to `vendor/` paths where the tree
    /// vendors them), from its built files.
    pub imports: HashMap<String, Vec<String>>,
    /// Per package, what reading each of its objects from export data reads next, built on
    /// demand (see `reads`).
    pub objects: Mutex<HashMap<String, std::sync::Arc<ObjectGraph>>>,
}

/// One package's objects as the compiler's importer reads them: object name → the objects
/// its declaration names (a type's definition and all its methods' signatures, a function's
/// signature, a variable's declaration), as `(package, name)`.
#[derive(Debug, Default)]
pub struct ObjectGraph {
    pub edges: HashMap<String, Vec<(String, String)>>,
}

const LOADER: &str = "src/cmd/link/internal/loader/loader.go";
const BUILTINS: &str = "src/cmd/internal/goobj/builtinlist.go";
const OBJ_SYM: &str = "src/cmd/internal/obj/sym.go";
const OBJFILE: &str = "src/cmd/internal/obj/objfile.go";

/// The tree's version: VERSION's first line, else `devel go1.N` from internal/goversion.
pub fn tree_version(goroot: &Path) -> Result<String> {
    if !goroot.join("src/runtime").is_dir() {
        return Err(Error::Tree(format!(
            "{}: not a GOROOT (no src/runtime)",
            goroot.display()
        )));
    }
    if let Ok(v) = crate::readfile::regular_string(&goroot.join("VERSION"))
        && let Some(first) = v.lines().next()
        && release_of(first).is_some()
    {
        return Ok(first.trim().to_string());
    }
    let gv = goroot.join("src/internal/goversion/goversion.go");
    let text = crate::readfile::regular_string(&gv).map_err(|e| Error::io(&gv, e))?;
    let n = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("const Version = "))
        .and_then(|n| n.trim().parse::<u32>().ok())
        .ok_or_else(|| Error::Tree(format!("{}: no `const Version = N`", gv.display())))?;
    Ok(format!("devel go1.{n}"))
}

impl LinkerRule {
    /// Reads the rule of the tree at `goroot` for `goos`/`goarch`.
    pub fn load(goroot: &Path, goos: &str, goarch: &str, cgo: bool) -> Result<LinkerRule> {
        let version = tree_version(goroot)?;
        let release = release_of(&version).unwrap_or(0);
        let regabi = regabi_arches(goroot).contains(&goarch.to_string());
        let mut experiments = baseline_experiments(goroot, goos, regabi);
        if let Ok(env) = std::env::var("GOEXPERIMENT") {
            apply_goexperiment(&mut experiments, &env);
        }
        let ctx = BuildContext {
            goos: goos.to_string(),
            goarch: goarch.to_string(),
            release,
            cgo,
            experiments,
        };
        let loader = crate::readfile::regular_string(&goroot.join(LOADER)).unwrap_or_default();
        let objfile = crate::readfile::regular_string(&goroot.join(OBJFILE)).unwrap_or_default();
        let check = check_shape(&loader, &objfile);
        let blocked = blocked::parse(&loader);
        let (symbols, packages, imports) = index_symbols(goroot, &ctx)?;
        let builtins = crate::readfile::regular_string(&goroot.join(BUILTINS))
            .map(|t| parse_builtins(&t))
            .unwrap_or_default();
        let linkname_not_builtin = crate::readfile::regular_string(&goroot.join(OBJ_SYM))
            .is_ok_and(|t| t.contains("i != -1 && !rs.IsLinkname()"));
        Ok(LinkerRule {
            goroot: goroot.to_path_buf(),
            version,
            ctx,
            check,
            blocked,
            regabi,
            symbols,
            packages,
            elsewhere: Mutex::default(),
            builtins,
            linkname_not_builtin,
            imports,
            objects: Mutex::default(),
        })
    }
}

/// `{"runtime.morestack", 0},` lines: name → ABIInternal.
fn parse_builtins(text: &str) -> HashMap<String, bool> {
    text.lines()
        .filter_map(|l| {
            let (name, abi) = l.trim().strip_prefix("{\"")?.split_once("\", ")?;
            let abi = abi.trim_end_matches("},").trim();
            Some((name.to_string(), abi == "1"))
        })
        .collect()
}

impl LinkerRule {
    /// goobj.BuiltinIdx: a builtin under this ABI (any ABI without ABI wrappers).
    pub fn is_builtin(&self, symbol: &str, abi_internal: bool) -> bool {
        self.builtins
            .get(symbol)
            .is_some_and(|&internal| !self.regabi || internal == abi_internal)
    }

    /// Whether a program whose package imports `imports` (import paths) links the standard
    /// package `pkg`: `pkg` is the runtime's closure or that of an imported package.
    pub fn links_package(&self, pkg: &str, imports: &[String]) -> bool {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut todo: Vec<&str> = vec!["runtime"];
        todo.extend(imports.iter().map(|i| self.resolve_import(i)));
        while let Some(p) = todo.pop() {
            if p == pkg {
                return true;
            }
            if !seen.insert(p) {
                continue;
            }
            if let Some(next) = self.imports.get(p) {
                todo.extend(next.iter().map(String::as_str));
            }
        }
        false
    }

    /// Whether some program can link `pkg`: a package a program may import (not internal,
    /// vendored or a command) is `pkg` or imports it, directly or not.
    pub fn linkable(&self, pkg: &str) -> bool {
        let importable: Vec<String> = self
            .packages
            .iter()
            .filter(|p| {
                !p.starts_with("vendor/")
                    && !p.starts_with("cmd/")
                    && !p.split('/').any(|e| e == "internal")
            })
            .cloned()
            .collect();
        self.links_package(pkg, &importable)
    }

    fn resolve_import<'a>(&'a self, path: &'a str) -> &'a str {
        if self.packages.contains(path) {
            return path;
        }
        match self.imports.get_key_value(&format!("vendor/{path}")) {
            Some((k, _)) => k,
            None => path,
        }
    }

    /// Whether reading `roots` from export data reads `target` (both `(package, name)`), and
    /// from which root: the importer reads a named type with its definition and every method
    /// signature, and each object those name, transitively.
    pub fn reads(&self, roots: &[(String, String)], target: &(String, String)) -> Option<String> {
        for root in roots {
            let mut seen: HashSet<(String, String)> = HashSet::new();
            let mut todo = vec![root.clone()];
            while let Some(o) = todo.pop() {
                if &o == target {
                    return Some(format!("{}.{}", root.0, root.1));
                }
                if !seen.insert(o.clone()) {
                    continue;
                }
                let graph = self.object_graph(&o.0);
                if let Some(next) = graph.edges.get(&o.1) {
                    todo.extend(next.iter().filter(|n| !seen.contains(*n)).cloned());
                }
            }
        }
        None
    }

    fn object_graph(&self, pkg: &str) -> std::sync::Arc<ObjectGraph> {
        if let Some(g) = self.objects.lock().ok().and_then(|m| m.get(pkg).cloned()) {
            return g;
        }
        let g = std::sync::Arc::new(self.read_object_graph(pkg));
        if let Ok(mut m) = self.objects.lock() {
            m.insert(pkg.to_string(), g.clone());
        }
        g
    }

    fn read_object_graph(&self, pkg: &str) -> ObjectGraph {
        let mut graph = ObjectGraph::default();
        if !self.packages.contains(pkg) {
            return graph;
        }
        let dir = self.goroot.join("src").join(pkg);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return graph;
        };
        let mut files: Vec<(GoDecls, HashMap<String, String>)> = Vec::new();
        for e in entries.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().to_string();
            if !name.ends_with(".go") || name.ends_with("_test.go") || name.starts_with(['.', '_'])
            {
                continue;
            }
            let Ok(text) = crate::readfile::regular_string(&e.path()) else {
                continue;
            };
            if !file_is_built(&self.ctx, &name, &text) {
                continue;
            }
            let d = decls::parse(&text);
            if d.package
                .as_deref()
                .is_some_and(|p| p.ends_with("_test") || p == "main")
            {
                continue;
            }
            let names = d
                .imports
                .iter()
                .map(|i| {
                    let path = self.resolve_import(&i.path).to_string();
                    (import_name(i.name.as_deref(), &i.path), path)
                })
                .collect();
            files.push((d, names));
        }
        let locals: HashSet<String> = files
            .iter()
            .flat_map(|(d, _)| {
                d.decls
                    .iter()
                    .filter(|x| x.kind != decls::DeclKind::Method)
                    .map(|x| x.name.clone())
            })
            .collect();
        for (d, names) in &files {
            for decl in &d.decls {
                let key = match (&decl.kind, &decl.receiver) {
                    (decls::DeclKind::Method, Some(t)) => t.clone(),
                    (decls::DeclKind::Method, None) => continue,
                    _ => decl.name.clone(),
                };
                let out = graph.edges.entry(key).or_default();
                for (q, n) in &decl.refs {
                    match q {
                        Some(q) => {
                            if let Some(path) = names.get(q) {
                                out.push((path.clone(), n.clone()));
                            }
                        }
                        None if locals.contains(n) => out.push((pkg.to_string(), n.clone())),
                        None => {}
                    }
                }
            }
        }
        graph
    }
}

/// The name an import binds in a file: its alias, else the path's last element (the one
/// before a `/vN` major-version suffix).
pub fn import_name(alias: Option<&str>, path: &str) -> String {
    if let Some(a) = alias {
        return a.to_string();
    }
    let mut parts = path.rsplit('/');
    let last = parts.next().unwrap_or(path);
    let is_major =
        last.len() > 1 && last.starts_with('v') && last[1..].chars().all(|c| c.is_ascii_digit());
    let name = if is_major {
        parts.next().unwrap_or(last)
    } else {
        last
    };
    name.trim_start_matches("go-").replace(['-', '.'], "_")
}

impl LinkerRule {
    /// Where the symbol's package defines it in files not built for this target (other
    /// platforms, releases or experiments): `file:line (constraint)`, for `undefined` reasons.
    pub fn defined_elsewhere(&self, symbol: &str) -> Vec<String> {
        if let Some(known) = self
            .elsewhere
            .lock()
            .ok()
            .and_then(|m| m.get(symbol).cloned())
        {
            return known;
        }
        let found = self.find_elsewhere(symbol);
        if let Ok(mut m) = self.elsewhere.lock() {
            m.insert(symbol.to_string(), found.clone());
        }
        found
    }

    fn find_elsewhere(&self, symbol: &str) -> Vec<String> {
        let Some(pkg) = crate::go::name::package_of(symbol) else {
            return Vec::new();
        };
        let name = symbol.rsplit('.').next().unwrap_or(symbol);
        let dir = self.goroot.join("src").join(pkg);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut files: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| (n.ends_with(".go") && !n.ends_with("_test.go")) || n.ends_with(".s"))
            .collect();
        files.sort();
        let mut out = Vec::new();
        for file in files {
            let Ok(text) = crate::readfile::regular_string(&dir.join(&file)) else {
                continue;
            };
            if !text.contains(name) || file_is_built(&self.ctx, &file, &text) {
                continue;
            }
            let line = if file.ends_with(".s") {
                asm::symbols(&text)
                    .into_iter()
                    .find(|s| s.definition && s.linker_name(pkg) == symbol)
                    .map(|s| s.line)
            } else {
                let d = decls::parse(&text);
                let target = |local: &str| {
                    d.directives
                        .iter()
                        .find(|x| x.local == local)
                        .and_then(|x| x.target.clone())
                };
                d.funcs
                    .iter()
                    .filter(|f| f.has_body && !f.generic)
                    .find(|f| match &f.receiver {
                        Some(_) => f.symbol(pkg) == symbol,
                        None => target(&f.name).unwrap_or_else(|| f.symbol(pkg)) == symbol,
                    })
                    .map(|f| f.line)
                    .or_else(|| {
                        d.vars
                            .iter()
                            .find(|v| {
                                target(&v.name).unwrap_or_else(|| format!("{pkg}.{}", v.name))
                                    == symbol
                            })
                            .map(|v| v.line)
                    })
            };
            if let Some(line) = line {
                let header: String = text.lines().take(40).collect::<Vec<_>>().join("\n");
                let why = describe(&file, &header).unwrap_or_else(|| "cgo".to_string());
                out.push(format!("{pkg}/{file}:{line} ({why})"));
            }
        }
        out
    }
}

fn check_shape(loader: &str, objfile: &str) -> Option<CheckShape> {
    let at = loader.find("func (l *Loader) checkLinkname(")?;
    let line = loader[..at].matches('\n').count() + 1;
    let body_end = loader[at..].find("\n}\n").map_or(loader.len(), |e| at + e);
    let body = &loader[at..body_end];
    Some(CheckShape {
        site: format!("cmd/link/internal/loader/loader.go:{line}"),
        asm_flagged: objfile.contains("w.ctxt.IsAsm && name != \"\""),
        wrapper_allowed: body.contains("osym.ABIWrapper()"),
        from_assembly: body.contains("r.FromAssembly()"),
        linknamestd: body.contains("IsLinknameStd"),
        fips_version_drop: body.contains("crypto/internal/fips140/v"),
    })
}

/// The architectures whose `regabiSupported` is set in internal/buildcfg.
fn regabi_arches(goroot: &Path) -> Vec<String> {
    let Ok(text) = crate::readfile::regular_string(&goroot.join("src/internal/buildcfg/exp.go"))
    else {
        return Vec::new();
    };
    let Some(start) = text.find("var regabiSupported") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for line in text[start..].lines().skip(1) {
        let t = line.trim();
        if t == "}" {
            break;
        }
        if let Some(list) = t.strip_prefix("case ") {
            current = list
                .trim_end_matches(':')
                .split(',')
                .map(|s| s.trim().trim_matches('"').to_string())
                .collect();
        } else if t.starts_with("regabiSupported = true") {
            out.extend(current.iter().cloned());
        }
    }
    out
}

/// The experiments on by default (`baseline := goexperiment.Flags{...}` in internal/buildcfg),
/// lower case as the `goexperiment.X` build tags spell them.
fn baseline_experiments(goroot: &Path, goos: &str, regabi: bool) -> Vec<String> {
    let Ok(text) = crate::readfile::regular_string(&goroot.join("src/internal/buildcfg/exp.go"))
    else {
        return Vec::new();
    };
    let Some(start) = text.find("baseline := goexperiment.Flags{") else {
        return Vec::new();
    };
    let mut on = Vec::new();
    for line in text[start..].lines().skip(1) {
        let t = line.trim();
        if t.starts_with('}') {
            break;
        }
        let Some((name, value)) = t.split_once(':') else {
            continue;
        };
        let value = value.trim().trim_end_matches(',').trim();
        let enabled = match value {
            "true" => true,
            "false" => false,
            "regabiSupported" | "regabiAlwaysOn" => regabi,
            other => local_goos_condition(&text, other, goos).unwrap_or(false),
        };
        if enabled {
            on.push(name.trim().to_lowercase());
        }
    }
    on
}

/// `name := (goos != "darwin" && goos != "ios")` in the same file, evaluated for `goos`.
fn local_goos_condition(text: &str, name: &str, goos: &str) -> Option<bool> {
    let def = text
        .lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{name} := ")))?;
    let expr = def.trim().trim_start_matches('(').trim_end_matches(')');
    let term = |t: &str| -> Option<bool> {
        let t = t.trim();
        if let Some(v) = t.strip_prefix("goos != ") {
            return Some(v.trim_matches('"') != goos);
        }
        if let Some(v) = t.strip_prefix("goos == ") {
            return Some(v.trim_matches('"') == goos);
        }
        None
    };
    if expr.contains("||") {
        let terms: Option<Vec<bool>> = expr.split("||").map(term).collect();
        return terms.map(|t| t.into_iter().any(|b| b));
    }
    let terms: Option<Vec<bool>> = expr.split("&&").map(term).collect();
    terms.map(|t| t.into_iter().all(|b| b))
}

/// `GOEXPERIMENT=a,noB`: turn experiments on and off as the go command does.
pub fn apply_goexperiment(experiments: &mut Vec<String>, env: &str) {
    for item in env.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let item = item.to_lowercase();
        match item.strip_prefix("no") {
            Some(off) => experiments.retain(|e| e != off),
            None if !experiments.contains(&item) => experiments.push(item),
            None => {}
        }
    }
}

/// A built file of the tree: its package and what it declares.
struct TreeFile {
    package: String,
    rel: String,
    content: FileContent,
}

enum FileContent {
    Go(GoDecls),
    Asm(Vec<asm::AsmSymbol>),
}

/// Every built non-test `.go` and `.s` file under `src/`, except `cmd/` and `testdata/`.
fn tree_files(goroot: &Path) -> Result<Vec<(String, String)>> {
    let src = goroot.join("src");
    let mut out = Vec::new();
    let walker = walkdir::WalkDir::new(&src)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            if e.depth() == 0 {
                return true;
            }
            if e.file_type().is_dir() {
                return !(name.starts_with('.')
                    || name.starts_with('_')
                    || name == "testdata"
                    || (e.depth() == 1 && name == "cmd"));
            }
            true
        });
    for entry in walker {
        let entry = entry
            .map_err(|e| Error::Tree(format!("{}: {e}", e.path().unwrap_or(&src).display())))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().to_string();
        let code = (name.ends_with(".go") && !name.ends_with("_test.go")) || name.ends_with(".s");
        if !code || name.starts_with(['.', '_']) {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(&src)
            .unwrap_or(entry.path())
            .to_string_lossy()
            .replace('\\', "/");
        let dir = rel.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        out.push((dir, rel));
    }
    Ok(out)
}

/// Whether a file is built for `ctx`: name suffixes, header constraint, and cgo files only
/// with cgo.
pub fn file_is_built(ctx: &BuildContext, name: &str, text: &str) -> bool {
    let constraint: Option<Constraint> = match header_constraint(text) {
        None => None,
        Some((_, Ok(c))) => Some(c),
        Some((_, Err(_))) => return false,
    };
    if !ctx.builds(name, constraint.as_ref()) {
        return false;
    }
    !(name.ends_with(".go") && !ctx.cgo && imports_c(text))
}

/// `import "C"` in the import declarations: a cgo file, built only with cgo. As for the go
/// command, the words in a comment or a string do not count (go/build's own build.go
/// mentions them); only files that hold `"C"` at all are parsed.
pub fn imports_c(text: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), b"\"C\"").is_some() && decls::parse(text).imports_c()
}

fn read_tree_file(goroot: &Path, ctx: &BuildContext, dir: &str, rel: &str) -> Option<TreeFile> {
    let path = goroot.join("src").join(rel);
    let bytes = crate::readfile::regular(&path).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if !file_is_built(ctx, name, &text) {
        return None;
    }
    let content = if name.ends_with(".go") {
        let decls = decls::parse(&text);
        if decls
            .package
            .as_deref()
            .is_some_and(|p| p.ends_with("_test") || p == "main" || p == "documentation")
        {
            return None;
        }
        FileContent::Go(decls)
    } else {
        FileContent::Asm(asm::symbols(&text))
    };
    Some(TreeFile {
        package: dir.to_string(),
        rel: rel.to_string(),
        content,
    })
}

type Index = (
    HashMap<String, SymbolDef>,
    HashSet<String>,
    HashMap<String, Vec<String>>,
);

fn index_symbols(goroot: &Path, ctx: &BuildContext) -> Result<Index> {
    let files = tree_files(goroot)?;
    let built: Vec<TreeFile> = files
        .par_iter()
        .filter_map(|(dir, rel)| read_tree_file(goroot, ctx, dir, rel))
        .collect();
    let mut by_package: BTreeMap<&str, Vec<&TreeFile>> = BTreeMap::new();
    for f in &built {
        by_package.entry(f.package.as_str()).or_default().push(f);
    }
    let mut symbols: HashMap<String, SymbolDef> = HashMap::new();
    // Pushes and declarations wait until every package's definitions are known: a push or an
    // assembly definition can name another package's symbol.
    let mut pushes: Vec<(String, String, Push)> = Vec::new(); // (package, symbol, push)
    let mut go_decls: Vec<(String, String)> = Vec::new();
    let mut asm_refs: Vec<(String, String)> = Vec::new();
    for (pkg, files) in &by_package {
        add_package(
            pkg,
            files,
            &mut symbols,
            &mut pushes,
            &mut go_decls,
            &mut asm_refs,
        );
    }
    mark(&mut symbols, pushes, go_decls, asm_refs);
    let packages: HashSet<String> = by_package.keys().map(|p| p.to_string()).collect();
    let mut imports: HashMap<String, Vec<String>> = HashMap::new();
    for (pkg, files) in &by_package {
        let mut list: Vec<String> = Vec::new();
        for f in files {
            if let FileContent::Go(d) = &f.content {
                for i in &d.imports {
                    let vendored = format!("vendor/{}", i.path);
                    let path = if !packages.contains(&i.path) && packages.contains(&vendored) {
                        vendored
                    } else {
                        i.path.clone()
                    };
                    if !list.contains(&path) {
                        list.push(path);
                    }
                }
            }
        }
        imports.insert(pkg.to_string(), list);
    }
    Ok((symbols, packages, imports))
}

/// Pushes, Go declarations of assembly functions and assembly references, applied to the
/// definitions they name in their own package once every definition is known.
fn mark(
    symbols: &mut HashMap<String, SymbolDef>,
    pushes: Vec<(String, String, Push)>,
    go_decls: Vec<(String, String)>,
    asm_refs: Vec<(String, String)>,
) {
    for (pkg, sym, push) in pushes {
        if let Some(def) = symbols.get_mut(&sym)
            && def.package == pkg
            && def.push.is_none()
        {
            def.push = Some(push);
        }
    }
    for (pkg, sym) in go_decls {
        if let Some(def) = symbols.get_mut(&sym)
            && def.package == pkg
        {
            def.go_decl = true;
        }
    }
    for (pkg, sym) in asm_refs {
        if let Some(def) = symbols.get_mut(&sym)
            && def.package == pkg
        {
            def.asm_ref_in_package = true;
        }
    }
}

/// The symbols one non-std package defines for `ctx`, read as the tree's packages are: its
/// non-test `.go` and `.s` files in `dir`, each built for `ctx`. `site` prefixes each
/// file name in the definitions' sites. None when no file of it is built.
pub fn package_symbols(
    dir: &Path,
    site: &str,
    pkg: &str,
    ctx: &BuildContext,
) -> Option<HashMap<String, SymbolDef>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| {
            ((n.ends_with(".go") && !n.ends_with("_test.go")) || n.ends_with(".s"))
                && !n.starts_with(['.', '_'])
        })
        .collect();
    names.sort();
    let files: Vec<TreeFile> = names
        .iter()
        .filter_map(|name| {
            let text = crate::readfile::regular_string(&dir.join(name)).ok()?;
            if !file_is_built(ctx, name, &text) {
                return None;
            }
            let content = if name.ends_with(".go") {
                let decls = decls::parse(&text);
                if decls
                    .package
                    .as_deref()
                    .is_some_and(|p| p.ends_with("_test") || p == "documentation")
                {
                    return None;
                }
                FileContent::Go(decls)
            } else {
                FileContent::Asm(asm::symbols(&text))
            };
            Some(TreeFile {
                package: pkg.to_string(),
                rel: format!("{site}{name}"),
                content,
            })
        })
        .collect();
    if files.is_empty() {
        return None;
    }
    let refs: Vec<&TreeFile> = files.iter().collect();
    let (mut symbols, mut pushes, mut go_decls, mut asm_refs) = Default::default();
    add_package(
        pkg,
        &refs,
        &mut symbols,
        &mut pushes,
        &mut go_decls,
        &mut asm_refs,
    );
    mark(&mut symbols, pushes, go_decls, asm_refs);
    Some(symbols)
}

fn add_package(
    pkg: &str,
    files: &[&TreeFile],
    symbols: &mut HashMap<String, SymbolDef>,
    pushes: &mut Vec<(String, String, Push)>,
    go_decls: &mut Vec<(String, String)>,
    asm_refs: &mut Vec<(String, String)>,
) {
    // local name → (target symbol, push) from this package's directives.
    let mut directives: HashMap<&str, (String, Push)> = HashMap::new();
    let mut locals: HashMap<&str, LocalKind> = HashMap::new();
    for f in files {
        if let FileContent::Go(d) = &f.content {
            for dir in &d.directives {
                let target = dir
                    .target
                    .clone()
                    .unwrap_or_else(|| format!("{pkg}.{}", dir.local));
                let push = Push {
                    std_only: dir.std,
                    site: format!("{}:{}", f.rel, dir.line),
                };
                directives
                    .entry(dir.local.as_str())
                    .or_insert((target, push));
            }
            for func in d.funcs.iter().filter(|f| f.receiver.is_none()) {
                locals.insert(
                    func.name.as_str(),
                    LocalKind::Func {
                        has_body: func.has_body,
                    },
                );
            }
            for v in &d.vars {
                locals.insert(
                    v.name.as_str(),
                    LocalKind::Var {
                        has_value: v.has_value,
                    },
                );
            }
        }
    }
    let mut wrappers: Vec<(String, String)> = Vec::new();
    let mut define = |sym: String, kind: DefKind, site: String, has_data: bool| {
        symbols.entry(sym).or_insert(SymbolDef {
            package: pkg.to_string(),
            kind,
            site,
            go_decl: false,
            asm_ref_in_package: false,
            has_data,
            push: None,
            method_wrapper: false,
        });
    };
    for f in files {
        match &f.content {
            FileContent::Go(d) => {
                for func in &d.funcs {
                    if func.generic
                        || func.name == "_"
                        || func.name == "init" && func.receiver.is_none()
                    {
                        continue;
                    }
                    let sym = match (&func.receiver, directives.get(func.name.as_str())) {
                        (None, Some((target, _))) => target.clone(),
                        _ => func.symbol(pkg),
                    };
                    if func.has_body {
                        let site = format!("{}:{}", f.rel, func.line);
                        if let Some((t, false)) = &func.receiver {
                            wrappers.push((format!("{pkg}.(*{t}).{}", func.name), site.clone()));
                        }
                        define(sym, DefKind::GoFunc, site, true);
                    } else if func.receiver.is_none() {
                        go_decls.push((pkg.to_string(), sym));
                    }
                }
                for v in &d.vars {
                    if v.name == "_" {
                        continue;
                    }
                    let sym = match directives.get(v.name.as_str()) {
                        // `var x T` linknamed to another package's name is a reference.
                        Some((target, _))
                            if !v.has_value && crate::go::name::package_of(target) != Some(pkg) =>
                        {
                            continue;
                        }
                        Some((target, _)) => target.clone(),
                        None => format!("{pkg}.{}", v.name),
                    };
                    define(
                        sym,
                        DefKind::GoVar,
                        format!("{}:{}", f.rel, v.line),
                        v.has_value,
                    );
                }
            }
            FileContent::Asm(syms) => {
                for s in syms {
                    let name = s.linker_name(pkg);
                    if s.definition {
                        let kind = if s.text {
                            DefKind::AsmFunc {
                                abi_internal: s.abi_internal,
                            }
                        } else {
                            DefKind::AsmData
                        };
                        define(name, kind, format!("{}:{}", f.rel, s.line), true);
                    } else {
                        asm_refs.push((pkg.to_string(), name));
                    }
                }
            }
        }
    }
    for (sym, site) in wrappers {
        symbols.entry(sym).or_insert(SymbolDef {
            package: pkg.to_string(),
            kind: DefKind::GoFunc,
            site,
            go_decl: false,
            asm_ref_in_package: false,
            has_data: true,
            push: None,
            method_wrapper: true,
        });
    }
    for (local, (target, push)) in directives {
        if locals.contains_key(local) {
            pushes.push((pkg.to_string(), target, push));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goexperiment_env() {
        let mut e = vec!["jsonv2".to_string(), "greenteagc".to_string()];
        apply_goexperiment(&mut e, "noJSONv2,arenas");
        assert_eq!(e, vec!["greenteagc".to_string(), "arenas".to_string()]);
    }

    #[test]
    fn goos_conditions() {
        let text =
            "\tdwarf5Supported := (goos != \"darwin\" && goos != \"ios\" && goos != \"aix\")\n";
        assert_eq!(
            local_goos_condition(text, "dwarf5Supported", "linux"),
            Some(true)
        );
        assert_eq!(
            local_goos_condition(text, "dwarf5Supported", "ios"),
            Some(false)
        );
        assert_eq!(local_goos_condition(text, "other", "linux"), None);
    }

    #[test]
    fn shapes_of_check_linkname() {
        let old = "func (l *Loader) checkLinkname(pkg, name string, s Sym) {\n\tif osym.IsLinkname() || osym.ABIWrapper() {\n\t\treturn\n\t}\n}\n";
        let objfile =
            "if s.IsLinkname() || (w.ctxt.IsAsm && name != \"\") || name == \"main.main\" {";
        let s = check_shape(old, objfile).unwrap();
        assert!(s.asm_flagged && s.wrapper_allowed && !s.from_assembly && !s.linknamestd);
        assert_eq!(s.site, "cmd/link/internal/loader/loader.go:1");
        assert!(check_shape("package loader\n", "").is_none());
    }
}
