//! `blockedLinknames` in cmd/link/internal/loader/loader.go: names the linker refuses to let
//! any package reference except the listed ones, whatever the push.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    /// The packages allowed to reference the name (empty: none).
    pub allowed: Vec<String>,
    /// 1-based line of the entry in loader.go.
    pub line: usize,
}

/// The map's entries, read from the linker source text (empty when the map is absent).
pub fn parse(loader_go: &str) -> BTreeMap<String, Blocked> {
    let mut out = BTreeMap::new();
    let Some(start) = loader_go.find("var blockedLinknames = map[string][]string{") else {
        return out;
    };
    let first_line = loader_go[..start].matches('\n').count() + 1;
    for (i, line) in loader_go[start..].lines().enumerate().skip(1) {
        if line.starts_with('}') {
            break;
        }
        let Some(rest) = line.trim().strip_prefix('"') else {
            continue;
        };
        let Some((name, value)) = rest.split_once("\":") else {
            continue;
        };
        let value = value.split("//").next().unwrap_or("");
        let Some(list) = value
            .trim()
            .trim_end_matches(',')
            .strip_prefix('{')
            .and_then(|v| v.strip_suffix('}'))
        else {
            continue;
        };
        let allowed = list
            .split(',')
            .map(|p| p.trim().trim_matches('"').to_string())
            .filter(|p| !p.is_empty())
            .collect();
        out.insert(
            name.to_string(),
            Blocked {
                allowed,
                line: first_line + i,
            },
        );
    }
    out
}

/// `checkLinkname`'s test of a blocked name against the referencing package, including the
/// rule (where the tree has it) that a frozen `crypto/internal/fips140/vX.Y.Z/...` package
/// counts as its unversioned path.
pub fn allows(blocked: &Blocked, pkg: &str, fips_version_drop: bool) -> bool {
    blocked.allowed.iter().any(|p| {
        if pkg == p {
            return true;
        }
        if fips_version_drop && pkg.starts_with("crypto/internal/fips140/v") {
            let mut parts: Vec<&str> = pkg.split('/').collect();
            if parts.len() > 3 {
                parts.remove(3);
            }
            return parts.join("/") == *p;
        }
        false
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "package loader\n\
        var blockedLinknames = map[string][]string{\n\
        \t// fips info\n\
        \t\"go:fipsinfo\": {\"crypto/internal/fips140/check\"},\n\
        \t\"runtime.coroswitch\": {\"iter\"},\n\
        \t\"a.b\": {\"x\", \"y\"}, // comment, with \"quotes\"\n\
        \t\"runtime.addmoduledata\":                 {},                     // assembly symbol\n\
        }\n";

    #[test]
    fn parses_the_map() {
        let m = parse(SRC);
        assert_eq!(m.len(), 4);
        assert_eq!(m["runtime.coroswitch"].allowed, vec!["iter"]);
        assert_eq!(m["runtime.coroswitch"].line, 5);
        assert_eq!(m["a.b"].allowed, vec!["x", "y"]);
        assert!(m["runtime.addmoduledata"].allowed.is_empty());
    }

    #[test]
    fn fips_versions() {
        let m = parse(SRC);
        let b = &m["go:fipsinfo"];
        assert!(allows(b, "crypto/internal/fips140/check", false));
        assert!(!allows(b, "crypto/internal/fips140/v1.0.0/check", false));
        assert!(allows(b, "crypto/internal/fips140/v1.0.0/check", true));
        assert!(!allows(b, "main", true));
        assert!(!allows(&m["runtime.addmoduledata"], "runtime", true));
    }
}
