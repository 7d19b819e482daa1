//! Diagnostics: what a command reports at a position (a finding of `check`, an entry `apply`
//! cannot place), and how positions name files.

use serde::Serialize;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// One thing found at a position: its kind for tools, the linker names it is about, and the
/// message for people. `check --json` writes `{column, file, kind, line, message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    #[serde(flatten)]
    pub pos: Pos,
    pub kind: DiagKind,
    /// The linker names the diagnostic is about (a region may carry several).
    #[serde(skip)]
    pub symbols: Vec<String>,
    pub message: String,
}

/// The kinds of diagnostic, serialized as the stable words tools match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiagKind {
    /// The allowlist lists a symbol whose block or region the tree lacks.
    MissingBlock,
    /// The tree annotates a symbol the allowlist does not list.
    StaleBlock,
    /// A block's module list is not the allowlist's.
    ModulesDiffer,
    /// A listed site has its block but not its `//go:linkname`.
    DirectiveMissing,
    /// The package, file or declaration is not in this tree.
    SymbolNotFound,
    /// The tree holds something in the way (a stray directive, a foreign block, a conflict).
    InTheWay,
    /// A block still names a symbol's old name.
    RenamePending,
    /// Apply would change the annotation's text or layout.
    LayoutDiffers,
}

impl Diagnostic {
    pub fn new(pos: Pos, kind: DiagKind, symbols: Vec<String>, message: String) -> Diagnostic {
        Diagnostic {
            pos,
            kind,
            symbols,
            message,
        }
    }
}

/// A position in a file, 1-based as editors and compilers print it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Pos {
    pub file: String,
    pub line: usize,
    #[serde(rename = "column")]
    pub col: usize,
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", display_path(&self.file), self.line, self.col)
    }
}

/// The tree whose files messages name: its base (paths inside it are relative to it), the
/// prefix that makes such a path relative to the root the user gave (`src/` for a GOROOT, whose
/// paths are kept relative to `GOROOT/src`), and that root.
static TREE_PATHS: OnceLock<(PathBuf, String, PathBuf)> = OnceLock::new();

/// From now on, positions, I/O errors and write refusals name the files of the tree at `base`
/// relative to `root`, the folder the user gave (`src/runtime/proc.go:12:1` for a GOROOT), as
/// the diffs do: one base everywhere, so that a path in a message opens from there in an editor
/// or a CI log. `prefix` is `base` relative to `root`. Set once, by the binary.
pub fn name_tree_files_from(base: &Path, prefix: &str, root: &Path) {
    let _ = TREE_PATHS.set((base.to_path_buf(), prefix.to_string(), root.to_path_buf()));
}

/// `file` as messages print it: a tree file (a relative `.go` or `.s` path whose folder is in
/// the tree) with the prefix of [`name_tree_files_from`], an absolute path inside the tree
/// relative to its root; anything else (the allowlist, a counts file) as it is.
pub fn display_path(file: &str) -> Cow<'_, str> {
    let Some((base, prefix, root)) = TREE_PATHS.get() else {
        return Cow::Borrowed(file);
    };
    if file.starts_with('/') {
        return match Path::new(file).strip_prefix(root) {
            Ok(rel) if !rel.as_os_str().is_empty() => {
                Cow::Owned(rel.to_string_lossy().into_owned())
            }
            _ => Cow::Borrowed(file),
        };
    }
    let source = file.ends_with(".go") || file.ends_with(".s");
    let dir = file.rfind('/').map_or("", |i| &file[..i]);
    if prefix.is_empty() || !source || file.starts_with('<') || !base.join(dir).is_dir() {
        return Cow::Borrowed(file);
    }
    Cow::Owned(format!("{prefix}{file}"))
}

/// A path known to be relative to the tree's base (a file or folder of the tree), as messages
/// print it: from the root the user gave.
pub fn display_rel(rel: &str) -> String {
    match TREE_PATHS.get() {
        Some((_, prefix, _)) => format!("{prefix}{rel}"),
        None => rel.to_string(),
    }
}

/// A path as messages print it: see [`display_path`].
pub fn display_file(path: &Path) -> String {
    display_path(&path.to_string_lossy()).into_owned()
}
