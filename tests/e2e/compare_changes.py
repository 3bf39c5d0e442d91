#!/usr/bin/env python3
"""
compare_changes.py EXPECTED CHANGES: compares a changes table (`mtasts-scan
diff -o` or `--changes-output`, plain or .zst) with the ground truth of scripts/testnet evolve
(expected_changes.csv), row by row on (rank, domain, change, severity).  Columns are found by
name.  Prints every missing and every unexpected row (and rows reported twice); exits 1 when there
is one.
"""
import csv
import io
import subprocess
import sys


def read(path):
    if path.endswith(".zst"):
        text = subprocess.run(["zstd", "-dc", path], check=True, stdout=subprocess.PIPE).stdout.decode()
    else:
        with open(path, newline="") as f:
            text = f.read()
    return list(csv.DictReader(io.StringIO(text, newline="")))


def key(r):
    return (int(r["rank"]), r["domain"], r["change"], r["severity"])


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    want = {key(r) for r in read(sys.argv[1])}
    rows = read(sys.argv[2])
    have = [key(r) for r in rows]
    fail = 0
    if len(have) != len(set(have)):
        dup = sorted({k for k in have if have.count(k) > 1})
        print("compare_changes: rows reported twice: %s" % dup)
        fail = 1
    have = set(have)
    for k in sorted(want - have):
        print("compare_changes: missing    %s" % (k,))
        fail = 1
    for k in sorted(have - want):
        detail = next((r["detail"] for r in rows if key(r) == k), "")
        print("compare_changes: unexpected %s  (%s)" % (k, detail))
        fail = 1
    codes = sorted({k[2] for k in want})
    print("compare_changes: %s: %d rows, %d expected, %d codes%s"
          % (sys.argv[2], len(have), len(want), len(codes), "" if fail else ": all match"))
    sys.exit(fail)


if __name__ == "__main__":
    main()
