//! Rendering one file's annotations: blocks, directives, regions and their checks.

use super::*;

/// One file of an apply plan: (old text, new text).
pub(super) fn plan_file(
    how: &Planning,
    rel: &str,
    unscanned: Option<&GoFile>,
    w: &FileWork,
) -> std::result::Result<(Option<String>, Option<String>), Unplaced> {
    let Planning {
        index,
        list,
        listed,
        old_names,
        prune,
        needed,
    } = *how;
    let old = match index.scans.get(rel) {
        Some(scan) => Some(scan.file.text()),
        None => unscanned.map(GoFile::text),
    };
    // Strip what the allowlist governs (and, with prune, what it no longer lists, keeping
    // the directives the standard library needs itself, exactly as strip does).
    let mut intent = Intent::default();
    let (old_file, stripped) = match index.scans.get(rel) {
        Some(scan) => {
            // A block on a declaration the allowlist annotates here is replaced, whatever
            // symbol its directive names now: a rename kept under its old linker name
            // (`local = "newName"`) turns `//go:linkname newName` into the two-argument push.
            let annotated: HashSet<String> = w
                .sites
                .iter()
                .filter_map(|(_, site)| documented_decl(&scan.file, site).map(Decl::key))
                .collect();
            let claimed = |doc: &FoundDoc| {
                let key = doc
                    .site
                    .doc_of
                    .clone()
                    .or_else(|| scan.file.decl_declaring(&doc.site.local).map(Decl::key));
                key.is_some_and(|k| annotated.contains(&k))
            };
            let stripped = strip_scan(
                scan,
                &|s| prune || listed.contains(s),
                &|s| old_names.contains(s),
                &claimed,
                &|scan, doc| !listed.contains(&doc.symbol) && needed(scan, doc),
                &|r| {
                    !r.region.symbols.iter().any(|s| listed.contains(s)) && region_needed(index)(r)
                },
                &mut intent,
            )?;
            (Some(&scan.file), stripped)
        }
        None => (
            unscanned,
            unscanned.map(|f| Stripped::Parsed(Cow::Borrowed(f))),
        ),
    };
    let new = render_file(
        rel,
        stripped,
        old.as_ref().is_none_or(|t| t.ends_with('\n')),
        w,
        list,
        &mut intent,
    )?;
    if let Some(text) = &new
        && old.as_ref() != Some(text)
    {
        // The file's sites (and regions) are what cannot go in; a file with none refuses all.
        let refuse = |pos: Pos, symbols: Vec<String>, message: String| {
            if symbols.is_empty() {
                Unplaced::Fatal(Error::Plan { pos, message })
            } else {
                Unplaced::Diagnostic(problem(pos, symbols, DiagKind::InTheWay, message))
            }
        };
        verify_change(old_file, rel, text, &intent).map_err(|e| match e {
            Rejection::Duplicate { pos, local } => {
                let symbols: Vec<String> = w
                    .sites
                    .iter()
                    .filter(|(_, site)| site.local == local)
                    .map(|(sym, _)| sym.linker_name())
                    .collect();
                let message = format!(
                    "{}: //go:linkname {local} already stands here, away from the declaration it belongs to; apply would add a second one, which the compiler rejects; move it back above its declaration or delete it",
                    symbols.first().map_or(local.as_str(), String::as_str)
                );
                refuse(pos, symbols, message)
            }
            Rejection::Crlf(pos) => {
                let mut symbols: Vec<String> = Vec::new();
                for s in w
                    .sites
                    .iter()
                    .map(|(sym, _)| sym.linker_name())
                    .chain(w.regions.iter().flat_map(|r| r.symbols.clone()))
                {
                    if !symbols.contains(&s) {
                        symbols.push(s);
                    }
                }
                let message = if symbols.is_empty() {
                    CRLF_REFUSED.to_string()
                } else {
                    format!("{}: {CRLF_REFUSED}", symbols.join(", "))
                };
                refuse(pos, symbols, message)
            }
            Rejection::Fatal(e) => Unplaced::Fatal(e),
        })?;
    }
    Ok((old, new))
}

/// Every `//go:linkname` a region brings names a function or variable its package declares (the
/// compiler's rule): a truncated or rewritten file must not get a push for nothing.
pub(super) fn check_region_names(
    tree: &Tree,
    region: &Region,
    list: &Allowlist,
    locator: &mut Locator,
) -> Result<Option<Diagnostic>> {
    let dir = crate::tree::dir_of(&region.file);
    let shown = if dir.is_empty() {
        "the module root"
    } else {
        dir
    };
    let missing = |message: String| {
        Some(problem(
            region.pos.clone(),
            region.symbols.clone(),
            DiagKind::SymbolNotFound,
            message,
        ))
    };
    if !tree.path(dir).is_dir() {
        return Ok(missing(format!(
            "{}: the region for {} goes into {shown}, which is not in the tree",
            region.symbols.join(", "),
            region.file
        )));
    }
    if region.after.is_some() && !tree.exists(&region.file) {
        return Ok(missing(format!(
            "{}: the region goes into {}, which is not in the tree",
            region.symbols.join(", "),
            region.file
        )));
    }
    let rendered = region.render(list)?;
    if !method_stubs_compile(tree) && region_pushes_method(&rendered, &tree.import_path(dir)) {
        return Ok(Some(problem(
            region.pos.clone(),
            region.symbols.clone(),
            DiagKind::InTheWay,
            format!(
                "{}: the region for {}: {STUB_NEEDS_GO_1_23}",
                region.symbols.join(", "),
                region.file
            ),
        )));
    }
    let own: Vec<String> = region_decls_parsed(region, &rendered)?
        .decls
        .iter()
        .flat_map(|d| d.names.clone())
        .collect();
    // Source carried from another release may use what this one does not declare.
    let snippet = region_snippet(region, &rendered);
    let imported = match region.after {
        Some(_) => import_names(&tree.read(&region.file)?),
        None => import_names(&snippet),
    };
    let mut undefined = Vec::new();
    for name in crate::go::syntax::free_names(&region.file, &snippet)? {
        if !own.contains(&name)
            && !imported.contains(&name)
            && !locator.dir_declares(dir, &name, true)?
        {
            undefined.push(name);
        }
    }
    if !undefined.is_empty() {
        return Ok(missing(format!(
            "{}: the region for {} uses {}, which {shown} does not declare in this tree (source carried from another release?)",
            region.symbols.join(", "),
            region.file,
            undefined.join(", ")
        )));
    }
    for dir_line in rendered.iter().filter_map(|l| Directive::parse(l)) {
        if own.contains(&dir_line.local) || locator.dir_declares(dir, &dir_line.local, false)? {
            continue;
        }
        return Ok(missing(format!(
            "{}: the region for {} pushes {} with //go:linkname, but no file in {shown} declares a function or variable {} (the compiler would reject it); is {} complete?",
            region.symbols.join(", "),
            region.file,
            dir_line.local,
            dir_line.local,
            region.file
        )));
    }
    Ok(None)
}

/// The names a Go file's imports bind: the alias, else the last path element (as the package
/// name usually is).
pub(super) fn import_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_group = false;
    for line in text.lines() {
        let l = line.trim();
        let spec = if in_group {
            if l == ")" {
                in_group = false;
                continue;
            }
            l
        } else if l == "import (" {
            in_group = true;
            continue;
        } else if let Some(rest) = l.strip_prefix("import ") {
            rest
        } else {
            continue;
        };
        let mut fields = spec.split_whitespace();
        let (Some(first), second) = (fields.next(), fields.next()) else {
            continue;
        };
        let name = match second {
            Some(path) if path.starts_with('"') => first.to_string(),
            _ => first
                .trim_matches('"')
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string(),
        };
        names.push(name);
    }
    names
}

/// Renders the allowlist's sites and regions into a stripped file.
pub(super) fn render_file(
    rel: &str,
    stripped: Option<Stripped>,
    final_newline: bool,
    w: &FileWork,
    list: &Allowlist,
    intent: &mut Intent,
) -> std::result::Result<Option<String>, Unplaced> {
    if let Some(whole) = w.regions.iter().find(|r| r.after.is_none()) {
        let text =
            whole.render(list)?.join("\n") + if whole.text.ends_with('\n') { "\n" } else { "" };
        let file = GoFile::parse(rel, &text)?;
        intent
            .added
            .extend(file.decls.iter().map(|d| decl_id(&file, d)));
        return Ok(Some(text));
    }
    let Some(stripped) = stripped else {
        if w.sites.is_empty() && w.regions.is_empty() {
            return Ok(None);
        }
        return Err(Error::Tree(format!("{rel}: file not found")).into());
    };
    if w.sites.is_empty() && w.regions.is_empty() {
        return Ok(Some(crate::go::syntax::join_lines(
            stripped.lines(),
            final_newline,
        )));
    }
    let file = match stripped {
        Stripped::Parsed(file) => file,
        Stripped::Lines(lines) => Cow::Owned(GoFile::parse(
            rel,
            &crate::go::syntax::join_lines(&lines, final_newline),
        )?),
    };
    let mut edits = Vec::new();
    let mut added_directive = false;
    let mut documented: Vec<(usize, String)> = Vec::new();
    for (sym, site) in &w.sites {
        let Some(decl) = documented_decl(&file, site) else {
            return Err(Unplaced::Diagnostic(problem(
                sym.pos.clone(),
                vec![sym.linker_name()],
                DiagKind::SymbolNotFound,
                format!(
                    "{}: {rel} does not declare {}",
                    sym.linker_name(),
                    site.doc_of.as_deref().unwrap_or(&site.local)
                ),
            )));
        };
        // One doc comment holds one block: `var a, b T` cannot carry the blocks of both.
        if let Some((_, other)) = documented.iter().find(|(start, _)| *start == decl.start) {
            return Err(Unplaced::Diagnostic(problem(
                file.pos(decl.start, 0),
                vec![sym.linker_name()],
                DiagKind::InTheWay,
                format!(
                    "{}: {} also documents {other}, and one doc comment holds one block; split the declaration or annotate it by hand",
                    sym.linker_name(),
                    decl.key()
                ),
            )));
        }
        documented.push((decl.start, sym.linker_name()));
        let (gs, group) = match file.group_above(decl.start) {
            Some((gs, ge)) => (gs, file.lines[gs..=ge].to_vec()),
            None => (decl.start, Vec::new()),
        };
        // gofmt puts a blank line before a declaration with a doc comment; one glued to the
        // code above gets it with the block.
        let glued_above = gs > 0 && !file.lines[gs - 1].trim().is_empty();
        let split = group
            .iter()
            .rposition(|l| !l.starts_with("//go:"))
            .map_or(0, |i| i + 1);
        let mut doc = group[..split].to_vec();
        let mut dirs = group[split..].to_vec();
        // A block apply does not govern (its directive names something else) stays; a second
        // one beside it would come back on every run.
        if let Some(i) = doc.iter().position(|l| annotation::is_marker(l)) {
            return Err(Unplaced::Diagnostic(problem(
                file.pos(gs + i, 0),
                vec![sym.linker_name()],
                DiagKind::InTheWay,
                format!(
                    "{}: the doc comment of {} already holds a hall-of-shame block that is not this symbol's (are its //go:linkname lines right?); refusing to add a second one",
                    sym.linker_name(),
                    decl.key()
                ),
            )));
        }
        if doc.last().is_some_and(|l| l == "//") {
            doc.pop();
        }
        // A `Deprecated:` paragraph ends a doc comment by Go's convention: the block goes
        // above it, where recognition leaves it as doc text.
        let deprecated = deprecated_paragraph(&doc).map_or(Vec::new(), |at| doc.split_off(at));
        if doc.last().is_some_and(|l| l == "//") {
            doc.pop();
        }
        if site.directive != DirectivePos::None {
            // A directive strip kept (std pulls the symbol) goes where the allowlist puts it,
            // as apply over an annotated tree puts it: one apply is the fixed point.
            let present = dirs
                .iter()
                .position(|l| Directive::parse(l).is_some_and(|d| d.local == site.local));
            let line = match present {
                Some(i) => dirs.remove(i),
                None => {
                    added_directive = true;
                    sym.directive_line(site)
                }
            };
            match site.directive {
                DirectivePos::Last => dirs.push(line),
                _ => dirs.insert(0, line),
            }
        }
        let mut out = if glued_above {
            vec![String::new()]
        } else {
            Vec::new()
        };
        let had_doc = !doc.is_empty();
        out.extend(doc);
        if had_doc && !site.glued {
            out.push("//".into());
        }
        let block = annotation::render(site.decl_name(), &sym.modules, &site.text);
        // What apply writes must be what recognition takes back as the block, whole: prose
        // with a paragraph of doc text in it would come back outside the block, once more on
        // every run.
        let pushed = site.directive != DirectivePos::None;
        if annotation::block_extent(&block, pushed) != Some(block.len()) {
            return Err(Unplaced::Fatal(Error::Allowlist {
                pos: sym.pos.clone(),
                message: format!(
                    "{}: the block this entry renders would not be recognised as its block again: {}",
                    sym.linker_name(),
                    annotation::NOT_A_BLOCK
                ),
            }));
        }
        out.extend(block);
        if !deprecated.is_empty() {
            out.push("//".into());
            out.extend(deprecated);
        }
        if !dirs.is_empty() {
            out.push("//".into());
            out.extend(dirs);
        }
        edits.push(LineEdit {
            start: gs,
            end: decl.start,
            lines: out,
        });
    }
    let mut region_edits = Vec::new();
    for region in &w.regions {
        let after = region.after.as_deref().unwrap_or_default();
        let Some(end) = crate::tree::annotations::anchor_row(&file, after) else {
            return Err(Unplaced::Diagnostic(problem(
                region.pos.clone(),
                region.symbols.clone(),
                DiagKind::SymbolNotFound,
                format!(
                    "{}: region anchor `{after}` not found in {rel}",
                    region.symbols.join(", ")
                ),
            )));
        };
        let mut lines = vec![String::new()];
        let rendered = region.render(list)?;
        intent.added.extend(region_decls(region, &rendered)?);
        lines.extend(rendered);
        region_edits.push(LineEdit {
            start: end + 1,
            end: end + 1,
            lines,
        });
    }
    // A declaration glued to the anchor stays apart from what goes in before it, so the region
    // is recognised as a chunk of its own on the next run.
    for i in 0..region_edits.len() {
        let at = region_edits[i].start;
        let last_here = region_edits[i + 1..].iter().all(|e| e.start != at);
        if last_here && at < file.lines.len() && !file.lines[at].trim().is_empty() {
            region_edits[i].lines.push(String::new());
        }
    }
    // The import goes in before regions inserted at the same row, where apply expects it.
    let adds_import = w.regions.iter().any(|r| r.text.contains("//go:linkname "));
    if (added_directive || adds_import) && !file.has_unsafe_import() {
        let at = file
            .decls
            .iter()
            .filter(|d| matches!(d.kind, DeclKind::Import | DeclKind::Package))
            .map(|d| d.end + 1)
            .max()
            .unwrap_or(0);
        edits.push(LineEdit {
            start: at,
            end: at,
            lines: vec![String::new(), ADDED_IMPORT.into()],
        });
        intent.added.push(("import".into(), ADDED_IMPORT.into()));
    }
    edits.extend(region_edits);
    let mut out = apply_edits(&file, &mut edits)?;
    realign_split_comment_runs(&file.lines, &mut out);
    Ok(Some(crate::go::syntax::join_lines(&out, final_newline)))
}

/// Where the last paragraph of doc comment lines starts when it is a `Deprecated:` one.
pub(super) fn deprecated_paragraph(doc: &[String]) -> Option<usize> {
    let at = doc.iter().rposition(|l| l == "//").map_or(0, |i| i + 1);
    doc.get(at)
        .is_some_and(|l| l.starts_with("// Deprecated:"))
        .then_some(at)
}

/// The declarations a region's source brings into its file.
pub(super) fn region_decls(region: &Region, rendered: &[String]) -> Result<Vec<(String, String)>> {
    let file = region_decls_parsed(region, rendered)?;
    Ok(file
        .decls
        .iter()
        .filter(|d| d.kind != DeclKind::Package)
        .map(|d| decl_id(&file, d))
        .collect())
}

/// A region's rendered source as a Go file of its own: under a package clause unless it is one.
pub(super) fn region_snippet(region: &Region, rendered: &[String]) -> String {
    match region.after {
        Some(_) => format!("package p\n\n{}\n", rendered.join("\n")),
        None => format!("{}\n", rendered.join("\n")),
    }
}

/// A region's rendered source parsed on its own (under a package clause unless it is a file).
pub(super) fn region_decls_parsed(region: &Region, rendered: &[String]) -> Result<GoFile> {
    GoFile::parse(&region.file, &region_snippet(region, rendered)).map_err(|e| Error::Allowlist {
        pos: region.pos.clone(),
        message: format!("region text is not Go source: {e}"),
    })
}
