//! `dependents import`: reads `module,dependents` counts (CSV or JSON) and writes them into the
//! allowlist's `[dependents]` table with toml_edit, so its comments and order stay as they were.

use crate::allowlist::{self, Allowlist};
use crate::error::{Error, Pos, Result};

/// One imported count and where the import file gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub module: String,
    pub dependents: u64,
    pub pos: Pos,
}

/// Reads a counts file: JSON when it starts with `{` or `[`, CSV otherwise.
pub fn read(path: &str, text: &str) -> Result<Vec<Count>> {
    let counts = if text.trim_start().starts_with(['{', '[']) {
        read_json(path, text)?
    } else {
        read_csv(path, text)?
    };
    let mut seen = std::collections::HashMap::new();
    for c in &counts {
        if let Some(first) = seen.insert(c.module.clone(), c.pos.clone()) {
            return Err(Error::Allowlist {
                pos: c.pos.clone(),
                message: format!("{} is given twice (first at {first})", c.module),
            });
        }
    }
    Ok(counts)
}

/// `module,dependents` per line; an optional header line, blank lines and `#` comments.
fn read_csv(path: &str, text: &str) -> Result<Vec<Count>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = |col: usize| Pos {
            file: path.to_string(),
            line: i + 1,
            col,
        };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let unquote = |s: &str| s.trim().trim_matches('"').to_string();
        if fields.len() != 2 {
            return Err(Error::Allowlist {
                pos: at(1),
                message: format!(
                    "expected two fields, module,dependents; found {}",
                    fields.len()
                ),
            });
        }
        let (module, count) = (unquote(fields[0]), unquote(fields[1]));
        let count_col = fields[0].len() + 2;
        if out.is_empty() && module == "module" && count.parse::<u64>().is_err() {
            continue; // header
        }
        if module.is_empty() || module.contains(char::is_whitespace) {
            return Err(Error::Allowlist {
                pos: at(1),
                message: format!("{module:?} is not a module path"),
            });
        }
        let dependents = count.parse::<u64>().map_err(|_| Error::Allowlist {
            pos: at(count_col),
            message: format!("dependents {count:?} is not a whole number"),
        })?;
        out.push(Count {
            module,
            dependents,
            pos: at(1),
        });
    }
    Ok(out)
}

/// `{"module": count, ...}` or `[{"module": ..., "dependents": ...}, ...]`.
fn read_json(path: &str, text: &str) -> Result<Vec<Count>> {
    use serde_json::Value;
    let value: Value = serde_json::from_str(text).map_err(|e| Error::Allowlist {
        pos: Pos {
            file: path.to_string(),
            line: e.line(),
            col: e.column(),
        },
        message: format!("not valid JSON: {e}"),
    })?;
    // serde_json keeps no spans; a module's position is where its quoted name first appears.
    let pos_of = |needle: &str| {
        let offset = text.find(&format!("\"{needle}\"")).unwrap_or(0);
        let (line, col) = allowlist::line_col(text, offset);
        Pos {
            file: path.to_string(),
            line,
            col,
        }
    };
    let bad = |needle: &str, message: String| Error::Allowlist {
        pos: pos_of(needle),
        message,
    };
    let count = |module: &str, v: &Value| {
        v.as_u64().ok_or_else(|| {
            bad(
                module,
                format!("dependents of {module}: {v} is not a whole number"),
            )
        })
    };
    let mut out = Vec::new();
    match value {
        Value::Object(map) => {
            for (module, v) in &map {
                out.push(Count {
                    module: module.clone(),
                    dependents: count(module, v)?,
                    pos: pos_of(module),
                });
            }
        }
        Value::Array(items) => {
            for item in &items {
                let module = item
                    .get("module")
                    .or_else(|| item.get("name"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("", format!("entry {item} has no \"module\" string")))?;
                let v = item
                    .get("dependents")
                    .or_else(|| item.get("dependentCount"))
                    .ok_or_else(|| bad(module, format!("{module}: no \"dependents\" count")))?;
                out.push(Count {
                    module: module.to_string(),
                    dependents: count(module, v)?,
                    pos: pos_of(module),
                });
            }
        }
        _ => {
            return Err(bad(
                "",
                "expected an object of module: count or an array of {module, dependents}".into(),
            ));
        }
    }
    Ok(out)
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
    let mut doc: toml_edit::DocumentMut =
        allowlist_text.parse().map_err(|e: toml_edit::TomlError| {
            let (line, col) = allowlist::line_col(allowlist_text, e.span().map_or(0, |s| s.start));
            Error::Allowlist {
                pos: Pos {
                    file: allowlist_path.to_string(),
                    line,
                    col,
                },
                message: e.message().trim().to_string(),
            }
        })?;
    if doc.get("dependents").is_none() {
        let mut t = toml_edit::Table::new();
        // Before the first [[symbol]], right under the file's header.
        t.set_position(Some(-1));
        t.decor_mut().set_prefix(
            "\n# Dependents (direct + indirect, as deps.dev reports them) per module, written by\n\
             # `linkallow dependents import`. A module without a count goes in the final round.\n",
        );
        doc.insert("dependents", toml_edit::Item::Table(t));
    }
    let table = doc["dependents"]
        .as_table_mut()
        .ok_or_else(|| Error::Allowlist {
            pos: Pos {
                file: allowlist_path.to_string(),
                line: 1,
                col: 1,
            },
            message: "dependents is not a table".into(),
        })?;
    let mut imported = Imported::default();
    for c in counts {
        let new = toml_edit::Value::from(c.dependents as i64);
        match table.get_mut(&c.module).and_then(|i| i.as_value_mut()) {
            Some(old) if old.as_integer() == Some(c.dependents as i64) => imported.unchanged += 1,
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
    let text = doc.to_string();
    // What we write must load: the same checks as any allowlist.
    let reread = allowlist::parse(allowlist_path, &text)?;
    imported.without_count = reread
        .module_paths()
        .iter()
        .filter(|m| !reread.dependents.contains_key(**m))
        .count();
    Ok((text, imported))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "# top comment\nsource = \"x\"\n\n[[symbol]]\npackage = \"runtime\"\nname = \"a\"\nmodules = [\"m.example/one\", \"m.example/two (from assembly)\"]\n";

    #[test]
    fn csv_and_json_read_the_same() {
        let csv = read(
            "c.csv",
            "module,dependents\nm.example/one,120\n\n# c\nm.example/two,7\n",
        )
        .unwrap();
        let json = read("c.json", "{\"m.example/one\": 120, \"m.example/two\": 7}").unwrap();
        let arr = read(
            "c.json",
            "[{\"module\": \"m.example/one\", \"dependents\": 120}, {\"name\": \"m.example/two\", \"dependentCount\": 7}]",
        )
        .unwrap();
        let pairs = |v: &[Count]| {
            v.iter()
                .map(|c| (c.module.clone(), c.dependents))
                .collect::<Vec<_>>()
        };
        assert_eq!(pairs(&csv), pairs(&json));
        assert_eq!(pairs(&csv), pairs(&arr));
        assert_eq!(csv[1].pos.line, 5);
    }

    #[test]
    fn malformed_counts_name_line_and_column() {
        let e = read("c.csv", "m.example/one,12\nm.example/two,lots\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.csv:2:15:"), "{e}");
        let e = read("c.csv", "m.example/one;12\n").unwrap_err().to_string();
        assert!(e.starts_with("c.csv:1:1:"), "{e}");
        let e = read("c.json", "{\"a\": 1,}").unwrap_err().to_string();
        assert!(e.starts_with("c.json:1:"), "{e}");
        let e = read("c.csv", "a.b/c,1\na.b/c,2\n").unwrap_err().to_string();
        assert!(e.contains("c.csv:2:1") && e.contains("twice"), "{e}");
    }

    #[test]
    fn import_keeps_comments_and_refuses_unknown_modules() {
        let list = allowlist::parse("a.toml", LIST).unwrap();
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
        let reread = allowlist::parse("a.toml", &text).unwrap();
        assert_eq!(
            reread.dependents.get("m.example/one"),
            Some(&allowlist::Dependents::Count(120))
        );
        // A second import updates in place and keeps a comment on the value.
        let commented = text.replace("= 120", "= 120 # checked");
        let list = allowlist::parse("a.toml", &commented).unwrap();
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
}
