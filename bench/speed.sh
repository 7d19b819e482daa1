#!/usr/bin/env bash
# Times `check`, `apply` (on a stripped copy) and `patches --from-stripped` (12 stages) against
# `grep -rl 'go:linkname' src` on the installed Go tree, in one run, and prints the ratios and each
# run's peak memory. A benchmark, not a test: the aims are issue 9's.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
L=$PWD/target/release/linkallow
GOROOT_DIR=$(go env GOROOT)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp -r "$GOROOT_DIR/src" "$GOROOT_DIR/VERSION" "$tmp/"; mkdir -p "$tmp/go" && mv "$tmp/src" "$tmp/VERSION" "$tmp/go/"
chmod -R u+w "$tmp/go"
"$L" --goroot "$tmp/go" strip --write 2>/dev/null
# The shipped allowlist with 11 tiers and its modules' counts spread over them and the final
# round: a 12-stage series.
cp allowlist.toml "$tmp/allowlist.toml"
sed -i 's/^source = .*/&\ntiers = [100000, 50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50]/' "$tmp/allowlist.toml"
{
  echo "module,dependents"
  grep -oE '^    "[^" ]+' allowlist.toml | tr -d ' "' | sort -u |
    awk 'BEGIN { split("150000 60000 25000 12000 6000 2500 1200 600 250 150 60 10", t, " ") } { print $1 "," t[(NR - 1) % 12 + 1] }'
} > "$tmp/counts.csv"
"$L" --allowlist "$tmp/allowlist.toml" dependents import "$tmp/counts.csv" 2>/dev/null

best() { # best of 5: "seconds peak-KB"
  local b=999 m=0
  for _ in 1 2 3 4 5; do
    /usr/bin/time -f '%e %M' -o "$tmp/time" "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
    read -r s k < "$tmp/time"
    b=$(awk -v s="$s" -v b="$b" 'BEGIN { print (s < b) ? s : b }')
    m=$k
  done
  echo "$b $m"
}
read -r g gm < <(best grep -rl 'go:linkname' "$GOROOT_DIR/src")
read -r c cm < <(best "$L" --goroot "$GOROOT_DIR" check)
read -r a am < <(best "$L" --goroot "$tmp/go" apply)
read -r p pm < <(best "$L" --goroot "$GOROOT_DIR" --allowlist "$tmp/allowlist.toml" patches --from-stripped --author "bench <bench@example.com>" --out "$tmp/patches")
stages=$(ls "$tmp/patches" | wc -l)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.0f MB", k / 1024 }'; }
printf 'grep -rl go:linkname src:        %.3fs  %s\n' "$g" "$(mb "$gm")"
printf 'check (installed tree):          %.3fs  %s  %sx grep (aim <= 3x)\n' "$c" "$(mb "$cm")" "$(ratio "$c" "$g")"
printf 'apply (stripped copy):           %.3fs  %s  %sx grep (aim <= 5x)\n' "$a" "$(mb "$am")" "$(ratio "$a" "$g")"
printf 'patches --from-stripped (%s):    %.3fs  %s  %sx apply (aim <= 2x)\n' "$stages" "$p" "$(mb "$pm")" "$(ratio "$p" "$a")"
