#!/usr/bin/env python3
"""Checks the MX table against the domain table of the same scan.

- every (mx_host, address) appears once: a shared MX is probed once per scan;
- every MX host that a probed domain lists has rows (or its domain says it had no address);
- with --same-verdicts OTHER: probing more MX hosts (--starttls all) never changes a verdict
  (only not_deployed domains gain probes, and their verdict does not depend on them).
"""
import collections
import csv
import io
import subprocess
import sys


def read(path):
    if path.endswith(".zst"):
        text = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True, text=True).stdout
    else:
        text = open(path, newline="", encoding="utf-8").read()
    return list(csv.DictReader(io.StringIO(text, newline="")))


mx_rows, dom_rows = read(sys.argv[1]), read(sys.argv[2])
bad = []
seen = collections.Counter((r["mx_host"], r["address"]) for r in mx_rows)
for key, n in seen.items():
    if n > 1:
        bad.append(f"MX {key} probed {n} times")
hosts = {r["mx_host"] for r in mx_rows}
for r in dom_rows:
    if r["starttls_status"] in ("", "not_probed"):
        continue
    for h in filter(None, r["mx"].split(";")):
        if h not in hosts and f"MX {h}: " not in r["detail"]:
            bad.append(f"{r['domain']}: MX {h} was probed but has no MX row")
if len(sys.argv) > 4 and sys.argv[3] == "--same-verdicts":
    other = {r["rank"]: r["verdict"] for r in read(sys.argv[4])}
    for r in dom_rows:
        if other.get(r["rank"]) != r["verdict"]:
            bad.append(f"rank {r['rank']}: verdict {r['verdict']} vs {other.get(r['rank'])}")
for b in bad[:50]:
    print("FAIL:", b)
print(f"check_mx_table: {len(mx_rows)} MX rows, {len(hosts)} hosts, {len(bad)} problems")
sys.exit(1 if bad else 0)
