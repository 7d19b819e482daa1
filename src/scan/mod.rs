//! `scan`: find every pull `//go:linkname` (and every assembly reference) into the standard
//! library in module sources, attribute it to its module, and judge it with each `--against`
//! tree's linker rule ([`crate::linker`]). Pulls into another module's packages are recorded
//! apart (`target_module`) and judged against that module when it is in the corpus; a
//! module's references to its own packages are its own code, not pulls, and are left out.

pub mod command;
pub mod report;
pub mod walk;

use crate::go::asm;
use crate::go::constraint::{BuildContext, describe};
use crate::go::decls::{self, GoDecls, LocalKind};
use crate::go::gomod::{GoMod, Replacement, is_path_prefix};
use crate::go::name::{is_std, package_of};
use crate::linker::tree::{LinkerRule, file_is_built};
use crate::linker::verdict::{self, ModuleDefs, Pull, PullKind, Verdict};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use walk::{Module, ScanError, Walked};

/// One pull, as written in JSON Lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRecord {
    pub module: String,
    pub version: Option<String>,
    /// Relative to the module root.
    pub file: String,
    pub line: usize,
    /// Byte columns (1-based) of the target: the directive's symbol, or the assembly operand;
    /// `end_column` is just past it (0 in records written before it existed).
    pub column: usize,
    #[serde(default)]
    pub end_column: usize,
    /// The linker name, e.g. `runtime.memhash`.
    pub symbol: String,
    /// The Go name in the pulling file (for assembly: the operand as written).
    pub local: String,
    /// `func`, `var`, `type`, `const` or `asm`.
    pub kind: String,
    pub defines: bool,
    pub test: bool,
    /// The file's build constraint (name suffixes and `//go:build`), or null.
    pub build: Option<String>,
    /// Keyed by each `--against` tree's VERSION line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdicts: Option<BTreeMap<String, Verdict>>,
    /// For a pull into another module's package (not the standard library's): that module.
    /// Absent for standard-library pulls and in records written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_module: Option<TargetModule>,
}

/// The module that provides a module pull's target package, from the pulling module's
/// `go.mod` requirements (the longest module path that is a prefix of the package).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetModule {
    /// Null when no requirement provides the package.
    pub path: Option<String>,
    /// The version the pulling module requires.
    pub version: Option<String>,
}

impl PullRecord {
    /// An active pull some tree rejects or lacks.
    pub fn fails(&self) -> bool {
        self.verdicts
            .as_ref()
            .is_some_and(|v| v.values().any(|v| v.link.fails()))
    }
}

/// A pull found in a file, before judging: what the rule needs besides the record.
struct Found {
    record: PullRecord,
    kind: PullKind,
    /// The package the linker names as the referrer.
    package: String,
    /// File name and text header, to decide per tree whether the file is built.
    name: String,
    header: Option<String>,
    cgo_file: bool,
    /// For a Go pull: its package's Go files and where the pull is declared, to decide per
    /// tree what the compiler emits for it.
    origin: Option<Origin>,
    /// For an assembly file: its package's imports.
    asm_imports: Vec<String>,
    /// For a module pull: the target package and where its module's sources are in the
    /// corpus (resolved after the walk).
    target: Option<ModulePull>,
}

struct ModulePull {
    package: String,
    /// The pulling module's go.mod folder and what it says, to resolve a `replace`.
    gomod: ReadGoMod,
}

/// Where a Go pull sits in its package.
struct Origin {
    folder: Arc<Folder>,
    /// Index of the pull's file in `folder.files`.
    file: usize,
    /// The pulled local name and its declaration's index in the file's `decls`.
    local: String,
    decl: Option<usize>,
}

pub struct ScanOutput {
    pub records: Vec<PullRecord>,
    pub errors: Vec<ScanError>,
    /// Bytes of `.go`/`.s` files read.
    pub bytes: u64,
    pub files: usize,
}

/// Scans `paths` and judges every pull against each rule. `progress` is called once per file.
pub fn scan(
    paths: &[PathBuf],
    rules: &[LinkerRule],
    progress: &(dyn Fn(u64) + Sync),
) -> ScanOutput {
    let walked = walk::walk(paths);
    scan_walked(walked, rules, progress)
}

pub fn scan_walked(
    walked: Walked,
    rules: &[LinkerRule],
    progress: &(dyn Fn(u64) + Sync),
) -> ScanOutput {
    let folders = FolderDecls::default();
    let gomods = GoMods::default();
    let results: Vec<(Vec<Found>, Option<ScanError>, u64)> = walked
        .files
        .par_iter()
        .map(|path| {
            let r = scan_file(path, walked.module_of(path), &folders, &gomods);
            progress(1);
            r
        })
        .collect();
    let mut errors = walked.errors;
    let mut records = Vec::new();
    let mut bytes = 0;
    let mut all = Vec::new();
    for (found, err, n) in results {
        bytes += n;
        errors.extend(err);
        all.extend(found);
    }
    // A symbol the package defines itself (an assembly TEXT/GLOBL, a Go push with a body or
    // value) is what its own assembly references reach: they are not pulls from the standard
    // library. (Another package's definition counts only when both are linked, which scan
    // cannot tell.)
    let key = |r: &PullRecord| {
        let dir = r.file.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        (r.module.clone(), r.version.clone(), dir, r.symbol.clone())
    };
    let own: std::collections::HashSet<_> = all
        .iter()
        .filter(|f| f.record.defines)
        .map(|f| key(&f.record))
        .collect();
    let mut targets = TargetDefs::default();
    for f in all {
        if !f.record.defines && f.record.kind == "asm" && own.contains(&key(&f.record)) {
            continue;
        }
        records.push(judge_all(f, rules, &walked.modules, &mut targets));
    }
    records.sort_by(|a, b| {
        (&a.module, &a.version, &a.file, a.line, a.column)
            .cmp(&(&b.module, &b.version, &b.file, b.line, b.column))
    });
    ScanOutput {
        records,
        errors,
        bytes,
        files: walked.files.len(),
    }
}

fn judge_all(
    f: Found,
    rules: &[LinkerRule],
    modules: &[Module],
    targets: &mut TargetDefs,
) -> PullRecord {
    let mut record = f.record;
    if rules.is_empty() {
        return record;
    }
    let source = f
        .target
        .as_ref()
        .map(|t| (t, target_source(&record, t, modules)));
    let mut verdicts = BTreeMap::new();
    for (r, rule) in rules.iter().enumerate() {
        let active = is_built(&rule.ctx, &f.name, f.header.as_deref(), f.cgo_file);
        let unit = f
            .origin
            .as_ref()
            .map(|o| (o, o.folder.unit(&rule.ctx, o.file)));
        let imports: Vec<String> = unit
            .as_ref()
            .map_or_else(|| f.asm_imports.clone(), |(o, u)| o.folder.imports(u));
        let mut unreferenced = None;
        let mut package_ref = None;
        if let Some((o, u)) = &unit
            && active
            && !record.defines
        {
            unreferenced = o.folder.unreferenced(u, o, &rule.ctx);
            if rule.check.is_some() && unreferenced.is_none() {
                package_ref = o.folder.package_ref(u, o, rule, &record.symbol);
            }
        }
        let pull = Pull {
            symbol: &record.symbol,
            kind: f.kind,
            defines: record.defines,
            package: &f.package,
            active,
            unreferenced: unreferenced.as_deref(),
            package_ref: package_ref.as_deref(),
            imports: &imports,
        };
        let v = match &source {
            None => verdict::judge(rule, &pull),
            Some((t, source)) => {
                let (shown, defs) = match source {
                    Ok(s) => (
                        s.shown.as_str(),
                        match targets.of(s, &t.package, r, rule) {
                            Some(m) => ModuleDefs::Symbols(m),
                            None => ModuleDefs::NoFiles,
                        },
                    ),
                    Err(shown) => (shown.as_str(), ModuleDefs::NotScanned),
                };
                verdict::judge_module(rule, &pull, &t.package, shown, defs)
            }
        };
        verdicts.insert(rule.version.clone(), v);
    }
    record.verdicts = Some(verdicts);
    record
}

fn is_built(ctx: &BuildContext, name: &str, header: Option<&str>, cgo_file: bool) -> bool {
    let text = header.unwrap_or("");
    (ctx.cgo || !cgo_file) && file_is_built(ctx, name, text)
}

/// The lines before the package clause (or first instruction): all a constraint can be in.
fn header_of(text: &str) -> String {
    let mut end = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t.starts_with("package ")
            || (!t.is_empty()
                && !t.starts_with("//")
                && !t.starts_with("/*")
                && !t.starts_with('*'))
        {
            break;
        }
        end += line.len();
    }
    text[..end].to_string()
}

fn scan_file(
    path: &Path,
    module: Option<&Module>,
    folders: &FolderDecls,
    gomods: &GoMods,
) -> (Vec<Found>, Option<ScanError>, u64) {
    let bytes = match crate::readfile::regular(path) {
        Ok(b) => b,
        Err(e) => {
            return (
                Vec::new(),
                Some(ScanError {
                    path: path.display().to_string(),
                    line: None,
                    message: e.to_string(),
                }),
                0,
            );
        }
    };
    let n = bytes.len() as u64;
    let is_go = path.extension().is_some_and(|e| e == "go");
    // Prefilter: only files that can hold a pull are decoded and parsed.
    let candidate = if is_go {
        memchr::memmem::find(&bytes, b"go:linkname").is_some()
    } else {
        memchr::memmem::find(&bytes, "·".as_bytes()).is_some()
    };
    if !candidate {
        return (Vec::new(), None, n);
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            return (
                Vec::new(),
                Some(ScanError {
                    path: path.display().to_string(),
                    line: Some(line),
                    message: format!("not UTF-8 (byte {at})"),
                }),
                n,
            );
        }
    };
    let (module_path, version, root, below) = match module {
        Some(m) => (
            m.import_path.clone().unwrap_or_else(|| m.path.clone()),
            m.version.clone(),
            m.root.clone(),
            m.below.as_str(),
        ),
        None => (
            String::new(),
            None,
            path.parent().map(Path::to_path_buf).unwrap_or_default(),
            "",
        ),
    };
    let rel = path
        .strip_prefix(&root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/");
    let rel = if below.is_empty() {
        rel
    } else {
        format!("{below}/{rel}")
    };
    let rel_dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
    // The standard library's module `std` has import paths without the module prefix.
    let import_path = match (
        module_path.is_empty() || module_path == "std",
        rel_dir.is_empty(),
    ) {
        (true, _) => rel_dir.to_string(),
        (false, true) => module_path.clone(),
        (false, false) => format!("{module_path}/{rel_dir}"),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let header = header_of(&text);
    let build = describe(&name, &header);
    let test = name.ends_with("_test.go");
    let cgo_file = is_go && crate::linker::tree::imports_c(&text);
    let module_name = match module {
        Some(m) => m.path.clone(),
        None => root.display().to_string(),
    };
    let record =
        |line, (column, end_column), symbol: String, local: String, kind: PullKind, defines| {
            PullRecord {
                module: module_name.clone(),
                version: version.clone(),
                file: rel.clone(),
                line,
                column,
                end_column,
                symbol,
                local,
                kind: kind.as_str().to_string(),
                defines,
                test,
                build: build.clone(),
                verdicts: None,
                target_module: None,
            }
        };
    // A target outside the standard library: None for the module's own packages (and
    // `main`), which are its code and not pulls; else the module pull.
    let module_pull = |target_pkg: &str| -> Option<(ModulePull, TargetModule)> {
        if target_pkg == "main" {
            return None;
        }
        let gomod = gomods.of(module.and_then(|m| m.go_mod.as_deref()));
        let provider = gomod
            .as_ref()
            .as_ref()
            .and_then(|(_, g)| g.provider(target_pkg));
        let own = !module_path.is_empty() && is_path_prefix(&module_path, target_pkg);
        // A nested module (its own go.mod, required) provides its packages, not the parent.
        if own && provider.is_none_or(|(p, _)| p.len() <= module_path.len()) {
            return None;
        }
        let target = TargetModule {
            path: provider.map(|(p, _)| p.to_string()),
            version: provider.map(|(_, v)| v.to_string()),
        };
        Some((
            ModulePull {
                package: target_pkg.to_string(),
                gomod: gomod.clone(),
            },
            target,
        ))
    };
    let mut found = Vec::new();
    if is_go {
        let decls = decls::parse(&text);
        let package = linker_package(decls.package.as_deref(), &import_path);
        let mut siblings: Option<Arc<Folder>> = None;
        for d in &decls.directives {
            let Some(d_target) = &d.target else { continue };
            let Some(target_pkg) = package_of(d_target) else {
                continue;
            };
            if target_pkg == import_path {
                continue;
            }
            let target = match is_std(target_pkg) {
                true => None,
                false => match module_pull(target_pkg) {
                    Some(t) => Some(t),
                    None => continue,
                },
            };
            let folder = siblings.get_or_insert_with(|| folders.of(path)).clone();
            let local_kind = decls.lookup(&d.local).map(|(k, _)| k).or_else(|| {
                folder
                    .files
                    .iter()
                    .filter(|s| s.decls.package == decls.package)
                    .find_map(|s| s.decls.lookup(&d.local).map(|(k, _)| k))
            });
            let origin = folder
                .files
                .iter()
                .position(|s| s.name == name)
                .map(|file| Origin {
                    file,
                    decl: folder.files[file]
                        .decls
                        .decls
                        .iter()
                        .position(|x| x.name == d.local && x.kind != decls::DeclKind::Method),
                    local: d.local.clone(),
                    folder: folder.clone(),
                });
            let (kind, defines) = match local_kind {
                Some(LocalKind::Func { has_body }) => (PullKind::Func, has_body),
                Some(LocalKind::Var { has_value }) => (PullKind::Var, has_value),
                Some(LocalKind::Type) => (PullKind::Type, false),
                Some(LocalKind::Const) => (PullKind::Const, false),
                None => (PullKind::Func, false),
            };
            let mut r = record(
                d.line,
                target_columns(&text, d.line, d.col, d_target),
                d_target.clone(),
                d.local.clone(),
                kind,
                defines,
            );
            let target = target.map(|(pull, t)| {
                r.target_module = Some(t);
                pull
            });
            found.push(Found {
                record: r,
                kind,
                package: package.clone(),
                name: name.clone(),
                header: Some(header.clone()),
                cgo_file,
                origin,
                asm_imports: Vec::new(),
                target,
            });
        }
    } else {
        let package = linker_package(dir_package(path).as_deref(), &import_path);
        let mut seen = std::collections::HashSet::new();
        let folder = folders.of(path);
        let plain: Vec<usize> = (0..folder.files.len())
            .filter(|&i| !folder.files[i].name.ends_with("_test.go"))
            .collect();
        let asm_imports = folder.imports(&plain);
        for s in asm::symbols(&text) {
            let Some(p) = &s.package else { continue };
            if *p == import_path {
                continue;
            }
            let target = match is_std(p) {
                true => None,
                false => match module_pull(p) {
                    Some(t) => Some(t),
                    None => continue,
                },
            };
            let symbol = s.linker_name(&import_path);
            if !seen.insert((symbol.clone(), s.definition)) {
                continue;
            }
            // As written: every `.` of the path as `·`, every `/` as `∕`.
            let local = format!("{}·{}", p.replace('.', "·").replace('/', "∕"), s.name);
            let kind = PullKind::Asm {
                abi_internal: s.abi_internal,
                is_static: s.is_static,
            };
            let local = if s.is_static {
                format!("{local}<>")
            } else {
                local
            };
            let mut r = record(
                s.line,
                (s.col, s.end_col),
                symbol,
                local,
                kind,
                s.definition,
            );
            let target = target.map(|(pull, t)| {
                r.target_module = Some(t);
                pull
            });
            found.push(Found {
                record: r,
                kind,
                package: package.clone(),
                name: name.clone(),
                header: Some(header.clone()),
                cgo_file: false,
                origin: None,
                asm_imports: asm_imports.clone(),
                target,
            });
        }
    }
    (found, None, n)
}

/// The package name the linker reports for a file's package: `main` for commands.
fn linker_package(name: Option<&str>, import_path: &str) -> String {
    match name {
        Some("main") => "main".to_string(),
        Some(n) if n.ends_with("_test") => format!("{import_path}_test"),
        _ => import_path.to_string(),
    }
}

/// The package clause of the first non-test Go file beside an assembly file.
fn dir_package(asm_file: &Path) -> Option<String> {
    let dir = asm_file.parent()?;
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "go")
                && !p.to_string_lossy().ends_with("_test.go")
                && p.is_file()
        })
        .collect();
    names.sort();
    for p in names {
        if let Ok(text) = crate::readfile::regular_string(&p)
            && let Some(name) = text
                .lines()
                .find_map(|l| l.strip_prefix("package ").map(|n| n.trim().to_string()))
        {
            return Some(name);
        }
    }
    None
}

/// Byte columns of a directive's target on its line: (start, just past the end).
fn target_columns(text: &str, line: usize, col: usize, target: &str) -> (usize, usize) {
    let Some(l) = text.lines().nth(line.saturating_sub(1)) else {
        return (col, col);
    };
    let from = col.saturating_sub(1).min(l.len());
    // The target is the directive's last field.
    match l[from..].rfind(target) {
        Some(at) => (from + at + 1, from + at + 1 + target.len()),
        None => (col, col),
    }
}

/// One Go file of a folder, as much as deciding what the compiler emits for a pull needs.
struct FolderFile {
    name: String,
    header: String,
    cgo: bool,
    decls: GoDecls,
    uses: HashMap<String, Vec<decls::Use>>,
}

/// A folder's Go files, sorted by name as the go command passes them to the compiler.
#[derive(Default)]
struct Folder {
    files: Vec<FolderFile>,
}

impl Folder {
    /// The files compiled with file `at` for `ctx`, in the compiler's order: a package's
    /// files, then (for a test file of the package) its test files; or an external test
    /// package's files alone.
    fn unit(&self, ctx: &BuildContext, at: usize) -> Vec<usize> {
        let me = &self.files[at];
        let test = me.name.ends_with("_test.go");
        let external = me
            .decls
            .package
            .as_deref()
            .is_some_and(|p| p.ends_with("_test"));
        let built = |f: &FolderFile| is_built(ctx, &f.name, Some(&f.header), f.cgo);
        let (mut plain, mut tests) = (Vec::new(), Vec::new());
        for (i, f) in self.files.iter().enumerate() {
            if !built(f) && i != at {
                continue;
            }
            let f_test = f.name.ends_with("_test.go");
            let f_external = f
                .decls
                .package
                .as_deref()
                .is_some_and(|p| p.ends_with("_test"));
            if external {
                if f_external {
                    tests.push(i);
                }
            } else if !f_test {
                plain.push(i);
            } else if test && !f_external {
                tests.push(i);
            }
        }
        plain.extend(tests);
        plain
    }

    fn imports(&self, unit: &[usize]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for &i in unit {
            for imp in &self.files[i].decls.imports {
                if !out.contains(&imp.path) {
                    out.push(imp.path.clone());
                }
            }
        }
        out
    }

    /// Why nothing live in the unit uses the pull's local name, if nothing does.
    fn unreferenced(&self, unit: &[usize], o: &Origin, ctx: &BuildContext) -> Option<String> {
        let decl_line = o
            .decl
            .and_then(|d| self.files[o.file].decls.decls.get(d))
            .map(|d| d.line);
        let mut folded = None;
        for &i in unit {
            let f = &self.files[i];
            let Some(uses) = f.uses.get(&o.local) else {
                continue;
            };
            let mut decl_seen = false;
            for u in uses {
                if u.declares || (i == o.file && Some(u.line) == decl_line && !decl_seen) {
                    decl_seen = true;
                    continue;
                }
                match u.conds.iter().find(|c| !c.holds(&ctx.goos, &ctx.goarch)) {
                    None => return None,
                    Some(c) => {
                        folded.get_or_insert_with(|| {
                            let what = if c.goarch { "GOARCH" } else { "GOOS" };
                            let op = if c.negate { "not" } else { "" };
                            format!(
                                "{}:{} is under runtime.{what} {op} in {:?}, which the compiler folds away",
                                f.name, u.line, c.values
                            )
                            .replace("  ", " ")
                        });
                    }
                }
            }
        }
        Some(folded.unwrap_or_else(|| format!("{} is declared but never used", o.local)))
    }

    /// Whether the compiler reads the pulled symbol's object (a method's receiver type) from
    /// export data before it reads the pull, so that the reference is a package reference.
    fn package_ref(
        &self,
        unit: &[usize],
        o: &Origin,
        rule: &LinkerRule,
        symbol: &str,
    ) -> Option<String> {
        let target = export_object(rule, symbol)?;
        let decl = o.decl?;
        // The compiler reads variable initializers first (init order), then every
        // declaration in file order; a declaration reads its signature or type, not a body.
        let mut order: Vec<(usize, usize)> = Vec::new();
        for &i in unit {
            for (k, d) in self.files[i].decls.decls.iter().enumerate() {
                if d.kind == decls::DeclKind::Var && d.has_value {
                    order.push((i, k));
                }
            }
        }
        'files: for &i in unit {
            for k in 0..self.files[i].decls.decls.len() {
                order.push((i, k));
                if i == o.file && k == decl {
                    break 'files;
                }
            }
        }
        let mut roots: Vec<(String, String)> = Vec::new();
        let mut seen_local: std::collections::HashSet<String> = Default::default();
        let mut todo = order;
        while let Some((i, k)) = todo.pop() {
            let f = &self.files[i];
            let d = &f.decls.decls[k];
            for (q, n) in &d.refs {
                match q {
                    Some(q) => {
                        if let Some(imp) = f.decls.imports.iter().find(|imp| {
                            crate::linker::tree::import_name(imp.name.as_deref(), &imp.path) == *q
                        }) && is_std(&imp.path)
                        {
                            roots.push((imp.path.clone(), n.clone()));
                        }
                    }
                    // A local type is read with its methods; a local func or var with its
                    // declaration.
                    None if seen_local.insert(n.clone()) => {
                        for &j in unit {
                            for (k2, d2) in self.files[j].decls.decls.iter().enumerate() {
                                let named = d2.kind != decls::DeclKind::Method && d2.name == *n;
                                if named || d2.receiver.as_deref() == Some(n.as_str()) {
                                    todo.push((j, k2));
                                }
                            }
                        }
                    }
                    None => {}
                }
            }
        }
        rule.reads(&roots, &target)
    }
}

/// The object whose reading from export data indexes `symbol`: a declared method's receiver
/// type, or the function or variable itself. Compiler-made wrappers are in no export data.
fn export_object(rule: &LinkerRule, symbol: &str) -> Option<(String, String)> {
    let def = rule.symbols.get(symbol)?;
    if def.method_wrapper {
        return None;
    }
    let pkg = package_of(symbol)?;
    let rest = &symbol[pkg.len() + 1..];
    let object = match rest.strip_prefix("(*") {
        Some(r) => r.split_once(')')?.0,
        None => rest.split('.').next()?,
    };
    Some((pkg.to_string(), object.to_string()))
}

/// A module's go.mod with its folder; None for a module without one, or one that does not
/// read (the walk reports that).
type ReadGoMod = Arc<Option<(PathBuf, GoMod)>>;

/// Each module's go.mod (with its folder), read once when one of its files names a non-std
/// package. None for a module without one, or one that does not read (the walk reports that).
#[derive(Default)]
struct GoMods(Mutex<HashMap<PathBuf, ReadGoMod>>);

impl GoMods {
    fn of(&self, go_mod: Option<&Path>) -> ReadGoMod {
        let Some(go_mod) = go_mod else {
            return Arc::new(None);
        };
        if let Some(g) = self.0.lock().ok().and_then(|m| m.get(go_mod).cloned()) {
            return g;
        }
        let read = crate::readfile::regular_string(go_mod)
            .ok()
            .and_then(|t| crate::go::gomod::parse(&t).ok())
            .map(|g| (go_mod.parent().unwrap_or(Path::new(".")).to_path_buf(), g));
        let read = Arc::new(read);
        if let Ok(mut m) = self.0.lock() {
            m.insert(go_mod.to_path_buf(), read.clone());
        }
        read
    }
}

/// Where a module pull's target module is in the corpus.
struct TargetSource {
    /// Its root (for vendored copies, `vendor/<path>`), and the required module path, which
    /// the packages' import paths start with (also when a replacement has another path).
    root: PathBuf,
    path: String,
    /// `path version`, with `=> replacement` when replaced, for the reasons.
    shown: String,
}

/// The corpus module the pulling module builds for `t`: the required version, or what its
/// `replace` puts there (a folder, or another module at a version). Else how to name it.
fn target_source(
    record: &PullRecord,
    t: &ModulePull,
    modules: &[Module],
) -> Result<TargetSource, String> {
    let Some(TargetModule {
        path: Some(path),
        version: Some(version),
    }) = &record.target_module
    else {
        return Err(format!(
            "no requirement of {}'s go.mod provides {}, so its module",
            record.module, t.package
        ));
    };
    let gomod = t.gomod.as_ref().as_ref();
    let replaced = gomod.and_then(|(dir, g)| Some((dir, g.replacement(path, version)?)));
    let (found, shown) = match replaced {
        Some((dir, Replacement::Dir(d))) => {
            let want = dir.join(d).canonicalize().ok();
            let m = modules.iter().find(|m| {
                m.below.is_empty() && want.is_some() && m.root.canonicalize().ok() == want
            });
            (m, format!("{path} {version} => {d}"))
        }
        Some((
            _,
            Replacement::Module {
                path: p,
                version: v,
            },
        )) => (
            modules
                .iter()
                .find(|m| m.path == *p && m.version.as_deref() == Some(v.as_str())),
            format!("{path} {version} => {p} {v}"),
        ),
        None => (
            modules
                .iter()
                .find(|m| m.path == *path && m.version.as_deref() == Some(version.as_str())),
            format!("{path} {version}"),
        ),
    };
    match found {
        Some(m) => Ok(TargetSource {
            root: m.root.clone(),
            path: path.clone(),
            shown,
        }),
        None => Err(shown),
    }
}

/// The symbols of target packages, per package folder and rule, read once.
#[derive(Default)]
struct TargetDefs(
    HashMap<(PathBuf, usize), Option<HashMap<String, crate::linker::tree::SymbolDef>>>,
);

impl TargetDefs {
    fn of(
        &mut self,
        s: &TargetSource,
        package: &str,
        rule_index: usize,
        rule: &LinkerRule,
    ) -> Option<&HashMap<String, crate::linker::tree::SymbolDef>> {
        // A replacement module keeps the required module's import paths.
        let below = package
            .strip_prefix(s.path.as_str())
            .unwrap_or("")
            .trim_start_matches('/');
        let dir = s.root.join(below);
        let site = match below {
            "" => String::new(),
            b => format!("{b}/"),
        };
        self.0
            .entry((dir.clone(), rule_index))
            .or_insert_with(|| {
                crate::linker::tree::package_symbols(&dir, &site, package, &rule.ctx)
            })
            .as_ref()
    }
}

/// Each folder's Go files, read once per folder holding a pull.
#[derive(Default)]
struct FolderDecls(Mutex<HashMap<PathBuf, Arc<Folder>>>);

impl FolderDecls {
    fn of(&self, file: &Path) -> Arc<Folder> {
        let Some(dir) = file.parent() else {
            return Arc::default();
        };
        if let Some(d) = self.0.lock().ok().and_then(|m| m.get(dir).cloned()) {
            return d;
        }
        let decls = Arc::new(folder_decls(dir));
        if let Ok(mut m) = self.0.lock() {
            m.insert(dir.to_path_buf(), decls.clone());
        }
        decls
    }
}

fn folder_decls(dir: &Path) -> Folder {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Folder::default();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "go") && p.is_file())
        .collect();
    paths.sort();
    let files = paths
        .into_iter()
        .filter_map(|p| {
            let text = crate::readfile::regular_string(&p).ok()?;
            let name = p.file_name()?.to_string_lossy().to_string();
            let decls = decls::parse(&text);
            Some(FolderFile {
                header: header_of(&text),
                cgo: decls.imports_c(),
                uses: decls::uses(&text, &decls),
                decls,
                name,
            })
        })
        .filter(|f| !f.name.starts_with(['.', '_']))
        .collect();
    Folder { files }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_strings() {
        assert_eq!(describe("a.go", "package a\n"), None);
        assert_eq!(describe("a_arm64.go", "package a\n"), Some("arm64".into()));
        assert_eq!(
            describe(
                "a_linux_amd64.s",
                "//go:build !purego\n\n#include \"textflag.h\"\n"
            ),
            Some("linux && amd64 && !purego".into())
        );
        assert_eq!(
            describe("a.go", "// +build go1.20,!go1.26\n\npackage a\n"),
            Some("go1.20 && !go1.26".into())
        );
    }

    #[test]
    fn linker_packages() {
        assert_eq!(linker_package(Some("main"), "example.com/x/cmd"), "main");
        assert_eq!(linker_package(Some("x"), "example.com/x"), "example.com/x");
        assert_eq!(
            linker_package(Some("x_test"), "example.com/x"),
            "example.com/x_test"
        );
    }

    #[test]
    fn headers_stop_at_the_package_clause() {
        let src = "// c\n//go:build linux\n\npackage a\n//go:build windows\n";
        assert_eq!(header_of(src), "// c\n//go:build linux\n\n");
    }
}
