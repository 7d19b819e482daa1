//! Finding module sources: module roots (`go.mod`), module-cache folders (`path@version` with
//! `!x` upper-case escaping, `cache/` skipped), and `vendor/` folders (`vendor/modules.txt`).
//! Folders the go command ignores (`testdata`, `_*`, `.*`) are skipped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A module whose files the walk found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// Where the module's import paths start (its root, or `vendor/<path>` for vendored ones).
    pub root: PathBuf,
    pub path: String,
    pub version: Option<String>,
    /// The import path of the module root when it is not `path` (`vendor/golang.org/x/net`
    /// inside the standard library).
    pub import_path: Option<String>,
    /// Where `root` sits below the module's real root, when the walk started inside a module
    /// (`linkallow scan ./sub`): prefixed to file names and import paths. Empty otherwise.
    pub below: String,
    /// Its `go.mod`, if it has one: a pull into another module's package is resolved with
    /// its requirements.
    pub go_mod: Option<PathBuf>,
}

/// A problem the walk or a read ran into; scanning goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    pub path: String,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

#[derive(Default)]
pub struct Walked {
    /// `.go` and `.s` files.
    pub files: Vec<PathBuf>,
    /// Every module found, roots longest first so the first prefix match is the nearest.
    pub modules: Vec<Module>,
    pub errors: Vec<ScanError>,
    /// Module root to its first index in `modules`, so a file finds its module by walking up its
    /// own folders instead of comparing with every root (100,000 files × 1,000 modules was
    /// most of scan's time).
    roots: HashMap<PathBuf, usize>,
}

impl Walked {
    /// The nearest module holding `file`.
    pub fn module_of(&self, file: &Path) -> Option<&Module> {
        file.ancestors()
            .find_map(|dir| self.roots.get(dir))
            .map(|&i| &self.modules[i])
    }
}

/// Walks every PATH.
pub fn walk(paths: &[PathBuf]) -> Walked {
    let mut w = Walked::default();
    for root in paths {
        walk_one(root, &mut w);
    }
    w.modules
        .sort_by_key(|m| std::cmp::Reverse(m.root.components().count()));
    for (i, m) in w.modules.iter().enumerate() {
        w.roots.entry(m.root.clone()).or_insert(i);
    }
    w
}

fn walk_one(root: &Path, w: &mut Walked) {
    if !root.exists() {
        w.errors.push(ScanError {
            path: root.display().to_string(),
            line: None,
            message: "no such file or folder".into(),
        });
        return;
    }
    enclosing_module(root, w);
    let it = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 || !e.file_type().is_dir() {
                return true;
            }
            let name = e.file_name().to_string_lossy();
            let skip = name.starts_with('.')
                || name.starts_with('_')
                || name == "testdata"
                || (name == "cache" && e.path().join("download").is_dir());
            !skip
        });
    for entry in it {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                let path = err
                    .path()
                    .map_or_else(|| root.display().to_string(), |p| p.display().to_string());
                let message = if err.loop_ancestor().is_some() {
                    "symlink loop".to_string()
                } else {
                    err.io_error()
                        .map_or_else(|| err.to_string(), |e| e.to_string())
                };
                w.errors.push(ScanError {
                    path,
                    line: None,
                    message,
                });
                continue;
            }
        };
        let path = entry.path();
        if entry.file_type().is_dir() {
            enter_dir(path, w);
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if (name.ends_with(".go") || name.ends_with(".s")) && !name.starts_with(['.', '_']) {
            w.files.push(path.to_path_buf());
        }
    }
}

/// When the walk starts inside a module (below its go.mod, cache folder or vendor/), the
/// modules of the nearest such ancestor, re-rooted at the walk's root.
fn enclosing_module(root: &Path, w: &mut Walked) {
    if !root.is_dir() {
        return;
    }
    let Ok(abs) = root.canonicalize() else {
        return;
    };
    let starts_module = |d: &Path| {
        let name = d
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        d.join("go.mod").is_file()
            || name
                .rsplit_once('@')
                .is_some_and(|(_, v)| v.starts_with('v'))
            || (name == "vendor" && d.join("modules.txt").is_file())
    };
    if starts_module(&abs) {
        return; // the walk itself notes it
    }
    let Some(ancestor) = abs.ancestors().skip(1).find(|a| starts_module(a)) else {
        return;
    };
    let mut found = Walked::default();
    enter_dir(ancestor, &mut found);
    w.errors.append(&mut found.errors);
    for m in found.modules {
        if let Ok(below) = abs.strip_prefix(&m.root) {
            // The walk is inside this module.
            w.modules.push(Module {
                root: root.to_path_buf(),
                below: below.to_string_lossy().replace('\\', "/"),
                ..m
            });
        } else if let Ok(inside) = m.root.strip_prefix(&abs) {
            // This module is inside the walk.
            w.modules.push(Module {
                root: root.join(inside),
                ..m
            });
        }
    }
}

/// Notes the module a folder starts, if any.
fn enter_dir(dir: &Path, w: &mut Walked) {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    if let Some((_, version)) = name.rsplit_once('@')
        && version.starts_with('v')
    {
        let escaped = cache_module_path(dir);
        let mut path = unescape(&escaped);
        // A folder name is as untrusted as a go.mod: a path the go command would not have
        // downloaded is refused, and the folder's name stands in for it.
        if let Err(why) = crate::go::gomod::check_path(&path) {
            w.errors.push(ScanError {
                path: dir.display().to_string(),
                line: None,
                message: format!("not a module path the go command accepts ({why}): {path:?}"),
            });
            path = name.clone();
        }
        w.modules.push(Module {
            root: dir.to_path_buf(),
            path,
            version: Some(version.to_string()),
            import_path: None,
            below: String::new(),
            go_mod: Some(dir.join("go.mod")).filter(|g| g.is_file()),
        });
        return;
    }
    let gomod = dir.join("go.mod");
    if gomod.is_file() {
        let path = match crate::readfile::regular(&gomod) {
            Ok(bytes) => match module_line(&String::from_utf8_lossy(&bytes)) {
                Ok(p) => p,
                Err((line, message)) => {
                    w.errors.push(ScanError {
                        path: gomod.display().to_string(),
                        line,
                        message,
                    });
                    name.clone()
                }
            },
            Err(e) => {
                w.errors.push(ScanError {
                    path: gomod.display().to_string(),
                    line: None,
                    message: e.to_string(),
                });
                name.clone()
            }
        };
        let version = vcs_version(dir, &path);
        w.modules.push(Module {
            root: dir.to_path_buf(),
            path,
            version,
            import_path: None,
            below: String::new(),
            go_mod: Some(gomod.clone()),
        });
    }
    if name == "vendor" {
        let txt = dir.join("modules.txt");
        // The standard library's vendored packages are imported as vendor/<path>.
        let in_std = dir
            .parent()
            .and_then(|p| crate::readfile::regular_string(&p.join("go.mod")).ok())
            .is_some_and(|m| module_line(&m).is_ok_and(|p| p == "std" || p == "cmd"));
        if let Ok(text) = crate::readfile::regular_string(&txt) {
            for line in text.lines() {
                let mut f = line.split_whitespace();
                if f.next() != Some("#") {
                    continue;
                }
                if let (Some(p), Some(v)) = (f.next(), f.next())
                    && v != "=>"
                {
                    if let Err(why) = crate::go::gomod::check_import_path(p) {
                        w.errors.push(ScanError {
                            path: txt.display().to_string(),
                            line: None,
                            message: format!(
                                "not a module path the go command accepts ({why}): {p:?}"
                            ),
                        });
                        continue;
                    }
                    w.modules.push(Module {
                        root: dir.join(p),
                        path: p.to_string(),
                        version: Some(v.to_string()),
                        import_path: in_std.then(|| format!("vendor/{p}")),
                        below: String::new(),
                        go_mod: None,
                    });
                }
            }
        }
    }
}

/// The version `go build` stamps on a main module checked out with git (Go 1.24 and later,
/// `setBuildInfo` in cmd/go/internal/load/pkg.go): none unless the repository's root holds a
/// go.mod; the semver tag at HEAD (`sub/v1.2.3` for a module in `sub/`), else a pseudo-version
/// after the highest such tag HEAD contains; `+dirty` after either for uncommitted changes.
/// Read with libgit2, not the git command: a scanned repository's config then runs nothing
/// (`core.fsmonitor`, hooks, filter drivers, `diff.external`, a pager), and no process starts.
fn vcs_version(dir: &Path, module_path: &str) -> Option<String> {
    // Canonical first: a relative path's ancestors stop short of the repository.
    let here = dir.canonicalize().ok()?;
    let repo = git2::Repository::discover(&here).ok()?;
    let top = repo.workdir()?.canonicalize().ok()?;
    let root_mod = crate::readfile::regular_string(&top.join("go.mod")).ok()?;
    crate::go::gomod::module_path(&root_mod).ok()?;
    let rel = here.strip_prefix(&top).ok()?;
    let prefix = match rel.to_string_lossy().replace('\\', "/") {
        r if r.is_empty() => String::new(),
        r => format!("{r}/"),
    };
    let head = repo.head().ok()?.peel_to_commit().ok()?;
    let hash = head.id().to_string();
    let secs = head.time().seconds();
    let (y, mo, d) = crate::date::civil_from_days(secs.div_euclid(86400));
    let s = secs.rem_euclid(86400);
    let time = format!(
        "{y:04}{mo:02}{d:02}{:02}{:02}{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    );
    // A module path ending in /vN (N >= 2) takes vN tags; any other takes v0 and v1.
    let major = module_path
        .rsplit_once("/v")
        .and_then(|(_, n)| n.parse::<u64>().ok())
        .filter(|n| *n >= 2);
    // The module's tags with whether each is at HEAD, for those HEAD contains.
    let mut tags: Vec<(Semver, bool)> = Vec::new();
    for name in repo.tag_names(None).ok()?.iter().flatten().flatten() {
        let Some(v) = name.strip_prefix(prefix.as_str()).and_then(Semver::parse) else {
            continue;
        };
        if !match major {
            Some(n) => v.major == n,
            None => v.major <= 1,
        } {
            continue;
        }
        let Ok(commit) = repo
            .find_reference(&format!("refs/tags/{name}"))
            .and_then(|r| r.peel_to_commit())
        else {
            continue;
        };
        let at_head = commit.id() == head.id();
        if at_head || repo.graph_descendant_of(head.id(), commit.id()) == Ok(true) {
            tags.push((v, at_head));
        }
    }
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true).include_ignored(false);
    let dirty = !repo.statuses(Some(&mut opts)).ok()?.is_empty();
    let short = hash.get(..12)?;
    let version = match tags.iter().filter(|(_, at)| *at).map(|(v, _)| v).max() {
        Some(v) => v.text.clone(),
        None => match tags.iter().map(|(v, _)| v).max() {
            None => format!("v{}.0.0-{time}-{short}", major.unwrap_or(0)),
            Some(b) if b.pre.is_empty() => {
                format!("v{}.{}.{}-0.{time}-{short}", b.major, b.minor, b.patch + 1)
            }
            Some(b) => format!("{}.0.{time}-{short}", b.text),
        },
    };
    Some(if dirty {
        format!("{version}+dirty")
    } else {
        version
    })
}

/// A `vX.Y.Z[-pre]` tag, ordered as semver orders releases (a pre-release before its release).
#[derive(Debug, PartialEq, Eq)]
struct Semver {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    text: String,
}

impl Semver {
    fn parse(t: &str) -> Option<Semver> {
        let rest = t.strip_prefix('v')?;
        let (core, pre) = rest.split_once('-').unwrap_or((rest, ""));
        let mut n = core.split('.').map(|p| {
            (!p.is_empty() && (p == "0" || !p.starts_with('0')))
                .then(|| p.parse::<u64>().ok())
                .flatten()
        });
        let (major, minor, patch) = (n.next()??, n.next()??, n.next()??);
        if n.next().is_some() || t.contains('+') || (rest.contains('-') && pre.is_empty()) {
            return None;
        }
        Some(Semver {
            major,
            minor,
            patch,
            pre: pre.to_string(),
            text: t.to_string(),
        })
    }
}

impl PartialOrd for Semver {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Semver {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => std::cmp::Ordering::Greater,
                (false, true) => std::cmp::Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}

/// The escaped module path of a cache folder: its path below the module cache root (the
/// ancestor holding `cache/download`), else below `pkg/mod/`, else its name.
fn cache_module_path(dir: &Path) -> String {
    let below_root = dir
        .ancestors()
        .skip(1)
        .take(16)
        .find(|a| a.join("cache/download").is_dir())
        .and_then(|root| dir.strip_prefix(root).ok())
        .map(|rel| rel.to_string_lossy().replace('\\', "/"));
    // A relative walk (`scan pkg/mod`) gives `pkg/mod/...` without a leading slash.
    let full = format!("/{}", dir.to_string_lossy().replace('\\', "/"));
    let tail = match &below_root {
        Some(rel) => rel.as_str(),
        None => match full.rfind("/pkg/mod/") {
            Some(at) => &full[at + "/pkg/mod/".len()..],
            None => full.rsplit('/').next().unwrap_or(&full),
        },
    };
    tail.rsplit_once('@').map_or(tail, |(p, _)| p).to_string()
}

/// The module cache's case escaping: `!x` stands for `X`.
pub fn unescape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut bang = false;
    for c in path.chars() {
        if bang {
            out.extend(c.to_uppercase());
            bang = false;
        } else if c == '!' {
            bang = true;
        } else {
            out.push(c);
        }
    }
    out
}

/// The module path from go.mod's `module` line (read by [`crate::go::gomod`], comments and quotes
/// as the go command reads them, a path it refuses refused), or the problem with its line.
pub fn module_line(text: &str) -> Result<String, (Option<usize>, String)> {
    crate::go::gomod::module_path(text).map_err(|e| {
        let line = (e.message != "no module line in go.mod").then_some(e.line);
        (line, e.message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            unescape("github.com/!burnt!sushi/toml"),
            "github.com/BurntSushi/toml"
        );
        assert_eq!(
            cache_module_path(Path::new("/root/go/pkg/mod/github.com/!a/b@v1.0.0")),
            "github.com/!a/b"
        );
        // Relative, as `linkallow scan pkg/mod` walks it, without a cache/download folder.
        assert_eq!(
            cache_module_path(Path::new("pkg/mod/github.com/timandy/routine@v1.1.1")),
            "github.com/timandy/routine"
        );
    }

    #[test]
    fn module_lines() {
        assert_eq!(
            module_line("module example.com/x\n\ngo 1.22\n"),
            Ok("example.com/x".into())
        );
        assert_eq!(
            module_line("// c\nmodule \"example.com/q\"\n"),
            Ok("example.com/q".into())
        );
        assert_eq!(module_line("go 1.22\n").unwrap_err().0, None);
        assert_eq!(module_line("\nmodule a b\n").unwrap_err().0, Some(2));
    }
}
