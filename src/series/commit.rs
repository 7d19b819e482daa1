//! `commit`: the series as git commits on a new branch, made with git2 in the object database.
//! The work tree and the checked-out branch are never touched; the branch ref moves last, once
//! every commit exists, so a failure leaves the repository as it was.

use crate::error::{Error, Result};
use crate::series::Step;
use crate::series::message::CommitMessage;
use crate::tree::Tree;
use git2::{BranchType, FileMode, Repository, Signature, StatusOptions};
use std::path::Path;

/// Where the series goes and how.
pub struct Target<'a> {
    pub repo: &'a Path,
    pub branch: &'a str,
    /// Replace the branch when it exists.
    pub force: bool,
    /// `Name <email>`; `None`: user.name and user.email from git config.
    pub author: Option<&'a str>,
}

fn git_err(what: &str) -> impl Fn(git2::Error) -> Error + '_ {
    move |e| Error::Other(format!("{what}: {}", e.message()))
}

/// Opens the repository and refuses what would lose work or surprise: not a repository, a bare
/// one, a dirty work tree, an existing branch (unless forced), the checked-out branch.
pub fn open_checked(target: &Target) -> Result<Repository> {
    let shown = target.repo.display().to_string();
    let repo = Repository::open(target.repo)
        .map_err(|_| Error::Other(format!("{shown}: not a git repository")))?;
    if repo.is_bare() {
        return Err(Error::Other(format!(
            "{shown}: bare repository; need a work tree"
        )));
    }
    let mut opts = StatusOptions::new();
    opts.include_untracked(true).include_ignored(false);
    let dirty = {
        let statuses = repo.statuses(Some(&mut opts)).map_err(git_err(&shown))?;
        let paths: Vec<String> = statuses
            .iter()
            .take(5)
            .filter_map(|s| s.path().ok().map(str::to_string))
            .collect();
        (!statuses.is_empty()).then(|| (statuses.len(), paths))
    };
    if let Some((count, paths)) = dirty {
        return Err(Error::Other(format!(
            "{shown}: work tree is dirty ({count} paths, first: {}); commit them, or stash them (git stash -u also takes untracked files) first",
            paths.join(", ")
        )));
    }
    if git2::Branch::name_is_valid(target.branch).ok() != Some(true) {
        return Err(Error::Other(format!(
            "{:?} is not a valid branch name",
            target.branch
        )));
    }
    // Like git, whether the branch exists or not: a worktree on it (its HEAD, or a rebase or
    // bisect of it) would see its branch move under its index and files.
    if let Some(user) = branch_user(&repo, target.branch) {
        return Err(Error::Other(if user.is_this {
            format!(
                "{shown}: branch {} is {}; switch to the branch the series builds on",
                target.branch, user.how
            )
        } else {
            format!(
                "{shown}: branch {} is {} in the worktree {}; git refuses to move it, and so does linkallow",
                target.branch, user.how, user.worktree
            )
        }));
    }
    let exists = repo.find_branch(target.branch, BranchType::Local).is_ok();
    if exists && !target.force {
        return Err(Error::Other(format!(
            "{shown}: branch {} exists; pass --force to regenerate it",
            target.branch
        )));
    }
    Ok(repo)
}

/// The Change-Ids on `branch`'s commits above HEAD, oldest first: what an earlier run mailed.
pub fn branch_change_ids(repo: &Repository, branch: &str) -> Vec<String> {
    let (Ok(tip), Ok(head)) = (
        repo.find_branch(branch, BranchType::Local)
            .and_then(|b| b.get().peel_to_commit()),
        repo.head().and_then(|h| h.peel_to_commit()),
    ) else {
        return Vec::new();
    };
    let Ok(base) = repo.merge_base(tip.id(), head.id()) else {
        return Vec::new();
    };
    let mut ids = Vec::new();
    let mut commit = tip;
    while commit.id() != base {
        if let Some(id) = commit
            .message()
            .ok()
            .and_then(crate::series::message::change_id_in)
        {
            ids.push(id.to_string());
        }
        match commit.parent(0) {
            Ok(parent) => commit = parent,
            Err(_) => break,
        }
    }
    ids.reverse();
    ids
}

/// A worktree that uses a branch, as git's find_shared_symref sees it.
struct BranchUser {
    /// The worktree's folder.
    worktree: String,
    /// `checked out`, `being rebased`, `being bisected`.
    how: &'static str,
    /// Whether it is the worktree linkallow runs on.
    is_this: bool,
}

/// The worktree, of all the repository's (the main one and every linked one, whichever of them
/// `repo` is), that has `branch` checked out or is rebasing or bisecting it.
fn branch_user(repo: &Repository, branch: &str) -> Option<BranchUser> {
    let full = format!("refs/heads/{branch}");
    let common = repo.commondir().to_path_buf();
    let main = Repository::open(&common).ok();
    // (admin folder, work tree) of each worktree; a bare main repository checks nothing out.
    let mut trees: Vec<(std::path::PathBuf, String)> = Vec::new();
    if let Some(main) = main.as_ref().filter(|m| !m.is_bare()) {
        let shown = main.workdir().unwrap_or(&common).display().to_string();
        trees.push((common.clone(), shown));
    }
    let names: Vec<String> = main
        .as_ref()
        .unwrap_or(repo)
        .worktrees()
        .map(|n| n.iter().flatten().flatten().map(str::to_string).collect())
        .unwrap_or_default();
    for name in &names {
        let shown = main
            .as_ref()
            .unwrap_or(repo)
            .find_worktree(name)
            .map(|wt| wt.path().display().to_string())
            .unwrap_or_else(|_| name.to_string());
        trees.push((common.join("worktrees").join(name), shown));
    }
    let this = repo.path().canonicalize().ok();
    trees.into_iter().find_map(|(admin, worktree)| {
        let read = |f: &str| {
            std::fs::read_to_string(admin.join(f))
                .ok()
                .map(|t| t.trim_end().to_string())
        };
        let how = if read("HEAD") == Some(format!("ref: {full}")) {
            "checked out"
        } else if read("rebase-merge/head-name").as_ref() == Some(&full)
            || read("rebase-apply/head-name").as_ref() == Some(&full)
        {
            "being rebased"
        } else if read("BISECT_START").as_deref() == Some(branch) {
            "being bisected"
        } else {
            return None;
        };
        let is_this = admin.canonicalize().ok() == this;
        Some(BranchUser {
            worktree,
            how,
            is_this,
        })
    })
}

/// The signature for the series: `--author`, else git config.
fn signature(repo: &Repository, author: Option<&str>) -> Result<Signature<'static>> {
    match author {
        Some(a) => {
            let (name, email) = crate::series::mbox::parse_ident(a)?;
            Signature::now(&name, &email).map_err(git_err("author"))
        }
        None => {
            let sig = repo.signature().map(|s| s.to_owned()).map_err(|_| {
                Error::Other(
                    "no author: set git config user.name and user.email, or pass --author".into(),
                )
            })?;
            // git config can hold a newline: it would end the commit's author line.
            crate::series::mbox::refuse_controls(
                "git config user.name",
                &String::from_utf8_lossy(sig.name_bytes()),
            )?;
            crate::series::mbox::refuse_controls(
                "git config user.email",
                &String::from_utf8_lossy(sig.email_bytes()),
            )?;
            Ok(sig)
        }
    }
}

/// Where the tree's base (GOROOT/src or the module) lies in the repository, `/`-separated.
fn prefix_in(repo: &Repository, tree: &Tree) -> Result<String> {
    let workdir = repo
        .workdir()
        .ok_or_else(|| Error::Other(format!("{}: no work tree", repo.path().display())))?;
    let base = tree
        .base
        .canonicalize()
        .map_err(|e| Error::io(&tree.base, e))?;
    let root = workdir.canonicalize().map_err(|e| Error::io(workdir, e))?;
    let prefix = base.strip_prefix(&root).map_err(|_| {
        Error::Other(format!(
            "{} is not inside the repository {}",
            tree.base.display(),
            root.display()
        ))
    })?;
    Ok(prefix.to_string_lossy().replace('\\', "/"))
}

/// The tree as HEAD holds it, for planning the commits: every file's text is its HEAD blob, and
/// a file HEAD lacks (an ignored one) is not there. git status calls a work tree clean whatever
/// a file marked assume-unchanged or skip-worktree holds, and does not look at ignored files;
/// the commits must carry neither's local text.
pub fn head_view(repo: &Repository, tree: &Tree) -> Result<Tree> {
    use rayon::prelude::*;
    let prefix = prefix_in(repo, tree)?;
    let head = repo
        .head()
        .and_then(|h| h.peel_to_tree())
        .map_err(git_err("HEAD"))?;
    let untracked = || {
        Error::Other(format!(
            "{}: HEAD of the repository holds no files here (an ignored or untracked folder?); commit builds the series from the files HEAD holds",
            tree.base.display()
        ))
    };
    let below = if prefix.is_empty() {
        head
    } else {
        let entry = head.get_path(Path::new(&prefix)).map_err(|_| untracked())?;
        entry
            .to_object(repo)
            .ok()
            .and_then(|o| o.into_tree().ok())
            .ok_or_else(untracked)?
    };
    // HEAD's source files below the base, by path relative to it.
    let mut blobs: std::collections::BTreeMap<String, git2::Oid> = Default::default();
    below
        .walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            let name = entry.name().unwrap_or("");
            if entry.filemode() != i32::from(FileMode::Link)
                && entry.kind() == Some(git2::ObjectType::Blob)
                && crate::tree::is_source_name(name)
            {
                blobs.insert(format!("{dir}{name}"), entry.id());
            }
            git2::TreeWalkResult::Ok
        })
        .map_err(git_err("reading HEAD"))?;
    // The work tree's source files, and whether each holds HEAD's bytes.
    let on_disk: Vec<String> = walkdir::WalkDir::new(&tree.base)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || e.file_name() != ".git")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e
                .path()
                .strip_prefix(&tree.base)
                .ok()?
                .to_str()?
                .to_string();
            let name = e.file_name().to_str()?;
            crate::tree::is_source_name(name).then_some(rel)
        })
        .collect();
    let differs: Vec<(String, bool)> = on_disk
        .par_iter()
        .map(|rel| {
            let same = blobs.get(rel).is_some_and(|oid| {
                std::fs::read(tree.path(rel)).is_ok_and(|b| {
                    git2::Oid::hash_object(git2::ObjectType::Blob, &b).ok() == Some(*oid)
                })
            });
            (rel.clone(), same)
        })
        .collect();
    let mut overlay: Vec<(String, Option<String>)> = Vec::new();
    let head_text = |rel: &str, oid: git2::Oid| -> Result<String> {
        let blob = repo.find_blob(oid).map_err(git_err(rel))?;
        crate::tree::decode(rel, blob.content()).map(str::to_owned)
    };
    for (rel, same) in differs {
        match blobs.remove(&rel) {
            Some(_) if same => {}
            Some(oid) => overlay.push((rel.clone(), Some(head_text(&rel, oid)?))),
            None => overlay.push((rel, None)),
        }
    }
    // In HEAD but not in the work tree (skip-worktree, sparse checkout): where the tree looks.
    for (rel, oid) in blobs {
        let skipped = rel
            .split('/')
            .any(|c| c == "testdata" || c.starts_with(['.', '_']))
            || (tree.is_goroot() && rel.starts_with("cmd/"));
        if !skipped {
            overlay.push((rel.clone(), Some(head_text(&rel, oid)?)));
        }
    }
    Ok(tree.with_overlay(overlay))
}

/// Commits each step with its message on top of HEAD and points `branch` at the last one.
/// Returns the new commit ids, oldest first.
pub fn commit_series(
    repo: &Repository,
    tree: &Tree,
    target: &Target,
    steps: &[Step],
    messages: &[CommitMessage],
) -> Result<Vec<git2::Oid>> {
    let prefix = std::path::PathBuf::from(prefix_in(repo, tree)?);
    let sig = signature(repo, target.author)?;
    let head = repo
        .head()
        .and_then(|h| h.peel_to_commit())
        .map_err(git_err("HEAD"))?;
    let mut parent = head;
    let mut ids = Vec::new();
    for (step, message) in steps.iter().zip(messages) {
        let parent_tree = parent.tree().map_err(git_err("tree"))?;
        let mut update = git2::build::TreeUpdateBuilder::new();
        for c in &step.changes {
            let path = prefix.join(&c.rel);
            let path = path.to_string_lossy().replace('\\', "/");
            // The plan was made on HEAD's texts (head_view): what it changes is what the parent
            // holds, or the commit would carry text from somewhere else.
            let held = parent_tree
                .get_path(Path::new(&path))
                .ok()
                .and_then(|e| e.to_object(repo).ok()?.into_blob().ok())
                .map(|b| b.content().to_vec());
            if held.as_deref() != c.old.as_deref().map(str::as_bytes) {
                return Err(Error::Other(format!(
                    "{path}: the series was planned on other text than the commit it goes on holds; nothing was committed"
                )));
            }
            match &c.new {
                Some(text) => {
                    let blob = repo.blob(text.as_bytes()).map_err(git_err(&path))?;
                    let mode = parent_tree
                        .get_path(Path::new(&path))
                        .map(|e| {
                            if e.filemode() == i32::from(FileMode::BlobExecutable) {
                                FileMode::BlobExecutable
                            } else {
                                FileMode::Blob
                            }
                        })
                        .unwrap_or(FileMode::Blob);
                    update.upsert(&path, blob, mode);
                }
                None => {
                    update.remove(&path);
                }
            }
        }
        let new_tree_id = update
            .create_updated(repo, &parent_tree)
            .map_err(git_err("building tree"))?;
        let new_tree = repo.find_tree(new_tree_id).map_err(git_err("tree"))?;
        let id = repo
            .commit(None, &sig, &sig, &message.text(), &new_tree, &[&parent])
            .map_err(git_err("commit"))?;
        parent = repo.find_commit(id).map_err(git_err("commit"))?;
        ids.push(id);
    }
    let tip = ids.last().copied().unwrap_or(parent.id());
    repo.reference(
        &format!("refs/heads/{}", target.branch),
        tip,
        true,
        "linkallow commit: legacy //go:linkname series",
    )
    .map_err(git_err("updating branch"))?;
    Ok(ids)
}
