//! Symbols in Go assembly: `TEXT runtime·memmove(SB)` defines, `CALL runtime·memmove(SB)` and
//! `MOVQ runtime·zeroVal(SB), AX` reference. `·` separates package and name, `∕` stands for `/`
//! in the package path, and an empty package (`·name`) is the file's own package.

/// One `name(SB)` operand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsmSymbol {
    /// 1-based line and byte column of the symbol's first byte.
    pub line: usize,
    pub col: usize,
    /// The package path, or None for the file's own package (`·name`) or a symbol without a
    /// package (`crosscall2`, C-like).
    pub package: Option<String>,
    /// The name after the package (with any further `·` as `.`).
    pub name: String,
    /// Written with an explicit `<ABIInternal>` selector.
    pub abi_internal: bool,
    /// `TEXT`, `GLOBL` or `DATA` names this symbol as its first operand.
    pub definition: bool,
    /// The definition is a `TEXT` (a function), not data.
    pub text: bool,
    /// A bare symbol without `·`: a C-like name, not a Go package's.
    pub bare: bool,
    /// Written `name<>`: a file-local symbol, which the assembler names apart from the
    /// package symbol of the same name (except for the linker's builtins).
    pub is_static: bool,
    /// Byte column just past the operand (before `(SB)`).
    pub end_col: usize,
}

impl AsmSymbol {
    /// The linker's name for the symbol, given the file's own package path.
    pub fn linker_name(&self, own: &str) -> String {
        match (&self.package, self.bare) {
            (_, true) => self.name.clone(),
            (Some(p), _) => format!("{p}.{}", self.name),
            (None, _) => format!("{own}.{}", self.name),
        }
    }
}

/// Every `(SB)` symbol in an assembly file, skipping comments and file-static `·name<>` symbols
/// of the file's own package.
pub fn symbols(text: &str) -> Vec<AsmSymbol> {
    let mut out = Vec::new();
    let mut in_block = false;
    for (i, raw) in text.lines().enumerate() {
        let line = strip_comments(raw, &mut in_block);
        if !line.contains("(SB)") {
            continue;
        }
        let first_word = line
            .split_whitespace()
            .find(|w| !w.ends_with(':'))
            .unwrap_or("");
        let defines = matches!(first_word, "TEXT" | "GLOBL" | "DATA");
        let mut first = true;
        let mut from = 0;
        while let Some(at) = line[from..].find("(SB)").map(|a| a + from) {
            from = at + 4;
            let start = line[..at]
                .char_indices()
                .rev()
                .take_while(|&(_, c)| {
                    !(c.is_whitespace() || matches!(c, ',' | '$' | '(' | ')' | '*' | ';' | '\\'))
                })
                .last()
                .map_or(at, |(j, _)| j);
            let token = &line[start..at];
            let is_first = first;
            first = false;
            if let Some(sym) = parse_token(token) {
                out.push(AsmSymbol {
                    line: i + 1,
                    col: start + 1,
                    end_col: at + 1,
                    definition: defines && is_first,
                    text: first_word == "TEXT" && is_first,
                    ..sym
                });
            }
        }
    }
    out
}

/// `runtime∕internal∕atomic·Load+8<ABIInternal>` → package, name, selector.
fn parse_token(token: &str) -> Option<AsmSymbol> {
    let mut t = token;
    let mut abi_internal = false;
    let mut is_static = false;
    if let Some(open) = t.find('<') {
        let sel = &t[open..];
        // `<>` may come before an offset: `x<>+8`.
        if let Some(after) = sel.strip_prefix("<>") {
            is_static = true;
            t = match after.strip_prefix(['+', '-']) {
                Some(n) if n.chars().all(|c| c.is_ascii_digit()) => &t[..open],
                _ if after.is_empty() => &t[..open],
                _ => return None,
            };
        } else {
            abi_internal = sel == "<ABIInternal>";
            t = &t[..open];
        }
    }
    // An offset: runtime·x+8, runtime·x-8.
    if let Some(at) = t.rfind(['+', '-'])
        && at > 0
        && t[at + 1..].chars().all(|c| c.is_ascii_digit())
    {
        t = &t[..at];
    }
    if t.is_empty() || t.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    let valid = t
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '·' | '∕' | '.' | '/'));
    if !valid {
        return None;
    }
    // The assembler turns every `·` into `.` and every `∕` into `/`; the package is then up to
    // the first `.` after the last `/`, so `github·com∕a∕b·F` is package `github.com/a/b`.
    let (package, name, bare) = match t.find('·') {
        Some(0) => {
            let n = &t['·'.len_utf8()..];
            if n.is_empty() {
                return None;
            }
            (None, n.replace('·', ".").replace('∕', "/"), false)
        }
        Some(_) => {
            let full = t.replace('·', ".").replace('∕', "/");
            let slash = full.rfind('/').map_or(0, |i| i + 1);
            let dot = full[slash..].find('.').map(|d| d + slash)?;
            let (p, n) = (&full[..dot], &full[dot + 1..]);
            if n.is_empty() {
                return None;
            }
            (Some(p.to_string()), n.to_string(), false)
        }
        None => (None, t.to_string(), true),
    };
    // `·x<>` is the file's own static symbol: no other object can see or supply it.
    if is_static && package.is_none() {
        return None;
    }
    Some(AsmSymbol {
        line: 0,
        col: 0,
        package,
        name,
        abi_internal,
        definition: false,
        text: false,
        bare,
        is_static,
        end_col: 0,
    })
}

/// The line without `//` and `/* */` comments (which may span lines).
fn strip_comments(line: &str, in_block: &mut bool) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    loop {
        if *in_block {
            match rest.find("*/") {
                Some(at) => {
                    *in_block = false;
                    rest = &rest[at + 2..];
                }
                None => return out,
            }
        }
        let line_c = rest.find("//");
        let block_c = rest.find("/*");
        match (line_c, block_c) {
            (Some(l), Some(b)) if b < l => {
                out.push_str(&rest[..b]);
                out.push(' ');
                *in_block = true;
                rest = &rest[b + 2..];
            }
            (Some(l), _) => {
                out.push_str(&rest[..l]);
                return out;
            }
            (None, Some(b)) => {
                out.push_str(&rest[..b]);
                out.push(' ');
                *in_block = true;
                rest = &rest[b + 2..];
            }
            (None, None) => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_references_and_definitions() {
        let src = "#include \"textflag.h\"\n\
                   // CALL runtime·commented(SB)\n\
                   TEXT ·ref(SB), NOSPLIT, $0-8\n\
                   \tCALL runtime·memmove(SB)\n\
                   \tMOVQ runtime·zeroVal+8(SB), AX /* runtime·gone(SB) */\n\
                   \tLEAQ runtime∕internal∕atomic·Load<ABIInternal>(SB), BX\n\
                   \tLEAQ local<>(SB), CX\n\
                   \tCALL crosscall2(SB)\n\
                   GLOBL runtime·mine(SB), RODATA, $8\n\
                   DATA ·tab+0(SB)/8, $runtime·other(SB)\n";
        let syms = symbols(src);
        let names: Vec<(String, bool, usize, usize)> = syms
            .iter()
            .map(|s| (s.linker_name("main"), s.definition, s.line, s.col))
            .collect();
        assert_eq!(
            names,
            vec![
                ("main.ref".to_string(), true, 3, 6),
                ("runtime.memmove".to_string(), false, 4, 7),
                ("runtime.zeroVal".to_string(), false, 5, 7),
                ("runtime/internal/atomic.Load".to_string(), false, 6, 7),
                ("crosscall2".to_string(), false, 8, 7),
                ("runtime.mine".to_string(), true, 9, 7),
                ("main.tab".to_string(), true, 10, 6),
                ("runtime.other".to_string(), false, 10, 22),
            ]
        );
        assert!(syms[3].abi_internal);
        assert!(syms[4].bare);
        assert_eq!(syms[0].package, None);
    }

    #[test]
    fn every_prefix_of_a_file_parses_without_panic() {
        let src = "TEXT ·f(SB), $0 /* ü\n */ // é\n\tMOVQ $runtime∕internal·x+8<ABIInternal>(SB), AX\n\tCALL runtime·y<>(SB)\n";
        for (i, _) in src.char_indices() {
            let _ = symbols(&src[..i]);
        }
        // `runtime·y<>` names a static symbol of another package: a reference.
        let syms = symbols(src);
        assert_eq!(syms.len(), 3);
        assert!(syms[2].is_static && syms[2].linker_name("p") == "runtime.y");
    }

    /// Columns are bytes (`·` is two, `∕` three); `end_col` is just past the operand.
    #[test]
    fn full_import_paths_and_static_markers() {
        let src = "\tCALL github·com∕bytedance∕sonic∕internal∕rt·StopProfiling(SB)\n\
                   \tCALL runtime·morestack_noctxt<>(SB)\n\
                   \tMOVQ runtime·x<>+8(SB), AX\n\
                   \tLEAQ ·local<>(SB), AX\n\
                   \tCALL clib·_memcpy(SB)\n";
        let got: Vec<(Option<String>, String, bool, usize, usize)> = symbols(src)
            .into_iter()
            .map(|s| (s.package, s.name, s.is_static, s.col, s.end_col))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    Some("github.com/bytedance/sonic/internal/rt".into()),
                    "StopProfiling".into(),
                    false,
                    7,
                    69
                ),
                (
                    Some("runtime".into()),
                    "morestack_noctxt".into(),
                    true,
                    7,
                    34
                ),
                (Some("runtime".into()), "x".into(), true, 7, 21),
                (Some("clib".into()), "_memcpy".into(), false, 7, 20),
            ]
        );
    }

    #[test]
    fn odd_input_does_not_panic() {
        for src in [
            "(SB)",
            "·(SB)",
            "x·(SB)",
            "∕·∕(SB)",
            "+(SB)",
            "/* (SB)",
            "é·é(SB)",
        ] {
            let _ = symbols(src);
        }
        assert_eq!(symbols("é·ü(SB)")[0].name, "ü");
    }
}
