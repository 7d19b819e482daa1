//! Turning a plan into a diff or into files. Writing checks every file first (still as planned,
//! writable), then replaces each atomically (temp file + rename) with its mode kept.

use crate::error::{Error, Result};
use crate::gotree::Tree;
use crate::plan::Plan;
use std::fs;
use std::io::Write;
use std::path::Path;

/// The path git would show for a file of the tree: `src/...` for a GOROOT.
pub fn git_path(tree: &Tree, rel: &str) -> String {
    if tree.is_goroot() {
        format!("src/{rel}")
    } else {
        rel.to_string()
    }
}

/// A unified diff with git headers, so `git apply` (run at the tree root) takes it.
pub fn unified_diff(tree: &Tree, plan: &Plan) -> String {
    let mut out = String::new();
    for c in &plan.changes {
        let path = git_path(tree, &c.rel);
        let old = c.old.as_deref().unwrap_or("");
        let new = c.new.as_deref().unwrap_or("");
        out.push_str(&format!("diff --git a/{path} b/{path}\n"));
        let mode = file_mode(&tree.path(&c.rel));
        // Blob ids let `git am -3` fall back to a three-way merge.
        let (a, b) = (blob_id(c.old.as_deref()), blob_id(c.new.as_deref()));
        let (from, to) = match (&c.old, &c.new) {
            (None, _) => {
                out.push_str(&format!("new file mode 100644\nindex {a}..{b}\n"));
                ("/dev/null".to_string(), format!("b/{path}"))
            }
            (_, None) => {
                out.push_str(&format!("deleted file mode {mode}\nindex {a}..{b}\n"));
                (format!("a/{path}"), "/dev/null".to_string())
            }
            _ => {
                out.push_str(&format!("index {a}..{b} {mode}\n"));
                (format!("a/{path}"), format!("b/{path}"))
            }
        };
        let diff = similar::TextDiff::from_lines(old, new);
        let text = diff
            .unified_diff()
            .context_radius(3)
            .missing_newline_hint(true)
            .header(&from, &to)
            .to_string();
        out.push_str(&text);
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

/// Writes the plan. Nothing is written unless every file is still as planned and writable.
pub fn write(tree: &Tree, plan: &Plan) -> Result<()> {
    for c in &plan.changes {
        let path = tree.path(&c.rel);
        match &c.old {
            Some(old) => {
                let now = fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
                if &now != old {
                    return Err(Error::Tree(format!(
                        "{}: changed on disk since it was read",
                        path.display()
                    )));
                }
                let meta = fs::metadata(&path).map_err(|e| Error::io(&path, e))?;
                if meta.permissions().readonly() {
                    return Err(Error::Tree(format!(
                        "{}: file is read-only",
                        path.display()
                    )));
                }
            }
            None if path.exists() => {
                return Err(Error::Tree(format!(
                    "{}: exists but was planned as new",
                    path.display()
                )));
            }
            None => {}
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        if !dir.is_dir() {
            return Err(Error::Tree(format!(
                "{}: directory does not exist",
                dir.display()
            )));
        }
        let probe = fs::metadata(dir).map_err(|e| Error::io(dir, e))?;
        if probe.permissions().readonly() {
            return Err(Error::Tree(format!(
                "{}: directory is read-only",
                dir.display()
            )));
        }
    }
    for c in &plan.changes {
        let path = tree.path(&c.rel);
        match &c.new {
            Some(text) => write_atomic(&path, text)?,
            None => fs::remove_file(&path).map_err(|e| Error::io(&path, e))?,
        }
    }
    Ok(())
}

/// Writes `text` to `path` through a temp file in the same directory, keeping the mode.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.linkallow-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        if let Ok(meta) = fs::metadata(path) {
            fs::set_permissions(&tmp, meta.permissions())?;
        }
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(|e| Error::io(path, e))
}
