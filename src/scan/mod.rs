//! `scan`: find every pull `//go:linkname` (and every assembly reference) into the standard
//! library in module sources, attribute it to its module, and judge it with each `--against`
//! tree's linker rule ([`crate::linker`]).

pub mod command;
pub mod report;
pub mod walk;

use crate::linker::asm;
use crate::linker::constraint::{BuildContext, describe};
use crate::linker::godecl::{self, GoDecls, LocalKind};
use crate::linker::tree::{LinkerRule, file_is_built};
use crate::linker::verdict::{self, Pull, PullKind, Verdict, is_std, symbol_package};
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
    pub column: usize,
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
    let results: Vec<(Vec<Found>, Option<ScanError>, u64)> = walked
        .files
        .par_iter()
        .map(|path| {
            let r = scan_file(path, walked.module_of(path), &folders);
            progress(1);
            r
        })
        .collect();
    let mut errors = walked.errors;
    let mut records = Vec::new();
    let mut bytes = 0;
    for (found, err, n) in results {
        bytes += n;
        errors.extend(err);
        for f in found {
            records.push(judge_all(f, rules));
        }
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

fn judge_all(f: Found, rules: &[LinkerRule]) -> PullRecord {
    let mut record = f.record;
    if rules.is_empty() {
        return record;
    }
    let mut verdicts = BTreeMap::new();
    for rule in rules {
        let active = is_built(&rule.ctx, &f.name, f.header.as_deref(), f.cgo_file);
        let v = verdict::judge(
            rule,
            &Pull {
                symbol: &record.symbol,
                kind: f.kind,
                defines: record.defines,
                package: &f.package,
                active,
            },
        );
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
        |line, column, symbol: String, local: String, kind: PullKind, defines| PullRecord {
            module: module_name.clone(),
            version: version.clone(),
            file: rel.clone(),
            line,
            column,
            symbol,
            local,
            kind: kind.as_str().to_string(),
            defines,
            test,
            build: build.clone(),
            verdicts: None,
        };
    let mut found = Vec::new();
    if is_go {
        let decls = godecl::parse(&text);
        let package = linker_package(decls.package.as_deref(), &import_path);
        let mut siblings: Option<Arc<Vec<GoDecls>>> = None;
        for d in &decls.directives {
            let Some(target) = &d.target else { continue };
            let Some(target_pkg) = symbol_package(target) else {
                continue;
            };
            if !is_std(target_pkg) || target_pkg == import_path {
                continue;
            }
            let local_kind = decls.lookup(&d.local).map(|(k, _)| k).or_else(|| {
                let sib = siblings.get_or_insert_with(|| folders.of(path));
                sib.iter().find_map(|s| s.lookup(&d.local).map(|(k, _)| k))
            });
            let (kind, defines) = match local_kind {
                Some(LocalKind::Func { has_body }) => (PullKind::Func, has_body),
                Some(LocalKind::Var { has_value }) => (PullKind::Var, has_value),
                Some(LocalKind::Type) => (PullKind::Type, false),
                Some(LocalKind::Const) => (PullKind::Const, false),
                None => (PullKind::Func, false),
            };
            found.push(Found {
                record: record(
                    d.line,
                    d.col,
                    target.clone(),
                    d.local.clone(),
                    kind,
                    defines,
                ),
                kind,
                package: package.clone(),
                name: name.clone(),
                header: Some(header.clone()),
                cgo_file,
            });
        }
    } else {
        let package = linker_package(dir_package(path).as_deref(), &import_path);
        let mut seen = std::collections::HashSet::new();
        for s in asm::symbols(&text) {
            let Some(p) = &s.package else { continue };
            if !is_std(p) || *p == import_path {
                continue;
            }
            let symbol = s.linker_name(&import_path);
            if !seen.insert((symbol.clone(), s.definition)) {
                continue;
            }
            let local = format!("{}·{}", p.replace('/', "∕"), s.name);
            let kind = PullKind::Asm {
                abi_internal: s.abi_internal,
            };
            found.push(Found {
                record: record(s.line, s.col, symbol, local, kind, s.definition),
                kind,
                package: package.clone(),
                name: name.clone(),
                header: Some(header.clone()),
                cgo_file: false,
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

/// Declarations of each folder's Go files, read once per folder when a directive names a
/// local declared in another file of its package.
#[derive(Default)]
struct FolderDecls(Mutex<HashMap<PathBuf, Arc<Vec<GoDecls>>>>);

impl FolderDecls {
    fn of(&self, file: &Path) -> Arc<Vec<GoDecls>> {
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

fn folder_decls(dir: &Path) -> Vec<GoDecls> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "go") && p.is_file())
        .filter_map(|p| crate::readfile::regular_string(&p).ok())
        .map(|t| godecl::parse(&t))
        .collect()
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
