//! Writing an allowlist: `to_toml`, what a rewrite keeps from the list it replaces, and the
//! comments it carries over.

use super::patch::AllowlistDoc;
use super::{Allowlist, DEFAULT_TIERS, Dependents, DirectivePos, DocSite, Symbol};
use std::collections::HashSet;

/// Renders the allowlist as TOML. Multi-line text uses literal `'''` strings so it reads as the
/// Go comments it came from.
pub fn to_toml(list: &Allowlist, header_comment: &str) -> String {
    use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};
    let mut doc = DocumentMut::new();
    if let Some(source) = &list.source {
        doc["source"] = value(source.as_str());
    }
    doc.decor_mut().set_prefix(header_comment);
    if list.tiers != DEFAULT_TIERS {
        doc["tiers"] = value(Array::from_iter(list.tiers.iter().map(|&t| t as i64)));
    }
    if !list.dependents.is_empty() {
        let mut t = Table::new();
        for (module, d) in &list.dependents {
            t[module.as_str()] = match d {
                Dependents::Count(n) => value(*n as i64),
                Dependents::AtLeast(n) => value(format!(">={n}")),
            };
        }
        doc["dependents"] = Item::Table(t);
    }
    let mut symbols = ArrayOfTables::new();
    for s in &list.symbols {
        let mut t = Table::new();
        t["package"] = value(s.package.as_str());
        t["name"] = value(s.name.as_str());
        if let Some(old) = &s.renamed_from {
            t["renamed_from"] = value(old.as_str());
        }
        if let Some(old) = &s.moved_from {
            t["moved_from"] = value(old.as_str());
        }
        let mut modules = Array::new();
        for m in &s.modules {
            modules.push_formatted(toml_edit::Value::from(m.as_str()).decorated("\n    ", ""));
        }
        if !modules.is_empty() {
            modules.set_trailing(",\n");
        }
        t["modules"] = value(modules);
        let same_but_file =
            s.sites.len() > 1 && s.sites.iter().all(|x| x.same_but_file(&s.sites[0]));
        if s.sites.len() == 1 || same_but_file {
            write_site(&mut t, s, &s.sites[0]);
            if same_but_file {
                t.remove("file");
                let mut files = Array::new();
                for site in &s.sites {
                    files.push_formatted(
                        toml_edit::Value::from(site.file.clone().unwrap_or_default())
                            .decorated("\n    ", ""),
                    );
                }
                files.set_trailing(",\n");
                t["files"] = value(files);
            }
        } else if !s.sites.is_empty() {
            let mut sites = ArrayOfTables::new();
            for site in &s.sites {
                let mut st = Table::new();
                write_site(&mut st, s, site);
                sites.push(st);
            }
            t["site"] = Item::ArrayOfTables(sites);
        }
        symbols.push(t);
    }
    doc["symbol"] = Item::ArrayOfTables(symbols);
    let mut regions = ArrayOfTables::new();
    for r in &list.regions {
        let mut t = Table::new();
        t["file"] = value(r.file.as_str());
        if let Some(after) = &r.after {
            t["after"] = value(after.as_str());
        }
        let mut syms = Array::new();
        for s in &r.symbols {
            syms.push(s.as_str());
        }
        t["symbols"] = value(syms);
        t["text"] = multiline(&r.text);
        regions.push(t);
    }
    if !regions.is_empty() {
        doc["region"] = Item::ArrayOfTables(regions);
    }
    let mut removed = ArrayOfTables::new();
    for r in &list.removed {
        let mut t = Table::new();
        t["symbol"] = value(r.symbol.as_str());
        if !r.modules.is_empty() {
            t["modules"] = value(Array::from_iter(r.modules.iter().map(String::as_str)));
        }
        t["reason"] = multiline(&r.reason);
        removed.push(t);
    }
    if !removed.is_empty() {
        doc["removed"] = Item::ArrayOfTables(removed);
    }
    doc.to_string()
}

impl Allowlist {
    /// Keeps what the tree cannot tell from the allowlist this one replaces: tiers, counts (of
    /// modules still named), `[[removed]]` notes and the order of entries (new ones follow, in
    /// the tree's order).
    pub fn keep_from(&mut self, previous: &Allowlist) {
        self.tiers = previous.tiers.clone();
        let named: HashSet<String> = self.module_paths().iter().map(|m| m.to_string()).collect();
        self.dependents = previous
            .dependents
            .iter()
            .filter(|(m, _)| named.contains(*m))
            .map(|(m, d)| (m.clone(), *d))
            .collect();
        self.removed = previous.removed.clone();
        let rank = |s: &Symbol| {
            previous
                .symbols
                .iter()
                .position(|p| p.linker_name() == s.linker_name())
                .unwrap_or(usize::MAX)
        };
        self.symbols.sort_by_key(rank);
    }
}

/// `new` (an extracted allowlist) with the comments of `previous` (the allowlist it replaces)
/// carried over: the file's header comments (with a `Generated by` line brought up to date),
/// and the comments above, inside and beside every `[[symbol]]`, `[[region]]`, `[[removed]]`,
/// `[dependents]` entry and root key that still exists. Comments of entries the tree no longer
/// has go with them. When `new` does not parse, it is returned as it is.
pub fn keep_comments(new: &str, previous: &AllowlistDoc) -> String {
    let Ok(mut doc) = new.parse::<toml_edit::DocumentMut>() else {
        return new.to_string();
    };
    let (old, previous) = (previous.document(), previous.source_text());
    // The header: the comment lines the file opens with.
    let header = |text: &str| -> String {
        text.lines()
            .take_while(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let (new_header, old_header) = (header(new), header(previous));
    let generated = |l: &str| l.starts_with("# Generated by `linkallow extract`");
    let kept_header = if old_header.trim().is_empty() {
        new_header.clone()
    } else {
        let fresh = new_header.lines().find(|l| generated(l));
        let mut h: String = old_header
            .lines()
            .map(|l| match fresh {
                Some(f) if generated(l) => format!("{f}\n"),
                _ => format!("{l}\n"),
            })
            .collect();
        if !h.ends_with("\n\n") {
            h.push('\n');
        }
        h
    };

    // Root keys (source, tiers) and the [dependents] table, key by key.
    copy_table_comments(doc.as_table_mut(), old.as_table(), false);
    // Entries, matched by what identifies them.
    let symbol_id = |t: &toml_edit::Table| {
        format!(
            "{}.{}",
            t.get("package").and_then(|v| v.as_str()).unwrap_or(""),
            t.get("name").and_then(|v| v.as_str()).unwrap_or("")
        )
    };
    let region_id = |t: &toml_edit::Table| {
        format!(
            "{}|{}|{}",
            t.get("file").and_then(|v| v.as_str()).unwrap_or(""),
            t.get("after").and_then(|v| v.as_str()).unwrap_or(""),
            t.get("symbols").map(|v| v.to_string()).unwrap_or_default()
        )
    };
    let removed_id = |t: &toml_edit::Table| {
        t.get("symbol")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    type Id<'a> = &'a dyn Fn(&toml_edit::Table) -> String;
    let ids: [(&str, Id); 3] = [
        ("symbol", &symbol_id),
        ("region", &region_id),
        ("removed", &removed_id),
    ];
    for (key, id) in ids {
        let Some(old_entries) = old.get(key).and_then(|i| i.as_array_of_tables()) else {
            continue;
        };
        let Some(entries) = doc.get_mut(key).and_then(|i| i.as_array_of_tables_mut()) else {
            continue;
        };
        for t in entries.iter_mut() {
            let me = id(t);
            if let Some(o) = old_entries.iter().find(|o| id(o) == me) {
                copy_table_comments(t, o, true);
            }
        }
    }
    if let Some(trailing) = old.trailing().as_str()
        && trailing.contains('#')
    {
        doc.set_trailing(trailing);
    }
    // The document opens with a header (the old one, copied with the first key's comments, or
    // the new one): replace it by the header kept above.
    let body = doc.to_string();
    let opening = header(&body);
    let body = body.get(opening.len()..).unwrap_or(&body);
    format!("{kept_header}{body}")
}

/// Copies comments from `old` to `new` for the keys both have: above a key, beside its value,
/// inside arrays (per item, for the items both have), and above the table itself when
/// `with_header` (an entry of an array of tables). A subtable (`[dependents]`) is copied the same
/// way, header included.
fn copy_table_comments(new: &mut toml_edit::Table, old: &toml_edit::Table, with_header: bool) {
    let has_comment = |d: &toml_edit::Decor| {
        d.prefix()
            .and_then(|p| p.as_str())
            .is_some_and(|p| p.contains('#'))
            || d.suffix()
                .and_then(|p| p.as_str())
                .is_some_and(|p| p.contains('#'))
    };
    if with_header && has_comment(old.decor()) {
        *new.decor_mut() = old.decor().clone();
    }
    let keys: Vec<String> = new.iter().map(|(k, _)| k.to_string()).collect();
    for k in keys {
        let (Some(old_key), Some(old_item)) = (old.key(&k), old.get(&k)) else {
            continue;
        };
        let Some((mut key, item)) = new.get_key_value_mut(&k) else {
            continue;
        };
        if has_comment(old_key.leaf_decor()) {
            *key.leaf_decor_mut() = old_key.leaf_decor().clone();
        }
        match (item, old_item) {
            (toml_edit::Item::Value(v), toml_edit::Item::Value(o)) => {
                if let Some(s) = o.decor().suffix().and_then(|s| s.as_str())
                    && s.contains('#')
                {
                    v.decor_mut().set_suffix(s.to_string());
                }
                if let (Some(arr), Some(old_arr)) = (v.as_array_mut(), o.as_array()) {
                    for item in arr.iter_mut() {
                        let same = old_arr
                            .iter()
                            .find(|x| x.as_str().is_some() && x.as_str() == item.as_str());
                        if let Some(x) = same
                            && has_comment(x.decor())
                        {
                            *item.decor_mut() = x.decor().clone();
                        }
                    }
                    if let Some(t) = old_arr.trailing().as_str()
                        && t.contains('#')
                    {
                        arr.set_trailing(t.to_string());
                    }
                }
            }
            (toml_edit::Item::Table(t), toml_edit::Item::Table(o)) => {
                copy_table_comments(t, o, true);
            }
            _ => {}
        }
    }
}

fn write_site(t: &mut toml_edit::Table, s: &Symbol, site: &DocSite) {
    use toml_edit::value;
    if let Some(f) = &site.file {
        t["file"] = value(f.as_str());
    }
    if site.local != s.name {
        t["local"] = value(site.local.as_str());
    }
    if site.push_package != s.package {
        t["in"] = value(site.push_package.as_str());
    }
    if let Some(d) = &site.doc_of {
        t["doc_of"] = value(d.as_str());
    }
    match site.directive {
        DirectivePos::First => {}
        DirectivePos::Last => t["directive"] = value("last"),
        DirectivePos::None => t["directive"] = value("none"),
    }
    if site.glued {
        t["glued"] = value(true);
    }
    let text = &site.text;
    if let Some(n) = &text.lead_name {
        t["lead_name"] = value(n.as_str());
    }
    if let Some(l) = &text.lead {
        t["lead"] = multiline(l);
    }
    if !text.header {
        t["header"] = value(false);
    }
    if let Some(tail) = &text.tail {
        t["tail"] = multiline(tail);
    }
    if let Some(raw) = &text.raw {
        t["block"] = multiline(raw);
    }
}

/// A string item, as a `'''` literal when it spans lines and contains nothing that needs escaping.
fn multiline(s: &str) -> toml_edit::Item {
    if s.contains('\n')
        && !s.contains("'''")
        && !s.ends_with('\'')
        && let Ok(v) = format!("'''\n{s}'''").parse::<toml_edit::Value>()
    {
        return toml_edit::Item::Value(v);
    }
    toml_edit::value(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allowlist::read::parse;

    #[test]
    fn writes_what_it_reads() {
        let text = "[[symbol]]\npackage = \"runtime\"\nname = \"load_g\"\nmodules = [\"a.b/c\", \"d.e/f (from assembly)\"]\nfiles = [\"runtime/a.go\", \"runtime/b.go\"]\ntail = \"\"\n\n[[symbol]]\npackage = \"time\"\nname = \"now\"\n[[symbol.site]]\nfile = \"runtime/timestub.go\"\nlocal = \"time_now\"\nin = \"runtime\"\n[[symbol.site]]\nfile = \"time/time.go\"\ndoc_of = \"func now\"\ndirective = \"none\"\nlead = '''\nfree\ntext'''\n\n[[region]]\nfile = \"reflect/badlinkname.go\"\nsymbols = [\"time.now\"]\ntext = '''\npackage reflect\n'''\n";
        let list = parse("a.toml", text).unwrap();
        assert_eq!(list.symbols[0].sites.len(), 2);
        assert_eq!(
            list.symbols[1].sites[1].text.lead.as_deref(),
            Some("free\ntext")
        );
        let again = parse("b.toml", &to_toml(&list, "")).unwrap();
        let strip_pos = |l: &Allowlist| {
            l.symbols
                .iter()
                .map(|s| (s.linker_name(), s.modules.clone(), s.sites.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(strip_pos(&again), strip_pos(&list));
        assert_eq!(again.regions[0].text, list.regions[0].text);
    }
}
