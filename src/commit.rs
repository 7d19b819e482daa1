//! `commit`: the series as git commits on a new branch, made with git2 in the object database.
//! The work tree and the checked-out branch are never touched; the branch ref moves last, once
//! every commit exists, so a failure leaves the repository as it was.

use crate::error::{Error, Result};
use crate::gotree::Tree;
use crate::message::CommitMessage;
use crate::series::Step;
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
    let existing = repo
        .find_branch(target.branch, BranchType::Local)
        .ok()
        .map(|b| b.is_head());
    if let Some(is_head) = existing {
        if let Some(other) = checked_out_elsewhere(&repo, target.branch) {
            return Err(Error::Other(format!(
                "{shown}: branch {} is checked out in the worktree {other}; git refuses to move it, and so does linkallow",
                target.branch
            )));
        }
        if is_head {
            return Err(Error::Other(format!(
                "{shown}: branch {} is checked out; switch to the branch the series builds on",
                target.branch
            )));
        }
        if !target.force {
            return Err(Error::Other(format!(
                "{shown}: branch {} exists; pass --force to regenerate it",
                target.branch
            )));
        }
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
        if let Some(id) = commit.message().ok().and_then(crate::message::change_id_in) {
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

/// The linked worktree (its path) that has `branch` checked out, if one does.
fn checked_out_elsewhere(repo: &Repository, branch: &str) -> Option<String> {
    let full = format!("refs/heads/{branch}");
    let names = repo.worktrees().ok()?;
    names.iter().flatten().flatten().find_map(|name| {
        let wt = repo.find_worktree(name).ok()?;
        let checkout = Repository::open_from_worktree(&wt).ok()?;
        let on_branch = checkout
            .head()
            .ok()
            .is_some_and(|h| h.name() == Ok(full.as_str()));
        on_branch.then(|| wt.path().display().to_string())
    })
}

/// The signature for the series: `--author`, else git config.
fn signature(repo: &Repository, author: Option<&str>) -> Result<Signature<'static>> {
    match author {
        Some(a) => {
            let (name, email) = crate::mbox::parse_ident(a)?;
            Signature::now(&name, &email).map_err(git_err("author"))
        }
        None => repo.signature().map(|s| s.to_owned()).map_err(|_| {
            Error::Other(
                "no author: set git config user.name and user.email, or pass --author".into(),
            )
        }),
    }
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
    let shown = target.repo.display().to_string();
    let workdir = repo
        .workdir()
        .ok_or_else(|| Error::Other(format!("{shown}: no work tree")))?;
    // Paths in the repository: the tree's base (GOROOT/src or the module) below the work tree.
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
