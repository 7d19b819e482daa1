//! The checks of entries, sites and regions that `parse` runs: what would put broken or injected
//! lines into the Go tree is refused here.

use super::{Allowlist, DirectivePos, DocSite, Region};
use crate::annotation::{self, BlockText};
use crate::error::{Error, Pos, Result};
use crate::readfile::check_inside;
use serde::Deserialize;

/// A site's fields as written: on the symbol itself or in a `[[symbol.site]]` table.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct SiteSpec {
    pub(super) file: Option<String>,
    pub(super) local: Option<String>,
    #[serde(rename = "in")]
    pub(super) push_package: Option<String>,
    pub(super) doc_of: Option<String>,
    pub(super) directive: Option<String>,
    #[serde(default)]
    pub(super) glued: bool,
    pub(super) lead_name: Option<String>,
    pub(super) lead: Option<String>,
    pub(super) header: Option<bool>,
    pub(super) tail: Option<String>,
    pub(super) block: Option<String>,
}

impl SiteSpec {
    pub(super) fn is_empty(&self) -> bool {
        self.file.is_none()
            && self.local.is_none()
            && self.push_package.is_none()
            && self.doc_of.is_none()
            && self.directive.is_none()
            && !self.glued
            && self.lead_name.is_none()
            && self.lead.is_none()
            && self.header.is_none()
            && self.tail.is_none()
            && self.block.is_none()
    }
}

/// A module path as the go command accepts one (the rules of golang.org/x/mod/module.CheckPath,
/// less the major-version suffix), optionally followed by a note: `gvisor.dev/gvisor (from
/// assembly)`. Anything else would put broken or injected lines into the Go tree.
pub fn check_module_item(item: &str) -> std::result::Result<(), String> {
    let (path, note) = match item.split_once(' ') {
        Some((p, n)) => (p, Some(n)),
        None => (item, None),
    };
    let bad = |why: &str| Err(format!("module {item:?} is not a module path: {why}"));
    if path.is_empty() {
        return bad("empty");
    }
    let elems: Vec<&str> = path.split('/').collect();
    if elems.iter().any(|e| e.is_empty()) {
        return bad("empty path element");
    }
    for e in &elems {
        if !e
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'))
        {
            return bad("only ASCII letters, digits and -._~ may appear in a path element");
        }
        if e.starts_with('.') || e.ends_with('.') {
            return bad("a path element may not start or end with a dot");
        }
    }
    let first = elems[0];
    if !first.contains('.')
        || first.starts_with('-')
        || first
            .chars()
            .any(|c| c.is_ascii_uppercase() || c == '_' || c == '~')
    {
        return bad("the first element must be a lower-case domain name such as github.com");
    }
    if let Some(note) = note {
        let inner = note.strip_prefix('(').and_then(|n| n.strip_suffix(')'));
        let printable =
            |t: &str| !t.is_empty() && !t.contains(|c: char| c.is_control() || is_bidi(c));
        if !inner.is_some_and(printable) {
            return bad(
                "after the path only a note in parentheses may follow, as in \"(from assembly)\"",
            );
        }
    }
    Ok(())
}

/// Characters that reorder how text is shown (CVE-2021-42574): never written into Go source.
pub(super) fn is_bidi(c: char) -> bool {
    // U+FEFF too: Go rejects a byte order mark inside a file.
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{FEFF}')
}

/// Prose and names that go into comment lines: printable, one line where one is meant, no
/// trailing blanks (gofmt would remove them), and verbatim blocks made of `//` lines.
pub(super) fn check_site_text(
    spec: &SiteSpec,
) -> std::result::Result<(), (&'static str, usize, String)> {
    let one_line = [
        ("local", &spec.local),
        ("in", &spec.push_package),
        ("doc_of", &spec.doc_of),
        ("lead_name", &spec.lead_name),
    ];
    let lines = [
        ("lead", &spec.lead),
        ("tail", &spec.tail),
        ("block", &spec.block),
    ];
    for (field, value) in one_line.iter().chain(&lines) {
        let Some(value) = value else { continue };
        let multi = lines.iter().any(|(f, _)| f == field);
        for (k, line) in value.split('\n').enumerate() {
            let at = if multi {
                format!("{field}, line {}", k + 1)
            } else {
                field.to_string()
            };
            if line.contains('\r') {
                return Err((
                    field,
                    k,
                    format!("{at}: carriage return (a CRLF allowlist?); Go source uses LF"),
                ));
            }
            if let Some(c) = line
                .chars()
                .find(|&c| (c.is_control() && c != '\t') || is_bidi(c))
            {
                return Err((field, k, format!("{at}: control character {c:?}")));
            }
            if !multi && k > 0 {
                return Err((field, k, format!("{field}: must be one line")));
            }
            if line.ends_with([' ', '\t']) {
                return Err((
                    field,
                    k,
                    format!("{at}: ends in blanks, which gofmt removes"),
                ));
            }
            if *field == "block" && !line.starts_with("//") {
                return Err((
                    field,
                    k,
                    format!("{at}: a verbatim block is made of // comment lines"),
                ));
            }
            if *field == "block"
                && let Some(why) = block_line_refusal(line)
            {
                return Err((field, k, format!("{at}: {why}")));
            }
        }
    }
    Ok(())
}

/// Why a verbatim block line cannot go into a doc comment as it is: a directive (`//go:nosplit`,
/// a second `//go:linkname`) is source, not prose, and gofmt moves it out of the text; a line
/// not of the form `//` or `// text` gofmt rewrites. Prose (`lead`, `tail`) is written after
/// `// `, so it cannot make either.
fn block_line_refusal(line: &str) -> Option<String> {
    if annotation::is_directive(line) {
        return Some(format!(
            "{line:?} is a directive; a block is comment prose (directives come from `directive`, other source from a [[region]])"
        ));
    }
    (line != "//" && !line.starts_with("// ")).then(|| {
        format!("{line:?}: block lines are `//` or `// text` (gofmt rewrites other comment lines)")
    })
}

/// A region's text renders to Go source: well-formed placeholders for listed symbols, no
/// control characters, and it parses (a whole file, or top-level declarations and comments).
pub(super) fn check_region(
    region: &Region,
    list: &Allowlist,
    text_pos: &dyn Fn(usize, usize) -> Pos,
) -> Result<()> {
    let bad = |k: usize, col: usize, message: String| Error::Allowlist {
        pos: text_pos(k, col),
        message,
    };
    if region.text.trim().is_empty() {
        return Err(bad(0, 1, "region text is empty".into()));
    }
    for (k, line) in region.text.split('\n').enumerate() {
        if let Some(i) = line.find('\r') {
            return Err(bad(
                k,
                i + 1,
                "carriage return (a CRLF allowlist?); Go source uses LF".into(),
            ));
        }
        if let Some((i, c)) = line
            .char_indices()
            .find(|&(_, c)| (c.is_control() && c != '\t') || is_bidi(c))
        {
            return Err(bad(k, i + 1, format!("control character {c:?}")));
        }
        if line.starts_with("{{") && annotation::parse_placeholder(line).is_none() {
            return Err(bad(
                k,
                1,
                format!("{line:?} is not a placeholder: expected {{{{hall-of-shame SYMBOL X}}}}"),
            ));
        }
        if let Some((symbol, _)) = annotation::parse_placeholder(line)
            && list.symbol(symbol).is_none()
        {
            return Err(bad(
                k,
                1,
                format!("region uses the block of {symbol}, which has no [[symbol]] entry"),
            ));
        }
    }
    let rendered = region.render_mapped(list)?;
    let whole = region.after.is_none();
    // Inserted after a declaration, a package clause or an import would not parse in place.
    if !whole
        && let Some((_, k)) = rendered.iter().find(|(l, _)| {
            l.starts_with("package ") || l.starts_with("import ") || l.starts_with("import(")
        })
    {
        return Err(bad(
            *k,
            1,
            "a region inserted after a declaration cannot hold a package clause or an import; the file's imports are the tree's".into(),
        ));
    }
    // A region that is not a whole file is parsed under a package clause of two lines.
    let skip = if whole { 0 } else { 2 };
    let mut source = if whole {
        String::new()
    } else {
        "package p\n\n".to_string()
    };
    for (line, _) in &rendered {
        source.push_str(line);
        source.push('\n');
    }
    if let Err(Error::GoSyntax { pos, what }) =
        crate::go::syntax::GoFile::parse(&region.file, &source)
    {
        let k = pos
            .line
            .checked_sub(1 + skip)
            .and_then(|r| rendered.get(r))
            .map_or(0, |(_, k)| *k);
        return Err(bad(
            k,
            pos.col,
            format!("region text for {} is not Go source ({what})", region.file),
        ));
    }
    Ok(())
}

pub(super) fn check_package(pkg: &str) -> std::result::Result<(), String> {
    check_inside(pkg).map_err(|e| e.to_string())?;
    if pkg.is_empty() || pkg.contains(|c: char| c.is_whitespace() || c.is_control() || is_bidi(c)) {
        return Err(format!("package {pkg:?} is not an import path"));
    }
    Ok(())
}

pub(super) fn resolve_site(
    package: &str,
    name: &str,
    spec: &SiteSpec,
    file: Option<String>,
) -> std::result::Result<DocSite, String> {
    if let Some(f) = &file {
        check_inside(f).map_err(|e| e.to_string())?;
        if !f.ends_with(".go") {
            return Err(format!("file {f:?} is not a .go file"));
        }
    }
    let push_package = spec
        .push_package
        .clone()
        .unwrap_or_else(|| package.to_string());
    check_package(&push_package)?;
    let local = match &spec.local {
        Some(l) => l.clone(),
        None if is_identifier(name) => name.to_string(),
        None => {
            return Err(format!(
                "{package}.{name} is not a plain identifier: say which stub pushes it with local"
            ));
        }
    };
    if !is_identifier(&local) {
        return Err(format!("local {local:?} is not a Go identifier"));
    }
    let directive = match spec.directive.as_deref() {
        None | Some("first") => DirectivePos::First,
        Some("last") => DirectivePos::Last,
        Some("none") => DirectivePos::None,
        Some(other) => {
            return Err(format!(
                "directive = {other:?}: expected \"first\", \"last\" or \"none\""
            ));
        }
    };
    let text = BlockText {
        lead_name: spec.lead_name.clone(),
        lead: spec.lead.clone(),
        header: spec.header.unwrap_or(true),
        tail: spec.tail.clone(),
        raw: spec.block.clone(),
    };
    Ok(DocSite {
        file,
        local,
        push_package,
        doc_of: spec.doc_of.clone(),
        directive,
        glued: spec.glued,
        text,
    })
}

pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}
