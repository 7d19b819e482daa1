//! Linker names: `net/http.(*Transport).RoundTrip` is package `net/http` and name
//! `(*Transport).RoundTrip`. The one place that splits them, for the tree side and the scan side.

use std::fmt;

/// A symbol as the linker names it: the package's import path, a dot, the name within it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkerName {
    pub package: String,
    pub name: String,
}

/// Splits a linker name at the first `.` after the package's last `/`. The package is looked
/// for before any `(`, because a method's receiver may name a type argument with a path
/// (`p.(*T[a/b.C]).m`). `None` without a package (`crosscall2`).
pub fn split_linker_name(symbol: &str) -> Option<(&str, &str)> {
    let head = symbol.split('(').next().unwrap_or(symbol);
    let slash = head.rfind('/').map_or(0, |i| i + 1);
    let dot = head[slash..].find('.')? + slash;
    Some((&symbol[..dot], &symbol[dot + 1..]))
}

/// The package of a linker name.
pub fn package_of(symbol: &str) -> Option<&str> {
    split_linker_name(symbol).map(|(package, _)| package)
}

/// A standard-library import path: its first element has no dot (and it is not `main`).
pub fn is_std(package: &str) -> bool {
    package != "main" && !package.split('/').next().unwrap_or("").contains('.')
}

impl std::str::FromStr for LinkerName {
    type Err = String;

    fn from_str(s: &str) -> Result<LinkerName, String> {
        match split_linker_name(s) {
            Some((package, name)) if !package.is_empty() && !name.is_empty() => Ok(LinkerName {
                package: package.to_string(),
                name: name.to_string(),
            }),
            _ => Err(format!(
                "{s:?} is not a linker name (package path, a dot, then the name)"
            )),
        }
    }
}

impl fmt::Display for LinkerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.package, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_linker_names() {
        let cases = [
            ("runtime.memhash", Some(("runtime", "memhash"))),
            (
                "net/http.(*Transport).RoundTrip",
                Some(("net/http", "(*Transport).RoundTrip")),
            ),
            (
                "internal/runtime/maps.fatal",
                Some(("internal/runtime/maps", "fatal")),
            ),
            ("github.com/a/b.F", Some(("github.com/a/b", "F"))),
            ("reflect.(*rtype).Size", Some(("reflect", "(*rtype).Size"))),
            ("p.(*T[a/b.C]).m", Some(("p", "(*T[a/b.C]).m"))),
            (
                "go/types.(*Checker).infer",
                Some(("go/types", "(*Checker).infer")),
            ),
            ("crosscall2", None),
        ];
        for (symbol, want) in cases {
            assert_eq!(split_linker_name(symbol), want, "{symbol}");
        }
    }

    #[test]
    fn parses_and_prints_the_same_name() {
        let n: LinkerName = "net/http.(*Transport).RoundTrip".parse().unwrap();
        assert_eq!(n.package, "net/http");
        assert_eq!(n.to_string(), "net/http.(*Transport).RoundTrip");
        assert!("crosscall2".parse::<LinkerName>().is_err());
        assert!("runtime.".parse::<LinkerName>().is_err());
    }

    #[test]
    fn std_paths_have_no_dot_in_their_first_element() {
        assert!(is_std("internal/runtime/maps"));
        assert!(!is_std("github.com/a/b"));
        assert!(!is_std("main"));
    }
}
