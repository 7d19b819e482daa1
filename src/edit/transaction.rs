//! Writing files as one transaction: every new text is staged beside its target first, each
//! target is confirmed to still hold the bytes that were planned against right before it is
//! replaced, and any failure puts every replaced file back.

use super::FileChange;
use super::journal::{Entry, Journal, read_journal, remove_staged, sibling_of, text_id, undo};
use crate::error::{Error, Result};
use rustix::fs::{AtFlags, Mode, OFlags};
use std::fs;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

/// An advisory lock on a directory (flock on the directory itself). While a transaction runs
/// under it, a journal `.linkallow-PID.journal` in that directory names every file it touches,
/// so that a run killed half-way is finished or rolled back by the next one that takes the lock.
pub struct DirLock {
    pub(super) dir: fs::File,
    pub(super) root: PathBuf,
    pub(super) given: PathBuf,
    pub(super) recovered: Vec<String>,
}

impl DirLock {
    /// Takes the lock, or fails at once naming the directory when another run holds it. A
    /// transaction a killed run left here is finished or rolled back first (see [`recover`]).
    pub fn acquire(dir: &Path) -> Result<DirLock> {
        let root = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
        let handle = fs::File::open(&root).map_err(|e| Error::io(&root, e))?;
        match handle.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                // Its journal names it once it has begun writing.
                let pid = pending_journals(&root)
                    .iter()
                    .find_map(|j| journal_pid(&j.file_name()?.to_string_lossy()))
                    .map(|pid| format!(" (pid {pid})"))
                    .unwrap_or_default();
                return Err(Error::Tree(format!(
                    "{}: another linkallow run{pid} is writing here; try again when it has finished",
                    dir.display()
                )));
            }
            Err(fs::TryLockError::Error(e)) => return Err(Error::io(&root, e)),
        }
        let mut lock = DirLock {
            dir: handle,
            root,
            given: dir.to_path_buf(),
            recovered: Vec::new(),
        };
        lock.recovered = recover_journals(&lock)?;
        for line in &lock.recovered {
            eprintln!("linkallow: {}", crate::error::escape_invisible(line));
        }
        Ok(lock)
    }

    /// The locked directory, canonical: every path a transaction writes must lie inside it.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// What taking the lock finished or rolled back of killed runs, a line each.
    pub fn recovered(&self) -> &[String] {
        &self.recovered
    }
}

/// Finishes or rolls back what killed runs left in `dir` (see [`DirLock::acquire`]); returns a
/// line for each transaction.
pub fn recover(dir: &Path) -> Result<Vec<String>> {
    Ok(DirLock::acquire(dir)?.recovered)
}

/// The journals of transactions that did not end in `dir`, for a run that only reads (`check`):
/// while one is there, files of the tree may hold a half-written state.
pub fn pending_journals(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| journal_pid(&e.file_name().to_string_lossy()).is_some())
        .map(|e| dir.join(e.file_name()))
        .collect();
    found.sort();
    found
}

/// The pid in a journal's name `.linkallow-PID.journal`.
pub(super) fn journal_pid(name: &str) -> Option<u32> {
    name.strip_prefix(".linkallow-")?
        .strip_suffix(".journal")?
        .parse()
        .ok()
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
pub fn write(base: &Path, changes: &[FileChange], lock: &DirLock) -> Result<()> {
    let writes: Vec<FileWrite> = changes
        .iter()
        .map(|c| FileWrite {
            path: base.join(&c.rel),
            old: c.old.clone(),
            new: c.new.clone(),
        })
        .collect();
    commit(&writes, lock, &mut |_| Ok(()))
}

/// Replaces `path` (or creates it) with `text` as a one-file transaction, keeping its mode.
/// For output that is not derived from what the file held; see [`replace_file`] for that.
pub fn write_file(path: &Path, text: &str) -> Result<()> {
    let old = match crate::readfile::regular(path) {
        Ok(bytes) => Some(String::from_utf8(bytes).map_err(|_| {
            Error::Tree(format!(
                "{}: not UTF-8; refusing to replace it",
                path.display()
            ))
        })?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(path, e)),
    };
    replace_file(path, old.as_deref(), text)
}

/// Replaces `path`, which held `base` when `text` was computed from it (`None`: it did not
/// exist), with `text` as a one-file transaction. A save in between is not overwritten: the
/// transaction fails with "changed on disk" instead.
pub fn replace_file(path: &Path, base: Option<&str>, text: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let lock = DirLock::acquire(dir)?;
    let write = FileWrite {
        path: path.to_path_buf(),
        old: base.map(str::to_string),
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

/// Fault injection for the kill tests: with `LINKALLOW_KILL_AT=N` the process kills itself
/// (SIGKILL, as `kill -9` would) at the N-th step of its transactions that touches the disk.
fn kill_point() {
    static AT: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    static SEEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let Some(at) = *AT.get_or_init(|| {
        std::env::var("LINKALLOW_KILL_AT")
            .ok()
            .and_then(|v| v.parse().ok())
    }) else {
        return;
    };
    if SEEN.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == at {
        let _ =
            rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
    }
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

/// A folder of a transaction, opened once: every step in it goes through this handle
/// (`openat`, `renameat`), so a path component swapped for a symlink cannot redirect a write.
pub(super) struct Folder {
    pub(super) fd: OwnedFd,
    /// Relative to the lock's root, as opened (no symlink followed).
    pub(super) rel: PathBuf,
    pub(super) ino: (u64, u64),
}

/// Owner and mode a file gets, taken from the file it replaces or, for a new file, from the
/// package's other files.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct Perm {
    mode: u32,
    uid: u32,
    gid: u32,
}

/// One file of a transaction, resolved to its folder handle and name.
pub(super) struct Target<'a> {
    pub(super) w: &'a FileWrite,
    pub(super) folder: usize,
    pub(super) name: String,
    /// The existing file's owner and mode, as confirmed at the start.
    pub(super) perm: Option<Perm>,
    /// What a new file takes from its neighbours.
    pub(super) like: Option<Perm>,
}

/// Stage, confirm, replace, and on any failure roll back: afterwards either every file holds its
/// new text or every file holds exactly what it held before, and no temp file is left. A run
/// killed at any point leaves a journal that the next [`DirLock::acquire`] recovers from.
/// `hook` runs before each step (tests use it to inject faults).
pub fn commit(
    writes: &[FileWrite],
    lock: &DirLock,
    hook: &mut dyn FnMut(Step) -> std::io::Result<()>,
) -> Result<()> {
    let mut folders: Vec<Folder> = Vec::new();
    let mut targets = Vec::with_capacity(writes.len());
    for w in writes {
        targets.push(resolve(w, lock, &mut folders)?);
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
    if targets.is_empty() {
        return Ok(());
    }
    IN_WRITE.store(true, std::sync::atomic::Ordering::SeqCst);
    let result = commit_locked(&targets, &folders, lock, hook);
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
    targets: &[Target],
    folders: &[Folder],
    lock: &DirLock,
    hook: &mut dyn FnMut(Step) -> std::io::Result<()>,
) -> Result<()> {
    let entries: Vec<Entry> = targets.iter().map(|t| entry_of(t, folders)).collect();
    let mut journal = Journal::create(&lock.dir, &lock.root, &entries)?;
    kill_point();
    let mut touched: Vec<usize> = Vec::new();
    let fail = |touched: &[usize], journal: &Journal, err: Error| {
        let unrestored = roll_back(targets, folders, touched);
        if unrestored.is_empty() {
            let _ = rustix::fs::unlinkat(&lock.dir, journal.name.as_str(), AtFlags::empty());
            return err;
        }
        Error::Tree(format!(
            "{err}; rolling back also failed, restore these by hand (the journal {} names them): {}",
            lock.root.join(&journal.name).display(),
            unrestored.join("; ")
        ))
    };
    for (k, t) in targets.iter().enumerate() {
        let Some(text) = &t.w.new else { continue };
        let result = interrupted()
            .and_then(|()| hook(Step::Stage(k)))
            .and_then(|()| stage(t, &folders[t.folder], text));
        kill_point();
        if let Err(e) = result {
            return Err(fail(&touched, &journal, Error::io(&t.w.path, e)));
        }
    }
    // Every target is confirmed before the first replacement, and each again right before its own.
    if let Some(err) = targets
        .iter()
        .find_map(|t| still_as_planned(t, folders, lock).err())
    {
        return Err(fail(&touched, &journal, err));
    }
    for (k, t) in targets.iter().enumerate() {
        let result = interrupted()
            .and_then(|()| hook(Step::Replace(k)))
            .map_err(|e| Error::io(&t.w.path, e))
            .and_then(|()| still_as_planned(t, folders, lock))
            .and_then(|()| {
                journal
                    .note(&format!("replace {k}"), true)
                    .map_err(|e| Error::io(lock.root.join(&journal.name), e))
            });
        if let Err(err) = result {
            return Err(fail(&touched, &journal, err));
        }
        touched.push(k);
        kill_point();
        if let Err(err) = replace(t, &folders[t.folder]) {
            return Err(fail(&touched, &journal, err));
        }
        kill_point();
    }
    // The commit point: from here on a killed run is finished, not rolled back.
    if let Err(e) = journal.note("committed", true) {
        let err = Error::io(lock.root.join(&journal.name), e);
        return Err(fail(&touched, &journal, err));
    }
    kill_point();
    for t in targets {
        if t.w.old.is_some() {
            let _ = rustix::fs::unlinkat(
                &folders[t.folder].fd,
                sibling(&t.name, "old").as_str(),
                AtFlags::empty(),
            );
            kill_point();
        }
    }
    let _ = rustix::fs::unlinkat(&lock.dir, journal.name.as_str(), AtFlags::empty());
    kill_point();
    Ok(())
}

/// Opens `rel` below the lock's root one component at a time, following no symlink.
pub(super) fn open_folder(lock: &DirLock, rel: &Path) -> std::io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut fd = rustix::fs::openat(&lock.dir, ".", flags, Mode::empty())?;
    for c in rel.components() {
        let std::path::Component::Normal(part) = c else {
            return Err(std::io::Error::other("not a plain path below the tree"));
        };
        fd = rustix::fs::openat(&fd, part, flags, Mode::empty())?;
    }
    Ok(fd)
}

// The field types differ between targets.
#[allow(clippy::unnecessary_cast)]
fn ino(st: &rustix::fs::Stat) -> (u64, u64) {
    (st.st_dev as u64, st.st_ino as u64)
}

#[allow(clippy::unnecessary_cast)]
fn perm(st: &rustix::fs::Stat) -> Perm {
    Perm {
        mode: st.st_mode as u32 & 0o7777,
        uid: st.st_uid,
        gid: st.st_gid,
    }
}

/// Refuses targets outside the locked directory (a symlinked folder leading out of the tree),
/// symlinks and anything that is not a regular file; opens the target's folder.
fn resolve<'a>(w: &'a FileWrite, lock: &DirLock, folders: &mut Vec<Folder>) -> Result<Target<'a>> {
    let shown = || crate::error::display_file(&w.path);
    let dir = match w.path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = match w.path.file_name().and_then(|n| n.to_str()) {
        Some(n) if n != "." && n != ".." => n.to_string(),
        _ => {
            return Err(Error::Tree(format!(
                "{}: not a file name linkallow can write (it must be UTF-8)",
                shown()
            )));
        }
    };
    let real = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
    let Ok(rel) = real.strip_prefix(&lock.root) else {
        return Err(Error::Tree(format!(
            "{}: resolves to {}, outside {}; refusing to write through a symlink that leaves the tree",
            shown(),
            real.display(),
            lock.root.display()
        )));
    };
    if fs::metadata(&real).is_ok_and(|m| m.permissions().readonly()) {
        return Err(Error::Tree(format!(
            "{}: directory is read-only",
            dir.display()
        )));
    }
    let folder = match folders.iter().position(|f| f.rel == rel) {
        Some(i) => i,
        None => {
            let fd = open_folder(lock, rel).map_err(|e| Error::io(dir, e))?;
            let st = rustix::fs::fstat(&fd).map_err(|e| Error::io(dir, e.into()))?;
            folders.push(Folder {
                fd,
                rel: rel.to_path_buf(),
                ino: ino(&st),
            });
            folders.len() - 1
        }
    };
    let fd = &folders[folder].fd;
    let st = rustix::fs::statat(fd, name.as_str(), AtFlags::SYMLINK_NOFOLLOW);
    let kind = |st: &rustix::fs::Stat| rustix::fs::FileType::from_raw_mode(st.st_mode);
    let perm = match st {
        Ok(st) if kind(&st) == rustix::fs::FileType::Symlink => {
            return Err(Error::Tree(format!(
                "{}: is a symlink; refusing to replace it with a file",
                shown()
            )));
        }
        Ok(st) if kind(&st) != rustix::fs::FileType::RegularFile => {
            return Err(Error::Tree(format!("{}: not a regular file", shown())));
        }
        // Root could rename over it, but a read-only mode is somebody's decision to respect.
        Ok(st) if perm(&st).mode & 0o222 == 0 => {
            return Err(Error::Tree(format!("{}: file is read-only", shown())));
        }
        Ok(_) if w.old.is_none() => {
            return Err(Error::Tree(format!(
                "{}: exists but was planned as new",
                shown()
            )));
        }
        Ok(st) => Some(perm(&st)),
        Err(rustix::io::Errno::NOENT) if w.old.is_some() => {
            return Err(Error::Tree(format!(
                "{}: removed since it was read",
                shown()
            )));
        }
        Err(rustix::io::Errno::NOENT) => None,
        Err(e) => return Err(Error::io(&w.path, e.into())),
    };
    let like = match (perm, &w.new) {
        (None, Some(_)) => neighbour_perm(fd, &name),
        _ => None,
    };
    Ok(Target {
        w,
        folder,
        name,
        perm,
        like,
    })
}

/// The owner and mode of the folder's other files, for a new one: the first regular file with
/// the same extension, by name (so `umask` does not decide a Go file's mode).
fn neighbour_perm(fd: &OwnedFd, name: &str) -> Option<Perm> {
    let ext = name.rsplit_once('.').map(|(_, e)| e)?;
    let mut names: Vec<String> = rustix::fs::Dir::read_from(fd)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().ok().map(str::to_string))
        .filter(|n| !n.starts_with('.') && n != name && n.ends_with(&format!(".{ext}")))
        .collect();
    names.sort();
    names.iter().find_map(|n| {
        let st = rustix::fs::statat(fd, n.as_str(), AtFlags::SYMLINK_NOFOLLOW).ok()?;
        (rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::RegularFile)
            .then(|| perm(&st))
    })
}

/// `.name.linkallow-PID.what` beside `name`.
fn sibling(name: &str, what: &str) -> String {
    sibling_of(name, std::process::id(), what)
}

/// Writes `text` to a fresh temp file in the target's folder with the target's owner and mode
/// (owner first: `fchown` clears the setuid and setgid bits), synced to disk.
fn stage(t: &Target, folder: &Folder, text: &str) -> std::io::Result<()> {
    let perm = t.perm.or(t.like);
    let create = if perm.is_some() { 0o600 } else { 0o666 };
    let fd = rustix::fs::openat(
        &folder.fd,
        sibling(&t.name, "new").as_str(),
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(create),
    )?;
    let mut f = fs::File::from(fd);
    f.write_all(text.as_bytes())?;
    if let Some(p) = perm {
        // Keep the owner too (a root run over a user's tree); only root may, so try.
        let _ = rustix::fs::fchown(
            &f,
            Some(rustix::fs::Uid::from_raw(p.uid)),
            Some(rustix::fs::Gid::from_raw(p.gid)),
        );
        rustix::fs::fchmod(&f, Mode::from_raw_mode(p.mode))?;
    }
    f.sync_all()
}

/// Whether the target's folder is still the one opened, and the target holds exactly the
/// bytes the plan was computed from, with the mode it had.
fn still_as_planned(t: &Target, folders: &[Folder], lock: &DirLock) -> Result<()> {
    let folder = &folders[t.folder];
    let dir = t.w.path.parent().unwrap_or(Path::new("."));
    let same_folder = open_folder(lock, &folder.rel)
        .and_then(|fd| Ok(rustix::fs::fstat(&fd)?))
        .is_ok_and(|st| ino(&st) == folder.ino);
    if !same_folder {
        return Err(Error::Tree(format!(
            "{}: the folder was moved or replaced since it was read; nothing was written, run again",
            crate::error::display_file(dir)
        )));
    }
    let changed = || {
        Error::Tree(format!(
            "{}: changed on disk since it was read; nothing was written, run again",
            crate::error::display_file(&t.w.path)
        ))
    };
    let opened = rustix::fs::openat(
        &folder.fd,
        t.name.as_str(),
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    );
    let fd = match (opened, &t.w.old) {
        (Err(rustix::io::Errno::NOENT), None) => return Ok(()),
        (Err(rustix::io::Errno::NOENT | rustix::io::Errno::LOOP), _) | (Ok(_), None) => {
            return Err(changed());
        }
        (Err(e), _) => return Err(Error::io(&t.w.path, e.into())),
        (Ok(fd), Some(_)) => fd,
    };
    let st = rustix::fs::fstat(&fd).map_err(|e| Error::io(&t.w.path, e.into()))?;
    if Some(perm(&st)) != t.perm {
        return Err(changed());
    }
    let now = crate::readfile::from_file(fs::File::from(fd)).map_err(|_| changed())?;
    match &t.w.old {
        Some(old) if now == old.as_bytes() => Ok(()),
        _ => Err(changed()),
    }
}

/// Replaces one file, keeping the original under a backup name until the whole transaction is
/// done.
fn replace(t: &Target, folder: &Folder) -> Result<()> {
    let fd = &folder.fd;
    let name = t.name.as_str();
    let backup = sibling(name, "old");
    if t.w.old.is_some() {
        rustix::fs::linkat(fd, name, fd, backup.as_str(), AtFlags::empty())
            .map_err(|e| Error::io(&t.w.path, e.into()))?;
        kill_point();
    }
    let result = match t.w.new {
        Some(_) => rustix::fs::renameat(fd, sibling(name, "new").as_str(), fd, name),
        None => rustix::fs::unlinkat(fd, name, AtFlags::empty()),
    };
    result.map_err(|e| Error::io(&t.w.path, e.into()))
}

/// Puts back every file of `touched` (the replacements begun) from its backup and removes
/// created ones, newest first, then every staged text. Idempotent: a recovery killed half-way
/// is run again. Returns what could not be restored.
fn roll_back(targets: &[Target], folders: &[Folder], touched: &[usize]) -> Vec<String> {
    let entries: Vec<Entry> = targets.iter().map(|t| entry_of(t, folders)).collect();
    let fds: Vec<&OwnedFd> = targets.iter().map(|t| &folders[t.folder].fd).collect();
    let mut failed = Vec::new();
    for &k in touched.iter().rev() {
        if let Err(e) = undo(fds[k], &entries[k], std::process::id()) {
            failed.push(format!("{}: {e}", targets[k].w.path.display()));
        }
    }
    for (k, t) in targets.iter().enumerate() {
        if let Err(e) = remove_staged(fds[k], &entries[k], std::process::id()) {
            failed.push(format!("{}: {e}", t.w.path.display()));
        }
    }
    failed
}

/// The journal's entry for one target.
fn entry_of(t: &Target, folders: &[Folder]) -> Entry {
    Entry {
        folder: folders[t.folder].rel.to_string_lossy().to_string(),
        name: t.name.clone(),
        old_id: t.w.old.as_deref().map(text_id),
        new_id: t.w.new.as_deref().map(text_id),
    }
}

/// Finishes (after its commit point) or rolls back each transaction whose journal is in the
/// lock's root. Holding the lock proves its run is gone: a run holds the lock until it ends.
pub(super) fn recover_journals(lock: &DirLock) -> Result<Vec<String>> {
    let mut done = Vec::new();
    for path in pending_journals(&lock.root) {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let Some(pid) = journal_pid(&name) else {
            continue;
        };
        let fd = rustix::fs::openat(
            &lock.dir,
            name.as_str(),
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::io(&path, e.into()))?;
        let bytes =
            crate::readfile::from_file(fs::File::from(fd)).map_err(|e| Error::io(&path, e))?;
        let recorded = read_journal(&String::from_utf8_lossy(&bytes), &path)?;
        let mut failed = Vec::new();
        let mut folder_of = |entry: &Entry| match open_folder(lock, Path::new(&entry.folder)) {
            Ok(fd) => Some(fd),
            // A folder gone with its files leaves nothing to restore or remove.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                failed.push(format!("{}: {e}", entry.shown()));
                None
            }
        };
        let mut work: Vec<(OwnedFd, &Entry, Option<usize>)> = Vec::new();
        for (k, entry) in recorded.entries.iter().enumerate() {
            if let Some(fd) = folder_of(entry) {
                work.push((fd, entry, Some(k)));
            }
        }
        if recorded.committed {
            for (fd, entry, _) in &work {
                if entry.old_id.is_none() {
                    continue;
                }
                let backup = sibling_of(&entry.name, pid, "old");
                match rustix::fs::unlinkat(fd, backup.as_str(), AtFlags::empty()) {
                    Ok(()) | Err(rustix::io::Errno::NOENT) => {}
                    Err(e) => failed.push(format!("{}: {e}", entry.shown())),
                }
            }
        } else {
            for &k in recorded.touched.iter().rev() {
                if let Some((fd, entry, _)) = work.iter().find(|w| w.2 == Some(k))
                    && let Err(e) = undo(fd, entry, pid)
                {
                    failed.push(format!("{}: {e}", entry.shown()));
                }
            }
            for (fd, entry, _) in &work {
                if let Err(e) = remove_staged(fd, entry, pid) {
                    failed.push(format!("{}: {e}", entry.shown()));
                }
            }
        }
        if !failed.is_empty() {
            return Err(Error::Tree(format!(
                "{}: recovering the transaction of killed run {pid} stopped, the journal stays: {}",
                path.display(),
                failed.join("; ")
            )));
        }
        rustix::fs::unlinkat(&lock.dir, name.as_str(), AtFlags::empty())
            .map_err(|e| Error::io(&path, e.into()))?;
        let files = crate::error::plural(recorded.entries.len(), "file", "files");
        done.push(if recorded.committed {
            format!(
                "{}: finished the transaction of killed run {pid} ({files}): each holds its new text; removed the backups",
                lock.given.display()
            )
        } else {
            format!(
                "{}: rolled back the transaction of killed run {pid} ({files}): each holds what it held before",
                lock.given.display()
            )
        });
    }
    Ok(done)
}
