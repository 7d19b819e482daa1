//! The series as `git format-patch` files: mbox headers, the message, a diffstat and the diff.
//! Everything that goes in is an input (author, date, series name), so the same inputs give the
//! same bytes: no host names, no absolute paths, no clock.

use crate::edit;
use crate::error::{Error, Result};
use crate::gotree::Tree;
use crate::message::CommitMessage;
use crate::plan::{FileChange, Plan};
use similar::{ChangeTag, TextDiff};

/// A point in time, UTC, as seconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// `2026-08-28T16:20:06Z` (the `time` line of a Go VERSION file), or Unix seconds.
    pub fn parse(s: &str) -> Option<Timestamp> {
        let s = s.trim();
        // What git am accepts in a Date header: from the epoch to the end of 2099.
        let in_range = |secs: i64| (0..=LAST_SECOND_GIT_TAKES).contains(&secs);
        if let Ok(secs) = s.parse::<i64>() {
            return in_range(secs).then_some(Timestamp(secs));
        }
        let s = s.strip_suffix('Z')?;
        let (date, time) = s.split_once('T')?;
        let d: Vec<i64> = date
            .split('-')
            .map(|x| x.parse().ok())
            .collect::<Option<_>>()?;
        let t: Vec<i64> = time
            .split(':')
            .map(|x| x.parse().ok())
            .collect::<Option<_>>()?;
        let (&[y, mo, da], &[h, mi, se]) = (d.as_slice(), t.as_slice()) else {
            return None;
        };
        let valid = (1970..=2099).contains(&y)
            && (1..=12).contains(&mo)
            && (1..=days_in_month(y, mo)).contains(&da)
            && (0..24).contains(&h)
            && (0..60).contains(&mi)
            && (0..60).contains(&se);
        let secs = days_from_civil(y, mo, da) * 86400 + h * 3600 + mi * 60 + se;
        (valid && in_range(secs)).then_some(Timestamp(secs))
    }

    /// RFC 2822, as git writes the Date header: `Fri, 28 Aug 2026 16:20:06 +0000`.
    pub fn rfc2822(self) -> String {
        let days = self.0.div_euclid(86400);
        let secs = self.0.rem_euclid(86400);
        let (y, m, d) = civil_from_days(days);
        const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        format!(
            "{}, {d} {} {y} {:02}:{:02}:{:02} +0000",
            WEEKDAYS[days.rem_euclid(7) as usize],
            MONTHS[(m - 1) as usize],
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
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

// Howard Hinnant's civil-calendar algorithms.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `Name <email>`, checked the way git checks an ident.
pub fn parse_ident(s: &str) -> Result<(String, String)> {
    let bad = || Error::Other(format!("author {s:?}: expected \"Name <email>\""));
    let (name, rest) = s.split_once('<').ok_or_else(bad)?;
    let email = rest.strip_suffix('>').ok_or_else(bad)?;
    let name = name.trim();
    if name.is_empty() || email.is_empty() || email.contains(['<', '>']) || !email.contains('@') {
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

/// RFC 2047 `Subject:` header, folded the way git folds it, for a subject that is not ASCII.
fn subject_header(prefix: &str, subject: &str) -> String {
    if subject.is_ascii() {
        return format!("Subject: {prefix}{subject}\n");
    }
    let mut words: Vec<String> = vec![String::new()];
    for c in subject.chars() {
        let mut enc = String::new();
        if c.is_ascii_alphanumeric() || ".,:/-+!*()".contains(c) {
            enc.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                enc.push_str(&format!("={b:02X}"));
            }
        }
        // Keep each folded line within 78 columns, the first one after its prefix.
        let room = if words.len() == 1 {
            57usize.saturating_sub(prefix.len()).max(16)
        } else {
            62
        };
        if words.last().unwrap().len() + enc.len() > room {
            words.push(String::new());
        }
        words.last_mut().unwrap().push_str(&enc);
    }
    let encoded: Vec<String> = words.iter().map(|w| format!("=?UTF-8?q?{w}?=")).collect();
    format!("Subject: {prefix}{}\n", encoded.join("\n "))
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
            (edit::git_path(tree, &c.rel), ins, del)
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
                edit::git_path(tree, &c.rel)
            )),
            (_, None) => out.push_str(&format!(
                " delete mode {} {}\n",
                edit::file_mode(&tree.path(&c.rel)),
                edit::git_path(tree, &c.rel)
            )),
            _ => {}
        }
    }
    out
}

/// Who and when, for every patch of a series.
pub struct Envelope {
    pub author: String,
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
    out.push_str(&format!("From: {}\n", envelope.author));
    out.push_str(&format!("Date: {}\n", envelope.date.rfc2822()));
    out.push_str(&subject_header(&prefix, &message.subject));
    if !(message.subject.is_ascii() && message.body.is_ascii() && envelope.author.is_ascii()) {
        out.push_str(
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n",
        );
    }
    out.push('\n');
    out.push_str(&message.body);
    out.push_str("---\n");
    out.push_str(&diffstat(tree, changes));
    out.push('\n');
    let plan = Plan {
        changes: changes.to_vec(),
        ..Plan::default()
    };
    out.push_str(&edit::unified_diff(tree, &plan));
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
        assert_eq!(Timestamp(0).rfc2822(), "Thu, 1 Jan 1970 00:00:00 +0000");
        assert_eq!(
            Timestamp::parse("951782400").unwrap().rfc2822(),
            "Tue, 29 Feb 2000 00:00:00 +0000"
        );
        assert!(Timestamp::parse("2026-13-01T00:00:00Z").is_none());
        assert!(Timestamp::parse("yesterday").is_none());
        // Dates git would refuse, or that a calendar does not have.
        for bad in [
            "2026-02-30T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "9999999999-01-01T00:00:00Z",
            "-1",
            "4102444800",
            "2026-01-01T00:00:60Z",
        ] {
            assert!(Timestamp::parse(bad).is_none(), "{bad} accepted");
        }
        assert!(Timestamp::parse("2024-02-29T00:00:00Z").is_some());
        assert!(Timestamp::parse("2099-12-31T23:59:59Z").is_some());
        assert!(Timestamp::parse("2100-01-01T00:00:00Z").is_none());
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

    #[test]
    fn encodes_non_ascii_subjects() {
        let h = subject_header(
            "[PATCH 01/11] ",
            "all: document legacy //go:linkname for modules with ≥100,000 dependents",
        );
        assert!(
            h.starts_with("Subject: [PATCH 01/11] =?UTF-8?q?all:=20"),
            "{h}"
        );
        assert!(h.contains("=E2=89=A5100,000=20dependents?="), "{h}");
        assert!(h.lines().all(|l| l.len() <= 78), "{h}");
    }

    #[test]
    fn idents_need_name_and_email() {
        assert!(parse_ident("A B <a@b.c>").is_ok());
        assert!(parse_ident("a@b.c").is_err());
        assert!(parse_ident("<a@b.c>").is_err());
    }
}
