#!/usr/bin/env python3
"""
compare_truth.py: compares a scan's domain CSV with the testnet's ground truth.

usage: compare_truth.py [--ignore CODE[,CODE...]] [--max-print N] [--partial] [--exclude TRUTH2.csv]
                        TRUTH.csv SCAN.csv[.zst]

Rows are joined by rank.  For every rank the verdict and the *set* of issue codes must be equal
(order does not matter).  Any further column of TRUTH (e.g. dane_truth.csv's mx_dnssec,
dane_status, sts_delivery, dane_sts_delivery) is compared too, but only when the scan output has
a column of that name: a truth written before the scanner reports it does not fail, and is
enforced once it does (the columns compared are listed at the end).  --partial: TRUTH covers some
of the scan's rows; the others are not differences.  --exclude: the ranks of TRUTH2 are left out
(their truth is another file's).  --extra-ok VERDICT:PREFIX: codes starting with PREFIX that the
scan reports beyond the truth for rows whose truth verdict is VERDICT are not differences (a scan
through a validating resolver probes the MX hosts of not_deployed domains with a secure MX RRset
too, docs/codes.md, and reports what it finds: not_deployed:mx_).  Each differing domain is printed with what truth expects, what the scan
reported, and the scan's detail column; a rank present on one side only is a difference too.
A summary (per expected verdict, per code: missed / extra) ends the output.
Exit status: 0 when every row agrees, 1 on any difference, 2 on unusable input.

A .zst scan file is read through the zstd command (`zstd -dc`).
"""

import argparse
import csv
import io
import signal
import subprocess
import sys
from collections import Counter


def open_text(path):
    if path.endswith(".zst"):
        try:
            data = subprocess.run(["zstd", "-dcq", path], check=True,
                                  stdout=subprocess.PIPE).stdout
        except (OSError, subprocess.CalledProcessError) as e:
            sys.exit("compare_truth: cannot decompress %s: %s" % (path, e))
        return io.StringIO(data.decode("utf-8", errors="replace"), newline="")
    return open(path, encoding="utf-8", errors="replace", newline="")


def read_rows(path, need):
    with open_text(path) as f:
        reader = csv.DictReader(f)
        missing = [c for c in need if c not in (reader.fieldnames or [])]
        if missing:
            print("compare_truth: %s lacks column(s) %s (has %s)"
                  % (path, ", ".join(missing), reader.fieldnames), file=sys.stderr)
            sys.exit(2)
        rows, dup = {}, []
        for r in reader:
            try:
                rank = int(r["rank"])
            except (TypeError, ValueError):
                print("compare_truth: %s: bad rank %r" % (path, r.get("rank")), file=sys.stderr)
                sys.exit(2)
            if rank in rows:
                dup.append(rank)
            rows[rank] = r
        return rows, dup


def codes(cell, ignore):
    return {c for c in (cell or "").split(";") if c and c not in ignore}


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends the output quietly
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[1].strip())
    ap.add_argument("truth")
    ap.add_argument("scan")
    ap.add_argument("--ignore", default="", help="comma-separated issue codes left out on both sides")
    ap.add_argument("--max-print", type=int, default=200, help="differing rows printed at most")
    ap.add_argument("--partial", action="store_true", help="TRUTH covers some of the scan's rows")
    ap.add_argument("--exclude", help="a truth file whose ranks are left out")
    ap.add_argument("--extra-ok", action="append", default=[], metavar="VERDICT:PREFIX",
                    help="extra codes with PREFIX are no difference for rows of truth verdict VERDICT")
    args = ap.parse_args()
    ignore = {c for c in args.ignore.split(",") if c}

    truth, tdup = read_rows(args.truth, ["rank", "domain", "verdict", "issues"])
    scan, sdup = read_rows(args.scan, ["rank", "domain", "verdict", "issues"])
    if args.exclude:
        gone, _ = read_rows(args.exclude, ["rank"])
        for rank in gone:
            truth.pop(rank, None)
            scan.pop(rank, None)
    some_t = next(iter(truth.values()), {})
    some_s = next(iter(scan.values()), {})
    base = {"rank", "domain", "verdict", "issues"}
    extra_cols = [c for c in some_t if c not in base and c in some_s]
    unchecked_cols = [c for c in some_t if c not in base and c not in some_s]

    diffs = []
    verdict_total, verdict_bad = Counter(), Counter()
    missed, extra = Counter(), Counter()
    confusion = Counter()
    for rank in sorted(truth):
        t = truth[rank]
        verdict_total[t["verdict"]] += 1
        s = scan.get(rank)
        if s is None:
            verdict_bad[t["verdict"]] += 1
            diffs.append((rank, t["domain"], "missing from the scan output", ""))
            continue
        tc, sc = codes(t["issues"], ignore), codes(s["issues"], ignore)
        for spec in args.extra_ok:
            v, _, prefix = spec.partition(":")
            if t["verdict"] == v:
                sc = {c for c in sc if c in tc or not c.startswith(prefix)}
        cols = [c for c in extra_cols if t[c] != s.get(c)]
        if t["verdict"] == s["verdict"] and tc == sc and not cols:
            continue
        verdict_bad[t["verdict"]] += 1
        if t["verdict"] != s["verdict"]:
            confusion[(t["verdict"], s["verdict"])] += 1
        for c in tc - sc:
            missed[c] += 1
        for c in sc - tc:
            extra[c] += 1
        what = "expected %s [%s], got %s [%s]" % (t["verdict"], ";".join(sorted(tc)) or "-",
                                                  s["verdict"], ";".join(sorted(sc)) or "-")
        for c in cols:
            what += "; %s expected %r, got %r" % (c, t[c], s.get(c))
            missed["column " + c] += 1
        if s.get("domain", "") != t["domain"]:
            what += " (scan row names %r)" % s.get("domain")
        diffs.append((rank, t["domain"], what, s.get("detail", "")))
    for rank in ([] if args.partial else sorted(set(scan) - set(truth))):
        diffs.append((rank, scan[rank].get("domain", ""), "extra row, not in the truth", ""))
    for rank in tdup:
        diffs.append((rank, truth[rank]["domain"], "duplicate rank in the truth", ""))
    for rank in sdup:
        diffs.append((rank, scan[rank]["domain"], "duplicate rank in the scan output", ""))

    for rank, domain, what, detail in diffs[:args.max_print]:
        print("DIFF rank %d %s: %s" % (rank, domain, what))
        if detail:
            print("     detail: %s" % detail)
    if len(diffs) > args.max_print:
        print("... %d more differences not printed" % (len(diffs) - args.max_print))

    print("compare_truth: %d truth rows, %d scan rows, %d differ" % (len(truth), len(scan), len(diffs)))
    for v in sorted(verdict_total):
        print("  %-14s %6d expected, %6d differ" % (v, verdict_total[v], verdict_bad[v]))
    for (a, b), n in sorted(confusion.items()):
        print("  verdict %s -> %s: %d" % (a, b, n))
    for c in sorted(set(missed) | set(extra)):
        print("  code %-30s missed %5d, extra %5d" % (c, missed[c], extra[c]))
    if ignore:
        print("  (ignored codes: %s)" % ", ".join(sorted(ignore)))
    if extra_cols:
        print("  columns compared besides verdict and issues: %s" % ", ".join(extra_cols))
    if unchecked_cols:
        print("  truth columns the scan does not have (not compared): %s" % ", ".join(unchecked_cols))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
