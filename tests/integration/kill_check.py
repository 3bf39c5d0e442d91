#!/usr/bin/python3
"""kill_check.py: checks what a killed (or failed) scan left and what a --resume run added.

  kill_check.py readable FILE            FILE (plain or .zst) is a CSV that pandas and `zstd -dc`
                                         read without error and without a cut row: it ends with a
                                         newline and every row has the header's number of fields.
  kill_check.py union INPUT FILE...      every input line (rank,domain) is in exactly one complete
                                         row across FILE...: none missing, none twice.
  kill_check.py trial INPUT KILLED REST  both of the above, in one run (pandas loads once).
"""
import csv
import io
import subprocess
import sys

import pandas as pd


def text_of(path):
    """The CSV text of path, through `zstd -dc` for .zst (which must succeed)."""
    if path.endswith(".zst"):
        r = subprocess.run(["zstd", "-dc", path], capture_output=True)
        if r.returncode != 0:
            sys.exit(f"FAIL: zstd -dc {path}: {r.stderr.decode().strip()}")
        return r.stdout.decode()
    with open(path, newline="") as f:
        return f.read()


def rows_of(path):
    """Header and rows of path after checking that no row is cut."""
    text = text_of(path)
    if not text:
        sys.exit(f"FAIL: {path} is empty (no header)")
    if not text.endswith("\n"):
        sys.exit(f"FAIL: {path} ends inside a row: {text[-80:]!r}")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    if header[:2] != ["domain", "rank"]:
        sys.exit(f"FAIL: {path}: header {header[:4]}")
    for r in rows[1:]:
        if len(r) != len(header):
            sys.exit(f"FAIL: {path}: a row with {len(r)} of {len(header)} fields: {r[:3]}")
    # A reader that is not ours: pandas, which picks its zstd decoder by the ".zst" suffix.
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    if len(df) != len(rows) - 1 or list(df.columns) != header:
        sys.exit(f"FAIL: {path}: pandas read {len(df)} rows, csv {len(rows) - 1}")
    if not df["rank"].str.fullmatch(r"-?\d+").all():
        sys.exit(f"FAIL: {path}: pandas sees a non-integer rank")
    return header, rows[1:]


def main():
    if sys.argv[1] == "readable":
        _, rows = rows_of(sys.argv[2])
        print(f"{sys.argv[2]}: {len(rows)} complete rows")
        return
    if sys.argv[1] == "trial":
        _, rows = rows_of(sys.argv[3])
        print(f"{len(rows)} complete rows kept; ", end="")
    want = {}
    with open(sys.argv[2]) as f:
        for line in f:
            rank, domain = line.strip().split(",", 1)
            want[rank] = domain
    seen = {}
    for path in sys.argv[3:]:
        _, rows = rows_of(path)
        for r in rows:
            rank, domain = r[1], r[0]
            if want.get(rank) != domain:
                sys.exit(f"FAIL: {path}: row ({rank},{domain}) is not an input line")
            if rank in seen:
                sys.exit(f"FAIL: rank {rank} twice: in {seen[rank]} and {path}")
            seen[rank] = path
    missing = [r for r in want if r not in seen]
    if missing:
        sys.exit(f"FAIL: {len(missing)} input lines in no file, e.g. {missing[:5]}")
    print(f"union: {len(want)} input lines, each in exactly one row")


if __name__ == "__main__":
    main()
