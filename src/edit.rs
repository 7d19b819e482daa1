//! Turning a plan into a diff or into files. Files are written as one transaction: every new text
//! is staged beside its target first, each target is confirmed to still hold the bytes that were
//! planned against right before it is replaced, and any failure puts every replaced file back.

use crate::error::{Error, Result};
use crate::gotree::Tree;
use crate::plan::Plan;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The path git would show for a file of the tree: `src/...` for a GOROOT.
pub fn git_path(tree: &Tree, rel: &str) -> String {
    if tree.is_goroot() {
        format!("src/{rel}")
    } else {
        rel.to_string()
    }
}

/// `prefix` + `path` as git writes a file name (quote_c_style, core.quotePath on): as it is,
/// or, when it holds a control character, `"`, `\` or a byte of 0x80 and above, in double
/// quotes with C escapes (`\t`, `\n`, `\"`, `\\`) and the other bytes in octal.
pub fn quote_path(prefix: &str, path: &str) -> String {
    let whole = format!("{prefix}{path}");
    if !whole
        .bytes()
        .any(|b| b < 0x20 || b == b'"' || b == b'\\' || b >= 0x7f)
    {
        return whole;
    }
    let mut out = String::from('"');
    for b in whole.bytes() {
        match b {
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x0b => out.push_str("\\v"),
            0x0c => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b if !(0x20..0x7f).contains(&b) => out.push_str(&format!("\\{b:03o}")),
            b => out.push(char::from(b)),
        }
    }
    out.push('"');
    out
}

/// A unified diff with git headers, so `git apply` (run at the tree root) takes it.
pub fn unified_diff(tree: &Tree, plan: &Plan) -> String {
    let mut out = String::new();
    for c in &plan.changes {
        let path = git_path(tree, &c.rel);
        let old = c.old.as_deref().unwrap_or("");
        let new = c.new.as_deref().unwrap_or("");
        let (name_a, name_b) = (quote_path("a/", &path), quote_path("b/", &path));
        out.push_str(&format!("diff --git {name_a} {name_b}\n"));
        // As git: a name with a blank ends its ---/+++ line with a tab.
        let tab = if path.contains(' ') { "\t" } else { "" };
        let (name_a, name_b) = (format!("{name_a}{tab}"), format!("{name_b}{tab}"));
        let mode = file_mode(&tree.path(&c.rel));
        // Blob ids let `git am -3` fall back to a three-way merge.
        let (a, b) = (blob_id(c.old.as_deref()), blob_id(c.new.as_deref()));
        let (from, to) = match (&c.old, &c.new) {
            (None, _) => {
                out.push_str(&format!("new file mode 100644\nindex {a}..{b}\n"));
                ("/dev/null".to_string(), name_b)
            }
            (_, None) => {
                out.push_str(&format!("deleted file mode {mode}\nindex {a}..{b}\n"));
                (name_a, "/dev/null".to_string())
            }
            _ => {
                out.push_str(&format!("index {a}..{b} {mode}\n"));
                (name_a, name_b)
            }
        };
        let diff = similar::TextDiff::from_lines(old, new);
        let text = diff
            .unified_diff()
            .context_radius(3)
            .missing_newline_hint(true)
            .header(&from, &to)
            .to_string();
        out.push_str(&with_function_context(&text, old));
    }
    out
}

/// Hunk headers with the enclosing function, as `git diff` writes them: the nearest line above
/// the hunk that starts with a letter, `_` or `$` (git's default), cut to 80 bytes.
fn with_function_context(diff: &str, old: &str) -> String {
    let old_lines: Vec<&str> = old.lines().collect();
    let mut out = String::with_capacity(diff.len());
    for line in diff.split_inclusive('\n') {
        let start = line
            .strip_prefix("@@ -")
            .and_then(|rest| rest.split([',', ' ']).next())
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|_| line.trim_end().ends_with("@@"));
        let Some(start) = start else {
            out.push_str(line);
            continue;
        };
        let context = old_lines[..start.saturating_sub(1).min(old_lines.len())]
            .iter()
            .rev()
            .find(|l| l.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$'));
        match context {
            Some(func) => {
                let mut cut = func.trim_end();
                if cut.len() > 80 {
                    let mut end = 80;
                    while !cut.is_char_boundary(end) {
                        end -= 1;
                    }
                    cut = cut[..end].trim_end();
                }
                out.push_str(line.trim_end_matches('\n'));
                out.push(' ');
                out.push_str(cut);
                out.push('\n');
            }
            None => out.push_str(line),
        }
    }
    out
}

/// The abbreviated git blob id of a file's text (zeros for no file), as `git diff` prints it.
fn blob_id(text: Option<&str>) -> String {
    match text {
        None => "0000000".into(),
        Some(t) => git2::Oid::hash_object(git2::ObjectType::Blob, t.as_bytes())
            .map(|o| o.to_string()[..7].to_string())
            .unwrap_or_else(|_| "0000000".into()),
    }
}

pub fn file_mode(path: &Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let exec = fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false);
    if exec {
        "100755".into()
    } else {
        "100644".into()
    }
}

/// An advisory lock on a directory (flock on the directory itself, so nothing is left in the
/// tree): two linkallow runs writing the same tree do not interleave.
pub struct DirLock {
    _dir: fs::File,
    root: PathBuf,
}

impl DirLock {
    /// Takes the lock, or fails at once naming the directory when another run holds it.
    pub fn acquire(dir: &Path) -> Result<DirLock> {
        let root = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
        let handle = fs::File::open(&root).map_err(|e| Error::io(&root, e))?;
        match handle.try_lock() {
            Ok(()) => Ok(DirLock { _dir: handle, root }),
            Err(fs::TryLockError::WouldBlock) => Err(Error::Tree(format!(
                "{}: another linkallow run is writing here; try again when it has finished",
                dir.display()
            ))),
            Err(fs::TryLockError::Error(e)) => Err(Error::io(&root, e)),
        }
    }

    /// The locked directory, canonical: every path a transaction writes must lie inside it.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// One file of a transaction: replaced (`old` and `new`), created (`old: None`) or deleted
/// (`new: None`). `old` is what the plan was computed from.
#[derive(Debug, Clone)]
pub struct FileWrite {
    pub path: PathBuf,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A point in a transaction where a test can make a step fail or the world change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// About to stage the k-th new text.
    Stage(usize),
    /// About to replace (or delete) the k-th file.
    Replace(usize),
}

/// Writes the plan as one transaction under `lock`, which must hold the tree.
pub fn write(tree: &Tree, plan: &Plan, lock: &DirLock) -> Result<()> {
    let writes: Vec<FileWrite> = plan
        .changes
        .iter()
        .map(|c| FileWrite {
            path: tree.path(&c.rel),
            old: c.old.clone(),
            new: c.new.clone(),
        })
        .collect();
    commit(&writes, lock, &mut |_| Ok(()))
}

/// Replaces `path` (or creates it) with `text` as a one-file transaction, keeping its mode.
pub fn write_file(path: &Path, text: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let lock = DirLock::acquire(dir)?;
    let old = match fs::read(path) {
        Ok(bytes) => Some(String::from_utf8(bytes).map_err(|_| {
            Error::Tree(format!(
                "{}: not UTF-8; refusing to replace it",
                path.display()
            ))
        })?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(path, e)),
    };
    let write = FileWrite {
        path: path.to_path_buf(),
        old,
        new: Some(text.to_string()),
    };
    commit(&[write], &lock, &mut |_| Ok(()))
}

static IN_WRITE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Ctrl-C or SIGTERM during a transaction rolls it back before the process ends; at any other
/// time the process ends at once (exit 130). Called once by the binary.
pub fn guard_interrupts() {
    let _ = ctrlc::set_handler(|| {
        if IN_WRITE.load(std::sync::atomic::Ordering::SeqCst) {
            INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
        } else {
            std::process::exit(130);
        }
    });
}

fn interrupted() -> std::io::Result<()> {
    if INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(std::io::Error::other(
            "interrupted; every file was put back as it was",
        ));
    }
    Ok(())
}

/// Temp files an interrupted or killed run left beside the targets: `.name.linkallow-PID.old`
/// holds an original, `.new` a staged text.
fn leftovers(writes: &[FileWrite]) -> Vec<PathBuf> {
    let mut dirs: Vec<&Path> = writes.iter().filter_map(|w| w.path.parent()).collect();
    dirs.sort();
    dirs.dedup();
    let mut found = Vec::new();
    for dir in dirs {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let Ok(entries) = fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let ours = name.starts_with('.')
                && name.contains(".linkallow-")
                && (name.ends_with(".new") || name.ends_with(".old"));
            if ours {
                found.push(dir.join(name));
            }
        }
    }
    found
}

/// Stage, confirm, replace, and on any failure roll back: afterwards either every file holds its
/// new text or every file holds exactly what it held before, and no temp file is left.
/// `hook` runs before each step (tests use it to inject faults).
pub fn commit(
    writes: &[FileWrite],
    lock: &DirLock,
    hook: &mut dyn FnMut(Step) -> std::io::Result<()>,
) -> Result<()> {
    for w in writes {
        check_target(w, lock.root())?;
    }
    let left = leftovers(writes);
    if !left.is_empty() {
        return Err(Error::Tree(format!(
            "an interrupted linkallow run left these behind (each .old holds the original of the file it names, each .new a staged text): {}; put back or delete them, then run again",
            left.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    IN_WRITE.store(true, std::sync::atomic::Ordering::SeqCst);
    let result = commit_locked(writes, hook);
    IN_WRITE.store(false, std::sync::atomic::Ordering::SeqCst);
    if INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) {
        // The signal asked to end: end, with the tree as the transaction left it.
        if let Err(e) = &result {
            eprintln!("linkallow: {e}");
        }
        std::process::exit(130);
    }
    result
}

fn commit_locked(
    writes: &[FileWrite],
    hook: &mut dyn FnMut(Step) -> std::io::Result<()>,
) -> Result<()> {
    let mut staged: Vec<Option<PathBuf>> = Vec::with_capacity(writes.len());
    let cleanup = |staged: &[Option<PathBuf>]| {
        for tmp in staged.iter().flatten() {
            let _ = fs::remove_file(tmp);
        }
    };
    for (k, w) in writes.iter().enumerate() {
        let Some(text) = &w.new else {
            staged.push(None);
            continue;
        };
        let tmp = sibling(&w.path, "new");
        let result = interrupted()
            .and_then(|()| hook(Step::Stage(k)))
            .and_then(|()| stage(&tmp, &w.path, text));
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp);
            cleanup(&staged);
            return Err(Error::io(&w.path, e));
        }
        staged.push(Some(tmp));
    }
    // Every target is confirmed before the first replacement, and each again right before its own.
    if let Some(err) = writes.iter().find_map(|w| still_as_planned(w).err()) {
        cleanup(&staged);
        return Err(err);
    }
    let mut done: Vec<(usize, Option<PathBuf>)> = Vec::new();
    for (k, w) in writes.iter().enumerate() {
        let result = interrupted()
            .and_then(|()| hook(Step::Replace(k)))
            .map_err(|e| Error::io(&w.path, e))
            .and_then(|()| still_as_planned(w))
            .and_then(|()| replace(w, staged[k].as_deref()));
        match result {
            Ok(backup) => done.push((k, backup)),
            Err(err) => {
                let unrestored = roll_back(writes, &done);
                cleanup(&staged);
                if unrestored.is_empty() {
                    return Err(err);
                }
                return Err(Error::Tree(format!(
                    "{err}; rolling back also failed, restore these by hand: {}",
                    unrestored.join("; ")
                )));
            }
        }
    }
    for (_, backup) in done {
        if let Some(b) = backup {
            let _ = fs::remove_file(b);
        }
    }
    Ok(())
}

/// Refuses targets outside the locked directory (a symlinked folder leading out of the tree),
/// symlinks and anything that is not a regular file.
fn check_target(w: &FileWrite, root: &Path) -> Result<()> {
    let dir = match w.path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let real = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
    if !real.starts_with(root) {
        return Err(Error::Tree(format!(
            "{}: resolves to {}, outside {}; refusing to write through a symlink that leaves the tree",
            crate::error::display_file(&w.path),
            real.display(),
            root.display()
        )));
    }
    if fs::metadata(&real).is_ok_and(|m| m.permissions().readonly()) {
        return Err(Error::Tree(format!(
            "{}: directory is read-only",
            dir.display()
        )));
    }
    match fs::symlink_metadata(&w.path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(Error::Tree(format!(
            "{}: is a symlink; refusing to replace it with a file",
            crate::error::display_file(&w.path)
        ))),
        Ok(meta) if !meta.is_file() => Err(Error::Tree(format!(
            "{}: not a regular file",
            crate::error::display_file(&w.path)
        ))),
        // Root could rename over it, but a read-only mode is somebody's decision to respect.
        Ok(meta) if meta.permissions().readonly() => Err(Error::Tree(format!(
            "{}: file is read-only",
            crate::error::display_file(&w.path)
        ))),
        Ok(_) if w.old.is_none() => Err(Error::Tree(format!(
            "{}: exists but was planned as new",
            crate::error::display_file(&w.path)
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && w.old.is_some() => {
            Err(Error::Tree(format!(
                "{}: removed since it was read",
                crate::error::display_file(&w.path)
            )))
        }
        _ => Ok(()),
    }
}

/// `.name.linkallow-PID.what` beside `path`.
fn sibling(path: &Path, what: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.linkallow-{}.{what}", std::process::id()))
}

/// Writes `text` to a fresh temp file with the target's mode, synced to disk.
fn stage(tmp: &Path, target: &Path, text: &str) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp)?;
    f.write_all(text.as_bytes())?;
    if let Ok(meta) = fs::metadata(target) {
        f.set_permissions(meta.permissions())?;
        // Keep the owner too (a root run over a user's tree); only root may, so try.
        use std::os::unix::fs::MetadataExt;
        let _ = std::os::unix::fs::fchown(&f, Some(meta.uid()), Some(meta.gid()));
    }
    f.sync_all()
}

/// Whether the target holds exactly the bytes the plan was computed from.
fn still_as_planned(w: &FileWrite) -> Result<()> {
    let changed = || {
        Error::Tree(format!(
            "{}: changed on disk since it was read; nothing was written, run again",
            crate::error::display_file(&w.path)
        ))
    };
    match (&w.old, fs::read(&w.path)) {
        (Some(old), Ok(now)) if now == old.as_bytes() => Ok(()),
        (None, Err(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        (_, Err(e)) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(&w.path, e)),
        _ => Err(changed()),
    }
}

/// Replaces one file, keeping the original under a backup name until the whole transaction is
/// done. Returns the backup (none for a created file).
fn replace(w: &FileWrite, staged: Option<&Path>) -> Result<Option<PathBuf>> {
    let backup = match w.old {
        Some(_) => {
            let b = sibling(&w.path, "old");
            fs::hard_link(&w.path, &b).map_err(|e| Error::io(&w.path, e))?;
            Some(b)
        }
        None => None,
    };
    let result = match staged {
        Some(tmp) => fs::rename(tmp, &w.path),
        None => fs::remove_file(&w.path),
    };
    match result {
        Ok(()) => Ok(backup),
        Err(e) => {
            if let Some(b) = &backup {
                let _ = fs::remove_file(b);
            }
            Err(Error::io(&w.path, e))
        }
    }
}

/// Puts replaced files back from their backups and removes created ones, newest first. Returns
/// what could not be restored.
fn roll_back(writes: &[FileWrite], done: &[(usize, Option<PathBuf>)]) -> Vec<String> {
    let mut failed = Vec::new();
    for (k, backup) in done.iter().rev() {
        let path = &writes[*k].path;
        let result = match backup {
            Some(b) => fs::rename(b, path),
            None => fs::remove_file(path),
        };
        if let Err(e) = result {
            failed.push(format!("{}: {e}", path.display()));
        }
    }
    failed
}
