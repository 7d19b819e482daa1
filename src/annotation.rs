//! The hall-of-shame block: render it from structured fields, and recognise it again. The two live
//! side by side so that a test can prove them inverse; anything that does not round-trip through
//! the structured fields is carried as raw text instead.

/// The header line the Go tree puts above every module list.
pub const LIST_HEADER: &str = "Notable members of the hall of shame include:";
pub const DEFAULT_TAIL: [&str; 2] = [
    "Do not remove or change the type signature.",
    "See go.dev/issue/67401.",
];

/// Text that marks a comment as part of the legacy-linkname documentation.
pub fn is_marker(line: &str) -> bool {
    line.contains("Notable members of the hall of shame")
        || line.contains("go.dev/issue/67401")
        || line.contains("go.dev/issues/67401")
}

/// The line every legacy push's block keeps (in its tail, or in the lead of a block without a
/// module list).
pub const KEEP_SIGNATURE: &str = "Do not remove or change the type signature.";

/// Paragraphs the Go tree writes after a block's tail that belong to the block (go1.23 to
/// go1.27); any other paragraph there is doc text of the declaration.
pub const BLOCK_NOTES: [&str; 3] = [
    "Note that this comment is not part of the doc comment.",
    "The go:linkname is below.",
    "This is obsolete and only remains for external packages.\nNew code should use reflect_compiledTypelinks.",
];

/// Whether a paragraph of comment lines is one a block is made of: it holds module items, a
/// marker, the signature line, or it is one of the Go tree's notes. Any other paragraph (a
/// maintainer's `Deprecated:`, more documentation) is not the block's.
fn is_block_paragraph(paragraph: &[String]) -> bool {
    !list_items(paragraph).is_empty()
        || paragraph
            .iter()
            .any(|l| is_marker(l) || from_comment(l).as_deref() == Some(KEEP_SIGNATURE))
        || paragraph
            .iter()
            .map(|l| from_comment(l))
            .collect::<Option<Vec<String>>>()
            .is_some_and(|c| BLOCK_NOTES.contains(&c.join("\n").as_str()))
}

/// Why a block does not pass [`block_extent`], for messages.
pub const NOT_A_BLOCK: &str = "a block holds a module list (or, for a push, the line \"Do not remove or change the type signature.\") and a go.dev/issue/67401 marker, and only paragraphs of those and the Go tree's notes; other doc text (a `Deprecated:` paragraph) belongs in the Go file, not in lead, tail or block";

/// How many of `lines` (comment lines, a block's first line first) the block covers: its
/// paragraphs as long as they are a block's. `None` when what is there is not a block of a form
/// apply renders or the Go tree uses: one holds a module list, or, for a push (`pushed`), the
/// signature line; a doc comment that merely mentions go.dev/issue/67401 is not a block.
pub fn block_extent(lines: &[String], pushed: bool) -> Option<usize> {
    let mut end = 0;
    let mut at = 0;
    while at < lines.len() {
        let stop = lines[at..]
            .iter()
            .position(|l| l == "//")
            .map_or(lines.len(), |n| at + n);
        if stop == at {
            // `//` lines in a row: an empty paragraph joins the ones around it, as strip must
            // take the whole block at once to reach its fixed point.
            at += 1;
            continue;
        }
        if !is_block_paragraph(&lines[at..stop]) {
            break;
        }
        end = stop; // the `//` after a paragraph is the block's only when another one follows
        at = (stop + 1).min(lines.len());
    }
    let block = &lines[..end];
    let has_list = !list_items(block).is_empty();
    let keeps_signature = block
        .iter()
        .any(|l| from_comment(l).as_deref() == Some(KEEP_SIGNATURE));
    (block.iter().any(|l| is_marker(l)) && (has_list || (pushed && keeps_signature))).then_some(end)
}

/// Whether a comment line is a directive as Go reads it (go/ast's rule): `//line `,
/// `//extern `, `//export `, or `//` + `[a-z0-9]+:[a-z0-9]` (`//go:nosplit`, `//lint:ignore`).
/// gofmt moves such lines out of a doc comment's text to its end.
pub fn is_directive(line: &str) -> bool {
    let Some(c) = line.strip_prefix("//") else {
        return false;
    };
    if ["line ", "extern ", "export "]
        .iter()
        .any(|p| c.starts_with(p))
    {
        return true;
    }
    let b = c.as_bytes();
    let word = |x: &u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    match c.find(':') {
        Some(colon) if colon > 0 && colon + 1 < b.len() => {
            b[..colon].iter().all(word) && word(&b[colon + 1])
        }
        _ => false,
    }
}

/// The prose of a block, as the allowlist stores it. `None` fields take the canonical text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockText {
    /// X in "X should be an internal detail," when it is not the default name.
    pub lead_name: Option<String>,
    /// The whole lead (lines before the module list) when it is not the canonical sentence.
    pub lead: Option<String>,
    /// Whether the standard list header follows the lead (false when the lead ends in its own).
    pub header: bool,
    /// The lines after the list and its `//`; `Some("")` means the block ends with the list.
    pub tail: Option<String>,
    /// The verbatim comment lines, when nothing structured fits.
    pub raw: Option<String>,
}

impl BlockText {
    pub fn canonical() -> Self {
        BlockText {
            header: true,
            ..Default::default()
        }
    }

    /// Whether any prose had to be carried as text (the figure `extract` reports).
    pub fn is_irregular(&self) -> bool {
        self.lead.is_some() || self.raw.is_some() || self.tail.is_some()
    }
}

fn default_lead(x: &str) -> Vec<String> {
    vec![
        format!("{x} should be an internal detail,"),
        "but widely used packages access it using linkname.".into(),
    ]
}

fn split_text(s: &str) -> Vec<String> {
    s.split('\n').map(str::to_string).collect()
}

/// Renders the block's comment content (without the `//` markers): `x` is the default name.
fn render_content(x: &str, modules: &[String], text: &BlockText) -> Vec<String> {
    let mut out = match (&text.lead, &text.lead_name) {
        (Some(lead), _) => split_text(lead),
        (None, Some(name)) => default_lead(name),
        (None, None) => default_lead(x),
    };
    let tail: Vec<String> = match &text.tail {
        Some(t) if t.is_empty() => Vec::new(),
        Some(t) => split_text(t),
        None => DEFAULT_TAIL.iter().map(|s| s.to_string()).collect(),
    };
    if !modules.is_empty() {
        if text.header {
            out.push(LIST_HEADER.into());
        }
        out.extend(modules.iter().map(|m| format!("  - {m}")));
    }
    if !tail.is_empty() {
        out.push(String::new());
        out.extend(tail);
    }
    out
}

/// Renders the block as Go comment lines.
pub fn render(x: &str, modules: &[String], text: &BlockText) -> Vec<String> {
    if let Some(raw) = &text.raw {
        return split_text(raw);
    }
    render_content(x, modules, text)
        .into_iter()
        .map(|c| to_comment(&c))
        .collect()
}

/// The placeholder line a region uses for a canonical block.
pub fn placeholder(symbol: &str, x: &str) -> String {
    format!("{{{{hall-of-shame {symbol} {x}}}}}")
}

/// `{{hall-of-shame SYMBOL X}}` -> (SYMBOL, X). Any other line starting with `{{` is not one.
pub fn parse_placeholder(line: &str) -> Option<(&str, &str)> {
    let inner = line.strip_prefix("{{hall-of-shame ")?.strip_suffix("}}")?;
    let (symbol, x) = inner.split_once(' ')?;
    (!symbol.is_empty() && !x.is_empty() && !x.contains(' ')).then_some((symbol, x))
}

pub fn to_comment(content: &str) -> String {
    if content.is_empty() {
        "//".into()
    } else {
        format!("// {content}")
    }
}

/// `// text` -> `text`, `//` -> ``; `None` for lines of another shape (`//go:`, `//text`).
pub fn from_comment(line: &str) -> Option<String> {
    if line == "//" {
        Some(String::new())
    } else {
        line.strip_prefix("// ").map(str::to_string)
    }
}

/// Recognises a block from its Go comment lines. Returns the modules and the prose fields that
/// render it back exactly; `x` is the name the canonical lead would use.
pub fn recognise(x: &str, lines: &[String]) -> (Vec<String>, BlockText) {
    let Some(content) = lines
        .iter()
        .map(|l| from_comment(l))
        .collect::<Option<Vec<String>>>()
    else {
        return raw_fallback(lines);
    };
    let (modules, text) = structure(x, &content);
    // Items in another indentation would hide inside prose: keep such blocks raw.
    if render(x, &modules, &text) == lines && modules.len() == list_items(lines).len() {
        (modules, text)
    } else {
        raw_fallback(lines)
    }
}

/// Raw blocks still name their modules: every `  - m` item in them.
fn raw_fallback(lines: &[String]) -> (Vec<String>, BlockText) {
    (
        list_items(lines),
        BlockText {
            raw: Some(lines.join("\n")),
            header: true,
            ..Default::default()
        },
    )
}

/// Module items of a list in comment lines, in either indentation the tree uses.
pub fn list_items(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| {
            l.strip_prefix("//   - ")
                .or_else(|| l.strip_prefix("//  - "))
        })
        .map(str::to_string)
        .collect()
}

fn structure(x: &str, content: &[String]) -> (Vec<String>, BlockText) {
    let first_item = content.iter().position(|c| c.starts_with("  - "));
    let (lead, header, modules, rest) = match first_item {
        Some(i) => {
            let end = content[i..]
                .iter()
                .position(|c| !c.starts_with("  - "))
                .map_or(content.len(), |n| i + n);
            let modules: Vec<String> = content[i..end].iter().map(|c| c[4..].to_string()).collect();
            let header = i > 0 && content[i - 1] == LIST_HEADER;
            let lead_end = if header { i - 1 } else { i };
            (
                content[..lead_end].to_vec(),
                header,
                modules,
                &content[end..],
            )
        }
        None => {
            let end = content
                .iter()
                .position(String::is_empty)
                .unwrap_or(content.len());
            (content[..end].to_vec(), true, Vec::new(), &content[end..])
        }
    };
    let tail = match rest.split_first() {
        None => Some(String::new()),
        Some((sep, tail)) if sep.is_empty() => {
            if tail.iter().map(String::as_str).eq(DEFAULT_TAIL) {
                None
            } else {
                Some(tail.join("\n"))
            }
        }
        Some(_) => Some(rest.join("\n")), // does not render back; the caller falls back to raw
    };
    let mut text = BlockText {
        header,
        tail,
        ..Default::default()
    };
    if !(header && lead == default_lead(x)) {
        match lead_name_of(&lead) {
            Some(name) if header => text.lead_name = Some(name),
            _ => text.lead = Some(lead.join("\n")),
        }
    }
    (modules, text)
}

/// The X of a canonical two-line lead.
fn lead_name_of(lead: &[String]) -> Option<String> {
    if lead.len() != 2 || lead[1] != "but widely used packages access it using linkname." {
        return None;
    }
    let x = lead[0].strip_suffix(" should be an internal detail,")?;
    (!x.contains(' ')).then(|| x.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(str::to_string).collect()
    }

    #[test]
    fn canonical_block_round_trips_with_no_prose_fields() {
        let block = lines(
            "// errNoCertificates should be an internal detail,\n// but widely used packages access it using linkname.\n// Notable members of the hall of shame include:\n//   - github.com/xtls/xray-core\n//\n// Do not remove or change the type signature.\n// See go.dev/issue/67401.",
        );
        let (modules, text) = recognise("errNoCertificates", &block);
        assert_eq!(modules, ["github.com/xtls/xray-core"]);
        assert_eq!(text, BlockText::canonical());
        assert_eq!(render("errNoCertificates", &modules, &text), block);
    }

    #[test]
    fn other_lead_name_is_a_field_not_text() {
        let block = lines(
            "// runtime.cmpstring should be an internal detail,\n// but widely used packages access it using linkname.\n// Notable members of the hall of shame include:\n//   - a.b/c\n//\n// Do not remove or change the type signature.\n// See go.dev/issue/67401.",
        );
        let (_, text) = recognise("runtime_cmpstring", &block);
        assert_eq!(text.lead_name.as_deref(), Some("runtime.cmpstring"));
        assert!(!text.is_irregular());
    }

    #[test]
    fn directives_are_what_go_ast_calls_directives() {
        for d in [
            "//go:nosplit",
            "//go:linkname a b.c",
            "//line x.go:1",
            "//export F",
            "//extern f",
            "//lint:ignore x",
            "//a1:b",
        ] {
            assert!(is_directive(d), "{d}");
        }
        for p in [
            "// go:nosplit",
            "//",
            "// See go.dev/issue/67401.",
            "//Go:x",
            "//go:",
            "//:x",
            "//go: x",
            "//line",
        ] {
            assert!(!is_directive(p), "{p}");
        }
    }

    #[test]
    fn a_mention_of_the_issue_is_not_a_block() {
        let mention = lines("// Unlike bar, see go.dev/issue/67401 for why.\n//\n// More text.");
        assert_eq!(block_extent(&mention, false), None);
        assert_eq!(block_extent(&mention, true), None);
        // Without a list, only a push's signature paragraph is one (runtime.gopanic).
        let listless =
            lines("// Do not remove or change the type signature.\n// See go.dev/issue/67401.");
        assert_eq!(block_extent(&listless, true), Some(2));
        assert_eq!(block_extent(&listless, false), None);
    }

    #[test]
    fn a_paragraph_after_a_block_is_not_the_blocks() {
        let block = "// x should be an internal detail,\n// but widely used packages access it using linkname.\n// Notable members of the hall of shame include:\n//   - a.b/c\n//\n// Do not remove or change the type signature.\n// See go.dev/issue/67401.";
        for (after, covered) in [
            ("", 7),
            ("\n//\n// Deprecated: use y.", 7),
            (
                "\n//\n// More about x.\n//\n// The go:linkname is below.",
                7,
            ),
            (
                "\n//\n// Note that this comment is not part of the doc comment.",
                9,
            ),
            ("\n//\n// The go:linkname is below.", 9),
        ] {
            let all = lines(&format!("{block}{after}"));
            assert_eq!(block_extent(&all, true), Some(covered), "{after}");
        }
    }

    /// A damaged block with `//` twice in a row (found by tests/mutations.rs on math/big): strip
    /// took the paragraphs before the empty one and left a push block behind for a second run.
    #[test]
    fn an_empty_paragraph_inside_a_block_does_not_end_it() {
        let all = lines(
            "// x should be an internal detail,\n// but widely used packages access it using linkname.\n// Notable members of the hall of shame include:\n//   - a.b/c\n//\n//\n// Do not remove or change the type signature.\n// See go.dev/issue/67401.\n//\n//\n// Deprecated: use y.",
        );
        assert_eq!(block_extent(&all, true), Some(8));
    }

    #[test]
    fn variants_round_trip() {
        let cases = [
            // list without a tail (load_g)
            "// load_g should be an internal detail,\n// but widely used packages access it using linkname.\n// Notable members of the hall of shame include:\n//   - github.com/ebitengine/purego",
            // own header (HWCap)
            "// Other widely used packages\n// access HWCap using linkname as well, most notably:\n//   - github.com/klauspost/cpuid/v2\n//\n// Do not remove or change the type signature.\n// See go.dev/issue/67401.",
            // no list, free text (getAuxv)
            "// golang.org/x/sys/cpu and golang.org/x/sys/unix use getAuxv via linkname.\n// Do not remove or change the type signature.\n// See go.dev/issue/57336 and go.dev/issue/67401.",
            // extra tail paragraph (Form B)
            "// Despite being an exported symbol,\n// Repeat is linknamed by widely used packages.\n// Notable members of the hall of shame include:\n//   - gitee.com/quant1x/num\n//\n// Do not remove or change the type signature.\n// See go.dev/issue/67401.\n//\n// Note that this comment is not part of the doc comment.",
            // two-space items: not what gofmt keeps in a doc comment, so raw
            "// Widely used packages access these symbols using linkname,\n// most notably:\n//  - github.com/goccy/go-json\n//\n// Do not remove or change the type signature.",
        ];
        for case in cases {
            let block = lines(case);
            let (modules, text) = recognise("x", &block);
            assert_eq!(render("x", &modules, &text), block, "{case}");
            assert!(!modules.is_empty() || !case.contains("  - "), "{case}");
        }
    }
}
