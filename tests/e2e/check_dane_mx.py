#!/usr/bin/env python3
"""check_dane_mx.py EXPECTED.csv MX.csv: the MX table of a scan through the validating resolver
against the testnet's DANE MX hosts (gen/dane_mx.csv: mx_host,address,dane_match, written by gen
from the TLSA records it published).  Every expected address with a dane_match must have an MX row
with that value; one expected "" (no TLSA judged: an insecure zone, a bogus one that is never
probed) must have no row or an empty cell.  Without a dane_match column in MX.csv (a scanner before
issue 21) nothing is compared and the script says so.  Exit 1 on any difference."""
import csv
import sys

exp = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
rows = list(csv.DictReader(open(sys.argv[2], newline="", encoding="utf-8")))
if rows and "dane_match" not in rows[0]:
    print("check_dane_mx: the MX table has no dane_match column: not compared")
    sys.exit(0)
got = {(r["mx_host"], r["address"]): r["dane_match"] for r in rows}
bad = 0
for e in exp:
    key = (e["mx_host"], e["address"])
    g = got.get(key)
    if e["dane_match"] == "" and not g:
        continue
    if g != e["dane_match"]:
        print("FAIL: %s %s: dane_match %r, want %r" % (key[0], key[1], g, e["dane_match"]))
        bad += 1
print("check_dane_mx: %d DANE MX addresses, %d differ" % (len(exp), bad))
sys.exit(1 if bad else 0)
