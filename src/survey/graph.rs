//! `dependents count`: direct+indirect dependents of every module in a corpus, from its `go.mod`
//! files alone. A module's requirements are those of its newest version in the corpus (semver
//! order, pseudo-versions as the pre-releases they are, `+incompatible` ignored as build
//! metadata); an edge is a `require` of a module path whatever the version (`// indirect` too);
//! a module's count is the number of other module paths whose requirement graph reaches it.

use super::{Error, Result};
use crate::scan::walk::unescape;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What the graph needs from one `go.mod`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoMod {
    pub module: Option<String>,
    /// Required module paths, in file order, without duplicates.
    pub requires: Vec<String>,
}

/// Parses the parts of a `go.mod` the graph uses with the one go.mod reader
/// ([`crate::go::gomod::parse`]), which refuses what the go command refuses to read.
pub fn parse_gomod(file: &str, text: &str) -> Result<GoMod> {
    let got =
        crate::go::gomod::parse(text).map_err(|e| Error::at(file, e.line, e.col, e.message))?;
    Ok(GoMod {
        module: got.module.map(|(p, _)| p),
        requires: got.requires,
    })
}

/// Semantic-version order as the go command uses it: `vMAJOR.MINOR.PATCH[-pre][+build]`, build
/// metadata (`+incompatible`) ignored, pre-releases (pseudo-versions among them) below their
/// release. Strings that are not versions sort below every version, among themselves by text.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    match (parse_semver(a), parse_semver(b)) {
        (Some(x), Some(y)) => {
            x.0.cmp(&y.0)
                .then_with(|| compare_prerelease(x.1, y.1))
                .then_with(|| a.cmp(b))
        }
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => a.cmp(b),
    }
}

type Semver<'a> = ([u64; 3], Option<&'a str>);

fn parse_semver(v: &str) -> Option<Semver<'_>> {
    let v = v.strip_prefix('v')?;
    let v = v.split_once('+').map_or(v, |(core, _)| core);
    let (core, pre) = match v.split_once('-') {
        Some((c, p)) if !p.is_empty() => (c, Some(p)),
        Some(_) => return None,
        None => (v, None),
    };
    let mut nums = [0u64; 3];
    let mut parts = core.split('.');
    for n in &mut nums {
        let p = parts.next()?;
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *n = p.parse().ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some((nums, pre))
}

fn compare_prerelease(a: Option<&str>, b: Option<&str>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => {
            let mut x = a.split('.');
            let mut y = b.split('.');
            loop {
                match (x.next(), y.next()) {
                    (None, None) => return Ordering::Equal,
                    (None, Some(_)) => return Ordering::Less,
                    (Some(_), None) => return Ordering::Greater,
                    (Some(p), Some(q)) => {
                        let num = |s: &str| s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty();
                        let o = match (num(p), num(q)) {
                            (true, true) => (p.len(), p).cmp(&(q.len(), q)),
                            (true, false) => Ordering::Less,
                            (false, true) => Ordering::Greater,
                            (false, false) => p.cmp(q),
                        };
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                }
            }
        }
    }
}

/// One `go.mod` of the corpus: a module version and where it was read.
#[derive(Debug, Clone)]
struct Found {
    path: String,
    version: Option<String>,
    requires: Vec<String>,
    file: PathBuf,
}

/// Dependents per module path, most-depended-on first, and what was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    pub counts: Vec<(String, u64)>,
    /// go.mod files read, and the distinct module paths they are for.
    pub files: usize,
    pub modules: usize,
}

/// Reads every go.mod of the corpus under `paths` and counts dependents.
pub fn count(paths: &[PathBuf]) -> Result<Counts> {
    let mut found = Vec::new();
    for p in paths {
        collect(p, &mut found)?;
    }
    let files = found.len();
    // The newest version of each module path gives its requirements.
    let mut newest: BTreeMap<String, Found> = BTreeMap::new();
    for f in found {
        match newest.get(&f.path) {
            Some(old) if !newer(&f, old) => {}
            _ => {
                newest.insert(f.path.clone(), f);
            }
        }
    }
    let modules = newest.len();
    let edges: BTreeMap<String, Vec<String>> = newest
        .into_iter()
        .map(|(path, f)| (path, f.requires))
        .collect();
    Ok(Counts {
        counts: dependents(&edges),
        files,
        modules,
    })
}

fn newer(a: &Found, b: &Found) -> bool {
    let by_version = match (&a.version, &b.version) {
        (Some(x), Some(y)) => compare_versions(x, y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => Ordering::Equal,
    };
    // Equal versions (a root and its cache .mod): the first file in path order wins.
    by_version.then_with(|| b.file.cmp(&a.file)) == Ordering::Greater
}

/// Dependents of every module path named in `edges` (as a requirer or a requirement), from the
/// requirement edges `module → required paths`: most first, then by path.
pub fn dependents(edges: &BTreeMap<String, Vec<String>>) -> Vec<(String, u64)> {
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for (m, reqs) in edges {
        names.insert(m);
        names.extend(reqs.iter().map(String::as_str));
    }
    let names: Vec<&str> = names.into_iter().collect();
    let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    // Reverse edges: who requires each module.
    let mut rev: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
    for (m, reqs) in edges {
        let from = index[m.as_str()];
        for r in reqs {
            let to = index[r.as_str()];
            if to != from {
                rev[to].push(from);
            }
        }
    }
    use rayon::prelude::*;
    let counts: Vec<u64> = (0..names.len())
        .into_par_iter()
        .map(|start| {
            let mut seen = vec![false; names.len()];
            seen[start] = true;
            let mut stack = vec![start];
            let mut n = 0u64;
            while let Some(at) = stack.pop() {
                for &who in &rev[at] {
                    if !seen[who] {
                        seen[who] = true;
                        n += 1;
                        stack.push(who);
                    }
                }
            }
            n
        })
        .collect();
    let mut out: Vec<(String, u64)> = names
        .iter()
        .zip(counts)
        .map(|(n, c)| (n.to_string(), c))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Finds go.mod files (module roots, `path@version` folders) and `cache/download/.../@v/*.mod`
/// files under `root`, skipping what the go command skips (`testdata`, `vendor`, `_*`, `.*`).
fn collect(root: &Path, out: &mut Vec<Found>) -> Result<()> {
    let meta = std::fs::metadata(root).map_err(|e| Error::io(root, e))?;
    if meta.is_file() {
        return read_mod_file(root, out);
    }
    let walker = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0
                || !e.file_type().is_dir()
                || !e.file_name().to_str().is_some_and(|n| {
                    n == "testdata" || n == "vendor" || n.starts_with('_') || n.starts_with('.')
                })
        });
    for entry in walker {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(root).to_path_buf();
            match e.into_io_error() {
                Some(err) => Error::io(path, err),
                None => Error::io(path, std::io::Error::other("symlink loop")),
            }
        })?;
        if entry.file_type().is_file() && !inside_module_version(root, entry.path()) {
            read_mod_file(entry.path(), out)?;
        }
    }
    Ok(())
}

/// A go.mod below the root of an extracted `path@version` folder: not a module of the cache
/// (module zips leave nested modules out; only toolchain zips, whole GOROOTs, hold them).
fn inside_module_version(root: &Path, file: &Path) -> bool {
    let Ok(rel) = file.strip_prefix(root) else {
        return false;
    };
    let dirs: Vec<_> = rel.components().collect();
    dirs.len() > 2
        && dirs[..dirs.len() - 2]
            .iter()
            .any(|c| c.as_os_str().to_string_lossy().contains('@'))
}

fn read_mod_file(path: &Path, out: &mut Vec<Found>) -> Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let parent = path.parent();
    let parent_name = parent
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("");
    let (cache_path, version) = if name == "go.mod" {
        (None, parent_name.split_once('@').map(|(_, v)| unescape(v)))
    } else if let (Some(stem), "@v") = (name.strip_suffix(".mod"), parent_name) {
        // cache/download/<escaped path>/@v/<escaped version>.mod
        let full = format!("/{}", path.to_string_lossy().replace('\\', "/"));
        let Some(at) = full.rfind("/cache/download/") else {
            return Ok(());
        };
        let tail = &full[at + "/cache/download/".len()..];
        let Some(escaped) = tail.strip_suffix(&format!("/@v/{name}")) else {
            return Ok(());
        };
        (Some(unescape(escaped)), Some(unescape(stem)))
    } else {
        return Ok(());
    };
    let shown = path.display().to_string();
    let bytes = crate::readfile::regular(path).map_err(|e| Error::io(path, e))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| Error::from(crate::error::Error::encoding(&shown, &bytes, &e)))?;
    let gomod = parse_gomod(&shown, text)?;
    let module = match (cache_path, gomod.module) {
        (Some(p), _) => p,
        (None, Some(m)) => m,
        (None, None) => return Err(Error::at(&shown, 1, 1, "no module line in go.mod")),
    };
    out.push(Found {
        path: module,
        version,
        requires: gomod.requires,
        file: path.to_path_buf(),
    });
    Ok(())
}

/// CSV that `dependents import` reads: a header, then `module,dependents` lines.
pub fn to_csv(counts: &[(String, u64)]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["module", "dependents"]);
    for (m, n) in counts {
        let _ = w.write_record([m.as_str(), &n.to_string()]);
    }
    // Writing to memory cannot fail.
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_mod_requires_blocks_comments_and_quotes() {
        let text = "// c\nmodule \"example.com/a\" // x\n\ngo 1.22\n\nrequire example.com/b v1.0.0\nrequire (\n\texample.com/c v0.0.0-20200101000000-abcdefabcdef // indirect\n\t\"example.com/d\" v2.0.0+incompatible\n)\nreplace example.com/b => ../b\nretract [v1.0.0, v1.0.1]\n";
        let m = parse_gomod("go.mod", text).unwrap();
        assert_eq!(m.module.as_deref(), Some("example.com/a"));
        assert_eq!(
            m.requires,
            ["example.com/b", "example.com/c", "example.com/d"]
        );
    }

    #[test]
    fn broken_go_mod_names_file_and_line() {
        let e = parse_gomod("x/go.mod", "module a\n\nrequire (\n\tb v1.0.0\n")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "x/go.mod:3:1: require ( block is never closed");
        let e = parse_gomod("go.mod", "module a\nrequire b\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("go.mod:2:1: usage: require"), "{e}");
        let e = parse_gomod("go.mod", "module \"a\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("go.mod:1:8: unterminated"), "{e}");
        let e = parse_gomod("go.mod", "module a\nrequire b 1.0\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("go.mod:2:1:"), "{e}");
    }

    #[test]
    fn version_order() {
        let mut v = vec![
            "v1.10.0",
            "v1.2.0",
            "v2.0.0+incompatible",
            "v1.2.0-rc.1",
            "v0.0.0-20240101000000-abcdefabcdef",
            "v1.2.1-0.20230101000000-abcdefabcdef",
            "v1.2.0-beta.2",
            "v1.2.0-beta.10",
            "junk",
        ];
        v.sort_by(|a, b| compare_versions(a, b));
        assert_eq!(
            v,
            [
                "junk",
                "v0.0.0-20240101000000-abcdefabcdef",
                "v1.2.0-beta.2",
                "v1.2.0-beta.10",
                "v1.2.0-rc.1",
                "v1.2.0",
                "v1.2.1-0.20230101000000-abcdefabcdef",
                "v1.10.0",
                "v2.0.0+incompatible",
            ]
        );
    }

    #[test]
    fn counts_follow_indirect_edges_and_ignore_cycles_to_self() {
        let mut e = BTreeMap::new();
        e.insert("a".to_string(), vec!["b".to_string()]);
        e.insert("b".to_string(), vec!["c".to_string(), "a".to_string()]);
        e.insert("d".to_string(), vec!["c".to_string()]);
        let got = dependents(&e);
        assert_eq!(
            got,
            [
                ("c".to_string(), 3),
                ("a".to_string(), 1),
                ("b".to_string(), 1),
                ("d".to_string(), 0)
            ]
        );
        assert_eq!(to_csv(&got[..1]), "module,dependents\nc,3\n");
    }
}
