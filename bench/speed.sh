#!/usr/bin/env bash
# Times `check`, `apply` (on a stripped copy) and `patches --from-stripped` against `grep -rl 'go:linkname' src` on the
# installed Go tree, in one run, and prints the ratios. A benchmark, not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
L=$PWD/target/release/linkallow
GOROOT_DIR=$(go env GOROOT)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp -r "$GOROOT_DIR" "$tmp/go"; chmod -R u+w "$tmp/go"
"$L" --goroot "$tmp/go" strip --write 2>/dev/null
best() { # best of 5 wall-clock seconds
  local b=999
  for _ in 1 2 3 4 5; do
    local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }; e=$(date +%s.%N)
    b=$(echo "$e - $s" | bc -l | awk -v b="$b" '{print ($1<b)?$1:b}')
  done
  echo "$b"
}
g=$(best grep -rl 'go:linkname' "$GOROOT_DIR/src")
c=$(best "$L" --goroot "$GOROOT_DIR" check)
a=$(best "$L" --goroot "$tmp/go" apply)
p=$(best "$L" --goroot "$GOROOT_DIR" patches --from-stripped --author "bench <bench@example.com>" --out "$tmp/patches")
printf 'grep -rl go:linkname src: %.3fs\n' "$g"
printf 'check (installed tree):   %.3fs  ratio %.2fx (aim <= 3x)\n' "$c" "$(echo "$c / $g" | bc -l)"
printf 'apply (stripped copy):    %.3fs  ratio %.2fx (aim <= 5x)\n' "$a" "$(echo "$a / $g" | bc -l)"
printf 'patches --from-stripped:  %.3fs  ratio %.2fx (one apply per tier stage)\n' "$p" "$(echo "$p / $g" | bc -l)"
