//! Writes are transactions: with a fault at any step, or a file changed behind our back, the tree
//! ends byte-identical to where it started, with no temp file left.

mod util;
use linkallow::edit::{self, DirLock, FileWrite, Step};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use util::*;

/// A directory with three files (one executable) and the writes that replace two, delete one
/// and create one.
fn setup(name: &str) -> (PathBuf, Vec<FileWrite>) {
    let dir = tempdir(name);
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
    let dir = tempdir("lock");
    let first = DirLock::acquire(&dir).unwrap();
    let err = DirLock::acquire(&dir).err().expect("second lock must fail");
    assert!(err.to_string().contains("another linkallow run"), "{err}");
    drop(first);
    DirLock::acquire(&dir).expect("free again once the first is gone");
}

#[test]
fn writes_through_a_symlink_leaving_the_tree_are_refused() {
    let tmp = tempdir("symlink-out");
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
    let tmp = tempdir("immutable-tree");
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
