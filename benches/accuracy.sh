#!/usr/bin/env bash
# Accuracy benchmark: plant synthetic secrets and realistic decoys in a generated repository, scan it with
# keyhound (and gitleaks, kingfisher, betterleaks when available), and print precision / recall / F1.
#
#   benches/accuracy.sh [--seed N] [--files N] [--keep] [--json FILE] [--explain TOOL]...
#
# --keep leaves the corpus and the reports in the temporary directory; --json writes the summary to FILE;
# --explain TOOL lists that tool's false positives and misses (default: keyhound).
#
# Environment:
#   KEYHOUND   keyhound binary (default: `keyhound` on PATH, else target/release/keyhound)
#   PEERS_BIN  directory holding gitleaks / kingfisher / betterleaks (default: the output of
#              ../shared/peers/install.sh when that script exists; otherwise only keyhound is scored)
#   SEED, FILES  corpus parameters (defaults 1 and 400)
# Every scanner runs with its default rules and with network validation off.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
seed=${SEED:-1}
files=${FILES:-400}
keep=0
explain=()
json_out=
while [ $# -gt 0 ]; do
  case $1 in
    --seed) seed=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --json) json_out=$2; shift 2 ;;
    --explain) explain+=(--explain "$2"); shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "accuracy.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ ${#explain[@]} -eq 0 ] && explain=(--explain keyhound)

if [ -z "${KEYHOUND:-}" ]; then
  if command -v keyhound >/dev/null 2>&1; then KEYHOUND=$(command -v keyhound)
  elif [ -x "$root/target/release/keyhound" ]; then KEYHOUND=$root/target/release/keyhound
  else echo "accuracy.sh: no keyhound binary (set KEYHOUND or run cargo build --release)" >&2; exit 2
  fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/keyhound-accuracy.XXXXXX")
if [ "$keep" = 1 ]; then echo "accuracy.sh: keeping $work" >&2
else trap 'rm -rf "$work"' EXIT
fi
corpus=$work/corpus
scan=$corpus/repo
reports=$work/reports
mkdir -p "$reports"

python3 "$here/accuracy/generate.py" --seed "$seed" --files "$files" --out "$corpus"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2fs", b - a }'; }
args=()

# keyhound: exit 0 = clean, 1 = findings, 2 = error or incomplete scan (scored anyway, with a warning)
t0=$(now); rc=0
"$KEYHOUND" scan dir "$scan" --format json --show-secrets >"$reports/keyhound.json" 2>"$reports/keyhound.err" || rc=$?
if [ "$rc" -gt 1 ]; then
  echo "accuracy.sh: keyhound exited $rc (incomplete scan?): $(tail -n 3 "$reports/keyhound.err")" >&2
fi
echo "keyhound: $(elapsed "$t0") ($("$KEYHOUND" --version 2>/dev/null || echo '?'))" >&2
args+=(--report "keyhound=$reports/keyhound.json")

# peers
if [ -z "${PEERS_BIN:-}" ] && [ -f "$root/../shared/peers/install.sh" ]; then
  PEERS_BIN=$(bash "$root/../shared/peers/install.sh" | tail -n 1) || PEERS_BIN=
fi
if [ -z "${PEERS_BIN:-}" ]; then
  echo "accuracy.sh: no PEERS_BIN and no ../shared/peers/install.sh: scoring keyhound only" >&2
else
  if [ -x "$PEERS_BIN/gitleaks" ]; then
    t0=$(now)
    "$PEERS_BIN/gitleaks" dir "$scan" --report-format json --report-path "$reports/gitleaks.json" \
      --no-banner --exit-code 0 >"$reports/gitleaks.log" 2>&1 || echo "accuracy.sh: gitleaks failed (see $reports/gitleaks.log)" >&2
    [ -s "$reports/gitleaks.json" ] && args+=(--report "gitleaks=$reports/gitleaks.json")
    echo "gitleaks: $(elapsed "$t0") ($("$PEERS_BIN/gitleaks" version 2>/dev/null || echo '?'))" >&2
  else echo "accuracy.sh: no gitleaks in $PEERS_BIN: skipped" >&2
  fi
  if [ -x "$PEERS_BIN/kingfisher" ]; then
    t0=$(now); mkdir -p "$work/kingfisher-tmp"
    # exit code 200 means "findings", not an error
    TMPDIR=$work/kingfisher-tmp "$PEERS_BIN/kingfisher" scan "$scan" --git-history none --no-validate \
      --no-update-check --format json --output "$reports/kingfisher.json" >"$reports/kingfisher.log" 2>&1 || true
    if [ -s "$reports/kingfisher.json" ]; then args+=(--report "kingfisher=$reports/kingfisher.json")
    else echo "accuracy.sh: kingfisher wrote no report (see $reports/kingfisher.log)" >&2
    fi
    echo "kingfisher: $(elapsed "$t0") ($("$PEERS_BIN/kingfisher" --version 2>/dev/null || echo '?'))" >&2
  else echo "accuracy.sh: no kingfisher in $PEERS_BIN: skipped" >&2
  fi
  if [ -x "$PEERS_BIN/betterleaks" ]; then
    t0=$(now)
    "$PEERS_BIN/betterleaks" fs "$scan" --no-banner --output "$reports/betterleaks.json" --exit-code 0 \
      >"$reports/betterleaks.log" 2>&1 || echo "accuracy.sh: betterleaks failed (see $reports/betterleaks.log)" >&2
    [ -s "$reports/betterleaks.json" ] && args+=(--report "betterleaks=$reports/betterleaks.json")
    echo "betterleaks: $(elapsed "$t0") ($("$PEERS_BIN/betterleaks" --version 2>/dev/null | head -n 1 || echo '?'))" >&2
  else echo "accuracy.sh: no betterleaks in $PEERS_BIN: skipped" >&2
  fi
fi

python3 "$here/accuracy/score.py" --corpus "$corpus" "${args[@]}" --json "$work/summary.json" "${explain[@]}"
[ -n "$json_out" ] && cp "$work/summary.json" "$json_out"
if [ "$keep" = 1 ]; then echo "accuracy.sh: reports in $reports, summary in $work/summary.json" >&2; fi
