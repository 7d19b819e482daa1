//! The tree linkallow annotates: a GOROOT (packages under `src/`, import path = directory) or,
//! for the wider ecosystem, any Go module (import path = module path + directory).

pub mod annotations;
pub mod hints;
pub mod index;
pub mod locate;

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Tree {
    /// The directory paths are relative to: `GOROOT/src`, or the module root.
    pub base: PathBuf,
    /// Import path prefix: empty for GOROOT, the module path otherwise.
    pub module: String,
    /// `go1.26.8` for a GOROOT with a VERSION file.
    pub version: Option<String>,
    /// `2026-08-28T16:20:06Z`: the `time` line of a GOROOT's VERSION file.
    pub version_time: Option<String>,
    /// Files whose content differs from the disk (`None`: deleted). A series computes its tier
    /// states over a stripped tree that never touches the disk.
    overlay: BTreeMap<String, Option<String>>,
}

impl Tree {
    /// Opens `dir` as a GOROOT (it has `src/runtime`) or a module (it has `go.mod`).
    pub fn open(dir: &Path) -> Result<Tree> {
        // GOROOT/src given for GOROOT: the tree is the same, and a maintainer means it.
        if dir.file_name().is_some_and(|n| n == "src")
            && dir.join("runtime").is_dir()
            && let Some(parent) = dir.parent()
            && parent.join("src/runtime").is_dir()
        {
            return Tree::open(parent);
        }
        if dir.join("src/runtime").is_dir() {
            let version_file =
                crate::readfile::regular_string(&dir.join("VERSION")).unwrap_or_default();
            let version = version_file.lines().next().map(str::to_string);
            let version_time = version_file
                .lines()
                .find_map(|l| l.strip_prefix("time "))
                .map(str::to_string);
            return Ok(Tree {
                base: dir.join("src"),
                module: String::new(),
                version,
                version_time,
                overlay: BTreeMap::new(),
            });
        }
        if let Ok(gomod) = crate::readfile::regular_string(&dir.join("go.mod")) {
            let module = crate::go::gomod::module_path(&gomod).map_err(|e| {
                let file = dir.join("go.mod");
                match crate::go::gomod::parse(&gomod) {
                    Ok(_) => Error::Tree(format!("{}: no module line", file.display())),
                    Err(_) => Error::Tree(format!(
                        "{}:{}:{}: {}",
                        file.display(),
                        e.line,
                        e.col,
                        e.message
                    )),
                }
            })?;
            return Ok(Tree {
                base: dir.to_path_buf(),
                module,
                version: None,
                version_time: None,
                overlay: BTreeMap::new(),
            });
        }
        Err(Error::Tree(format!(
            "{}: not a GOROOT (no src/runtime) and not a Go module (no go.mod)",
            dir.display()
        )))
    }

    /// How diffs of this tree name its files.
    pub fn diff_paths(&self) -> crate::edit::DiffPaths {
        crate::edit::DiffPaths {
            base: self.base.clone(),
            git_prefix: if self.is_goroot() {
                "src/".into()
            } else {
                String::new()
            },
        }
    }

    pub fn is_goroot(&self) -> bool {
        self.module.is_empty()
    }

    /// Directory (relative to `base`) of the package with import path `pkg`.
    pub fn package_dir(&self, pkg: &str) -> Result<String> {
        let rel = if self.is_goroot() {
            pkg.to_string()
        } else if pkg == self.module {
            String::new()
        } else {
            pkg.strip_prefix(&format!("{}/", self.module))
                .ok_or_else(|| {
                    Error::Tree(format!("package {pkg} is outside module {}", self.module))
                })?
                .to_string()
        };
        crate::readfile::check_inside(&rel)?;
        Ok(rel)
    }

    /// Import path of the package in directory `dir` (relative to `base`).
    pub fn import_path(&self, dir: &str) -> String {
        match (self.is_goroot(), dir.is_empty()) {
            (true, _) => dir.to_string(),
            (false, true) => self.module.clone(),
            (false, false) => format!("{}/{dir}", self.module),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.base.join(rel)
    }

    pub fn read(&self, rel: &str) -> Result<String> {
        let bytes = self.read_bytes(rel)?;
        decode(rel, &bytes).map(str::to_owned)
    }

    /// The file's bytes, for callers that look before they decode.
    pub fn read_bytes(&self, rel: &str) -> Result<Vec<u8>> {
        crate::readfile::check_inside(rel)?;
        let path = self.path(rel);
        match self.overlay.get(rel) {
            Some(Some(text)) => Ok(text.clone().into_bytes()),
            Some(None) => Err(Error::io(rel, std::io::ErrorKind::NotFound.into())),
            None => crate::readfile::regular(&path).map_err(|e| Error::io(rel, e)),
        }
    }

    /// Whether the file exists, overlay included.
    pub fn exists(&self, rel: &str) -> bool {
        match self.overlay.get(rel) {
            Some(state) => state.is_some(),
            None => self.path(rel).is_file(),
        }
    }

    /// The same tree seen with `files` (path, new content or `None` for deleted) in place of
    /// what the disk holds. Nothing is written.
    pub fn with_overlay(&self, files: impl IntoIterator<Item = (String, Option<String>)>) -> Tree {
        let mut tree = self.clone();
        tree.overlay.extend(files);
        tree
    }

    /// Applies the overlay to a sorted listing of `dir` (recursively when `deep`).
    fn overlaid(&self, mut files: Vec<String>, dir: &str, deep: bool) -> Vec<String> {
        if self.overlay.is_empty() {
            return files;
        }
        files.retain(|f| !matches!(self.overlay.get(f), Some(None)));
        for (rel, state) in &self.overlay {
            let here = if deep {
                dir.is_empty() || rel.starts_with(&format!("{dir}/"))
            } else {
                dir_of(rel) == dir
            };
            let name = rel.rsplit('/').next().unwrap_or(rel);
            if state.is_some() && here && is_source_name(name) && !files.contains(rel) {
                files.push(rel.clone());
            }
        }
        files.sort();
        files
    }

    /// Non-test `.go` files directly in package directory `dir`, sorted, relative to `base`.
    /// A symlinked file that stays inside the tree is read like the others (writes still refuse
    /// it); one that leads out of the tree, or a file whose name is not UTF-8, is an error naming
    /// it: it may declare the name being looked up.
    pub fn go_files(&self, dir: &str) -> Result<Vec<String>> {
        let path = self.path(dir);
        let entries = std::fs::read_dir(&path).map_err(|e| Error::io(&path, e))?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&path, e))?;
            match self.source_entry(dir, &entry)? {
                Entry::File(rel) => files.push(rel),
                Entry::Other => {}
                Entry::Unreadable { rel, why } => {
                    return Err(Error::Tree(format!(
                        "{}: {why}",
                        crate::error::display_rel(&rel)
                    )));
                }
            }
        }
        files.sort();
        Ok(self.overlaid(files, dir, false))
    }

    /// What a folder entry is to linkallow: a source file it reads (by its path relative to
    /// `base`), something else, or a source file it cannot read or name.
    fn source_entry(&self, dir: &str, entry: &std::fs::DirEntry) -> Result<Entry> {
        let os_name = entry.file_name();
        let Some(name) = os_name.to_str() else {
            let shown = crate::error::lossless_name(&os_name);
            if !is_source_name(&shown) {
                return Ok(Entry::Other);
            }
            return Ok(Entry::Unreadable {
                rel: join_rel(dir, &shown),
                why: "the file name is not UTF-8, and linkallow names every file it reads in \
                      diffs and findings, so it cannot take this one into account; rename it"
                    .into(),
            });
        };
        if !is_source_name(name) {
            return Ok(Entry::Other);
        }
        let rel = join_rel(dir, name);
        let Ok(ty) = entry.file_type() else {
            return Ok(Entry::Other);
        };
        if ty.is_file() {
            return Ok(Entry::File(rel));
        }
        if !ty.is_symlink() {
            // A FIFO or a device under a source name: reading it would block or never end.
            return Ok(match crate::readfile::regular(&entry.path()) {
                Err(e) if !ty.is_dir() => Entry::Unreadable {
                    rel,
                    why: e.to_string(),
                },
                _ => Entry::Other,
            });
        }
        // A symlink: read through it when it lands on a file inside the tree.
        let path = entry.path();
        let target = std::fs::read_link(&path)
            .map(|t| t.display().to_string())
            .unwrap_or_default();
        let inside = match (path.canonicalize(), self.base.canonicalize()) {
            (Ok(t), Ok(b)) => t.starts_with(&b) && t.is_file(),
            _ => false,
        };
        if inside {
            return Ok(Entry::File(rel));
        }
        if path.is_dir() {
            return Ok(Entry::Other);
        }
        let why = if let Err(e) = crate::readfile::regular(&path).map(drop)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            format!("a symlink to {target}: {e}")
        } else if path.exists() {
            format!(
                "a symlink to {target}, outside the tree; linkallow reads and writes only files inside the tree: put the file itself here"
            )
        } else {
            format!("a symlink to {target}, which does not exist")
        };
        Ok(Entry::Unreadable { rel, why })
    }
    /// Every non-test `.go` file in the tree outside `testdata` and `cmd` (for a
    /// GOROOT), sorted. Walks directories only; reading is left to the caller.
    pub fn all_go_files(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let mut stack = vec![String::new()];
        while let Some(dir) = stack.pop() {
            let path = self.path(&dir);
            let entries = std::fs::read_dir(&path).map_err(|e| Error::io(&path, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| Error::io(&path, e))?;
                let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                    // A file that cannot be named is skipped only when it holds no directive.
                    if let Entry::Unreadable { rel, why } = self.source_entry(&dir, &entry)?
                        && crate::readfile::regular(&entry.path())
                            .map_or(true, |b| memchr::memmem::find(&b, b"linkname").is_some())
                    {
                        return Err(Error::Tree(format!(
                            "{}: {why}",
                            crate::error::display_rel(&rel)
                        )));
                    }
                    // So is a folder (one the go command reads): none of its Go files may hold
                    // one.
                    let shown = crate::error::lossless_name(&entry.file_name());
                    if entry.file_type().is_ok_and(|t| t.is_dir())
                        && !shown.starts_with(['.', '_'])
                        && let Some(inner) = directive_file_in(&entry.path())
                    {
                        let rel = join_rel(&dir, &shown);
                        return Err(Error::Tree(format!(
                            "{}: the folder name is not UTF-8, and linkallow names every file it reads in diffs and findings, so it cannot take {} into account; rename the folder",
                            crate::error::display_rel(&rel),
                            inner.display()
                        )));
                    }
                    continue;
                };
                let Ok(ty) = entry.file_type() else { continue };
                if ty.is_symlink() {
                    match self.source_entry(&dir, &entry)? {
                        Entry::File(rel) => out.push(rel),
                        Entry::Other => {}
                        Entry::Unreadable { rel, why } => {
                            // Outside the tree or dangling: it matters only if it has directives.
                            // One that leads to a FIFO or a device cannot be read to know.
                            let matters = match crate::readfile::regular(&entry.path()) {
                                Ok(b) => memchr::memmem::find(&b, b"linkname").is_some(),
                                Err(e) => e.kind() != std::io::ErrorKind::NotFound,
                            };
                            if matters {
                                return Err(Error::Tree(format!(
                                    "{}: {why}",
                                    crate::error::display_rel(&rel)
                                )));
                            }
                        }
                    }
                    continue;
                }
                if ty.is_dir() {
                    // vendor/ stays in: vendored x/sys pulls runtime symbols strip must keep.
                    let skip = name == "testdata"
                        || name.starts_with('.')
                        || name.starts_with('_')
                        || (dir.is_empty() && self.is_goroot() && name == "cmd");
                    if !skip {
                        stack.push(join_rel(&dir, &name));
                    }
                } else if ty.is_file() && is_source_name(&name) {
                    out.push(join_rel(&dir, &name));
                } else if let Entry::Unreadable { rel, why } = self.source_entry(&dir, &entry)? {
                    return Err(Error::Tree(format!(
                        "{}: {why}",
                        crate::error::display_rel(&rel)
                    )));
                }
            }
        }
        out.sort();
        Ok(self.overlaid(out, "", true))
    }
}

/// A `.go` file under `dir` that holds a linkname directive, if any (the path below `dir`).
fn directive_file_in(dir: &Path) -> Option<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "go"))
        .find(|e| {
            crate::readfile::regular(e.path())
                .is_ok_and(|b| memchr::memmem::find(&b, b"go:linkname").is_some())
        })
        .map(|e| e.path().strip_prefix(dir).unwrap_or(e.path()).to_path_buf())
}

/// A folder entry, as [`Tree::source_entry`] sees it.
enum Entry {
    File(String),
    Other,
    Unreadable { rel: String, why: String },
}

/// A file's bytes as text, or the first byte that is not UTF-8 at its line and column.
pub fn decode<'a>(rel: &str, bytes: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| Error::encoding(rel, bytes, &e))
}

pub fn is_source_name(name: &str) -> bool {
    name.ends_with(".go")
        && !name.ends_with("_test.go")
        && !name.starts_with('.')
        && !name.starts_with('_')
}

pub fn join_rel(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

pub fn dir_of(rel: &str) -> &str {
    rel.rfind('/').map_or("", |i| &rel[..i])
}

// TEMP-ALIAS: see lib.rs.
#[doc(hidden)]
pub use crate::go::name::split_linker_name as split_symbol;
