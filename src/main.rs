use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use linkallow::compare::{check, extract};
use linkallow::error::exit;
use linkallow::plan;
use linkallow::series::{self, commit, mbox, message};
use linkallow::tree::locate::Locator;
use linkallow::tree::{Tree, index::TreeIndex};
use linkallow::{allowlist, edit};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// `eprintln!` for every message: invisible characters in user-supplied text (module names, file
/// names, prose) are printed escaped (`\u{202e}`), never raw.
macro_rules! say {
    ($($arg:tt)*) => {
        eprintln!("{}", linkallow::error::escape_invisible(&format!($($arg)*)))
    };
}

/// Keep the Go tree's legacy //go:linkname pushes and hall-of-shame comments in line with
/// allowlist.toml.
#[derive(Parser)]
#[command(name = "linkallow", version)]
struct Cli {
    /// The Go tree: a GOROOT (holding src/) or a Go module. Default: $GOROOT, else `go env GOROOT`.
    #[arg(long, global = true)]
    goroot: Option<PathBuf>,
    /// The allowlist.
    #[arg(long, global = true, default_value = "allowlist.toml")]
    allowlist: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the allowlist that regenerates the tree's annotations.
    Extract {
        /// Output file (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Bring the tree in line with the allowlist; prints the diff unless --write.
    Apply {
        /// Write the changes (as one transaction) instead of printing the diff.
        #[arg(long)]
        write: bool,
        /// Also remove annotations of symbols the allowlist no longer lists.
        #[arg(long)]
        prune: bool,
        /// Place what this tree has room for and report the entries it cannot place (another
        /// release, a typo) instead of refusing the whole plan.
        #[arg(long)]
        skip_missing: bool,
    },
    /// Remove every annotation apply manages; prints the diff unless --write.
    Strip {
        /// Write the changes (as one transaction) instead of printing the diff.
        #[arg(long)]
        write: bool,
    },
    /// Exit 0 when tree and allowlist agree, 1 listing each disagreement, 2 on error.
    Check {
        /// Print the findings (or the error) as JSON on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Write the series, one git-format patch per dependents tier, for `git am`.
    Patches {
        /// Output directory; numbered patches from an earlier run there are replaced.
        #[arg(long, default_value = "patches")]
        out: PathBuf,
        /// Start from `strip` of the tree: regenerate every annotation.
        #[arg(long)]
        from_stripped: bool,
        #[command(flatten)]
        series: SeriesArgs,
        /// Date of every patch: `2026-08-28T16:20:06Z` or Unix seconds. Default: the `time` line
        /// of the GOROOT's VERSION file, else $SOURCE_DATE_EPOCH, else the epoch.
        #[arg(long)]
        date: Option<String>,
    },
    /// Commit the series on a new branch of a git checkout of the tree (work tree untouched).
    Commit {
        /// The repository (a Go checkout); the tree is its GOROOT unless --goroot says otherwise.
        #[arg(long)]
        repo: PathBuf,
        /// The branch to create (or, with --force, rebuild) on HEAD.
        #[arg(long, default_value = "legacy-linkname")]
        branch: String,
        /// Replace the branch when it exists (its Change-Ids stay: they come from --series).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        series: SeriesArgs,
    },
    /// Find pull //go:linkname references into the standard library in module sources and
    /// predict, per --against tree, whether its linker accepts them.
    Scan {
        /// Module roots, module caches, vendor/ folders, or folders holding them (with --merge:
        /// JSON Lines shards of earlier scans).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// A GOROOT or a release name (go1.27.3); repeat for several trees.
        #[arg(long)]
        against: Vec<String>,
        /// JSON Lines: one record per pull.
        #[arg(long)]
        json: bool,
        /// Target OS (default: $GOOS, else the host).
        #[arg(long)]
        goos: Option<String>,
        /// Target architecture (default: $GOARCH, else the host).
        #[arg(long)]
        goarch: Option<String>,
        /// Merge JSON Lines shards instead of scanning sources.
        #[arg(long)]
        merge: bool,
        /// Judge pulls in _test.go files as `go test` builds them (default: as `go build`
        /// does, which builds none: they are `inactive` and do not change the exit status).
        #[arg(long)]
        tests: bool,
    },
    /// Write a static site from scan records: the heap map, sortable tables, one page per
    /// dependents tier and an anchor per symbol.
    Report {
        /// JSON Lines from `scan --json` (with --against for verdicts).
        #[arg(required = true)]
        scans: Vec<PathBuf>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Counts (`dependents count --scan` output) over the allowlist's [dependents].
        #[arg(long)]
        dependents: Option<PathBuf>,
    },
    /// Add the pulls the tree (--goroot) rejects, from modules with enough dependents, to the
    /// allowlist; list those no push can allow.
    Adopt {
        /// JSON Lines from `scan --json --against` the tree.
        #[arg(required = true)]
        scans: Vec<PathBuf>,
        /// Dependents a module needs (default: the allowlist's lowest tier).
        #[arg(long)]
        min_dependents: Option<u64>,
        /// Counts (`dependents count` output) besides the allowlist's [dependents].
        #[arg(long)]
        dependents: Option<PathBuf>,
        /// Print the allowlist diff instead of writing it.
        #[arg(long)]
        dry_run: bool,
    },
    /// Dependents counts for the tiers.
    Dependents {
        #[command(subcommand)]
        action: DependentsCommand,
    },
    /// Finish or roll back a write a killed run left half-done, in the tree, the allowlist's
    /// folder and each FOLDER given (every writing command does this first, too).
    Recover { folders: Vec<PathBuf> },
}

/// A writer for what other modules print (scan, report, adopt, dependents count), on standard
/// error and standard output alike: line by line, invisible characters escaped as `say!` does
/// (`\u{202e}`), or in JSON Lines as JSON escapes (`\u202e`, the same value).
struct Escaping<W: Write> {
    inner: W,
    line: Vec<u8>,
    json: bool,
}

impl<W: Write> Escaping<W> {
    fn new(inner: W) -> Self {
        Escaping {
            inner,
            line: Vec::new(),
            json: false,
        }
    }

    fn json(inner: W) -> Self {
        Escaping {
            inner,
            line: Vec::new(),
            json: true,
        }
    }

    fn emit(&mut self) -> std::io::Result<()> {
        let text = String::from_utf8_lossy(&self.line).into_owned();
        let shown = if self.json {
            linkallow::error::escape_invisible_json(&text)
        } else {
            linkallow::error::escape_invisible(&text)
        };
        self.inner.write_all(shown.as_bytes())?;
        self.line.clear();
        Ok(())
    }
}

impl<W: Write> Write for Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            self.line.push(b);
            if b == b'\n' {
                self.emit()?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.line.is_empty() {
            self.emit()?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for Escaping<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

const DEFAULT_SERIES: &str = "legacy-linkname";

#[derive(clap::Args)]
struct SeriesArgs {
    /// Also take out annotations of symbols and modules the allowlist no longer lists, as a
    /// removal change of its own (before the others); `[[removed]]` notes give its reasons.
    #[arg(long)]
    prune: bool,
    /// Series name: each stage's Change-Id derives from it, so the same name updates the same CLs.
    #[arg(long, default_value = DEFAULT_SERIES)]
    series: String,
    /// `Name <email>` of the author. Default: git config user.name and user.email.
    #[arg(long)]
    author: Option<String>,
}

#[derive(Subcommand)]
enum DependentsCommand {
    /// Write counts from a CSV (`module,dependents`) or JSON file into the allowlist.
    Import {
        /// CSV `module,dependents` (a header line, quotes and `>=50000` tiers allowed) or JSON
        /// `{"module": count}` / `[{"module": ..., "dependents": ...}]`.
        file: PathBuf,
    },
    /// Count each module's direct+indirect dependents from a corpus's go.mod files (a module
    /// cache or folders of module roots) and write CSV `module,dependents`.
    Count {
        /// Module caches, module roots, or folders holding them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output file (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Keep only the modules these scan files (JSON Lines) name: the counts `report` and
        /// `adopt` take.
        #[arg(long)]
        scan: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    edit::guard_interrupts();
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::from(exit::OK);
            }
            // A tool reading --json gets the error in the same form.
            if matches!(cli.command, Command::Check { json: true }) {
                let json = serde_json::json!({ "error": format!("{err:#}") }).to_string();
                println!("{}", linkallow::error::escape_invisible_json(&json));
            }
            say!("linkallow: {err:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}

/// Where the tree came from, for the summary line.
fn goroot_source(cli: &Cli) -> &'static str {
    if cli.goroot.is_some() {
        "--goroot"
    } else if std::env::var_os("GOROOT").is_some_and(|d| !d.is_empty()) {
        "$GOROOT"
    } else {
        "go env GOROOT"
    }
}

fn goroot(cli: &Cli) -> Result<PathBuf> {
    if let Some(dir) = &cli.goroot {
        return Ok(dir.clone());
    }
    if let Some(dir) = std::env::var_os("GOROOT").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let out = std::process::Command::new("go")
        .args(["env", "GOROOT"])
        .output()
        .context("no --goroot, no $GOROOT, and `go env GOROOT` could not run")?;
    anyhow::ensure!(
        out.status.success(),
        "`go env GOROOT` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(PathBuf::from(String::from_utf8(out.stdout)?.trim()))
}

/// `Name <email>` from git config (user.name, user.email), as git commit would sign.
fn git_identity() -> Option<String> {
    let config = git2::Config::open_default().ok()?;
    let name = config.get_string("user.name").ok()?;
    let email = config.get_string("user.email").ok()?;
    Some(format!("{name} <{email}>"))
}

/// The allowlist shipped with linkallow (extracted from the release its header names): what
/// `check` uses when no allowlist.toml is at hand.
const BUILT_IN_ALLOWLIST: &str = include_str!("../allowlist.toml");

/// Where the allowlist was found: a file, or the one built into linkallow.
enum AllowlistSource {
    File(PathBuf),
    BuiltIn,
}

/// Finds the allowlist: `--allowlist` when that file exists (or was given), else
/// `allowlist.toml` at the tree's root (a GOROOT's parent, or a module), else the built-in one,
/// saying which when it is not the plain `./allowlist.toml`. `root` is the tree's root, when a
/// tree is at hand.
fn find_allowlist(cli: &Cli, root: Option<&std::path::Path>) -> AllowlistSource {
    let given = &cli.allowlist;
    if given.exists() || given != std::path::Path::new("allowlist.toml") {
        return AllowlistSource::File(given.clone());
    }
    if let Some(root) = root {
        let beside = root.join("allowlist.toml");
        if beside.exists() {
            say!("linkallow: using {}", beside.display());
            return AllowlistSource::File(beside);
        }
    }
    AllowlistSource::BuiltIn
}

/// The root `allowlist.toml` is looked for in: a GOROOT's parent, or the module itself.
fn tree_root(tree: &Tree) -> PathBuf {
    if tree.is_goroot() {
        tree.base.parent().unwrap_or(&tree.base).to_path_buf()
    } else {
        tree.base.clone()
    }
}

/// The built-in allowlist, saying so (and where no file was found).
fn built_in_allowlist(root: Option<&std::path::Path>) -> Result<allowlist::Allowlist> {
    let list = allowlist::read::parse("<built-in allowlist.toml>", BUILT_IN_ALLOWLIST)?;
    let place = match root {
        Some(root) => format!("here or in {}", root.display()),
        None => "here".to_string(),
    };
    say!(
        "linkallow: no allowlist.toml {place}; using the one built into linkallow ({}); pass --allowlist FILE for another",
        list.source.as_deref().unwrap_or("shipped")
    );
    Ok(list)
}

/// The allowlist for a command that reads it (see [`find_allowlist`]).
fn load_allowlist(cli: &Cli, tree: &Tree) -> Result<allowlist::Allowlist> {
    let root = tree_root(tree);
    match find_allowlist(cli, Some(&root)) {
        AllowlistSource::File(path) => Ok(allowlist::read::load(&path.to_string_lossy())?),
        AllowlistSource::BuiltIn => built_in_allowlist(Some(&root)),
    }
}

/// The tree's root for `report`, which needs no tree: only when one is named (`--goroot`,
/// `$GOROOT`) and opens; a report never fails for want of a tree.
fn report_tree_root(cli: &Cli) -> Option<PathBuf> {
    let named = cli.goroot.clone().or_else(|| {
        std::env::var_os("GOROOT")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
    })?;
    Tree::open(&named).ok().map(|t| tree_root(&t))
}

/// Opens the tree; from then on messages name its files from the root the user gave
/// (`src/runtime/proc.go` for a GOROOT), as the diffs do.
fn open_tree(dir: &std::path::Path) -> Result<Tree> {
    let tree = Tree::open(dir)?;
    // The tree's files are named from the folder the user gave (canonical too, for the paths
    // of writes, which are resolved).
    if tree.is_goroot() {
        let root = tree.base.parent().unwrap_or(&tree.base);
        linkallow::error::name_tree_files_from(&tree.base, "src/", root);
    } else {
        linkallow::error::name_tree_files_from(&tree.base, "", &tree.base);
    }
    Ok(tree)
}

fn run(cli: &Cli) -> Result<u8> {
    match &cli.command {
        Command::Dependents {
            action: DependentsCommand::Import { file },
        } => return import_dependents(cli, file),
        Command::Dependents {
            action:
                DependentsCommand::Count {
                    paths,
                    output,
                    scan,
                },
        } => {
            let mut out = Escaping::new(std::io::stdout().lock());
            let code = linkallow::survey::count_command(
                paths,
                output.as_deref(),
                scan,
                &mut out,
                &mut Escaping::new(std::io::stderr()),
            )?;
            out.flush()?;
            return Ok(code);
        }
        Command::Report {
            scans,
            out,
            dependents,
        } => {
            let root = report_tree_root(cli);
            // A report only reads the allowlist, so the built-in one will do.
            let list = match find_allowlist(cli, root.as_deref()) {
                AllowlistSource::File(path) => allowlist::read::load(&path.to_string_lossy())?,
                AllowlistSource::BuiltIn => built_in_allowlist(root.as_deref())?,
            };
            return linkallow::survey::report_command(
                scans,
                out,
                &list,
                dependents.as_deref(),
                &mut Escaping::new(std::io::stderr()),
            );
        }
        Command::Adopt {
            scans,
            min_dependents,
            dependents,
            dry_run,
        } => {
            let goroot = goroot(cli)?;
            // adopt writes the allowlist: never the built-in one, nor a file the user did not name
            // or keep beside the tree. The tree is opened here only to look beside it: its errors
            // come after the records' otherwise.
            let list_path = match find_allowlist(cli, None) {
                AllowlistSource::File(path) => path,
                AllowlistSource::BuiltIn => {
                    let root = tree_root(&Tree::open(&goroot)?);
                    match find_allowlist(cli, Some(&root)) {
                        AllowlistSource::File(path) => path,
                        AllowlistSource::BuiltIn => anyhow::bail!(
                            "no allowlist.toml here or in {}; adopt writes the allowlist and will not write the one built into linkallow: pass --allowlist FILE (the repository's allowlist.toml, or one `extract -o FILE` writes from an annotated tree)",
                            root.display()
                        ),
                    }
                }
            };
            let opts = linkallow::survey::AdoptOptions {
                scans,
                goroot: &goroot,
                allowlist: &list_path,
                dependents: dependents.as_deref(),
                min_dependents: *min_dependents,
                dry_run: *dry_run,
            };
            let mut out = std::io::stdout().lock();
            let code = linkallow::survey::adopt_command(
                &opts,
                &mut out,
                &mut Escaping::new(std::io::stderr()),
            )?;
            out.flush()?;
            return Ok(code);
        }
        Command::Recover { folders } => return recover(cli, folders),
        Command::Patches {
            out,
            from_stripped,
            series,
            date,
        } => return write_patches(cli, out, *from_stripped, series, date.as_deref()),
        Command::Commit {
            repo,
            branch,
            force,
            series,
        } => return commit_series(cli, repo, branch, *force, series),
        Command::Scan {
            paths,
            against,
            json,
            goos,
            goarch,
            merge,
            tests,
        } => {
            let opts = linkallow::scan::command::ScanOptions {
                paths: paths.clone(),
                against: against.clone(),
                json: *json,
                goos: goos.clone(),
                goarch: goarch.clone(),
                merge: *merge,
                tests: *tests,
            };
            let stdout = std::io::BufWriter::new(std::io::stdout().lock());
            let mut out = if *json {
                Escaping::json(stdout)
            } else {
                Escaping::new(stdout)
            };
            let code = linkallow::scan::command::run(
                &opts,
                &mut out,
                &mut Escaping::new(std::io::stderr()),
            )?;
            out.flush()?;
            return Ok(code);
        }
        _ => {}
    }
    let tree = open_tree(&goroot(cli)?)?;
    // A writing run holds the tree from the first read to the last write.
    let writes = matches!(
        cli.command,
        Command::Apply { write: true, .. } | Command::Strip { write: true }
    );
    let lock = writes
        .then(|| edit::DirLock::acquire(&tree.base))
        .transpose()?;
    if !writes {
        refuse_half_written(&tree.base)?;
    }
    // Runs that may write keep syntax trees for incremental parses of their edits.
    let index = if matches!(cli.command, Command::Apply { .. } | Command::Strip { .. }) {
        TreeIndex::build(&tree)?
    } else {
        TreeIndex::build_to_read(&tree)?
    };
    // One locator per run: extract, check and apply read each package directory once.
    let mut locator = Locator::new(&tree, &index);
    let mut stdout = std::io::stdout().lock();
    match &cli.command {
        Command::Extract { output } => {
            let got = extract::extract(&index, &mut locator)?;
            for w in &got.warnings {
                say!("linkallow: warning: {w}");
            }
            let mut list = got.list;
            // Rewriting an allowlist keeps what only the allowlist knows. The bytes read are
            // the base of the write: a save in between fails it instead of being lost.
            let previous_doc = match output.as_ref().filter(|p| p.exists()) {
                Some(path) => {
                    let loaded = linkallow::readfile::regular_string(path)
                        .map_err(|e| linkallow::error::Error::io(path, e).into())
                        .and_then(|text| {
                            let shown = path.to_string_lossy();
                            let list = allowlist::read::parse(&shown, &text)?;
                            let doc = allowlist::patch::AllowlistDoc::parse(&shown, &text)?;
                            anyhow::Ok((doc, list))
                        });
                    let (doc, previous) = loaded.with_context(|| {
                        format!(
                            "{} exists and does not load; extract would lose what it holds (counts, notes, order): fix it or write elsewhere",
                            path.display()
                        )
                    })?;
                    list.keep_from(&previous);
                    Some(doc)
                }
                None => None,
            };
            let version = tree.version.clone().unwrap_or_else(|| tree.module.clone());
            list.source = Some(format!("extracted by linkallow from {version}"));
            let header = format!(
                "# Legacy //go:linkname pushes: which standard-library symbols are pulled by which modules.\n\
                 # Generated by `linkallow extract` from {version}; see README.md for the fields.\n\n"
            );
            let mut text = allowlist::write::to_toml(&list, &header);
            // ... and its comments: the header, and those of the entries that remain.
            if let Some(previous) = &previous_doc {
                text = allowlist::write::keep_comments(&text, previous);
            }
            let (prose, regions) = list.irregular_counts();
            let sites: usize = list.symbols.iter().map(|s| s.sites.len()).sum();
            say!(
                "linkallow: {}, {}, {}; {} prose as text, {} carried as source",
                plural(list.symbols.len(), "symbol", "symbols"),
                plural(sites, "doc site", "doc sites"),
                plural(distinct_modules(&list), "module", "modules"),
                plural(prose, "entry carries", "entries carry"),
                plural(regions, "region", "regions"),
            );
            match output {
                Some(path) => {
                    edit::replace_file(path, previous_doc.as_ref().map(|d| d.source_text()), &text)?
                }
                None => stdout.write_all(text.as_bytes())?,
            }
            Ok(exit::OK)
        }
        Command::Apply {
            prune,
            skip_missing,
            ..
        } => {
            let list = load_allowlist(cli, &tree)?;
            check_region_files(&tree, &list)?;
            let options = plan::ApplyOptions {
                prune: *prune,
                skip_missing: *skip_missing,
            };
            for w in list.dropped_names() {
                say!("linkallow: warning: {w}");
            }
            let plan = plan::apply(&index, &list, options, &mut locator)?;
            for p in &plan.skipped {
                say!("linkallow: skipped {}: {}", p.pos, p.message);
            }
            finish(&tree, &plan, lock.as_ref(), &mut stdout)
        }
        Command::Strip { .. } => {
            let plan = plan::strip(&index)?;
            finish(&tree, &plan, lock.as_ref(), &mut stdout)
        }
        Command::Check { json } => {
            let list_dir = cli.allowlist.parent().filter(|d| !d.as_os_str().is_empty());
            refuse_half_written(list_dir.unwrap_or(std::path::Path::new(".")))?;
            let list = load_allowlist(cli, &tree)?;
            check_region_files(&tree, &list)?;
            let findings = check::check(&index, &list, &mut locator)?;
            for w in list.dropped_names() {
                say!("linkallow: warning: {w}");
            }
            if *json {
                // The same paths as the text and the diffs: relative to the root given.
                let shown: Vec<linkallow::diag::Diagnostic> = findings
                    .iter()
                    .map(|f| {
                        let mut f = f.clone();
                        f.pos.file = linkallow::error::display_path(&f.pos.file).into_owned();
                        f
                    })
                    .collect();
                let json = check::to_json(&shown);
                stdout.write_all(linkallow::error::escape_invisible_json(&json).as_bytes())?;
            } else {
                for f in &findings {
                    let line = format!("{}: {}", f.pos, f.message);
                    writeln!(stdout, "{}", linkallow::error::escape_invisible(&line))?;
                }
                let tree_name = tree.version.clone().unwrap_or_else(|| tree.module.clone());
                let root = if tree.is_goroot() {
                    tree.base.parent().unwrap_or(&tree.base)
                } else {
                    &tree.base
                };
                let from = format!(
                    "{tree_name} at {} (from {})",
                    root.display(),
                    goroot_source(cli)
                );
                if findings.is_empty() {
                    say!(
                        "linkallow: tree and allowlist agree ({}; {from})",
                        plural(list.symbols.len(), "symbol", "symbols")
                    );
                } else {
                    say!(
                        "linkallow: {} ({from})",
                        plural(findings.len(), "disagreement", "disagreements")
                    );
                }
            }
            Ok(if findings.is_empty() {
                exit::OK
            } else {
                exit::DRIFT
            })
        }
        Command::Patches { .. }
        | Command::Commit { .. }
        | Command::Dependents { .. }
        | Command::Adopt { .. }
        | Command::Report { .. }
        | Command::Recover { .. }
        | Command::Scan { .. } => {
            unreachable!("handled above")
        }
    }
}

/// A run that only reads refuses a folder where a killed run's write is half-done.
fn refuse_half_written(dir: &std::path::Path) -> Result<()> {
    if let Some(journal) = edit::pending_journals(dir).first() {
        anyhow::bail!(
            "{}: a linkallow write is half-done here (its journal is {}): a run is still writing, or was killed; once none runs, `linkallow recover` (or any --write) finishes or rolls it back",
            dir.display(),
            journal.display()
        );
    }
    Ok(())
}

fn recover(cli: &Cli, folders: &[PathBuf]) -> Result<u8> {
    let mut folders = folders.to_vec();
    if folders.is_empty() {
        folders.push(open_tree(&goroot(cli)?)?.base);
        let list_dir = cli.allowlist.parent().filter(|d| !d.as_os_str().is_empty());
        folders.push(list_dir.unwrap_or(std::path::Path::new(".")).to_path_buf());
    }
    for dir in &folders {
        if edit::recover(dir)?.is_empty() {
            say!("linkallow: {}: nothing to recover", dir.display());
        }
    }
    Ok(exit::OK)
}

fn import_dependents(cli: &Cli, file: &std::path::Path) -> Result<u8> {
    let list_path = cli.allowlist.to_string_lossy().to_string();
    let list_text =
        linkallow::readfile::read_text(&cli.allowlist, "an allowlist is UTF-8, as TOML is")?;
    let list = allowlist::read::parse(&list_path, &list_text)?;
    let file_name = file.to_string_lossy().to_string();
    let text = linkallow::readfile::read_text(file, "a counts file is UTF-8")?;
    let counts = allowlist::counts::read(&file_name, &text)?;
    let (new_text, got) = allowlist::patch::import(&list_path, &list_text, &list, &counts)?;
    if new_text != list_text {
        // The base is the text parsed: a save since then fails the write, not lost under it.
        edit::replace_file(&cli.allowlist, Some(&list_text), &new_text)?;
    }
    if counts.is_empty() {
        say!("linkallow: warning: {file_name} holds no counts; {list_path} is unchanged");
    }
    let without = match got.without_count {
        1 => "1 module without a count goes".to_string(),
        n => format!("{n} modules without a count go"),
    };
    say!(
        "linkallow: {list_path}: {} added, {} updated, {} unchanged; {without} in the final round",
        plural(got.added, "count", "counts"),
        got.updated,
        got.unchanged,
    );
    Ok(exit::OK)
}

/// Each step with its message, in order.
fn messages(
    cli: &Cli,
    tree: &Tree,
    list: &allowlist::Allowlist,
    steps: &[series::Step],
    series_name: &str,
) -> Result<Vec<message::CommitMessage>> {
    let list_name = cli.allowlist.file_name().map_or_else(
        || "allowlist.toml".into(),
        |n| n.to_string_lossy().to_string(),
    );
    for (symbol, _) in steps.iter().flat_map(|s| &s.removed) {
        if !list.removed.iter().any(|n| &n.symbol == symbol) {
            say!(
                "linkallow: warning: {symbol}: removed without a [[removed]] note in {list_name}; the CL body will say no reason is recorded"
            );
        }
    }
    let msgs: Vec<message::CommitMessage> = steps
        .iter()
        .map(|s| message::compose(tree, s, series_name, list, &list_name))
        .collect();
    // Text from the tree and the allowlist reaches the messages: nothing may break them.
    for (step, msg) in steps.iter().zip(&msgs) {
        if let Some(why) = msg.refusal() {
            anyhow::bail!(
                "the {} change's commit message cannot be written: {why}; nothing was written",
                step.kind.key()
            );
        }
    }
    Ok(msgs)
}

/// Gerrit will not take the Change-Id of a merged CL again: a tier stage regenerated on a tree
/// that is already annotated under the default series name may collide with the earlier round.
fn warn_reused_series(series: &series::Series, args: &SeriesArgs) {
    let adds = series.steps.iter().any(|s| {
        matches!(
            s.kind,
            series::StageKind::Tier(_) | series::StageKind::Final
        )
    });
    if adds && args.series == DEFAULT_SERIES && series.annotated {
        say!(
            "linkallow: warning: the tree is already annotated, so an earlier round of series {DEFAULT_SERIES} may be merged, and Gerrit refuses a merged CL's Change-Id; pass --series NAME (e.g. {DEFAULT_SERIES}-2) to start a new round"
        );
    }
}

fn describe_step(step: &series::Step) -> String {
    let stage = match step.kind {
        series::StageKind::Removal => "removal".to_string(),
        series::StageKind::Update => "update".to_string(),
        series::StageKind::Tier(t) => format!("≥{}", series::thousands(t)),
        series::StageKind::Final => "final round".to_string(),
    };
    let count = linkallow::error::plural;
    format!(
        "{stage}: {} first documented, {} added, {}",
        count(step.new_symbols.len(), "symbol", "symbols"),
        count(step.new_modules.len(), "module", "modules"),
        count(step.changes.len(), "file", "files"),
    )
}

fn write_patches(
    cli: &Cli,
    out: &std::path::Path,
    from_stripped: bool,
    args: &SeriesArgs,
    date: Option<&str>,
) -> Result<u8> {
    let tree = open_tree(&goroot(cli)?)?;
    refuse_half_written(&tree.base)?;
    let list = load_allowlist(cli, &tree)?;
    // The author goes into every file: --author, else the maintainer's git identity.
    let author = match &args.author {
        Some(a) => a.clone(),
        None => git_identity().context(
            "no author for the patches: pass --author \"Name <email>\" or set git config user.name and user.email",
        )?,
    };
    let (name, email) = mbox::parse_ident(&author).with_context(|| {
        if args.author.is_some() {
            "--author"
        } else {
            "the author from git config user.name and user.email"
        }
    })?;
    mbox::refuse_controls("series name", &args.series)?;
    let date = match date {
        Some(d) => Some(d.to_string()),
        None => tree
            .version_time
            .clone()
            .or_else(|| std::env::var("SOURCE_DATE_EPOCH").ok()),
    };
    let date = match date {
        Some(d) => mbox::Timestamp::parse(&d).map_err(|why| {
            anyhow::anyhow!(
                "date {d:?}: {why}; expected a real UTC date (2026-08-28T16:20:06Z), one with an offset (2026-08-28T18:20:06+02:00, 2026-08-28T08:20:06-0800) or Unix seconds, from 1970 to 2099 as git am takes them"
            )
        })?,
        None => mbox::Timestamp::utc(0),
    };
    let envelope = mbox::Envelope { name, email, date };
    let series = series::plan_series(&tree, &list, from_stripped, args.prune)?;
    if !from_stripped {
        warn_reused_series(&series, args);
    }
    let steps = &series.steps;
    let msgs = messages(cli, &tree, &list, steps, &args.series)?;
    let mut files = Vec::new();
    for (i, (step, msg)) in steps.iter().zip(&msgs).enumerate() {
        let name = mbox::file_name(i + 1, &msg.subject);
        let text = mbox::format_patch(&tree, &step.changes, msg, i + 1, steps.len(), &envelope);
        files.push((name, text, describe_step(step)));
    }
    // Everything is computed; the directory's numbered patches are replaced as one transaction.
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let lock = edit::DirLock::acquire(out)?;
    let mut writes = Vec::new();
    let mut earlier: Vec<String> = Vec::new();
    // Only this series' own patches are replaced or deleted: a numbered patch without one of its
    // Change-Ids is someone else's, named and left alone.
    let mut foreign: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(out).with_context(|| format!("reading {}", out.display()))? {
        let name = entry?.file_name();
        let Some(name) = name.to_str() else { continue };
        let numbered = name.len() > 5
            && name.as_bytes()[..4].iter().all(u8::is_ascii_digit)
            && name.ends_with(".patch");
        if numbered {
            names.push(name.to_string());
        }
    }
    names.sort();
    for name in names {
        let path = out.join(&name);
        let bytes = linkallow::readfile::regular(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let ours = std::str::from_utf8(&bytes)
            .ok()
            .filter(|text| message::of_series(text, &args.series, &list));
        let Some(old) = ours else {
            if files.iter().any(|(n, _, _)| *n == name) {
                anyhow::bail!(
                    "{}: exists and is not a patch of series {}; linkallow would overwrite it: move it away, or write the series to another --out",
                    path.display(),
                    args.series
                );
            }
            foreign.push(path.display().to_string());
            continue;
        };
        if !files.iter().any(|(n, _, _)| *n == name) {
            if let Some(id) = message::change_id_in(old) {
                earlier.push(id.to_string());
            }
            writes.push(edit::FileWrite {
                path,
                old: Some(old.to_string()),
                new: None,
            });
        }
    }
    for (name, text, _) in &files {
        let path = out.join(name);
        let old = linkallow::readfile::regular_string(&path).ok();
        if old.as_deref() != Some(text.as_str()) {
            writes.push(edit::FileWrite {
                path,
                old,
                new: Some(text.clone()),
            });
        }
    }
    edit::commit(&writes, &lock, &mut |_| Ok(()))?;
    for path in &foreign {
        say!(
            "linkallow: warning: {path}: not a patch of series {}; left in place (git am *.patch would apply it too)",
            args.series
        );
    }
    for w in message::orphaned_change_ids(&earlier, &msgs, &args.series, &list) {
        say!("linkallow: {w}");
    }
    for (name, _, summary) in &files {
        say!("linkallow: {}: {summary}", out.join(name).display());
    }
    let unlisted = if args.prune {
        Vec::new()
    } else {
        series.unlisted
    };
    if !unlisted.is_empty() {
        say!(
            "linkallow: the tree still annotates {} the allowlist no longer lists ({}); --prune makes their removal CL",
            linkallow::error::plural(unlisted.len(), "symbol", "symbols"),
            unlisted.join(", ")
        );
    } else if files.is_empty() {
        say!("linkallow: tree and allowlist agree; no patches");
    }
    Ok(exit::OK)
}

fn commit_series(
    cli: &Cli,
    repo_dir: &std::path::Path,
    branch: &str,
    force: bool,
    args: &SeriesArgs,
) -> Result<u8> {
    let target = commit::Target {
        repo: repo_dir,
        branch,
        force,
        author: args.author.as_deref(),
    };
    // Refuse before the (slower) planning: nothing is touched on refusal.
    mbox::refuse_controls("series name", &args.series)?;
    let repo = commit::open_checked(&target)?;
    let tree = open_tree(cli.goroot.as_deref().unwrap_or(repo_dir))?;
    let list = load_allowlist(cli, &tree)?;
    // The commits are planned on HEAD's files, not on what the work tree holds.
    let tree = commit::head_view(&repo, &tree)?;
    let series = series::plan_series(&tree, &list, false, args.prune)?;
    warn_reused_series(&series, args);
    let steps = series.steps;
    let msgs = messages(cli, &tree, &list, &steps, &args.series)?;
    let earlier = commit::branch_change_ids(&repo, branch);
    let ids = commit::commit_series(&repo, &tree, &target, &steps, &msgs)?;
    for w in message::orphaned_change_ids(&earlier, &msgs, &args.series, &list) {
        say!("linkallow: {w}");
    }
    let mut stdout = std::io::stdout().lock();
    for ((id, msg), step) in ids.iter().zip(&msgs).zip(&steps) {
        writeln!(
            stdout,
            "{} {} ({})",
            &id.to_string()[..12],
            msg.subject,
            describe_step(step)
        )?;
    }
    say!(
        "linkallow: branch {branch}: {} on HEAD; `git checkout {branch}` to review and mail",
        plural(ids.len(), "commit", "commits")
    );
    Ok(exit::OK)
}

use linkallow::error::plural;

/// A region whose file is a folder (or anything but a file) in the tree cannot be written or
/// read: say so at the region's allowlist line rather than planning to create it.
fn check_region_files(tree: &Tree, list: &allowlist::Allowlist) -> Result<()> {
    for region in &list.regions {
        let path = tree.path(&region.file);
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_file() {
            let what = if meta.is_dir() {
                "a folder"
            } else if meta.file_type().is_symlink() {
                "a symlink"
            } else {
                "not a regular file"
            };
            return Err(linkallow::error::Error::Allowlist {
                pos: region.pos.clone(),
                message: format!(
                    "region file {} is {what} in the tree, not a Go file",
                    linkallow::error::display_path(&region.file)
                ),
            }
            .into());
        }
    }
    Ok(())
}

fn distinct_modules(list: &allowlist::Allowlist) -> usize {
    let mut all: Vec<&str> = list
        .symbols
        .iter()
        .flat_map(|s| s.modules.iter().map(|m| allowlist::module_path(m)))
        .collect();
    all.sort();
    all.dedup();
    all.len()
}

/// Writes the plan when the run holds the tree's lock (`--write`), else prints its diff.
fn finish(
    tree: &Tree,
    plan: &plan::Plan,
    lock: Option<&edit::DirLock>,
    out: &mut impl Write,
) -> Result<u8> {
    if let Some(lock) = lock {
        edit::write(&tree.base, &plan.changes, lock)?;
        say!("linkallow: wrote {}", plan::summary(plan));
    } else {
        out.write_all(edit::unified_diff(&plan.changes, &tree.diff_paths()).as_bytes())?;
        say!("linkallow: would change {}", plan::summary(plan));
    }
    Ok(exit::OK)
}
