#!/usr/bin/env bash
# Adversarial pass over the write transaction (not CI: minutes of work on a 157 MB tree).
# On a copy of the installed GOROOT, stripped: RUNS times, `apply --write` is killed with
# SIGKILL, half the time from outside after a random delay within its measured run time, half
# the time at a random step of its transaction (LINKALLOW_KILL_AT); then `linkallow recover` or
# the next `apply --write` (alternating) must leave the tree byte-identical to the stripped tree
# or to the full apply, with no file outside the apply's own set touched and no temp file or
# journal left. Then PAIRS times two writers race on the stripped tree: each ends in success or
# "another linkallow run", and the tree ends as the full apply. Prints the counts; exit 1 on
# the first violation.
#
#   scripts/kill-loop.sh            # RUNS=200 PAIRS=20, target/release/linkallow
#   RUNS=50 scripts/kill-loop.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
linkallow=${LINKALLOW:-$root/target/release/linkallow}
allow=${ALLOWLIST:-$root/allowlist.toml}
runs=${RUNS:-200}
pairs=${PAIRS:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
goroot=$(go env GOROOT)
tree=$work/go
mkdir -p "$tree"
cp -r "$goroot/src" "$goroot/VERSION" "$tree/"
chmod -R u+w "$tree"
la() { "$linkallow" --goroot "$tree" --allowlist "$allow" "$@"; }
la strip --write 2>/dev/null
# The two states, kept only for the files the apply touches.
mkdir -p "$work/before" "$work/after"
cp -a "$tree/src" "$work/stripped-src"
la apply --write 2>/dev/null
(cd "$tree/src" && { diff -rq "$work/stripped-src" . || true; } | sed -n 's|^Files \(.*\) and \./\(.*\) differ$|\2|p; s|^Only in \./*\([^:]*\): \(.*\)$|\1/\2|p') \
  | sed 's|^/||' | sort >"$work/changed"
nchanged=$(wc -l <"$work/changed")
[ "$nchanged" -gt 0 ] || { echo "apply changed nothing" >&2; exit 2; }
while read -r f; do
  mkdir -p "$work/after/$(dirname "$f")" "$work/before/$(dirname "$f")"
  cp -a "$tree/src/$f" "$work/after/$f"
  [ -e "$work/stripped-src/$f" ] && cp -a "$work/stripped-src/$f" "$work/before/$f"
done <"$work/changed"
rm -rf "$work/stripped-src"

# Which state the touched files are in: before, after, or mixed.
state() {
  local b=0 a=0 f
  while read -r f; do
    if [ -e "$work/before/$f" ]; then
      cmp -s "$tree/src/$f" "$work/before/$f" && b=$((b + 1))
    elif [ ! -e "$tree/src/$f" ]; then
      b=$((b + 1))
    fi
    [ -e "$tree/src/$f" ] && cmp -s "$tree/src/$f" "$work/after/$f" && a=$((a + 1))
  done <"$work/changed"
  if [ "$b" -eq "$nchanged" ]; then echo before; elif [ "$a" -eq "$nchanged" ]; then echo after; else echo "mixed ($b before, $a after of $nchanged)"; fi
}
reset() {
  local f
  while read -r f; do
    if [ -e "$work/before/$f" ]; then cp -a "$work/before/$f" "$tree/src/$f"; else rm -f "$tree/src/$f"; fi
  done <"$work/changed"
}
fail() { echo "FAIL at run $1: $2" >&2; exit 1; }
leftovers() { find "$tree" -name '*.linkallow-*' | head -5; }
untouched() {
  # Files changed since the marker that are not the apply's own.
  (cd "$tree/src" && find . -type f -newer "$work/marker" | sed 's|^\./||' | sort | comm -23 - "$work/changed")
}

reset
start=$(date +%s%N)
la apply --write 2>/dev/null
ms=$((($(date +%s%N) - start) / 1000000))
# Steps that touch the disk (see kill_point in src/edit.rs): the journal, a stage per file, for
# each replaced file its journal line, backup and rename (a created one: line and rename), the
# commit line, the backups' removal, the journal's.
created=0
while read -r f; do [ -e "$work/before/$f" ] || created=$((created + 1)); done <"$work/changed"
modified=$((nchanged - created))
steps=$((3 + 5 * modified + 3 * created))
echo "tree: $tree, $nchanged files changed by apply, full run ${ms} ms, $steps transaction steps"

declare -A seen
for i in $(seq 1 "$runs"); do
  reset
  touch "$work/marker"
  sleep 0.01
  if [ $((i % 2)) -eq 0 ]; then
    how=timed
    # Not through the shell function: $! must be linkallow itself.
    "$linkallow" --goroot "$tree" --allowlist "$allow" apply --write 2>/dev/null &
    pid=$!
    delay=$(awk -v s=$RANDOM -v ms="$ms" 'BEGIN { srand(s); printf "%.3f", ms * (0.5 + 0.6 * rand()) / 1000 }')
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  else
    how=step
    LINKALLOW_KILL_AT=$((RANDOM % (steps + 1) + 1)) la apply --write 2>/dev/null || true
  fi
  journal=$(find "$tree/src" -maxdepth 1 -name '.linkallow-*.journal' | wc -l)
  killed_state=$(state)
  if [ "$journal" -gt 0 ]; then
    la check >/dev/null 2>"$work/check.err" && fail "$i" "check passed over a half-done write"
    grep -q half-done "$work/check.err" || fail "$i" "check did not name the half-done write: $(cat "$work/check.err")"
  fi
  if [ $((i % 4)) -lt 2 ]; then
    via=recover
    "$linkallow" recover "$tree/src" 2>"$work/last.err" || fail "$i" "recover failed: $(cat "$work/last.err")"
  else
    via=next-write
    la apply --write 2>"$work/last.err" || fail "$i" "the next apply --write failed: $(cat "$work/last.err")"
  fi
  s=$(state)
  case "$s" in before | after) ;; *) fail "$i" "tree is $s after $via";; esac
  [ "$via" = next-write ] && [ "$s" != after ] && fail "$i" "next write left $s"
  [ -z "$(leftovers)" ] || fail "$i" "left behind: $(leftovers)"
  [ -z "$(untouched)" ] || fail "$i" "touched files outside the apply: $(untouched | head -3)"
  key="$how kill, journal=$([ "$journal" -gt 0 ] && echo yes || echo no), killed in ${killed_state%% *}, $via -> $s"
  seen[$key]=$((${seen[$key]:-0} + 1))
done
echo "kill -9 runs: $runs"
for k in "${!seen[@]}"; do printf '%5d  %s\n' "${seen[$k]}" "$k"; done | sort -k2

ok=0 refused=0
for i in $(seq 1 "$pairs"); do
  reset
  "$linkallow" --goroot "$tree" --allowlist "$allow" apply --write >/dev/null 2>"$work/a.err" & a=$!
  "$linkallow" --goroot "$tree" --allowlist "$allow" apply --write >/dev/null 2>"$work/b.err" & b=$!
  for p in "$a:$work/a.err" "$b:$work/b.err"; do
    if wait "${p%%:*}"; then ok=$((ok + 1));
    elif grep -q "another linkallow run" "${p#*:}"; then refused=$((refused + 1));
    else fail "pair $i" "writer failed: $(cat "${p#*:}")"; fi
  done
  [ "$(state)" = after ] || fail "pair $i" "two writers left $(state)"
  [ -z "$(leftovers)" ] || fail "pair $i" "left behind: $(leftovers)"
done
echo "concurrent writer pairs: $pairs; writers that succeeded: $ok, refused by the lock: $refused; tree ended as the full apply every time"
