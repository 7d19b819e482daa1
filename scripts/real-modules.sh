#!/usr/bin/env bash
# Real modules against real linkers (not CI: it downloads). Downloads modules known to pull
# standard-library symbols into a temporary GOMODCACHE with `go mod download`, scans them with
# `linkallow scan --against` each of three trees, builds a program importing each module with
# each toolchain, and prints per module and release: pulls found, pulled symbols the shipped
# allowlist covers, the predicted outcome and the real one.
#
#   scripts/real-modules.sh            # uses target/release/linkallow (cargo build --release first)
#   KEEP=1 scripts/real-modules.sh     # keep the temporary folder (its path is printed)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
linkallow=${LINKALLOW:-$root/target/release/linkallow}
toolchains=(${TOOLCHAINS:-local go1.27.3 go1.22.10})
# module@version  package-to-import
modules=(
  "github.com/goccy/go-json@v0.10.2 github.com/goccy/go-json"
  "github.com/bytedance/sonic@v1.14.0 github.com/bytedance/sonic"
  "github.com/bytedance/sonic/loader@v0.3.0 github.com/bytedance/sonic/loader"
  "github.com/ugorji/go/codec@v1.2.12 github.com/ugorji/go/codec"
  "github.com/modern-go/reflect2@v1.0.2 github.com/modern-go/reflect2"
  "github.com/json-iterator/go@v1.1.12 github.com/json-iterator/go"
  "github.com/dgraph-io/ristretto@v0.1.1 github.com/dgraph-io/ristretto/z"
  "github.com/petermattis/goid@v0.0.0-20240813172612-4fcff4a6cae7 github.com/petermattis/goid"
  "github.com/timandy/routine@v1.1.1 github.com/timandy/routine"
)

work=$(mktemp -d)
if [ -z "${KEEP:-}" ]; then trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT; else echo "work folder: $work" >&2; fi
export GOMODCACHE=$work/mod GOFLAGS=-mod=mod

goroot_of() { GOTOOLCHAIN=$1 go env GOROOT; }
version_of() { head -1 "$(goroot_of "$1")/VERSION"; }

# Download every module with the installed toolchain (one go.mod requiring all of them).
mkdir -p "$work/dl"
(
  cd "$work/dl"
  go mod init example.com/dl >/dev/null 2>&1
  for m in "${modules[@]}"; do
    set -- $m
    go mod edit -require="$1"
  done
  go mod download "${modules[@]%% *}" 2>&1 | sed 's/^/  /' >&2
)

# Scan the whole cache once against the three trees.
against=()
for t in "${toolchains[@]}"; do against+=(--against "$(goroot_of "$t")"); done
set +e
"$linkallow" scan "$GOMODCACHE" "${against[@]}" --json >"$work/scan.jsonl" 2>"$work/scan.err"
scan_rc=$?
set -e
echo "scan exit $scan_rc; $(tail -1 "$work/scan.err")" >&2

# Symbols the shipped allowlist names (package.name).
awk '/^\[\[symbol\]\]/{p="";n=""} /^package = /{gsub(/"/,"",$3);p=$3} /^name = /{gsub(/"/,"",$3);n=$3; print p"."n}' \
  "$root/allowlist.toml" | sort -u >"$work/allowlisted"

printf '| module | release | pulls | allowlisted | predicted | real build | |\n|---|---|---|---|---|---|---|\n'
mismatches=0
for m in "${modules[@]}"; do
  set -- $m
  modver=$1 pkg=$2 mod=${1%@*} ver=${1#*@}
  for t in "${toolchains[@]}"; do
    release=$(version_of "$t")
    prog=$work/prog-$(echo "$pkg" | tr '/.' '__')-$t
    mkdir -p "$prog"
    printf 'module example.com/prog\n\ngo 1.22\n\nrequire %s %s\n' "$mod" "$ver" >"$prog/go.mod"
    printf 'package main\n\nimport _ "%s"\n\nfunc main() {}\n' "$pkg" >"$prog/main.go"
    cp "$work/dl/go.sum" "$prog/go.sum"
    # The packages the program links, as this toolchain selects them.
    if ! (cd "$prog" && GOTOOLCHAIN=$t go list -deps . >"$prog/deps" 2>"$prog/list.err"); then
      real="go list: $(grep -m1 -v '^go: downloading' "$prog/list.err" | cut -c1-60)"
      printf '| %s | %s | - | - | - | %s | |\n' "$modver" "$release" "$real"
      continue
    fi
    # This module's pulls in linked packages, not tests, with their verdict for this release.
    jq -r --arg mod "$mod" --arg ver "$ver" --arg rel "$release" '
      select(.module == $mod and .version == $ver and (.test | not) and (.defines | not))
      | [ (if (.file | test("/")) then $mod + "/" + (.file | sub("/[^/]*$"; "")) else $mod end),
          .symbol, .verdicts[$rel].link ] | @tsv' "$work/scan.jsonl" |
      awk -F'\t' 'NR==FNR{linked[$1]=1; next} linked[$1]' "$prog/deps" - >"$prog/pulls"
    pulls=$(awk -F'\t' '$3!="inactive" && $3!="ignored"' "$prog/pulls" | wc -l)
    covered=$(awk -F'\t' '$3!="inactive"{print $2}' "$prog/pulls" | sort -u | grep -cxFf "$work/allowlisted" || true)
    rejected=$(awk -F'\t' '$3=="rejected"{print $2}' "$prog/pulls" | sort -u | tr '\n' ' ')
    undefined=$(awk -F'\t' '$3=="undefined"{print $2}' "$prog/pulls" | sort -u | tr '\n' ' ')
    if [ -n "$rejected" ]; then predicted="rejected: $rejected"
    elif [ -n "$undefined" ]; then predicted="undefined: $undefined"
    else predicted="links"; fi
    if (cd "$prog" && GOTOOLCHAIN=$t go build -o /dev/null . >"$prog/build.err" 2>&1); then
      real="links"
    else
      real=$(grep -m1 -o 'invalid reference to [^ ]*\|relocation target [^ ]* not defined' "$prog/build.err" ||
        echo "compile error: $(grep -m1 -v '^#\|^go: downloading' "$prog/build.err" | sed 's/^[^ ]*: //' | cut -c1-60)")
    fi
    verdict=match
    case "$real" in
      links) [ "$predicted" = links ] || verdict=MISMATCH ;;
      "invalid reference to "*) sym=${real#invalid reference to }
        case " $rejected" in *" $sym "*) ;; *) verdict=MISMATCH ;; esac ;;
      "relocation target "*) sym=${real#relocation target }; sym=${sym% not defined}
        case " $undefined" in *" $sym "*) [ -z "$rejected" ] || verdict=MISMATCH ;; *) verdict=MISMATCH ;; esac ;;
      *) verdict="(no link)" ;;
    esac
    # An undefined pull fails only when reached; a blank import may leave it unreached.
    if [ "$verdict" = MISMATCH ] && [ "$real" = links ] && [ -z "$rejected" ] && [ -n "$undefined" ]; then
      verdict="match (unreached)"
    fi
    [ "$verdict" = MISMATCH ] && mismatches=$((mismatches + 1))
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$modver" "$release" "$pulls" "$covered" "$predicted" "$real" "$verdict"
  done
done
echo "mismatches: $mismatches" >&2
[ "$mismatches" -eq 0 ]
