//! Build constraints as the go command evaluates them: file-name `_GOOS`, `_GOARCH`,
//! `_GOOS_GOARCH` suffixes and `//go:build` lines (`// +build` when a file has no `//go:build`).
//! One evaluator serves both the Go tree (which definitions exist) and scanned modules (which
//! pulls are built).

use std::fmt;

/// `knownOS` in go/build's syslist.go.
const KNOWN_OS: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "wasip1",
    "windows",
    "zos",
];
/// `unixOS` in go/build's syslist.go: the systems the `unix` tag matches.
const UNIX_OS: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "linux",
    "netbsd",
    "openbsd",
    "solaris",
];
/// `knownArch` in go/build's syslist.go.
const KNOWN_ARCH: &[&str] = &[
    "386",
    "amd64",
    "amd64p32",
    "arm",
    "armbe",
    "arm64",
    "arm64be",
    "loong64",
    "mips",
    "mipsle",
    "mips64",
    "mips64le",
    "mips64p32",
    "mips64p32le",
    "ppc",
    "ppc64",
    "ppc64le",
    "riscv",
    "riscv64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "wasm",
];

/// What a build is for: platform, release (the `go1.N` tags up to N) and cgo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildContext {
    pub goos: String,
    pub goarch: String,
    /// The minor release of the toolchain: 26 for go1.26.8.
    pub release: u32,
    pub cgo: bool,
    /// GOEXPERIMENT names in effect, lower case (`jsonv2`): the `goexperiment.X` tags.
    pub experiments: Vec<String>,
}

impl BuildContext {
    /// `matchTag` in go/build.
    pub fn matches_tag(&self, tag: &str) -> bool {
        match tag {
            "gc" => true,
            "gccgo" => false,
            "cgo" => self.cgo,
            "unix" => UNIX_OS.contains(&self.goos.as_str()),
            _ if tag == self.goos || tag == self.goarch => true,
            "linux" => self.goos == "android",
            "solaris" => self.goos == "illumos",
            "darwin" => self.goos == "ios",
            _ if tag.starts_with("goexperiment.") => self
                .experiments
                .iter()
                .any(|e| Some(e.as_str()) == tag.strip_prefix("goexperiment.")),
            _ => tag
                .strip_prefix("go1.")
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n >= 1 && n <= self.release),
        }
    }

    /// `goodOSArchFile` in go/build: the file name's `_GOOS`/`_GOARCH` suffixes.
    pub fn matches_file_name(&self, name: &str) -> bool {
        let stem = name.split('.').next().unwrap_or(name);
        let Some(i) = stem.find('_') else {
            return true;
        };
        let mut parts: Vec<&str> = stem[i..].split('_').collect();
        if parts.last() == Some(&"test") {
            parts.pop();
        }
        let n = parts.len();
        if n >= 2 && KNOWN_OS.contains(&parts[n - 2]) && KNOWN_ARCH.contains(&parts[n - 1]) {
            return self.matches_tag(parts[n - 2]) && self.matches_tag(parts[n - 1]);
        }
        if n >= 1 && (KNOWN_OS.contains(&parts[n - 1]) || KNOWN_ARCH.contains(&parts[n - 1])) {
            return self.matches_tag(parts[n - 1]);
        }
        true
    }

    /// Whether a file with this name and header constraint is built.
    pub fn builds(&self, name: &str, constraint: Option<&Constraint>) -> bool {
        self.matches_file_name(name) && constraint.is_none_or(|c| c.eval(self))
    }
}

/// Whether the go command sets `tag` from the platform, the toolchain or cgo (what
/// [`BuildContext`] decides), rather than from `-tags` or GOEXPERIMENT.
pub fn is_context_tag(tag: &str) -> bool {
    KNOWN_OS.contains(&tag)
        || KNOWN_ARCH.contains(&tag)
        || matches!(tag, "cgo" | "gc" | "gccgo" | "unix")
        || tag
            .strip_prefix("go1.")
            .is_some_and(|n| n.parse::<u32>().is_ok())
}

/// Every GOOS/GOARCH pair go/build knows words for: the ports to assume when a tree has no
/// `cmd/dist` to list its own.
pub fn every_os_arch() -> Vec<(String, String)> {
    KNOWN_OS
        .iter()
        .flat_map(|os| {
            KNOWN_ARCH
                .iter()
                .map(move |arch| (os.to_string(), arch.to_string()))
        })
        .collect()
}

/// The GOOS/GOARCH tags a file name's suffixes require (`x_linux_amd64.go` → linux, amd64).
pub fn file_name_tags(name: &str) -> Vec<String> {
    let stem = name.split('.').next().unwrap_or(name);
    let Some(i) = stem.find('_') else {
        return Vec::new();
    };
    let mut parts: Vec<&str> = stem[i..].split('_').collect();
    if parts.last() == Some(&"test") {
        parts.pop();
    }
    let n = parts.len();
    if n >= 2 && KNOWN_OS.contains(&parts[n - 2]) && KNOWN_ARCH.contains(&parts[n - 1]) {
        return vec![parts[n - 2].to_string(), parts[n - 1].to_string()];
    }
    if n >= 1 && (KNOWN_OS.contains(&parts[n - 1]) || KNOWN_ARCH.contains(&parts[n - 1])) {
        return vec![parts[n - 1].to_string()];
    }
    Vec::new()
}

/// A parsed build constraint expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constraint {
    Tag(String),
    Not(Box<Constraint>),
    And(Box<Constraint>, Box<Constraint>),
    Or(Box<Constraint>, Box<Constraint>),
}

impl Constraint {
    pub fn eval(&self, ctx: &BuildContext) -> bool {
        match self {
            Constraint::Tag(t) => ctx.matches_tag(t),
            Constraint::Not(x) => !x.eval(ctx),
            Constraint::And(a, b) => a.eval(ctx) && b.eval(ctx),
            Constraint::Or(a, b) => a.eval(ctx) || b.eval(ctx),
        }
    }

    /// [`Constraint::eval`], with the tags `free` decides (`Some`) taken as it says.
    pub fn eval_with(&self, ctx: &BuildContext, free: &dyn Fn(&str) -> Option<bool>) -> bool {
        match self {
            Constraint::Tag(t) => free(t).unwrap_or_else(|| ctx.matches_tag(t)),
            Constraint::Not(x) => !x.eval_with(ctx, free),
            Constraint::And(a, b) => a.eval_with(ctx, free) && b.eval_with(ctx, free),
            Constraint::Or(a, b) => a.eval_with(ctx, free) || b.eval_with(ctx, free),
        }
    }

    /// Every tag the expression names, in order, each once.
    pub fn tags(&self, out: &mut Vec<String>) {
        match self {
            Constraint::Tag(t) => {
                if !out.contains(t) {
                    out.push(t.clone());
                }
            }
            Constraint::Not(x) => x.tags(out),
            Constraint::And(a, b) | Constraint::Or(a, b) => {
                a.tags(out);
                b.tags(out);
            }
        }
    }

    /// Parses the expression of a `//go:build` line.
    pub fn parse(expr: &str) -> Result<Constraint, String> {
        let tokens = tokenize(expr)?;
        let mut p = Parser { tokens, at: 0 };
        let c = p.or()?;
        if p.at != p.tokens.len() {
            return Err(format!("unexpected {:?}", p.tokens[p.at]));
        }
        Ok(c)
    }

    /// The old `// +build` form: lines are ANDed, space-separated options ORed, commas ANDed.
    pub fn parse_plus_build(lines: &[&str]) -> Result<Constraint, String> {
        let mut all: Option<Constraint> = None;
        for line in lines {
            let mut any: Option<Constraint> = None;
            for option in line.split_whitespace() {
                let mut conj: Option<Constraint> = None;
                for term in option.split(',') {
                    let (neg, name) = match term.strip_prefix('!') {
                        Some(n) => (true, n),
                        None => (false, term),
                    };
                    if name.is_empty() || !name.chars().all(is_tag_char) {
                        return Err(format!("invalid +build term {term:?}"));
                    }
                    let mut t = Constraint::Tag(name.to_string());
                    if neg {
                        t = Constraint::Not(Box::new(t));
                    }
                    conj = Some(match conj {
                        None => t,
                        Some(c) => Constraint::And(Box::new(c), Box::new(t)),
                    });
                }
                if let Some(c) = conj {
                    any = Some(match any {
                        None => c,
                        Some(a) => Constraint::Or(Box::new(a), Box::new(c)),
                    });
                }
            }
            if let Some(a) = any {
                all = Some(match all {
                    None => a,
                    Some(x) => Constraint::And(Box::new(x), Box::new(a)),
                });
            }
        }
        all.ok_or_else(|| "empty +build constraint".to_string())
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn go(c: &Constraint, f: &mut fmt::Formatter<'_>, parent: u8) -> fmt::Result {
            match c {
                Constraint::Tag(t) => write!(f, "{t}"),
                Constraint::Not(x) => {
                    write!(f, "!")?;
                    go(x, f, 3)
                }
                Constraint::And(a, b) => {
                    if parent > 2 {
                        write!(f, "(")?;
                    }
                    go(a, f, 2)?;
                    write!(f, " && ")?;
                    go(b, f, 2)?;
                    if parent > 2 {
                        write!(f, ")")?;
                    }
                    Ok(())
                }
                Constraint::Or(a, b) => {
                    if parent > 1 {
                        write!(f, "(")?;
                    }
                    go(a, f, 1)?;
                    write!(f, " || ")?;
                    go(b, f, 1)?;
                    if parent > 1 {
                        write!(f, ")")?;
                    }
                    Ok(())
                }
            }
        }
        go(self, f, 0)
    }
}

fn is_tag_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Tag(String),
    Not,
    And,
    Or,
    Open,
    Close,
}

fn tokenize(expr: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = expr.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            ' ' | '\t' => {}
            '!' => out.push(Token::Not),
            '(' => out.push(Token::Open),
            ')' => out.push(Token::Close),
            '&' | '|' => {
                if chars.next_if(|&(_, d)| d == c).is_none() {
                    return Err(format!("expected {c}{c} at byte {i}"));
                }
                out.push(if c == '&' { Token::And } else { Token::Or });
            }
            c if is_tag_char(c) => {
                let mut tag = String::from(c);
                while let Some((_, d)) = chars.next_if(|&(_, d)| is_tag_char(d)) {
                    tag.push(d);
                }
                out.push(Token::Tag(tag));
            }
            _ => return Err(format!("unexpected {c:?} at byte {i}")),
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn or(&mut self) -> Result<Constraint, String> {
        let mut left = self.and()?;
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            let right = self.and()?;
            left = Constraint::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Constraint, String> {
        let mut left = self.not()?;
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            let right = self.not()?;
            left = Constraint::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Constraint, String> {
        match self.peek().cloned() {
            Some(Token::Not) => {
                self.at += 1;
                Ok(Constraint::Not(Box::new(self.not()?)))
            }
            Some(Token::Open) => {
                self.at += 1;
                let inner = self.or()?;
                if self.peek() != Some(&Token::Close) {
                    return Err("missing )".to_string());
                }
                self.at += 1;
                Ok(inner)
            }
            Some(Token::Tag(t)) => {
                self.at += 1;
                Ok(Constraint::Tag(t))
            }
            Some(t) => Err(format!("unexpected {t:?}")),
            None => Err("unexpected end of expression".to_string()),
        }
    }
}

/// A parsed constraint, or the parse error with its 1-based line.
pub type ParsedConstraint = Result<Constraint, (usize, String)>;

/// The header constraint of a Go or assembly file: the `//go:build` line before the package
/// clause (Go) or before the first instruction (assembly), else its `// +build` lines.
/// Returns the line's text (for reports) and its parse, or the parse error with its 1-based line.
pub fn header_constraint(text: &str) -> Option<(String, ParsedConstraint)> {
    let mut plus: Vec<(usize, &str)> = Vec::new();
    let mut in_block = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if in_block {
            if let Some(at) = line.find("*/") {
                in_block = false;
                if !line[at + 2..].trim().is_empty() {
                    break;
                }
            }
            continue;
        }
        if line.is_empty() {
            continue;
        }
        if let Some(expr) = line.strip_prefix("//go:build") {
            if !expr.is_empty() && !expr.starts_with([' ', '\t']) {
                continue;
            }
            let expr = expr.trim();
            return Some((
                expr.to_string(),
                Constraint::parse(expr).map_err(|e| (i + 1, e)),
            ));
        }
        if let Some(rest) = line.strip_prefix("// +build") {
            if rest.is_empty() || rest.starts_with([' ', '\t']) {
                plus.push((i + 1, rest.trim()));
            }
            continue;
        }
        if line.starts_with("//") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("/*") {
            in_block = !rest.contains("*/");
            continue;
        }
        break;
    }
    let first = plus.first()?.0;
    let lines: Vec<&str> = plus.iter().map(|(_, l)| *l).collect();
    let parsed = Constraint::parse_plus_build(&lines).map_err(|e| (first, e));
    let shown = match &parsed {
        Ok(c) => c.to_string(),
        Err(_) => lines.join(" / "),
    };
    Some((shown, parsed))
}

/// A file's constraint for reports: its name's GOOS/GOARCH suffixes and its header's
/// `//go:build` (or `// +build`) expression, or None when it has neither.
pub fn describe(name: &str, header: &str) -> Option<String> {
    let mut parts = Vec::new();
    let tags = file_name_tags(name);
    if !tags.is_empty() {
        parts.push(tags.join(" && "));
    }
    if let Some((expr, _)) = header_constraint(header) {
        parts.push(if parts.is_empty() || !expr.contains(' ') {
            expr
        } else {
            format!("({expr})")
        });
    }
    if parts.len() == 2 {
        return Some(format!("{} && {}", parts[0], parts[1]));
    }
    parts.pop()
}

/// The minor release of a Go version string: `go1.26.8` → 26, `go1.27rc1` → 27,
/// `devel go1.28-abcdef ...` → 28.
pub fn release_of(version: &str) -> Option<u32> {
    let at = version.find("go1.")?;
    let digits: String = version[at + 4..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(goos: &str, goarch: &str, release: u32) -> BuildContext {
        BuildContext {
            goos: goos.into(),
            goarch: goarch.into(),
            release,
            cgo: true,
            experiments: vec!["jsonv2".into()],
        }
    }

    fn eval(expr: &str, c: &BuildContext) -> bool {
        Constraint::parse(expr).unwrap().eval(c)
    }

    #[test]
    fn evaluates_expressions() {
        let c = ctx("linux", "amd64", 26);
        assert!(eval("linux && amd64", &c));
        assert!(eval("unix", &c));
        assert!(!eval("windows || (darwin && arm64)", &c));
        assert!(eval("!windows && (amd64 || arm64)", &c));
        assert!(eval("go1.26", &c));
        assert!(!eval("go1.27", &c));
        assert!(eval("!go1.27", &c));
        assert!(eval("cgo && gc", &c));
        assert!(!eval("ignore", &c));
        assert!(!eval("gccgo", &c));
        assert!(eval("!(plan9 || js)", &c));
        assert!(eval("goexperiment.jsonv2", &c));
        assert!(!eval("goexperiment.greenteagc", &c));
        let android = ctx("android", "arm64", 26);
        assert!(eval("linux", &android));
        assert!(Constraint::parse("linux &&").is_err());
        assert!(Constraint::parse("linux & amd64").is_err());
        assert!(Constraint::parse("(linux").is_err());
    }

    #[test]
    fn file_name_suffixes() {
        let c = ctx("linux", "amd64", 26);
        assert!(c.matches_file_name("x.go"));
        assert!(c.matches_file_name("x_linux.go"));
        assert!(c.matches_file_name("x_amd64.s"));
        assert!(c.matches_file_name("x_linux_amd64_test.go"));
        assert!(!c.matches_file_name("x_windows.go"));
        assert!(!c.matches_file_name("x_arm64.s"));
        assert!(!c.matches_file_name("x_linux_arm64.go"));
        assert!(!c.matches_file_name("linux_arm64.go"));
        assert!(
            c.matches_file_name("linux.go"),
            "no underscore, no constraint"
        );
        assert!(
            c.matches_file_name("x_unix.go"),
            "unix is not a file-name tag"
        );
        assert!(c.matches_file_name("x_test.go"));
    }

    #[test]
    fn header_lines() {
        let src = "// Copyright\n\n//go:build linux && !arm64\n\npackage x\n";
        let (shown, c) = header_constraint(src).unwrap();
        assert_eq!(shown, "linux && !arm64");
        assert!(c.unwrap().eval(&ctx("linux", "amd64", 26)));
        let old = "// +build linux darwin\n// +build amd64\n\npackage x\n";
        let (shown, c) = header_constraint(old).unwrap();
        assert_eq!(shown, "(linux || darwin) && amd64");
        assert!(c.unwrap().eval(&ctx("darwin", "amd64", 26)));
        assert!(header_constraint("package x\n//go:build linux\n").is_none());
        let (_, bad) = header_constraint("//go:build linux &&\npackage x\n").unwrap();
        assert_eq!(bad.unwrap_err().0, 1);
    }

    #[test]
    fn every_prefix_of_a_constraint_is_handled() {
        let expr = "(linux && !arm64) || (ü || go1.21) && !(cgo)";
        for (i, _) in expr.char_indices() {
            let _ = Constraint::parse(&expr[..i]);
            let _ = header_constraint(&format!("//go:build {}\npackage x\n", &expr[..i]));
        }
        assert!(Constraint::parse("(linux && !arm64) || (go1.21 && !cgo)").is_ok());
    }

    #[test]
    fn releases() {
        assert_eq!(release_of("go1.26.8"), Some(26));
        assert_eq!(release_of("go1.27rc1"), Some(27));
        assert_eq!(release_of("devel go1.28-abc"), Some(28));
        assert_eq!(release_of("weird"), None);
    }
}
