//! Finding declarations in a tree: which files of a package declare what a site documents, read
//! once per directory and parsed only where a name may be declared (in parallel), and the
//! "did you mean" hints for names that are not there.

use crate::allowlist::{Allowlist, DocSite, Symbol};
use crate::error::{Error, Pos, Result};
use crate::go::syntax::{Decl, DeclKind, GoFile};
use crate::tree::Tree;
use crate::tree::index::TreeIndex;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// What precedes a name where a gofmt'd declaration puts it (after `func `, a method's `) `,
/// `var `, `const `, `type `, a group's tab or a list's `, `), and what may follow it.
const DECL_FORMS: [(&[u8], &[u8]); 7] = [
    (b"\nfunc ", b"(["),
    (b") ", b"(["),
    (b"var ", b" ,=\n"),
    (b"const ", b" ,=\n"),
    (b"type ", b" [=\n"),
    (b"\n\t", b" ,="),
    (b", ", b" ,"),
];

/// Whether gofmt'd Go source can declare `name` at top level: some occurrence stands in one of
/// the [`DECL_FORMS`]. Most files that only call a function (`memmove(` inside a body) are
/// skipped without parsing; a false positive only costs a parse.
fn may_declare(bytes: &[u8], name: &[u8]) -> bool {
    memchr::memmem::find_iter(bytes, name).any(|at| {
        let after = bytes.get(at + name.len()).copied().unwrap_or(b'\n');
        let head = &bytes[..at];
        DECL_FORMS
            .iter()
            .any(|(before, follow)| head.ends_with(before) && follow.contains(&after))
    })
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Every identifier for which [`may_declare`] holds, found in one pass over the file: the names
/// a package directory is indexed by, so a lookup costs a hash probe instead of a search of
/// every file.
fn declarable_names(bytes: &[u8]) -> HashSet<Box<str>> {
    let mut names = HashSet::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_ident_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_ident_byte(bytes[i]) {
            i += 1;
        }
        let after = bytes.get(i).copied().unwrap_or(b'\n');
        let head = &bytes[..start];
        if DECL_FORMS
            .iter()
            .any(|(before, follow)| head.ends_with(before) && follow.contains(&after))
        {
            names.insert(String::from_utf8_lossy(&bytes[start..i]).into());
        }
    }
    // Methods also by their linker names (`T.m`, `(*T).m`), which hints compare with.
    for line in bytes.split(|&b| b == b'\n') {
        if let Some(symbol) = method_symbol(line) {
            names.insert(symbol.into());
        }
    }
    names
}

/// `func (r *T[K]) m(` -> `(*T).m`; `func (T) m(` -> `T.m`.
fn method_symbol(line: &[u8]) -> Option<String> {
    let line = std::str::from_utf8(line.strip_prefix(b"func (")?).ok()?;
    let (receiver, rest) = line.split_once(')')?;
    let name: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let recv = receiver.split('[').next()?.split_whitespace().last()?;
    if name.is_empty() || recv.is_empty() {
        return None;
    }
    Some(match recv.strip_prefix('*') {
        Some(t) => format!("(*{t}).{name}"),
        None => format!("{recv}.{name}"),
    })
}

/// A top-level name and its lower-case form, for close-match hints.
pub struct NameEntry {
    pub name: String,
    lower: String,
}

/// A directory's declarable names lower-cased, each with the files that may declare it.
type Lowered = Vec<(String, Vec<usize>)>;

/// A file's bytes and the names it may declare.
type FileNames = (Vec<u8>, HashSet<Box<str>>);

/// One package directory, read once: its Go files, their bytes, and for each name the files
/// that may declare it.
pub struct DirIndex {
    files: Vec<String>,
    bytes: Vec<Vec<u8>>,
    declaring: HashMap<Box<str>, Vec<usize>>,
}

impl DirIndex {
    /// Each Go file of the directory with its bytes in the tree, in file order.
    pub fn sources(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files
            .iter()
            .map(String::as_str)
            .zip(self.bytes.iter().map(Vec::as_slice))
    }

    /// The files that may declare `name` at top level (a superset; parse to be sure).
    pub fn may_declare(&self, name: &str) -> impl Iterator<Item = &str> {
        self.candidates(name)
            .into_iter()
            .map(|i| self.files[i].as_str())
    }

    /// The files that may declare `name`, in file order.
    fn candidates(&self, name: &str) -> Vec<usize> {
        if name.bytes().all(is_ident_byte) {
            return self.declaring.get(name).cloned().unwrap_or_default();
        }
        (0..self.files.len())
            .filter(|&i| may_declare(&self.bytes[i], name.as_bytes()))
            .collect()
    }
}

/// Finds declarations for sites that do not name their file, reading each package directory
/// once and parsing only files that may declare what is looked for. Files the index parsed
/// already are not parsed again.
pub struct Locator<'t> {
    tree: &'t Tree,
    index: &'t TreeIndex,
    dirs: HashMap<String, Arc<DirIndex>>,
    names: BTreeMap<String, Arc<[NameEntry]>>,
    parsed: HashMap<String, GoFile>,
    /// Files some site was found in: they keep their syntax tree.
    keep_syntax: HashSet<String>,
    /// Per directory, its declarable names lower-cased, with the files that may declare them.
    lowered: HashMap<String, Arc<Lowered>>,
}

impl<'t> Locator<'t> {
    /// A locator over `tree`, whose index is `index`.
    pub fn new(tree: &'t Tree, index: &'t TreeIndex) -> Self {
        Locator {
            tree,
            index,
            dirs: HashMap::new(),
            names: BTreeMap::new(),
            parsed: HashMap::new(),
            keep_syntax: HashSet::new(),
            lowered: HashMap::new(),
        }
    }

    pub fn tree(&self) -> &'t Tree {
        self.tree
    }

    /// The directory read and indexed by declarable name.
    pub fn dir(&mut self, dir: &str) -> Result<Arc<DirIndex>> {
        if let Some(d) = self.dirs.get(dir) {
            return Ok(d.clone());
        }
        use rayon::prelude::*;
        let files = self.tree.go_files(dir)?;
        let tree = self.tree;
        let read: Vec<Result<FileNames>> = files
            .par_iter()
            .map(|rel| {
                let b = tree.read_bytes(rel)?;
                let names = declarable_names(&b);
                Ok((b, names))
            })
            .collect();
        let mut bytes = Vec::with_capacity(files.len());
        let mut declaring: HashMap<Box<str>, Vec<usize>> = HashMap::new();
        for (i, r) in read.into_iter().enumerate() {
            let (b, names) = r?;
            for name in names {
                declaring.entry(name).or_default().push(i);
            }
            bytes.push(b);
        }
        let d = Arc::new(DirIndex {
            files,
            bytes,
            declaring,
        });
        self.dirs.insert(dir.to_string(), d.clone());
        Ok(d)
    }

    /// Parses, on all cores, every file that may declare what the sites that do not name
    /// their file document, so the lookups that follow find them parsed. Errors are left
    /// for the lookups to report, where they say which symbol they concern.
    pub fn prefetch<'s>(&mut self, sites: impl IntoIterator<Item = &'s DocSite>) {
        let mut wanted: BTreeMap<String, Vec<&DocSite>> = BTreeMap::new();
        for site in sites.into_iter().filter(|s| s.file.is_none()) {
            let Ok(dir) = self.tree.package_dir(&site.push_package) else {
                continue;
            };
            if !self.tree.path(&dir).is_dir() {
                continue;
            }
            let Ok(index) = self.dir(&dir) else { continue };
            for i in index.candidates(site.decl_name()) {
                wanted.entry(index.files[i].clone()).or_default().push(site);
            }
        }
        let rels: Vec<&str> = wanted.keys().map(String::as_str).collect();
        for (rel, file) in self.parse_new(&rels) {
            let Ok(mut file) = file else { continue };
            if wanted[rel]
                .iter()
                .any(|s| documented_decl(&file, s).is_some())
            {
                self.keep_syntax.insert(rel.to_string());
            } else {
                file.forget_syntax();
            }
            self.parsed.insert(rel.to_string(), file);
        }
    }

    /// Parses, on all cores, the files of `dir` that may declare one of `names`, for
    /// [`Locator::dir_declares`] to find them parsed.
    pub fn prefetch_names(&mut self, dir: &str, names: &[String]) {
        if !self.tree.path(dir).is_dir() {
            return;
        }
        let Ok(index) = self.dir(dir) else { return };
        let mut rels: Vec<&str> = names
            .iter()
            .flat_map(|n| index.candidates(n))
            .map(|i| index.files[i].as_str())
            .collect();
        rels.sort();
        rels.dedup();
        self.parse_to_look_at(&rels);
    }

    /// Parses `rels` on all cores for reading only; what does not parse is left for the
    /// lookup that needs it to report.
    fn parse_to_look_at(&mut self, rels: &[&str]) {
        for (rel, file) in self.parse_new(rels) {
            if let Ok(mut file) = file {
                if !self.keep_syntax.contains(rel) {
                    file.forget_syntax();
                }
                self.parsed.insert(rel.to_string(), file);
            }
        }
    }

    /// A file parsed only to be looked at gives up its syntax tree (kept for an incremental
    /// parse of the file's edit), unless some site was found in it. (Files parsed for a run
    /// that writes nothing never had one: see [`TreeIndex::keeps_syntax`].)
    fn looked_at(&mut self, rel: &str) {
        if !self.keep_syntax.contains(rel)
            && let Some(f) = self.parsed.get_mut(rel)
        {
            f.forget_syntax();
        }
    }

    /// Files of the push package whose top level declares the site's declaration.
    pub fn files_for(&mut self, site: &DocSite) -> Result<Vec<String>> {
        if let Some(f) = &site.file {
            return Ok(vec![f.clone()]);
        }
        let dir = self.tree.package_dir(&site.push_package)?;
        if !self.tree.path(&dir).is_dir() {
            return Err(Error::Tree(format!(
                "package {} not found in the tree",
                site.push_package
            )));
        }
        let index = self.dir(&dir)?;
        let mut found = Vec::new();
        for i in index.candidates(site.decl_name()) {
            let rel = &index.files[i];
            if documented_decl(self.parse_from(rel, &index.bytes[i])?, site).is_some() {
                self.keep_syntax.insert(rel.clone());
                found.push(rel.clone());
            }
            self.looked_at(rel);
        }
        Ok(found)
    }

    /// Whether some Go file of directory `dir` declares function or variable `name` (what a
    /// `//go:linkname` may name), or with `any_kind`, any package-level name.
    pub fn dir_declares(&mut self, dir: &str, name: &str, any_kind: bool) -> Result<bool> {
        if !self.tree.path(dir).is_dir() {
            return Ok(false);
        }
        let index = self.dir(dir)?;
        for i in index.candidates(name) {
            let f = self.parse_from(&index.files[i], &index.bytes[i])?;
            let found = if any_kind {
                f.decls
                    .iter()
                    .any(|d| d.kind != DeclKind::Method && d.names.iter().any(|n| n == name))
            } else {
                f.decl_declaring(name).is_some()
            };
            self.looked_at(&index.files[i]);
            if found {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The file parsed from `bytes` (its content in this tree), once. Only files that may
    /// declare what is looked for get here: one that cannot does not stop the run, whatever
    /// its encoding.
    fn parse_from(&mut self, rel: &str, bytes: &[u8]) -> Result<&GoFile> {
        if let Some(scan) = self.index.scans.get(rel) {
            return Ok(&scan.file);
        }
        if !self.parsed.contains_key(rel) {
            let mut file = GoFile::parse(rel, crate::tree::decode(rel, bytes)?)?;
            if !self.index.keeps_syntax {
                file.forget_syntax();
            }
            self.parsed.insert(rel.to_string(), file);
        }
        Ok(&self.parsed[rel])
    }

    /// The file parsed, once, or `None` when the tree has no such file.
    pub fn parsed(&mut self, rel: &str) -> Result<Option<&GoFile>> {
        if self.index.scans.contains_key(rel) || self.parsed.contains_key(rel) {
            return self.parse_from(rel, &[]).map(Some);
        }
        if !self.tree.exists(rel) {
            return Ok(None);
        }
        let bytes = self.tree.read_bytes(rel)?;
        self.parse_from(rel, &bytes).map(Some)
    }

    /// Parses, on all cores, whichever of `rels` the tree has and nobody parsed yet.
    pub fn parse_all(&mut self, rels: &[&str]) -> Result<()> {
        for (rel, file) in self.parse_new(rels) {
            self.parsed.insert(rel.to_string(), file?);
        }
        Ok(())
    }

    fn parse_new<'r>(&self, rels: &[&'r str]) -> Vec<(&'r str, Result<GoFile>)> {
        use rayon::prelude::*;
        let todo: Vec<&str> = rels
            .iter()
            .copied()
            .filter(|r| !self.index.scans.contains_key(*r) && !self.parsed.contains_key(*r))
            .filter(|r| self.tree.exists(r))
            .collect();
        let (tree, keep) = (self.tree, self.index.keeps_syntax);
        let parsed: Vec<Result<GoFile>> = todo
            .par_iter()
            .map(|rel| {
                let bytes = tree.read_bytes(rel)?;
                let mut file = GoFile::parse(rel, crate::tree::decode(rel, &bytes)?)?;
                if !keep {
                    file.forget_syntax();
                }
                Ok(file)
            })
            .collect();
        todo.into_iter().zip(parsed).collect()
    }

    /// Takes parses made elsewhere of this tree's files (strip's new texts).
    pub fn remember(&mut self, parsed: impl IntoIterator<Item = (String, GoFile)>) {
        for (rel, file) in parsed {
            if !self.index.scans.contains_key(&rel) {
                self.parsed.insert(rel, file);
            }
        }
    }

    /// The parse of `rel` when it is known: index or an earlier lookup.
    pub fn known(&self, rel: &str) -> Option<&GoFile> {
        match self.index.scans.get(rel) {
            Some(scan) => Some(&scan.file),
            None => self.parsed.get(rel),
        }
    }

    /// Where the declaration a site documents starts in `rel`.
    pub fn decl_pos(&mut self, rel: &str, site: &DocSite) -> Result<Option<Pos>> {
        let Some(file) = self.parsed(rel)? else {
            return Ok(None);
        };
        Ok(documented_decl(file, site).map(|d| file.pos(d.start, 0)))
    }

    /// Names declared at top level in a package that may be close to `wanted` (see
    /// [`not_found_message`]), for "did you mean" hints. Only files whose declarable names come
    /// near it are parsed, so a thousand missing names do not parse a package a thousand times
    /// or even once.
    pub fn names_near(&mut self, package: &str, wanted: &str) -> Arc<[NameEntry]> {
        if !wanted.bytes().all(is_ident_byte) {
            return self.names_in(package);
        }
        let Ok(dir) = self.tree.package_dir(package) else {
            return Arc::from(Vec::new());
        };
        let Ok(index) = self.dir(&dir) else {
            return Arc::from(Vec::new());
        };
        let lowered = self
            .lowered
            .entry(dir.clone())
            .or_insert_with(|| {
                Arc::new(
                    index
                        .declaring
                        .iter()
                        .map(|(name, files)| (name.to_lowercase(), files.clone()))
                        .collect(),
                )
            })
            .clone();
        let lw = wanted.to_lowercase();
        let mut files: Vec<usize> = lowered
            .iter()
            .filter(|(name, _)| {
                (lw.len() >= 4 && name.contains(&lw)) || within_edits(name, &lw, 3).is_some()
            })
            .flat_map(|(_, files)| files.iter().copied())
            .collect();
        files.sort();
        files.dedup();
        let rels: Vec<&str> = files.iter().map(|&i| index.files[i].as_str()).collect();
        self.parse_to_look_at(&rels);
        let mut names = Vec::new();
        for rel in rels {
            if let Some(file) = self.known(rel) {
                names.extend(declared_names(file));
            }
        }
        name_entries(names)
    }

    /// Names declared at top level in a package, for "did you mean" hints; each package is
    /// read once however many symbols miss in it.
    pub fn names_in(&mut self, package: &str) -> Arc<[NameEntry]> {
        if let Some(names) = self.names.get(package) {
            return names.clone();
        }
        let names = name_entries(self.read_names(package));
        self.names.insert(package.to_string(), names.clone());
        names
    }

    fn read_names(&mut self, package: &str) -> Vec<String> {
        let Ok(dir) = self.tree.package_dir(package) else {
            return Vec::new();
        };
        let Ok(index) = self.dir(&dir) else {
            return Vec::new();
        };
        let rels: Vec<&str> = index.files.iter().map(String::as_str).collect();
        self.parse_to_look_at(&rels);
        let mut names = Vec::new();
        for (rel, bytes) in index.files.iter().zip(&index.bytes) {
            if let Ok(file) = self.parse_from(rel, bytes) {
                names.extend(declared_names(file));
                self.looked_at(rel);
            }
        }
        names
    }
}

/// Names as hint entries, sorted, each once.
fn name_entries(mut names: Vec<String>) -> Arc<[NameEntry]> {
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| NameEntry {
            lower: name.to_lowercase(),
            name,
        })
        .collect()
}

/// The names a file declares that a linkname may name: functions, variables and methods (also
/// as `(*T).m`).
fn declared_names(file: &GoFile) -> Vec<String> {
    file.decls
        .iter()
        .filter(|d| matches!(d.kind, DeclKind::Func | DeclKind::Var | DeclKind::Method))
        .flat_map(|d| d.method_symbol().into_iter().chain(d.names.iter().cloned()))
        .collect()
}

/// The declaration whose doc comment holds a site's block.
pub fn documented_decl<'f>(file: &'f GoFile, site: &DocSite) -> Option<&'f Decl> {
    match &site.doc_of {
        Some(key) => file.decl_by_key(key),
        None => file.decl_declaring(&site.local),
    }
}

/// "symbol not found", with where its block went (a rename or move) and the package's closest
/// names as hints.
pub fn not_found_message(
    index: &TreeIndex,
    list: &Allowlist,
    locator: &mut Locator,
    sym: &Symbol,
    site: &DocSite,
) -> String {
    let wanted = site.decl_name();
    let names = locator.names_near(&site.push_package, wanted);
    // Close in spelling, or the old name extended (`convertAssign` -> `convertAssignValue`).
    let (lw, mut close): (String, Vec<(usize, &String)>) = (wanted.to_lowercase(), Vec::new());
    for n in names.iter() {
        let extends = lw.len() >= 4 && n.lower.contains(&lw);
        // Names whose lengths differ by more than 3 are more than 3 edits apart.
        if !extends && n.lower.len().abs_diff(lw.len()) > 3 {
            continue;
        }
        if extends {
            close.push((edit_distance(&n.lower, &lw), &n.name));
        } else if let Some(d) = within_edits(&n.lower, &lw, 3) {
            close.push((d, &n.name));
        }
    }
    close.sort();
    let hint = if close.is_empty() {
        String::new()
    } else {
        format!(
            "; close matches: {}",
            close
                .iter()
                .take(3)
                .map(|(_, n)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let moved = crate::tree::hints::hint(index, list, sym)
        .map(|h| format!("; {h}"))
        .unwrap_or_default();
    format!(
        "{}: symbol not found: no declaration of {wanted} in package {}{moved}{hint}",
        sym.linker_name(),
        site.push_package
    )
}

/// The edit distance of `a` and `b` when it is at most `k`. Most names of a package are far
/// from the wanted one, and the characters they do not share say so without the full table.
fn within_edits(a: &str, b: &str, k: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > k {
        return None;
    }
    if a.is_ascii() && b.is_ascii() {
        // Each edit changes at most one character of each side's multiset.
        let mut count = [0i32; 128];
        for c in a.bytes() {
            count[usize::from(c)] += 1;
        }
        for c in b.bytes() {
            count[usize::from(c)] -= 1;
        }
        let (extra, missing) = count.iter().fold((0, 0), |(x, m), &c| {
            (x + c.max(0) as usize, m + (-c).max(0) as usize)
        });
        if extra.max(missing) > k {
            return None;
        }
    }
    let d = edit_distance(a, b);
    (d <= k).then_some(d)
}

pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn may_declare_skips_calls_and_keeps_every_declaration_form() {
        let yes = [
            "\nfunc memmove(to, from unsafe.Pointer)",
            "\nfunc memmove[T any](x T)",
            "func (t *rtype) Align() int",
            "var memmove = 1",
            "var x, memmove int",
            "var (\n\tmemmove int\n)",
            "const memmove = 1",
            "type memmove struct{}",
            "var memmove\n",
        ];
        for src in yes {
            let name = if src.contains("Align") {
                "Align"
            } else {
                "memmove"
            };
            assert!(may_declare(src.as_bytes(), name.as_bytes()), "{src}");
        }
        let no = [
            "\n\tmemmove(a, b, n)",
            "x := memmove",
            "return memmove(a)",
            "// memmove copies",
        ];
        for src in no {
            assert!(!may_declare(src.as_bytes(), b"memmove"), "{src}");
        }
    }

    /// The one-pass name index must find every file `may_declare` finds, or a lookup misses a
    /// declaration; checked on every word of a file full of declaration forms.
    #[test]
    fn declarable_names_agree_with_may_declare() {
        let src = "package p\n\nfunc memmove(to, from unsafe.Pointer)\nfunc g[T any](x T)\nfunc (t *rtype) Align() int\nvar a, b int\nvar (\n\tc int\n\td, e = 1, 2\n)\nconst f = 1\ntype h struct{}\nvar i\nfunc body() {\n\tmemcall(a, b)\n\tx := y\n\tvar local = 1\n}\nvar é, ü int\n";
        let names = declarable_names(src.as_bytes());
        let words: HashSet<&str> = src
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect();
        for w in words {
            assert_eq!(
                names.contains(w),
                may_declare(src.as_bytes(), w.as_bytes()),
                "{w}"
            );
        }
        for w in [
            "memmove", "g", "Align", "a", "b", "c", "d", "e", "f", "h", "i", "é", "ü",
        ] {
            assert!(names.contains(w), "{w}");
        }
        assert!(!names.contains("memcall"));
        // Methods are also there by linker name, for hints (`T.m` near `Tm`).
        assert!(names.contains("(*rtype).Align"));
        let value = declarable_names(b"package p\n\nfunc (sh serverHandler) ServeHTTP(rw int) {}\nfunc (m *Map[K, V]) Load(k K) {}\n");
        assert!(value.contains("serverHandler.ServeHTTP"));
        assert!(value.contains("(*Map).Load"));
    }
}
