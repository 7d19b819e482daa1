#!/usr/bin/env bash
# scan's per-file cost: 1,000 modules of 100 small files, every file a pull (the shape where the
# cost per file, not the bytes, dominates), timed by bench/scan.sh beside grep. A benchmark, not a test.
#
#   bench/scan-small-files.sh [MODULES] [FILES_PER_MODULE]
set -euo pipefail
cd "$(dirname "$0")/.."
mods=${1:-1000} files=${2:-100}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir" "$mods" "$files" <<'PY'
import os, sys
root, mods, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for m in range(mods):
    os.makedirs(f"{root}/m{m}/p")
    with open(f"{root}/m{m}/go.mod", "w") as f:
        f.write(f"module example.com/m{m}\n\ngo 1.22\n")
    for i in range(files):
        with open(f"{root}/m{m}/p/f{i}.go", "w") as f:
            f.write(f'package p\n\nimport _ "unsafe"\n\n//go:linkname n{i} runtime.nanotime\nfunc n{i}() int64\n')
PY
bash bench/scan.sh "$dir"
