#!/usr/bin/env bash
# Times `check` with a generated allowlist of N symbols (default 50,000) over a generated module
# that declares and annotates all of them, against `check` of the installed Go tree with the
# shipped allowlist (209 symbols), in one run. Loading the allowlist used to be quadratic in its
# entries (issue 17, item 19). A benchmark, not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50000}
cargo build --release -q
L=$PWD/target/release/linkallow
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp" "$N" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
per_pkg = 1000
with open(os.path.join(root, "go.mod"), "w") as f:
    f.write("module example.com/bench\n\ngo 1.22\n")
with open(os.path.join(root, "allowlist.toml"), "w") as al:
    al.write('source = "bench"\n\n')
    for p in range((n + per_pkg - 1) // per_pkg):
        d = os.path.join(root, f"p{p}")
        os.makedirs(d)
        with open(os.path.join(d, "p.go"), "w") as g:
            g.write(f"package p{p}\n")
            for i in range(p * per_pkg, min(n, (p + 1) * per_pkg)):
                g.write(f"\nfunc f{i}() {{}}\n")
                al.write(f'[[symbol]]\npackage = "example.com/bench/p{p}"\nname = "f{i}"\n'
                         f'modules = [\n    "example.com/user{i % 97}",\n]\n\n')
PY
"$L" --goroot "$tmp" --allowlist "$tmp/allowlist.toml" apply --write 2>/dev/null
best() { # best of 3: "seconds peak-KB"
  local b=999 m=0
  for _ in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "$tmp/time" "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
    read -r s k < "$tmp/time"
    b=$(awk -v s="$s" -v b="$b" 'BEGIN { print (s < b) ? s : b }')
    m=$k
  done
  echo "$b $m"
}
read -r s sm < <(best "$L" --goroot "$(go env GOROOT)" check)
read -r c cm < <(best "$L" --goroot "$tmp" --allowlist "$tmp/allowlist.toml" check)
mb() { awk -v k="$1" 'BEGIN { printf "%.0f MB", k / 1024 }'; }
printf 'check, shipped allowlist (209 symbols), Go tree: %.3fs  %s\n' "$s" "$(mb "$sm")"
printf 'check, %d symbols, generated module:          %.3fs  %s  %.1fx\n' "$N" "$c" "$(mb "$cm")" "$(awk -v a="$c" -v b="$s" 'BEGIN { print a / b }')"
