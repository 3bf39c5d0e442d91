#!/usr/bin/env python3
"""
check_golden.py: compares one `mtasts-scan check` report (stdin) with its golden file, after
normalising what changes from run to run or from one testnet generation to the next: times and
dates (certificates are made at `gen`), the checked domain (-> <domain>), the other generated
domains a shared certificate names (-> <other>), ids derived from ranks (-> <id>), SHA-256 digests
(-> <sha256>).  JSON is compared as data (re-dumped sorted and indented, so a failure shows a
readable diff).  Also checks the facts a golden cannot: the exit status, and (--want-verdict,
--want-codes) the verdict and the codes the generator says the domain must get.

usage: check_golden.py GOLDEN --domain D --format text|json --exit RC
                       [--want-verdict V] [--want-codes a;b] [--update] < report
Exit status 1 on any difference (a unified diff is printed).
"""
import argparse
import difflib
import json
import re
import sys

OTHER = re.compile(r"\b[a-z]+[0-9]+\.(?:test|example)\b")


def norm_text(s, domain):
    s = s.replace(domain, "<domain>")
    s = OTHER.sub("<other>", s)
    s = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<time>", s)
    s = re.sub(r"\d{4}-\d\d-\d\d", "<date>", s)
    s = re.sub(r"\b[0-9a-f]{64}\b", "<sha256>", s)
    s = re.sub(r"\b(?:2024|1999)\d{4}[abc]?\b", "<id>", s)
    return s


def norm_json(v, domain):
    if isinstance(v, dict):
        return {k: norm_json(x, domain) for k, x in v.items()}
    if isinstance(v, list):
        return [norm_json(x, domain) for x in v]
    if isinstance(v, str):
        return norm_text(v, domain)
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("golden")
    ap.add_argument("--domain", required=True)
    ap.add_argument("--format", choices=["text", "json"], required=True)
    ap.add_argument("--exit", type=int, required=True)
    ap.add_argument("--want-verdict")
    ap.add_argument("--want-codes")
    ap.add_argument("--update", action="store_true")
    a = ap.parse_args()
    raw = sys.stdin.read()
    bad = []
    if a.format == "json":
        objs = [json.loads(line) for line in raw.splitlines() if line.strip()]
        if len(objs) != 1:
            bad.append("expected one JSON object, got %d" % len(objs))
        obj = objs[0] if objs else {}
        if a.want_verdict and obj.get("verdict") != a.want_verdict:
            bad.append("verdict %s, want %s" % (obj.get("verdict"), a.want_verdict))
        codes = [f["code"] for f in obj.get("findings", [])]
        for c in filter(None, (a.want_codes or "").split(";")):
            if c not in codes:
                bad.append("code %s missing from %s" % (c, codes))
        for f in obj.get("findings", []):
            if not f.get("fix") or not f.get("rule") or "{" in f["fix"]:
                bad.append("finding %s without a filled-in fix or rule" % f.get("code"))
        want_fail = a.exit == 1
        if obj.get("failure") != want_fail:
            bad.append("failure %s with exit %d" % (obj.get("failure"), a.exit))
        out = json.dumps(norm_json(obj, a.domain), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    else:
        if a.want_verdict and not raw.startswith("%s: %s\n" % (a.domain, a.want_verdict)):
            bad.append("first line %r, want verdict %s" % (raw.split("\n", 1)[0], a.want_verdict))
        out = norm_text(raw, a.domain)
    out = "exit: %d\n" % a.exit + out
    if a.update:
        with open(a.golden, "w", encoding="utf-8") as f:
            f.write(out)
    else:
        try:
            with open(a.golden, encoding="utf-8") as f:
                want = f.read()
        except OSError as e:
            want = ""
            bad.append("no golden: %s (run with --update)" % e)
        if want != out:
            bad.append("differs from %s:\n" % a.golden + "".join(difflib.unified_diff(
                want.splitlines(True), out.splitlines(True), "golden", "now")))
    for b in bad:
        print("check_golden: %s: %s" % (a.golden, b), file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
