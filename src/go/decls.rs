//! The top-level declarations of a Go file and its linkname directives, read with a small
//! tokenizer rather than a full parser: the linker rule needs only names, receivers, whether a
//! function has a body and whether a variable has a value. Strings, runes and comments are
//! skipped exactly, so a directive inside a raw string is not a directive.

/// A `//go:linkname` or `//go:linknamestd` comment outside strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub line: usize,
    pub col: usize,
    /// `//go:linknamestd`: a push for the standard library only.
    pub std: bool,
    pub local: String,
    pub target: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncDecl {
    pub name: String,
    /// `(T)` or `(*T)`: the type name and whether it is a pointer receiver.
    pub receiver: Option<(String, bool)>,
    pub has_body: bool,
    /// Type parameters on the function or its receiver: no symbol under the plain name.
    pub generic: bool,
    pub line: usize,
}

impl FuncDecl {
    /// The linker name inside package `pkg`: `pkg.f`, `pkg.T.m`, `pkg.(*T).m`.
    pub fn symbol(&self, pkg: &str) -> String {
        match &self.receiver {
            None => format!("{pkg}.{}", self.name),
            Some((t, false)) => format!("{pkg}.{t}.{}", self.name),
            Some((t, true)) => format!("{pkg}.(*{t}).{}", self.name),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarDecl {
    pub name: String,
    pub has_value: bool,
    pub line: usize,
}

/// One import spec: `name "path"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// `_`, `.` or an alias; None for the package's own name.
    pub name: Option<String>,
    pub path: String,
}

/// What a top-level declaration is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclKind {
    Func,
    Method,
    Type,
    Var,
    Const,
}

/// A top-level declaration with the names the compiler reads when it reads the declaration
/// (a type's definition, a function's signature, a variable's type and value; never a body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopDecl {
    pub kind: DeclKind,
    pub name: String,
    /// A method's receiver type name.
    pub receiver: Option<String>,
    /// `(Some(qualifier), name)` for `q.name`, `(None, name)` for a bare identifier.
    pub refs: Vec<(Option<String>, String)>,
    /// A variable with an initializer (read before every declaration, in init order).
    pub has_value: bool,
    pub line: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoDecls {
    /// The package clause's name.
    pub package: Option<String>,
    /// The import declarations, in order.
    pub imports: Vec<Import>,
    /// Every top-level declaration in order, with the names it mentions.
    pub decls: Vec<TopDecl>,
    pub funcs: Vec<FuncDecl>,
    pub vars: Vec<VarDecl>,
    /// Type and constant names with their lines.
    pub types: Vec<(String, usize)>,
    pub consts: Vec<(String, usize)>,
    pub directives: Vec<Directive>,
}

/// What a package-scope name declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalKind {
    Func { has_body: bool },
    Var { has_value: bool },
    Type,
    Const,
}

impl GoDecls {
    /// An `import "C"`: a cgo file, as the go command decides it (the path of an import spec,
    /// not text in a comment or string).
    pub fn imports_c(&self) -> bool {
        self.imports.iter().any(|i| i.path == "C")
    }

    /// What `name` declares at package scope in this file (methods excluded).
    pub fn lookup(&self, name: &str) -> Option<(LocalKind, usize)> {
        if let Some(f) = self
            .funcs
            .iter()
            .find(|f| f.receiver.is_none() && f.name == name)
        {
            return Some((
                LocalKind::Func {
                    has_body: f.has_body,
                },
                f.line,
            ));
        }
        if let Some(v) = self.vars.iter().find(|v| v.name == name) {
            return Some((
                LocalKind::Var {
                    has_value: v.has_value,
                },
                v.line,
            ));
        }
        if let Some((_, l)) = self.types.iter().find(|(n, _)| n == name) {
            return Some((LocalKind::Type, *l));
        }
        if let Some((_, l)) = self.consts.iter().find(|(n, _)| n == name) {
            return Some((LocalKind::Const, *l));
        }
        None
    }
}

/// A condition on the target that the compiler folds: `runtime.GOOS` (or `GOARCH`) is one of
/// `values` (or, when `negate`, none of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cond {
    pub goarch: bool,
    pub values: Vec<String>,
    pub negate: bool,
}

impl Cond {
    pub fn holds(&self, goos: &str, goarch: &str) -> bool {
        let v = if self.goarch { goarch } else { goos };
        self.values.iter().any(|x| x == v) != self.negate
    }

    fn negated(self) -> Cond {
        Cond {
            negate: !self.negate,
            ..self
        }
    }

    /// Where `self` or `other` holds (both on the same variable, as in one switch).
    fn or(self, other: &Cond) -> Cond {
        let has = |c: &Cond, v: &String| c.values.contains(v);
        let values = match (self.negate, other.negate) {
            (false, false) => {
                let mut v = self.values.clone();
                v.extend(other.values.iter().filter(|x| !has(&self, x)).cloned());
                v
            }
            // Not in A, or in B: not in A without B.
            (true, false) => self
                .values
                .iter()
                .filter(|x| !has(other, x))
                .cloned()
                .collect(),
            (false, true) => other
                .values
                .iter()
                .filter(|x| !has(&self, x))
                .cloned()
                .collect(),
            (true, true) => self
                .values
                .iter()
                .filter(|x| has(other, x))
                .cloned()
                .collect(),
        };
        Cond {
            goarch: self.goarch,
            values,
            negate: self.negate || other.negate,
        }
    }
}

/// One mention of an identifier (not after a `.`), with the folded conditions it sits under
/// (`if runtime.GOOS == "x" {`, `case "x":` of `switch runtime.GOOS {`, and their `else` and
/// `default`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    pub line: usize,
    pub conds: Vec<Cond>,
    /// The name being declared (`func name`).
    pub declares: bool,
}

/// Every identifier mention of a file, by name. `decls` is the file's [`parse`]: a
/// `runtime.GOOS` folds only where `runtime` is this file's import of package runtime.
pub fn uses(text: &str, decls: &GoDecls) -> std::collections::HashMap<String, Vec<Use>> {
    let mut ignored = Vec::new();
    let t = tokenize(text, &mut ignored);
    let mut out: std::collections::HashMap<String, Vec<Use>> = Default::default();
    // One frame per open brace: the condition of its block, and for a switch on the target,
    // its case labels and the condition of the current clause. An `else if` opens a frame
    // without a brace (`else { if ... }`, as the spec reads it) holding the negation of the
    // condition before it; it closes where its chain ends.
    struct Frame {
        cond: Option<Cond>,
        switch: Option<(bool, Vec<String>)>,
        /// The current clause's condition; None when unknown (then the clause is live).
        clause: Option<Cond>,
        else_if: bool,
    }
    let mut frames: Vec<Frame> = Vec::new();
    // The condition of the if-block just closed: Some(None) when it was not one scan folds.
    let mut last_if: Option<Option<Cond>> = None;
    let ident = |i: usize| match t.get(i).map(|x| &x.tok) {
        Some(Tok::Ident(s)) => Some(s.as_str()),
        _ => None,
    };
    let punct = |i: usize, c: char| t.get(i).map(|x| &x.tok) == Some(&Tok::Punct(c));
    // `runtime` names package runtime only if this file imports it under that name and no
    // other mention of `runtime` (a parameter, a local, a field) could shadow it: every
    // identifier `runtime` is then a qualifier (`runtime.`) or that import's own name.
    let runtime_is_package = decls
        .imports
        .iter()
        .any(|i| i.path == "runtime" && matches!(i.name.as_deref(), None | Some("runtime")))
        && !decls
            .imports
            .iter()
            .any(|i| i.path != "runtime" && i.name.as_deref() == Some("runtime"))
        && (0..t.len()).all(|i| {
            ident(i) != Some("runtime")
                || punct(i + 1, '.')
                || matches!(t.get(i + 1).map(|x| &x.tok), Some(Tok::Str(p)) if p == "runtime")
        });
    // `runtime.GOOS` / `runtime.GOARCH` starting at i: Some(is_goarch).
    let target_at = |i: usize| -> Option<bool> {
        if !runtime_is_package || ident(i)? != "runtime" || !punct(i + 1, '.') {
            return None;
        }
        match ident(i + 2)? {
            "GOOS" => Some(false),
            "GOARCH" => Some(true),
            _ => None,
        }
    };
    let mut i = 0;
    while i < t.len() {
        match &t[i].tok {
            Tok::Punct('{') => {
                let mut frame = Frame {
                    cond: None,
                    switch: None,
                    clause: None,
                    else_if: false,
                };
                // `if runtime.GOOS == "x" {` / `!=`
                if i >= 7
                    && ident(i - 7) == Some("if")
                    && punct(i - 2, '=')
                    && (punct(i - 3, '=') || punct(i - 3, '!'))
                    && let (Some(goarch), Some(Tok::Str(v))) =
                        (target_at(i - 6), t.get(i - 1).map(|x| &x.tok))
                {
                    frame.cond = Some(Cond {
                        goarch,
                        values: vec![v.clone()],
                        negate: punct(i - 3, '!'),
                    });
                } else if i >= 1 && ident(i - 1) == Some("else") {
                    frame.cond = last_if.take().flatten().map(Cond::negated);
                } else if i >= 4
                    && ident(i - 4) == Some("switch")
                    && let Some(goarch) = target_at(i - 3)
                {
                    frame.switch = Some((goarch, switch_labels(&t, i)));
                }
                last_if = None;
                frames.push(frame);
            }
            Tok::Punct('}') => {
                last_if = frames.pop().map(|f| f.cond);
                // A chain that does not go on with `else` closes its `else if` frames.
                if ident(i + 1) != Some("else") {
                    while frames.last().is_some_and(|f| f.else_if) {
                        frames.pop();
                    }
                }
            }
            Tok::Ident(k) if k == "else" && ident(i + 1) == Some("if") => {
                frames.push(Frame {
                    cond: last_if.take().flatten().map(Cond::negated),
                    switch: None,
                    clause: None,
                    else_if: true,
                });
            }
            Tok::Ident(k) if k == "case" || k == "default" => {
                // A clause entered by `fallthrough` also runs where the one before it does.
                let fallen = (1..=2)
                    .map(|d| i.checked_sub(d).map(|j| &t[j].tok))
                    .find(|tok| *tok != Some(&Tok::Semi))
                    .flatten()
                    == Some(&Tok::Ident("fallthrough".into()));
                if let Some(f) = frames.last_mut()
                    && let Some((goarch, labels)) = &f.switch
                {
                    let own = if k == "default" {
                        Some(Cond {
                            goarch: *goarch,
                            values: labels.clone(),
                            negate: true,
                        })
                    } else {
                        let mut values = Vec::new();
                        let mut j = i + 1;
                        let mut all_strings = true;
                        while let Some(tok) = t.get(j).map(|x| &x.tok) {
                            match tok {
                                Tok::Str(v) => values.push(v.clone()),
                                Tok::Punct(',') => {}
                                Tok::Punct(':') => break,
                                _ => {
                                    all_strings = false;
                                    break;
                                }
                            }
                            j += 1;
                        }
                        all_strings.then_some(Cond {
                            goarch: *goarch,
                            values,
                            negate: false,
                        })
                    };
                    f.clause = match (fallen, own, f.clause.take()) {
                        (false, own, _) => own,
                        (true, Some(own), Some(before)) => Some(own.or(&before)),
                        (true, _, _) => None,
                    };
                }
            }
            Tok::Ident(name) => {
                let after_dot = i > 0 && punct(i - 1, '.');
                if !after_dot {
                    let conds = frames
                        .iter()
                        .flat_map(|f| f.cond.iter().chain(f.clause.iter()))
                        .cloned()
                        .collect();
                    out.entry(name.clone()).or_default().push(Use {
                        line: t[i].line,
                        conds,
                        declares: i > 0 && ident(i - 1) == Some("func"),
                    });
                }
            }
            _ => {}
        }
        // A `}` followed by anything but `else` ends the if/else chain.
        if !matches!(t[i].tok, Tok::Punct('}')) && ident(i) != Some("else") {
            last_if = None;
        }
        i += 1;
    }
    out
}

/// The string labels of every clause of the switch whose body opens at `open`, for `default`.
/// A label that is not a string literal is left out, which only makes `default` wider.
fn switch_labels(t: &[Token], open: usize) -> Vec<String> {
    let mut labels = Vec::new();
    let mut depth = 0i32;
    let mut j = open;
    while j < t.len() {
        match &t[j].tok {
            Tok::Punct('{' | '(' | '[') => depth += 1,
            Tok::Punct('}' | ')' | ']') => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            Tok::Ident(k) if depth == 1 && k == "case" => {
                let mut k2 = j + 1;
                while let Some(tok) = t.get(k2).map(|x| &x.tok) {
                    match tok {
                        Tok::Str(v) => labels.push(v.clone()),
                        Tok::Punct(',') => {}
                        _ => break,
                    }
                    k2 += 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    labels
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    /// A rune or number literal.
    Lit,
    /// A string literal's value (escapes decoded).
    Str(String),
    Punct(char),
    /// An automatic or explicit semicolon.
    Semi,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

/// Reads the declarations of one Go file.
pub fn parse(text: &str) -> GoDecls {
    let mut decls = GoDecls::default();
    let tokens = tokenize(text, &mut decls.directives);
    Reader {
        t: &tokens,
        at: 0,
        out: &mut decls,
    }
    .file();
    decls
}

fn tokenize(text: &str, directives: &mut Vec<Directive>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut line = 1;
    let mut line_start = 0;
    let needs_semi = |out: &Vec<Token>| {
        matches!(
            out.last().map(|t| &t.tok),
            Some(Tok::Ident(_) | Tok::Lit | Tok::Str(_) | Tok::Punct(')' | ']' | '}'))
        )
    };
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => {
                if needs_semi(&out) {
                    out.push(Token {
                        tok: Tok::Semi,
                        line,
                    });
                }
                line += 1;
                i += 1;
                line_start = i;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |e| i + e);
                let comment = &text[i + 2..end];
                if let Some(d) = directive(comment, line, i - line_start + 1) {
                    directives.push(d);
                }
                i = end;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = memchr::memmem::find(&bytes[i + 2..], b"*/")
                    .map_or(bytes.len(), |e| i + 2 + e + 2);
                let newlines = memchr::memchr_iter(b'\n', &bytes[i..end]).count();
                if newlines > 0 {
                    if needs_semi(&out) {
                        out.push(Token {
                            tok: Tok::Semi,
                            line,
                        });
                    }
                    line += newlines;
                    line_start =
                        memchr::memrchr(b'\n', &bytes[i..end]).map_or(line_start, |e| i + e + 1);
                }
                i = end;
            }
            b'"' | b'\'' => {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != b && bytes[j] != b'\n' {
                    j += if bytes[j] == b'\\' && bytes.get(j + 1) != Some(&b'\n') {
                        2
                    } else {
                        1
                    };
                }
                // A string Go refuses or whose value is not UTF-8 equals no name: a literal.
                let tok = match text.get(i + 1..j.min(bytes.len())) {
                    Some(body) if b == b'"' => {
                        super::strlit::unquote(body).map_or(Tok::Lit, Tok::Str)
                    }
                    _ => Tok::Lit,
                };
                out.push(Token { tok, line });
                i = (j + 1).min(bytes.len());
                if j < bytes.len() && bytes[j] == b'\n' {
                    i = j; // unterminated: let the newline be seen
                }
            }
            b'`' => {
                let end =
                    memchr::memchr(b'`', &bytes[i + 1..]).map_or(bytes.len(), |e| i + 1 + e + 1);
                let inner = text
                    .get(i + 1..end.saturating_sub(1).max(i + 1))
                    .unwrap_or("");
                // A raw string's value drops its carriage returns.
                out.push(Token {
                    tok: Tok::Str(inner.replace('\r', "")),
                    line,
                });
                let newlines = memchr::memchr_iter(b'\n', &bytes[i..end]).count();
                if newlines > 0 {
                    line += newlines;
                    line_start =
                        memchr::memrchr(b'\n', &bytes[i..end]).map_or(line_start, |e| i + e + 1);
                }
                i = end;
            }
            b'0'..=b'9' => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.' || bytes[i] == b'_')
                {
                    i += 1;
                }
                out.push(Token {
                    tok: Tok::Lit,
                    line,
                });
            }
            b';' => {
                out.push(Token {
                    tok: Tok::Semi,
                    line,
                });
                i += 1;
            }
            _ if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 => {
                let start = i;
                let rest = &text[i..];
                let len: usize = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .map(char::len_utf8)
                    .sum();
                if len == 0 {
                    // A non-letter, non-ASCII character (an operator-like symbol): skip it.
                    i += rest.chars().next().map_or(1, char::len_utf8);
                    continue;
                }
                i += len;
                out.push(Token {
                    tok: Tok::Ident(text[start..i].to_string()),
                    line,
                });
            }
            _ => {
                out.push(Token {
                    tok: Tok::Punct(b as char),
                    line,
                });
                i += 1;
            }
        }
    }
    if needs_semi(&out) {
        out.push(Token {
            tok: Tok::Semi,
            line,
        });
    }
    out
}

/// `go:linkname local [target]` in a `//` comment's text.
fn directive(comment: &str, line: usize, col: usize) -> Option<Directive> {
    let (std, rest) = if let Some(r) = comment.strip_prefix("go:linknamestd") {
        (true, r)
    } else {
        (false, comment.strip_prefix("go:linkname")?)
    };
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let fields: Vec<&str> = rest.split_whitespace().collect();
    if fields.is_empty() || fields.len() > 2 {
        return None; // the compiler reports a usage error; nothing links from it
    }
    Some(Directive {
        line,
        col,
        std,
        local: fields[0].to_string(),
        target: fields.get(1).map(|s| s.to_string()),
    })
}

struct Reader<'a> {
    t: &'a [Token],
    at: usize,
    out: &'a mut GoDecls,
}

impl Reader<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.at).map(|t| &t.tok)
    }

    fn ident(&self) -> Option<&str> {
        match self.peek() {
            Some(Tok::Ident(s)) => Some(s),
            _ => None,
        }
    }

    /// At an opening bracket: moves past its match.
    fn skip_group(&mut self) {
        let mut depth = 0i32;
        while let Some(t) = self.peek() {
            match t {
                Tok::Punct('(' | '[' | '{') => depth += 1,
                Tok::Punct(')' | ']' | '}') => depth -= 1,
                _ => {}
            }
            self.at += 1;
            if depth <= 0 {
                return;
            }
        }
    }

    /// Moves to the end of the current spec: the next semicolon (or closing bracket of the
    /// enclosing group) at this depth. Returns whether a `=` was seen.
    fn skip_spec(&mut self) -> bool {
        let mut saw_assign = false;
        while let Some(t) = self.peek() {
            match t {
                Tok::Semi => return saw_assign,
                Tok::Punct(')' | ']' | '}') => return saw_assign,
                Tok::Punct('(' | '[' | '{') => {
                    self.skip_group();
                    continue;
                }
                Tok::Punct('=') => saw_assign = true,
                _ => {}
            }
            self.at += 1;
        }
        saw_assign
    }

    fn file(&mut self) {
        while let Some(t) = self.peek().cloned() {
            let line = self.t[self.at].line;
            match t {
                Tok::Ident(k) if k == "package" => {
                    self.at += 1;
                    self.out.package = self.ident().map(str::to_string);
                    self.skip_spec();
                }
                Tok::Ident(k) if k == "import" => {
                    self.at += 1;
                    self.imports();
                }
                Tok::Ident(k) if k == "func" => {
                    self.at += 1;
                    self.func(line);
                }
                Tok::Ident(k) if k == "var" || k == "const" || k == "type" => {
                    self.at += 1;
                    self.specs(&k);
                }
                Tok::Punct('(' | '[' | '{') => self.skip_group(),
                _ => self.at += 1,
            }
        }
    }

    /// `import "p"`, `import x "p"`, `import ( ... )`.
    fn imports(&mut self) {
        let grouped = self.peek() == Some(&Tok::Punct('('));
        let start = self.at;
        if grouped {
            self.skip_group();
        } else {
            self.skip_spec();
        }
        let mut name = None;
        for t in &self.t[start..self.at] {
            match &t.tok {
                Tok::Ident(n) => name = Some(n.clone()),
                Tok::Punct('.') => name = Some(".".to_string()),
                Tok::Str(path) => self.out.imports.push(Import {
                    name: name.take(),
                    path: path.clone(),
                }),
                Tok::Semi => name = None,
                _ => {}
            }
        }
    }

    /// The names tokens `from..to` mention: `q.x` qualified, other identifiers bare (a
    /// selector's field after a non-identifier is not a name).
    fn refs(&self, from: usize, to: usize) -> Vec<(Option<String>, String)> {
        let t = &self.t[from.min(self.t.len())..to.min(self.t.len())];
        let mut out = Vec::new();
        let mut i = 0;
        while i < t.len() {
            let after_dot = i > 0 && t[i - 1].tok == Tok::Punct('.');
            if let Tok::Ident(a) = &t[i].tok
                && !after_dot
            {
                if let (Some(Tok::Punct('.')), Some(Tok::Ident(b))) =
                    (t.get(i + 1).map(|x| &x.tok), t.get(i + 2).map(|x| &x.tok))
                {
                    out.push((Some(a.clone()), b.clone()));
                    i += 3;
                    continue;
                }
                out.push((None, a.clone()));
            }
            i += 1;
        }
        out
    }

    fn specs(&mut self, kind: &str) {
        if self.peek() == Some(&Tok::Punct('(')) {
            self.at += 1;
            loop {
                match self.peek() {
                    None => return,
                    Some(Tok::Punct(')')) => {
                        self.at += 1;
                        return;
                    }
                    Some(Tok::Semi) => self.at += 1,
                    _ => self.spec(kind),
                }
            }
        } else {
            self.spec(kind);
        }
    }

    fn spec(&mut self, kind: &str) {
        let mut names = Vec::new();
        while let Some(Tok::Ident(n)) = self.peek().cloned() {
            names.push((n, self.t[self.at].line));
            self.at += 1;
            if self.peek() == Some(&Tok::Punct(',')) && kind != "type" {
                self.at += 1;
            } else {
                break;
            }
        }
        if kind == "type" {
            names.truncate(1);
        }
        let start = self.at;
        let has_value = self.skip_spec();
        if self.at == start && names.is_empty() {
            self.at += 1; // a stray token: make progress
        }
        let refs = self.refs(start, self.at);
        for (name, line) in &names {
            self.out.decls.push(TopDecl {
                kind: match kind {
                    "var" => DeclKind::Var,
                    "const" => DeclKind::Const,
                    _ => DeclKind::Type,
                },
                name: name.clone(),
                receiver: None,
                refs: refs.clone(),
                has_value,
                line: *line,
            });
        }
        for (name, line) in names {
            match kind {
                "var" => self.out.vars.push(VarDecl {
                    name,
                    has_value,
                    line,
                }),
                "const" => self.out.consts.push((name, line)),
                _ => self.out.types.push((name, line)),
            }
        }
    }

    fn func(&mut self, line: usize) {
        let sig_start = self.at;
        let mut sig_end = None;
        let mut receiver = None;
        let mut generic = false;
        if self.peek() == Some(&Tok::Punct('(')) {
            let start = self.at;
            self.skip_group();
            let inner = &self.t[start + 1..self.at.saturating_sub(1).max(start + 1)];
            let head: Vec<&Tok> = inner
                .iter()
                .map(|t| &t.tok)
                .take_while(|t| **t != Tok::Punct('['))
                .collect();
            generic = inner.iter().any(|t| t.tok == Tok::Punct('['));
            let pointer = head.contains(&&Tok::Punct('*'));
            let idents: Vec<&str> = head
                .iter()
                .filter_map(|t| match t {
                    Tok::Ident(s) => Some(s.as_str()),
                    _ => None,
                })
                .collect();
            if let Some(t) = idents.last() {
                receiver = Some((t.to_string(), pointer));
            }
        }
        let Some(name) = self.ident().map(str::to_string) else {
            return;
        };
        self.at += 1;
        if self.peek() == Some(&Tok::Punct('[')) {
            generic = true;
            self.skip_group();
        }
        // Parameters, then results up to the body or the end of the declaration.
        if self.peek() == Some(&Tok::Punct('(')) {
            self.skip_group();
        }
        let mut has_body = false;
        while let Some(t) = self.peek().cloned() {
            match t {
                Tok::Semi => break,
                Tok::Ident(k) if k == "struct" || k == "interface" => {
                    self.at += 1;
                    if self.peek() == Some(&Tok::Punct('{')) {
                        self.skip_group();
                    }
                }
                Tok::Punct('{') => {
                    has_body = true;
                    sig_end = Some(self.at);
                    self.skip_group();
                    break;
                }
                Tok::Punct('(' | '[') => self.skip_group(),
                Tok::Ident(k) if k == "var" || k == "const" || k == "type" => break,
                _ => self.at += 1,
            }
        }
        let refs = self.refs(sig_start, sig_end.unwrap_or(self.at));
        self.out.decls.push(TopDecl {
            kind: if receiver.is_some() {
                DeclKind::Method
            } else {
                DeclKind::Func
            },
            name: name.clone(),
            receiver: receiver.as_ref().map(|(t, _)| t.clone()),
            refs,
            has_value: false,
            line,
        });
        self.out.funcs.push(FuncDecl {
            name,
            receiver,
            has_body,
            generic,
            line,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_declarations() {
        let src = r#"// Package x.
package x

import (
	"unsafe"
)

var s = `//go:linkname fake runtime.fake
func notreal() {`

//go:linkname memhash runtime.memhash
//go:noescape
func memhash(p unsafe.Pointer, h, s uintptr) uintptr

//go:linkname f runtime.f
func f() interface{} { return nil }

func g() (r struct{ a int }) { return }

func h() func() int

func (t *T) M(x int) {}
func (t T) N() {}
func (t *G[K]) O() {}
func P[T any]() {}

var (
	a, b int
	c    = map[string]int{"x": 1}
)

//go:linknamestd zeroVal
var zeroVal [8]byte

type T struct{ x int }
type G[K any] struct{}

const (
	k = iota
	l
)

/*
//go:linkname inblock runtime.inblock
*/
func last() {
}
"#;
        let d = parse(src);
        assert_eq!(d.package.as_deref(), Some("x"));
        let funcs: Vec<(String, bool, bool)> = d
            .funcs
            .iter()
            .map(|f| (f.symbol("x"), f.has_body, f.generic))
            .collect();
        assert_eq!(
            funcs,
            vec![
                ("x.memhash".into(), false, false),
                ("x.f".into(), true, false),
                ("x.g".into(), true, false),
                ("x.h".into(), false, false),
                ("x.(*T).M".into(), true, false),
                ("x.T.N".into(), true, false),
                ("x.(*G).O".into(), true, true),
                ("x.P".into(), true, true),
                ("x.last".into(), true, false),
            ]
        );
        let vars: Vec<(&str, bool)> = d
            .vars
            .iter()
            .map(|v| (v.name.as_str(), v.has_value))
            .collect();
        assert_eq!(
            vars,
            vec![
                ("s", true),
                ("a", false),
                ("b", false),
                ("c", true),
                ("zeroVal", false)
            ]
        );
        assert_eq!(
            d.types.iter().map(|t| t.0.as_str()).collect::<Vec<_>>(),
            vec!["T", "G"]
        );
        assert_eq!(
            d.consts.iter().map(|t| t.0.as_str()).collect::<Vec<_>>(),
            vec!["k", "l"]
        );
        let dirs: Vec<(usize, bool, &str, Option<&str>)> = d
            .directives
            .iter()
            .map(|x| (x.line, x.std, x.local.as_str(), x.target.as_deref()))
            .collect();
        assert_eq!(
            dirs,
            vec![
                (11, false, "memhash", Some("runtime.memhash")),
                (15, false, "f", Some("runtime.f")),
                (32, true, "zeroVal", None),
            ]
        );
        assert_eq!(
            d.lookup("zeroVal"),
            Some((LocalKind::Var { has_value: false }, 33))
        );
        assert_eq!(d.lookup("T"), Some((LocalKind::Type, 35)));
        assert_eq!(
            d.lookup("memhash"),
            Some((LocalKind::Func { has_body: false }, 13))
        );
    }

    #[test]
    fn every_prefix_of_a_file_parses_without_panic() {
        let src = "package x\n\nimport \"unsafe\"\n\n// é «go»\n//go:linkname f runtime.f\nfunc (r *T[K]) f(a, b int) (struct{ x int }, error) { s := `ü\n`; _ = '\\''; return }\nvar (\n\ta, b = 1, \"ß\"\n)\n/* ∕ · */ type T[K any] struct{}\n";
        for (i, _) in src.char_indices() {
            let _ = parse(&src[..i]);
        }
        assert_eq!(parse(src).funcs.len(), 1);
    }

    /// Whether each use of `bad` in `body` (inside `func main`) is live on linux/amd64.
    fn live_on_linux(imports: &str, body: &str) -> Vec<bool> {
        let src = format!("package main\n\nimport ({imports})\n\nfunc main() {{\n{body}\n}}\n");
        let d = parse(&src);
        uses(&src, &d)
            .get("bad")
            .map(|u| {
                u.iter()
                    .map(|u| u.conds.iter().all(|c| c.holds("linux", "amd64")))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn folded_conditions_follow_go_semantics() {
        let rt = "\"runtime\"";
        // fallthrough: the darwin clause also runs on linux.
        let ft = "switch runtime.GOOS {\ncase \"linux\":\nprintln(1)\nfallthrough\ncase \"darwin\":\nbad()\ncase \"ios\":\nbad()\n}";
        assert_eq!(live_on_linux(rt, ft), vec![true, false]);
        let ft_default = "switch runtime.GOOS {\ndefault:\nfallthrough\ncase \"darwin\":\nbad()\n}";
        assert_eq!(live_on_linux(rt, ft_default), vec![true]);
        // Escaped and raw literals are decoded; an undecodable one folds nothing.
        assert_eq!(
            live_on_linux(
                rt,
                "if runtime.GOOS == \"\\x6cinux\" { bad() }\nif runtime.GOOS == `linux` { bad() }\nif runtime.GOOS != \"\\154inux\" { bad() }"
            ),
            vec![true, true, false]
        );
        // else negates every condition of its chain.
        let chain = "if runtime.GOOS == \"linux\" {\n} else if runtime.GOOS == \"darwin\" {\nbad()\n} else if x {\nbad()\n} else {\nbad()\n}\nbad()";
        assert_eq!(live_on_linux(rt, chain), vec![false, false, false, true]);
        let chain_off = "if runtime.GOOS == \"windows\" {\n} else if y {\n} else {\nbad()\n}";
        assert_eq!(live_on_linux(rt, chain_off), vec![true]);
        // runtime must be the import of package runtime, unshadowed.
        let cond = "if runtime.GOOS == \"windows\" { bad() }";
        assert_eq!(live_on_linux(rt, cond), vec![false]);
        assert_eq!(live_on_linux("runtime \"runtime\"", cond), vec![false]);
        assert_eq!(
            live_on_linux("runtime \"example.com/fake\"", cond),
            vec![true]
        );
        assert_eq!(live_on_linux("rt \"runtime\"", cond), vec![true]);
        assert_eq!(
            live_on_linux(rt, &format!("runtime := T{{}}\n{cond}")),
            vec![true]
        );
        assert_eq!(
            live_on_linux(rt, &format!("for _, runtime := range xs {{\n{cond}\n}}")),
            vec![true]
        );
    }

    #[test]
    fn odd_input_does_not_panic() {
        for src in [
            "func",
            "func (",
            "var (",
            "\"unterminated\nfunc f() {}",
            "`",
            "/*",
            "func f() {",
            "é ü",
            "type",
            "x := 'a",
        ] {
            let _ = parse(src);
        }
    }
}
