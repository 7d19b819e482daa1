//! Writes are transactions: with a fault at any step, or a file changed behind our back, the tree
//! ends byte-identical to where it started, with no temp file left.

mod util;
use linkallow::edit::{self, DirLock, FileWrite, Step};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use util::*;

/// A directory with three files (one executable) and the writes that replace two, delete one
/// and create one.
fn setup(name: &str) -> (TempDir, Vec<FileWrite>) {
    let dir = TempDir::new(name);
    std::fs::write(dir.join("a.go"), "package a\n").unwrap();
    std::fs::write(dir.join("b.sh"), "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(dir.join("b.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(dir.join("c.go"), "package c\n").unwrap();
    let writes = vec![
        FileWrite {
            path: dir.join("a.go"),
            old: Some("package a\n".into()),
            new: Some("package a // new\n".into()),
        },
        FileWrite {
            path: dir.join("b.sh"),
            old: Some("#!/bin/sh\n".into()),
            new: Some("#!/bin/sh\necho new\n".into()),
        },
        FileWrite {
            path: dir.join("c.go"),
            old: Some("package c\n".into()),
            new: None,
        },
        FileWrite {
            path: dir.join("d.go"),
            old: None,
            new: Some("package d\n".into()),
        },
    ];
    (dir, writes)
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>, u32)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let mode = e.metadata().unwrap().permissions().mode();
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).unwrap(),
                mode,
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_fault_at_any_step_leaves_the_directory_as_it_was() {
    let steps = (0..4).flat_map(|k| [Step::Stage(k), Step::Replace(k)]);
    for fault in steps {
        if fault == Step::Stage(2) {
            continue; // a deletion stages nothing
        }
        let (dir, writes) = setup("fault");
        let before = snapshot(&dir);
        let lock = DirLock::acquire(&dir).unwrap();
        let err = edit::commit(&writes, &lock, &mut |step| {
            if step == fault {
                Err(std::io::Error::other("injected fault"))
            } else {
                Ok(())
            }
        })
        .expect_err("the fault must fail the transaction");
        assert!(err.to_string().contains("injected fault"), "{err}");
        assert_eq!(snapshot(&dir), before, "fault at {fault:?} left a change");
    }
}

#[test]
fn a_complete_transaction_keeps_modes_and_leaves_no_temp_file() {
    let (dir, writes) = setup("complete");
    let lock = DirLock::acquire(&dir).unwrap();
    edit::commit(&writes, &lock, &mut |_| Ok(())).unwrap();
    let names: Vec<String> = snapshot(&dir).into_iter().map(|(n, _, _)| n).collect();
    assert_eq!(names, ["a.go", "b.sh", "d.go"]);
    let mode = std::fs::metadata(dir.join("b.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755);
    assert_eq!(
        std::fs::read_to_string(dir.join("b.sh")).unwrap(),
        "#!/bin/sh\necho new\n"
    );
}

#[test]
fn a_file_changed_after_planning_is_not_overwritten_and_the_rest_rolls_back() {
    let (dir, writes) = setup("editor");
    let lock = DirLock::acquire(&dir).unwrap();
    let edited = dir.join("b.sh");
    let err = edit::commit(&writes, &lock, &mut |step| {
        if step == Step::Replace(1) {
            std::fs::write(&edited, "#!/bin/sh\n# saved by an editor\n")?;
        }
        Ok(())
    })
    .expect_err("a changed target must stop the transaction");
    assert!(err.to_string().contains("changed on disk"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("a.go")).unwrap(),
        "package a\n"
    );
    assert_eq!(
        std::fs::read_to_string(&edited).unwrap(),
        "#!/bin/sh\n# saved by an editor\n"
    );
    assert!(dir.join("c.go").exists() && !dir.join("d.go").exists());
    assert_eq!(
        snapshot(&dir).len(),
        3,
        "temp files left: {:?}",
        snapshot(&dir)
    );
}

#[test]
fn an_immutable_file_fails_the_whole_transaction() {
    let (dir, writes) = setup("immutable");
    let target = dir.join("b.sh");
    let chattr = std::process::Command::new("chattr")
        .arg("+i")
        .arg(&target)
        .output();
    if !chattr.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIP part: this file system does not take chattr +i");
        return;
    }
    let before = snapshot(&dir);
    let lock = DirLock::acquire(&dir).unwrap();
    let result = edit::commit(&writes, &lock, &mut |_| Ok(()));
    let _ = std::process::Command::new("chattr")
        .arg("-i")
        .arg(&target)
        .status();
    let err = result.expect_err("an immutable target must fail the transaction");
    assert!(err.to_string().contains("b.sh"), "{err}");
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn a_second_writer_is_refused_while_the_first_holds_the_lock() {
    let dir = TempDir::new("lock");
    let first = DirLock::acquire(&dir).unwrap();
    let err = DirLock::acquire(&dir).err().expect("second lock must fail");
    assert!(err.to_string().contains("another linkallow run"), "{err}");
    drop(first);
    DirLock::acquire(&dir).expect("free again once the first is gone");
}

#[test]
fn writes_through_a_symlink_leaving_the_tree_are_refused() {
    let tmp = TempDir::new("symlink-out");
    let tree = tmp.join("tree");
    copy_tree(&fixtures().join("forms/in"), &tree);
    // The package that holds a plain site moves out of the tree behind a symlink.
    let outside = tmp.join("outside");
    std::fs::rename(tree.join("p"), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, tree.join("p")).unwrap();
    let before = snapshot(&outside);
    let out = linkallow(
        &tree,
        &fixtures().join("forms/allowlist.toml"),
        &["apply", "--write"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("outside"), "{}", stderr(&out));
    assert_eq!(
        snapshot(&outside),
        before,
        "a file outside the tree was written"
    );
}

#[test]
fn apply_with_an_immutable_file_leaves_the_whole_tree_as_it_was() {
    // Once, `chattr +i src/time/time.go` stopped apply --write after 72 of 73 files.
    let tmp = TempDir::new("immutable-tree");
    let tree = tmp.join("tree");
    copy_tree(&fixtures().join("forms/in"), &tree);
    let allow = fixtures().join("forms/allowlist.toml");
    let diff = stdout(&linkallow(&tree, &allow, &["apply"]));
    let targets: Vec<&str> = diff
        .lines()
        .filter_map(|l| l.strip_prefix("+++ b/"))
        .collect();
    assert!(targets.len() >= 2, "{diff}");
    // The last file the transaction would replace is the one that cannot be.
    let last = tree.join(targets.last().unwrap());
    let chattr = std::process::Command::new("chattr")
        .arg("+i")
        .arg(&last)
        .output();
    if !chattr.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIP: this file system does not take chattr +i");
        return;
    }
    let out = linkallow(&tree, &allow, &["apply", "--write"]);
    let _ = std::process::Command::new("chattr")
        .arg("-i")
        .arg(&last)
        .status();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(diff_trees(&fixtures().join("forms/in"), &tree), "");
    let leftovers = std::process::Command::new("find")
        .arg(&tree)
        .args(["-name", "*.linkallow-*"])
        .output()
        .unwrap();
    assert_eq!(stdout(&leftovers), "", "temp files left behind");
}

/// Every file under `dir` whose name a transaction gives its temp files or its journal.
fn temp_files(dir: &Path) -> Vec<PathBuf> {
    let out = std::process::Command::new("find")
        .arg(dir)
        .args(["-name", "*.linkallow-*"])
        .output()
        .unwrap();
    stdout(&out).lines().map(PathBuf::from).collect()
}

/// Runs `cmd` to its end, failing the test (rather than hanging the suite) when it is still
/// running after two minutes.
fn finishes(cmd: &mut std::process::Command) -> std::process::Output {
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..1200 {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    panic!("never ended; stderr so far:\n{}", stderr(&out));
}

#[test]
fn apply_killed_at_any_step_is_recovered_to_before_or_after_with_nothing_left() {
    // Once, a run killed while removing its backups left dozens of .old files; the next
    // apply --write planned no change, never looked, and said "wrote no files".
    use std::os::unix::process::ExitStatusExt;
    let fx = fixtures().join("forms");
    let allow = fx.join("allowlist.toml");
    let tmp = TempDir::new("kill-steps");
    let (mut before, mut after) = (0, 0);
    let mut n = 1;
    loop {
        let tree = tmp.join(format!("tree{n}"));
        copy_tree(&fx.join("in"), &tree);
        let out = run(bin()
            .env("LINKALLOW_KILL_AT", n.to_string())
            .arg("--goroot")
            .arg(&tree)
            .arg("--allowlist")
            .arg(&allow)
            .args(["apply", "--write"]));
        if out.status.success() {
            // Past the last step: the run was not killed.
            assert_eq!(diff_trees(&fx.join("out"), &tree), "");
            break;
        }
        assert_eq!(out.status.signal(), Some(9), "step {n}: {}", stderr(&out));
        if temp_files(&tree).is_empty() {
            // Killed after its last step on the disk: the write is whole.
            assert_eq!(diff_trees(&fx.join("out"), &tree), "", "step {n}");
            ok(&linkallow(&tree, &allow, &["check"]));
            n += 1;
            continue;
        }
        // A reading run does not take a half-written tree for a real one.
        let check = linkallow(&tree, &allow, &["check"]);
        assert_eq!(check.status.code(), Some(2), "step {n}: {}", stderr(&check));
        assert!(stderr(&check).contains("half-done"), "{}", stderr(&check));
        if n % 2 == 1 {
            let rec = run(bin().arg("recover").arg(&tree));
            ok(&rec);
            assert!(
                stderr(&rec).contains("killed run"),
                "step {n}: {}",
                stderr(&rec)
            );
            if diff_trees(&fx.join("in"), &tree).is_empty() {
                before += 1;
            } else {
                assert_eq!(diff_trees(&fx.join("out"), &tree), "", "step {n}");
                after += 1;
            }
        } else {
            // The next write finishes or rolls back first, then does its own work.
            ok(&linkallow(&tree, &allow, &["apply", "--write"]));
            assert_eq!(diff_trees(&fx.join("out"), &tree), "", "step {n}");
        }
        assert_eq!(temp_files(&tree), Vec::<PathBuf>::new(), "step {n}");
        n += 1;
        assert!(n < 500, "the run never got past its kill points");
    }
    assert!(n > 10, "only {n} kill points");
    assert!(before > 0 && after > 0, "before {before}, after {after}");
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn two_concurrent_writers_end_in_the_full_apply() {
    let fx = fixtures().join("forms");
    let allow = fx.join("allowlist.toml");
    let tmp = TempDir::new("two-writers");
    let tree = tmp.join("tree");
    copy_tree(&fx.join("in"), &tree);
    let spawn = || {
        bin()
            .arg("--goroot")
            .arg(&tree)
            .arg("--allowlist")
            .arg(&allow)
            .args(["apply", "--write"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for out in [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()] {
        let code = out.status.code();
        assert!(
            code == Some(0) || stderr(&out).contains("another linkallow run"),
            "{code:?}: {}",
            stderr(&out)
        );
    }
    assert_eq!(diff_trees(&fx.join("out"), &tree), "");
    assert_eq!(temp_files(&tree), Vec::<PathBuf>::new());
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[test]
fn staging_keeps_setuid_setgid_and_the_owner() {
    // Staging set the mode, then fchown cleared S_ISUID and S_ISGID.
    if !is_root() {
        eprintln!("SKIP: only root can chown a file to another user");
        return;
    }
    let (dir, writes) = setup("setuid");
    let target = dir.join("b.sh");
    std::os::unix::fs::chown(&target, Some(1234), Some(5678)).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o6755)).unwrap();
    let lock = DirLock::acquire(&dir).unwrap();
    edit::commit(&writes, &lock, &mut |_| Ok(())).unwrap();
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(&target).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o6755);
    assert_eq!((meta.uid(), meta.gid()), (1234, 5678));
}

#[test]
fn a_new_file_gets_the_mode_of_the_package_files_not_the_umask() {
    // Under umask 077, the region's new badlinkname.go came out 0600 beside 0644 files.
    let fx = fixtures().join("forms");
    let tmp = TempDir::new("umask");
    let tree = tmp.join("tree");
    copy_tree(&fx.join("in"), &tree);
    for f in ["p.go", "counter.go", "nounsafe.go"] {
        std::fs::set_permissions(
            tree.join("p").join(f),
            std::fs::Permissions::from_mode(0o640),
        )
        .unwrap();
    }
    let out = run(std::process::Command::new("sh")
        .arg("-c")
        .arg("umask 077; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_linkallow"))
        .arg("--goroot")
        .arg(&tree)
        .arg("--allowlist")
        .arg(fx.join("allowlist.toml"))
        .args(["apply", "--write"]));
    ok(&out);
    let mode = std::fs::metadata(tree.join("p/badlinkname.go"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o640);
}

/// Kept in Rust, not a UI case: the UI format compares contents, and a file's mode is not one.
#[test]
fn write_keeps_file_mode() {
    let fx = fixtures().join("forms");
    let tmp = TempDir::new("mode");
    let tree = tmp.join("tree");
    copy_tree(&fx.join("in"), &tree);
    let allow = tmp.join("allowlist.toml");
    std::fs::write(
        &allow,
        "[[symbol]]\npackage = \"example.com/m/p\"\nname = \"plain\"\nmodules = [\"example.com/alpha\"]\n",
    )
    .unwrap();
    let f = tree.join("p/p.go");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
    ok(&linkallow(&tree, &allow, &["apply", "--write"]));
    assert_eq!(
        std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert!(
        std::fs::read_to_string(&f)
            .unwrap()
            .contains("// plain should be an internal detail,")
    );
}

/// A root with a package folder `pkg` (two files) and an empty folder outside it.
fn setup_package(name: &str) -> (PathBuf, PathBuf, Vec<FileWrite>) {
    let tmp = tempdir(name);
    let root = tmp.join("tree");
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::create_dir_all(tmp.join("outside")).unwrap();
    std::fs::write(pkg.join("a.go"), "package pkg\n").unwrap();
    std::fs::write(pkg.join("b.go"), "package pkg // b\n").unwrap();
    let writes = vec![
        FileWrite {
            path: pkg.join("a.go"),
            old: Some("package pkg\n".into()),
            new: Some("package pkg // new\n".into()),
        },
        FileWrite {
            path: pkg.join("badlinkname.go"),
            old: None,
            new: Some("package pkg // created\n".into()),
        },
    ];
    (root, tmp.join("outside"), writes)
}

#[test]
fn a_package_folder_swapped_for_a_symlink_during_the_run_is_not_written_through() {
    // Symlinks were checked once, before staging; staging and renaming went by path, and a
    // region's new file was created in the folder outside.
    for at in [
        Step::Stage(0),
        Step::Stage(1),
        Step::Replace(0),
        Step::Replace(1),
    ] {
        let (root, outside, writes) = setup_package("swap");
        let pkg = root.join("pkg");
        let before = snapshot(&pkg);
        let lock = DirLock::acquire(&root).unwrap();
        let err = edit::commit(&writes, &lock, &mut |step| {
            if step == at {
                std::fs::rename(&pkg, root.join("pkg.moved"))?;
                std::os::unix::fs::symlink(&outside, &pkg)?;
            }
            Ok(())
        })
        .expect_err("a swapped folder must stop the transaction");
        assert!(
            err.to_string().contains("moved or replaced"),
            "{at:?}: {err}"
        );
        assert_eq!(
            snapshot(&outside),
            vec![],
            "{at:?}: written outside the tree"
        );
        assert_eq!(snapshot(&root.join("pkg.moved")), before, "{at:?}");
    }
}

#[test]
fn a_file_made_read_only_during_the_run_is_not_written() {
    let (dir, writes) = setup("read-only-late");
    let before = snapshot(&dir);
    let lock = DirLock::acquire(&dir).unwrap();
    let target = dir.join("b.sh");
    let err = edit::commit(&writes, &lock, &mut |step| {
        if step == Step::Replace(1) {
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o555))?;
        }
        Ok(())
    })
    .expect_err("a mode changed since planning must stop the transaction");
    assert!(err.to_string().contains("changed on disk"), "{err}");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn replace_file_keeps_a_save_made_after_the_base_was_read() {
    let dir = TempDir::new("editor-base");
    let path = dir.join("allowlist.toml");
    std::fs::write(&path, "# saved by an editor\n").unwrap();
    let err = edit::replace_file(&path, Some("# as parsed\n"), "# rewritten\n")
        .expect_err("the file no longer holds the base");
    assert!(err.to_string().contains("changed on disk"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "# saved by an editor\n"
    );
    assert_eq!(temp_files(&dir), Vec::<PathBuf>::new());
}

#[test]
fn adopt_does_not_overwrite_an_allowlist_saved_while_it_ran() {
    // adopt re-read the allowlist right before writing and took that as the base, so a save
    // between its parse and its write was silently overwritten.
    let Some(goroot) = goroot() else { return };
    let tmp = TempDir::new("adopt-editor");
    let scan = run(bin()
        .arg("scan")
        .arg(fixtures().join("scan/mod"))
        .arg("--against")
        .arg(&goroot)
        .arg("--json"));
    assert!(stdout(&scan).contains("\"rejected\""), "{}", stderr(&scan));
    let allow = tmp.join("allowlist.toml");
    std::fs::copy(fixtures().join("forms/allowlist.toml"), &allow).unwrap();
    let counts = tmp.join("counts.csv");
    std::fs::write(&counts, "module,dependents\nexample.com/linkfix,5\n").unwrap();
    // The scan records come through a FIFO: adopt has read the allowlist when it opens it.
    let fifo = tmp.join("scan.jsonl");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .unwrap();
    let child = bin()
        .arg("--goroot")
        .arg(&goroot)
        .arg("--allowlist")
        .arg(&allow)
        .args(["adopt", "--min-dependents", "0", "--dependents"])
        .arg(&counts)
        .arg(&fifo)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut records = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    let saved = format!(
        "{}# saved by an editor\n",
        std::fs::read_to_string(&allow).unwrap()
    );
    std::fs::write(&allow, &saved).unwrap();
    std::io::Write::write_all(&mut records, &scan.stdout).unwrap();
    drop(records);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("changed on disk"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&allow).unwrap(), saved);
}

#[test]
fn fifos_and_devices_are_named_not_read() {
    // A .go symlink to a FIFO or /dev/zero was read without bound: check never ended, and
    // --allowlist /dev/full took 23 GB before the kernel killed it.
    let fx = fixtures().join("forms");
    let allow = fx.join("allowlist.toml");
    let tmp = TempDir::new("fifo");
    let fifo = tmp.join("fifo");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .unwrap();
    for (name, to, what) in [
        ("fifo.go", fifo.as_path(), "a FIFO"),
        ("zero.go", Path::new("/dev/zero"), "a character device"),
    ] {
        let tree = tmp.join(format!("tree-{name}"));
        copy_tree(&fx.join("in"), &tree);
        std::os::unix::fs::symlink(to, tree.join("p").join(name)).unwrap();
        for cmd in [&["check"][..], &["apply"], &["strip"]] {
            let out = finishes(
                bin()
                    .arg("--goroot")
                    .arg(&tree)
                    .arg("--allowlist")
                    .arg(&allow)
                    .args(cmd),
            );
            assert_eq!(
                out.status.code(),
                Some(2),
                "{cmd:?} {name}: {}",
                stderr(&out)
            );
            assert!(
                stderr(&out).contains(name) && stderr(&out).contains(what),
                "{cmd:?}: {}",
                stderr(&out)
            );
        }
        // scan names what it skipped, and ends.
        let out = finishes(bin().arg("scan").arg(&tree));
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(all.contains(name) && all.contains(what), "scan: {all}");
    }
    // A FIFO in the tree itself, not through a symlink.
    let tree = tmp.join("tree-own-fifo");
    copy_tree(&fx.join("in"), &tree);
    let own = tree.join("p/own.go");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &own,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .unwrap();
    let out = finishes(
        bin()
            .arg("--goroot")
            .arg(&tree)
            .arg("--allowlist")
            .arg(&allow)
            .arg("check"),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("own.go") && stderr(&out).contains("a FIFO"),
        "{}",
        stderr(&out)
    );
    let out = finishes(bin().arg("scan").arg(&tree));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        all.contains("own.go") && all.contains("a FIFO"),
        "scan: {all}"
    );
    // JSON Lines inputs: a device is refused, not read as one endless line.
    let out = finishes(bin().args(["scan", "--merge", "/dev/zero"]));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(all.contains("character device"), "scan --merge: {all}");
    let out = finishes(
        bin()
            .arg("--goroot")
            .arg(fx.join("in"))
            .arg("--allowlist")
            .arg(&allow)
            .args(["report", "--out"])
            .arg(tmp.join("site"))
            .arg("/dev/zero"),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("character device"),
        "report: {}",
        stderr(&out)
    );
    // An allowlist that is a device.
    for dev in ["/dev/full", "/dev/zero"] {
        let out = finishes(
            bin()
                .arg("--goroot")
                .arg(fx.join("in"))
                .arg("--allowlist")
                .arg(dev)
                .arg("check"),
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("character device"),
            "{}",
            stderr(&out)
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A journal comes from the tree, so it is untrusted: one naming a path through a symlink, a
/// `..` folder or an absolute folder is refused whole, and nothing outside (or inside) the tree
/// is touched.
#[test]
fn a_forged_journal_is_refused_and_nothing_outside_the_tree_is_touched() {
    let tmp = tempdir("forged-journal");
    let outside = tmp.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("s.txt"), "secret\n").unwrap();
    let entries = [
        // A name through a symlinked folder.
        r#"["","a/s.txt",true,false,"0000000000000000000000000000000000000000",null]"#,
        // A folder that climbs out.
        r#"["..","s.txt",true,false,"0000000000000000000000000000000000000000",null]"#,
        // An absolute folder.
        r#"["/tmp","s.txt",true,false,"0000000000000000000000000000000000000000",null]"#,
        // The format before the ids were recorded.
        r#"["","s.txt",true,false]"#,
    ];
    for (i, entry) in entries.iter().enumerate() {
        let tree = tmp.join(format!("tree{i}"));
        std::fs::create_dir_all(tree.join("p")).unwrap();
        std::fs::create_dir_all(tree.join(".a")).unwrap();
        std::os::unix::fs::symlink(&outside, tree.join("a")).unwrap();
        std::fs::write(tree.join("go.mod"), "module example.com/evil\n").unwrap();
        std::fs::write(tree.join("p/p.go"), "package p\n").unwrap();
        std::fs::write(tree.join(".a/s.txt.linkallow-1.old"), "PWNED\n").unwrap();
        std::fs::write(
            tree.join(".linkallow-1.journal"),
            format!("linkallow transaction, pid 1\n{entry}\nreplace 0\n"),
        )
        .unwrap();
        let held = |t: &Path| {
            ["go.mod", "p/p.go", ".a/s.txt.linkallow-1.old"]
                .map(|f| std::fs::read(t.join(f)).unwrap())
        };
        let before = held(&tree);
        let rec = run(bin().arg("recover").arg(&tree));
        assert_eq!(rec.status.code(), Some(2), "entry {i}: {}", stderr(&rec));
        assert!(
            stderr(&rec).contains(".linkallow-1.journal:2:"),
            "entry {i}: {}",
            stderr(&rec)
        );
        assert_eq!(
            std::fs::read_to_string(outside.join("s.txt")).unwrap(),
            "secret\n",
            "entry {i}"
        );
        assert_eq!(held(&tree), before, "entry {i}");
        assert!(tree.join(".linkallow-1.journal").exists(), "entry {i}");
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A file edited after the run was killed is not rolled back over: recovery stops, names the
/// file, keeps the edit and the journal, and the backup still holds the text before the run.
#[test]
fn recovery_keeps_an_edit_made_after_the_kill() {
    let fx = fixtures().join("forms");
    let allow = fx.join("allowlist.toml");
    let tmp = tempdir("edit-after-kill");
    let mut tried = 0;
    for n in 1..400 {
        let tree = tmp.join(format!("tree{n}"));
        copy_tree(&fx.join("in"), &tree);
        let out = run(bin()
            .env("LINKALLOW_KILL_AT", n.to_string())
            .arg("--goroot")
            .arg(&tree)
            .arg("--allowlist")
            .arg(&allow)
            .args(["apply", "--write"]));
        if out.status.success() {
            break;
        }
        // A backup beside a replaced file: the run had begun replacing it.
        let Some(backup) = temp_files(&tree)
            .into_iter()
            .find(|p| p.to_string_lossy().ends_with(".old"))
        else {
            continue;
        };
        let name = backup.file_name().unwrap().to_string_lossy().to_string();
        let original = name[1..name.find(".linkallow-").unwrap()].to_string();
        let file = backup.with_file_name(&original);
        let mut text = std::fs::read_to_string(&file).unwrap();
        text.push_str("// my edit\n");
        std::fs::write(&file, &text).unwrap();
        let journal = temp_files(&tree)
            .into_iter()
            .find(|p| p.to_string_lossy().ends_with(".journal"))
            .unwrap();
        let committed = std::fs::read_to_string(&journal)
            .unwrap()
            .lines()
            .any(|l| l == "committed");
        let rec = run(bin().arg("recover").arg(&tree));
        if committed {
            // Past the commit point recovery only removes backups: the edit stays.
            ok(&rec);
            assert_eq!(std::fs::read_to_string(&file).unwrap(), text, "step {n}");
            continue;
        }
        assert_eq!(rec.status.code(), Some(2), "step {n}: {}", stderr(&rec));
        assert!(
            stderr(&rec).contains(&original)
                && stderr(&rec).contains("changed after the killed run"),
            "step {n}: {}",
            stderr(&rec)
        );
        assert_eq!(std::fs::read_to_string(&file).unwrap(), text, "step {n}");
        assert!(backup.exists(), "step {n}");
        tried += 1;
    }
    assert!(tried > 0, "no kill point left a backup");
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A journal that names real files with their real blob ids still came with the tree, not from
/// a run here: without this machine's seal it is refused whole, and nothing is deleted or
/// replaced. One cut short before its seal (a kill while it was written) means nothing was done
/// yet: recovery only removes it.
#[test]
fn an_unsealed_journal_is_refused_and_a_cut_short_one_is_removed() {
    let tmp = tempdir("unsealed-journal");
    let tree = tmp.join("tree");
    std::fs::create_dir_all(tree.join("p")).unwrap();
    std::fs::write(tree.join("go.mod"), "module example.com/m\n").unwrap();
    std::fs::write(tree.join("p/p.go"), "package p\n").unwrap();
    let id = |text: &str| {
        let f = tmp.join("blob");
        std::fs::write(&f, text).unwrap();
        let out = run(std::process::Command::new("git").arg("hash-object").arg(&f));
        stdout(&out).trim().to_string()
    };
    let real = id("package p\n");
    let evil = id("package p // evil\n");
    std::fs::write(tree.join("p/.p.go.linkallow-7.old"), "package p // evil\n").unwrap();
    for (i, journal) in [
        // Created by the run, as if deleting p.go on roll back.
        format!("linkallow transaction, pid 7\n[\"p\",\"p.go\",false,true,null,\"{real}\"]\nreplace 0\n"),
        // A backup with other text, to be put over p.go on roll back.
        format!("linkallow transaction, pid 7\n[\"p\",\"p.go\",true,true,\"{evil}\",\"{real}\"]\nreplace 0\n"),
        // A seal that is not this machine's.
        format!("linkallow transaction, pid 7\n[\"p\",\"p.go\",true,true,\"{evil}\",\"{real}\"]\nseal {real}\nreplace 0\n"),
    ]
    .iter()
    .enumerate()
    {
        std::fs::write(tree.join(".linkallow-7.journal"), journal).unwrap();
        let rec = run(bin().arg("recover").arg(&tree));
        assert_eq!(rec.status.code(), Some(2), "journal {i}: {}", stderr(&rec));
        assert!(stderr(&rec).contains("not sealed"), "journal {i}: {}", stderr(&rec));
        assert_eq!(
            std::fs::read_to_string(tree.join("p/p.go")).unwrap(),
            "package p\n",
            "journal {i}"
        );
    }
    std::fs::remove_file(tree.join("p/.p.go.linkallow-7.old")).unwrap();
    for cut in [
        "",
        "linkallow trans",
        "linkallow transaction, pid 7",
        "linkallow transaction, pid 7\n[\"p\",\"p.g",
    ] {
        std::fs::write(tree.join(".linkallow-7.journal"), cut).unwrap();
        ok(&run(bin().arg("recover").arg(&tree)));
        assert!(!tree.join(".linkallow-7.journal").exists(), "{cut:?}");
        assert_eq!(
            std::fs::read_to_string(tree.join("p/p.go")).unwrap(),
            "package p\n"
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
