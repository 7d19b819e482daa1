//! The survey: from a corpus to the next round of pushes. [`graph`] counts each module's
//! direct+indirect dependents from the corpus's `go.mod` files, [`records`] reads `scan`'s JSON
//! Lines strictly, [`site`] renders the static report (tables, tier pages, the heap map drawn by
//! [`treemap`]), and [`adopt`] writes the pulls the tree rejects into the allowlist.

pub mod adopt;
pub mod graph;
pub mod records;
pub mod site;
pub mod treemap;

use crate::error::{Pos, plural};
use std::path::PathBuf;

/// What a survey step can fail on: always with the file, and the line when there is one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{pos}: {message}")]
    At { pos: Pos, message: String },
    #[error("{}: {err}", path.display())]
    Io { path: PathBuf, err: std::io::Error },
    #[error(transparent)]
    Linkallow(#[from] crate::error::Error),
}

impl Error {
    pub fn at(file: &str, line: usize, col: usize, message: impl Into<String>) -> Self {
        Error::At {
            pos: Pos {
                file: file.to_string(),
                line,
                col,
            },
            message: message.into(),
        }
    }

    pub fn io(path: impl Into<PathBuf>, err: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            err,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `dependents count`: the CSV to `output` (or standard output) and a summary line.
pub fn count_command(
    paths: &[PathBuf],
    output: Option<&std::path::Path>,
    scans: &[PathBuf],
    out: &mut impl std::io::Write,
    err: &mut impl std::io::Write,
) -> anyhow::Result<u8> {
    let mut got = graph::count(paths)?;
    if !scans.is_empty() {
        let mut named = std::collections::BTreeSet::new();
        records::read(scans, |r, _, _| {
            named.insert(r.module);
            Ok(())
        })?;
        got.counts.retain(|(m, _)| named.contains(m));
    }
    let csv = graph::to_csv(&got.counts);
    match output {
        Some(path) => crate::edit::write_file(&writable(path)?, &csv)?,
        None => out.write_all(csv.as_bytes())?,
    }
    writeln!(
        err,
        "linkallow: {}, {}, {} counted",
        plural(got.files, "go.mod file", "go.mod files"),
        plural(got.modules, "module", "modules"),
        plural(got.counts.len(), "module path", "module paths")
    )?;
    Ok(crate::error::exit::OK)
}

/// Dependents counts from a counts file (`dependents count` output, or any file `dependents
/// import` reads), each with its position. With `known`, a count for a module outside it (not
/// in the scan) is an error at its line: a typo would otherwise go unnoticed.
pub fn read_counts(
    file: &std::path::Path,
    known: Option<&std::collections::BTreeSet<String>>,
) -> Result<std::collections::BTreeMap<String, (crate::allowlist::Dependents, Pos)>> {
    let shown = file.display().to_string();
    let text = crate::readfile::read_text(file, "a counts file is UTF-8")?;
    let mut out = std::collections::BTreeMap::new();
    for c in crate::allowlist::counts::read(&shown, &text)? {
        if let Some(known) = known
            && !known.contains(&c.module)
        {
            return Err(Error::At {
                pos: c.pos,
                message: format!(
                    "a count for {}, which no record of the scan names (restrict the counts with `dependents count --scan`)",
                    c.module
                ),
            });
        }
        out.insert(c.module, (c.dependents, c.pos));
    }
    Ok(out)
}

/// Every record of the scan files, each with its `file:line`, except pulls into other
/// modules' packages: the allowlist and its report are about the standard library's symbols.
pub fn read_scans(scans: &[PathBuf]) -> Result<Vec<(crate::scan::PullRecord, String)>> {
    let mut out = Vec::new();
    records::read(scans, |r, file, line| {
        if r.target_module.is_none() {
            out.push((r, format!("{file}:{line}")));
        }
        Ok(())
    })?;
    Ok(out)
}

/// The target the rule is read for: $GOOS/$GOARCH, else the host.
fn target() -> (String, String) {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let goos = env("GOOS").unwrap_or_else(|| match std::env::consts::OS {
        "macos" => "darwin".into(),
        os => os.into(),
    });
    let goarch = env("GOARCH").unwrap_or_else(|| match std::env::consts::ARCH {
        "x86_64" => "amd64".into(),
        "x86" => "386".into(),
        "aarch64" => "arm64".into(),
        arch => arch.into(),
    });
    (goos, goarch)
}

pub struct AdoptOptions<'a> {
    pub scans: &'a [PathBuf],
    pub goroot: &'a std::path::Path,
    pub allowlist: &'a std::path::Path,
    pub dependents: Option<&'a std::path::Path>,
    pub min_dependents: Option<u64>,
    pub dry_run: bool,
}

/// `adopt`: prints what it adopts and what it cannot, and the TOML diff with `--dry-run`;
/// otherwise writes the allowlist (as one transaction). Nothing is written on error.
pub fn adopt_command(
    opts: &AdoptOptions,
    out: &mut impl std::io::Write,
    err: &mut impl std::io::Write,
) -> anyhow::Result<u8> {
    let list_path = opts.allowlist.display().to_string();
    let list_text =
        crate::readfile::read_text(opts.allowlist, "an allowlist is UTF-8, as TOML is")?;
    let list = crate::allowlist::read::parse(&list_path, &list_text)?;
    let records = read_scans(opts.scans)?;
    let modules: std::collections::BTreeSet<String> =
        records.iter().map(|(r, _)| r.module.clone()).collect();
    let counts = match opts.dependents {
        Some(f) => read_counts(f, Some(&modules))?,
        None => Default::default(),
    };
    let (goos, goarch) = target();
    let rule = crate::linker::LinkerRule::load(opts.goroot, &goos, &goarch, false)?;
    let min = opts
        .min_dependents
        .unwrap_or_else(|| list.tiers.last().copied().unwrap_or(0));
    let got = adopt::adopt(&list_path, &list_text, &list, &records, &rule, &counts, min)?;
    for l in &got.cannot {
        writeln!(
            err,
            "linkallow: cannot be allowed: {} from {} ({}): {}",
            l.symbol, l.module, l.at, l.reason
        )?;
    }
    for l in &got.below {
        writeln!(
            err,
            "linkallow: not adopted: {} from {} ({}): {}",
            l.symbol, l.module, l.at, l.reason
        )?;
    }
    for (symbol, item) in &got.added {
        let new = if got.new_symbols.contains(symbol) {
            " (new entry)"
        } else {
            ""
        };
        writeln!(err, "linkallow: adopt {symbol}{new}: {item}")?;
    }
    if opts.dry_run {
        let diff = similar::TextDiff::from_lines(&list_text, &got.text);
        write!(
            out,
            "{}",
            diff.unified_diff()
                .header(&format!("a/{list_path}"), &format!("b/{list_path}"))
        )?;
    } else if got.text != list_text {
        // The base is the text parsed: a save since then fails the write, not lost under it.
        crate::edit::replace_file(&writable(opts.allowlist)?, Some(&list_text), &got.text)?;
    }
    writeln!(
        err,
        "linkallow: adopted {} (symbol, module) pairs, {} of them new entries, against {}; {} cannot be allowed; {} below {min} dependents or without a count{}",
        got.added.len(),
        got.new_symbols.len(),
        rule.version,
        got.cannot.len(),
        got.below.len(),
        if opts.dry_run {
            "; nothing written (--dry-run)"
        } else {
            ""
        }
    )?;
    Ok(crate::error::exit::OK)
}

/// The path made absolute: `edit::write_file` locks the parent folder, and a bare file name
/// (`allowlist.toml`) has an empty one.
fn writable(path: &std::path::Path) -> Result<PathBuf> {
    std::path::absolute(path).map_err(|e| Error::io(path, e))
}

/// `report`: the static site in `out`, from the scans, the allowlist and the counts. The
/// records are read one line at a time into [`site::Survey`]; the pages are written as one
/// transaction (an interrupted run leaves the old site, or none).
pub fn report_command(
    scans: &[PathBuf],
    out: &std::path::Path,
    list: &crate::allowlist::Allowlist,
    dependents: Option<&std::path::Path>,
    err: &mut impl std::io::Write,
) -> anyhow::Result<u8> {
    let mut survey = site::Survey::default();
    records::read(scans, |r, _, _| {
        survey.add(&r);
        Ok(())
    })?;
    let modules = survey.modules();
    let mut counts = list.dependents.clone();
    if let Some(f) = dependents {
        for (m, (d, _)) in read_counts(f, Some(&modules))? {
            counts.insert(m, d);
        }
    }
    let pulls = survey.records();
    let site = survey.site(list, &counts);
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let out = writable(out)?;
    let lock = crate::edit::DirLock::acquire(&out)?;
    let pages = site.files.len();
    let mut writes = Vec::new();
    for (name, text) in site.files {
        let path = out.join(&name);
        let old = match crate::readfile::regular(&path) {
            Ok(bytes) => Some(String::from_utf8(bytes).map_err(|_| {
                Error::at(
                    &path.display().to_string(),
                    1,
                    1,
                    "not UTF-8, so not a page of a report; refusing to replace it",
                )
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(&path, e).into()),
        };
        if old.as_deref() != Some(text.as_str()) {
            writes.push(crate::edit::FileWrite {
                path,
                old,
                new: Some(text),
            });
        }
    }
    crate::edit::commit(&writes, &lock, &mut |_| Ok(()))?;
    writeln!(
        err,
        "linkallow: {}: {} for {} from {}",
        out.display(),
        plural(pages, "page", "pages"),
        plural(pulls, "pull", "pulls"),
        plural(modules.len(), "module", "modules")
    )?;
    Ok(crate::error::exit::OK)
}
