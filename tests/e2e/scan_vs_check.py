#!/usr/bin/env python3
"""
scan_vs_check.py: the bulk scan and `mtasts-scan check` are one judge (issue 19).  Given the
domain table of a bulk scan run with --advisories (check always judges the advisory codes) and the
`check --format json` objects of the same domains (one per line, in the order of the table's
rows), fails on any domain where

  - the verdict differs, or the issue set differs (the row's issues vs check's findings);
  - the records check shows disagree with what the scan counted: the records check marks as
    candidates, escaped as the CSV escapes them, must be the row's sts_record / tlsrpt_record,
    their number must fit the row's txt_status / tlsrpt_status (0: missing, 1: ok or invalid,
    more: multiple), and check's status and id must be the row's.

Run by tests/e2e/check_report.sh over every domain of its testnet.

usage: scan_vs_check.py BULK.csv CHECK.jsonl
"""
import csv
import json
import sys


def esc(text):
    """The CSV cell form of a record (docs/codes.md, sts_record): bytes outside 0x20-0x7e and
    the bytes '\\' and '|' as \\xHH."""
    return "".join(c if 0x20 <= ord(c) <= 0x7e and c not in "\\|" else "\\x%02x" % ord(c)
                   for c in text)


def records_problems(name, obj, row, cell, status_col, id_col=None):
    """What check's record section obj says against the row's columns."""
    bad = []
    cands = [r["text"] for r in obj["records"] if r["candidate"]]
    shown = "|".join(esc(t) for t in cands)
    if shown != row[cell] and not (row[cell].endswith("...") and shown.startswith(row[cell][:-3])):
        bad.append("%s: check shows candidates %r, the scan's %s is %r" % (name, shown, cell, row[cell]))
    status = row[status_col]
    if obj["status"] != status:
        bad.append("%s: check says status %s, the scan %s" % (name, obj["status"], status))
    if obj["dns"] == "answer" and status in ("ok", "invalid", "missing", "multiple"):
        want = {"missing": 0, "ok": 1, "invalid": 1}.get(status)
        if (want is not None and len(cands) != want) or (status == "multiple" and len(cands) < 2):
            bad.append("%s: check shows %d candidate records, the scan counted %s" % (name, len(cands), status))
    if id_col and obj["id"] != row[id_col]:
        bad.append("%s: check says id %r, the scan %r" % (name, obj["id"], row[id_col]))
    return bad


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8", newline="")))
    objs = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8") if line.strip()]
    if len(objs) != len(rows):
        print("scan_vs_check: %d rows but %d check objects" % (len(rows), len(objs)))
        return 1
    fails, compared = 0, 0
    for row, obj in zip(rows, objs):
        d = row["domain"]
        bad = []
        if obj["domain"] != d:
            bad.append("check reported %r for the row of %r" % (obj["domain"], d))
        elif obj["verdict"] != row["verdict"]:
            bad.append("verdict: scan %s, check %s" % (row["verdict"], obj["verdict"]))
        scan_codes = set(filter(None, row["issues"].split(";")))
        check_codes = {f["code"] for f in obj["findings"]}
        if scan_codes != check_codes:
            bad.append("issues: only the scan %s, only check %s"
                       % (sorted(scan_codes - check_codes), sorted(check_codes - scan_codes)))
        if row["verdict"] != "input_invalid" and not bad:
            bad += records_problems("_mta-sts", obj["sts"], row, "sts_record", "txt_status", "sts_id")
            bad += records_problems("_smtp._tls", obj["tlsrpt"], row, "tlsrpt_record", "tlsrpt_status")
        compared += 1
        for b in bad:
            print("scan_vs_check: %s: %s" % (d, b))
        fails += bool(bad)
    print("scan_vs_check: %d domains compared, %d disagree" % (compared, fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
