//! Go's interpreted string literals decoded as `strconv.Unquote` decodes them, so that
//! `"\x6cinux"` is `linux` to every reader of Go text (source files and `go.mod`).

/// The value of an interpreted string literal given its body (the text between the double
/// quotes), or the byte offset in `body` of the escape Go refuses and why. A value that is not
/// UTF-8 (`"\xff"`) is refused too: no path or target name is one.
pub fn unquote(body: &str) -> Result<String, (usize, String)> {
    let b = body.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => return Err((i, "unescaped \" in a string".into())),
            b'\n' => return Err((i, "newline in a string".into())),
            b'\\' => {}
            c => {
                out.push(c);
                i += 1;
                continue;
            }
        }
        let at = i;
        let Some(&e) = b.get(i + 1) else {
            return Err((at, "escape sequence not terminated".into()));
        };
        let hex = |n: usize| -> Result<u32, (usize, String)> {
            let digits = body.get(at + 2..at + 2 + n).unwrap_or("");
            if digits.len() == n && digits.bytes().all(|d| d.is_ascii_hexdigit()) {
                Ok(u32::from_str_radix(digits, 16).unwrap_or(u32::MAX))
            } else {
                Err((at, format!("invalid escape \\{}", e as char)))
            }
        };
        i += 2;
        match e {
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'\\' | b'"' => out.push(e),
            b'x' => {
                out.push(hex(2)? as u8);
                i += 2;
            }
            b'0'..=b'7' => {
                let digits = body.get(at + 1..at + 4).unwrap_or("");
                let v = (digits.len() == 3 && digits.bytes().all(|d| matches!(d, b'0'..=b'7')))
                    .then(|| u32::from_str_radix(digits, 8).ok())
                    .flatten()
                    .filter(|v| *v <= 255)
                    .ok_or((at, "invalid octal escape".to_string()))?;
                out.push(v as u8);
                i += 2;
            }
            b'u' | b'U' => {
                let n = if e == b'u' { 4 } else { 8 };
                let c = char::from_u32(hex(n)?).ok_or((
                    at,
                    format!("escape \\{} is not a Unicode code point", e as char),
                ))?;
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                i += n;
            }
            _ => {
                // A multi-byte character after the backslash: name it whole.
                let shown = body[at + 1..].chars().next().unwrap_or('?');
                return Err((at, format!("unknown escape \\{shown}")));
            }
        }
    }
    String::from_utf8(out).map_err(|_| (0, "the value is not UTF-8".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_what_strconv_unquote_decodes() {
        assert_eq!(unquote(r"\x6cinux").as_deref(), Ok("linux"));
        assert_eq!(unquote(r"\154inux").as_deref(), Ok("linux"));
        assert_eq!(unquote(r"\u006cinux").as_deref(), Ok("linux"));
        assert_eq!(unquote(r"\U0000006Cinux").as_deref(), Ok("linux"));
        assert_eq!(unquote(r#"a\\b\"c\t"#).as_deref(), Ok("a\\b\"c\t"));
        assert_eq!(unquote("é").as_deref(), Ok("é"));
        assert_eq!(unquote(r"\xc3\xa9").as_deref(), Ok("é"));
        for bad in [
            r"\xff",
            r"\x6",
            r"\q",
            r"\'",
            r"\400",
            r"\12",
            r"\ud800",
            r"\U00110000",
            "\\",
            "\"",
            r"\é",
        ] {
            assert!(unquote(bad).is_err(), "{bad}");
        }
        assert_eq!(unquote(r"ab\q").unwrap_err().0, 2);
    }
}
