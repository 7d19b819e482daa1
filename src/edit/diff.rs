//! A plan as a unified diff with git headers, so `git apply` and `git am` take it.

use super::FileChange;
use std::fs;
use std::path::{Path, PathBuf};

/// Where the changed files are and how git names them: `base` is the folder their paths are
/// relative to, `git_prefix` what makes such a path relative to the repository root (`src/` for
/// a GOROOT). The tree supplies it (`Tree::diff_paths`), so this module needs no tree.
#[derive(Debug, Clone)]
pub struct DiffPaths {
    pub base: PathBuf,
    pub git_prefix: String,
}

/// The path git would show for a file of the tree: `src/...` for a GOROOT.
pub fn git_path(paths: &DiffPaths, rel: &str) -> String {
    format!("{}{rel}", paths.git_prefix)
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
pub fn unified_diff(changes: &[FileChange], paths: &DiffPaths) -> String {
    let mut out = String::new();
    for c in changes {
        let path = git_path(paths, &c.rel);
        let old = c.old.as_deref().unwrap_or("");
        let new = c.new.as_deref().unwrap_or("");
        let (name_a, name_b) = (quote_path("a/", &path), quote_path("b/", &path));
        out.push_str(&format!("diff --git {name_a} {name_b}\n"));
        // As git: a name with a blank ends its ---/+++ line with a tab.
        let tab = if path.contains(' ') { "\t" } else { "" };
        let (name_a, name_b) = (format!("{name_a}{tab}"), format!("{name_b}{tab}"));
        let mode = file_mode(&paths.base.join(&c.rel));
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
        Some(t) => blob_id_of(t.as_bytes())
            .get(..7)
            .unwrap_or("0000000")
            .to_string(),
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

pub(crate) fn blob_id_of(bytes: &[u8]) -> String {
    git2::Oid::hash_object(git2::ObjectType::Blob, bytes)
        .map(|o| o.to_string())
        .unwrap_or_default()
}
