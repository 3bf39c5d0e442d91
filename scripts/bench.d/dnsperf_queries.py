#!/usr/bin/env python3
"""
dnsperf_queries.py: writes the dnsperf input that replays the queries of `mtasts-scan --dns-only`
on a testnet input, in the scanner's order.

usage: dnsperf_queries.py DATA_DIR OUT

For each valid input domain d (the scanner rejects the 4 invalid lines without a query):
  d MX, _mta-sts.d TXT, _smtp._tls.d TXT                    (pipeline/domain.c: domain_start)
and, for the domains whose MX answer is NODATA or NXDOMAIN while the _mta-sts lookup did not fail
(the implicit MX, RFC 5321 §5.1; domain.c: checks_start):
  d A, d AAAA
The scanner decides that from the answers; here the generator's record of each domain's scenario
(DATA_DIR/gen/scenarios.csv) tells it: implicit_mx, no_mail_host and nxdomain have no MX and a
working _mta-sts lookup.  Prints the count per kind on stderr and the total on stdout.
"""
import csv
import os
import sys

NO_MX = {"implicit_mx", "no_mail_host", "nxdomain"}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[3])
    data, out = sys.argv[1], sys.argv[2]
    n = {"MX": 0, "TXT": 0, "A": 0, "AAAA": 0}
    with open(os.path.join(data, "gen", "scenarios.csv"), newline="", encoding="utf-8") as f, \
            open(out + ".tmp", "w", encoding="utf-8") as w:
        for row in csv.DictReader(f):
            sc, d = row["scenario"], row["domain"]
            if sc == "input_invalid":
                continue
            w.write("%s MX\n_mta-sts.%s TXT\n_smtp._tls.%s TXT\n" % (d, d, d))
            n["MX"] += 1
            n["TXT"] += 2
            if sc in NO_MX:
                w.write("%s A\n%s AAAA\n" % (d, d))
                n["A"] += 1
                n["AAAA"] += 1
    os.replace(out + ".tmp", out)
    print("dnsperf_queries: %s" % ", ".join("%d %s" % (v, k) for k, v in n.items()),
          file=sys.stderr)
    print(sum(n.values()))


if __name__ == "__main__":
    main()
