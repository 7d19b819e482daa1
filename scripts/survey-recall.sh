#!/usr/bin/env bash
# Recall of `scan` against the Go team's own survey (not CI: it downloads). For every module of
# the allowlist's hall-of-shame lists it picks the version that was newest before the cutoff
# (default 2024-06-15, the proxy's `.Time`), downloads it, scans them all with
# `linkallow scan --tests --json`, and prints per (symbol, module) pair of the allowlist whether
# scan found that module pulling that symbol, or why not:
#
#   found              scan has a record of the module naming the symbol (a pull, or a
#                      `defines` record: a definition under the std name, shown as such)
#   missed by scan     the source has the pull (a `//go:linkname` line naming the symbol, or an
#                      assembly reference `pkg·name` that is not its TEXT/DATA/GLOBL), scan has
#                      no record: the only class that is a scan bug
#   other version      not in this version's source; scan has records of it from the module's
#                      newest version (downloaded for such pairs)
#   other module       not in this module's source, but scan has records of it from another
#                      module of the corpus
#   not in source      the module never pulled it at that version (its name may appear)
#   unavailable        the proxy refused the module or has no version; the go command's error
#
# then a table of the modules (version, time, how it was chosen), the counts and
# recall = found / (found + missed by scan). It exits 1 when a pair is missed by scan.
#
#   scripts/survey-recall.sh                 # uses target/release/linkallow (cargo build --release first)
#   CACHE=DIR scripts/survey-recall.sh       # downloads and lookups (default ~/.cache/linkallow/survey-recall)
#   CUTOFF=2024-06-15T00:00:00Z JOBS=4 ALLOWLIST=allowlist.toml scripts/survey-recall.sh
#
# The version of a module: the highest release (then prerelease) in `go list -m -versions` whose
# `.Time` is before the cutoff, what `@latest` meant that day; for a module without tags, its
# `@latest` pseudo-version if that is before the cutoff; else the newest version before the
# cutoff that a downloaded module's go.mod or go.sum, or a row of real-modules.sh, names (the
# proxy here lists only some versions of some modules and refuses others' lists). A module with
# none before the cutoff is scanned at its oldest known version, marked `after cutoff`.
# Resumable: every lookup is cached under $CACHE/lookup and every download under $CACHE/mod;
# remove $CACHE/lookup to look again.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
linkallow=${LINKALLOW:-$root/target/release/linkallow}
allowlist=${ALLOWLIST:-$root/allowlist.toml}
cache=${CACHE:-$HOME/.cache/linkallow/survey-recall}
cutoff=${CUTOFF:-2024-06-15T00:00:00Z}
jobs=${JOBS:-4}
linkallow=$(realpath "$linkallow") allowlist=$(realpath "$allowlist") # the work runs elsewhere

mkdir -p "$cache/mod" "$cache/gopath" "$cache/lookup"
export GOMODCACHE=$cache/mod GOPATH=$cache/gopath GOFLAGS=-modcacherw GOTOOLCHAIN=local GO111MODULE=on
export cache cutoff
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" # no go.mod here: the go command answers for the proxy alone

# (package, name, module) per hall-of-shame entry; an entry's note ("(from assembly)") is dropped.
python3 - "$allowlist" >"$work/pairs" <<'EOF'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    doc = tomllib.load(f)
for s in doc.get("symbol", []):
    for m in s.get("modules", []):
        print(f"{s['package']}\t{s['name']}\t{m.split(' (')[0].strip()}")
EOF
cut -f3 "$work/pairs" | sort -u >"$work/modules"

key_of() { printf '%s' "$*" | sha256sum | cut -c1-24; }
time_of() { # module version -> the proxy's .Time, cached; empty if refused
  local f
  f=$cache/lookup/time-$(key_of "$1@$2")
  [ -f "$f" ] || { go list -m -json "$1@$2" 2>/dev/null | jq -r '.Time // ""' >"$f.tmp" || : >"$f.tmp"; mv "$f.tmp" "$f"; }
  cat "$f"
}
newest_before() { # module, versions on stdin (releases first, newest first) -> "version\ttime"
  local v t
  while read -r v; do
    t=$(time_of "$1" "$v")
    if [ -n "$t" ] && [[ "$t" < "$cutoff" ]]; then printf '%s\t%s\n' "$v" "$t"; return; fi
  done
}
releases_first() { grep -v -- '-' | sort -rV; }
prereleases() { grep -- '-' | sort -rV; }

# Lookup: $cache/lookup/mod-KEY holds "module\tstatus\tversion\ttime\thow" (`-` for none: read
# splits on tabs as whitespace), status ok, after-cutoff, unavailable or unresolved (left for
# the go.sum pass below).
resolve() {
  local m=$1 out vs err choice latest
  out=$cache/lookup/mod-$(key_of "$m")
  [ -f "$out" ] && return 0
  if ! vs=$(go list -m -versions -json "$m" 2>"$out.err"); then
    err=$(grep -v '^\s*$' "$out.err" | head -1 | tr '\t' ' ' | sed 's/reading [^ ]*: //')
    printf '%s\tunresolved\t-\t-\t%s\n' "$m" "$err" >"$out"
    return 0
  fi
  jq -r '.Versions // [] | .[]' <<<"$vs" >"$out.versions"
  choice=$( { releases_first <"$out.versions"; prereleases <"$out.versions"; } | newest_before "$m")
  if [ -n "$choice" ]; then printf '%s\tok\t%s\ttagged\n' "$m" "$choice" >"$out"; return 0; fi
  if [ ! -s "$out.versions" ]; then
    latest=$(go list -m -json "$m@latest" 2>"$out.err" | jq -r '[.Version, .Time] | @tsv') || latest=
    if [ -n "$latest" ] && [[ "${latest#*$'\t'}" < "$cutoff" ]]; then
      printf '%s\tok\t%s\tno tags: its @latest pseudo-version\n' "$m" "$latest" >"$out"
      return 0
    fi
    [ -n "$latest" ] && echo "${latest%%$'\t'*}" >"$out.versions"
  fi
  printf '%s\tunresolved\t-\t-\tno version before %s in the proxy'"'"'s list (%s)\n' "$m" "$cutoff" \
    "$(paste -sd' ' "$out.versions" | cut -c1-60)" >"$out"
}
download() { # module version -> folder, or "error\t..."
  local f
  f=$cache/lookup/dir-$(key_of "$1@$2")
  if [ ! -f "$f" ]; then
    go mod download -json "$1@$2" 2>/dev/null | jq -r 'if .Error then "error\t" + (.Error | gsub("[\t\n]"; " ")) else .Dir end' >"$f.tmp" ||
      echo "error	go mod download failed" >"$f.tmp"
    mv "$f.tmp" "$f"
  fi
  cat "$f"
}
export -f key_of time_of newest_before releases_first prereleases resolve download

echo "modules: $(wc -l <"$work/modules"), pairs: $(wc -l <"$work/pairs"); looking up versions, $jobs at a time" >&2
# shellcheck disable=SC2016 # the inner shell expands its own arguments
xargs -P "$jobs" -I{} bash -c 'resolve "$1"' _ {} <"$work/modules"
chosen() { while read -r m; do cat "$cache/lookup/mod-$(key_of "$m")"; done <"$work/modules"; }
# shellcheck disable=SC2016 # the inner shell expands its own arguments
fetch_ok() { chosen | awk -F'\t' '$2=="ok" || $2=="after-cutoff" {print $1 "\t" $3}' |
  xargs -P "$jobs" -L1 bash -c 'download "$1" "$2" >/dev/null' _; }
fetch_ok

# Further passes for modules the proxy would not list (or listed only after the cutoff): the
# versions that the downloaded modules' go.mod and go.sum files and real-modules.sh's rows name,
# until no pass finds more.
# A module still without a version before the cutoff is taken at the oldest version known.
reexamine() { # module -> 0 if its choice changed
  local m=$1 f status why known choice oldest old
  f=$cache/lookup/mod-$(key_of "$m")
  IFS=$'\t' read -r _ status _ _ why <"$f"
  case "$status" in ok) [ -f "$f.why" ] || return 1 ;; *) [ -f "$f.why" ] || echo "$why" >"$f.why" ;; esac
  why=$(cat "$f.why")
  known=$( { awk -F'\t' -v m="$m" '$1==m {print $2}' "$work/mentioned"; cat "$f.versions" 2>/dev/null || true; } | grep . | sort -u || true)
  choice=$( { releases_first <<<"$known"; prereleases <<<"$known"; } | grep . | newest_before "$m" || true)
  old=$(cat "$f")
  if [ -n "$choice" ]; then
    printf '%s\tok\t%s\tnamed by a downloaded go.mod/go.sum or real-modules.sh (%s)\n' "$m" "$choice" "$why" >"$f"
  else
    oldest=$(while read -r v; do [ -n "$v" ] && t=$(time_of "$m" "$v") && [ -n "$t" ] && printf '%s\t%s\n' "$v" "$t"; done <<<"$known" |
      sort -t$'\t' -k2 | head -1 || true)
    if [ -n "$oldest" ]; then
      printf '%s\tafter-cutoff\t%s\toldest version known (%s)\n' "$m" "$oldest" "$why" >"$f"
    else
      printf '%s\tunavailable\t-\t-\t%s\n' "$m" "$why" >"$f"
    fi
  fi
  [ "$old" != "$(cat "$f")" ]
}
for pass in 1 2 3 4 5; do
  {
    cat "$cache"/lookup/dir-* | grep '^/' | sort -u | while read -r d; do cat "$d/go.mod" "$d/go.sum" 2>/dev/null || true; done
    grep -o '^  "[^@|"]*@[^|"]*' "$root/scripts/real-modules.sh" | tr -d ' "' | tr @ ' '
  } | awk '{sub(/^[ \t]*require[ \t]+/, ""); sub("/go.mod$", "", $2); if ($2 ~ /^v[0-9]/) print $1 "\t" $2}' |
    sort -u >"$work/mentioned"
  changed=0
  while read -r m; do if reexamine "$m"; then changed=1; fi; done <"$work/modules"
  echo "pass $pass: $(chosen | awk -F'\t' '$2!="unavailable"' | wc -l) modules with a version" >&2
  [ "$changed" = 1 ] || break
  fetch_ok
done

# The corpus: one record per (module, version) chosen, with its folder.
chosen | while IFS=$'\t' read -r m status v t how; do
  dir=-
  if [ "$status" = ok ] || [ "$status" = after-cutoff ]; then
    dir=$(download "$m" "$v")
    case "$dir" in error*) status=unavailable how="go mod download: ${dir#error	}" v=- t=- dir=- ;; esac
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$status" "$v" "$t" "$how" "$dir"
done >"$work/corpus"

go list std >"$work/std" # which targets are standard-library packages (of the installed Go)
scan() {
  "$linkallow" scan "$GOMODCACHE" --tests --json --allowlist "$allowlist" >"$work/scan.jsonl" 2>"$work/scan.err" || {
    echo "linkallow scan failed:" >&2; cat "$work/scan.err" >&2; exit 1; }
}
echo "scanning $(awk -F'\t' '$6!="-"' "$work/corpus" | wc -l) modules" >&2
scan

# Classify each pair; the source is read by a plain text search independent of scan's parser.
cat >"$work/classify.py" <<'EOF'
import json, os, re, sys
from collections import defaultdict

pairs = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8")]
corpus = {}
for l in open(sys.argv[2], encoding="utf-8"):
    m, status, v, t, how, d = l.rstrip("\n").split("\t")
    corpus[m] = dict(status=status, version=v, time=t, how=how, dir="" if d == "-" else d)
cutoff = sys.argv[4]

records = defaultdict(list)   # (module, symbol) -> records at the chosen version
elsewhen = defaultdict(set)   # (module, symbol) -> other versions with records
seen = set()                  # (module, file, symbol) of every record at the chosen version
std = set(open(sys.argv[6], encoding="utf-8").read().split())
by_symbol = defaultdict(set)  # symbol -> modules@version with records
for l in open(sys.argv[3], encoding="utf-8"):
    r = json.loads(l)
    c = corpus.get(r["module"])
    if c is None:
        continue
    if c["version"] != r.get("version"):
        elsewhen[(r["module"], r["symbol"])].add(r.get("version"))
        continue
    records[(r["module"], r["symbol"])].append(r)
    seen.add((r["module"], r["file"], r["symbol"]))  # assembly: one record per file and symbol
    by_symbol[r["symbol"]].add(f"{r['module']}@{r['version']}")

# `runtime·sched`, `internal∕cpu·X`, `github·com∕x∕y·Z` (a path's dots as `·` too), `·own`.
ASM_REF = re.compile(r"(?:[\w.\-]|\u2215|\u00b7)*\u00b7\w+")
ASM_DEF = re.compile(r"^\s*(TEXT|DATA|GLOBL)\b")
LINKNAME = re.compile(r"^\s*//go:linkname\s")
IGNORED = re.compile(r"^//(go:build|\s*\+build)\s+ignore\s*$", re.M)  # generators: never built
sources = {}

def source(m):
    """Every linkname target and assembly reference of a module's buildable files, as the go
    command would list them (testdata/, vendor/, _* and .* folders and files tagged `ignore`
    skipped), with file:line."""
    if m in sources:
        return sources[m]
    root = corpus[m]["dir"]
    pulls, text = defaultdict(list), []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x not in ("testdata", "vendor") and x[0] not in "._")
        for f in sorted(files):
            if f[0] in "._" or not (f.endswith(".go") or f.endswith(".s")):
                continue
            p = os.path.join(d, f)
            rel = os.path.relpath(p, root)
            try:
                lines = open(p, encoding="utf-8", errors="replace").read().split("\n")
            except OSError:
                continue
            if IGNORED.search("\n".join(lines[:40])):
                continue
            for n, line in enumerate(lines, 1):
                if f.endswith(".go"):
                    if LINKNAME.match(line):  # a directive, not `// //go:linkname` commented out
                        for tok in line.split()[2:3]:
                            pulls[tok].append(f"{rel}:{n}")
                elif "\u00b7" in line and not ASM_DEF.match(line):
                    for ref in ASM_REF.findall(line.split("//")[0]):
                        pkg, name = ref.rsplit("\u00b7", 1)
                        pkg = pkg.replace("\u2215", "/").replace("\u00b7", ".") or "<own package>"
                        pulls[f"{pkg}.{name}"].append(f"{rel}:{n}")
            text.append("\n".join(lines))
    sources[m] = (pulls, "\n".join(text))
    return sources[m]

rows, counts, missed, agree = [], defaultdict(int), [], 0
for pkg, name, m in pairs:
    sym = f"{pkg}.{name}"
    c = corpus[m]
    ver = c["version"] + (" (after cutoff)" if c["status"] == "after-cutoff" else "")
    if not c["dir"]:
        cls, detail = "unavailable", c["how"]
    elif records[(m, sym)]:
        rs = records[(m, sym)]
        cls = "found"
        kinds = sorted({("defines " if r["defines"] else "") + r["kind"] + (" test" if r["test"] else "") for r in rs})
        detail = f"{rs[0]['file']}:{rs[0]['line']} ({', '.join(kinds)})"
        agree += bool(source(m)[0].get(sym))
    else:
        pulls, text = source(m)
        where = pulls.get(sym, [])
        others = sorted(by_symbol.get(sym, set()) - {f"{m}@{c['version']}"})
        if where:
            cls, detail = "missed by scan", " ".join(where[:4])
            missed.append((sym, m, c["version"], where))
        elif elsewhen[(m, sym)]:
            cls, detail = "other version", " ".join(sorted(elsewhen[(m, sym)]))
        elif others:
            cls, detail = "other module", " ".join(others[:3])
        else:
            cls = "not in source"
            detail = "name appears, no pull" if re.search(r"\b" + re.escape(name.split(".")[-1]) + r"\b", text) else "name absent"
    counts[cls] += 1
    rows.append((sym, m, ver, cls, detail))

esc = lambda s: s.replace("|", "\\|")
print("| symbol | module | version | result | detail |\n|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(esc(x) for x in r) + " |")
print("\n| module | version | time | how it was chosen |\n|---|---|---|---|")
for m, c in sorted(corpus.items()):
    if c["dir"]:
        print(f"| {esc(m)} | {esc(c['version'])} | {c['time']} | {esc(c['how'])} |")
mods = list(corpus.values())
print(f"\nModules: {len(mods)}; scanned {sum(1 for c in mods if c['dir'])} "
      f"({sum(1 for c in mods if c['status'] == 'after-cutoff')} only at a version after {cutoff}), "
      f"unavailable {sum(1 for c in mods if not c['dir'])}.")
print(f"Pairs: {len(rows)}: " + ", ".join(f"{k} {counts[k]}" for k in
      ("found", "missed by scan", "other version", "other module", "not in source", "unavailable")) + ".")
f, x = counts["found"], counts["missed by scan"]
print(f"Recall over pulls that exist in the source: {f}/{f + x}" + (f" = {100 * f / (f + x):.1f}%." if f + x else ".")
      + f" The text search sees {agree} of the {f} found pairs too.")
if missed:
    print("\nMissed by scan:")
    for sym, m, v, where in missed:
        print(f"- {sym} in {m}@{v}: {' '.join(where)}")
# Beyond the pairs: every pull the text search finds in the corpus that scan has no record of.
# Into a std package it would be a miss too; into another module's package (or the module's own,
# from assembly) scan reports no record, as the std verdict does not apply.
beyond = defaultdict(list)
for m, c in sorted(corpus.items()):
    if not c["dir"]:
        continue
    for tok, where in sorted(source(m)[0].items()):
        if "." not in tok:
            continue  # `//go:linkname _cgo_init _cgo_init`: a C-level name, no package
        pkg = tok.rsplit(".", 1)[0] if not tok.startswith("<") else tok
        if "(" in pkg:  # a method: pkg.(*T).m or pkg.T.m
            pkg = tok.split(".(")[0]
        while pkg not in std and "." in pkg.split("/")[-1] and pkg.rsplit(".", 1)[0] in std:
            pkg = pkg.rsplit(".", 1)[0]  # pkg.T.m
        kind = "std" if pkg in std else "own" if pkg.startswith("<") or pkg == m or pkg.startswith(m + "/") else "other"
        for w in where:
            if (m, w.rsplit(":", 1)[0], tok) not in seen:
                beyond[kind].append(f"{m}@{c['version']} {w} {tok}")
print(f"\nBeyond the pairs, pulls the text search finds without a scan record: {len(beyond['std'])} into "
      f"the standard library, {len(beyond['other'])} into other modules' packages, {len(beyond['own'])} into "
      "the module's own.")
for w in beyond["std"]:
    print(f"- {w}")
if beyond["other"]:
    print("\nInto other modules' packages (scan has no `module` records yet, issue 16):")
    for w in beyond["other"]:
        print(f"- {w}")
unavailable = sorted((m, c["how"]) for m, c in corpus.items() if not c["dir"])
if unavailable:
    print("\nUnavailable:")
    for m, why in unavailable:
        print(f"- {m}: {why}")
with open(sys.argv[5], "w", encoding="utf-8") as out:
    for m in sorted({r[1] for r in rows if r[3] in ("other module", "not in source")}):
        out.write(m + "\n")
sys.exit(1 if missed else 0)
EOF
python3 "$work/classify.py" "$work/pairs" "$work/corpus" "$work/scan.jsonl" "$cutoff" "$work/unpulled" "$work/std" >/dev/null || true
# A pair the module does not pull at its June 2024 version may be pulled at its newest one.
while read -r m; do
  f=$cache/lookup/latest-$(key_of "$m")
  [ -f "$f" ] || { go list -m -json "$m@latest" 2>/dev/null | jq -r '.Version // ""' >"$f.tmp" || : >"$f.tmp"; mv "$f.tmp" "$f"; }
  latest=$(cat "$f")
  if [ -n "$latest" ]; then download "$m" "$latest" >/dev/null; fi
done <"$work/unpulled"
echo "scanning again with the newest versions of $(wc -l <"$work/unpulled") modules" >&2
scan
python3 "$work/classify.py" "$work/pairs" "$work/corpus" "$work/scan.jsonl" "$cutoff" /dev/null "$work/std"
