//! Typed library errors. Each knows where it happened (file, line, column when there is one);
//! the binary maps every one of them to exit code 2.

use std::borrow::Cow;
use std::path::PathBuf;

/// Exit codes shared by every command: agreement, drift found, error.
pub mod exit {
    pub const OK: u8 = 0;
    pub const DRIFT: u8 = 1;
    pub const ERROR: u8 = 2;
}

pub use crate::diag::{Pos, display_file, display_path, display_rel, name_tree_files_from};

/// `1 symbol`, `2 symbols`, `0 symbols`: every count a message or page prints.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Characters a terminal would not show as themselves, so that text shown is never obeyed or
/// hidden. The rule: controls other than newline and tab (Cc); every format character (Cf:
/// bidi controls, CVE-2021-42574, zero-width characters, U+FEFF, the tag characters
/// U+E0000-U+E007F that smuggle text, and the other scripts' format controls); line and
/// paragraph separators (Zl, Zp); private-use characters (Co: a font may draw anything);
/// variation selectors, invisible themselves and a known way to hide bytes; the invisible
/// fillers (U+034F, the Hangul fillers); and noncharacters. Letters, marks and symbols of
/// any script stay.
pub fn is_invisible(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{0600}'..='\u{0605}' | '\u{06DD}'
            | '\u{070F}' | '\u{0890}'..='\u{0891}' | '\u{08E2}' | '\u{115F}'..='\u{1160}'
            | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{E000}'..='\u{F8FF}'
            | '\u{FDD0}'..='\u{FDEF}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}' | '\u{110BD}' | '\u{110CD}' | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}'
            | '\u{F0000}'..='\u{10FFFF}')
        // Noncharacters: the last two code points of every plane.
        || (c as u32) & 0xFFFE == 0xFFFE
}

/// `text` with every invisible character written as `\u{202e}`, for messages printed to a
/// terminal or a CI log: user-supplied text (module names, file names, prose) is shown, never
/// obeyed.
pub fn escape_invisible(text: &str) -> Cow<'_, str> {
    if !text.contains(is_invisible) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_invisible(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// JSON text with the invisible characters serde_json leaves raw (bidi and zero-width
/// characters; it escapes controls itself) written as `\u202e` escapes: the same value.
pub fn escape_invisible_json(json: &str) -> Cow<'_, str> {
    if !json.contains(is_invisible) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if is_invisible(c) && !c.is_ascii() {
            // JSON's \u escapes are UTF-16: a character beyond the BMP is a surrogate pair.
            for unit in c.encode_utf16(&mut [0; 2]) {
                out.push_str(&format!("\\u{:04x}", unit));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A file name as messages print it: UTF-8 as it is, any other byte as `\xe9`.
pub fn lossless_name(name: &std::ffi::OsStr) -> String {
    let mut out = String::new();
    for chunk in name.as_encoded_bytes().utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    // The OS error is part of the message, not a source: `{:#}` would print it twice.
    #[error("{}: {err}", display_path(&path.to_string_lossy()))]
    Io { path: PathBuf, err: std::io::Error },
    #[error("{pos}: {what}")]
    Encoding { pos: Pos, what: String },
    #[error("{pos}: {message}")]
    Allowlist { pos: Pos, message: String },
    #[error(
        "{pos}: Go file does not parse cleanly ({what}); fix it first: only files that parse are read or edited"
    )]
    GoSyntax { pos: Pos, what: String },
    #[error("{0}")]
    Tree(String),
    #[error("{pos}: {message}")]
    Plan { pos: Pos, message: String },
    #[error("{}", unplaceable(.0))]
    Unplaceable(Vec<crate::diag::Diagnostic>),
    #[error("{0}")]
    Other(String),
}

fn unplaceable(problems: &[crate::diag::Diagnostic]) -> String {
    let mut out = format!(
        "{} of the allowlist's entries cannot be placed in this tree; nothing was written (--skip-missing applies the rest):",
        problems.len()
    );
    for p in problems {
        out.push_str(&format!("\n  {}: {}", p.pos, p.message));
    }
    out
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, err: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            err,
        }
    }

    /// Text that is not UTF-8, at the first bad byte (line and column in bytes).
    pub fn encoding(file: &str, bytes: &[u8], e: &std::str::Utf8Error) -> Self {
        Self::encoding_of(file, bytes, e, "Go source is UTF-8")
    }

    /// [`Error::encoding`] for a file of another kind: `why` says what it must be.
    pub fn encoding_of(file: &str, bytes: &[u8], e: &std::str::Utf8Error, why: &str) -> Self {
        let at = e.valid_up_to();
        let before = &bytes[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = at
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
            + 1;
        Error::Encoding {
            pos: Pos {
                file: file.to_string(),
                line,
                col,
            },
            what: format!("invalid UTF-8 (byte 0x{:02x}); {why}", bytes[at]),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_are_escaped_visible_ones_kept() {
        assert_eq!(escape_invisible("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(escape_invisible("zero\u{200b}width"), "zero\\u{200b}width");
        assert_eq!(escape_invisible("bell\u{7}"), "bell\\u{7}");
        assert_eq!(escape_invisible("cr\r"), "cr\\u{d}");
        // Lines, tabs and letters of any script stay as they are.
        assert_eq!(escape_invisible("a\n\tb ≥ é 名"), "a\n\tb ≥ é 名");
        // JSON keeps its own escapes for controls and gets \uXXXX for the rest.
        assert_eq!(
            escape_invisible_json("{\"m\":\"a\u{202e}b\\n\"}"),
            "{\"m\":\"a\\u202eb\\n\"}"
        );
        let v: serde_json::Value =
            serde_json::from_str(&escape_invisible_json("\"x\u{2066}y\"")).unwrap();
        assert_eq!(v, "x\u{2066}y");
    }

    /// Review h12: characters beyond the BMP (tag characters, variation selectors 17-256,
    /// private use) reached the terminal raw, and JSON needs them as surrogate pairs.
    #[test]
    fn invisible_characters_beyond_the_bmp_are_escaped() {
        for c in [
            '\u{E0041}',
            '\u{E0001}',
            '\u{E0100}',
            '\u{FE0F}',
            '\u{F0000}',
            '\u{1D173}',
            '\u{1FFFF}',
            '\u{E000}',
            '\u{3164}',
        ] {
            assert!(is_invisible(c), "{:x}", c as u32);
        }
        for c in ['😀', '𝔸', '名', 'é', '\u{1F3FB}'] {
            assert!(!is_invisible(c), "{c}");
        }
        assert_eq!(escape_invisible("a\u{E0041}b"), "a\\u{e0041}b");
        let json = escape_invisible_json("\"x\u{E0041}y\"");
        assert_eq!(json, "\"x\\udb40\\udc41y\"");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v, "x\u{E0041}y");
    }

    #[test]
    fn names_that_are_not_utf8_show_their_bytes() {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"caf\xe9.go");
        assert_eq!(lossless_name(name), "caf\\xe9.go");
        assert_eq!(lossless_name(std::ffi::OsStr::new("café.go")), "café.go");
    }
}
