#!/usr/bin/env python3
"""Issue 9: DNS outcomes as a newcomer meets them.  Against a scripted DNS server on loopback
(cli_fakedns.py): SERVFAIL, REFUSED, a malformed answer and no reply each keep their own word in
`detail` and in the final line's failures by cause; a resolver where nothing listens and one that
never answers stop the scan with exit status 4 (--dns-abort-after), unless it is 0.
Usage: cli_dns.py path/to/mtasts-scan"""
import csv
import io
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_util import FakeDNS, check, dead_udp_port, finish  # noqa: E402

BIN = os.path.abspath(sys.argv[1])


def scan(resolver, domains, *extra, timeout=60):
    t0 = time.time()
    p = subprocess.run([BIN, "--dns-only", "--resolver", resolver, "--timeout", "1.5"] +
                       list(extra) + ["-"], input="".join(d + "\n" for d in domains).encode(),
                       capture_output=True, timeout=timeout)
    rows = {r["domain"]: r for r in csv.DictReader(io.StringIO(p.stdout.decode()))}
    return p.returncode, rows, p.stderr.decode(), time.time() - t0


def causes(err):
    """The final line's failures by cause, as a dict."""
    m = re.search(r"failed by cause: ([^)]*)\)", err)
    return {k: int(n) for n, k in re.findall(r"(\d+) (\w+)", m.group(1))} if m else {}


with FakeDNS() as dns:
    # Each failure keeps its word in detail (was: SERVFAIL and REFUSED both "unreachable").
    want = {"servfail.test": "servfail", "refused.test": "refused", "garbage.test": "malformed",
            "drop.test": "timeout"}
    rc, rows, err, _ = scan(dns.resolver, list(want) + ["mx.test", "nx.test"])
    check(rc == 0, "a scan with some failing domains exits 0", err)
    for d, word in want.items():
        r = rows.get(d, {})
        check(r.get("verdict") == "dns_error" and "MX lookup: %s" % word in r.get("detail", ""),
              "%s: dns_error with 'MX lookup: %s'" % (d, word), r.get("detail"))
    check(rows.get("mx.test", {}).get("verdict") == "not_deployed", "mx.test answered",
          rows.get("mx.test"))
    check(rows.get("nx.test", {}).get("verdict") == "no_mail", "nx.test answered", rows.get("nx.test"))
    # 3 lookups per failing domain: MX and the two TXT names (all under the same first word)
    c = causes(err)
    check(c.get("servfail") == 3 and c.get("refused") == 3 and c.get("timeout") == 3 and
          c.get("malformed") == 3 and c.get("unreachable") == 0,
          "failures by cause on the final line", c or err)

    # A plain scan's --fail-on (no --previous) fires on verdicts (issue 20; issue codes go through the same changes_failon_result: test_changes).
    rc, rows, err, _ = scan(dns.resolver, ["mx.test", "servfail.test"], "--fail-on", "dns_error")
    check(rc == 3 and "fail-on: 1 domains" in err, "a plain scan's --fail-on dns_error: exit 3", (rc, err))
    rc, rows, err, _ = scan(dns.resolver, ["mx.test"], "--fail-on", "dns_error,would_fail")
    check(rc == 0, "a plain scan whose --fail-on verdicts do not occur: exit 0", (rc, err))

    # A resolver that never answers: stop after the first N lookups, exit 4.
    rc, rows, err, secs = scan(dns.resolver, ["drop%d.drop.test" % i for i in range(40)],
                               "--dns-abort-after", "20")
    check(rc == 4, "no reply at all: exit 4", (rc, err))
    check("no resolver answers" in err and "--dns-abort-after 0" in err, "the abort says why",
          err)
    check(causes(err).get("timeout", 0) >= 20, "the abort counts timeouts", err)

    # IPv6 [ADDR]:PORT reaches the server (when this machine has ::1)
    try:
        with FakeDNS("::1") as dns6:
            rc, rows, err, _ = scan(dns6.resolver, ["mx.test"])
            check(rc == 0 and rows.get("mx.test", {}).get("mx") == "mx.invalid",
                  "--resolver [::1]:PORT works", err)
    except OSError as e:
        print("note: no IPv6 loopback here (%s); [::1]:PORT not exercised" % e)

# Nothing listens: every lookup is "unreachable"; the first 100 (default) stop the scan at once.
port = dead_udp_port()
many = ["d%d.example" % i for i in range(300)]
rc, rows, err, secs = scan("127.0.0.1:%d" % port, many)
check(rc == 4, "dead resolver: exit 4", (rc, err[-500:]))
check(secs < 10, "dead resolver: stops at once", secs)
check(re.search(r"the first \d+ DNS lookups failed \(.*\d+ unreachable", err) is not None,
      "dead resolver: message with the causes", err)
check(len(rows) < len(many), "dead resolver: not every domain gets a row", len(rows))
# A one-domain scan against it ends with exit 4 too (its row is written first).
rc, rows, err, _ = scan("127.0.0.1:%d" % port, ["example.com"])
check(rc == 4 and "all 3 DNS lookups failed" in err, "dead resolver, one domain: exit 4", err)
check(rows.get("example.com", {}).get("detail", "").count("unreachable") == 3,
      "dead resolver: detail says unreachable", rows.get("example.com"))
# --dns-abort-after 0: the old behaviour, every domain a dns_error row, exit 0.
rc, rows, err, _ = scan("127.0.0.1:%d" % port, many, "--dns-abort-after", "0")
check(rc == 0 and len(rows) == len(many) and
      all(r["verdict"] == "dns_error" for r in rows.values()), "--dns-abort-after 0 never stops",
      (rc, len(rows)))
# (the kernel rate-limits its "port unreachable" replies: a few lookups may time out instead)
c = causes(err)
check(c.get("unreachable", 0) > len(many) and
      c.get("unreachable", 0) + c.get("timeout", 0) == 3 * len(many),
      "every lookup counted unreachable (or timeout)", c)

finish("cli_dns")
