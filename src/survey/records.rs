//! `scan --json` records read back strictly: every field this linkallow writes must be there
//! with its type, so a shard from another linkallow version (or a truncated line) stops the
//! run with its file and line instead of being counted wrong.

use super::{Error, Result};
use crate::scan::PullRecord;
use std::path::Path;

/// The fields every record carries (`verdicts` only with `--against`).
const REQUIRED: [&str; 11] = [
    "module", "version", "file", "line", "column", "symbol", "local", "kind", "defines", "test",
    "build",
];
const KINDS: [&str; 5] = ["func", "var", "type", "const", "asm"];

/// Whether the allowlist should name the record's module for its symbol: a pull, or a
/// variable defined with a value under a standard-library name (purego's
/// `var _iscgo bool = true` as `runtime.iscgo`), which replaces the tree's zero-valued
/// variable and so depends on its name and type as a pull does, though no linker checks it.
/// A function with a body is a push of the module's own and is not counted.
pub fn counts_for_allowlist(r: &PullRecord) -> bool {
    !r.defines || r.kind == "var"
}

/// Reads every record of every file in order, handing each to `each` with its file and line.
pub fn read(
    files: &[impl AsRef<Path>],
    mut each: impl FnMut(PullRecord, &str, usize) -> Result<()>,
) -> Result<()> {
    for file in files {
        let path = file.as_ref();
        let shown = path.display().to_string();
        let f = crate::readfile::open_lines(path).map_err(|e| Error::io(path, e))?;
        let mut reader = std::io::BufReader::new(f);
        let mut buf = Vec::new();
        let mut line = 0;
        loop {
            buf.clear();
            let n = crate::readfile::read_line(&mut reader, &mut buf)
                .map_err(|e| Error::io(path, e))?;
            if n == 0 {
                break;
            }
            line += 1;
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let record = parse_line(&shown, line, &buf)?;
            each(record, &shown, line)?;
        }
    }
    Ok(())
}

/// One JSON line as a record, or why it is not one.
pub fn parse_line(file: &str, line: usize, bytes: &[u8]) -> Result<PullRecord> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::at(file, line, e.column().max(1), format!("not JSON: {e}")))?;
    let Some(obj) = value.as_object() else {
        return Err(Error::at(
            file,
            line,
            1,
            "not a scan record: not a JSON object",
        ));
    };
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|k| !obj.contains_key(*k))
        .collect();
    if !missing.is_empty() {
        return Err(Error::at(
            file,
            line,
            1,
            format!(
                "not a scan record of this linkallow (from another version?): missing {}",
                missing.join(", ")
            ),
        ));
    }
    let record: PullRecord = serde_json::from_value(value.clone()).map_err(|e| {
        Error::at(
            file,
            line,
            1,
            format!("not a scan record of this linkallow (from another version?): {e}"),
        )
    })?;
    if !KINDS.contains(&record.kind.as_str()) {
        return Err(Error::at(
            file,
            line,
            1,
            format!(
                "unknown kind {:?} (this linkallow writes {})",
                record.kind,
                KINDS.join(", ")
            ),
        ));
    }
    if record.symbol.is_empty() || record.module.is_empty() || record.line == 0 {
        return Err(Error::at(
            file,
            line,
            1,
            "a scan record needs a module, a symbol and a line",
        ));
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"module":"example.com/m","version":"v1.0.0","file":"a.go","line":3,"column":1,"symbol":"runtime.g0","local":"g0","kind":"var","defines":false,"test":false,"build":null,"verdicts":{"go1.26.8":{"link":"rejected","reason":"r"}}}"#;

    #[test]
    fn module_pull_records_read_back() {
        let new = GOOD.replace(
            r#""verdicts":{"go1.26.8":{"link":"rejected","reason":"r"}}"#,
            r#""verdicts":{"go1.26.8":{"link":"unknown","cause":"module","reason":"r"}},"target_module":{"path":"golang.org/x/net","version":"v0.56.0"}"#,
        );
        let r = parse_line("s.jsonl", 1, new.as_bytes()).unwrap();
        assert_eq!(
            r.target_module.as_ref().and_then(|t| t.path.as_deref()),
            Some("golang.org/x/net")
        );
        assert!(!r.fails());
        let old = parse_line("s.jsonl", 1, GOOD.as_bytes()).unwrap();
        assert_eq!(old.target_module, None);
    }

    #[test]
    fn good_records_read_and_bad_ones_name_their_line() {
        let r = parse_line("s.jsonl", 1, GOOD.as_bytes()).unwrap();
        assert_eq!(r.symbol, "runtime.g0");
        let old = GOOD.replace(r#""build":null,"#, "");
        let e = parse_line("s.jsonl", 7, old.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("s.jsonl:7:1: not a scan record") && e.contains("missing build"),
            "{e}"
        );
        let e = parse_line(
            "s.jsonl",
            2,
            GOOD.replace("\"var\"", "\"struct\"").as_bytes(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("unknown kind \"struct\""), "{e}");
        let e = parse_line(
            "s.jsonl",
            2,
            GOOD.replace("\"rejected\"", "\"maybe\"").as_bytes(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("s.jsonl:2:1:") && e.contains("maybe"), "{e}");
        let e = parse_line("s.jsonl", 4, b"{\"module\": ")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s.jsonl:4:") && e.contains("not JSON"), "{e}");
        let e = parse_line(
            "s.jsonl",
            5,
            GOOD.replace("\"line\":3", "\"line\":\"3\"").as_bytes(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("s.jsonl:5:1:"), "{e}");
    }
}
