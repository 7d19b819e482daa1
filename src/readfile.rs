//! Reading input files: only regular files, and only up to a bound. A FIFO, a device or a
//! symlink to one (`/dev/zero`, `/dev/full`) would otherwise block or fill memory.

use std::io::{self, BufRead, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// The largest file linkallow reads: far above any Go source or allowlist, far below memory.
pub const MAX_BYTES: u64 = 256 << 20;

/// The bytes of the regular file at `path` (symlinks followed); anything else is an error
/// saying what the entry is, and so is a file larger than [`MAX_BYTES`].
pub fn regular(path: &Path) -> io::Result<Vec<u8>> {
    // Look before opening: opening a device can act on it; O_NONBLOCK keeps a FIFO that
    // appears in between from blocking the open.
    not_regular(&std::fs::metadata(path)?.file_type())?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)?;
    from_file(file)
}

/// [`regular`] for an already opened file.
pub fn from_file(mut file: std::fs::File) -> io::Result<Vec<u8>> {
    let meta = file.metadata()?;
    not_regular(&meta.file_type())?;
    if meta.len() > MAX_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    (&mut file).take(MAX_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The longest line [`read_line`] takes: far above any JSON Lines record.
pub const MAX_LINE: u64 = 16 << 20;

/// Opens a file read line by line (JSON Lines): a regular file or a FIFO (`<(...)`), not a
/// device, a socket or a folder.
pub fn open_lines(path: &Path) -> io::Result<std::fs::File> {
    let ty = std::fs::metadata(path)?.file_type();
    if !ty.is_fifo() {
        not_regular(&ty)?;
    }
    std::fs::File::open(path)
}

/// `read_until(b'\n')` that refuses a line longer than [`MAX_LINE`] instead of growing without
/// end (a symlink to `/dev/zero` has no newline).
pub fn read_line(reader: &mut impl io::BufRead, buf: &mut Vec<u8>) -> io::Result<usize> {
    let n = reader.take(MAX_LINE + 1).read_until(b'\n', buf)?;
    if n as u64 > MAX_LINE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a line longer than {} MiB", MAX_LINE >> 20),
        ));
    }
    Ok(n)
}

/// [`regular`], decoded as UTF-8.
pub fn regular_string(path: &Path) -> io::Result<String> {
    String::from_utf8(regular(path)?).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

fn not_regular(ty: &std::fs::FileType) -> io::Result<()> {
    let what = if ty.is_file() {
        return Ok(());
    } else if ty.is_dir() {
        "a folder"
    } else if ty.is_fifo() {
        "a FIFO"
    } else if ty.is_char_device() {
        "a character device"
    } else if ty.is_block_device() {
        "a block device"
    } else if ty.is_socket() {
        "a socket"
    } else {
        "not a file"
    };
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{what}, not a regular file (linkallow reads only regular files)"),
    ))
}

fn too_large() -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!(
            "larger than {} MiB (linkallow reads files up to that size)",
            MAX_BYTES >> 20
        ),
    )
}

/// A text file (an allowlist, a counts file) read whole; bytes that are not UTF-8 (a Latin-1
/// export) are named at their line and column, as in tree files. `why` says what it must be.
pub fn read_text(path: &Path, why: &str) -> crate::error::Result<String> {
    let bytes = regular(path).map_err(|e| crate::error::Error::io(path, e))?;
    String::from_utf8(bytes).map_err(|e| {
        crate::error::Error::encoding_of(
            &path.to_string_lossy(),
            e.as_bytes(),
            &e.utf8_error(),
            why,
        )
    })
}

/// Refuses paths that could leave the tree: absolute, `..`, or empty components.
pub fn check_inside(rel: &str) -> crate::error::Result<()> {
    let p = Path::new(rel);
    let bad = p.is_absolute()
        || rel.contains('\\')
        || p.components().any(|c| !matches!(c, std::path::Component::Normal(_)))
        || rel.split('/').any(|c| c.is_empty()) && !rel.is_empty()
        // Path::components drops a `.` in the middle; `a/./b.go` names b.go twice over.
        || rel.split('/').any(|c| c == "." || c == "..");
    if bad {
        return Err(crate::error::Error::Tree(format!(
            "path {rel:?} escapes the tree or is not a clean relative path"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_escaping_paths() {
        assert!(check_inside("../etc").is_err());
        assert!(check_inside("runtime/../../x").is_err());
        assert!(check_inside("/abs").is_err());
        assert!(check_inside("net/http/./server.go").is_err());
        assert!(check_inside("runtime/stubs.go").is_ok());
    }

    #[test]
    fn a_fifo_or_a_device_is_refused_without_reading() {
        let dir = std::env::temp_dir().join(format!("linkallow-readfile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("x.go");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o644),
        )
        .unwrap();
        let err = regular(&fifo).unwrap_err();
        assert!(err.to_string().contains("a FIFO"), "{err}");
        let link = dir.join("zero.go");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let err = regular(&link).unwrap_err();
        assert!(err.to_string().contains("character device"), "{err}");
        std::fs::write(dir.join("ok.go"), "package ok\n").unwrap();
        assert_eq!(regular(&dir.join("ok.go")).unwrap(), b"package ok\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
