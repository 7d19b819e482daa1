//! Edits an existing allowlist in place with toml_edit, so its comments, order and layout stay as
//! they were: `dependents import` writes counts, `adopt` adds modules, `extract -o` carries the
//! comments over. What an edit writes is checked by loading it as any allowlist.

use super::counts::Count;
use super::read::{line_col, parse};
use super::{Allowlist, Dependents};
use crate::error::{Error, Pos, Result};

/// An allowlist's text opened for editing.
pub struct AllowlistDoc {
    path: String,
    /// The text as it was read: positions of what the document cannot locate are found in it.
    text: String,
    doc: toml_edit::DocumentMut,
}

/// What an import did, for the summary line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Module paths of the allowlist that still have no count (they go in the final round).
    pub without_count: usize,
}

impl AllowlistDoc {
    /// Opens `text`; a TOML syntax error is named at its line and column in `path`.
    pub fn parse(path: &str, text: &str) -> Result<Self> {
        let doc = text.parse().map_err(|e: toml_edit::TomlError| {
            let (line, col) = line_col(text, e.span().map_or(0, |s| s.start));
            Error::Allowlist {
                pos: Pos {
                    file: path.to_string(),
                    line,
                    col,
                },
                message: e.message().trim().to_string(),
            }
        })?;
        Ok(AllowlistDoc {
            path: path.to_string(),
            text: text.to_string(),
            doc,
        })
    }

    /// The document as it stands.
    pub fn document(&self) -> &toml_edit::DocumentMut {
        &self.doc
    }

    /// The text as it was read.
    pub fn source_text(&self) -> &str {
        &self.text
    }

    /// The text as edited so far.
    pub fn text(&self) -> String {
        self.doc.to_string()
    }

    /// The edited text loaded with the checks of any allowlist.
    pub fn load(&self) -> Result<Allowlist> {
        parse(&self.path, &self.text())
    }

    /// Adds module `item` to the `[[symbol]]` entry of `package`.`name`, in the layout of its
    /// `modules` array, or appends a new entry for it. True when the entry is new.
    pub fn add_module(&mut self, package: &str, name: &str, item: &str) -> Result<bool> {
        let path = self.path.clone();
        let entries = self
            .doc
            .entry("symbol")
            .or_insert_with(|| toml_edit::Item::ArrayOfTables(Default::default()))
            .as_array_of_tables_mut()
            .ok_or_else(|| error_at(&path, 1, "symbol is not an array of tables"))?;
        let existing = entries.iter_mut().find(|t| {
            t.get("package").and_then(|v| v.as_str()) == Some(package)
                && t.get("name").and_then(|v| v.as_str()) == Some(name)
        });
        if let Some(table) = existing {
            let modules = table
                .entry("modules")
                .or_insert_with(|| toml_edit::value(toml_edit::Array::new()))
                .as_array_mut()
                .ok_or_else(|| {
                    error_at(
                        &path,
                        1,
                        format!("{package}.{name}: modules is not an array"),
                    )
                })?;
            push_like_the_rest(modules, item);
            return Ok(false);
        }
        let mut table = toml_edit::Table::new();
        table.insert("package", toml_edit::value(package));
        table.insert("name", toml_edit::value(name));
        // One module per line, as `extract` writes every entry.
        let mut modules = toml_edit::Array::new();
        modules.push(item);
        for v in modules.iter_mut() {
            v.decor_mut().set_prefix("\n    ");
        }
        modules.set_trailing_comma(true);
        modules.set_trailing("\n");
        table.insert("modules", toml_edit::value(modules));
        entries.push(table);
        Ok(true)
    }

    /// Whether the list has a `[dependents]` table (or inline table).
    pub fn has_dependents(&self) -> bool {
        self.doc.get("dependents").is_some()
    }

    /// Adds an empty `[dependents]` table before the first `[[symbol]]`, under `comment` (its
    /// decor prefix: blank lines and `#` lines).
    pub fn insert_dependents(&mut self, comment: String) {
        let mut t = toml_edit::Table::new();
        t.set_position(Some(-1));
        t.decor_mut().set_prefix(comment);
        self.doc.insert("dependents", toml_edit::Item::Table(t));
    }

    /// Writes `counts` into `[dependents]`, keeping the comments around values it replaces; a
    /// table is made, under the file's header, when there is none. Nothing changes for none.
    pub fn set_counts(&mut self, counts: &[Count]) -> Result<Imported> {
        let mut imported = Imported::default();
        if counts.is_empty() {
            return Ok(imported);
        }
        if !self.has_dependents() {
            self.insert_import_table();
        }
        // `[dependents]` or `dependents = { ... }`: both are tables to TOML (and to `check`).
        let at = self
            .text
            .lines()
            .position(|l| l.trim_start().starts_with("dependents"))
            .unwrap_or(0);
        let not_table = error_at(&self.path, at + 1, "dependents is not a table");
        let table = self.doc["dependents"]
            .as_table_like_mut()
            .ok_or(not_table)?;
        for c in counts {
            // parse_count refused what i64 cannot hold.
            let new = match c.dependents {
                Dependents::Count(n) => {
                    toml_edit::Value::from(i64::try_from(n).unwrap_or(i64::MAX))
                }
                Dependents::AtLeast(n) => toml_edit::Value::from(format!(">={n}")),
            };
            match table.get_mut(&c.module).and_then(|i| i.as_value_mut()) {
                Some(old) if old.to_string().trim() == new.to_string().trim() => {
                    imported.unchanged += 1
                }
                Some(old) => {
                    // Keep the comments around the old value.
                    let decor = old.decor().clone();
                    *old = new;
                    *old.decor_mut() = decor;
                    imported.updated += 1;
                }
                None => {
                    table.insert(&c.module, toml_edit::value(new));
                    imported.added += 1;
                }
            }
        }
        Ok(imported)
    }

    /// The table `dependents import` makes: right under the file's header, with a blank line
    /// from the header (none at the top of the file) and one before the first entry.
    fn insert_import_table(&mut self) {
        let after_header = self
            .text
            .lines()
            .take_while(|l| !l.trim_start().starts_with('['))
            .any(|l| !l.trim().is_empty());
        let blank = if after_header { "\n" } else { "" };
        self.insert_dependents(format!(
            "{blank}# Dependents (direct + indirect, as deps.dev reports them) per module, written by\n\
             # `linkallow dependents import`. A module without a count goes in the final round.\n",
        ));
        if let Some(first) = self
            .doc
            .get_mut("symbol")
            .and_then(|s| s.as_array_of_tables_mut())
            .and_then(|a| a.get_mut(0))
        {
            let prefix = first
                .decor()
                .prefix()
                .and_then(|p| p.as_str())
                .unwrap_or("")
                .to_string();
            if !prefix.starts_with('\n') {
                first.decor_mut().set_prefix(format!("\n{prefix}"));
            }
        }
    }
}

/// An error at the start of line `line` of `path`.
fn error_at(path: &str, line: usize, message: impl Into<String>) -> Error {
    Error::Allowlist {
        pos: Pos {
            file: path.to_string(),
            line,
            col: 1,
        },
        message: message.into(),
    }
}

/// The allowlist text with `counts` written into `[dependents]`. Every module must be one the
/// allowlist names: a typo would otherwise silently land in the final round.
pub fn import(
    allowlist_path: &str,
    allowlist_text: &str,
    list: &Allowlist,
    counts: &[Count],
) -> Result<(String, Imported)> {
    let known = list.module_paths();
    if let Some(c) = counts.iter().find(|c| !known.contains(&c.module.as_str())) {
        return Err(Error::Allowlist {
            pos: c.pos.clone(),
            message: format!(
                "unknown module {}: no symbol in {allowlist_path} lists it",
                c.module
            ),
        });
    }
    let without_count = |list: &Allowlist| {
        list.module_paths()
            .iter()
            .filter(|m| !list.dependents.contains_key(**m))
            .count()
    };
    if counts.is_empty() {
        // Nothing to record: leave the file as it is (no empty [dependents] table).
        let reread = parse(allowlist_path, allowlist_text)?;
        return Ok((
            allowlist_text.to_string(),
            Imported {
                without_count: without_count(&reread),
                ..Imported::default()
            },
        ));
    }
    let mut doc = AllowlistDoc::parse(allowlist_path, allowlist_text)?;
    let mut imported = doc.set_counts(counts)?;
    // What we write must load: the same checks as any allowlist.
    let reread = doc.load()?;
    imported.without_count = without_count(&reread);
    Ok((doc.text(), imported))
}

/// Appends `item` in the array's own layout: on a line of its own, indented as the last item,
/// when the items are one per line; after a space otherwise. A comment before the last item
/// stays with it.
fn push_like_the_rest(array: &mut toml_edit::Array, item: &str) {
    let prefix = array.iter().last().map(|v| {
        let before = v.decor().prefix().and_then(|p| p.as_str()).unwrap_or("");
        match before.rfind('\n') {
            Some(at) => format!("\n{}", &before[at + 1..]),
            None => " ".to_string(),
        }
    });
    array.push(item);
    if let (Some(prefix), Some(last)) = (prefix, array.iter_mut().last()) {
        last.decor_mut().set_prefix(prefix);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allowlist::counts::read;
    use crate::allowlist::{self};

    const LIST: &str = "# top comment\nsource = \"x\"\n\n[[symbol]]\npackage = \"runtime\"\nname = \"a\"\nmodules = [\"m.example/one\", \"m.example/two (from assembly)\"]\n";

    #[test]
    fn an_empty_counts_file_changes_nothing() {
        let list = allowlist::read::parse("a.toml", LIST).unwrap();
        let counts = read("c.csv", "module,dependents\n").unwrap();
        let (text, _) = import("a.toml", LIST, &list, &counts).unwrap();
        assert_eq!(text, LIST);
    }

    #[test]
    fn import_keeps_comments_and_refuses_unknown_modules() {
        let list = allowlist::read::parse("a.toml", LIST).unwrap();
        let counts = read("c.csv", "m.example/one,120\n").unwrap();
        let (text, got) = import("a.toml", LIST, &list, &counts).unwrap();
        assert!(
            text.starts_with("# top comment\nsource = \"x\"\n"),
            "{text}"
        );
        assert!(
            text.find("[dependents]") < text.find("[[symbol]]"),
            "{text}"
        );
        assert_eq!(got.added, 1);
        assert_eq!(got.without_count, 1);
        let reread = allowlist::read::parse("a.toml", &text).unwrap();
        assert_eq!(
            reread.dependents.get("m.example/one"),
            Some(&allowlist::Dependents::Count(120))
        );
        // A second import updates in place and keeps a comment on the value.
        let commented = text.replace("= 120", "= 120 # checked");
        let list = allowlist::read::parse("a.toml", &commented).unwrap();
        let counts = read("c.csv", "m.example/one,150\n").unwrap();
        let (again, got) = import("a.toml", &commented, &list, &counts).unwrap();
        assert_eq!(got.updated, 1);
        assert!(again.contains("= 150 # checked"), "{again}");

        let counts = read("c.csv", "x\n".replace('x', "m.example/typo,3").as_str()).unwrap();
        let e = import("a.toml", LIST, &list, &counts)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("c.csv:1:1:") && e.contains("unknown module m.example/typo"),
            "{e}"
        );
    }

    #[test]
    fn appended_modules_follow_the_array_layout_and_keep_comments() {
        let text = "[[symbol]]\npackage = \"runtime\"\nname = \"a\"\nmodules = [\n    \"m.example/one\", # first\n    \"m.example/two\",\n]\n\n[[symbol]]\npackage = \"runtime\"\nname = \"b\"\nmodules = [\"m.example/one\"]\n";
        let mut doc = AllowlistDoc::parse("a.toml", text).unwrap();
        assert!(!doc.add_module("runtime", "a", "m.example/new0").unwrap());
        assert!(!doc.add_module("runtime", "b", "m.example/new1").unwrap());
        assert_eq!(
            doc.text(),
            "[[symbol]]\npackage = \"runtime\"\nname = \"a\"\nmodules = [\n    \"m.example/one\", # first\n    \"m.example/two\",\n    \"m.example/new0\",\n]\n\n[[symbol]]\npackage = \"runtime\"\nname = \"b\"\nmodules = [\"m.example/one\", \"m.example/new1\"]\n"
        );
    }

    #[test]
    fn a_syntax_error_is_named_at_its_line_and_column() {
        let err = AllowlistDoc::parse("a.toml", "source = \"x\"\n[[symbol]\n")
            .err()
            .unwrap()
            .to_string();
        assert!(err.starts_with("a.toml:2:"), "{err}");
    }
}
