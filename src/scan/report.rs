//! Scan results out: JSON Lines (one record per pull) or a per-symbol summary, and `--merge`
//! of JSON Lines shards. Both paths stream: the summary keeps a bounded amount per symbol, so
//! memory follows the number of distinct symbols, not the corpus.

use super::PullRecord;
use super::walk::ScanError;
use crate::linker::verdict::Link;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

/// Modules named per symbol in the human output; the rest are counted.
const EXAMPLES: usize = 8;

#[derive(Default)]
struct SymbolSummary {
    /// Distinct modules, counted when the module changes (records of one module are
    /// contiguous in a scan's output and in each shard).
    modules: u64,
    last_module: Option<(String, Option<String>)>,
    examples: Vec<String>,
    kinds: BTreeSet<String>,
    /// Per release: per verdict, the number of pulls and the first reason.
    verdicts: BTreeMap<String, BTreeMap<Link, (u64, String)>>,
}

/// The human report, built one record at a time.
#[derive(Default)]
pub struct Summary {
    symbols: BTreeMap<String, SymbolSummary>,
    /// Pulls into other modules' packages, reported after the standard library's.
    module_symbols: BTreeMap<String, SymbolSummary>,
    pub pulls: u64,
    /// Active pulls some release rejects or lacks.
    pub failing: u64,
}

impl Summary {
    pub fn add(&mut self, r: &PullRecord) {
        self.pulls += 1;
        if r.fails() {
            self.failing += 1;
        }
        let map = match r.target_module {
            Some(_) => &mut self.module_symbols,
            None => &mut self.symbols,
        };
        let s = map.entry(r.symbol.clone()).or_default();
        let key = (r.module.clone(), r.version.clone());
        if s.last_module.as_ref() != Some(&key) {
            s.modules += 1;
            if s.examples.len() < EXAMPLES {
                s.examples.push(match &r.version {
                    Some(v) => format!("{} {v}", r.module),
                    None => r.module.clone(),
                });
            }
            s.last_module = Some(key);
        }
        let mut kind = r.kind.clone();
        if r.defines {
            kind.push_str(" (defines)");
        }
        if r.test {
            kind.push_str(" (test)");
        }
        if let Some(t) = &r.target_module {
            match (&t.path, &t.version) {
                (Some(p), Some(v)) => kind.push_str(&format!(" (from {p} {v})")),
                _ => kind.push_str(" (from no required module)"),
            }
        }
        s.kinds.insert(kind);
        for (release, v) in r.verdicts.iter().flatten() {
            let e = s
                .verdicts
                .entry(release.clone())
                .or_default()
                .entry(v.link)
                .or_insert((0, v.reason.clone()));
            e.0 += 1;
        }
    }

    /// Per symbol, most-pulled first: its modules and the verdict per release; then the
    /// pulls into other modules' packages the same way.
    pub fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        write_symbols(&self.symbols, out)?;
        if !self.module_symbols.is_empty() {
            writeln!(
                out,
                "pulls into other modules' packages (no linker checks them; go.dev/issue/81051):"
            )?;
            write_symbols(&self.module_symbols, out)?;
        }
        Ok(())
    }

    pub fn symbols(&self) -> usize {
        self.symbols.len() + self.module_symbols.len()
    }
}

/// One section of the human report.
fn write_symbols(
    symbols: &BTreeMap<String, SymbolSummary>,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let mut order: Vec<(&String, &SymbolSummary)> = symbols.iter().collect();
    order.sort_by(|a, b| b.1.modules.cmp(&a.1.modules).then(a.0.cmp(b.0)));
    for (symbol, s) in order {
        let kinds: Vec<&str> = s.kinds.iter().map(String::as_str).collect();
        writeln!(
            out,
            "{symbol}  {}, {}",
            crate::error::plural(s.modules as usize, "module", "modules"),
            kinds.join(", ")
        )?;
        for (release, links) in &s.verdicts {
            let counts: Vec<String> = links
                .iter()
                .map(|(l, (n, _))| format!("{} {n}", l.as_str()))
                .collect();
            // The reason of the verdict that matters most: a failure first.
            let (_, (_, reason)) = links
                .iter()
                .max_by_key(|(l, _)| match l {
                    Link::Rejected => 5,
                    Link::Undefined => 4,
                    Link::Unknown => 3,
                    Link::Ok => 2,
                    Link::Ignored => 1,
                    Link::Inactive => 0,
                })
                .expect("an entry exists for every release key");
            writeln!(out, "  {release}: {}: {reason}", counts.join(", "))?;
        }
        let more = s.modules.saturating_sub(s.examples.len() as u64);
        let mut mods = s.examples.join(", ");
        if more > 0 {
            mods.push_str(&format!(", and {more} more"));
        }
        writeln!(out, "  pulled by {mods}")?;
    }
    Ok(())
}

/// One record as a JSON line.
pub fn write_json(out: &mut impl Write, r: &PullRecord) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, r)?;
    out.write_all(b"\n")
}

/// Reads JSON Lines shards one line at a time, handing each record to `each`. A line that is
/// not a record is reported with its file and line and skipped.
pub fn merge(
    shards: &[impl AsRef<Path>],
    mut each: impl FnMut(PullRecord) -> std::io::Result<()>,
) -> std::io::Result<Vec<ScanError>> {
    let mut errors = Vec::new();
    for shard in shards {
        let path = shard.as_ref();
        let file = match crate::readfile::open_lines(path) {
            Ok(f) => f,
            Err(e) => {
                errors.push(ScanError {
                    path: path.display().to_string(),
                    line: None,
                    message: e.to_string(),
                });
                continue;
            }
        };
        let mut reader = std::io::BufReader::new(file);
        let mut buf = Vec::new();
        let mut line = 0;
        loop {
            buf.clear();
            let n = match crate::readfile::read_line(&mut reader, &mut buf) {
                Ok(n) => n,
                Err(e) => {
                    errors.push(ScanError {
                        path: path.display().to_string(),
                        line: Some(line + 1),
                        message: e.to_string(),
                    });
                    break;
                }
            };
            if n == 0 {
                break;
            }
            line += 1;
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<PullRecord>(&buf) {
                Ok(r) => each(r)?,
                Err(e) => errors.push(ScanError {
                    path: path.display().to_string(),
                    line: Some(line),
                    message: format!("not a scan record: {e}"),
                }),
            }
        }
    }
    Ok(errors)
}
