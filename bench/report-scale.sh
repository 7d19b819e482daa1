#!/usr/bin/env bash
# Times `report` over a generated shard of about SIZE MB (default 1024): MODULES modules, each
# pulling symbols of a fixed std set, three releases' verdicts a record, and prints the wall time
# and peak RSS (`/usr/bin/time -v`). `report` used to hold every record (issue 17: 6 minutes and
# 7.2 GB for 1 GB); with BASELINE=path/to/old/linkallow it times that binary on the same shard
# too. Checks the two sites are byte-identical. A benchmark, not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-1024}
L=${LINKALLOW:-$PWD/target/release/linkallow}
[ -n "${LINKALLOW:-}" ] || cargo build --release -q
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp/shard.jsonl" "$SIZE" <<'PY'
import json, sys
path, size = sys.argv[1], int(sys.argv[2]) << 20
pkgs = ["runtime", "reflect", "sync", "internal/bytealg", "crypto/tls", "net", "time", "os"]
symbols = [f"{p}.sym{i}" for p in pkgs for i in range(60)]
links = [("ok", "pushed", "pushed by //go:linkname in {p}"),
         ("rejected", "no-push", "{s} is defined in {p} but not pushed; the linker rejects the pull"),
         ("rejected", "blocked", "in blockedLinknames (cmd/link/internal/loader/loader.go:2338)"),
         ("undefined", "undefined", "no symbol {s} on linux/amd64 in this release")]
written, n = 0, 0
with open(path, "w") as f:
    while written < size:
        m = n // 120
        s = symbols[(n * 7 + m) % len(symbols)]
        p = s.rsplit(".", 1)[0]
        verdicts = {}
        for k, rel in enumerate(["go1.22.10", "go1.26.8", "go1.27.3"]):
            link, cause, reason = links[(n + k * m) % len(links)] if k else ("ok", "no-check", "go1.22 checks no linkname")
            verdicts[rel] = {"link": link, "cause": cause, "reason": reason.format(s=s, p=p)}
        r = {"module": f"example.com/org{m % 997}/mod{m}", "version": f"v1.{m % 13}.0",
             "file": f"internal/pkg{n % 17}/file{n % 23}.go", "line": 10 + n % 400, "column": 1,
             "end_column": 20, "symbol": s, "local": s.rsplit(".", 1)[1], "kind": "func",
             "defines": False, "test": n % 11 == 0, "build": None, "verdicts": verdicts}
        line = json.dumps(r, separators=(",", ":")) + "\n"
        f.write(line)
        written += len(line)
        n += 1
print(f"bench: shard of {written >> 20} MB, {n} records, {n // 120 + 1} modules", file=sys.stderr)
PY
run() { # name binary: prints "name: seconds, peak MB"
  rm -rf "$tmp/site-$1"
  /usr/bin/time -v -o "$tmp/time-$1" "$2" --allowlist "$PWD/allowlist.toml" report "$tmp/shard.jsonl" \
    --out "$tmp/site-$1" >/dev/null 2>"$tmp/err-$1" || { cat "$tmp/err-$1" >&2; exit 1; }
  awk -v n="$1" -F': ' '/Elapsed \(wall clock\)/ { t = $2 } /Maximum resident/ { m = $2 }
    /User time/ { u = $2 } /System time/ { k = $2 }
    END { split(t, p, ":"); s = (length(p) == 3) ? p[1] * 3600 + p[2] * 60 + p[3] : p[1] * 60 + p[2];
          printf "%s: %.1f s wall, %.1f s CPU, peak RSS %.0f MB\n", n, s, u + k, m / 1024 }' "$tmp/time-$1"
}
run after "$L"
du -sh "$tmp/site-after" | awk '{ print "site: " $1 }'
if [ -n "${BASELINE:-}" ]; then
  run before "$BASELINE"
  diff -r "$tmp/site-before" "$tmp/site-after" >/dev/null && echo "sites: byte-identical" || echo "sites: DIFFER"
fi
