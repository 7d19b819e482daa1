//! `report`: a static site from scan records. `index.html` holds the heap map (an inline SVG
//! treemap, package → symbol, area by modules, coloured by verdict per release with a CSS-only
//! release switch) and sortable tables; `linkname{N}.html` lists the pulls of each dependents
//! tier; `symbols.html` has an anchor per symbol. No network, no clock: same input, same bytes.

use super::treemap::{Rect, squarify};
use crate::allowlist::{self, Allowlist, Dependents};
use crate::error::plural;
use crate::go::constraint::release_of;
use crate::go::name::package_of;
use crate::linker::verdict::{Cause, Link};
use crate::scan::PullRecord;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write;
use std::rc::Rc;

/// What a pull's verdict is drawn as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Shade {
    None,
    Inactive,
    Ignored,
    Ok,
    Undefined,
    Rejected,
    Blocked,
}

impl Shade {
    const ALL: [Shade; 7] = [
        Shade::Ok,
        Shade::Rejected,
        Shade::Undefined,
        Shade::Blocked,
        Shade::Ignored,
        Shade::Inactive,
        Shade::None,
    ];
    /// From the cause; a record without one (an older linkallow) is read from its reason.
    fn of(link: Link, cause: Option<Cause>, reason: &str) -> Shade {
        match link {
            Link::Rejected if cause == Some(Cause::Blocked) => Shade::Blocked,
            Link::Rejected if cause.is_none() && reason.contains("blockedLinknames") => {
                Shade::Blocked
            }
            Link::Rejected => Shade::Rejected,
            Link::Undefined => Shade::Undefined,
            Link::Ok => Shade::Ok,
            Link::Ignored => Shade::Ignored,
            Link::Inactive => Shade::Inactive,
            // Only module pulls, which the report does not read (`read_scans`).
            Link::Unknown => Shade::None,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Shade::Ok => "ok",
            Shade::Rejected => "rejected",
            Shade::Undefined => "undefined",
            Shade::Blocked => "blocked",
            Shade::Ignored => "ignored",
            Shade::Inactive => "inactive",
            Shade::None => "none",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Shade::Ok => "links (pushed, or no check)",
            Shade::Rejected => "rejected: not pushed",
            Shade::Undefined => "undefined",
            Shade::Blocked => "blocked by the linker",
            Shade::Ignored => "type or const (never linked)",
            Shade::Inactive => "file not built",
            Shade::None => "no verdict",
        }
    }
    fn colour(self) -> &'static str {
        match self {
            Shade::Ok => "#3b8c5a",
            Shade::Rejected => "#c8374a",
            Shade::Undefined => "#e0a030",
            Shade::Blocked => "#6a3d9a",
            Shade::Ignored => "#8d99a6",
            Shade::Inactive => "#c4cbd3",
            Shade::None => "#e5e7ea",
        }
    }
}

/// A package in the heap map: its symbols with their module counts, and their total.
type PackageArea<'a> = (&'a str, Vec<(&'a str, usize)>, usize);

/// One verdict of a pull, as drawn.
struct PullVerdict {
    /// Index into [`Survey::releases`] (in the order they were met).
    release: usize,
    link: Link,
    shade: Shade,
    reason: Rc<str>,
}

/// One pull as the pages need it. Texts that repeat (modules, versions, files, reasons) are
/// kept once and shared, so a big shard costs a few words a pull, not its JSON.
struct Pull {
    module: Rc<str>,
    /// The version as shown (`—` for none).
    version: Rc<str>,
    file: Rc<str>,
    line: usize,
    /// The kind as shown, with ` (test)` and ` (defines)`.
    kind: Rc<str>,
    test: bool,
    /// A pull of a standard-library symbol (see [`std_pull`]).
    std: bool,
    verdicts: Box<[PullVerdict]>,
}

#[derive(Default)]
struct SymbolInfo {
    pulls: Vec<Pull>,
    modules: BTreeSet<Rc<str>>,
    /// The modules with a standard-library pull of the symbol: what the heap map and the
    /// counts of `index.html` are made of.
    std_modules: BTreeSet<Rc<str>>,
    /// Per module, the first pull the allowlist would need (index into `pulls`).
    first_needed: BTreeMap<Rc<str>, usize>,
    /// Per release (in `Ctx::releases` order), the verdict that matters most among its pulls.
    shade: Vec<Shade>,
}

impl SymbolInfo {
    fn is_std(&self) -> bool {
        !self.std_modules.is_empty()
    }
}

/// Whether a record pulls a standard-library symbol, for the heap map and the counts: not when
/// the symbol's package is not the standard library's (its first path element has a dot), nor
/// when every verdict's cause says the reference stays in the pulling module
/// (`own-definition`, `module`, `same-package`, `asm-named-for-package`, `no-package`). Every other cause
/// is a std pull, `not-built`, `unreferenced` and the definitions included: they name a std
/// symbol, only the build differs. A record without causes (an older linkallow) or with a cause
/// this linkallow does not know is a std pull, as it always was.
fn std_pull(r: &PullRecord) -> bool {
    let package = package_of(&r.symbol).unwrap_or(&r.symbol);
    if !crate::go::name::is_std(package) {
        return false;
    }
    let stays_in_module = |c: Cause| {
        matches!(
            c,
            Cause::OwnDefinition
                | Cause::Module
                | Cause::SamePackage
                | Cause::AsmNamedForPackage
                | Cause::NoPackage
        )
    };
    match &r.verdicts {
        Some(v) if !v.is_empty() => !v.values().all(|v| v.cause.is_some_and(stays_in_module)),
        _ => true,
    }
}

/// Texts kept once.
#[derive(Default)]
struct Interned(HashSet<Rc<str>>);

impl Interned {
    fn get(&mut self, s: &str) -> Rc<str> {
        if let Some(r) = self.0.get(s) {
            return r.clone();
        }
        let r: Rc<str> = s.into();
        self.0.insert(r.clone());
        r
    }
}

/// What the pages are made from, gathered one record at a time (`report` streams its shards
/// through [`Survey::add`]): per symbol its pulls in a compact form, per release its name.
#[derive(Default)]
pub struct Survey {
    releases: Vec<String>,
    release_ids: HashMap<String, usize>,
    symbols: BTreeMap<String, SymbolInfo>,
    texts: Interned,
    records: usize,
}

impl Survey {
    pub fn add(&mut self, r: &PullRecord) {
        self.records += 1;
        let std = std_pull(r);
        let needed = std
            && !r.test
            && super::records::counts_for_allowlist(r)
            && !matches!(r.kind.as_str(), "type" | "const");
        let mut verdicts = Vec::new();
        for (rel, v) in r.verdicts.iter().flatten() {
            let next = self.releases.len();
            let release = *self.release_ids.entry(rel.clone()).or_insert(next);
            if release == next {
                self.releases.push(rel.clone());
            }
            verdicts.push(PullVerdict {
                release,
                link: v.link,
                shade: Shade::of(v.link, v.cause, &v.reason),
                reason: self.texts.get(&v.reason),
            });
        }
        let mut kind = r.kind.clone();
        if r.test {
            kind.push_str(" (test)");
        }
        if r.defines {
            kind.push_str(" (defines)");
        }
        let module = self.texts.get(&r.module);
        let pull = Pull {
            module: module.clone(),
            version: self.texts.get(r.version.as_deref().unwrap_or("—")),
            file: self.texts.get(&r.file),
            line: r.line,
            kind: self.texts.get(&kind),
            test: r.test,
            std,
            verdicts: verdicts.into_boxed_slice(),
        };
        let s = match self.symbols.get_mut(&r.symbol) {
            Some(s) => s,
            None => self.symbols.entry(r.symbol.clone()).or_default(),
        };
        if needed && !s.first_needed.contains_key(&module) {
            s.first_needed.insert(module.clone(), s.pulls.len());
        }
        if std {
            s.std_modules.insert(module.clone());
        }
        s.modules.insert(module);
        s.pulls.push(pull);
    }

    /// The records added.
    pub fn records(&self) -> usize {
        self.records
    }

    /// Every module the records name.
    pub fn modules(&self) -> BTreeSet<String> {
        self.symbols
            .values()
            .flat_map(|s| s.modules.iter().map(|m| m.to_string()))
            .collect()
    }

    /// Builds every page. `counts` are the module dependents (a `--dependents` file over the
    /// allowlist's `[dependents]`).
    pub fn site(mut self, list: &Allowlist, counts: &BTreeMap<String, Dependents>) -> Site {
        // Releases in version order; `order[k]` is the met index of the k-th.
        let mut order: Vec<usize> = (0..self.releases.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&self.releases[a], &self.releases[b]);
            release_of(a).cmp(&release_of(b)).then(a.cmp(b))
        });
        let releases: Vec<String> = order.iter().map(|&i| self.releases[i].clone()).collect();
        for s in self.symbols.values_mut() {
            // The pool: std pulls outside tests, else std pulls, else the same without std.
            let pick = |std: bool, tests: bool| {
                let pool: Vec<&Pull> = s
                    .pulls
                    .iter()
                    .filter(|p| (!std || p.std) && (tests || !p.test))
                    .collect();
                (!pool.is_empty()).then_some(pool)
            };
            let pool = pick(true, false)
                .or_else(|| pick(true, true))
                .or_else(|| pick(false, false))
                .unwrap_or_else(|| s.pulls.iter().collect());
            let shade = order
                .iter()
                .map(|&rel| {
                    pool.iter()
                        .flat_map(|p| p.verdicts.iter())
                        .filter(|v| v.release == rel)
                        .map(|v| v.shade)
                        .max()
                        .unwrap_or(Shade::None)
                })
                .collect();
            s.shade = shade;
        }
        let ids: BTreeMap<&str, String> = self
            .symbols
            .keys()
            .enumerate()
            .map(|(i, s)| (s.as_str(), format!("s{i}-{}", slug(s))))
            .collect();
        let listed = |symbol: &str, module: &str| {
            list.symbol(symbol).is_some_and(|s| {
                s.modules
                    .iter()
                    .any(|m| allowlist::module_path(m) == module)
            })
        };
        let ctx = Ctx {
            releases: &releases,
            order: &order,
            symbols: &self.symbols,
            ids: &ids,
            counts,
            tiers: tier_pages(&list.tiers),
            listed: &listed,
        };
        let mut files = BTreeMap::new();
        files.insert("index.html".to_string(), index(&ctx));
        files.insert("symbols.html".to_string(), symbols_page(&ctx));
        let pages = ctx.tiers.clone();
        for (lo, hi) in &pages {
            let name = format!("linkname{lo}.html");
            let title = match hi {
                Some(hi) => format!(
                    "Pulls from modules with {} ≤ dependents < {}",
                    thousands(*lo),
                    thousands(*hi)
                ),
                None => format!(
                    "Pulls from modules with at least {} dependents",
                    thousands(*lo)
                ),
            };
            let keep = |m: &str| {
                counts
                    .get(m)
                    .is_some_and(|d| d.floor() >= *lo && hi.is_none_or(|h| d.floor() < h))
            };
            files.insert(name.clone(), pulls_page(&ctx, &name, &title, &keep));
        }
        let keep = |m: &str| !counts.contains_key(m);
        files.insert(
            "linkname-nocount.html".to_string(),
            pulls_page(
                &ctx,
                "linkname-nocount.html",
                "Pulls from modules without a dependents count",
                &keep,
            ),
        );
        Site { files }
    }
}

/// The pages, by file name.
pub struct Site {
    pub files: BTreeMap<String, String>,
}

/// Tier pages, largest first: (lowest dependents, next tier up). `linkname1` takes the rest.
fn tier_pages(tiers: &[u64]) -> Vec<(u64, Option<u64>)> {
    let mut t: Vec<u64> = tiers.to_vec();
    t.sort_unstable_by(|a, b| b.cmp(a));
    t.dedup();
    let mut out = Vec::new();
    let mut up = None;
    for &n in &t {
        if n > 1 {
            out.push((n, up));
            up = Some(n);
        }
    }
    out.push((1, up));
    out
}

struct Ctx<'a> {
    releases: &'a [String],
    /// `order[k]`: the index pulls know the k-th of `releases` by.
    order: &'a [usize],
    symbols: &'a BTreeMap<String, SymbolInfo>,
    ids: &'a BTreeMap<&'a str, String>,
    counts: &'a BTreeMap<String, Dependents>,
    tiers: Vec<(u64, Option<u64>)>,
    listed: &'a dyn Fn(&str, &str) -> bool,
}

impl Ctx<'_> {
    fn count_text(&self, module: &str) -> (String, u64) {
        match self.counts.get(module) {
            Some(Dependents::Count(n)) => (thousands(*n), *n),
            Some(Dependents::AtLeast(n)) => (format!("≥{}", thousands(*n)), *n),
            None => ("—".into(), 0),
        }
    }
    fn tier_page(&self, module: &str) -> String {
        let Some(d) = self.counts.get(module) else {
            return "linkname-nocount.html".into();
        };
        let lo = self
            .tiers
            .iter()
            .find(|(lo, _)| d.floor() >= *lo)
            .map_or(1, |(lo, _)| *lo);
        format!("linkname{lo}.html")
    }
    fn sym_link(&self, symbol: &str) -> String {
        format!(
            "<a href=\"symbols.html#{}\"><code>{}</code></a>",
            self.ids[symbol],
            esc(symbol)
        )
    }
}

fn verdict_cells(ctx: &Ctx, r: &Pull) -> String {
    let mut out = String::new();
    for &rel in ctx.order {
        match r.verdicts.iter().find(|v| v.release == rel) {
            Some(v) => {
                let _ = write!(
                    out,
                    "<td class=\"v {}\" title=\"{}\">{}</td>",
                    v.shade.name(),
                    esc(&v.reason),
                    v.link.as_str()
                );
            }
            None => out.push_str("<td class=\"v none\">—</td>"),
        }
    }
    out
}

fn release_heads(ctx: &Ctx) -> String {
    ctx.releases
        .iter()
        .map(|r| format!("<th>{}</th>", esc(r)))
        .collect()
}

/// The standard-library survey: only std pulls (see [`std_pull`]) count here.
fn index(ctx: &Ctx) -> String {
    let mut b = String::new();
    let std_symbols: Vec<(&String, &SymbolInfo)> =
        ctx.symbols.iter().filter(|(_, s)| s.is_std()).collect();
    let modules: BTreeSet<&str> = std_symbols
        .iter()
        .flat_map(|(_, s)| s.std_modules.iter().map(|m| &**m))
        .collect();
    let pulls: usize = std_symbols
        .iter()
        .map(|(_, s)| s.pulls.iter().filter(|p| p.std).count())
        .sum();
    let _ = writeln!(
        b,
        "<h1>Standard-library internals pulled with <code>//go:linkname</code></h1>\n<p class=\"lead\">{} of {} from {}{}.</p>",
        plural(pulls, "pull", "pulls"),
        plural(std_symbols.len(), "symbol", "symbols"),
        plural(modules.len(), "module", "modules"),
        if ctx.releases.is_empty() {
            String::new()
        } else {
            format!(", judged against {}", esc(&ctx.releases.join(", ")))
        }
    );
    b.push_str(&heap_map(ctx));

    // Symbols by modules.
    let mut order = std_symbols;
    order.sort_by(|a, b| {
        b.1.std_modules
            .len()
            .cmp(&a.1.std_modules.len())
            .then(a.0.cmp(b.0))
    });
    let _ = writeln!(
        b,
        "<h2 id=\"symbols\">Symbols by modules</h2>\n<table class=\"sortable\"><thead><tr><th>symbol</th><th>modules</th><th>dependents (sum)</th><th>allowlisted modules</th>{}</tr></thead><tbody>",
        release_heads(ctx)
    );
    for (sym, s) in &order {
        // Modules without a count add nothing; a symbol with none shows a dash.
        let known: Vec<u64> = s
            .std_modules
            .iter()
            .filter_map(|m| ctx.counts.get(&**m).map(|d| d.floor()))
            .collect();
        let deps: u64 = known.iter().sum();
        let deps_text = if known.is_empty() {
            "—".to_string()
        } else {
            thousands(deps)
        };
        let allowed = s
            .std_modules
            .iter()
            .filter(|m| (ctx.listed)(sym, m))
            .count();
        let _ = write!(
            b,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\" data-v=\"{deps}\">{deps_text}</td><td class=\"n\">{allowed}</td>",
            ctx.sym_link(sym),
            s.std_modules.len(),
        );
        for sh in &s.shade {
            let _ = write!(b, "<td class=\"v {}\">{}</td>", sh.name(), sh.name());
        }
        b.push_str("</tr>\n");
    }
    b.push_str("</tbody></table>\n");

    // Modules by pulls.
    let mut per_module: BTreeMap<&str, (BTreeSet<&str>, usize, BTreeSet<&str>)> = BTreeMap::new();
    for (sym, s) in &order {
        for p in s.pulls.iter().filter(|p| p.std) {
            let e = per_module.entry(&p.module).or_default();
            e.0.insert(&p.version);
            e.1 += 1;
            e.2.insert(sym);
        }
    }
    let mut morder: Vec<_> = per_module.iter().collect();
    morder.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(a.0.cmp(b.0)));
    b.push_str("<h2 id=\"modules\">Modules by pulls</h2>\n<table class=\"sortable\"><thead><tr><th>module</th><th>version</th><th>pulls</th><th>symbols</th><th>dependents</th><th>tier page</th></tr></thead><tbody>\n");
    for (m, (versions, pulls, syms)) in morder {
        let (text, n) = ctx.count_text(m);
        let page = ctx.tier_page(m);
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{pulls}</td><td class=\"n\">{}</td><td class=\"n\" data-v=\"{n}\">{text}</td><td><a href=\"{page}\">{page}</a></td></tr>",
            esc(m),
            esc(&versions.iter().copied().collect::<Vec<_>>().join(", ")),
            syms.len()
        );
    }
    b.push_str("</tbody></table>\n");

    // What each release rejects.
    b.push_str("<h2 id=\"rejects\">What each release rejects</h2>\n");
    for (i, rel) in ctx.releases.iter().enumerate() {
        let failing: Vec<_> = order
            .iter()
            .filter(|(_, s)| {
                matches!(
                    s.shade[i],
                    Shade::Rejected | Shade::Undefined | Shade::Blocked
                )
            })
            .collect();
        let _ = writeln!(
            b,
            "<h3>{} rejects {}</h3>\n<table class=\"sortable\"><thead><tr><th>symbol</th><th>modules</th><th>verdict</th><th>why</th></tr></thead><tbody>",
            esc(rel),
            plural(failing.len(), "symbol", "symbols")
        );
        for (sym, s) in failing {
            let reason = s
                .pulls
                .iter()
                .filter(|p| p.std)
                .flat_map(|p| p.verdicts.iter())
                .find(|v| v.release == ctx.order[i] && v.shade == s.shade[i])
                .map_or("", |v| &v.reason);
            let _ = writeln!(
                b,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"v {}\">{}</td><td>{}</td></tr>",
                ctx.sym_link(sym),
                s.std_modules.len(),
                s.shade[i].name(),
                s.shade[i].name(),
                esc(reason)
            );
        }
        b.push_str("</tbody></table>\n");
    }

    // What the allowlist does not cover.
    b.push_str("<h2 id=\"uncovered\">Pulls the allowlist does not name</h2>\n<table class=\"sortable\"><thead><tr><th>symbol</th><th>module</th><th>dependents</th><th>first pull</th></tr></thead><tbody>\n");
    for (sym, s) in &order {
        for (m, &first) in &s.first_needed {
            if (ctx.listed)(sym, m) {
                continue;
            }
            let p = &s.pulls[first];
            let (text, n) = ctx.count_text(m);
            let _ = writeln!(
                b,
                "<tr><td>{}</td><td>{}</td><td class=\"n\" data-v=\"{n}\">{text}</td><td><code>{}:{}</code></td></tr>",
                ctx.sym_link(sym),
                esc(m),
                esc(&p.file),
                p.line
            );
        }
    }
    b.push_str("</tbody></table>\n");
    page(ctx, "index.html", "linkallow survey", &b)
}

/// The heap map: packages sized by their symbols' module counts, symbols inside.
fn heap_map(ctx: &Ctx) -> String {
    const W: f64 = 1200.0;
    const H: f64 = 560.0;
    const HEAD: f64 = 16.0;
    let mut packages: BTreeMap<&str, Vec<(&str, usize)>> = BTreeMap::new();
    for (sym, s) in ctx.symbols.iter().filter(|(_, s)| s.is_std()) {
        let pkg = package_of(sym).unwrap_or(sym);
        packages
            .entry(pkg)
            .or_default()
            .push((sym, s.std_modules.len()));
    }
    let mut porder: Vec<PackageArea> = packages
        .into_iter()
        .map(|(p, mut syms)| {
            syms.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let total = syms.iter().map(|s| s.1).sum();
            (p, syms, total)
        })
        .collect();
    porder.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    let prects = squarify(
        &porder.iter().map(|p| p.2 as f64).collect::<Vec<_>>(),
        Rect {
            x: 0.0,
            y: 0.0,
            w: W,
            h: H,
        },
    );
    let mut b = String::new();
    // The switch: radio buttons the CSS reads with sibling selectors (no script).
    let last = ctx.releases.len().saturating_sub(1);
    for (i, rel) in ctx.releases.iter().enumerate() {
        let _ = write!(
            b,
            "<input type=\"radio\" name=\"release\" class=\"rel\" id=\"rel{i}\"{} aria-label=\"{}\">",
            if i == last { " checked" } else { "" },
            esc(rel)
        );
    }
    b.push_str("\n<div class=\"switch\"><span>Verdict under:</span>");
    for (i, rel) in ctx.releases.iter().enumerate() {
        let _ = write!(b, "<label for=\"rel{i}\">{}</label>", esc(rel));
    }
    b.push_str("</div>\n<div class=\"legend\">");
    for s in Shade::ALL {
        let _ = write!(
            b,
            "<span><i style=\"background:{}\"></i>{}</span>",
            s.colour(),
            s.label()
        );
    }
    b.push_str("</div>\n");
    let _ = writeln!(
        b,
        "<figure class=\"map\"><svg id=\"heap-map\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"heap map of pulled standard-library symbols\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for ((pkg, syms, total), pr) in porder.iter().zip(&prects) {
        let _ = write!(
            b,
            "<g class=\"pkg\"><rect class=\"pkgbox\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{} ({total} module pulls)</title></rect>",
            pr.x,
            pr.y,
            pr.w,
            pr.h,
            esc(pkg)
        );
        let head = if pr.h > HEAD * 2.5 && pr.w > 40.0 {
            HEAD
        } else {
            0.0
        };
        if head > 0.0 {
            let _ = write!(
                b,
                "<text class=\"pkgname\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                pr.x + 4.0,
                pr.y + 12.0,
                esc(&fit(pkg, pr.w - 8.0, 7.0))
            );
        }
        let inner = Rect {
            x: pr.x + 2.0,
            y: pr.y + head + 1.0,
            w: (pr.w - 4.0).max(0.0),
            h: (pr.h - head - 3.0).max(0.0),
        };
        let srects = squarify(&syms.iter().map(|s| s.1 as f64).collect::<Vec<_>>(), inner);
        for ((sym, n), r) in syms.iter().zip(&srects) {
            let info = &ctx.symbols[*sym];
            let mut data = String::new();
            for (i, sh) in info.shade.iter().enumerate() {
                let _ = write!(data, " data-r{i}=\"{}\"", sh.name());
            }
            let short = &sym[pkg.len().min(sym.len())..].trim_start_matches('.');
            let _ = write!(
                b,
                "<a href=\"symbols.html#{}\"><rect class=\"sym\"{data} x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{} — {}</title></rect>",
                ctx.ids[sym],
                r.x + 1.0,
                r.y + 1.0,
                (r.w - 2.0).max(0.0),
                (r.h - 2.0).max(0.0),
                esc(sym),
                plural(*n, "module", "modules")
            );
            if r.w > 36.0 && r.h > 15.0 {
                let _ = write!(
                    b,
                    "<text class=\"symname\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                    r.x + 4.0,
                    r.y + 13.0,
                    esc(&fit(short, r.w - 8.0, 6.2))
                );
            }
            b.push_str("</a>");
        }
        b.push_str("</g>\n");
    }
    b.push_str("</svg><figcaption>Area: modules pulling each symbol, grouped by package. Colour: the verdict that matters most among the symbol's pulls (rejected and blocked first). Click a symbol for who pulls it.</figcaption></figure>\n");
    b
}

/// The text cut to fit `width` at about `per_char` units a character.
fn fit(text: &str, width: f64, per_char: f64) -> String {
    let max = (width / per_char).floor().max(0.0) as usize;
    let n = text.chars().count();
    if n <= max {
        text.to_string()
    } else if max <= 1 {
        String::new()
    } else {
        let mut s: String = text.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

fn symbols_page(ctx: &Ctx) -> String {
    let mut b = String::from("<h1>Pulled symbols</h1>\n");
    for (sym, s) in ctx.symbols {
        let _ = write!(
            b,
            "<section class=\"symbol\" id=\"{}\"><h2><code>{}</code></h2>\n<p>{}. ",
            ctx.ids[sym.as_str()],
            esc(sym),
            plural(s.modules.len(), "module", "modules")
        );
        for (i, rel) in ctx.releases.iter().enumerate() {
            let _ = write!(
                b,
                "<span class=\"tag {}\">{}: {}</span> ",
                s.shade[i].name(),
                esc(rel),
                s.shade[i].name()
            );
        }
        if !s.is_std() {
            b.push_str("Not a standard-library pull: left out of the heap map and the counts. ");
        }
        let _ = writeln!(
            b,
            "</p>\n<table class=\"sortable\"><thead><tr><th>module</th><th>version</th><th>file:line</th><th>kind</th><th>dependents</th><th>in allowlist</th>{}</tr></thead><tbody>",
            release_heads(ctx)
        );
        for p in &s.pulls {
            let (text, n) = ctx.count_text(&p.module);
            let _ = writeln!(
                b,
                "<tr><td>{}</td><td>{}</td><td><code>{}:{}</code></td><td>{}</td><td class=\"n\" data-v=\"{n}\">{text}</td><td>{}</td>{}</tr>",
                esc(&p.module),
                esc(&p.version),
                esc(&p.file),
                p.line,
                esc(&p.kind),
                if (ctx.listed)(sym, &p.module) {
                    "yes"
                } else {
                    "no"
                },
                verdict_cells(ctx, p)
            );
        }
        b.push_str("</tbody></table></section>\n");
    }
    page(ctx, "symbols.html", "Pulled symbols", &b)
}

fn pulls_page(ctx: &Ctx, name: &str, title: &str, keep: &dyn Fn(&str) -> bool) -> String {
    let mut rows = String::new();
    let mut n_rows = 0;
    let mut mods = BTreeSet::new();
    for (sym, s) in ctx.symbols {
        for p in s.pulls.iter().filter(|p| keep(&p.module)) {
            let (text, n) = ctx.count_text(&p.module);
            n_rows += 1;
            mods.insert(&*p.module);
            let _ = writeln!(
                rows,
                "<tr><td>{}</td><td>{}</td><td class=\"n\" data-v=\"{n}\">{text}</td><td><code>{}:{}</code></td><td>{}</td>{}</tr>",
                ctx.sym_link(sym),
                esc(&p.module),
                esc(&p.file),
                p.line,
                if (ctx.listed)(sym, &p.module) {
                    "yes"
                } else {
                    "no"
                },
                verdict_cells(ctx, p)
            );
        }
    }
    let body = format!(
        "<h1>{}</h1>\n<p class=\"lead\">{} from {}. Each tier page stops where the next one up begins.</p>\n<table class=\"sortable\"><thead><tr><th>symbol</th><th>module</th><th>dependents</th><th>file:line</th><th>in allowlist</th>{}</tr></thead><tbody>\n{rows}</tbody></table>\n",
        esc(title),
        plural(n_rows, "pull", "pulls"),
        plural(mods.len(), "module", "modules"),
        release_heads(ctx)
    );
    page(ctx, name, title, &body)
}

const CSS: &str = "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1240px;padding:0 20px 40px;color:#1f2328;background:#fff}
nav{display:flex;flex-wrap:wrap;gap:4px 12px;padding:10px 0;border-bottom:1px solid #d0d7de;margin-bottom:8px}nav a{color:#0550ae;text-decoration:none}nav a.here{font-weight:600;color:#1f2328}
h1{font-size:22px;margin:14px 0 4px}h2{font-size:17px;margin:28px 0 8px}h3{font-size:15px;margin:18px 0 6px}.lead{color:#57606a;margin:0 0 12px}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace}h1 code,h2 code{font-size:.92em}
table{border-collapse:collapse;width:100%;margin:4px 0 12px}th,td{border-bottom:1px solid #e6e8eb;padding:4px 8px;text-align:left;vertical-align:baseline}
th{background:#f6f8fa;position:sticky;top:0;cursor:pointer;user-select:none;white-space:nowrap}th:after{content:' \\2195';color:#8c959f;font-size:11px}
td.n{text-align:right;font-variant-numeric:tabular-nums}td.v{font-size:12px;white-space:nowrap}
td.v.ok,.tag.ok{color:#1a6b3c}td.v.rejected,.tag.rejected{color:#b42336;font-weight:600}td.v.undefined,.tag.undefined{color:#9a6200;font-weight:600}td.v.blocked,.tag.blocked{color:#6a3d9a;font-weight:600}td.v.ignored,td.v.inactive,td.v.none,.tag.ignored,.tag.inactive{color:#6e7781}
.tag{display:inline-block;border:1px solid #d0d7de;border-radius:10px;padding:0 8px;font-size:12px;margin-right:4px}
section.symbol{border-top:1px solid #d0d7de;margin-top:18px}section.symbol:target{background:#fff8c5}
input.rel{position:absolute;opacity:0;pointer-events:none}
.switch{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin:10px 0 6px}.switch span{color:#57606a;margin-right:4px}
.switch label{border:1px solid #d0d7de;border-radius:14px;padding:2px 12px;cursor:pointer;background:#f6f8fa}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12px;color:#57606a;margin:0 0 8px}.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-2px;border:1px solid rgba(0,0,0,.15)}
figure.map{margin:0}figure.map svg{width:100%;height:auto;display:block;background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px}
figcaption{font-size:12px;color:#57606a;margin-top:4px}
rect.pkgbox{fill:#fff;stroke:#8c959f;stroke-width:1}text.pkgname{font:600 11px system-ui,sans-serif;fill:#1f2328;pointer-events:none}
rect.sym{fill:#e5e7ea;stroke:#fff;stroke-width:1}a:hover rect.sym{stroke:#1f2328;stroke-width:2}
text.symname{font:10.5px ui-monospace,Menlo,monospace;fill:#fff;pointer-events:none;paint-order:stroke;stroke:rgba(0,0,0,.35);stroke-width:2px}
";

const SCRIPT: &str = "document.querySelectorAll('table.sortable th').forEach(function(th){th.addEventListener('click',function(){var t=th.closest('table'),b=t.tBodies[0],i=Array.prototype.indexOf.call(th.parentNode.children,th),up=th.dataset.dir!=='asc';var rows=Array.prototype.slice.call(b.rows);rows.sort(function(x,y){var a=x.cells[i].dataset.v||x.cells[i].textContent,c=y.cells[i].dataset.v||y.cells[i].textContent,d=parseFloat(a)-parseFloat(c),r=isNaN(d)?a.localeCompare(c):d;return up?r:-r;});rows.forEach(function(r){b.appendChild(r);});th.dataset.dir=up?'asc':'desc';});});document.body.setAttribute('data-sortable','ready');";

fn page(ctx: &Ctx, name: &str, title: &str, body: &str) -> String {
    let mut css = CSS.to_string();
    // The release switch: one rule per release and verdict.
    for i in 0..ctx.releases.len() {
        let _ = writeln!(
            css,
            "#rel{i}:checked~.switch label[for=rel{i}]{{background:#1f2328;color:#fff;border-color:#1f2328}}"
        );
        for s in Shade::ALL {
            let _ = writeln!(
                css,
                "#rel{i}:checked~.map rect[data-r{i}={}]{{fill:{}}}",
                s.name(),
                s.colour()
            );
        }
    }
    let mut nav = String::new();
    let mut links = vec![
        ("index.html".to_string(), "heap map".to_string()),
        ("symbols.html".to_string(), "symbols".to_string()),
    ];
    for (lo, _) in &ctx.tiers {
        links.push((format!("linkname{lo}.html"), format!("≥{}", thousands(*lo))));
    }
    links.push(("linkname-nocount.html".into(), "no count".into()));
    for (href, text) in links {
        let here = if href == name { " class=\"here\"" } else { "" };
        let _ = write!(nav, "<a href=\"{href}\"{here}>{}</a>", esc(&text));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title>\n<style>\n{css}</style></head>\n<body><nav>{nav}</nav>\n{body}<script>{SCRIPT}</script>\n</body></html>\n",
        esc(title)
    )
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_grammar_one_symbol() {
        let good = r#"{"module":"example.com/m","version":"v1.0.0","file":"a.go","line":3,"column":1,"symbol":"runtime.g0","local":"g0","kind":"var","defines":false,"test":false,"build":null,"verdicts":{"go1.26.8":{"link":"rejected","reason":"r"}}}"#;
        let r = crate::survey::records::parse_line("s.jsonl", 1, good.as_bytes()).unwrap();
        let mut survey = Survey::default();
        survey.add(&r);
        let site = survey.site(&Allowlist::default(), &BTreeMap::new());
        let index = &site.files["index.html"];
        assert!(
            index.contains("1 pull of 1 symbol from 1 module,"),
            "{index}"
        );
        assert!(index.contains("go1.26.8 rejects 1 symbol<"), "{index}");
        assert!(index.contains("— 1 module</title>"), "{index}");
        assert!(site.files["symbols.html"].contains("<p>1 module. "));
        assert!(site.files["linkname-nocount.html"].contains("1 pull from 1 module."));
    }

    /// A record of `scan --json`, with `verdict` as the go1.26.8 verdict's JSON.
    fn record(module: &str, symbol: &str, verdict: &str) -> PullRecord {
        let line = format!(
            r#"{{"module":"{module}","version":"v1.0.0","file":"a.s","line":3,"column":1,"symbol":"{symbol}","local":"x","kind":"asm","defines":false,"test":false,"build":null,"verdicts":{{"go1.26.8":{verdict}}}}}"#
        );
        crate::survey::records::parse_line("s.jsonl", 1, line.as_bytes()).unwrap()
    }

    fn site_of(records: &[PullRecord]) -> Site {
        let mut survey = Survey::default();
        for r in records {
            survey.add(r);
        }
        survey.site(&Allowlist::default(), &BTreeMap::new())
    }

    #[test]
    fn own_assembly_symbols_are_left_out_of_the_std_heap_map_and_counts() {
        let own = record(
            "github.com/apache/arrow/go/v14",
            "clib._memcpy",
            r#"{"link":"ok","cause":"own-definition","reason":"defined by the package itself"}"#,
        );
        let std = record(
            "example.com/m",
            "runtime.memmove",
            r#"{"link":"rejected","cause":"no-push","reason":"not pushed"}"#,
        );
        let site = site_of(&[own.clone(), std.clone()]);
        let index = &site.files["index.html"];
        assert!(!index.contains("clib"), "{index}");
        assert!(
            index.contains("1 pull of 1 symbol from 1 module,"),
            "{index}"
        );
        assert!(index.contains("runtime.memmove"), "{index}");
        // Still listed, with its verdict, on the symbol's own page.
        let symbols = &site.files["symbols.html"];
        assert!(
            symbols.contains("<code>clib._memcpy</code></h2>\n<p>1 module. <span class=\"tag ok\">go1.26.8: ok</span> Not a standard-library pull"),
            "{symbols}"
        );
        // Without the cause (an older shard), the symbol counts as before.
        let mut old = own.clone();
        for v in old.verdicts.as_mut().unwrap().values_mut() {
            v.cause = None;
        }
        let index = &site_of(&[old, std.clone()]).files["index.html"];
        assert!(index.contains("clib._memcpy"), "{index}");
        // A symbol of a non-std package is never a std pull, whatever its cause.
        let module = record(
            "example.com/m",
            "golang.org/x/net/http2.connPool",
            r#"{"link":"ok","cause":"module","reason":"a module pull"}"#,
        );
        let index = &site_of(&[module, std]).files["index.html"];
        assert!(!index.contains("http2"), "{index}");
    }

    #[test]
    fn shade_comes_from_the_cause_and_from_the_reason_only_without_one() {
        let blocked = record(
            "example.com/m",
            "runtime.a",
            r#"{"link":"rejected","cause":"blocked","reason":"refused"}"#,
        );
        let old = record(
            "example.com/m",
            "runtime.b",
            r#"{"link":"rejected","reason":"in blockedLinknames (loader.go:1)"}"#,
        );
        let newer = record(
            "example.com/m",
            "runtime.c",
            r#"{"link":"rejected","cause":"a-cause-from-later","reason":"not in blockedLinknames"}"#,
        );
        assert_eq!(
            newer.verdicts.as_ref().unwrap()["go1.26.8"].cause,
            Some(Cause::Other)
        );
        let index = &site_of(&[blocked, old, newer]).files["index.html"];
        for (sym, shade) in [("a", "blocked"), ("b", "blocked"), ("c", "rejected")] {
            let row = format!(
                "<code>runtime.{sym}</code></a></td><td class=\"n\">1</td><td class=\"v {shade}\">"
            );
            assert!(index.contains(&row), "runtime.{sym} not {shade}: {index}");
        }
    }

    #[test]
    fn tier_pages_cut_where_the_next_begins() {
        assert_eq!(
            tier_pages(&[1000, 100]),
            [(1000, None), (100, Some(1000)), (1, Some(100))]
        );
        assert_eq!(esc("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(fit("reflect.unsafe_New", 50.0, 6.0), "reflect…");
    }
}
