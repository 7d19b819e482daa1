//! Go source as linkallow needs to see it: lines, top-level declarations (from tree-sitter-go) and
//! the `//` comment groups between them. Edits work on whole lines, so everything here is in rows.

use crate::error::{Error, Pos, Result};
use tree_sitter::{Node, Parser};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclKind {
    Package,
    Import,
    Func,
    Method,
    Var,
    Const,
    Type,
}

/// One top-level declaration, by rows (0-based, inclusive).
#[derive(Debug, Clone)]
pub struct Decl {
    pub kind: DeclKind,
    pub start: usize,
    pub end: usize,
    /// Declared identifiers: the function or method name, or every name of a var/const group.
    pub names: Vec<String>,
    /// Receiver type as written without the variable, e.g. `*rtype` or `funcInfo`.
    pub receiver: Option<String>,
    pub bodiless: bool,
}

impl Decl {
    /// A stable, readable handle: `func memhash`, `func (*rtype) Align`, `var sched`, `import`.
    pub fn key(&self) -> String {
        let first = self.names.first().map(String::as_str).unwrap_or("");
        match self.kind {
            DeclKind::Package => "package".into(),
            DeclKind::Import => "import".into(),
            DeclKind::Func => format!("func {first}"),
            DeclKind::Method => {
                format!("func ({}) {first}", self.receiver.as_deref().unwrap_or(""))
            }
            DeclKind::Var => format!("var {first}"),
            DeclKind::Const => format!("const {first}"),
            DeclKind::Type => format!("type {first}"),
        }
    }

    /// The linker's name for a method, relative to its package: `(*rtype).Align`, `funcInfo.entry`.
    pub fn method_symbol(&self) -> Option<String> {
        let recv = self.receiver.as_deref()?;
        let name = self.names.first()?;
        Some(match recv.strip_prefix('*') {
            Some(t) => format!("(*{t}).{name}"),
            None => format!("{recv}.{name}"),
        })
    }

    pub fn declares(&self, name: &str) -> bool {
        matches!(self.kind, DeclKind::Func | DeclKind::Var) && self.names.iter().any(|n| n == name)
    }
}

/// A parsed Go file. `rel` is the path relative to the tree's `src/` (or module root).
#[derive(Debug, Clone)]
pub struct GoFile {
    pub rel: String,
    pub lines: Vec<String>,
    /// Whether the text ended with a newline (every gofmt'd file does).
    pub final_newline: bool,
    pub decls: Vec<Decl>,
    /// Row -> true where the row lies inside a declaration.
    in_decl: Vec<bool>,
    /// The syntax tree of exactly `lines`, kept so that an edited text parses incrementally.
    syntax: Option<tree_sitter::Tree>,
}

impl GoFile {
    pub fn parse(rel: &str, text: &str) -> Result<GoFile> {
        Self::parse_reusing(rel, text, None)
    }

    /// `new`, a changed version of this file's text, parsed. tree-sitter re-parses what the
    /// edits between the two texts touch and reuses the rest of this file's tree: a full parse
    /// of `new` gives the same result, more slowly.
    pub fn parse_changed(&self, new: &str) -> Result<GoFile> {
        // gofmt'd files end with a newline; others are simply parsed afresh.
        let (Some(old_tree), true, Some(body)) = (
            &self.syntax,
            self.final_newline && !self.lines.is_empty(),
            new.strip_suffix('\n'),
        ) else {
            return Self::parse(&self.rel, new);
        };
        let old: Vec<&str> = self.lines.iter().map(String::as_str).collect();
        let new_lines: Vec<&str> = body.split('\n').collect();
        // Byte offset of each line's start, and of the end of the text.
        let starts = |lines: &[&str]| {
            let mut at = Vec::with_capacity(lines.len() + 1);
            let mut off = 0;
            for l in lines {
                at.push(off);
                off += l.len() + 1;
            }
            at.push(off);
            at
        };
        let (old_at, new_at) = (starts(&old), starts(&new_lines));
        let row = |row| tree_sitter::Point { row, column: 0 };
        let mut tree = old_tree.clone();
        let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &old, &new_lines);
        // Last edit first: what comes before an edit is still the old text, in old rows.
        for op in ops.iter().rev() {
            let (tag, o, n) = op.as_tag_tuple();
            if tag == similar::DiffTag::Equal {
                continue;
            }
            tree.edit(&tree_sitter::InputEdit {
                start_byte: old_at[o.start],
                old_end_byte: old_at[o.end],
                new_end_byte: old_at[o.start] + (new_at[n.end] - new_at[n.start]),
                start_position: row(o.start),
                old_end_position: row(o.end),
                new_end_position: row(o.start + n.len()),
            });
        }
        let file = Self::parse_reusing(&self.rel, new, Some(&tree))?;
        // A cheap guard on the reuse: every declaration starts its row with its keyword, as
        // gofmt writes it; anything else is parsed afresh.
        let keyword = |d: &Decl| match d.kind {
            DeclKind::Package => "package",
            DeclKind::Import => "import",
            DeclKind::Func | DeclKind::Method => "func",
            DeclKind::Var => "var",
            DeclKind::Const => "const",
            DeclKind::Type => "type",
        };
        if file.decls.iter().all(|d| {
            file.lines
                .get(d.start)
                .is_some_and(|l| l.starts_with(keyword(d)))
        }) {
            Ok(file)
        } else {
            Self::parse(&self.rel, new)
        }
    }

    /// Drops the syntax tree: the file is only read from now on.
    pub fn forget_syntax(&mut self) {
        self.syntax = None;
    }

    fn parse_reusing(rel: &str, text: &str, old: Option<&tree_sitter::Tree>) -> Result<GoFile> {
        if let Some(e) = scanner_refusal(rel, text) {
            return Err(e);
        }
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_go::LANGUAGE.into())
            .map_err(|e| Error::Other(format!("tree-sitter-go: {e}")))?;
        let tree = parser
            .parse(text, old)
            .ok_or_else(|| Error::Other(format!("{rel}: tree-sitter gave no tree")))?;
        let root = tree.root_node();
        if let Some(e) = bad_escape(rel, text, root) {
            return Err(e);
        }
        if root.has_error() {
            let bad = first_error(root).unwrap_or(root);
            let p = bad.start_position();
            let what = if bad.is_missing() {
                format!("missing {}", bad.kind())
            } else {
                "syntax error".to_string()
            };
            return Err(Error::GoSyntax {
                pos: Pos {
                    file: rel.to_string(),
                    line: p.row + 1,
                    col: p.column + 1,
                },
                what,
            });
        }
        let final_newline = text.ends_with('\n');
        let body = text.strip_suffix('\n').unwrap_or(text);
        let lines: Vec<String> = if text.is_empty() {
            Vec::new()
        } else {
            body.split('\n').map(str::to_string).collect()
        };
        let mut decls: Vec<Decl> = Vec::new();
        let mut cursor = root.walk();
        for node in root.named_children(&mut cursor) {
            if node.kind() == "comment" {
                continue;
            }
            // tree-sitter-go takes statements at top level and clauses in any order (for
            // snippets); Go takes a package clause, then imports, then declarations.
            let refuse = |what: String| {
                let p = node.start_position();
                Err(Error::GoSyntax {
                    pos: Pos {
                        file: rel.to_string(),
                        line: p.row + 1,
                        col: p.column + 1,
                    },
                    what,
                })
            };
            let Some(d) = decl_of(node, text) else {
                return refuse(format!("expected declaration, found {}", node.kind()));
            };
            let first = decls.is_empty();
            let after_imports = decls
                .last()
                .is_some_and(|p| !matches!(p.kind, DeclKind::Package | DeclKind::Import));
            match d.kind {
                DeclKind::Package if !first => return refuse("package clause not first".into()),
                _ if first && d.kind != DeclKind::Package => {
                    return refuse("expected package clause first".into());
                }
                DeclKind::Import if after_imports => {
                    return refuse("imports must appear before other declarations".into());
                }
                _ => decls.push(d),
            }
        }
        if decls.is_empty() {
            return Err(Error::GoSyntax {
                pos: Pos {
                    file: rel.to_string(),
                    line: 1,
                    col: 1,
                },
                what: "expected package clause, found end of file".into(),
            });
        }
        drop(cursor);
        let in_decl = rows_in(&decls, lines.len());
        Ok(GoFile {
            rel: rel.to_string(),
            lines,
            final_newline,
            decls,
            in_decl,
            syntax: Some(tree),
        })
    }

    pub fn text(&self) -> String {
        join_lines(&self.lines, self.final_newline)
    }

    /// The declaration starting at `row`.
    pub fn decl_starting_at(&self, row: usize) -> Option<&Decl> {
        self.decls.iter().find(|d| d.start == row)
    }

    pub fn decl_by_key(&self, key: &str) -> Option<&Decl> {
        self.decls.iter().find(|d| d.key() == key)
    }

    /// The func or var declaration (possibly a `var (...)` group) that declares `name`.
    pub fn decl_declaring(&self, name: &str) -> Option<&Decl> {
        self.decls.iter().find(|d| d.declares(name))
    }

    /// The last declaration that ends before `row`.
    pub fn decl_before(&self, row: usize) -> Option<&Decl> {
        self.decls.iter().rev().find(|d| d.end < row)
    }

    /// Whether `row` is a top-level `//` comment line (not inside a declaration).
    pub fn is_top_comment(&self, row: usize) -> bool {
        row < self.lines.len() && !self.in_decl[row] && self.lines[row].starts_with("//")
    }

    /// Whether `row` lies inside a top-level declaration.
    pub fn in_decl(&self, row: usize) -> bool {
        self.in_decl.get(row).copied().unwrap_or(false)
    }

    /// The source of a declaration, rows `start..=end`.
    pub fn decl_text(&self, d: &Decl) -> String {
        self.lines[d.start..=d.end.min(self.lines.len().saturating_sub(1))].join("\n")
    }

    pub fn is_blank(&self, row: usize) -> bool {
        row < self.lines.len() && !self.in_decl[row] && self.lines[row].trim().is_empty()
    }

    /// The comment group ending right above `row` (rows inclusive), if any.
    pub fn group_above(&self, row: usize) -> Option<(usize, usize)> {
        if row == 0 || !self.is_top_comment(row - 1) {
            return None;
        }
        let end = row - 1;
        let mut start = end;
        while start > 0 && self.is_top_comment(start - 1) {
            start -= 1;
        }
        Some((start, end))
    }

    /// All top-level comment groups, as inclusive row ranges.
    pub fn comment_groups(&self) -> Vec<(usize, usize)> {
        let mut groups = Vec::new();
        let mut row = 0;
        while row < self.lines.len() {
            if self.is_top_comment(row) {
                let start = row;
                while row + 1 < self.lines.len() && self.is_top_comment(row + 1) {
                    row += 1;
                }
                groups.push((start, row));
            }
            row += 1;
        }
        groups
    }

    /// The run of non-blank top-level rows containing `row`: what gofmt separates by blank lines.
    pub fn chunk_of(&self, row: usize) -> (usize, usize) {
        let mut start = row;
        while start > 0 && !self.is_blank(start - 1) {
            start -= 1;
        }
        let mut end = row;
        while end + 1 < self.lines.len() && !self.is_blank(end + 1) {
            end += 1;
        }
        (start, end)
    }

    pub fn pos(&self, row: usize, col: usize) -> Pos {
        Pos {
            file: self.rel.clone(),
            line: row + 1,
            col: col + 1,
        }
    }

    /// The declarations after whole-line edits `(start, end, lines put in)` (sorted, not
    /// overlapping) that take out only blank and [`is_inert`] lines between declarations, or
    /// whole declarations, and put in only inert lines (the caller checks those): the parse the
    /// edited text would get, with rows moved instead of parsing again. `None` when an edit
    /// reaches into a declaration or takes out a line that could change how the rest parses.
    pub fn decls_after_line_edits(&self, edits: &[(usize, usize, usize)]) -> Option<Vec<Decl>> {
        for &(start, end, _) in edits {
            let removed_decl = |r: usize| {
                self.decls
                    .iter()
                    .any(|d| start <= d.start && d.end < end && (d.start..=d.end).contains(&r))
            };
            let taken_out_ok = (start..end)
                .all(|r| removed_decl(r) || (!self.in_decl[r] && is_inert(&self.lines[r])));
            if !taken_out_ok {
                return None;
            }
        }
        let mut decls = Vec::with_capacity(self.decls.len());
        for d in &self.decls {
            let mut shift: isize = 0;
            let mut dropped = false;
            for &(start, end, put_in) in edits {
                if end <= d.start {
                    shift += put_in as isize - (end - start) as isize;
                } else if start <= d.start && d.end < end {
                    dropped = true;
                } else if start <= d.end {
                    // An edit that starts inside the declaration (an insertion at its first
                    // row goes before it and is counted above).
                    return None;
                }
            }
            if !dropped {
                let mut moved = d.clone();
                moved.start = d.start.checked_add_signed(shift)?;
                moved.end = d.end.checked_add_signed(shift)?;
                decls.push(moved);
            }
        }
        Some(decls)
    }

    /// This file as `lines`, whose declarations are `decls` (from
    /// [`GoFile::decls_after_line_edits`]).
    pub fn with_rows_moved(&self, lines: Vec<String>, decls: Vec<Decl>) -> GoFile {
        GoFile {
            rel: self.rel.clone(),
            in_decl: rows_in(&decls, lines.len()),
            lines,
            final_newline: self.final_newline,
            decls,
            syntax: None,
        }
    }

    /// Whether some import declaration of the file imports "unsafe" (under any name).
    pub fn has_unsafe_import(&self) -> bool {
        self.decls
            .iter()
            .filter(|d| d.kind == DeclKind::Import)
            .any(|d| {
                self.lines[d.start..=d.end]
                    .iter()
                    .any(|l| l.contains("\"unsafe\""))
            })
    }
}

/// Go's predeclared identifiers: never undefined.
const PREDECLARED: &[&str] = &[
    "any",
    "bool",
    "byte",
    "comparable",
    "complex64",
    "complex128",
    "error",
    "float32",
    "float64",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "rune",
    "string",
    "uint",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "uintptr",
    "true",
    "false",
    "iota",
    "nil",
    "append",
    "cap",
    "clear",
    "close",
    "complex",
    "copy",
    "delete",
    "imag",
    "len",
    "make",
    "max",
    "min",
    "new",
    "panic",
    "print",
    "println",
    "real",
    "recover",
    "_",
];

/// The names a Go snippet refers to without declaring them: what must come from its package
/// (or an import) for it to compile. Local declarations (parameters, results, `:=`, `var`,
/// `const`, range variables, the snippet's own top-level names) and predeclared names are left
/// out; so are selectors (`x.f`), whose meaning needs types. An approximation of the
/// compiler's "undefined:" check, conservative in what it reports.
pub fn free_names(rel: &str, snippet: &str) -> Result<Vec<String>> {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_go::LANGUAGE.into())
        .map_err(|e| Error::Other(format!("tree-sitter-go: {e}")))?;
    let tree = parser
        .parse(snippet, None)
        .ok_or_else(|| Error::Other(format!("{rel}: tree-sitter gave no tree")))?;
    let mut declared: Vec<String> = Vec::new();
    let mut used: Vec<String> = Vec::new();
    collect_names(tree.root_node(), snippet, &mut declared, &mut used);
    used.retain(|n| !declared.contains(n) && !PREDECLARED.contains(&n.as_str()));
    used.sort();
    used.dedup();
    Ok(used)
}

fn collect_names(node: Node, text: &str, declared: &mut Vec<String>, used: &mut Vec<String>) {
    let name_of = |n: Node| text_of(n, text).to_string();
    match node.kind() {
        "package_clause" | "import_declaration" | "comment" | "field_identifier"
        | "package_identifier" | "label_name" => return,
        "identifier" | "type_identifier" => {
            used.push(name_of(node));
            return;
        }
        // `T{field: v}`: a bare key names a field, not something in scope.
        "keyed_element" => {
            let mut c = node.walk();
            for (i, child) in node.named_children(&mut c).enumerate() {
                let key_is_name = i == 0
                    && child
                        .named_child(0)
                        .is_some_and(|k| k.kind() == "identifier")
                    && child.named_child_count() == 1;
                if !key_is_name {
                    collect_names(child, text, declared, used);
                }
            }
            return;
        }
        "selector_expression" => {
            if let Some(operand) = node.child_by_field_name("operand") {
                collect_names(operand, text, declared, used);
            }
            return;
        }
        "qualified_type" => return,
        "function_declaration"
        | "method_declaration"
        | "parameter_declaration"
        | "variadic_parameter_declaration"
        | "var_spec"
        | "const_spec"
        | "type_spec"
        | "type_alias"
        | "type_parameter_declaration" => {
            let mut c = node.walk();
            for n in node.children_by_field_name("name", &mut c) {
                declared.push(name_of(n));
            }
        }
        "short_var_declaration" | "range_clause" => {
            if let Some(left) = node.child_by_field_name("left") {
                let mut c = left.walk();
                for n in left.named_children(&mut c) {
                    if n.kind() == "identifier" {
                        declared.push(name_of(n));
                    }
                }
            }
        }
        _ => {}
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        // A declaration's own name was recorded above; its other parts are uses.
        collect_names(child, text, declared, used);
    }
}

/// What go/scanner refuses anywhere in a file, comments included, and tree-sitter-go takes: a
/// NUL byte ("illegal character NUL") and a byte order mark after the file's first character
/// ("illegal byte order mark"). Invalid UTF-8 never gets here (the text is a `str`; files that
/// are not UTF-8 are refused where they are read).
fn scanner_refusal(rel: &str, text: &str) -> Option<Error> {
    let (at, c) = text
        .char_indices()
        .find(|&(i, c)| c == '\0' || (c == '\u{FEFF}' && i > 0))?;
    let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    Some(Error::GoSyntax {
        pos: Pos {
            file: rel.to_string(),
            line: text[..at].matches('\n').count() + 1,
            col: at - line_start + 1,
        },
        what: if c == '\0' {
            "illegal character NUL (Go refuses the file)".into()
        } else {
            "illegal byte order mark (Go takes one only as the first character of a file)".into()
        },
    })
}

/// An escape sequence Go refuses ("unknown escape sequence", a `\\x` without two hex digits, an
/// octal escape over 255, a surrogate or out-of-range `\\u`/`\\U`, `\\'` in a string or `\\"` in a
/// rune): tree-sitter-go takes a backslash followed by anything.
fn bad_escape(rel: &str, text: &str, root: Node) -> Option<Error> {
    let mut from = 0;
    while let Some(i) = text[from..].find('\\').map(|n| from + n) {
        from = i + 1;
        let Some(node) = root.descendant_for_byte_range(i, i + 1) else {
            continue;
        };
        // A rune literal is one token: its escape is what stands between the quotes.
        let in_rune = node.kind() == "rune_literal";
        let range = if in_rune && node.start_byte() + 1 == i && node.end_byte() > i + 1 {
            i..node.end_byte() - 1
        } else if node.kind() == "escape_sequence" && node.start_byte() == i {
            node.byte_range()
        } else {
            continue;
        };
        from = range.end.max(from);
        let esc = &text[range];
        let hex = |n: usize| {
            let digits = &esc[2..];
            (digits.len() == n && digits.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| u32::from_str_radix(digits, 16).ok())
                .flatten()
        };
        let ok = match esc.as_bytes().get(1) {
            Some(b'a' | b'b' | b'f' | b'n' | b'r' | b't' | b'v' | b'\\') => esc.len() == 2,
            Some(b'\'') => esc.len() == 2 && in_rune,
            Some(b'"') => esc.len() == 2 && !in_rune,
            Some(b'0'..=b'7') => {
                esc.len() == 4
                    && esc[1..].bytes().all(|b| (b'0'..=b'7').contains(&b))
                    && u32::from_str_radix(&esc[1..], 8).is_ok_and(|v| v <= 255)
            }
            Some(b'x') => hex(2).is_some(),
            Some(b'u') => hex(4).is_some_and(|v| char::from_u32(v).is_some()),
            Some(b'U') => hex(8).is_some_and(|v| char::from_u32(v).is_some()),
            _ => false,
        };
        if !ok {
            let p = node.start_position();
            return Some(Error::GoSyntax {
                pos: Pos {
                    file: rel.to_string(),
                    line: p.row + 1,
                    col: p.column + 1,
                },
                what: format!("invalid escape sequence {esc:?} (Go refuses it)"),
            });
        }
    }
    None
}

/// A blank line, or a `//` comment that does not close a block comment: taking it out of or
/// putting it between declarations leaves how the rest of the file parses as it was.
pub fn is_inert(line: &str) -> bool {
    line.trim().is_empty() || (line.starts_with("//") && !line.contains("*/"))
}

/// Row -> whether it lies inside one of `decls`, for a file of `rows` rows.
fn rows_in(decls: &[Decl], rows: usize) -> Vec<bool> {
    let mut in_decl = vec![false; rows];
    for d in decls {
        let end = (d.end + 1).min(rows);
        if d.start < end {
            in_decl[d.start..end].fill(true);
        }
    }
    in_decl
}

pub fn join_lines(lines: &[String], final_newline: bool) -> String {
    let mut s = lines.join("\n");
    if final_newline && !lines.is_empty() {
        s.push('\n');
    }
    s
}

fn first_error(node: Node) -> Option<Node> {
    if node.is_error() || node.is_missing() {
        return Some(node);
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        if child.has_error()
            && let Some(e) = first_error(child)
        {
            return Some(e);
        }
    }
    None
}

fn text_of<'a>(node: Node, text: &'a str) -> &'a str {
    &text[node.byte_range()]
}

fn decl_of(node: Node, text: &str) -> Option<Decl> {
    let kind = match node.kind() {
        "package_clause" => DeclKind::Package,
        "import_declaration" => DeclKind::Import,
        "function_declaration" => DeclKind::Func,
        "method_declaration" => DeclKind::Method,
        "var_declaration" => DeclKind::Var,
        "const_declaration" => DeclKind::Const,
        "type_declaration" => DeclKind::Type,
        _ => return None,
    };
    let mut names = Vec::new();
    let mut receiver = None;
    let mut bodiless = false;
    match kind {
        DeclKind::Func | DeclKind::Method => {
            if let Some(n) = node.child_by_field_name("name") {
                names.push(text_of(n, text).to_string());
            }
            bodiless = node.child_by_field_name("body").is_none();
            if let Some(r) = node.child_by_field_name("receiver") {
                receiver = receiver_type(r, text);
            }
        }
        DeclKind::Var | DeclKind::Const | DeclKind::Type => {
            collect_spec_names(node, text, &mut names)
        }
        _ => {}
    }
    Some(Decl {
        kind,
        start: node.start_position().row,
        end: node.end_position().row,
        names,
        receiver,
        bodiless,
    })
}

fn collect_spec_names(node: Node, text: &str, names: &mut Vec<String>) {
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        match child.kind() {
            "var_spec" | "const_spec" | "type_spec" | "type_alias" => {
                let mut c = child.walk();
                for n in child.children_by_field_name("name", &mut c) {
                    names.push(text_of(n, text).to_string());
                }
            }
            "var_spec_list" | "const_spec_list" => collect_spec_names(child, text, names),
            _ => {}
        }
    }
}

/// `(sh serverHandler)` -> `serverHandler`; `(t *rtype)` -> `*rtype`; generic params dropped.
fn receiver_type(params: Node, text: &str) -> Option<String> {
    let mut cursor = params.walk();
    let decl = params
        .named_children(&mut cursor)
        .find(|n| n.kind() == "parameter_declaration")?;
    let ty = decl.child_by_field_name("type")?;
    let raw = text_of(ty, text);
    let raw = raw.split('[').next().unwrap_or(raw);
    Some(raw.chars().filter(|c| !c.is_whitespace()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "package p\n\nimport _ \"unsafe\"\n\n// doc\n//\n//go:linkname f\nfunc f() {}\n\nvar (\n\ta int\n\tb = 2\n)\n\nfunc (r *T) M() int\n";

    #[test]
    fn finds_declarations_and_groups() {
        let f = GoFile::parse("p/p.go", SRC).unwrap();
        let keys: Vec<String> = f.decls.iter().map(Decl::key).collect();
        assert_eq!(
            keys,
            ["package", "import", "func f", "var a", "func (*T) M"]
        );
        assert_eq!(f.group_above(7), Some((4, 6)));
        assert!(f.decl_declaring("b").is_some());
        assert_eq!(f.decls[4].method_symbol().as_deref(), Some("(*T).M"));
        assert!(f.decls[4].bodiless);
        assert_eq!(f.text(), SRC);
    }

    #[test]
    fn refuses_statements_at_top_level_as_go_does() {
        // A comment line split in two leaves `sue/67401.` at top level: gofmt says "expected
        // declaration"; tree-sitter-go alone would take it as an expression statement.
        let err = GoFile::parse("p/split.go", "package p\n\n// See go.dev/is\nsue/67401.\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("p/split.go:4:1:"), "{err}");
        assert!(err.contains("expected declaration"), "{err}");
    }

    /// go/scanner refuses these, tree-sitter-go does not; `gofmt -l` gives the same positions.
    #[test]
    fn refuses_what_go_scanner_refuses() {
        for (src, at, want) in [
            (
                "package p\n\n// a \u{FEFF} bom\nfunc f() {}\n",
                "p/x.go:3:6:",
                "illegal byte order mark",
            ),
            (
                "package p\n\nvar s = \"\u{FEFF}\"\n",
                "p/x.go:3:10:",
                "illegal byte order mark",
            ),
            (
                "package p\n\n// a \0 nul\nfunc f() {}\n",
                "p/x.go:3:6:",
                "illegal character NUL",
            ),
        ] {
            let err = GoFile::parse("p/x.go", src).unwrap_err().to_string();
            assert!(err.starts_with(at) && err.contains(want), "{err}");
        }
        let ok = "package p\n\nvar s = \"\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\\101\\x41\\u00e9\\U0001F600\" + `\\q`\nvar r = '\\''\n\n// \\q in a comment\n";
        GoFile::parse("p/x.go", ok).unwrap();
        // A byte order mark as the first character is Go's to skip.
        assert!(GoFile::parse("p/x.go", "\u{FEFF}package p\n").is_ok());
        for (src, what) in [
            ("package p\n\nvar s = \"\\q\"\n", "unknown escape"),
            ("package p\n\nvar s = \"\\'\"\n", "quote escape in a string"),
            (
                "package p\n\nvar r = '\\\"'\n",
                "double quote escape in a rune",
            ),
            ("package p\n\nvar s = \"\\x4\"\n", "short hex escape"),
            ("package p\n\nvar s = \"\\400\"\n", "octal escape over 255"),
            ("package p\n\nvar s = \"\\uD800\"\n", "surrogate escape"),
            (
                "package p\n\nvar s = \"\\U00110000\"\n",
                "escape past U+10FFFF",
            ),
            ("package p\n\nvar r = 'ab'\n", "multi-char rune"),
            ("package p\n\nvar r = ''\n", "empty rune"),
            ("package p\n\nvar x = 0x\n", "hex literal without digits"),
            ("package p\n\nvar x = 09\n", "invalid octal digit"),
            ("package p\n\nvar x = 1__0\n", "double underscore"),
            ("package p\n\n/* open\n", "unterminated comment"),
            ("package p\n\nvar s = `open\n", "unterminated raw string"),
        ] {
            assert!(GoFile::parse("p/x.go", src).is_err(), "{what} accepted");
        }
    }

    #[test]
    fn refuses_clauses_out_of_order() {
        for (src, what) in [
            ("func f() {}\npackage p\n", "expected package clause first"),
            (
                "package p\nfunc f() {}\nimport \"unsafe\"\n",
                "imports must appear",
            ),
        ] {
            let err = GoFile::parse("p/order.go", src).unwrap_err().to_string();
            assert!(err.contains(what), "{err}");
        }
    }

    #[test]
    fn free_names_are_what_a_snippet_needs_from_its_package() {
        let snippet = "package p\n\nfunc legacy(t Time) (n uint64) {\n\t_ = Time{wall: 1}\n\tx := absSeconds(t.sec())\n\tfor i, d := range days {\n\t\tn += uint64(i) + d\n\t}\n\tvar y = x + unixToInternal\n\treturn uint64(y) + marchThruDecember(x)\n}\n";
        let free = free_names("p/x.go", snippet).unwrap();
        assert_eq!(
            free,
            [
                "Time",
                "absSeconds",
                "days",
                "marchThruDecember",
                "unixToInternal"
            ]
        );
    }

    #[test]
    fn refuses_broken_go_with_position() {
        let err = GoFile::parse("p/bad.go", "package p\n\nfunc f( {\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("p/bad.go:3:"), "{msg}");
    }

    /// An incremental parse must be a parse: edited texts (comment lines in and out, lines
    /// deleted, replaced, or broken) give the declarations, rows and errors a fresh parse gives.
    #[test]
    fn parse_changed_equals_a_fresh_parse() {
        let base: String = (0..40)
            .map(|i| {
                format!(
                    "// f{i} does things.\n//go:linkname f{i}\nfunc f{i}(x int) int {{\n\tif x > {i} {{\n\t\treturn x\n\t}}\n\treturn {i}\n}}\n\nvar (\n\tv{i} = `raw\nstring`\n\tw{i} int\n)\n\n"
                )
            })
            .collect();
        let base = format!("package p\n\nimport _ \"unsafe\"\n\n{base}");
        let old = GoFile::parse("p/p.go", &base).unwrap();
        let inserts = [
            "// See go.dev/issue/67401.",
            "//",
            "",
            "//go:linkname g p.g",
            "func {",
            "/* open",
            "*/",
            "\tx := 1",
            "}",
        ];
        let mut seed: u64 = 0x9e3779b97f4a7c15;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let describe = |r: &Result<GoFile>| match r {
            Ok(f) => format!(
                "{:?}",
                f.decls
                    .iter()
                    .map(|d| (d.key(), d.start, d.end, d.bodiless))
                    .collect::<Vec<_>>()
            ),
            Err(e) => e.to_string(),
        };
        for case in 0..300 {
            let mut lines = old.lines.clone();
            for _ in 0..1 + next(4) {
                let at = next(lines.len());
                match next(3) {
                    0 => lines.insert(at, inserts[next(inserts.len())].to_string()),
                    1 => {
                        lines.remove(at);
                    }
                    _ => lines[at] = inserts[next(inserts.len())].to_string(),
                }
            }
            let text = join_lines(&lines, true);
            let fresh = GoFile::parse("p/p.go", &text);
            let changed = old.parse_changed(&text);
            assert_eq!(describe(&changed), describe(&fresh), "case {case}:\n{text}");
            if let (Ok(a), Ok(b)) = (&changed, &fresh) {
                assert_eq!(a.lines, b.lines);
                assert_eq!(a.in_decl, b.in_decl);
            }
        }
    }
}
