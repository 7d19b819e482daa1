#!/usr/bin/env bash
# Real modules against real linkers (not CI: it downloads). For each module below it builds a
# program importing the module's pulling packages (or, for `test=PKG`, the test binary of PKG)
# with each toolchain and platform, scans the module cache with `linkallow scan --against` every
# toolchain's GOROOT for that platform, and prints a markdown table: module, version, platform,
# release, the real outcome, the predicted one and whether they match; then a summary with the
# builds that could not be compared (a compile error that is not about a linkname), each with
# its reason.
#
#   scripts/real-modules.sh                  # uses target/release/linkallow (cargo build --release first)
#   CACHE=DIR scripts/real-modules.sh        # module downloads and build outcomes (default ~/.cache/linkallow/real-modules)
#   JOBS=2 TOOLCHAINS="local go1.27.3" scripts/real-modules.sh
#   ONLY=quic-go scripts/real-modules.sh     # rows whose module@version contains the word
#
# Resumable: downloads live under $CACHE/mod and every real build's outcome under
# $CACHE/results, keyed by module, packages, platform, cgo, release and mode, so a re-run
# (after a linkallow change) rebuilds nothing and only scans and compares again. Remove
# $CACHE/results to build again.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
linkallow=${LINKALLOW:-$root/target/release/linkallow}
cache=${CACHE:-$HOME/.cache/linkallow/real-modules}
jobs=${JOBS:-2}
read -r -a toolchains <<<"${TOOLCHAINS:-local go1.22.10 go1.23.9 go1.27.3}"
default_platforms="linux/amd64 linux/arm64"

# module@version | packages to import | platforms (default: linux/amd64 linux/arm64) | flags
# flags: cgo=0 (build with CGO_ENABLED=0 everywhere), test=PKG (also link PKG's test binary).
rows=(
  "github.com/goccy/go-json@v0.10.2|github.com/goccy/go-json||"
  "github.com/bytedance/sonic@v1.14.0|github.com/bytedance/sonic||"
  "github.com/bytedance/sonic/loader@v0.3.0|github.com/bytedance/sonic/loader||"
  "github.com/ugorji/go/codec@v1.2.12|github.com/ugorji/go/codec||"
  "github.com/modern-go/reflect2@v1.0.2|github.com/modern-go/reflect2||"
  "github.com/json-iterator/go@v1.1.12|github.com/json-iterator/go||"
  "github.com/dgraph-io/ristretto@v0.1.1|github.com/dgraph-io/ristretto/z||"
  "github.com/petermattis/goid@v0.0.0-20240813172612-4fcff4a6cae7|github.com/petermattis/goid||"
  "github.com/timandy/routine@v1.1.1|github.com/timandy/routine||"
  "github.com/undefinedlabs/go-mpatch@v1.0.7|github.com/undefinedlabs/go-mpatch|linux/amd64 linux/arm64 windows/amd64|"
  "github.com/sagernet/tfo-go@v0.0.0-20231209031829-7b5343ac1dc6|github.com/sagernet/tfo-go|windows/amd64 linux/amd64|cgo=0"
  "github.com/ebitengine/purego@v0.8.4|github.com/ebitengine/purego|linux/amd64 linux/arm64 darwin/arm64|"
  "github.com/gopherjs/gopherjs@v1.17.2|github.com/gopherjs/gopherjs/build/versionhack||cgo=0"
  "github.com/segmentio/asm@v1.2.1|github.com/segmentio/asm/ascii github.com/segmentio/asm/bswap github.com/segmentio/asm/mem github.com/segmentio/asm/slices github.com/segmentio/asm/sortedset||"
  "github.com/apache/arrow/go/v14@v14.0.2|github.com/apache/arrow/go/v14/parquet/file||"
  "github.com/bytedance/gopkg@v0.1.4|github.com/bytedance/gopkg/collection/lscq github.com/bytedance/gopkg/collection/skipmap github.com/bytedance/gopkg/collection/skipset github.com/bytedance/gopkg/lang/dirtmake github.com/bytedance/gopkg/lang/syncx||"
  "github.com/quic-go/quic-go@v0.44.0|github.com/quic-go/quic-go||test=github.com/quic-go/quic-go/internal/handshake"
  "github.com/quic-go/quic-go@v0.65.0|github.com/quic-go/quic-go||test=github.com/quic-go/quic-go/internal/handshake"
  "golang.org/x/net@v0.56.0|golang.org/x/net/http3 golang.org/x/net/ipv4||"
  "golang.org/x/net@v0.56.0|golang.org/x/net/http3 golang.org/x/net/ipv4 golang.org/x/net/route|darwin/arm64|"
  "github.com/bytedance/mockey@v1.2.12|github.com/bytedance/mockey||"
  "github.com/xtls/xray-core@v1.260327.0|github.com/xtls/xray-core/common/protocol/quic github.com/xtls/xray-core/common/session github.com/xtls/xray-core/proxy/tun github.com/xtls/xray-core/transport/internet/headers/http github.com/xtls/xray-core/transport/internet/tls|linux/amd64|"
)

# The toolchains' GOROOTs, resolved with the caller's module cache (where fetched toolchains
# live) before the script's own cache takes over.
declare -A goroot release
for t in "${toolchains[@]}"; do
  goroot[$t]=$(GOTOOLCHAIN=$t go env GOROOT)
  release[$t]=$(head -1 "${goroot[$t]}/VERSION")
done

mkdir -p "$cache/mod" "$cache/results" "$cache/progs"
export GOMODCACHE=$cache/mod GOFLAGS=-mod=mod GOTOOLCHAIN=local
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

key_of() { printf '%s' "$*" | sha256sum | cut -c1-24; }
cgo_of() { # flags goos/goarch -> 0 or 1, as the go command would default it here
  case "$1" in *cgo=0*) echo 0; return ;; esac
  if [ "$2" = "$(go env GOHOSTOS)/$(go env GOHOSTARCH)" ] && command -v "${CC:-gcc}" >/dev/null; then echo 1; else echo 0; fi
}

# The program of a row: a module requiring the row's module and importing its packages. Its
# go.mod and go.sum are resolved once with the installed toolchain and reused by every release.
prog_of() { # modver pkgs -> folder
  local modver=$1 pkgs=$2 dir
  dir=$cache/progs/$(key_of "$modver" "$pkgs")
  if [ ! -f "$dir/ready" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    printf 'module example.com/prog\n\ngo 1.22\n' >"$dir/go.mod"
    { printf 'package main\n\nimport (\n'; for p in $pkgs; do printf '\t_ "%s"\n' "$p"; done; printf ')\n\nfunc main() {}\n'; } >"$dir/main.go"
    (cd "$dir" && go get "$modver" >"$dir/get.log" 2>&1 && go mod tidy >>"$dir/get.log" 2>&1) || true
    touch "$dir/ready"
  fi
  echo "$dir"
}

# One real build; its outcome is cached. Writes $cache/results/KEY.{rc,log,deps}.
build_one() { # key modver pkgs goos/goarch cgo toolchain mode(build|test=PKG)
  local key=$1 modver=$2 pkgs=$3 plat=$4 cgo=$5 t=$6 mode=$7 dir res=$cache/results/$1
  [ -f "$res.rc" ] && return 0
  dir=$(prog_of "$modver" "$pkgs")
  local go=${goroot[$t]}/bin/go rc=0
  local env=(GOOS="${plat%/*}" GOARCH="${plat#*/}" CGO_ENABLED="$cgo")
  local tmp
  tmp=$(mktemp -d)
  cp "$dir/go.mod" "$dir/main.go" "$tmp/" && { cp "$dir/go.sum" "$tmp/" 2>/dev/null || true; }
  if [ "$mode" = build ]; then
    (cd "$tmp" && env "${env[@]}" "$go" list -deps -f '{{.ImportPath}} {{with .Module}}{{.Path}} {{.Version}}{{end}}' . >"$res.deps.tmp" 2>"$res.log.tmp") &&
      (cd "$tmp" && env "${env[@]}" "$go" build -o /dev/null . >"$res.log.tmp" 2>&1) || rc=$?
  else
    local pkg=${mode#test=}
    (cd "$tmp" && env "${env[@]}" "$go" list -deps -test -f '{{.ImportPath}} {{with .Module}}{{.Path}} {{.Version}}{{end}}' "$pkg" >"$res.deps.tmp" 2>"$res.log.tmp") &&
      (cd "$tmp" && env "${env[@]}" "$go" test -c -o /dev/null "$pkg" >"$res.log.tmp" 2>&1) || rc=$?
  fi
  rm -rf "$tmp"
  mv "$res.deps.tmp" "$res.deps" 2>/dev/null || : >"$res.deps"
  mv "$res.log.tmp" "$res.log"
  echo "$rc" >"$res.rc"
}

# Every task: one line per row, platform, release and mode.
tasks=$work/tasks
: >"$tasks"
for row in "${rows[@]}"; do
  IFS='|' read -r modver pkgs plats flags <<<"$row"
  [ -n "${ONLY:-}" ] && case "$modver" in *"$ONLY"*) ;; *) continue ;; esac
  modes=(build)
  case "$flags" in *test=*) t=${flags#*test=}; modes+=("test=${t%% *}") ;; esac
  for plat in ${plats:-$default_platforms}; do
    cgo=$(cgo_of "$flags" "$plat")
    for t in "${toolchains[@]}"; do
      for mode in "${modes[@]}"; do
        key=$(key_of "$modver" "$pkgs" "$plat" "$cgo" "${release[$t]}" "$mode")
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$key" "$modver" "$pkgs" "$plat" "$cgo" "$t" "$mode" >>"$tasks"
      done
    done
  done
done

# Download first (one go.mod per row), then build with bounded concurrency.
while IFS=$'\t' read -r _ modver pkgs _; do prog_of "$modver" "$pkgs" >/dev/null; done < <(sort -u -t$'\t' -k2,3 "$tasks")
todo=$(while IFS=$'\t' read -r key _; do [ -f "$cache/results/$key.rc" ] || echo x; done <"$tasks" | wc -l)
echo "builds: $(wc -l <"$tasks") ($todo not cached), $jobs at a time" >&2
running=0
while IFS=$'\t' read -r key modver pkgs plat cgo t mode; do
  [ -f "$cache/results/$key.rc" ] && continue
  build_one "$key" "$modver" "$pkgs" "$plat" "$cgo" "$t" "$mode" </dev/null &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
done <"$tasks"
wait

# Scan the whole cache once per platform and cgo setting (the scan is cheap; the builds are not).
against=()
for t in "${toolchains[@]}"; do against+=(--against "${goroot[$t]}"); done
tests_flag=()
"$linkallow" scan --help | grep -q -- '--tests' && tests_flag=(--tests)
while IFS=$'\t' read -r plat cgo; do
  out=$work/scan-${plat%/*}-${plat#*/}-$cgo.jsonl
  CGO_ENABLED=$cgo "$linkallow" scan "$GOMODCACHE" "${against[@]}" "${tests_flag[@]}" --goos "${plat%/*}" --goarch "${plat#*/}" --json \
    >"$out" 2>"$out.err" || true
done < <(cut -f4,5 "$tasks" | sort -u)

# Compare.
printf '| module | version | platform | release | real outcome | predicted | match |\n|---|---|---|---|---|---|---|\n'
matches=0 mismatches=0 uncompared=0 reasons=$work/reasons
: >"$reasons"
while IFS=$'\t' read -r key modver pkgs plat cgo t mode; do
  res=$cache/results/$key rel=${release[$t]}
  mod=${modver%@*} ver=${modver#*@}
  label=$plat
  [ "$cgo" = 0 ] && label="$plat cgo=0"
  [ "$mode" = build ] || label="$label, go test -c ${mode#test=}"
  scan=$work/scan-${plat%/*}-${plat#*/}-$cgo.jsonl
  tested=${mode#test=}
  [ "$mode" = build ] && tested=
  # Pulls in linked packages (at the linked version), with their verdict for this release.
  awk '{sub(/ \[.*\]/, ""); print $1 "\t" $2 "\t" $3}' "$res.deps" | sort -u >"$work/deps"
  jq -r --arg rel "$rel" --arg tested "$tested" '
      (if (.file | test("/")) then .module + "/" + (.file | sub("/[^/]*$"; "")) else .module end) as $pkg
      | select((.test | not) or $pkg == $tested)
      | [$pkg, .module, (.version // ""), .symbol, (.verdicts[$rel].link // "none")] | @tsv' "$scan" |
    awk -F'\t' 'NR==FNR{linked[$1 "\t" $2 "\t" $3]=1; next} linked[$1 "\t" $2 "\t" $3]' "$work/deps" - >"$work/pulls"
  rejected=$(awk -F'\t' '$5=="rejected"{print $4}' "$work/pulls" | sort -u | tr '\n' ' ')
  undefined=$(awk -F'\t' '$5=="undefined"{print $4}' "$work/pulls" | sort -u | tr '\n' ' ')
  ignored=$(awk -F'\t' '$5=="ignored"{print $4}' "$work/pulls" | sort -u | tr '\n' ' ')
  if [ -n "$rejected" ]; then predicted="rejected: $rejected"
  elif [ -n "$ignored" ]; then predicted="compile error: linkname on $ignored"
  elif [ -n "$undefined" ]; then predicted="undefined: $undefined"
  else predicted="links"; fi
  rc=$(cat "$res.rc")
  log=$res.log
  invalid=$(grep -o 'invalid reference to [^ ]*' "$log" | sed 's/invalid reference to //' | sort -u | tr '\n' ' ' || true)
  reloc=$(grep -o 'relocation target [^ ]* not defined' "$log" | awk '{print $3}' | sort -u | tr '\n' ' ' || true)
  dup=$(grep -o 'duplicated definition of symbol [^ ,]*' "$log" | awk '{print $5}' | sort -u | tr '\n' ' ' || true)
  linkname_err=$(grep -m1 'go:linkname\|linkname must refer' "$log" || true)
  verdict=match
  if [ "$rc" = 0 ]; then
    real=links
    if [ "$predicted" != links ]; then
      verdict=MISMATCH
      # An undefined pull fails only when reached; a blank import may leave it unreached.
      [ -z "$rejected" ] && [ -z "$ignored" ] && [ -n "$undefined" ] && verdict="match (unreached)"
    fi
  elif [ -n "$invalid$dup" ]; then
    real="rejected: $invalid$dup"
    for s in $invalid $dup; do case " $rejected" in *" $s "*) ;; *) verdict=MISMATCH ;; esac; done
  elif [ -n "$reloc" ]; then
    real="undefined: $reloc"
    [ -z "$rejected" ] || verdict=MISMATCH
    for s in $reloc; do case " $undefined" in *" $s "*) ;; *) verdict=MISMATCH ;; esac; done
  elif [ -n "$linkname_err" ]; then
    real="compile error: $(echo "$linkname_err" | sed 's/^[^ ]*: //' | cut -c1-70)"
    [ -n "$ignored" ] && [ -z "$rejected" ] || verdict=MISMATCH
  else
    why=$(grep -m1 -v '^#\|^go: downloading\|^go: finding' "$log" | sed 's/^[^ ]*\.go:[0-9:]* //' | cut -c1-90 || true)
    real="not compared: ${why:-exit $rc}"
    verdict="(not compared)"
    printf -- '- %s %s, %s, %s: %s\n' "$mod" "$ver" "$label" "$rel" "${why:-exit $rc}" >>"$reasons"
  fi
  case "$verdict" in
    MISMATCH) mismatches=$((mismatches + 1)) ;;
    "(not compared)") uncompared=$((uncompared + 1)) ;;
    *) matches=$((matches + 1)) ;;
  esac
  esc() { sed 's/|/\\|/g' <<<"$1"; }
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$mod" "$ver" "$label" "$rel" "$(esc "$real")" "$(esc "$predicted")" "$verdict"
done <"$tasks"
printf '\n%d builds: %d match, %d mismatch, %d not compared (a compile error that is not about a linkname).\n' \
  "$((matches + mismatches + uncompared))" "$matches" "$mismatches" "$uncompared"
if [ -s "$reasons" ]; then printf '\nNot compared:\n'; cat "$reasons"; fi
[ "$mismatches" -eq 0 ]
