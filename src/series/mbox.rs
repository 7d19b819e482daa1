//! The series as `git format-patch` files: mbox headers, the message, a diffstat and the diff.
//! Everything that goes in is an input (author, date, series name), so the same inputs give the
//! same bytes: no host names, no absolute paths, no clock.

use crate::edit;
use crate::edit::FileChange;
use crate::error::{Error, Result};
use crate::series::message::CommitMessage;
use crate::tree::Tree;
use similar::{ChangeTag, TextDiff};

/// A point in time: seconds since the Unix epoch, and the UTC offset (minutes east) the date
/// was given in, which the Date header keeps as git does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    pub secs: i64,
    pub offset_minutes: i32,
}

impl Timestamp {
    pub fn utc(secs: i64) -> Timestamp {
        Timestamp {
            secs,
            offset_minutes: 0,
        }
    }

    /// What git takes for an ISO 8601 date: `2026-08-28T16:20:06Z` (the `time` line of a Go
    /// VERSION file), `2026-08-28T18:20:06+02:00`, `...-0800`, a blank for the `T` or before the
    /// offset, or Unix seconds. The reason when it is not one, or not a real date in git's range.
    pub fn parse(s: &str) -> std::result::Result<Timestamp, String> {
        if let Some(c) = s.chars().find(|c| c.is_control()) {
            return Err(format!(
                "holds the control character U+{:04X}, which would reach a mail header",
                u32::from(c)
            ));
        }
        let s = s.trim();
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            let secs: i64 = s
                .parse()
                .map_err(|_| format!("{s} seconds is beyond what git takes"))?;
            return in_range(secs).map(Timestamp::utc);
        }
        if s.starts_with('-') {
            return Err("a date before 1970 (git am refuses it)".into());
        }
        let form = || "not a date".to_string();
        // The date, then `T` or a blank, then the time, then `Z` or an offset.
        let (date, rest) = s.split_once(['T', 't', ' ']).ok_or_else(form)?;
        let rest = rest.trim_start();
        let (time, offset) = match rest.find(['Z', 'z', '+', '-', ' ']) {
            Some(i) => (&rest[..i], rest[i..].trim_start()),
            None => return Err("no time zone: end with Z or an offset such as +02:00".into()),
        };
        let number = |x: &str, what: &str| -> std::result::Result<i64, String> {
            if x.is_empty() || !x.bytes().all(|b| b.is_ascii_digit()) {
                return Err(form());
            }
            x.parse::<i64>()
                .map_err(|_| format!("{what} {x} is beyond what git takes"))
        };
        let d: Vec<&str> = date.split('-').collect();
        let t: Vec<&str> = time.split(':').collect();
        let (&[y, mo, da], &[h, mi, se]) = (d.as_slice(), t.as_slice()) else {
            return Err(form());
        };
        let (y, mo, da) = (number(y, "year")?, number(mo, "month")?, number(da, "day")?);
        let (h, mi, se) = (
            number(h, "hour")?,
            number(mi, "minute")?,
            number(se, "second")?,
        );
        if !(1970..=2099).contains(&y) {
            return Err(format!(
                "year {y} is outside 1970 to 2099, the years git am takes"
            ));
        }
        if !(1..=12).contains(&mo) {
            return Err(format!("there is no month {mo}"));
        }
        if !(1..=days_in_month(y, mo)).contains(&da) {
            return Err(format!(
                "{} {y} has {} days",
                MONTHS[(mo - 1) as usize],
                days_in_month(y, mo)
            ));
        }
        if !(0..24).contains(&h) || !(0..60).contains(&mi) || !(0..60).contains(&se) {
            return Err(format!("there is no time {time}"));
        }
        let offset_minutes = parse_offset(offset)?;
        let local = crate::date::days_from_civil(y, mo, da) * 86400 + h * 3600 + mi * 60 + se;
        let secs = local - i64::from(offset_minutes) * 60;
        in_range(secs).map(|secs| Timestamp {
            secs,
            offset_minutes,
        })
    }

    /// RFC 2822, as git writes the Date header: `Fri, 28 Aug 2026 16:20:06 +0000`.
    pub fn rfc2822(self) -> String {
        let local = self.secs + i64::from(self.offset_minutes) * 60;
        let days = local.div_euclid(86400);
        let secs = local.rem_euclid(86400);
        let (y, m, d) = crate::date::civil_from_days(days);
        const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let off = self.offset_minutes.unsigned_abs();
        format!(
            "{}, {d} {} {y} {:02}:{:02}:{:02} {sign}{:02}{:02}",
            WEEKDAYS[days.rem_euclid(7) as usize],
            MONTHS[(m - 1) as usize],
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            off / 60,
            off % 60
        )
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// From the epoch to the end of 2099: what git am accepts in a Date header.
fn in_range(secs: i64) -> std::result::Result<i64, String> {
    if (0..=LAST_SECOND_GIT_TAKES).contains(&secs) {
        Ok(secs)
    } else {
        Err("outside 1970 to 2099 (UTC), the dates git am takes".into())
    }
}

/// `Z`, `+02:00`, `+0200`, `-08`: minutes east of UTC. Real offsets lie within -12:00 and
/// +14:00.
fn parse_offset(s: &str) -> std::result::Result<i32, String> {
    if s.eq_ignore_ascii_case("z") {
        return Ok(0);
    }
    let bad = || format!("time zone {s:?}: expected Z or an offset such as +02:00 or -0800");
    let (sign, digits) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => return Err(bad()),
    };
    let digits = digits.replacen(':', "", 1);
    if !matches!(digits.len(), 2 | 4) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let h: i32 = digits[..2].parse().map_err(|_| bad())?;
    let m: i32 = if digits.len() == 4 {
        digits[2..].parse().map_err(|_| bad())?
    } else {
        0
    };
    let minutes = sign * (h * 60 + m);
    if m >= 60 || !(-12 * 60..=14 * 60).contains(&minutes) {
        return Err(format!(
            "time zone {s}: no place is more than 12 hours behind or 14 hours ahead of UTC"
        ));
    }
    Ok(minutes)
}

/// 2099-12-31T23:59:59Z: git am rejects a Date header from 2100 on.
const LAST_SECOND_GIT_TAKES: i64 = 4_102_444_799;

fn days_in_month(y: i64, m: i64) -> i64 {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Refuses text with a control character: in a mail header a newline ends the header and
/// starts another (a second `Subject:`), and in a commit it ends the author line.
pub fn refuse_controls(what: &str, s: &str) -> Result<()> {
    match s.chars().find(|c| c.is_control()) {
        Some(c) => Err(Error::Other(format!(
            "{what} {s:?} holds the control character U+{:04X}; it would reach a mail header or a commit, so it is refused",
            u32::from(c)
        ))),
        None => Ok(()),
    }
}

/// `Name <email>`, checked the way git checks an ident, and trimmed as git stores it: blanks,
/// `.,:;<>"\'` at either end of the name and of the address go.
pub fn parse_ident(s: &str) -> Result<(String, String)> {
    refuse_controls("author", s)?;
    let bad = || Error::Other(format!("author {s:?}: expected \"Name <email>\""));
    let (name, rest) = s.split_once('<').ok_or_else(bad)?;
    let email = rest.strip_suffix('>').ok_or_else(bad)?;
    let crud = |c: char| c <= ' ' || ",:;<>\"\\'.".contains(c);
    let (name, email) = (name.trim_matches(crud), email.trim_matches(crud));
    if name.is_empty()
        || email.is_empty()
        || name.contains(['<', '>'])
        || email.contains(['<', '>'])
        || !email.contains('@')
    {
        return Err(bad());
    }
    Ok((name.to_string(), email.to_string()))
}

/// `0001-all-document-legacy-go-linkname-for-modules-with-100-000-depende.patch`: as git
/// names it, the subject cut at 64 characters.
pub fn file_name(number: usize, subject: &str) -> String {
    let mut slug = String::new();
    for c in subject.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug: String = slug.trim_matches('-').chars().take(64).collect();
    while slug.ends_with(['-', '.']) {
        slug.pop();
    }
    format!("{number:04}-{slug}.patch")
}

/// The `Subject:` header as git format-patch writes it (pp_title_line): RFC 2047 encoded when
/// the subject is not ASCII (or holds `=?`), folded at 76 columns; else wrapped at 78.
fn subject_header(prefix: &str, subject: &str) -> String {
    let mut out = format!("Subject: {prefix}");
    if needs_rfc2047(subject) {
        add_rfc2047(&mut out, subject, false);
    } else {
        let used = out.len();
        add_wrapped(&mut out, subject, used, 78);
    }
    out.push('\n');
    out
}

/// The `From:` header as git format-patch writes it (pp_user_info): the name RFC 2047 encoded
/// when it is not ASCII, quoted when it holds an RFC 822 special, and the address moved to a
/// line of its own when it would pass the line's limit.
fn from_header(name: &str, email: &str) -> String {
    let mut out = String::from("From: ");
    let max = if needs_rfc2047(name) {
        add_rfc2047(&mut out, name, true);
        76
    } else if name.bytes().any(|b| b"()<>[]:;@,.\"\\".contains(&b)) {
        let mut quoted = String::from('"');
        for c in name.chars() {
            if c == '"' || c == '\\' {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        quoted.push('"');
        add_wrapped(&mut out, &quoted, 6, 78);
        78
    } else {
        add_wrapped(&mut out, name, 6, 78);
        78
    };
    if max < last_line_len(&out) + " <".len() + email.len() + ">".len() {
        out.push('\n');
    }
    out.push_str(&format!(" <{email}>\n"));
    out
}

fn needs_rfc2047(text: &str) -> bool {
    !text.is_ascii() || text.contains('\n') || text.contains("=?")
}

fn last_line_len(out: &str) -> usize {
    out.len() - out.rfind('\n').map_or(0, |i| i + 1)
}

/// git's add_rfc2047: Q-encoded UTF-8 words of at most 76 columns, a character never split;
/// in an address (a name before `<email>`) only letters, digits and `!*+-/` stay as they are.
fn add_rfc2047(out: &mut String, text: &str, address: bool) {
    const MAX: usize = 76;
    let mut line_len = last_line_len(out) + "=?UTF-8?q?".len();
    out.push_str("=?UTF-8?q?");
    for c in text.chars() {
        let mut buf = [0u8; 4];
        let bytes = c.encode_utf8(&mut buf).as_bytes();
        let b = bytes[0];
        let special = bytes.len() > 1
            || !(0x21..0x7f).contains(&b)
            || b"=?_".contains(&b)
            || (address && !(b.is_ascii_alphanumeric() || b"!*+-/".contains(&b)));
        let len = if special { 3 * bytes.len() } else { 1 };
        if line_len + len + "?=".len() > MAX {
            out.push_str("?=\n =?UTF-8?q?");
            line_len = " =?UTF-8?q?".len();
        }
        if special {
            for b in bytes {
                out.push_str(&format!("={b:02X}"));
            }
        } else {
            out.push(c);
        }
        line_len += len;
    }
    out.push_str("?=");
}

/// git's strbuf_add_wrapped_text for one line of ASCII text: the line already holds `used`
/// columns; a word that would take it past `width` starts a new line, indented by one blank.
fn add_wrapped(out: &mut String, text: &str, used: usize, width: usize) {
    let b = text.as_bytes();
    let (mut pos, mut bol, mut w, mut space) = (0usize, 0usize, used, Some(0usize));
    loop {
        let c = b.get(pos).copied();
        if !matches!(c, None | Some(b' ')) {
            w += 1;
            pos += 1;
            continue;
        }
        match space {
            Some(sp) if w > width => {
                out.push('\n');
                bol = sp + usize::from(b.get(sp) == Some(&b' '));
                pos = bol;
                space = None;
                w = 1;
            }
            _ => {
                if c.is_none() && pos == bol {
                    return;
                }
                let start = match space {
                    Some(sp) => sp,
                    None => {
                        out.push(' ');
                        bol
                    }
                };
                out.push_str(&text[start..pos]);
                if c.is_none() {
                    return;
                }
                space = Some(pos);
                w += 1;
                pos += 1;
            }
        }
    }
}

/// The diffstat git prints below `---`.
fn diffstat(tree: &Tree, changes: &[FileChange]) -> String {
    let rows: Vec<(String, usize, usize)> = changes
        .iter()
        .map(|c| {
            let diff = TextDiff::from_lines(
                c.old.as_deref().unwrap_or(""),
                c.new.as_deref().unwrap_or(""),
            );
            let (mut ins, mut del) = (0, 0);
            for change in diff.iter_all_changes() {
                match change.tag() {
                    ChangeTag::Insert => ins += 1,
                    ChangeTag::Delete => del += 1,
                    ChangeTag::Equal => {}
                }
            }
            (
                edit::quote_path("", &edit::git_path(&tree.diff_paths(), &c.rel)),
                ins,
                del,
            )
        })
        .collect();
    let name_w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let most = rows.iter().map(|r| r.1 + r.2).max().unwrap_or(0);
    let count_w = most.to_string().len();
    let graph_w = 72usize.saturating_sub(name_w + count_w + 5).max(10);
    let scale = |n: usize| {
        if most <= graph_w || n == 0 {
            n
        } else {
            1 + n * (graph_w - 1) / most
        }
    };
    let mut out = String::new();
    for (name, ins, del) in &rows {
        out.push_str(&format!(
            " {name:<name_w$} | {:>count_w$} {}{}\n",
            ins + del,
            "+".repeat(scale(*ins)),
            "-".repeat(scale(*del))
        ));
    }
    let (ins, del): (usize, usize) = rows.iter().fold((0, 0), |a, r| (a.0 + r.1, a.1 + r.2));
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut summary = format!(" {}", plural(rows.len(), "file changed", "files changed"));
    if ins > 0 || del == 0 {
        summary.push_str(&format!(
            ", {}",
            plural(ins, "insertion(+)", "insertions(+)")
        ));
    }
    if del > 0 {
        summary.push_str(&format!(", {}", plural(del, "deletion(-)", "deletions(-)")));
    }
    out.push_str(&summary);
    out.push('\n');
    for c in changes {
        match (&c.old, &c.new) {
            (None, _) => out.push_str(&format!(
                " create mode 100644 {}\n",
                edit::quote_path("", &edit::git_path(&tree.diff_paths(), &c.rel))
            )),
            (_, None) => out.push_str(&format!(
                " delete mode {} {}\n",
                edit::file_mode(&tree.path(&c.rel)),
                edit::quote_path("", &edit::git_path(&tree.diff_paths(), &c.rel))
            )),
            _ => {}
        }
    }
    out
}

/// Who and when, for every patch of a series.
pub struct Envelope {
    /// The author's name and address, as [`parse_ident`] gives them.
    pub name: String,
    pub email: String,
    pub date: Timestamp,
}

/// One `git format-patch` file: patch `number` of `total`.
pub fn format_patch(
    tree: &Tree,
    changes: &[FileChange],
    message: &CommitMessage,
    number: usize,
    total: usize,
    envelope: &Envelope,
) -> String {
    let prefix = if total == 1 {
        "[PATCH] ".to_string()
    } else {
        let w = total.to_string().len();
        format!("[PATCH {number:0w$}/{total}] ")
    };
    let mut out = String::new();
    out.push_str("From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n");
    out.push_str(&from_header(&envelope.name, &envelope.email));
    out.push_str(&format!("Date: {}\n", envelope.date.rfc2822()));
    out.push_str(&subject_header(&prefix, &message.subject));
    // As git: the headers are ASCII (RFC 2047); the message decides the transfer encoding.
    if !(message.subject.is_ascii() && message.body.is_ascii()) {
        out.push_str(
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n",
        );
    }
    out.push('\n');
    out.push_str(&message.body);
    out.push_str("---\n");
    out.push_str(&diffstat(tree, changes));
    out.push('\n');
    out.push_str(&edit::unified_diff(changes, &tree.diff_paths()));
    out.push_str(&format!("-- \nlinkallow {}\n\n", env!("CARGO_PKG_VERSION")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc2822() {
        let t = Timestamp::parse("2026-08-28T16:20:06Z").unwrap();
        assert_eq!(t.rfc2822(), "Fri, 28 Aug 2026 16:20:06 +0000");
        assert_eq!(
            Timestamp::utc(0).rfc2822(),
            "Thu, 1 Jan 1970 00:00:00 +0000"
        );
        assert_eq!(
            Timestamp::parse("951782400").unwrap().rfc2822(),
            "Tue, 29 Feb 2000 00:00:00 +0000"
        );
        assert!(Timestamp::parse("2026-13-01T00:00:00Z").is_err());
        assert!(Timestamp::parse("yesterday").is_err());
        // Dates git would refuse, or that a calendar does not have.
        for bad in [
            "2026-02-30T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "9999999999-01-01T00:00:00Z",
            "-1",
            "4102444800",
            "99999999999999999999999",
            "2026-01-01T00:00:60Z",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00+25:00",
            "2026-01-01T00:00:00+01:60",
            "2026-01-01T00:00:00+1",
            "1970-01-01T00:00:00+01:00",
            "2099-12-31T23:59:59-01:00",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad} accepted");
        }
        assert!(Timestamp::parse("2024-02-29T00:00:00Z").is_ok());
        assert!(Timestamp::parse("2099-12-31T23:59:59Z").is_ok());
        assert!(Timestamp::parse("2100-01-01T00:00:00Z").is_err());
    }

    #[test]
    fn offsets_are_kept_as_git_keeps_them() {
        let t = Timestamp::parse("2026-02-03T04:05:06+01:00").unwrap();
        assert_eq!(
            t.secs,
            Timestamp::parse("2026-02-03T03:05:06Z").unwrap().secs
        );
        assert_eq!(t.rfc2822(), "Tue, 3 Feb 2026 04:05:06 +0100");
        let t = Timestamp::parse("2026-02-03T04:05:06-0800").unwrap();
        assert_eq!(
            t.secs,
            Timestamp::parse("2026-02-03T12:05:06Z").unwrap().secs
        );
        assert_eq!(t.rfc2822(), "Tue, 3 Feb 2026 04:05:06 -0800");
        let t = Timestamp::parse("2026-01-01 00:30:00 -0100").unwrap();
        assert_eq!(t.rfc2822(), "Thu, 1 Jan 2026 00:30:00 -0100");
        assert_eq!(
            Timestamp::parse("2026-02-30T00:00:00Z").unwrap_err(),
            "Feb 2026 has 28 days"
        );
    }

    #[test]
    fn names_patches_like_git() {
        assert_eq!(
            file_name(
                1,
                "all: document legacy //go:linkname for modules with ≥100,000 dependents"
            ),
            "0001-all-document-legacy-go-linkname-for-modules-with-100-000-depende.patch"
        );
    }

    // Expectations below are git 2.39.5 format-patch output for the same names and subjects.
    #[test]
    fn encodes_and_folds_subjects_as_git() {
        assert_eq!(
            subject_header(
                "[PATCH 1/3] ",
                "all: document legacy //go:linkname for modules with ≥100,000 dependents (and some more words here)"
            ),
            "Subject: [PATCH 1/3] =?UTF-8?q?all:=20document=20legacy=20//go:linkname=20?=\n \
             =?UTF-8?q?for=20modules=20with=20=E2=89=A5100,000=20dependents=20(and=20s?=\n \
             =?UTF-8?q?ome=20more=20words=20here)?=\n"
        );
        assert_eq!(
            subject_header(
                "[PATCH 2/3] ",
                "all: a long ascii subject that goes on and on past the seventy-eight column limit of mail headers"
            ),
            "Subject: [PATCH 2/3] all: a long ascii subject that goes on and on past the\n \
             seventy-eight column limit of mail headers\n"
        );
        assert_eq!(
            subject_header("[PATCH 3/3] ", "p: ascii subject"),
            "Subject: [PATCH 3/3] p: ascii subject\n"
        );
    }

    #[test]
    fn encodes_and_quotes_authors_as_git() {
        let from = |s: &str| {
            let (name, email) = parse_ident(s).unwrap();
            from_header(&name, &email)
        };
        assert_eq!(
            from(
                "Jörg Müller-Lüdenscheidt von und zu Großhadern an der Isar, Esq. <j@example.com>"
            ),
            "From: =?UTF-8?q?J=C3=B6rg=20M=C3=BCller-L=C3=BCdenscheidt=20von=20und=20zu?=\n \
             =?UTF-8?q?=20Gro=C3=9Fhadern=20an=20der=20Isar=2C=20Esq?= <j@example.com>\n"
        );
        assert_eq!(
            from("J. R. \"Bob\" Dobbs <j@example.com>"),
            "From: \"J. R. \\\"Bob\\\" Dobbs\" <j@example.com>\n"
        );
        assert_eq!(
            from("Jörg <j@example.com>"),
            "From: =?UTF-8?q?J=C3=B6rg?= <j@example.com>\n"
        );
        assert_eq!(
            from("A U Thor <a@example.com>"),
            "From: A U Thor <a@example.com>\n"
        );
    }

    #[test]
    fn quotes_file_names_as_git() {
        // git 2.39.5 `git show` of files named so (core.quotePath on).
        assert_eq!(
            edit::quote_path("a/", "t\tq\"b\\\\é.go"),
            r#""a/t\tq\"b\\\\\303\251.go""#
        );
        assert_eq!(
            edit::quote_path("b/", "sp ace\"q.go"),
            r#""b/sp ace\"q.go""#
        );
        assert_eq!(edit::quote_path("a/", "x y.go"), "a/x y.go");
        assert_eq!(edit::quote_path("", "new\nline.go"), r#""new\nline.go""#);
        assert_eq!(
            edit::quote_path("", "bell\u{7}\u{1}\u{7f}"),
            r#""bell\a\001\177""#
        );
    }

    #[test]
    fn control_characters_never_reach_a_header() {
        for bad in [
            "A\nSubject: x <a@b.c>",
            "A <a@b.c\nSubject: x>",
            "A\r <a@b.c>",
            "A\u{85} <a@b.c>",
        ] {
            let err = parse_ident(bad).unwrap_err().to_string();
            assert!(err.contains("control character"), "{bad:?}: {err}");
        }
        assert!(Timestamp::parse("2026-01-01T00:00:00Z\nSubject: x").is_err());
        assert!(Timestamp::parse("2026-01-01T00:00:00Z\n").is_err());
        assert!(refuse_controls("series name", "legacy-linkname").is_ok());
        assert!(refuse_controls("series name", "a\tb").is_err());
    }

    #[test]
    fn idents_need_name_and_email() {
        assert!(parse_ident("A B <a@b.c>").is_ok());
        assert!(parse_ident("a@b.c").is_err());
        assert!(parse_ident("<a@b.c>").is_err());
    }
}
