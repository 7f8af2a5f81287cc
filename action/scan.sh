#!/usr/bin/env bash
# The scan step of the GitHub Action (../action.yml). On a pull request (KEYHOUND_BASE and KEYHOUND_HEAD
# set) it scans only what the pull request adds, `base..head`; otherwise the full history. It writes the
# SARIF report, and records the exit code and whether a report was written as step outputs
# (`exit-code`, `sarif-written`) in $GITHUB_OUTPUT. It always exits 0 so the upload can run; the
# action's last step turns the exit code into the job's result.
set -u

path="${KEYHOUND_PATH:-.}"
sarif="${KEYHOUND_SARIF:-keyhound.sarif}"
read -r -a extra <<< "${KEYHOUND_ARGS:-}"
selection=()
if [ -n "${KEYHOUND_BASE:-}" ] && [ -n "${KEYHOUND_HEAD:-}" ]; then
  selection=(--range "${KEYHOUND_BASE}..${KEYHOUND_HEAD}")
  echo "keyhound: scanning what the pull request adds (${KEYHOUND_BASE}..${KEYHOUND_HEAD})"
else
  echo "keyhound: scanning the full history"
fi

rm -f "$sarif"
keyhound scan git "$path" ${selection[@]+"${selection[@]}"} --format sarif --report-path "$sarif" \
  ${extra[@]+"${extra[@]}"}
code=$?

written=false
if [ -s "$sarif" ]; then
  written=true
fi
{
  echo "exit-code=$code"
  echo "sarif-written=$written"
} >> "${GITHUB_OUTPUT:-/dev/stdout}"
exit 0
