//! What gofmt does to the comments an edit touches: trailing comments of a run realigned.

use std::collections::HashSet;

/// The byte where a line's trailing `//` comment starts, outside string and rune literals,
/// when code precedes it.
pub(crate) fn trailing_comment_at(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let bytes = line.as_bytes();
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q != '`' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if matches!(c, '"' | '\'' | '`') => quote = Some(c),
            None if c == '/' && bytes.get(i + 1) == Some(&b'/') => {
                return (!line[..i].trim().is_empty()).then_some(i);
            }
            None => {}
        }
    }
    None
}

/// A top-level one-line declaration with a trailing comment: (code, comment).
pub(crate) fn commented_decl(line: &str) -> Option<(&str, &str)> {
    if !(line.starts_with("var ") || line.starts_with("const ") || line.starts_with("type ")) {
        return None;
    }
    let at = trailing_comment_at(line)?;
    Some((line[..at].trim_end(), &line[at..]))
}

/// gofmt aligns the trailing comments of consecutive one-line declarations. A block inserted
/// between two of them splits the run, and each part is aligned on its own, as gofmt does.
pub(crate) fn realign_split_comment_runs(old: &[String], new: &mut [String]) {
    let runs = |lines: &[String]| {
        let mut runs: Vec<Vec<usize>> = Vec::new();
        for (r, l) in lines.iter().enumerate() {
            if commented_decl(l).is_none() {
                continue;
            }
            match runs.last_mut() {
                Some(run) if r > 0 && run.last() == Some(&(r - 1)) => run.push(r),
                _ => runs.push(vec![r]),
            }
        }
        runs
    };
    let old_runs: HashSet<Vec<String>> = runs(old)
        .into_iter()
        .map(|run| run.iter().map(|&r| old[r].clone()).collect())
        .collect();
    for run in runs(new) {
        let lines: Vec<String> = run.iter().map(|&r| new[r].clone()).collect();
        if old_runs.contains(&lines) {
            continue;
        }
        let width = lines
            .iter()
            .filter_map(|l| commented_decl(l))
            .map(|(code, _)| code.chars().count())
            .max()
            .unwrap_or(0);
        for &r in &run {
            if let Some((code, comment)) = commented_decl(&new[r]) {
                let pad = width + 1 - code.chars().count();
                new[r] = format!("{code}{}{comment}", " ".repeat(pad));
            }
        }
    }
}

/// A line with the padding before its trailing comment collapsed, so realignment by gofmt's
/// rule does not count as changing a declaration.
pub(crate) fn without_comment_padding(text: &str) -> String {
    text.split('\n')
        .map(|l| match commented_decl(l) {
            Some((code, comment)) => format!("{code} {comment}"),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
