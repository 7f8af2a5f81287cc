#!/usr/bin/env bash
# Pre-commit latency: times `keyhound scan staged` on a typical commit (one edited file, one new file)
# in a clone of a real repository. usage: benches/staged.sh REPO   (any git repository, bare or not)
# Needs hyperfine. KEYHOUND defaults to target/release/keyhound.
set -euo pipefail
REPO=${1:?usage: benches/staged.sh REPO}
HERE=$(cd "$(dirname "$0")/.." && pwd)
KEYHOUND=${KEYHOUND:-$HERE/target/release/keyhound}
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
git clone -q "$REPO" "$WORK/repo"
cd "$WORK/repo"
file=$(git ls-files | grep -m1 -E '\.(c|rs|py|go|js|ts|java|rb)$' || true)
echo "// edited by the benchmark" >> "$file"
printf 'settings = {"retries": 3}\n' > keyhound-bench-new-file.py
git add "$file" keyhound-bench-new-file.py
echo "# staged: 1 edited file ($file), 1 new file; $(git ls-files | wc -l) files in the index"
hyperfine -N -w 3 -r 30 "$KEYHOUND scan staged -q"
