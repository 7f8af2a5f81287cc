#!/usr/bin/env python3
"""Score secret scanners against the planted truth of a generate.py corpus.

    python3 score.py --corpus DIR --report keyhound=kh.json --report gitleaks=gl.json ... \
                     [--json summary.json] [--explain keyhound]

DIR is the generate.py output (DIR/truth.jsonl, DIR/decoys.jsonl, DIR/repo the scanned tree).  Each report is
TOOL=PATH where TOOL is keyhound, gitleaks, kingfisher or betterleaks (the parser is chosen by name).

Every finding is normalised to locations (path relative to DIR/repo, line).  A finding whose location (or the
location of one of its components: kingfisher's dependent captures, betterleaks' component sets) lies on a
planted secret (any line of a multi-line private key; any line of a credential file's JSON object when the truth
gives a `span`) finds that secret; several findings of one secret count
once.  Findings at one (path, line) that hit nothing are one false positive, attributed to the decoy on that
line (its category; its `target` is the secret category it imitates) or to "other".  Findings on a neutral
decoy (an identifier that belongs to a planted credential, like a Twilio account SID) are ignored.

precision = secrets found / (secrets found + false positives); recall = secrets found / secrets planted.
Per secret category: recall over that category's secrets, precision counting the false positives on decoys
that imitate that category ("other" false positives count only overall).
"""
import argparse
import collections
import json
import os
import sys

CATEGORY_ORDER = ["cloud", "vcs", "payments", "messaging", "ai", "registries", "database", "private-key", "jwt",
                  "generic"]


def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def load_json_docs(path):
    """A JSON document, or several concatenated ones (some tools append)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        return [json.loads(text)]
    except ValueError:
        pass
    dec, i, docs = json.JSONDecoder(), 0, []
    while i < len(text):
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            break
        obj, i = dec.raw_decode(text, i)
        docs.append(obj)
    return docs


class Finding:
    __slots__ = ("rule", "path", "line", "secret", "extra")

    def __init__(self, rule, path, line, secret, extra=None):
        self.rule, self.path, self.line, self.secret = rule, path, line, secret
        self.extra = extra or []      # [(path, line or None, value)] component locations


def norm_path(p, root):
    if p is None:
        return ""
    p = p.replace("\\", "/")
    if os.path.isabs(p):
        p = os.path.relpath(p, root)
    while p.startswith("./"):
        p = p[2:]
    return p


def parse_keyhound(path, root):
    out = []
    for doc in load_json_docs(path):
        for f in doc.get("findings", []):
            out.append(Finding(f.get("rule_id"), norm_path(f.get("path"), root), f.get("line") or 1,
                               f.get("secret") or f.get("redacted") or ""))
    return out


def parse_gitleaks(path, root):
    out = []
    for doc in load_json_docs(path):
        for f in doc if isinstance(doc, list) else doc.get("findings", []):
            out.append(Finding(f.get("RuleID"), norm_path(f.get("File"), root), f.get("StartLine") or 1,
                               f.get("Secret") or f.get("Match") or ""))
    return out


def parse_kingfisher(path, root):
    out = []
    for doc in load_json_docs(path):
        if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
            continue
        for f in doc["findings"]:
            rule = f.get("rule", {}).get("id") or f.get("rule", {}).get("name")
            fd = f.get("finding", {})
            p = norm_path(fd.get("path"), root)
            extra = [(p, None, v) for v in (fd.get("dependent_captures") or {}).values() if isinstance(v, str)]
            out.append(Finding(rule, p, fd.get("line") or 1, fd.get("snippet") or "", extra))
    return out


def parse_betterleaks(path, root):
    out = []
    for doc in load_json_docs(path):
        items = doc if isinstance(doc, list) else doc.get("findings", [])
        for f in items:
            if "location" in f:
                loc = f.get("location") or {}
                extra = []
                for cs in f.get("component_sets") or []:
                    for c in cs.get("components") or []:
                        cl = c.get("location") or {}
                        extra.append((norm_path(cl.get("path"), root), cl.get("start_line"),
                                      (c.get("match") or {}).get("value", "")))
                out.append(Finding(f.get("rule_id"), norm_path(loc.get("path"), root), loc.get("start_line") or 1,
                                   (f.get("match") or {}).get("value", ""), extra))
            else:   # gitleaks-compatible report
                out.append(Finding(f.get("RuleID"), norm_path(f.get("File"), root), f.get("StartLine") or 1,
                                   f.get("Secret") or ""))
    return out


PARSERS = {"keyhound": parse_keyhound, "gitleaks": parse_gitleaks, "kingfisher": parse_kingfisher,
           "betterleaks": parse_betterleaks}


class Corpus:
    def __init__(self, d):
        self.dir = d
        self.root = os.path.join(d, "repo")
        self.truth = load_jsonl(os.path.join(d, "truth.jsonl"))
        self.decoys = load_jsonl(os.path.join(d, "decoys.jsonl"))
        self.by_line = collections.defaultdict(list)      # (path, line) -> truth indices
        for i, t in enumerate(self.truth):
            lo, hi = t.get("span") or (t["line"], t.get("end_line", t["line"]))
            for ln in range(lo, hi + 1):
                self.by_line[(t["path"], ln)].append(i)
        self.decoy_line = {}
        for dcy in self.decoys:
            for ln in range(dcy["line"], dcy.get("end_line", dcy["line"]) + 1):
                self.decoy_line.setdefault((dcy["path"], ln), dcy)
        self._files = {}

    def lines(self, path):
        if path not in self._files:
            try:
                with open(os.path.join(self.root, path), encoding="utf-8", errors="replace") as f:
                    self._files[path] = f.read().split("\n")
            except OSError:
                self._files[path] = []
        return self._files[path]

    def locate(self, path, value, near):
        """Line of `value` in `path` (closest to `near`), for component captures without a line."""
        if not value:
            return None
        first = value.split("\n")[0].strip()
        hits = [i + 1 for i, l in enumerate(self.lines(path)) if first and first in l]
        return min(hits, key=lambda x: abs(x - near)) if hits else None


def evaluate(corpus, findings):
    found = {}                                    # truth index -> first finding
    fp = {}                                       # (path, line) -> (finding, decoy or None)
    neutral = 0
    for f in findings:
        locs = [(f.path, f.line)]
        for p, ln, v in f.extra:
            if ln is None:
                ln = corpus.locate(p, v, f.line)
            if ln is not None:
                locs.append((p, ln))
        hit = False
        for loc in locs:
            for i in corpus.by_line.get(loc, []):
                found.setdefault(i, f)
                hit = True
        if hit:
            continue
        key = (f.path, f.line)
        dcy = corpus.decoy_line.get(key)
        if dcy is not None and dcy.get("neutral"):
            neutral += 1
            continue
        fp.setdefault(key, (f, dcy))
    return found, fp, neutral


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f1


def summarise(corpus, found, fp):
    cats = [c for c in CATEGORY_ORDER if any(t["category"] == c for t in corpus.truth)]
    cats += sorted({t["category"] for t in corpus.truth} - set(cats))
    res = {}
    tp, fn = len(found), len(corpus.truth) - len(found)
    p, r, f1 = prf(tp, len(fp), fn)
    res["overall"] = {"tp": tp, "fp": len(fp), "fn": fn, "precision": p, "recall": r, "f1": f1}
    per = {}
    for c in cats:
        idx = [i for i, t in enumerate(corpus.truth) if t["category"] == c]
        ctp = sum(1 for i in idx if i in found)
        cfp = sum(1 for _, d in fp.values() if d is not None and d.get("target") == c)
        p, r, f1 = prf(ctp, cfp, len(idx) - ctp)
        per[c] = {"tp": ctp, "fp": cfp, "fn": len(idx) - ctp, "precision": p, "recall": r, "f1": f1}
    res["categories"] = per
    fpcat = collections.Counter((d["category"] if d is not None else "other") for _, d in fp.values())
    res["false_positives_by_decoy"] = dict(sorted(fpcat.items()))
    kinds = collections.defaultdict(lambda: [0, 0])
    for i, t in enumerate(corpus.truth):
        kinds[t["kind"]][1] += 1
        if i in found:
            kinds[t["kind"]][0] += 1
    res["recall_by_kind"] = {k: {"found": v[0], "planted": v[1]} for k, v in sorted(kinds.items())}
    return res


def redact(s):
    s = s or ""
    return (s[:4] + "…") if len(s) > 4 else "…"


def sample_line(corpus, path, line, secrets):
    ls = corpus.lines(path)
    text = ls[line - 1] if 0 < line <= len(ls) else ""
    for s in secrets:
        for part in (s or "").split("\n"):
            part = part.strip()
            if len(part) >= 6 and part in text:
                text = text.replace(part, redact(part))
    # anything left that is long and random-looking on a truth line: cut it
    text = text.strip()
    return text[:140] + ("…" if len(text) > 140 else "")


def explain(corpus, tool, found, fp, out=sys.stdout):
    w = lambda s="": print(s, file=out)
    w("## %s: false positives (%d)" % (tool, len(fp)))
    w()
    w("| path:line | decoy category | decoy kind | rule | secret | line |")
    w("|---|---|---|---|---|---|")
    for (p, ln), (f, d) in sorted(fp.items()):
        w("| %s:%d | %s | %s | %s | `%s` | `%s` |" % (
            p, ln, d["category"] if d else "other", d["kind"] if d else "-", f.rule, redact(f.secret),
            sample_line(corpus, p, ln, [f.secret] + ([d["value"]] if d else [])).replace("|", "\\|")))
    misses = [(i, t) for i, t in enumerate(corpus.truth) if i not in found]
    w()
    w("## %s: missed secrets (%d)" % (tool, len(misses)))
    w()
    w("| path:line | category | kind | secret | line |")
    w("|---|---|---|---|---|")
    for i, t in misses:
        w("| %s:%d | %s | %s | `%s` | `%s` |" % (t["path"], t["line"], t["category"], t["kind"], redact(t["value"]),
                                                sample_line(corpus, t["path"], t["line"], [t["value"]]).replace("|", "\\|")))
    w()


def pct(x):
    return "%.1f%%" % (100 * x)


def main():
    ap = argparse.ArgumentParser(description="score secret scanners against a generate.py corpus")
    ap.add_argument("--corpus", required=True, help="generate.py output directory")
    ap.add_argument("--report", action="append", default=[], metavar="TOOL=PATH")
    ap.add_argument("--json", help="write a JSON summary here")
    ap.add_argument("--explain", action="append", default=[], metavar="TOOL",
                    help="list TOOL's false positives and misses (secrets redacted to 4 chars)")
    a = ap.parse_args()
    corpus = Corpus(a.corpus)
    results, details = {}, {}
    for spec in a.report:
        tool, _, path = spec.partition("=")
        parser = PARSERS.get(tool) or PARSERS.get(tool.split("-")[0])
        if parser is None:
            sys.exit("score.py: no parser for %r (known: %s)" % (tool, ", ".join(PARSERS)))
        try:
            findings = parser(path, corpus.root)
        except (OSError, ValueError) as e:
            print("score.py: cannot read %s report %s: %s" % (tool, path, e), file=sys.stderr)
            continue
        found, fp, neutral = evaluate(corpus, findings)
        results[tool] = summarise(corpus, found, fp)
        results[tool]["findings"] = len(findings)
        results[tool]["neutral"] = neutral
        details[tool] = (found, fp)
    tools = list(results)
    ntruth, ndecoy = len(corpus.truth), len(corpus.decoys)
    nfiles = sum(len(fs) for _, _, fs in os.walk(corpus.root))
    print("Corpus: %d files, %d planted secrets, %d decoys\n" % (nfiles, ntruth, ndecoy))
    print("| tool | findings | TP | FP | FN | precision | recall | F1 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for t in tools:
        o = results[t]["overall"]
        print("| %s | %d | %d | %d | %d | %s | %s | %s |" % (t, results[t]["findings"], o["tp"], o["fp"], o["fn"],
                                                           pct(o["precision"]), pct(o["recall"]), pct(o["f1"])))
    if not tools:
        print("(no reports)")
        return
    cats = list(results[tools[0]]["categories"])
    print("\nPer category: precision / recall / F1 (secrets planted; precision counts false positives on decoys "
          "imitating the category)\n")
    print("| category (n) | " + " | ".join(tools) + " |")
    print("|---|" + "---|" * len(tools))
    for c in cats:
        n = results[tools[0]]["categories"][c]["tp"] + results[tools[0]]["categories"][c]["fn"]
        cells = []
        for t in tools:
            r = results[t]["categories"][c]
            cells.append("%s / %s / %s" % (pct(r["precision"]), pct(r["recall"]), pct(r["f1"])))
        print("| %s (%d) | %s |" % (c, n, " | ".join(cells)))
    dcats = sorted({k for t in tools for k in results[t]["false_positives_by_decoy"]} |
                   {d["category"] for d in corpus.decoys if not d.get("neutral")})
    dcount = collections.Counter(d["category"] for d in corpus.decoys)
    print("\nFalse positives by decoy category (decoys planted)\n")
    print("| decoy (n) | " + " | ".join(tools) + " |")
    print("|---|" + "---:|" * len(tools))
    for dc in dcats:
        print("| %s (%s) | %s |" % (dc, dcount.get(dc, "-"), " | ".join(
            str(results[t]["false_positives_by_decoy"].get(dc, 0)) for t in tools)))
    print("\nRecall by kind (found/planted)\n")
    print("| kind | " + " | ".join(tools) + " |")
    print("|---|" + "---:|" * len(tools))
    for k in results[tools[0]]["recall_by_kind"]:
        v0 = results[tools[0]]["recall_by_kind"][k]
        print("| %s | %s |" % (k, " | ".join("%d/%d" % (results[t]["recall_by_kind"][k]["found"], v0["planted"])
                                           for t in tools)))
    print()
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"corpus": {"dir": os.path.abspath(a.corpus), "files": nfiles, "secrets": ntruth,
                                  "decoys": ndecoy}, "tools": results}, f, indent=2, sort_keys=True)
            f.write("\n")
    for t in a.explain:
        if t not in details:
            print("score.py: no report for %s to explain" % t, file=sys.stderr)
            continue
        explain(corpus, t, *details[t])


if __name__ == "__main__":
    main()
