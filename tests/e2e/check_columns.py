#!/usr/bin/env python3
"""
check_columns.py: checks a scan's descriptive columns and its domain-MX edge table against what
the testnet generator published (DATA/gen/published.csv), row by row.

usage: check_columns.py PUBLISHED.csv SCAN.csv[.zst] EDGES.csv[.zst]

Domain table (joined by rank):
- sts_record / tlsrpt_record equal the v=STSv1 / v=TLSRPTv1 records the zone publishes (compared
  as sets of '|'-joined records: a DNS answer has no fixed order); empty exactly when there is none
  (a domain with only records lacking the prefix has an empty sts_record).
- sts_ttl is set exactly when the _mta-sts name has TXT records, and lies in 0..3600 (the zone's
  $TTL).
- policy_sha256 equals the SHA-256 of the policy file nginx serves as is; empty otherwise.
- policy_cert_* are filled exactly when a TLS handshake with the policy host completed: for every
  served policy the SANs name mta-sts.<domain> and not_after is in the future; for the expired
  behaviour not_after is in the past.
- the DNS outcome columns name the failure of the scenarios built on one (nxdomain, SERVFAIL of the
  MX or _mta-sts lookup, an unresolvable policy host) and are empty where the zone answers.
Edge table: one row per (rank, mx_host), never twice; each domain's hosts are its mx column (or
the domain itself for an implicit MX); covered_by_policy says "no" for some host exactly when the
domain has mx_not_covered; a host's probe_issues are a subset of the domain's issues and every
mx_* probe code of the domain comes from some host.
Exit status 0 when everything holds, 1 otherwise.
"""

import csv
import datetime
import io
import subprocess
import sys


def open_text(path):
    if path.endswith(".zst"):
        data = subprocess.run(["zstd", "-dcq", path], check=True, stdout=subprocess.PIPE).stdout
        return io.StringIO(data.decode("utf-8", errors="replace"), newline="")
    return open(path, encoding="utf-8", errors="replace", newline="")


def read(path):
    with open_text(path) as f:
        return list(csv.DictReader(f))


def when(cell):
    return datetime.datetime.strptime(cell, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


PROBE_CODES = {"mx_starttls_missing", "mx_connect_failed", "mx_cert_expired",
               "mx_cert_hostname_mismatch", "mx_cert_untrusted", "mx_tls_failed"}
# c-ares 1.18 without ARES_FLAG_NOCHECKRESP turns a SERVFAIL answer into ECONNREFUSED once every
# server has been tried, which dns.c reports as "unreachable"; both are accepted until dns.c tells
# them apart (see the judge engineer's report).  On a loaded machine the retries of such a lookup
# can also run out of time (--dns-timeout 1): "timeout" is a failure too, never an answer.
SERVFAIL = {"servfail", "unreachable", "timeout"}
DNS_SCENARIO = {"nxdomain": ("mx_dns", {"nxdomain"}), "dns_error_mx": ("mx_dns", SERVFAIL),
                "dns_error_sts_txt": ("sts_dns", SERVFAIL),
                "policy_host_unresolved": ("policy_host_dns", {"nxdomain", "nodata"})}


def check_domain(p, s, bad):
    where = "rank %s %s (%s)" % (p["rank"], p["domain"], p["scenario"])
    for col in ("sts_record", "tlsrpt_record"):
        want = set(filter(None, p[col].split("|")))
        got = set(filter(None, s[col].split("|")))
        if want != got:
            bad.append("%s: %s %r, published %r" % (where, col, s[col], p[col]))
    has_txt = int(p["sts_txt_count"]) > 0 and p["scenario"] != "dns_error_sts_txt"
    if has_txt != (s["sts_ttl"] != ""):
        bad.append("%s: sts_ttl %r with %s TXT record(s)" % (where, s["sts_ttl"], p["sts_txt_count"]))
    elif has_txt and not 0 <= int(s["sts_ttl"]) <= 3600:
        bad.append("%s: sts_ttl %s outside 0..3600" % (where, s["sts_ttl"]))
    if s["policy_sha256"] != p["policy_sha256"]:
        bad.append("%s: policy_sha256 %r, served file %r" % (where, s["policy_sha256"], p["policy_sha256"]))
    now = datetime.datetime.now(datetime.timezone.utc)
    if p["policy_sha256"]:
        # The testnet's certificates carry up to 50 names, more than the cell holds: a cut list
        # ("...") must still consist of policy-host names.
        cell = s["policy_cert_sans"]
        sans = cell.split(";")
        named = "mta-sts." + p["domain"] in sans or \
            (cell.endswith("...") and all(n.startswith("mta-sts.") for n in sans[:-1]))
        if not named or not s["policy_cert_issuer"] or \
                not s["policy_cert_not_after"] or when(s["policy_cert_not_after"]) < now:
            bad.append("%s: policy certificate %r / %r / %r" % (where, s["policy_cert_not_after"],
                                                                s["policy_cert_issuer"], s["policy_cert_sans"][:80]))
    if p["policy_behaviour"] == "expired" and s["txt_status"] == "ok":
        if not s["policy_cert_not_after"] or when(s["policy_cert_not_after"]) > now:
            bad.append("%s: expired certificate's not_after %r" % (where, s["policy_cert_not_after"]))
    if p["policy_behaviour"] in ("refused", "tarpit", "plainhttp", "unresolved", ""):
        if s["policy_cert_not_after"] or s["policy_cert_issuer"]:
            bad.append("%s: certificate fields without a handshake" % where)
    col, values = DNS_SCENARIO.get(p["scenario"], (None, None))
    if col and s[col] not in values:
        bad.append("%s: %s %r, want one of %s" % (where, col, s[col], sorted(values)))
    if p["sts_record"] and s["sts_dns"]:
        bad.append("%s: sts_dns %r though the record was read" % (where, s["sts_dns"]))
    if s["mx"] and s["mx_dns"]:
        bad.append("%s: mx_dns %r though MX hosts were read" % (where, s["mx_dns"]))


def check_edges(scan, edges, bad):
    by_rank = {}
    for e in edges:
        key = (e["rank"], e["mx_host"])
        hosts = by_rank.setdefault(e["rank"], {})
        if e["mx_host"] in hosts:
            bad.append("edge %s %s twice" % key)
        hosts[e["mx_host"]] = e
    for rank, s in scan.items():
        got = by_rank.pop(rank, {})
        want = set(filter(None, s["mx"].split(";")))
        if not want and s["verdict"] not in ("no_mail", "dns_error", "input_invalid"):
            want = {s["domain"]}  # the implicit MX (RFC 5321 §5.1)
        if set(got) != want:
            bad.append("rank %s %s: edges %s, mx column %s" % (rank, s["domain"], sorted(got), sorted(want)))
            continue
        issues = set(filter(None, s["issues"].split(";")))
        uncovered = any(e["covered_by_policy"] == "no" for e in got.values())
        if uncovered != ("mx_not_covered" in issues):
            bad.append("rank %s %s: covered_by_policy vs issues %s" % (rank, s["domain"], s["issues"]))
        from_hosts = set()
        for e in got.values():
            codes = set(filter(None, e["probe_issues"].split(";")))
            from_hosts |= codes
            if e["domain"] != s["domain"]:
                bad.append("rank %s: edge names %r" % (rank, e["domain"]))
            if (e["probe_status"] in ("ok", "not_probed")) != (not codes):
                bad.append("rank %s %s: probe_status %s with issues %r" % (rank, e["mx_host"], e["probe_status"], codes))
        if from_hosts != issues & PROBE_CODES:
            bad.append("rank %s %s: hosts' codes %s, domain's %s" % (rank, s["domain"], sorted(from_hosts),
                                                                     sorted(issues & PROBE_CODES)))
    for rank in by_rank:
        bad.append("edges for rank %s, which has no domain row" % rank)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.split("\n\n")[1])
    published = {r["rank"]: r for r in read(sys.argv[1])}
    scan = {r["rank"]: r for r in read(sys.argv[2])}
    edges = read(sys.argv[3])
    bad = []
    for rank, p in published.items():
        if rank not in scan:
            bad.append("rank %s missing from the scan" % rank)
            continue
        check_domain(p, scan[rank], bad)
    check_edges(scan, edges, bad)
    for b in bad[:100]:
        print("DIFF " + b)
    n_rec = sum(1 for p in published.values() if p["sts_record"])
    n_sha = sum(1 for p in published.values() if p["policy_sha256"])
    print("check_columns: %d domains (%d with a v=STSv1 record, %d served policies), %d edges, %d differences"
          % (len(published), n_rec, n_sha, len(edges), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
