//! The one `go.mod` reader: the `module` line and `require`s, tokenised as the go command's
//! modfile does (`//` comments anywhere on a line, so `module example.com/m // Deprecated: ...`
//! is the path `example.com/m`; `"..."` and backquoted strings; `( ... )` blocks), and the
//! module path rules of `golang.org/x/mod/module` (`CheckPath`, `CheckImportPath`), so a path
//! the go command refuses is refused here before it reaches a terminal, a page or a record.

/// What linkallow reads from a `go.mod`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoMod {
    /// The module path and its line.
    pub module: Option<(String, usize)>,
    /// Required module paths, in file order, without duplicates.
    pub requires: Vec<String>,
    /// The version each of `requires` names (the first `require` of a path).
    pub versions: Vec<String>,
    /// `replace` directives, in file order.
    pub replaces: Vec<Replace>,
}

/// `replace old [version] => new`: what the go command builds instead of a requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replace {
    pub old: String,
    /// None: every version of `old`.
    pub old_version: Option<String>,
    pub new: Replacement,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replacement {
    /// A folder (`./x`, `../x`, `/x`), relative to the go.mod's folder.
    Dir(String),
    Module {
        path: String,
        version: String,
    },
}

impl GoMod {
    /// The module providing import path `pkg` among the requirements (the longest module path
    /// that is `pkg` or a prefix of it at a `/`), with the version required.
    pub fn provider(&self, pkg: &str) -> Option<(&str, &str)> {
        self.requires
            .iter()
            .zip(&self.versions)
            .filter(|(m, _)| is_path_prefix(m, pkg))
            .max_by_key(|(m, _)| m.len())
            .map(|(m, v)| (m.as_str(), v.as_str()))
    }

    /// What replaces `module` at `version`: a replacement of that version wins over one of
    /// every version, as in the go command.
    pub fn replacement(&self, module: &str, version: &str) -> Option<&Replacement> {
        let by = |exact: bool| {
            self.replaces.iter().find(|r| {
                r.old == module
                    && if exact {
                        r.old_version.as_deref() == Some(version)
                    } else {
                        r.old_version.is_none()
                    }
            })
        };
        by(true).or_else(|| by(false)).map(|r| &r.new)
    }
}

/// `module` is `pkg` or an ancestor path of it.
pub fn is_path_prefix(module: &str, pkg: &str) -> bool {
    pkg == module || pkg.strip_prefix(module).is_some_and(|r| r.starts_with('/'))
}

/// Why a `go.mod` does not read, at 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoModError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

fn at(line: usize, col: usize, message: impl Into<String>) -> GoModError {
    GoModError {
        line,
        col,
        message: message.into(),
    }
}

/// Parses a `go.mod`, refusing what the go command refuses to read: an unclosed block or
/// quote, a `require` that is not `path version`, a second `module` line, a module or required
/// path that is not one ([`check_import_path`]: a main module may be `hello`). Directives this
/// reader does not use (`go`, `replace`, `retract`, ...) are skipped, as the go command skips
/// unknown ones in dependencies' files.
pub fn parse(text: &str) -> Result<GoMod, GoModError> {
    let mut module: Option<(String, usize)> = None;
    let mut requires: Vec<String> = Vec::new();
    let mut versions: Vec<String> = Vec::new();
    let mut replaces: Vec<Replace> = Vec::new();
    // The open block's verb and the line it opened on.
    let mut block: Option<(String, usize)> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let words = tokens(raw).map_err(|(col, m)| at(n, col, m))?;
        if words.is_empty() {
            continue;
        }
        let words: Vec<&str> = words.iter().map(|(_, w)| w.as_str()).collect();
        let (verb, args) = match &block {
            Some(_) if words == [")"] => {
                block = None;
                continue;
            }
            Some((verb, _)) => (verb.clone(), &words[..]),
            None => {
                if words.len() == 2 && words[1] == "(" {
                    block = Some((words[0].to_string(), n));
                    continue;
                }
                if words.contains(&"(") || words.contains(&")") {
                    return Err(at(n, 1, format!("unexpected parenthesis in {raw:?}")));
                }
                (words[0].to_string(), &words[1..])
            }
        };
        match verb.as_str() {
            "module" => {
                if module.is_some() {
                    return Err(at(n, 1, "repeated module statement"));
                }
                let [path] = args else {
                    return Err(at(n, 1, "usage: module module/path"));
                };
                check_import_path(path)
                    .map_err(|m| at(n, 1, format!("invalid module path {path:?}: {m}")))?;
                module = Some((path.to_string(), n));
            }
            "require" => {
                let [path, version] = args else {
                    return Err(at(
                        n,
                        1,
                        format!("usage: require module/path v1.2.3 (found {raw:?})"),
                    ));
                };
                check_import_path(path)
                    .map_err(|m| at(n, 1, format!("invalid module path {path:?}: {m}")))?;
                if !version.starts_with('v') {
                    return Err(at(
                        n,
                        1,
                        format!("{path}: version {version:?} does not start with v"),
                    ));
                }
                if !requires.iter().any(|r| r == path) {
                    requires.push(path.to_string());
                    versions.push(version.to_string());
                }
            }
            "replace" => replaces.push(replace(args).ok_or_else(|| {
                at(
                    n,
                    1,
                    format!(
                        "usage: replace module/path [v1.2.3] => other/module v1.4 or => ../local/directory (found {raw:?})"
                    ),
                )
            })?),
            _ => {}
        }
    }
    if let Some((verb, line)) = block {
        return Err(at(line, 1, format!("{verb} ( block is never closed")));
    }
    Ok(GoMod {
        module,
        requires,
        versions,
        replaces,
    })
}

/// A `replace` line's words after the verb, as modfile's `parseReplace` reads them.
fn replace(args: &[&str]) -> Option<Replace> {
    let arrow = args.iter().position(|w| *w == "=>")?;
    let (old, new) = (&args[..arrow], &args[arrow + 1..]);
    let (old, old_version) = match old {
        [p] => (p, None),
        [p, v] if v.starts_with('v') => (p, Some(v.to_string())),
        _ => return None,
    };
    check_import_path(old).ok()?;
    let new = match new {
        [d] if d.starts_with("./")
            || d.starts_with("../")
            || d.starts_with('/')
            || *d == "."
            || *d == ".." =>
        {
            Replacement::Dir(d.to_string())
        }
        [p, v] if v.starts_with('v') && check_import_path(p).is_ok() => Replacement::Module {
            path: p.to_string(),
            version: v.to_string(),
        },
        _ => return None,
    };
    Some(Replace {
        old: old.to_string(),
        old_version,
        new,
    })
}

/// The module path of a `go.mod`, or why there is none.
pub fn module_path(text: &str) -> Result<String, GoModError> {
    parse(text)?
        .module
        .map(|(p, _)| p)
        .ok_or_else(|| at(1, 1, "no module line in go.mod"))
}

/// A go.mod line's tokens with their byte columns: words and quoted strings (Go's interpreted
/// `"..."` and raw backquotes), `(` and `)` on their own, and nothing after `//`. Errors carry
/// a column.
fn tokens(line: &str) -> Result<Vec<(usize, String)>, (usize, String)> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if line[at..].starts_with("//") {
            break;
        } else if c == '(' || c == ')' {
            out.push((at + 1, c.to_string()));
            i += 1;
        } else if c == '"' || c == '`' {
            let mut s = String::new();
            let mut j = i + 1;
            loop {
                let Some(&(_, d)) = chars.get(j) else {
                    return Err((at + 1, "unterminated quoted string".into()));
                };
                if d == c {
                    break;
                }
                if d == '\\' && c == '"' {
                    j += 1;
                    let Some(&(_, e)) = chars.get(j) else {
                        return Err((at + 1, "unterminated quoted string".into()));
                    };
                    // Go's escapes; a path needs none of the others, and a byte escape
                    // (\xff, \377) may not make UTF-8.
                    match e {
                        '\\' | '"' => s.push(e),
                        'n' => s.push('\n'),
                        't' => s.push('\t'),
                        'r' => s.push('\r'),
                        'u' | 'U' => {
                            let len = if e == 'u' { 4 } else { 8 };
                            let hex: String = chars
                                .get(j + 1..j + 1 + len)
                                .map(|h| h.iter().map(|(_, c)| c).collect())
                                .unwrap_or_default();
                            let Some(ch) = u32::from_str_radix(&hex, 16)
                                .ok()
                                .filter(|_| hex.len() == len)
                                .and_then(char::from_u32)
                            else {
                                return Err((chars[j].0, format!("invalid escape \\{e}{hex}")));
                            };
                            s.push(ch);
                            j += len;
                        }
                        _ => return Err((chars[j].0, format!("invalid escape \\{e}"))),
                    }
                } else {
                    s.push(d);
                }
                j += 1;
            }
            out.push((at + 1, s));
            i = j + 1;
        } else {
            let mut j = i;
            while j < chars.len()
                && !chars[j].1.is_whitespace()
                && !matches!(chars[j].1, '(' | ')' | '"' | '`')
                && !line[chars[j].0..].starts_with("//")
            {
                j += 1;
            }
            let end = chars.get(j).map_or(line.len(), |&(e, _)| e);
            out.push((at + 1, line[at..end].to_string()));
            i = j;
        }
    }
    Ok(out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Module,
    Import,
}

/// `module.CheckPath`: a module path the go command would download: import-path rules with
/// only `-._~` and ASCII letters and digits, a first element that is a lower-case host name
/// (with a dot), and a well-formed `/vN` major-version suffix.
pub fn check_path(path: &str) -> Result<(), String> {
    check(path, Kind::Module)?;
    let first = path.split('/').next().unwrap_or("");
    if first.is_empty() {
        return Err("leading slash".into());
    }
    if !first.contains('.') {
        return Err("missing dot in first path element".into());
    }
    if first.starts_with('-') {
        return Err("leading dash in first path element".into());
    }
    if let Some(c) = first
        .chars()
        .find(|&c| !(c == '-' || c == '.' || c.is_ascii_digit() || c.is_ascii_lowercase()))
    {
        return Err(format!("invalid char {c:?} in first path element"));
    }
    if !major_suffix_ok(path) {
        return Err("invalid version".into());
    }
    Ok(())
}

/// `module.CheckImportPath`: what a main module's `module` line (`hello`, `std`) and a
/// `require` may name.
pub fn check_import_path(path: &str) -> Result<(), String> {
    check(path, Kind::Import)
}

fn check(path: &str, kind: Kind) -> Result<(), String> {
    if path.is_empty() {
        return Err("empty string".into());
    }
    if path.starts_with('-') {
        return Err("leading dash".into());
    }
    if path.contains("//") {
        return Err("double slash".into());
    }
    if path.ends_with('/') {
        return Err("trailing slash".into());
    }
    for elem in path.split('/') {
        check_elem(elem, kind)?;
    }
    Ok(())
}

fn check_elem(elem: &str, kind: Kind) -> Result<(), String> {
    if elem.is_empty() {
        return Err("empty path element".into());
    }
    if elem.bytes().all(|b| b == b'.') {
        return Err(format!("invalid path element {elem:?}"));
    }
    if elem.starts_with('.') && kind == Kind::Module {
        return Err("leading dot in path element".into());
    }
    if elem.ends_with('.') {
        return Err("trailing dot in path element".into());
    }
    let ok = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(c, '-' | '.' | '_' | '~')
            || (kind == Kind::Import && c == '+')
    };
    if let Some(c) = elem.chars().find(|&c| !ok(c)) {
        return Err(format!("invalid char {c:?}"));
    }
    let short = elem.split('.').next().unwrap_or(elem);
    const BAD_WINDOWS_NAMES: [&str; 22] = [
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
        "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];
    if BAD_WINDOWS_NAMES
        .iter()
        .any(|bad| bad.eq_ignore_ascii_case(short))
    {
        return Err(format!(
            "{short:?} disallowed as path element component on Windows"
        ));
    }
    if let Some(tilde) = short.rfind('~')
        && tilde < short.len() - 1
        && short[tilde + 1..].bytes().all(|b| b.is_ascii_digit())
    {
        return Err("trailing tilde and digits in path element".into());
    }
    Ok(())
}

/// `module.SplitPathVersion`'s verdict: a trailing `/vN` is `N >= 2` without a leading zero or
/// a dot; `gopkg.in/x.vN` paths are left to the go command.
fn major_suffix_ok(path: &str) -> bool {
    if path.starts_with("gopkg.in/") {
        return true;
    }
    let b = path.as_bytes();
    let mut i = b.len();
    let mut dot = false;
    while i > 0 && (b[i - 1].is_ascii_digit() || b[i - 1] == b'.') {
        dot |= b[i - 1] == b'.';
        i -= 1;
    }
    if i <= 1 || i == b.len() || b[i - 1] != b'v' || b[i - 2] != b'/' {
        return true;
    }
    let major = &path[i - 2..];
    !(dot || major.len() <= 2 || major.as_bytes()[2] == b'0' || major == "/v1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_resolve_by_longest_prefix_and_replacement() {
        let m = parse(
            "module example.com/main\nrequire (\n\tgolang.org/x/net v0.56.0\n\tgolang.org/x/net/sub v1.0.0\n)\nreplace golang.org/x/net => ../net\nreplace golang.org/x/net/sub v1.0.0 => example.com/fork v1.2.0\n",
        )
        .unwrap();
        assert_eq!(
            m.provider("golang.org/x/net/http2"),
            Some(("golang.org/x/net", "v0.56.0"))
        );
        assert_eq!(
            m.provider("golang.org/x/net/sub/a"),
            Some(("golang.org/x/net/sub", "v1.0.0"))
        );
        assert_eq!(m.provider("golang.org/x/netx/a"), None);
        assert_eq!(
            m.replacement("golang.org/x/net", "v0.56.0"),
            Some(&Replacement::Dir("../net".into()))
        );
        assert_eq!(
            m.replacement("golang.org/x/net/sub", "v1.0.0"),
            Some(&Replacement::Module {
                path: "example.com/fork".into(),
                version: "v1.2.0".into()
            })
        );
        assert_eq!(m.replacement("golang.org/x/net/sub", "v1.1.0"), None);
        let e = parse("module m\nreplace a => b\n").unwrap_err();
        assert_eq!((e.line, e.col), (2, 1));
        assert!(e.message.starts_with("usage: replace"), "{}", e.message);
    }

    #[test]
    fn gomod_module_line_comment_is_not_part_of_the_path() {
        for text in [
            "module example.com/m // comment\n",
            "module example.com/m// comment\n",
            "// Deprecated: use example.com/n\nmodule example.com/m\n",
            "module example.com/m // Deprecated: use example.com/n\n",
            "module \"example.com/m\" // quoted\n",
            "module `example.com/m`\n",
            "go 1.22\n\nmodule example.com/m\n",
        ] {
            assert_eq!(module_path(text), Ok("example.com/m".into()), "{text:?}");
        }
        assert_eq!(module_path("module \"a\\u00e9\"\n").unwrap_err().line, 1);
        assert_eq!(
            module_path("go 1.22\n").unwrap_err().message,
            "no module line in go.mod"
        );
        assert_eq!(module_path("\nmodule a b\n").unwrap_err().line, 2);
        let e = module_path("module \"example.com/\\x1b[31m\"\n").unwrap_err();
        assert!(e.message.contains("invalid escape"), "{e:?}");
    }

    #[test]
    fn module_paths_the_go_command_refuses() {
        for ok in [
            "example.com/m",
            "github.com/BurntSushi/toml",
            "gopkg.in/yaml.v3",
            "example.com/m/v2",
            "example.com/a_b~c-d.e",
        ] {
            assert_eq!(check_path(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("", "empty string"),
            ("example.com/\u{1b}[2J", "invalid char '\\u{1b}'"),
            ("example.com/a\u{202e}b", "invalid char '\\u{202e}'"),
            ("example.com/a b", "invalid char ' '"),
            ("example.com/<script>", "invalid char '<'"),
            ("hello", "missing dot in first path element"),
            ("Example.com/m", "invalid char 'E' in first path element"),
            ("-x.com/m", "leading dash"),
            ("example.com//m", "double slash"),
            ("example.com/m/", "trailing slash"),
            ("example.com/.m", "leading dot in path element"),
            ("example.com/m.", "trailing dot in path element"),
            ("example.com/..", "invalid path element \"..\""),
            (
                "example.com/con",
                "\"con\" disallowed as path element component on Windows",
            ),
            (
                "example.com/abc~1",
                "trailing tilde and digits in path element",
            ),
            ("example.com/m/v1", "invalid version"),
            ("example.com/m/v01", "invalid version"),
            ("example.com/m+x", "invalid char '+'"),
        ] {
            assert_eq!(check_path(bad), Err(why.to_string()), "{bad:?}");
        }
        // A main module may be `hello` or `std`, and an import path may hold `+`.
        for ok in ["hello", "std", "example.com/m+x", "example.com/.m"] {
            assert_eq!(check_import_path(ok), Ok(()), "{ok}");
        }
        assert!(check_import_path("example.com/\u{1b}]8;;x").is_err());
    }
}
