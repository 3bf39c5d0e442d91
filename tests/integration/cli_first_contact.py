#!/usr/bin/env python3
"""Issue 9, first contact with the binary, as a newcomer meets it: a domain given as INPUT, no
arguments on a terminal, bad option values (--ca-file, --resolver, --shard, numbers), --version,
and the final line of a scan without --resume.  Usage: cli_first_contact.py path/to/mtasts-scan"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_util import check, finish, run_on_pty  # noqa: E402

BIN = os.path.abspath(sys.argv[1])


def run(args, stdin=b"", cwd=None):
    p = subprocess.run([BIN] + args, input=stdin, capture_output=True, timeout=60, cwd=cwd)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


with tempfile.TemporaryDirectory() as tmp:
    # A domain where a file is expected: the error says how to scan one domain.
    rc, out, err = run(["example.com"], cwd=tmp)
    check(rc != 0, "mtasts-scan example.com fails", rc)
    check("open example.com: No such file or directory" in err, "the open error is kept", err)
    check("echo example.com | mtasts-scan -" in err, "a hint for a domain given as INPUT", err)
    # ... but not for a missing file that is plainly a file
    rc, out, err = run(["domains.txt"], cwd=tmp)
    check(rc != 0 and "mtasts-scan -" not in err, "no domain hint for domains.txt", err)

    # No arguments, stdin a terminal: say that it reads domains from stdin, before it waits for
    # them (nothing is typed until the hint is on the screen).  Then a domain and one Ctrl-D: the
    # scan ends there (the reader used fread, which swallowed the first Ctrl-D on a terminal).
    out_csv = os.path.join(tmp, "o.csv")
    rc, screen = run_on_pty([BIN, "--dns-only", "--resolver", "127.0.0.1:9", "--timeout", "1",
                             "--dns-abort-after", "0",
                             "-o", out_csv], 80, stdin_on_pty=True,
                            send=b"typed.example\n\x04", send_after=5, timeout=30)
    check(screen.startswith(b"mtasts-scan: reading domains from stdin"),
          "stdin hint on a terminal, before anything is typed", screen)
    check(rc == 0, "one Ctrl-D ends the input: exit 0", rc)
    rows = open(out_csv).read() if os.path.exists(out_csv) else ""
    check("\ntyped.example,1," in rows, "the line typed before Ctrl-D is scanned", rows)
    # ... and not when stdin is a pipe (scripts see no change)
    rc, out, err = run(["--dns-only", "--resolver", "127.0.0.1:9"], stdin=b"")
    check("reading domains from stdin" not in err, "no stdin hint for a pipe", err)

    # Bad values: exit 2, one line naming the option, the value and what is expected.
    cases = [
        (["--ca-file", "missing.pem"], "--ca-file", "missing.pem", "readable PEM file"),
        (["--resolver", "127.0.0.1:99999"], "--resolver", "127.0.0.1:99999", "IP:PORT"),
        (["--resolver", "1.2.3:x"], "--resolver", "1.2.3:x", "IP:PORT"),
        (["--resolver", "ns1.example"], "--resolver", "ns1.example", "[ADDR]:PORT"),
        (["--shard", "3/3"], "--shard", "3/3", "I/N with 0 <= I < N"),
        (["--concurrency", "0"], "--concurrency", "0", "from 1 to 1000000"),
        (["--rate", "fast"], "--rate", "fast", "a number from 0 to"),
        (["--timeout", "nan"], "--timeout", "nan", "a number from 0.05 to 3600"),
        (["--smtp-port", "0"], "--smtp-port", "0", "from 1 to 65535"),
        (["--dns-abort-after", "x"], "--dns-abort-after", "x", "from 0 to"),
    ]
    for args, opt, val, expect in cases:
        rc, out, err = run(args + ["--starttls", "none", os.path.join(tmp, "none.txt")])
        lines = err.strip("\n").split("\n")
        check(rc == 2, "%s %s: usage error exit 2" % (opt, val), rc)
        check(len(lines) == 1 and opt in lines[0] and ("'%s'" % val) in lines[0] and
              expect in lines[0], "%s %s: one line with option, value, expectation" % (opt, val), err)
        check("error:" not in err and "Misformatted" not in err, "%s: no library error text" % opt, err)
        check(out == "", "%s: no CSV written" % opt, out)
    # A single-value option given twice (issue 20: the last one silently won): exit 2, one line
    # with both values; and the same for diff's and merge's -o.
    for argv, opt in ((["--resume", "a.csv", "--resume", "b.csv"], "--resume"),
                      (["-o", "a.csv", "-o", "b.csv"], "-o"),
                      (["--previous", "a.csv", "--previous", "b.csv"], "--previous"),
                      (["diff", "-o", "a.csv", "-o", "b.csv", "old.csv", "new.csv"], "-o"),
                      (["merge", "-o", "a.csv", "--output", "b.csv", "x.csv"], "--output")):
        rc, out, err = run(argv + [os.path.join(tmp, "none.txt")] if argv[0].startswith("-") else argv)
        lines = err.strip("\n").split("\n")
        check(rc == 2 and len(lines) == 1 and "%s given twice ('a.csv', then 'b.csv')" % opt in lines[0],
              "%s twice: exit 2, one line naming both values" % " ".join(argv[:2]), (rc, err))
    # The forms the messages promise are accepted (nothing listens there: dns_error rows).
    for res in ["127.0.0.1:9", "[::1]:9", "::1"]:
        rc, out, err = run(["--dns-only", "--dns-abort-after", "0", "--timeout", "1",
                            "--resolver", res, "-"], stdin=b"example.com\n")
        check(rc == 0 and out.count("\n") == 2, "--resolver %s accepted" % res, err)

    # --version: the version first, then the revision and the libraries.
    rc, out, err = run(["--version"])
    lines = out.splitlines()
    check(rc == 0 and len(lines) == 2, "--version prints two lines", out)
    check(re.match(r"^mtasts-scan \d+\.\d+\.\d+ \(git \S+\)$", lines[0] if lines else ""),
          "--version first line: mtasts-scan VERSION (git REVISION)", out)
    for lib in ["libevent 2.", "c-ares 1.", "OpenSSL 3.", "zstd 1."]:
        check(len(lines) > 1 and lib in lines[1], "--version names %s" % lib, out)

    # The final line mentions --resume only when resuming.
    rc, out, err = run(["--dns-only", "--dns-abort-after", "0", "--timeout", "1",
                        "--resolver", "127.0.0.1:9", "-o", os.path.join(tmp, "a.csv"), "-"],
                       stdin=b"1,example.com\n2,example.net\n")
    final = [l for l in err.splitlines() if l.startswith("scan: ")]
    check(len(final) == 1 and "--resume" not in final[0], "no --resume note without --resume", err)
    rc, out, err = run(["--dns-only", "--dns-abort-after", "0", "--timeout", "1", "--resolver",
                        "127.0.0.1:9", "--resume", os.path.join(tmp, "a.csv"), "-o",
                        os.path.join(tmp, "b.csv"), "-"], stdin=b"1,example.com\n3,example.org\n")
    final = [l for l in err.splitlines() if l.startswith("scan: ")]
    check(len(final) == 1 and "(1 skipped: already in --resume file)" in final[0],
          "the --resume note when resuming", err)

finish("cli_first_contact")
