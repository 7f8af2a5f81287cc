#!/usr/bin/env bash
# Incremental history audit (`scan git --cache DIR`): a cold audit of a copy of REPO that fills the cache,
# one commit added to the copy (a new file holding a fake AWS key ID), then the warm re-audit timed with
# hyperfine, each run starting from the cache as the cold audit left it (so every run walks the one new
# commit, scans its blobs and rewrites the cache). Also times a re-audit with nothing new, and checks that
# the warm report equals a scan without a cache.
#
# usage: benches/incremental.sh [REPO]   (default /tmp/corpora/large.git, a bare clone of git/git made by
#        the corpora script; any git repository works). Needs hyperfine and python3. KEYHOUND defaults to
#        target/release/keyhound (built when missing). RUNS (default 10) sets hyperfine's runs; COMPARE=0
#        skips the comparison with a scan without the cache (a second full audit).
set -euo pipefail
REPO=${1:-/tmp/corpora/large.git}
HERE=$(cd "$(dirname "$0")/.." && pwd)
KEYHOUND=${KEYHOUND:-$HERE/target/release/keyhound}
RUNS=${RUNS:-10}
COMPARE=${COMPARE:-1}
if [[ ! -x $KEYHOUND ]]; then
  (cd "$HERE" && cargo build --release --locked)
fi
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT

# A scratch copy: the audit adds a commit to it, never to REPO (a whole copy, so that its packs are its
# own and read as a cold scan reads them).
if [[ -d $REPO/.git ]]; then cp -a "$REPO/.git" "$WORK/repo.git"; else cp -a "$REPO" "$WORK/repo.git"; fi
R="$WORK/repo.git"
echo "# $(git -C "$R" rev-list --all --count) commits, $(git -C "$R" for-each-ref | wc -l) refs"
echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "# cold audit (fills the cache):"
/usr/bin/time -f '#   %e s wall, %U s user, %S s sys, %M KiB peak' \
  "$KEYHOUND" scan git "$R" --cache "$WORK/cache" -q --format json -o "$WORK/cold.json" || [[ $? == 1 ]]
ls -l "$WORK/cache"
cp -a "$WORK/cache" "$WORK/cache.cold"

# One new commit on HEAD's branch, made with plumbing (no checkout of the whole tree).
key="AKIA$(python3 -c 'import random; print("".join(random.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", k=16)))')"
export GIT_INDEX_FILE="$WORK/index"
git --git-dir="$R" read-tree HEAD
blob=$(printf 'aws_access_key_id = %s\n' "$key" | git --git-dir="$R" hash-object -w --stdin)
git --git-dir="$R" update-index --add --cacheinfo "100644,$blob,keyhound-bench/deploy.ini"
tree=$(git --git-dir="$R" write-tree)
commit=$(git --git-dir="$R" -c user.name=bench -c user.email=bench@example.org \
  commit-tree "$tree" -p HEAD -m "bench: one more commit")
git --git-dir="$R" update-ref HEAD "$commit"
unset GIT_INDEX_FILE

echo "# warm re-audit after one added commit:"
hyperfine -N -w 1 -r "$RUNS" -i \
  --prepare "sh -c 'rm -rf $WORK/cache && cp -a $WORK/cache.cold $WORK/cache'" \
  "$KEYHOUND scan git $R --cache $WORK/cache -q --format json -o $WORK/warm.json"
echo "# re-audit with nothing new:"
hyperfine -N -w 1 -r "$RUNS" -i \
  "$KEYHOUND scan git $R --cache $WORK/cache -q --format json -o $WORK/same.json"

[[ $COMPARE == 1 ]] || exit 0
echo "# the warm report against a scan without the cache:"
"$KEYHOUND" scan git "$R" -q --format json -o "$WORK/plain.json" || [[ $? == 1 ]]
python3 - "$WORK/plain.json" "$WORK/warm.json" <<'EOF'
import json, sys
def load(p):
    d = json.load(open(p))
    d["summary"].pop("duration_secs", None)
    d["notes"] = [n for n in d["notes"] if not n.startswith("cache")]
    return d
plain, warm = load(sys.argv[1]), load(sys.argv[2])
print("#   findings:", len(plain["findings"]), "without the cache,", len(warm["findings"]), "warm;",
      "identical reports" if plain == warm else "REPORTS DIFFER")
sys.exit(0 if plain == warm else 1)
EOF
