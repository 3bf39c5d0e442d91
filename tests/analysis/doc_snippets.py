#!/usr/bin/python3
"""Runs every code block of docs/analysis.md, so the documentation cannot rot.

  doc_snippets.py DOC.md SCAN_DIR

```python blocks run with this python3 (Debian's, which has pandas) in SCAN_DIR, with
scripts/report.d on PYTHONPATH (as the doc tells readers); ```sql blocks run in DuckDB
(tests/analysis/duckdb/query.mjs) in SCAN_DIR.  SCAN_DIR holds domains.csv.zst, mx.csv.zst,
metadata.json and an earlier scan in earlier/.  A block passes when it exits 0 and prints
something (a Python block) or returns at least one row (a SQL block).  ```sh blocks are not run
(they need a built scanner and the network).
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def blocks(text):
    """[(language, first line number, code)] of the fenced blocks."""
    out = []
    for m in re.finditer(r"^```(\w+)\n(.*?)^```$", text, re.S | re.M):
        out.append((m.group(1), text.count("\n", 0, m.start()) + 1, m.group(2)))
    return out


def run(lang, code, scan_dir):
    if lang == "python":
        env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "scripts", "report.d"))
        p = subprocess.run([sys.executable, "-c", code], cwd=scan_dir, env=env, capture_output=True, text=True)
        return p.returncode == 0 and p.stdout.strip() != "", p.stdout + p.stderr
    path = os.path.join(scan_dir, ".snippet.sql")
    with open(path, "w") as f:
        f.write(code)
    p = subprocess.run(["node", os.path.join(HERE, "duckdb", "query.mjs"), scan_dir, ".snippet.sql"],
                       capture_output=True, text=True)
    return p.returncode == 0 and p.stdout.strip() != "", p.stdout + p.stderr


def main():
    doc, scan_dir = sys.argv[1], sys.argv[2]
    with open(doc) as f:
        found = [b for b in blocks(f.read()) if b[0] in ("python", "sql")]
    failed = 0
    for lang, line, code in found:
        ok, output = run(lang, code, scan_dir)
        print("doc_snippets: %s: %s block at %s:%d" % ("ok" if ok else "FAIL", lang, os.path.basename(doc), line))
        if not ok:
            failed += 1
            print("  " + output.strip().replace("\n", "\n  "))
    langs = {lang for lang, _, _ in found}
    if len(found) < 10 or langs != {"python", "sql"}:
        print("doc_snippets: FAIL: expected at least 10 python and sql blocks, found %d" % len(found))
        failed += 1
    print("doc_snippets: %d blocks, %d failed" % (len(found), failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
