//! Go-style commit messages for the series: `pkg: title`, a wrapped body, `For #67401.`, and a
//! Gerrit `Change-Id` derived from the series name and the stage, so that regenerating the series
//! updates the same CLs instead of opening new ones.

use crate::allowlist::{Allowlist, Dependents};
use crate::series::{StageKind, Step, thousands};
use crate::tree::Tree;

/// A commit message in its parts; `text()` joins them as git stores them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitMessage {
    pub subject: String,
    /// Paragraphs, `For #67401.` and the trailer, without the subject.
    pub body: String,
}

impl CommitMessage {
    pub fn text(&self) -> String {
        format!("{}\n\n{}", self.subject, self.body)
    }

    /// Why git would not keep the message as written, if it would not: a control character (in
    /// the subject any, a newline included; in the body any but newline and tab), or a body
    /// line `git am` takes for the start of the diff (`---`, `diff -`, `Index: `).
    pub fn refusal(&self) -> Option<String> {
        if let Some(c) = self.subject.chars().find(|c| c.is_control()) {
            return Some(format!(
                "its subject {:?} holds the control character U+{:04X}",
                self.subject,
                u32::from(c)
            ));
        }
        if let Some(c) = self
            .body
            .chars()
            .find(|&c| c.is_control() && c != '\n' && c != '\t')
        {
            return Some(format!(
                "its body holds the control character U+{:04X}",
                u32::from(c)
            ));
        }
        self.body
            .lines()
            .find(|l| patch_break(l))
            .map(|l| format!("its body line {l:?} is where git am would take the diff to start"))
    }
}

/// git mailinfo's patchbreak: a line that ends the message and starts the patch.
fn patch_break(line: &str) -> bool {
    if line.starts_with("diff -") || line.starts_with("Index: ") {
        return true;
    }
    let Some(rest) = line.strip_prefix("---") else {
        return false;
    };
    let b = rest.as_bytes();
    (b.first() == Some(&b' ') && b.get(1).is_some_and(|c| !c.is_ascii_whitespace()))
        || rest.bytes().all(|c| c.is_ascii_whitespace())
}

/// `I` + 40 hex digits: SHA-1 of the series name and the stage key. The same series name gives
/// the same Change-Id per stage on every run and every machine; a new series needs a new name
/// (Gerrit refuses to reuse the Change-Id of a merged CL on the same branch).
pub fn change_id(series: &str, kind: StageKind) -> String {
    let seed = format!("linkallow series {series}\nstage {}\n", kind.key());
    let oid = git2::Oid::hash_object(git2::ObjectType::Blob, seed.as_bytes())
        .expect("hashing a buffer cannot fail");
    format!("I{oid}")
}

/// The message of one step. `list` is the allowlist the series comes from (its `[[removed]]`
/// notes explain a removal) and `list_name` its file name, as the body cites it.
/// The Change-Id on a commit message or patch, if any.
pub fn change_id_in(text: &str) -> Option<&str> {
    text.lines()
        .rev()
        .find_map(|l| l.strip_prefix("Change-Id: "))
        .map(str::trim)
}

/// The stage of `list`'s series whose Change-Id is `id`, for "abandon this CL" messages.
pub fn stage_of(id: &str, series: &str, list: &Allowlist) -> Option<StageKind> {
    crate::series::stage_kinds(list)
        .into_iter()
        .find(|&k| change_id(series, k) == id)
}

/// Whether `text` (a patch file or commit message) carries a Change-Id of series `series`: one
/// of its stages now, or a tier it had when the text was written (a tier the text names, since
/// the allowlist's tiers may have changed since). The hash is checked, so a text of another
/// series, or one without a Change-Id, is never taken for this series'.
pub fn of_series(text: &str, series: &str, list: &Allowlist) -> bool {
    let Some(id) = change_id_in(text) else {
        return false;
    };
    if stage_of(id, series, list).is_some() {
        return true;
    }
    // A tier no longer listed: its threshold is a number in the message, `100,000` or `1000`.
    let message = text.split("\n---\n").next().unwrap_or(text);
    let mut tried = std::collections::HashSet::new();
    message
        .split(|c: char| !(c.is_ascii_digit() || c == ','))
        .filter_map(|n| n.replace(',', "").parse::<u64>().ok())
        .filter(|&n| tried.insert(n))
        .any(|n| change_id(series, StageKind::Tier(n)) == id)
}

/// Warnings for CLs a regeneration leaves behind: earlier Change-Ids of the series that no step
/// carries any more (their stage became empty), to abandon in Gerrit.
pub fn orphaned_change_ids(
    earlier: &[String],
    messages: &[CommitMessage],
    series: &str,
    list: &Allowlist,
) -> Vec<String> {
    let now: Vec<&str> = messages
        .iter()
        .filter_map(|m| change_id_in(&m.body))
        .collect();
    earlier
        .iter()
        .filter(|id| !now.contains(&id.as_str()))
        .map(|id| {
            let stage = stage_of(id, series, list)
                .map_or_else(|| "a stage of another series".to_string(), |k| k.key());
            format!(
                "the CL with Change-Id {id} ({stage}) has no change any more; abandon it in Gerrit"
            )
        })
        .collect()
}

pub fn compose(
    tree: &Tree,
    step: &Step,
    series: &str,
    list: &Allowlist,
    list_name: &str,
) -> CommitMessage {
    let packages = step.packages(tree);
    let prefix = match packages.as_slice() {
        [one] => one.clone(),
        _ => "all".to_string(),
    };
    let subject = match step.kind {
        StageKind::Removal => match step.removed.as_slice() {
            [(_, modules)] if modules.len() == 1 => {
                format!("{prefix}: remove {} from linkname comment", modules[0])
            }
            _ if step.removed.iter().all(|(_, m)| !m.is_empty()) => {
                format!("{prefix}: remove modules from linkname comments")
            }
            _ => format!("{prefix}: remove legacy //go:linkname no longer pulled"),
        },
        StageKind::Update => format!("{prefix}: update legacy //go:linkname documentation"),
        StageKind::Tier(t) => format!(
            "{prefix}: document legacy //go:linkname for modules with ≥{} dependents",
            thousands(t)
        ),
        StageKind::Final => {
            format!("{prefix}: document legacy //go:linkname for final round of modules")
        }
    };
    let mut paragraphs: Vec<String> = Vec::new();
    match step.kind {
        StageKind::Removal => {
            paragraphs.push(wrap(&format!(
                "Remove what {list_name} no longer lists: the push //go:linkname lines \
                 and hall-of-shame comments of symbols no module pulls any more, and \
                 modules that stopped pulling from the lists. Pushes the standard \
                 library needs itself stay."
            )));
            let mut lines = vec!["Removed, and why it breaks no one:".to_string()];
            for (symbol, modules) in &step.removed {
                let note = list.removed.iter().find(|n| {
                    n.symbol == *symbol
                        && (n.modules.is_empty() || modules.iter().all(|m| n.modules.contains(m)))
                });
                let what = if modules.is_empty() {
                    symbol.clone()
                } else {
                    format!("{symbol} (from its list: {})", modules.join(", "))
                };
                let why = note.map_or_else(
                    || format!("no reason recorded in {list_name} ([[removed]])"),
                    |n| n.reason.split_whitespace().collect::<Vec<_>>().join(" "),
                );
                lines.push(format!("\t{what}: {why}"));
            }
            paragraphs.push(lines.join("\n"));
        }
        StageKind::Update => {
            paragraphs.push(wrap(
                "Bring the push //go:linkname lines and hall-of-shame comments that \
                 the tree already has in line with allowlist.toml.",
            ));
            if !step.renames.is_empty() {
                let mut lines = vec!["Follow renames and moves of pushed symbols:".to_string()];
                lines.extend(
                    step.renames
                        .iter()
                        .map(|r| format!("\t{} is now {}", r.old, r.new)),
                );
                paragraphs.push(lines.join("\n"));
                // The point of a push is that the old name keeps linking: say who this breaks.
                let mut lines = vec![wrap(
                    "This drops the old linker names: programs that pull them no longer \
                     link. Pushing the old name from the new declaration instead (a \
                     two-argument //go:linkname) would keep them linking. Broken pulls:",
                )];
                for r in &step.renames {
                    let who = if r.modules.is_empty() {
                        "no module listed".to_string()
                    } else {
                        r.modules.join(", ")
                    };
                    lines.push(format!("\t{}: {who}", r.old));
                }
                paragraphs.push(lines.join("\n"));
            }
        }
        StageKind::Tier(t) => paragraphs.push(wrap(&format!(
            "Add push //go:linkname lines and hall-of-shame comments for the \
             standard-library symbols that modules with at least {} dependents pull, \
             so that the linker keeps accepting those pulls.",
            thousands(t)
        ))),
        StageKind::Final => paragraphs.push(wrap(
            "Add push //go:linkname lines and hall-of-shame comments for the \
             remaining legacy pulls: modules with fewer dependents than the last \
             tier or without a known count, and symbols with no module listed.",
        )),
    }
    if !step.new_modules.is_empty() {
        let mut lines = vec!["Modules added (dependents, where known):".to_string()];
        let mut early = false;
        for (m, d) in &step.new_modules {
            // Below this tier: it came with verbatim source that cannot be split by tier.
            let below = match (step.kind, d) {
                (StageKind::Tier(t), Some(d)) => d.floor() < t,
                (StageKind::Tier(_), None) => true,
                _ => false,
            };
            early |= below;
            let mark = if below { " *" } else { "" };
            lines.push(match d {
                Some(Dependents::Count(n)) => format!("\t{m} ({}){mark}", thousands(*n)),
                Some(Dependents::AtLeast(n)) => format!("\t{m} (≥{}){mark}", thousands(*n)),
                None => format!("\t{m}{mark}"),
            });
        }
        paragraphs.push(lines.join("\n"));
        if early {
            paragraphs.push(wrap(
                "* Below this tier: these modules arrive with a region of verbatim source \
                 (method stubs, a badlinkname.go file) that a tier cannot split, so the \
                 whole region comes with the first of its symbols this tier reaches.",
            ));
        }
    }
    let count =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    paragraphs.push(wrap(&format!(
        "{} first documented here. Generated by linkallow from {list_name}; \
         regenerate rather than edit.",
        count(step.new_symbols.len(), "symbol", "symbols"),
    )));
    paragraphs.push("For #67401.".into());
    paragraphs.push(format!("Change-Id: {}", change_id(series, step.kind)));
    CommitMessage {
        subject,
        body: paragraphs.join("\n\n") + "\n",
    }
}

/// Wraps prose at 72 columns, as Go commit messages are.
fn wrap(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > 72 {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_ids_are_stable_per_series_and_stage() {
        let a = change_id("legacy-linkname", StageKind::Tier(100000));
        assert_eq!(a, change_id("legacy-linkname", StageKind::Tier(100000)));
        assert_ne!(a, change_id("legacy-linkname", StageKind::Tier(50000)));
        assert_ne!(a, change_id("other", StageKind::Tier(100000)));
        assert!(a.starts_with('I') && a.len() == 41);
        assert!(a[1..].chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn a_message_git_would_not_keep_is_refused() {
        let msg = |subject: &str, body: &str| CommitMessage {
            subject: subject.into(),
            body: body.into(),
        };
        assert_eq!(msg("p: x", "Body.\n\n\tan item\n").refusal(), None);
        assert_eq!(msg("p: x", "a --- b\n----- x\n--x\n").refusal(), None);
        for (subject, body) in [
            ("p\nSubject: injected: x", "Body.\n"),
            ("p: x\r", "Body.\n"),
            ("p: x", "Body \u{1b}[31m.\n"),
            ("p: x", "Body.\n---\nmore\n"),
            ("p: x", "Body.\n--- a/file\n"),
            ("p: x", "diff -u a b\n"),
            ("p: x", "Index: x\n"),
        ] {
            assert!(
                msg(subject, body).refusal().is_some(),
                "{subject:?} {body:?}"
            );
        }
    }

    #[test]
    fn wraps_at_72() {
        let w = wrap(&"word ".repeat(40));
        assert!(w.lines().all(|l| l.len() <= 72));
        assert_eq!(w.split_whitespace().count(), 40);
    }
}
