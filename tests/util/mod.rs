//! A tiny harness: temp dirs, a command builder for the built binary, tree copies and diffs.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_linkallow"))
}

pub fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("linkallow-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A test's scratch folder, like ripgrep's `Dir`: removed when the test passes, kept with its
/// path printed when it fails (a panic, or [`TempDir::keep`]), so the failed state can be read.
pub struct TempDir {
    path: PathBuf,
    keep: bool,
}

impl TempDir {
    /// An empty folder named after the test; unique in this process, so tests may run in
    /// parallel, and cleared of what an earlier run with the same pid left.
    pub fn new(name: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("linkallow-test-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir { path, keep: false }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Keeps the folder: for a failure reported without a panic (libtest-mimic's `Failed`).
    pub fn keep(&mut self) {
        self.keep = true;
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if self.keep || std::thread::panicking() {
            eprintln!("kept the test's folder {}", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<OsStr> for TempDir {
    fn as_ref(&self) -> &OsStr {
        self.path.as_os_str()
    }
}

/// `cp -a FROM TO`: symlinks stay symlinks, modes stay.
pub fn copy_exact(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp");
    assert!(
        status.success(),
        "cp -a {} {}",
        from.display(),
        to.display()
    );
}

pub fn copy_tree(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-r")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp");
    assert!(
        status.success(),
        "cp -r {} {}",
        from.display(),
        to.display()
    );
    let status = Command::new("chmod")
        .args(["-R", "u+w"])
        .arg(to)
        .status()
        .expect("chmod");
    assert!(status.success());
}

/// `diff -r`; empty when the trees are byte-identical.
pub fn diff_trees(a: &Path, b: &Path) -> String {
    let out = Command::new("diff")
        .arg("-r")
        .arg(a)
        .arg(b)
        .output()
        .expect("diff");
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// `linkallow --goroot TREE --allowlist ALLOW ARGS...`
pub fn linkallow(tree: &Path, allow: &Path, args: &[&str]) -> Output {
    run(bin()
        .arg("--goroot")
        .arg(tree)
        .arg("--allowlist")
        .arg(allow)
        .args(args))
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run linkallow")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[track_caller]
pub fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout(out),
        stderr(out)
    );
}

/// Whether a test that needs Go must fail rather than skip (CI sets LINKALLOW_REQUIRE_GO=1).
pub fn go_required() -> bool {
    std::env::var_os("LINKALLOW_REQUIRE_GO").is_some_and(|v| v == "1")
}

/// Skips (returns None, saying why) or, under LINKALLOW_REQUIRE_GO=1, fails the test.
#[track_caller]
pub fn skip<T>(why: &str) -> Option<T> {
    assert!(!go_required(), "LINKALLOW_REQUIRE_GO=1 but {why}");
    eprintln!("SKIP: {why}");
    None
}

/// The installed Go toolchain's GOROOT, or None with the reason printed (CI here has Go).
#[track_caller]
pub fn goroot() -> Option<PathBuf> {
    let out = Command::new("go").args(["env", "GOROOT"]).output();
    match out {
        Ok(o) if o.status.success() => {
            Some(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        }
        _ => skip("no Go toolchain (`go env GOROOT` failed); real-tree checks need one"),
    }
}

/// The GOROOT of release `version` (`go1.27.3`) as the go command fetches it, or None with the
/// reason printed (a failure under LINKALLOW_REQUIRE_GO=1).
#[track_caller]
pub fn toolchain(version: &str) -> Option<PathBuf> {
    let out = Command::new("go")
        .args(["env", "GOROOT"])
        .env("GOTOOLCHAIN", version)
        .output();
    match out {
        Ok(o) if o.status.success() => {
            Some(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        }
        Ok(o) => skip(&format!(
            "GOTOOLCHAIN={version} go env GOROOT failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => skip(&format!("no go command: {e}")),
    }
}

/// The release the shipped allowlist.toml was extracted from (`go1.26.8`), read from its header.
pub fn shipped_release() -> String {
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("allowlist.toml"))
            .unwrap();
    let at = shipped
        .find("extracted by linkallow from ")
        .expect("allowlist.toml names the release it was extracted from");
    shipped[at + "extracted by linkallow from ".len()..]
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The tree's own `go` command, run in `dir` with GOROOT pointing at the tree.
pub fn go(goroot: &Path, dir: &Path, args: &[&str]) -> Output {
    Command::new(goroot.join("bin/go"))
        .args(args)
        .current_dir(dir)
        .env("GOROOT", goroot)
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=mod")
        .output()
        .expect("run go")
}

/// `git ARGS` in `dir` with a fixed identity; panics unless it succeeds.
#[track_caller]
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// A git repository at `root` tracking only `src/` (the tree), with that state committed.
pub fn git_repo_of_src(root: &Path) {
    git(root, &["init", "-q"]);
    std::fs::write(root.join(".git/info/exclude"), "/*\n!/src\n").unwrap();
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "base"]);
}

/// `diff -r -u` without following symlinks, the partner of [`copy_exact`]: empty when the
/// trees are the same, symlinks and all.
pub fn diff_exact(want: &Path, got: &Path) -> String {
    let out = Command::new("diff")
        .args(["-r", "--no-dereference", "-u"])
        .arg(want)
        .arg(got)
        .output()
        .expect("diff");
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Every file in `dir`, by name, with its bytes.
pub fn read_dir_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}
