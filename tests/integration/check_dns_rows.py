#!/usr/bin/env python3
"""Checks the rows mtasts-scan wrote for tests/integration/dns_knot.sh's zone."""
import csv
import json
import sys

mode, path = sys.argv[1], sys.argv[2]
rows = {int(r["rank"]): r for r in csv.DictReader(open(path, newline=""))}

HEADER = ("domain,rank,mx,txt_status,sts_id,policy_status,http_status,policy_mode,policy_max_age,"
          "policy_mx,mx_coverage,starttls_status,tlsrpt_status,tlsrpt_rua,verdict,issues,detail,scanned_at")
with open(path, newline="") as f:
    header = f.readline().strip()
assert header.startswith(HEADER), f"header {header!r}"

sts_valid = "sts_unchecked" if mode == "dns-only" else "invalid"
sts_issue = "" if mode == "dns-only" else "policy_host_unresolved"
expect = {
    1: dict(domain="good.test", verdict=sts_valid, issues=sts_issue, txt_status="ok",
            sts_id="20260101T000000", mx="mx1.good.test;mx2.good.test", tlsrpt_status="ok",
            tlsrpt_rua="mailto:tlsrpt@good.test"),
    2: dict(verdict=sts_valid, sts_id="abc123", txt_status="ok",
            issues=";".join(x for x in [sts_issue, "tlsrpt_missing"] if x) if mode != "dns-only" else "tlsrpt_missing"),
    3: dict(verdict="invalid", issues="txt_multiple", txt_status="multiple"),
    4: dict(verdict="invalid", issues="txt_invalid;tlsrpt_invalid", txt_status="invalid",
            tlsrpt_status="invalid"),
    5: dict(verdict="not_deployed", issues="tlsrpt_multiple", tlsrpt_status="multiple"),
    6: dict(verdict=sts_valid, sts_id="viacname", txt_status="ok"),
    7: dict(verdict="no_mail", issues=""),
    8: dict(verdict="not_deployed", mx=""),
    9: dict(verdict="no_mail"),
    10: dict(verdict="not_deployed", issues="", txt_status="missing", tlsrpt_status="missing"),
    11: dict(verdict="dns_error"),
    12: dict(verdict="input_invalid", domain="bad..name"),
    13: dict(domain="good.test", verdict=sts_valid),
    14: dict(domain="crlf.test", verdict="no_mail"),  # CRLF stripped; not in the zone
    15: dict(verdict="not_deployed", txt_status="missing", tlsrpt_status="missing", issues=""),
}
bad = []
if sorted(rows) != sorted(expect):
    bad.append(f"ranks {sorted(rows)} != {sorted(expect)}")
for rank, want in expect.items():
    got = rows.get(rank, {})
    for k, v in want.items():
        g = got.get(k)
        if k == "issues":
            g, v = set(filter(None, (g or "").split(";"))), set(filter(None, v.split(";")))
        if g != v:
            bad.append(f"rank {rank} {k}: got {g!r} want {v!r} (detail: {got.get('detail')!r})")
    if got and not got.get("scanned_at", "").endswith("Z"):
        bad.append(f"rank {rank}: scanned_at {got.get('scanned_at')!r} is not UTC ISO 8601")
if mode == "full":
    s = json.load(open(sys.argv[3]))
    if "no_mail" not in json.dumps(s):
        bad.append(f"summary json lacks verdict counts: {s}")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
