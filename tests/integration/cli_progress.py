#!/usr/bin/env python3
"""Issue 9: the status line on a terminal.  Runs a scan of a few seconds (rate-limited, against the
scripted DNS server) with a pseudo-terminal of 80 and of 200 columns as stderr, and checks that
no status line is wider than the terminal (a wider one wraps, and every redraw leaves a stale
row).  Then with the CSV going to the same terminal: no status line redrawn over the rows by
default, and with --progress whole lines that never cut a CSV row.
Usage: cli_progress.py path/to/mtasts-scan"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_util import FakeDNS, check, finish, run_on_pty, screen_lines  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
N = 90  # domains; at --rate 30 the scan lasts 3 s: three status lines at least


def status_lines(lines):
    return [l for l in lines if " done" in l and "/s" in l]


with FakeDNS() as dns, tempfile.TemporaryDirectory() as tmp:
    inp = os.path.join(tmp, "in.csv")
    with open(inp, "w") as f:
        for i in range(N):
            kind = ("mx", "nx", "servfail")[i % 3]
            f.write("%d,d%d.%s.test\n" % (i + 1, i, kind))
    base = [BIN, "--dns-only", "--resolver", dns.resolver, "--rate", "30", "--timeout", "2"]

    for cols in (80, 200):
        out = os.path.join(tmp, "out%d.csv" % cols)
        rc, raw = run_on_pty(base + ["-o", out, inp], cols)
        check(rc == 0, "%d columns: scan exits 0" % cols, rc)
        lines = screen_lines(raw)
        st = status_lines(lines)
        check(len(st) >= 3, "%d columns: status lines shown" % cols, lines)
        check(b"\r\x1b[K" in raw, "%d columns: redrawn in place" % cols, raw[:200])
        wide = [l for l in st if len(l) >= cols]
        check(not wide, "%d columns: every status line narrower than the terminal" % cols,
              wide[:2])
        check(all("done" in l and "%" in l for l in st), "%d columns: progress kept" % cols, st[:2])
        with open(out) as f:
            check(sum(1 for _ in f) == N + 1, "%d columns: every row written" % cols)

    # The CSV on the same terminal: by default no status line at all (nothing redrawn over rows)
    rc, raw = run_on_pty(base + [inp], 80, stdout=None)
    lines = screen_lines(raw)
    check(rc == 0 and b"\x1b[K" not in raw, "CSV on the terminal: no in-place status line",
          raw[:300])
    rows = [l for l in lines if l.count(",") >= 17]
    check(len(rows) == N + 1, "CSV on the terminal: every row on a line of its own", len(rows))
    # ... and --progress prints whole lines, each within the width
    rc, raw = run_on_pty(base + ["--progress", inp], 80, stdout=None)
    lines = screen_lines(raw)
    st = status_lines(lines)
    check(rc == 0 and b"\x1b[K" not in raw and len(st) >= 3,
          "CSV on the terminal, --progress: whole status lines", raw[:300])
    check(all(len(l) < 80 for l in st), "CSV on the terminal, --progress: within 80 columns",
          [l for l in st if len(l) >= 80][:2])
    rows = [l for l in lines if l.count(",") >= 17]
    check(len(rows) == N + 1, "CSV on the terminal, --progress: no row cut", len(rows))

finish("cli_progress")
