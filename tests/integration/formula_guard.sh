#!/usr/bin/env bash
# CSV formula injection (issue 20): a real knotd on loopback serves a domain whose MX names are
# hostile (=cmd|' /C calc'!A0, +1, -2, @SUM(1+1)).  --dns-only scans:
#   - default: the mx cell and the edge table's mx_host are the data, exactly (start with = + -);
#   - --csv-formula-guard: no text cell of the domain or edge table starts with = + - @ (Python's
#     csv module reads every cell), the hostile ones carry a ', the csv_formula_guard column is
#     there; numbers are untouched;
#   - mtasts-scan's readers take the guard off: `diff` of the default and the guarded table finds
#     no change, `merge` of the guarded table without the option writes the default one, `merge
#     --csv-formula-guard` guards, `--resume` from the guarded table rescans nothing;
#   - `diff -o --csv-formula-guard` guards the changes table's after cell.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:?usage: formula_guard.sh path/to/mtasts-scan}")
. "$here/knot_env.sh"
tmp=$(mktemp -d)
cleanup() { knot_stop; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
esc() { python3 -c 'import sys; print("".join(c if c.isalnum() or c in "-." else "\\%03d" % ord(c) for c in sys.argv[1]))' "$1"; }
cat > "$tmp/h.zone" <<ZONE
\$ORIGIN h.test.
\$TTL 300
@ SOA ns.h.test. host.h.test. 1 3600 600 86400 300
@ NS ns.h.test.
ns A 127.0.0.1
a MX 10 $(esc "=cmd|' /C calc'!A0").h.test.
a MX 20 $(esc "+1").h.test.
a MX 30 -2.h.test.
a MX 40 $(esc "@SUM(1+1)").h.test.
b MX 10 mx.h.test.
ZONE
knot_start "$tmp/h.zone"
printf 'a.h.test\nb.h.test\n' > "$tmp/list.txt"
# Two tables hold the same rows when every cell but the scan's own time (scanned_at: the two scans
# may end in different seconds) is equal, in the same order.
same_rows() {
    python3 - "$1" "$2" <<'PY'
import csv, sys
def load(p):
    with open(p, newline="") as f:
        return [{k: v for k, v in r.items() if k != "scanned_at"} for r in csv.DictReader(f)]
sys.exit(0 if load(sys.argv[1]) == load(sys.argv[2]) else 1)
PY
}
scan() { "$bin" -q --dns-only --resolver "127.0.0.1:$KNOT_PORT" --timeout 5 --dns-timeout 1 "$@"; }
cd "$tmp"
scan -o plain.csv --domain-mx-output plain-edges.csv list.txt
scan --csv-formula-guard -o guarded.csv --domain-mx-output guarded-edges.csv list.txt

python3 - <<'PY' || exit 1
import csv, sys
def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))
fail = []
plain, edges = rows("plain.csv"), rows("plain-edges.csv")
a = next(r for r in plain if r["domain"] == "a.h.test")
if not a["mx"].startswith("=cmd|' /c calc'!a0.h.test;+1.h.test;-2.h.test"):
    fail.append(f"default mx cell is not the data: {a['mx']!r}")
hosts = [r["mx_host"] for r in edges if r["domain"] == "a.h.test"]
if hosts[:3] != ["=cmd|' /c calc'!a0.h.test", "+1.h.test", "-2.h.test"]:
    fail.append(f"default edge mx_host not the data: {hosts}")
if "csv_formula_guard" in plain[0]:
    fail.append("default table has the guard column")
for path in ("guarded.csv", "guarded-edges.csv"):
    g = rows(path)
    if any(r.get("csv_formula_guard") != "yes" for r in g):
        fail.append(f"{path}: csv_formula_guard column missing or not yes")
    for r in g:
        for k, v in r.items():
            if v and v[0] in "=+-@":
                fail.append(f"{path}: {k} starts with {v[0]}: {v!r}")
g = next(r for r in rows("guarded.csv") if r["domain"] == "a.h.test")
if g["mx"] != "'" + a["mx"] or g["rank"] != "1":
    fail.append(f"guarded mx {g['mx']!r}, rank {g['rank']!r}")
gh = [r["mx_host"] for r in rows("guarded-edges.csv") if r["domain"] == "a.h.test"]
if gh[:3] != ["'" + h for h in hosts[:3]]:
    fail.append(f"guarded edge mx_host {gh}")
for f in fail:
    print("FAIL:", f)
sys.exit(1 if fail else 0)
PY
echo "ok: default cells exact; guarded cells prefixed, marker column, no cell starts with = + - @"

rc=0
"$bin" diff plain.csv guarded.csv -o same.csv 2>err || rc=$?
[ $rc -eq 0 ] || { cat err; fail "diff plain guarded: exit $rc"; }
[ "$(wc -l < same.csv)" -eq 1 ] || { cat same.csv; fail "diff of the default and the guarded table found changes"; }
"$bin" merge -q -o merged.csv guarded.csv || fail "merge of the guarded table"
"$bin" merge -q -o merged-plain.csv plain.csv || fail "merge of the default table"
same_rows merged.csv merged-plain.csv || fail "merge of the guarded table is not the default table's merge"
"$bin" merge -q --csv-formula-guard -o merged-guarded.csv plain.csv || fail "merge --csv-formula-guard"
grep -q "^a.h.test,1,'=cmd" merged-guarded.csv || fail "merge --csv-formula-guard did not guard"
"$bin" merge -q -o merged-edges.csv guarded-edges.csv || fail "merge of the guarded edge table"
"$bin" merge -q -o merged-plain-edges.csv plain-edges.csv || fail "merge of the default edge table"
same_rows merged-edges.csv merged-plain-edges.csv || fail "merge of the guarded edge table differs"
echo "ok: diff and merge read the guarded tables as the data"

scan --resume guarded.csv -o rest.csv list.txt
[ "$(wc -l < rest.csv)" -eq 1 ] || fail "--resume from the guarded table rescanned $(($(wc -l < rest.csv) - 1)) rows"
echo "ok: --resume from the guarded table: nothing to scan again"

# a change whose new value is hostile: the old scan had a plain MX for a.h.test
python3 - <<'PY'
import csv
with open("plain.csv", newline="") as f:
    rows = list(csv.reader(f))
mx = rows[0].index("mx")
for r in rows[1:]:
    if r[0] == "a.h.test":
        r[mx] = "mx.h.test"
with open("old.csv", "w", newline="") as f:
    csv.writer(f, lineterminator="\n").writerows(rows)
PY
rc=0
"$bin" diff --csv-formula-guard old.csv plain.csv -o changes.csv 2>err || rc=$?
[ $rc -eq 0 ] || { cat err; fail "diff --csv-formula-guard: exit $rc"; }
python3 - <<'PY' || exit 1
import csv, sys
rows = list(csv.DictReader(open("changes.csv", newline="")))
bad = [(k, v) for r in rows for k, v in r.items() if v and v[0] in "=+-@"]
hit = [r for r in rows if r["after"].startswith("'=cmd")]
if bad or not hit or rows[0].get("csv_formula_guard") != "yes":
    print("FAIL: diff -o --csv-formula-guard:", bad, rows); sys.exit(1)
PY
echo "ok: diff -o --csv-formula-guard guards the changes table"
echo PASS
