#!/usr/bin/env python3
"""Builds src/randomness/words.txt, the word list the randomness score segments values with.

usage: python3 src/randomness/build_words.py [SOURCE_DIR] > src/randomness/words.txt

The list has two parts, cheapest first:
  1. a hand-written list of words people build passwords, placeholders and development secrets from
     (seasons, months, keyboard walks, "changeme", "letmein", ...);
  2. English and programming vocabulary, ranked by how many crates in SOURCE_DIR (default: the local
     cargo registry, ~/.cargo/registry/src) use the word in comments or identifiers. Counting crates,
     not occurrences, keeps one crate's jargon out. Words come from comments and from identifiers split
     at `_` and camelCase humps.
"""
import collections
import os
import re
import sys

HAND = """
password passwd pass pwd secret secrets key keys token tokens api apikey auth admin administrator root
user username login guest test testing tester demo sample example dummy fake mock default local
localhost dev develop development prod production stage staging qa uat sandbox internal private public
change changeme change_me letmein welcome hello world master super superuser secure security insecure
qwerty qwertyuiop asdf asdfgh asdfghjkl zxcv zxcvbn zxcvbnm qazwsx wsx edc rfv abc abcd abcdef abcdefg
xyz foo bar baz qux quux spam eggs monkey dragon shadow sunshine princess football baseball soccer
hockey batman superman trustno iloveyou love freedom whatever ninja mustang michael jordan charlie
access secret_key spring summer autumn fall winter january february march april may june july august
september october november december monday tuesday wednesday thursday friday saturday sunday
red green blue black white yellow orange purple silver gold tiger lion eagle wolf bear horse
correct horse battery staple hunter tiger pass word my me is it the this that not real your our
app application service server client db database mysql postgres postgresql redis mongo mongodb
oracle jwt session cookie signing signature encryption crypto cipher hash salt pepper bearer oauth
github gitlab aws azure gcp google docker kube kubernetes jenkins travis circle heroku vercel stripe
slack discord twilio openai company acme contoso corp inc org team project
one two three four five six seven eight nine ten hundred thousand
deploy deployment release build pipeline cluster node worker queue cache storage bucket backup monitor
metrics logging gateway proxy ingress backend frontend webhook callback upload download payment billing
invoice customer order account profile email mail notify notification report analytics search index
vault config settings env environment region zone tenant partner vendor mobile web site portal dashboard
console platform infra ops devops cloud edge core main primary secondary replica readonly readwrite
write read system sys operator manager owner member anonymous global legacy new old next beta alpha
canary preview live secure safe strong random generated unique temporary temp
""".split()

TWO_LETTER = "my me is it to of in on no go db id ok up we us an as at be by do if or so he".split()


def words_of(text):
    for token in re.findall(r"[A-Za-z][A-Za-z0-9_]*", text):
        for part in token.split("_"):
            for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", part):
                yield w.lower()


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cargo/registry/src")
    crates = collections.Counter()
    for registry in sorted(os.listdir(root)):
        base = os.path.join(root, registry)
        for crate in sorted(os.listdir(base)):
            seen = set()
            for dirpath, _, files in os.walk(os.path.join(base, crate)):
                for f in files:
                    if not f.endswith((".rs", ".md")):
                        continue
                    try:
                        with open(os.path.join(dirpath, f), encoding="utf-8", errors="ignore") as fh:
                            seen.update(w for w in words_of(fh.read()) if 3 <= len(w) <= 16)
                    except OSError:
                        continue
            crates.update(seen)
    out, have = [], set()
    for w in HAND + TWO_LETTER:
        w = w.replace("_", "")
        if w not in have:
            have.add(w)
            out.append(w)
    vowels = set("aeiouy")
    for w, n in sorted(crates.items(), key=lambda kv: (-kv[1], kv[0])):
        if n < 8 or w in have or not vowels & set(w):
            continue
        have.add(w)
        out.append(w)
        if len(out) >= 12000:
            break
    sys.stdout.write("".join(w + "\n" for w in out))


if __name__ == "__main__":
    main()
