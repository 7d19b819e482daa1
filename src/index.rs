//! One pass over the tree that reads each file once and parses only where an answer can be: files
//! that mention the hall of shame or go.dev/issue/67401. It also notes every symbol another package
//! of the tree pulls, because `strip` must keep those pushes.

use crate::annotation;
use crate::error::Result;
use crate::gotree::{Tree, dir_of, split_symbol};
use crate::recognise::{self, Directive, FileScan};
use crate::syntax::GoFile;
use std::collections::{BTreeMap, HashSet};

pub struct TreeIndex {
    /// Parsed and recognised files that hold annotations, by path.
    pub scans: BTreeMap<String, FileScan>,
    /// Linker symbols that some other package of the tree pulls with a two-argument linkname.
    pub pulled_in_tree: HashSet<String>,
    /// Symbols pushed with `//go:linknamestd`: std-only, never to be pushed for everyone.
    pub std_only: HashSet<String>,
    /// Names the linker refuses whatever the push (`blockedLinknames` in cmd/link).
    pub blocked: HashSet<String>,
}

impl TreeIndex {
    pub fn build(tree: &Tree) -> Result<TreeIndex> {
        let files = tree.all_go_files()?;
        // Reading dominates; two threads keep both cores busy.
        let half = files.len() / 2;
        let (a, b) = files.split_at(half);
        let (ra, rb) = std::thread::scope(|s| {
            let ha = s.spawn(|| read_part(tree, a));
            let rb = read_part(tree, b);
            (ha.join().expect("reader thread panicked"), rb)
        });
        let mut candidates = ra?;
        candidates.extend(rb?);
        let mut scans = BTreeMap::new();
        let mut pulled_in_tree = HashSet::new();
        let mut std_only = HashSet::new();
        for (rel, text, has_marker) in candidates {
            let package = tree.import_path(dir_of(&rel));
            for line in text.lines().filter(|l| l.starts_with("//go:linkname ")) {
                if let Some(dir) = Directive::parse(line)
                    && let Some(target) = &dir.target
                    && split_symbol(target).is_some_and(|(p, _)| p != package)
                {
                    pulled_in_tree.insert(target.clone());
                }
            }
            for line in text.lines() {
                if let Some(rest) = line.strip_prefix("//go:linknamestd ")
                    && let Some(dir) = Directive::parse(&format!("//go:linkname {rest}"))
                {
                    std_only.insert(dir.symbol(&package));
                }
            }
            if has_marker {
                let file = GoFile::parse(&rel, &text)?;
                scans.insert(rel, recognise::scan(file, &package));
            }
        }
        Ok(TreeIndex {
            scans,
            pulled_in_tree,
            std_only,
            blocked: blocked_linknames(tree),
        })
    }
}

/// Files that contain a linkname directive or a marker: (path, text, has marker).
fn read_part(tree: &Tree, files: &[String]) -> Result<Vec<(String, String, bool)>> {
    let mut out = Vec::new();
    for rel in files {
        let text = tree.read(rel)?;
        let has_linkname = text.contains("//go:linkname");
        let has_marker = (text.contains("67401") || text.contains("hall of shame"))
            && text
                .lines()
                .any(|l| l.starts_with("//") && annotation::is_marker(l));
        if has_linkname || has_marker {
            out.push((rel.clone(), text, has_marker));
        }
    }
    Ok(out)
}

/// The keys of cmd/link's `blockedLinknames` map, read from the tree's own linker source.
fn blocked_linknames(tree: &Tree) -> HashSet<String> {
    let Ok(src) = tree.read("cmd/link/internal/loader/loader.go") else {
        return HashSet::new();
    };
    let Some(start) = src.find("var blockedLinknames = map[string][]string{") else {
        return HashSet::new();
    };
    src[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with('}'))
        .filter_map(|l| {
            l.trim()
                .strip_prefix('"')?
                .split_once("\":")
                .map(|(k, _)| k.to_string())
        })
        .collect()
}
