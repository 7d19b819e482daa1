//! Helpers for unit tests that read the installed Go tree.

use std::path::PathBuf;

/// The installed GOROOT, or `None` (the test returns early) when Go is missing; with
/// `LINKALLOW_REQUIRE_GO=1` (CI) a missing Go fails the test instead.
pub fn goroot() -> Option<PathBuf> {
    let out = std::process::Command::new("go")
        .args(["env", "GOROOT"])
        .output()
        .ok()
        .filter(|o| o.status.success());
    match out {
        Some(o) => Some(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())),
        None => {
            assert!(
                std::env::var("LINKALLOW_REQUIRE_GO").as_deref() != Ok("1"),
                "go env GOROOT failed and LINKALLOW_REQUIRE_GO=1"
            );
            eprintln!("SKIP: go env GOROOT failed");
            None
        }
    }
}
