#!/usr/bin/env bash
# Times `scan` over a module cache (default: `go env GOMODCACHE`, or the folder given) without
# and with --against, beside `grep -rl go:linkname` over the same folder, in one run, and prints
# the ratios and scan's throughput. A benchmark, not a test.
#
#   bench/scan.sh [FOLDER]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
L=$PWD/target/release/linkallow
DIR=${1:-$(go env GOMODCACHE)}
GOROOT_DIR=$(go env GOROOT)
best() { # best of 5 wall-clock seconds
  local b=999
  for _ in 1 2 3 4 5; do
    local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
    b=$(echo "$e - $s" | bc -l | awk -v b="$b" '{print ($1<b)?$1:b}')
  done
  echo "$b"
}
# One warm-up pass so every contender reads from the page cache.
grep -rl 'go:linkname' "$DIR" >/dev/null 2>&1 || true
stats=$("$L" scan "$DIR" --json 2>&1 >/dev/null | grep -m1 'pulls in' || true)
mb=$(echo "$stats" | sed -n 's/.*(\([0-9.]*\) MB).*/\1/p')
total_mb=$(du -sb "$DIR" 2>/dev/null | awk '{printf "%.1f", $1/1e6}')
g=$(best grep -rl 'go:linkname' "$DIR")
s=$(best "$L" scan "$DIR" --json)
a=$(best "$L" scan "$DIR" --json --against "$GOROOT_DIR")
echo "folder: $DIR ($total_mb MB on disk; scan reads $mb MB of .go/.s files)"
echo "$stats"
printf 'grep -rl go:linkname:       %.3fs\n' "$g"
printf 'scan (no --against):        %.3fs  ratio %.2fx (aim <= 3x)  %.0f MB/s\n' "$s" "$(echo "$s / $g" | bc -l)" "$(echo "$mb / $s" | bc -l)"
printf 'scan --against GOROOT:      %.3fs  ratio %.2fx (aim <= 3x)  %.0f MB/s\n' "$a" "$(echo "$a / $g" | bc -l)" "$(echo "$mb / $a" | bc -l)"
