//! The counts `dependents import` and `adopt` write into `[dependents]`: `module,dependents` as
//! CSV or JSON, read strictly, each count with the position it was given at.

use crate::allowlist::{self, Dependents};
use crate::error::{Error, Pos, Result};

/// One imported count and where the import file gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub module: String,
    pub dependents: Dependents,
    pub pos: Pos,
}

/// Reads a counts file: JSON when it starts with `{` or `[`, CSV otherwise. A UTF-8 byte order
/// mark is ignored, as spreadsheets write one.
pub fn read(path: &str, text: &str) -> Result<Vec<Count>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
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

/// A count as a counts file writes it: `1234`, `"2,500"`, or only the tier, `>=50000`. TOML
/// integers are signed 64-bit, so larger counts are refused here rather than written wrong.
fn parse_count(s: &str) -> std::result::Result<Dependents, String> {
    let s = s.trim();
    let (tier, digits) = match s.strip_prefix(">=").or_else(|| s.strip_prefix('≥')) {
        Some(rest) => (true, rest.trim()),
        None => (false, s),
    };
    let digits = digits.replace([',', '_'], "");
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("dependents {s:?} is not a whole number or a tier like >=50000"))?;
    if i64::try_from(n).is_err() {
        return Err(format!("dependents {s} is more than a TOML integer holds"));
    }
    Ok(if tier {
        Dependents::AtLeast(n)
    } else {
        Dependents::Count(n)
    })
}

/// `module,dependents` per line, each line read with RFC 4180 quoting as spreadsheets export
/// it (`"2,500"`, `""` inside quotes); an optional header line, blank lines and `#` comments.
fn read_csv(path: &str, text: &str) -> Result<Vec<Count>> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let at = |col: usize| Pos {
            file: path.to_string(),
            line: i + 1,
            col,
        };
        if raw.trim().is_empty() || raw.trim_start().starts_with('#') {
            continue;
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(raw.as_bytes());
        let record = match reader.records().next() {
            Some(Ok(record)) => record,
            Some(Err(e)) => {
                return Err(Error::Allowlist {
                    pos: at(1),
                    message: format!("not valid CSV: {e}"),
                });
            }
            None => continue,
        };
        if record.len() != 2 {
            return Err(Error::Allowlist {
                pos: at(1),
                message: format!(
                    "expected two fields, module,dependents; found {}",
                    record.len()
                ),
            });
        }
        let (module, count) = (record[0].trim(), record[1].trim());
        if out.is_empty() && module == "module" && parse_count(count).is_err() {
            continue; // header
        }
        allowlist::validate::check_module_item(module).map_err(|message| Error::Allowlist {
            pos: at(1),
            message,
        })?;
        // The count's column as written: after the first separator outside quotes.
        let count_col = separator_at(raw).map_or(1, |i| i + 2);
        let dependents = parse_count(count).map_err(|message| Error::Allowlist {
            pos: at(count_col),
            message,
        })?;
        out.push(Count {
            module: module.to_string(),
            dependents,
            pos: at(1),
        });
    }
    Ok(out)
}

/// The byte of the first `,` outside double quotes.
fn separator_at(line: &str) -> Option<usize> {
    let mut quoted = false;
    line.char_indices().find_map(|(i, c)| match c {
        '"' => {
            quoted = !quoted;
            None
        }
        ',' if !quoted => Some(i),
        _ => None,
    })
}

/// The number literal that follows `"module":` (or `"dependents":` after it) in `text`.
fn number_after<'a>(text: &'a str, module: &str) -> Option<&'a str> {
    let at = text.find(&format!("\"{module}\""))?;
    let rest = &text[at..];
    let colon = rest.find(':')?;
    let mut rest = rest[colon + 1..].trim_start();
    if rest.starts_with('"') {
        // An array entry: {"module": "m", "dependents": 123}.
        let d = rest.find("\"dependents\"")?;
        rest = rest[d..].split_once(':')?.1.trim_start();
    }
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-')))
        .unwrap_or(rest.len());
    Some(&rest[..end]).filter(|l| !l.is_empty())
}

/// The keys of the outermost object of valid JSON `text`, unescaped, with the byte offset of
/// each; or, for a key given twice in any object (after unescaping: `"a\/b"` is `"a/b"`), the
/// key and both offsets. serde_json keeps the last of two equal keys without a word.
#[allow(clippy::type_complexity)]
fn object_keys(text: &str) -> std::result::Result<Vec<(String, usize)>, (String, usize, usize)> {
    let b = text.as_bytes();
    // One entry per open container: the keys seen so far for an object, None for an array.
    let mut open: Vec<Option<std::collections::HashMap<String, usize>>> = Vec::new();
    let mut top = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' => open.push(Some(Default::default())),
            b'[' => open.push(None),
            b'}' | b']' => {
                open.pop();
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                let raw = &text[start..=i.min(b.len() - 1)];
                let rest = text[i + 1..].trim_start();
                if rest.starts_with(':')
                    && let Some(Some(keys)) = open.last_mut()
                {
                    let key: String = serde_json::from_str(raw).unwrap_or_else(|_| raw.into());
                    if let Some(&first) = keys.get(&key) {
                        return Err((key, first, start));
                    }
                    keys.insert(key.clone(), start);
                    if open.len() == 1 {
                        top.push((key, start));
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(top)
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
    // serde_json keeps no spans; a module's position is where its quoted name appears (the
    // n-th time for the n-th entry, so a key given twice is found at its second place).
    let pos_of = |needle: &str, nth: usize| {
        let quoted = format!("\"{needle}\"");
        let offset = text.match_indices(&quoted).nth(nth).map_or(0, |(i, _)| i);
        let (line, col) = allowlist::read::line_col(text, offset);
        Pos {
            file: path.to_string(),
            line,
            col,
        }
    };
    let bad = |needle: &str, message: String| Error::Allowlist {
        pos: pos_of(needle, 0),
        message,
    };
    let at_offset = |offset: usize| {
        let (line, col) = allowlist::read::line_col(text, offset);
        Pos {
            file: path.to_string(),
            line,
            col,
        }
    };
    // Two equal keys in any object (after unescaping) would lose one count.
    let keys = object_keys(text).map_err(|(key, first, second)| Error::Allowlist {
        pos: at_offset(second),
        message: format!("{key} is given twice (first at {})", at_offset(first)),
    })?;
    let count = |module: &str, v: &Value| {
        let parsed = match v {
            Value::Number(n) if n.is_u64() => parse_count(&n.to_string()),
            // A whole number past u64 reaches serde_json as a float (1e+23): quote it as written.
            Value::Number(n) => match number_after(text, module) {
                Some(lit) if lit.bytes().all(|b| b.is_ascii_digit()) => Err(format!(
                    "dependents {lit} is more than a TOML integer holds"
                )),
                Some(lit) => Err(format!("{lit} is not a whole number of dependents")),
                None => Err(format!("{n} is not a whole number of dependents")),
            },
            Value::String(s) => parse_count(s),
            other => Err(format!("{other} is not a count")),
        };
        parsed.map_err(|m| bad(module, format!("{module}: {m}")))
    };
    let mut out = Vec::new();
    match value {
        Value::Object(map) => {
            let keys: std::collections::HashMap<String, usize> =
                keys.into_iter()
                    .collect::<std::collections::HashMap<_, _>>();
            for (module, v) in &map {
                let pos = keys
                    .get(module)
                    .map_or_else(|| pos_of(module, 0), |&o| at_offset(o));
                out.push(Count {
                    module: module.clone(),
                    dependents: count(module, v).map_err(|e| match e {
                        Error::Allowlist { message, .. } => Error::Allowlist {
                            pos: pos.clone(),
                            message,
                        },
                        e => e,
                    })?,
                    pos,
                });
            }
        }
        Value::Array(items) => {
            let mut seen: std::collections::HashMap<&str, usize> = Default::default();
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
                let nth = seen.entry(module).or_default();
                out.push(Count {
                    module: module.to_string(),
                    dependents: count(module, v)?,
                    pos: pos_of(module, *nth),
                });
                *nth += 1;
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(csv[0].dependents, Dependents::Count(120));
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
    fn spreadsheet_csv_with_bom_quotes_thousands_and_tiers() {
        let got = read(
            "c.csv",
            "\u{feff}module,dependents\n\"m.example/one\",\"2,500\"\nm.example/two,>=50000\n\"m.example/th\"\"ree\",1\n",
        );
        // A quote inside a quoted field is unescaped, and then it is not a module path.
        let e = got.unwrap_err().to_string();
        assert!(
            e.starts_with("c.csv:4:1:") && e.contains("m.example/th\\\"ree"),
            "{e}"
        );
        let got = read(
            "c.csv",
            "\u{feff}module,dependents\n\"m.example/one\",\"2,500\"\nm.example/two,>=50000\n",
        )
        .unwrap();
        assert_eq!(got[0].dependents, Dependents::Count(2500));
        assert_eq!(got[1].dependents, Dependents::AtLeast(50000));
        assert_eq!(got[1].pos.line, 3);
    }

    #[test]
    fn counts_json_refuses_what_it_would_lose() {
        let e = read("c.json", "{\"m.example/one\": 1,\n \"m.example/one\": 2}")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.json:2:2:") && e.contains("twice"), "{e}");
        let e = read("c.json", "{\"m.example/one\": 18446744073709551615}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("more than a TOML integer holds"), "{e}");
        let e = read("c.json", "{\"m.example/one\": 1e23}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a whole number"), "{e}");
    }
}
