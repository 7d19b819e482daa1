//! The journal of a transaction: what it names, and the recovery of a run that was killed.
//! A journal is read back from the tree, so it is untrusted input: every entry is checked
//! before anything is touched.

use super::diff::blob_id_of;
use crate::error::{Error, Result};
use rustix::fs::{AtFlags, Mode, OFlags};
use std::fs;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::path::Path;

/// The journal of a running transaction: a header line, one JSON line per file
/// `[folder, name, had_old, has_new, old_id, new_id]` (the ids are git blob ids of the two
/// texts, so that recovery touches only a file that still holds one of them), `seal HEX`
/// (a keyed hash of everything before it, with a key kept in this user's cache folder, so a
/// journal that arrives with a tree (a tarball, a pull request) cannot be taken for one this
/// machine wrote), `replace K` before the K-th file is touched, and `committed` once every
/// file holds its new text.
pub(super) struct Journal {
    file: fs::File,
    pub(super) name: String,
}

impl Journal {
    pub(super) fn create(
        dir: &impl std::os::fd::AsFd,
        root: &Path,
        entries: &[Entry],
    ) -> Result<Journal> {
        let name = format!(".linkallow-{}.journal", std::process::id());
        let mut text = format!("linkallow transaction, pid {}\n", std::process::id());
        for e in entries {
            let line = serde_json::json!([
                e.folder,
                e.name,
                e.old_id.is_some(),
                e.new_id.is_some(),
                e.old_id,
                e.new_id,
            ]);
            text.push_str(&line.to_string());
            text.push('\n');
        }
        if let Some(seal) = seal(&text) {
            text.push_str(&format!("seal {seal}\n"));
        }
        let path = root.join(&name);
        let fd = rustix::fs::openat(
            dir,
            name.as_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(|e| Error::io(&path, e.into()))?;
        let mut file = fs::File::from(fd);
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| Error::io(&path, e))?;
        Ok(Journal { file, name })
    }

    pub(super) fn note(&mut self, line: &str, sync: bool) -> std::io::Result<()> {
        self.file.write_all(format!("{line}\n").as_bytes())?;
        if sync {
            self.file.sync_data()?;
        }
        Ok(())
    }
}

/// The key journals are sealed with: 32 random bytes in this user's cache folder, made on first
/// use. `None` when there is no such folder or it cannot be written; the journal is then
/// unsealed, and a killed run's journal must be handled by hand.
fn seal_key() -> Option<Vec<u8>> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
    let dir = cache.join("linkallow");
    let path = dir.join("journal-key");
    if let Ok(key) = crate::readfile::regular(&path)
        && key.len() == 32
    {
        return Some(key);
    }
    let mut key = vec![0u8; 32];
    std::io::Read::read_exact(&mut fs::File::open("/dev/urandom").ok()?, &mut key).ok()?;
    fs::create_dir_all(&dir).ok()?;
    let tmp = dir.join(format!(".journal-key.{}", std::process::id()));
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .ok()?;
        f.write_all(&key).and_then(|()| f.sync_all()).ok()?;
    }
    // Two first runs at once: the first rename wins and both read what it left.
    fs::rename(&tmp, &path).ok()?;
    crate::readfile::regular(&path)
        .ok()
        .filter(|k| k.len() == 32)
}

/// The seal of a journal's text: H(key ‖ H(key ‖ text)), H the git blob hash (SHA-1 over a
/// length header), nested so that the text cannot be extended under the same seal.
fn seal(text: &str) -> Option<String> {
    let key = seal_key()?;
    let inner = blob_id_of(&[key.as_slice(), text.as_bytes()].concat());
    Some(blob_id_of(&[key.as_slice(), inner.as_bytes()].concat()))
}

/// `.name.linkallow-PID.what`: the temp names run `pid` gives a file (`new`, `old`).
pub(super) fn sibling_of(name: &str, pid: u32, what: &str) -> String {
    format!(".{name}.linkallow-{pid}.{what}")
}

/// One file of a transaction as its journal names it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Entry {
    /// The folder below the lock's root, `""` for the root itself.
    pub(super) folder: String,
    /// A plain file name in that folder.
    pub(super) name: String,
    /// Git blob ids of the text before and after: `None` for no file.
    pub(super) old_id: Option<String>,
    pub(super) new_id: Option<String>,
}

impl Entry {
    /// Reads a journal line; `None` for anything but a well-formed entry naming a plain file
    /// below the root (a journal is read from the tree, so it is untrusted input).
    fn parse(line: &str) -> Option<Entry> {
        let (folder, name, had_old, has_new, old_id, new_id): (
            String,
            String,
            bool,
            bool,
            Option<String>,
            Option<String>,
        ) = serde_json::from_str(line).ok()?;
        let plain_name =
            !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\0']);
        let plain_folder = !folder.contains('\0')
            && Path::new(&folder)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
        let is_id = |id: &Option<String>| {
            id.as_ref()
                .is_none_or(|i| i.len() == 40 && i.bytes().all(|b| b.is_ascii_hexdigit()))
        };
        (plain_name
            && plain_folder
            && had_old == old_id.is_some()
            && has_new == new_id.is_some()
            && is_id(&old_id)
            && is_id(&new_id))
        .then_some(Entry {
            folder,
            name,
            old_id,
            new_id,
        })
    }

    pub(super) fn shown(&self) -> String {
        Path::new(&self.folder)
            .join(&self.name)
            .to_string_lossy()
            .to_string()
    }
}

/// The git blob id of a text: what a journal records to recognise a file's contents.
pub(super) fn text_id(text: &str) -> String {
    blob_id_of(text.as_bytes())
}

/// The blob id of what `name` in `fd` holds now, `None` when there is no such entry; a
/// symlink or anything but a regular file is an error.
fn held_id(fd: &OwnedFd, name: &str) -> std::io::Result<Option<String>> {
    let opened = rustix::fs::openat(
        fd,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    );
    match opened {
        Err(rustix::io::Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
        Ok(fd) => Ok(Some(blob_id_of(&crate::readfile::from_file(
            fs::File::from(fd),
        )?))),
    }
}

/// Undoes one begun replacement of run `pid`: the backup goes back over the file (when the
/// backup and the file are one inode, rename does nothing, so the backup is removed), and a
/// file the run created is removed once its staged text is gone. Only a file that holds the
/// run's old or new text is touched, and only from a backup that holds the old text: an edit
/// made after the run died is kept, and said.
pub(super) fn undo(fd: &OwnedFd, entry: &Entry, pid: u32) -> std::io::Result<()> {
    let name = entry.name.as_str();
    let backup = sibling_of(name, pid, "old");
    let staged = sibling_of(name, pid, "new");
    let exists = |n: &str| rustix::fs::statat(fd, n, AtFlags::SYMLINK_NOFOLLOW).is_ok();
    let edited_since = |now: Option<String>| {
        std::io::Error::other(format!(
            "changed after the killed run (it holds {}); left as it is{}",
            now.map_or("no file".to_string(), |id| format!("blob {}", &id[..12])),
            if held_id(fd, &backup).is_ok_and(|id| id.is_some() && id == entry.old_id) {
                format!(", and the text before the run is in {backup}")
            } else {
                String::new()
            }
        ))
    };
    let now = held_id(fd, name)?;
    let as_run_left = now == entry.old_id || now == entry.new_id;
    if entry.old_id.is_some() {
        if exists(&backup) {
            // Until the rename, the backup is a hard link of the file: an edit in place shows in
            // both, so the file is looked at first.
            if !as_run_left {
                return Err(edited_since(now));
            }
            if held_id(fd, &backup)? != entry.old_id {
                return Err(std::io::Error::other(format!(
                    "its backup {backup} does not hold the text before the run; left as it is"
                )));
            }
            rustix::fs::renameat(fd, backup.as_str(), fd, name)?;
            if exists(&backup) {
                rustix::fs::unlinkat(fd, backup.as_str(), AtFlags::empty())?;
            }
        }
    } else if !exists(&staged) && now.is_some() {
        if now != entry.new_id {
            return Err(edited_since(now));
        }
        rustix::fs::unlinkat(fd, name, AtFlags::empty())?;
    }
    Ok(())
}

/// Removes the staged text of one file of run `pid`, if there is one.
pub(super) fn remove_staged(fd: &OwnedFd, entry: &Entry, pid: u32) -> std::io::Result<()> {
    if entry.new_id.is_none() {
        return Ok(());
    }
    let staged = sibling_of(&entry.name, pid, "new");
    match rustix::fs::unlinkat(fd, staged.as_str(), AtFlags::empty()) {
        Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A journal as written by [`Journal`]: its entries, the replacements begun, and whether the
/// run reached its commit point. Every line is checked before anything is touched.
pub(super) struct Recorded {
    pub(super) entries: Vec<Entry>,
    pub(super) touched: Vec<usize>,
    pub(super) committed: bool,
}

pub(super) fn read_journal(text: &str, path: &Path) -> Result<Recorded> {
    let refuse = |n: usize, why: &str| {
        Error::Tree(format!(
            "{}:{n}: {why}; nothing was touched: check the files it names, then remove the journal by hand",
            crate::error::display_file(path)
        ))
    };
    let mut recorded = Recorded {
        entries: Vec::new(),
        touched: Vec::new(),
        committed: false,
    };
    const HEADER: &str = "linkallow transaction, pid ";
    let mut lines = text.split_inclusive('\n').enumerate();
    let mut at = match lines.next() {
        Some((_, first)) if first.starts_with(HEADER) && first.ends_with('\n') => first.len(),
        // Killed while the journal's first line was being written: nothing was staged or
        // replaced yet.
        None => return Ok(recorded),
        Some((_, first))
            if !first.ends_with('\n')
                && (HEADER.starts_with(first)
                    || first
                        .strip_prefix(HEADER)
                        .is_some_and(|pid| pid.bytes().all(|b| b.is_ascii_digit()))) =>
        {
            return Ok(recorded);
        }
        _ => return Err(refuse(1, "not a linkallow journal")),
    };
    let mut sealed = false;
    for (i, raw) in lines {
        let start = at;
        at += raw.len();
        let Some(line) = raw.strip_suffix('\n') else {
            // A line cut short by the kill is the last one, and was not acted on yet.
            break;
        };
        if let Some(hex) = line.strip_prefix("seal ") {
            if sealed || seal(&text[..start]).as_deref() != Some(hex) {
                return Err(refuse(
                    i + 1,
                    "not sealed by a linkallow run of this user on this machine (a journal that came with the tree?)",
                ));
            }
            sealed = true;
        } else if !sealed {
            if line == "committed" || line.starts_with("replace ") {
                return Err(refuse(
                    i + 1,
                    "not sealed by a linkallow run of this user on this machine (a journal that came with the tree?)",
                ));
            }
            match Entry::parse(line) {
                Some(e) => recorded.entries.push(e),
                None => {
                    return Err(refuse(
                        i + 1,
                        "not an entry naming a plain file below the tree (or written by an older linkallow)",
                    ));
                }
            }
        } else if line == "committed" {
            recorded.committed = true;
        } else if let Some(k) = line.strip_prefix("replace ") {
            match k.parse::<usize>() {
                Ok(k) if k < recorded.entries.len() => recorded.touched.push(k),
                _ => return Err(refuse(i + 1, "names no file of the journal")),
            }
        } else {
            return Err(refuse(i + 1, "an entry after the seal"));
        }
    }
    if !sealed {
        // Cut short before its seal: the run staged nothing and replaced nothing.
        recorded.entries.clear();
    }
    Ok(recorded)
}
