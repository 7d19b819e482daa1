//! The layering of `src/` (ARCHITECTURE.md): a module may use only modules of its own layer or
//! of layers before it, and no two modules (nor two files of one folder) use each other in a
//! cycle. This reads every `crate::` path in `src/**` and checks it against the table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layer of each top-level module; the binary (`main.rs`, `cli.rs`) sits above them all.
const LAYERS: &[(&str, usize)] = &[
    ("diag", 0),
    ("error", 0),
    ("readfile", 0),
    ("date", 0),
    ("go", 0),
    ("testing", 0),
    ("annotation", 1),
    ("linker", 1),
    ("edit", 1),
    ("allowlist", 2),
    ("tree", 3),
    ("plan", 4),
    ("scan", 4),
    ("compare", 5),
    ("series", 6),
    ("survey", 6),
];

/// Uses that break the rule today, each to be removed by the layout step (issue 18). The test
/// fails when one of them goes away without being taken off this list, so it only shrinks.
const PENDING: &[(&str, &str)] = &[("edit", "tree")];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `src/tree/index.rs` → ("tree", "tree::index"); `src/tree/mod.rs` → ("tree", "tree").
fn module_of(src: &Path, file: &Path) -> (String, String) {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect();
    if parts.last().is_some_and(|l| l == "mod") {
        parts.pop();
    }
    let top = parts[0].clone();
    let unit = parts.iter().take(2).cloned().collect::<Vec<_>>().join("::");
    (top, unit)
}

/// The modules a file uses: the first two segments of each `crate::` path outside comments.
fn uses(text: &str) -> BTreeSet<Vec<String>> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let path: Vec<String> = after
                .split("::")
                .map(|seg| {
                    seg.chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect::<String>()
                })
                .take_while(|s| !s.is_empty())
                .take(2)
                .collect();
            if !path.is_empty() {
                found.insert(path);
            }
            rest = after;
        }
    }
    found
}

#[test]
fn every_use_goes_down_the_layers_and_nothing_is_a_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layer: BTreeMap<&str, usize> = LAYERS.iter().copied().collect();
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut broken: BTreeSet<(String, String)> = BTreeSet::new();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut units: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &all {
        let (top, unit) = module_of(&src, file);
        if top == "main" || top == "cli" || top == "lib" {
            continue;
        }
        let Some(&own) = layer.get(top.as_str()) else {
            panic!(
                "{}: module {top} has no layer in tests/layers.rs",
                file.display()
            );
        };
        let text = std::fs::read_to_string(file).unwrap();
        // In `src/top/x.rs`, `super::y` is `crate::top::y`.
        let is_leaf_file = unit.contains("::") && !file.ends_with("mod.rs");
        let text = if is_leaf_file {
            text.replace("super::", &format!("crate::{top}::"))
        } else {
            text
        };
        for path in uses(&text) {
            let to = &path[0];
            if *to == top {
                if path.len() == 2 && unit.contains("::") {
                    let to_unit = format!("{to}::{}", path[1]);
                    if to_unit != unit {
                        units.entry(unit.clone()).or_default().insert(to_unit);
                    }
                }
                continue;
            }
            let Some(&theirs) = layer.get(to.as_str()) else {
                panic!("{}: uses crate::{to}, which has no layer", file.display());
            };
            graph.entry(top.clone()).or_default().insert(to.clone());
            if theirs > own {
                broken.insert((top.clone(), to.clone()));
            }
        }
    }
    // A cycle through layers has an upward use, already counted; within a layer (or a folder)
    // every use on a cycle is named.
    let mut flat: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, tos) in &graph {
        for to in tos {
            if layer[from.as_str()] == layer[to.as_str()] {
                flat.entry(from.clone()).or_default().insert(to.clone());
            }
        }
    }
    for (from, tos) in &flat {
        for to in tos {
            if reaches(&flat, to, from) {
                broken.insert((from.clone(), to.clone()));
            }
        }
    }
    for (from, tos) in &units {
        for to in tos {
            if reaches(&units, to, from) {
                broken.insert((from.clone(), to.clone()));
            }
        }
    }
    let pending: BTreeSet<(String, String)> = PENDING
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let new: Vec<_> = broken.difference(&pending).collect();
    let gone: Vec<_> = pending.difference(&broken).collect();
    assert!(
        new.is_empty(),
        "uses against the layers (ARCHITECTURE.md), as (from, to): {new:?}"
    );
    assert!(
        gone.is_empty(),
        "no longer broken, take them off PENDING: {gone:?}"
    );
}

fn reaches(g: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_string()];
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        if seen.insert(n.clone()) {
            stack.extend(g.get(&n).into_iter().flatten().cloned());
        }
    }
    false
}
