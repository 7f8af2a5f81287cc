#!/usr/bin/env bash
# Whole-tool comparison: times keyhound against gitleaks, kingfisher and betterleaks on a real tree or
# repository, and prints wall time, CPU time, peak memory and findings per tool (median of N runs).
#
# usage: benches/compare.sh [-n RUNS] [-m dir|git] TARGET
#   TARGET   a directory (dir mode: scanned as plain files) or a git repository (git mode: full history)
#   -n RUNS  counted runs per tool after one warm-up (default 3)
#   -m MODE  dir (default) or git
# Environment: KEYHOUND (default target/release/keyhound), PEERS_BIN (directory holding the peer binaries;
# default: the output of ../shared/peers/install.sh when that exists), JOBS (default nproc).
# Needs GNU time (/usr/bin/time) and jq.
set -uo pipefail
RUNS=3 MODE=dir
while getopts "n:m:" o; do
  case $o in n) RUNS=$OPTARG;; m) MODE=$OPTARG;; *) sed -n '2,12p' "$0"; exit 2;; esac
done
shift $((OPTIND - 1))
TARGET=${1:?usage: benches/compare.sh [-n RUNS] [-m dir|git] TARGET}
TARGET=$(cd "$TARGET" && pwd)
HERE=$(cd "$(dirname "$0")/.." && pwd)
KEYHOUND=${KEYHOUND:-$HERE/target/release/keyhound}
JOBS=${JOBS:-$(nproc)}
for need in /usr/bin/time jq; do command -v "$need" >/dev/null || { echo "compare.sh needs $need" >&2; exit 2; }; done
if [[ -z ${PEERS_BIN:-} && -x $HERE/../shared/peers/install.sh ]]; then
  PEERS_BIN=$("$HERE/../shared/peers/install.sh" 2>/dev/null) || PEERS_BIN=
fi
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
export TMPDIR=$WORK

# Each tool: the command (writing its report to $R) and how to count findings in the report.
cmd_keyhound()    { "$KEYHOUND" scan "$MODE" "$TARGET" --format sarif --report-path "$R" -j "$JOBS" -q; }
count_keyhound()  { jq '[.runs[].results | length] | add // 0' "$R"; }
cmd_gitleaks()    { GOMAXPROCS=$JOBS "$PEERS_BIN/gitleaks" "$MODE" "$TARGET" --no-banner --log-level error --report-format json --report-path "$R" --exit-code 1; }
count_gitleaks()  { jq 'length' "$R"; }
cmd_kingfisher()  { local h=none; [[ $MODE == git ]] && h=full
                    "$PEERS_BIN/kingfisher" scan "$TARGET" --git-history "$h" --no-validate --no-update-check --jobs "$JOBS" --quiet --format json --output "$R"; }
count_kingfisher(){ jq '.findings | length' "$R"; }
cmd_betterleaks() { local s=fs; [[ $MODE == git ]] && s=git
                    GOMAXPROCS=$JOBS "$PEERS_BIN/betterleaks" "$s" "$TARGET" --no-banner --silent --log-level error --output "$R" --exit-code 1; }
count_betterleaks(){ jq '.findings | length' "$R"; }

tools=(keyhound)
for t in gitleaks kingfisher betterleaks; do
  [[ -n ${PEERS_BIN:-} && -x $PEERS_BIN/$t ]] && tools+=("$t") || echo "note: $t not found (set PEERS_BIN); skipped" >&2
done

echo "# $MODE scan of $TARGET on $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(date -u +%F)"
printf '| %-11s | %8s | %8s | %9s | %8s |\n' tool wall_s cpu_s peak_MiB findings
printf '|%s|%s|%s|%s|%s|\n' ------------- ---------- ---------- ----------- ----------
for t in "${tools[@]}"; do
  walls=() cpus=() rss=() found=-
  for ((i = 0; i <= RUNS; i++)); do
    R=$WORK/$t.json; rm -f "$R"   # betterleaks picks its format from the extension
    /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" bash -c "$(declare -f "cmd_$t"); $(declare -p KEYHOUND MODE TARGET R JOBS PEERS_BIN 2>/dev/null); cmd_$t" >/dev/null 2>"$WORK/$t.stderr"
    rc=$?
    if [[ $rc -gt 1 && ! ( $t == kingfisher && ( $rc == 200 || $rc == 205 ) ) ]]; then
      echo "note: $t exited $rc: $(tail -2 "$WORK/$t.stderr")" >&2; found=error; break
    fi
    [[ $i == 0 ]] && continue   # warm-up
    read -r w u s m < <(tail -1 "$WORK/time")
    walls+=("$w"); cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}')"); rss+=("$m")
    found=$("count_$t")
  done
  med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{if (NR) print a[int((NR+1)/2)]; else print "-"}'; }
  printf '| %-11s | %8s | %8s | %9s | %8s |\n' "$t" "$(med "${walls[@]}")" "$(med "${cpus[@]}")" \
    "$(med "${rss[@]}" | awk '{ if ($1 == "-") print "-"; else printf "%.0f", $1/1024 }')" "$found"
done
