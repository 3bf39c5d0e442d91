#!/usr/bin/python3
"""The scanner's outputs load as users load them: pandas.read_csv and DuckDB, zero options.

  loaders.py SCAN_DIR TRUTH_CSV [EDGES_FILE]

SCAN_DIR holds domains.csv.zst, mx.csv.zst and metadata.json of a testnet scan whose truth is
TRUTH_CSV (scripts/testnet).  Checks, in pandas and in DuckDB (tests/analysis/duckdb/query.mjs):
row counts (against truth and against the raw files), column types (integers stay integers where
pandas allows: never-empty integer columns are int64, integer columns with empty cells are float64
holding only whole numbers; times parse as UTC within the scan's start and end), and one join of
domains to MX hosts through the `mx` list against the ground truth: the probed domains that reach
an MX row with a certificate failure are exactly those whose truth has an mx_cert_* code, and
every enforce_ok/testing_ok domain reaches only MX rows that passed.
EDGES_FILE (the domain-MX edge table, when the scanner has --domain-mx-output) must load in both,
with the same rows, and hold the pairs of the domain table's mx lists.
"""
import io
import json
import os
import subprocess
import sys

import pandas as pd
import zstandard

HERE = os.path.dirname(os.path.abspath(__file__))
CERT_CODES = {"mx_cert_expired", "mx_cert_hostname_mismatch", "mx_cert_untrusted"}
failures = []


def check(cond, what):
    print("loaders: %s: %s" % ("ok" if cond else "FAIL", what))
    if not cond:
        failures.append(what)


def raw_rows(path):
    """Data rows of a CSV file by counting lines (no CSV parser involved)."""
    with open(path, "rb") as f:
        if path.endswith(".zst"):  # the scanner writes many frames: read across them
            data = zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True).read()
        else:
            data = f.read()
    return data.count(b"\n") - 1


def duckdb(scan_dir, sql):
    with open(os.path.join(scan_dir, ".query.sql"), "w") as f:
        f.write(sql)
    out = subprocess.run(["node", os.path.join(HERE, "duckdb", "query.mjs"), scan_dir, ".query.sql"],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def whole_numbers(series):
    s = series.dropna()
    return len(s) > 0 and bool((s == s.round()).all())


def pandas_checks(scan_dir, truth, meta):
    domains = pd.read_csv(os.path.join(scan_dir, "domains.csv.zst"))
    mx = pd.read_csv(os.path.join(scan_dir, "mx.csv.zst"))
    check(len(domains) == len(truth), "pandas: %d domain rows = %d truth rows" % (len(domains), len(truth)))
    check(len(domains) == raw_rows(os.path.join(scan_dir, "domains.csv.zst")), "pandas: domain rows = lines of the file")
    check(len(mx) == raw_rows(os.path.join(scan_dir, "mx.csv.zst")) and len(mx) > 0, "pandas: %d MX rows = lines of the file" % len(mx))
    check(sorted(domains["rank"]) == sorted(truth["rank"]), "pandas: the ranks are the truth's")
    # types
    check(domains["rank"].dtype == "int64", "pandas: rank is int64 (%s)" % domains["rank"].dtype)
    check(mx["domains_sharing"].dtype == "int64", "pandas: domains_sharing is int64")
    for col, frame in (("http_status", domains), ("policy_max_age", domains), ("greeting_code", mx)):
        check(frame[col].dtype == "float64" and whole_numbers(frame[col]) and frame[col].isna().any(),
              "pandas: %s (has empty cells) is float64 of whole numbers, NaN when empty" % col)
    check(mx["total_ms"].dtype == "float64", "pandas: total_ms is float64")
    start = pd.Timestamp(meta["time"]["started"]) - pd.Timedelta(seconds=1)
    end = pd.Timestamp(meta["time"]["ended"]) + pd.Timedelta(seconds=1)
    for col, frame in (("scanned_at", domains), ("probed_at", mx)):
        t = pd.to_datetime(frame[col], utc=True)
        check(t.notna().all() and str(t.dt.tz) == "UTC" and t.min() >= start and t.max() <= end,
              "pandas: %s parses as UTC within the scan's start and end" % col)
    na = pd.to_datetime(mx["cert_not_after"], utc=True)
    check(na.notna().sum() == mx["cert_not_after"].notna().sum() and na.notna().any(), "pandas: cert_not_after parses")
    # the join, against truth
    merged = domains.merge(truth[["rank", "verdict", "issues"]], on="rank", suffixes=("", "_truth"))
    check((merged["verdict"] == merged["verdict_truth"]).all(), "pandas: every verdict is the truth's")
    edges = domains.dropna(subset=["mx"]).assign(mx_host=lambda x: x["mx"].str.split(";")).explode("mx_host")
    joined = edges.merge(mx[["mx_host", "probe_status"]], on="mx_host")
    probed = joined[joined["starttls_status"] != "not_probed"]
    cert_ranks = set(probed.loc[probed["probe_status"] == "cert_invalid", "rank"])
    truth_codes = truth["issues"].fillna("").str.split(";")
    truth_cert = set(truth.loc[truth_codes.map(lambda c: bool(CERT_CODES & set(c))), "rank"])
    check(cert_ranks == truth_cert and len(truth_cert) > 0,
          "pandas join: %d domains reach an MX with a certificate failure = truth's mx_cert_* domains" % len(cert_ranks))
    ok_ranks = set(truth.loc[truth["verdict"].isin(["enforce_ok", "testing_ok"]), "rank"])
    ok_rows = joined[joined["rank"].isin(ok_ranks)]
    check(len(ok_ranks) > 0 and set(ok_rows["rank"]) == ok_ranks and (ok_rows["probe_status"] == "ok").all(),
          "pandas join: the %d enforce_ok/testing_ok domains reach MX rows, all passed" % len(ok_ranks))
    return domains, mx, cert_ranks, truth_cert


def duckdb_checks(scan_dir, domains, mx, truth_cert):
    n = duckdb(scan_dir, "SELECT (SELECT count(*) FROM 'domains.csv.zst') AS d, (SELECT count(*) FROM 'mx.csv.zst') AS m;")[0]
    check(int(n["d"]) == len(domains) and int(n["m"]) == len(mx), "duckdb: row counts equal pandas' (%s, %s)" % (n["d"], n["m"]))
    types = {}
    for f in ("domains.csv.zst", "mx.csv.zst"):
        for r in duckdb(scan_dir, "DESCRIBE SELECT * FROM '%s';" % f):
            types[r["column_name"]] = r["column_type"]
    expect = {"rank": "BIGINT", "http_status": "BIGINT", "policy_max_age": "BIGINT", "greeting_code": "BIGINT",
              "domains_sharing": "BIGINT", "scanned_at": "TIMESTAMP WITH TIME ZONE",
              "probed_at": "TIMESTAMP WITH TIME ZONE", "cert_not_after": "TIMESTAMP WITH TIME ZONE",
              "verify_ok": "BOOLEAN", "starttls_offered": "BOOLEAN", "total_ms": "DOUBLE", "verdict": "VARCHAR"}
    for col, t in expect.items():
        check(types.get(col) == t, "duckdb: %s is %s (%s)" % (col, t, types.get(col)))
    rows = duckdb(scan_dir, """
        WITH edges AS (SELECT rank, starttls_status, unnest(string_split(mx, ';')) AS mx_host
                       FROM 'domains.csv.zst' WHERE mx IS NOT NULL)
        SELECT DISTINCT e.rank FROM edges e JOIN 'mx.csv.zst' m USING (mx_host)
        WHERE m.probe_status = 'cert_invalid' AND e.starttls_status <> 'not_probed' ORDER BY 1;""")
    ranks = {int(r["rank"]) for r in rows}
    check(ranks == truth_cert, "duckdb join: %d domains reach an MX with a certificate failure = truth's" % len(ranks))


def edge_checks(scan_dir, path, domains):
    e = pd.read_csv(path)
    n = duckdb(scan_dir, "SELECT count(*) AS n FROM '%s';" % os.path.abspath(path))[0]["n"]
    check(len(e) > 0 and int(n) == len(e) == raw_rows(path), "edge table: %d rows in pandas, DuckDB and the file" % len(e))
    if {"domain", "mx_host"} <= set(e.columns):
        pairs = domains.dropna(subset=["mx"]).assign(mx_host=lambda x: x["mx"].str.split(";")).explode("mx_host")
        want = set(zip(pairs["domain"], pairs["mx_host"]))
        # a domain without MX records but with an address has one edge to itself, the implicit
        # MX (RFC 5321 §5.1), with an empty preference; every other edge is in the mx lists
        implicit = e["preference"].isna() if "preference" in e.columns else e["mx_host"] == e["domain"]
        listed = e[~implicit]
        check(set(zip(listed["domain"], listed["mx_host"])) == want, "edge table: its (domain, mx_host) pairs are the domain table's mx lists")
        own = e[implicit]
        no_mx = set(domains[domains["mx"].isna()]["domain"])
        check(bool((own["mx_host"] == own["domain"]).all()) and set(own["domain"]) <= no_mx,
              "edge table: %d implicit-MX edges, each a domain without MX records to itself" % len(own))
    else:
        check(False, "edge table: columns domain and mx_host (got %s)" % list(e.columns))


def main():
    scan_dir, truth_path = sys.argv[1], sys.argv[2]
    truth = pd.read_csv(truth_path)
    with open(os.path.join(scan_dir, "metadata.json")) as f:
        meta = json.load(f)
    domains, mx, _, truth_cert = pandas_checks(scan_dir, truth, meta)
    duckdb_checks(scan_dir, domains, mx, truth_cert)
    if len(sys.argv) > 3:
        edge_checks(scan_dir, sys.argv[3], domains)
    print("loaders: %d failed" % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
