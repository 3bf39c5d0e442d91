"""Writes a synthetic scan of N domains (domain and MX CSVs with today's columns, zstd, plus a
metadata record) for measuring scripts/report at scale (scripts/bench-report).  The values follow
the shape of a real top-list scan: most domains without MTA-STS, MX hosts concentrated on a few
large providers with a long tail of self-hosted names, ~2 MX per domain, a few percent with a
record and every verdict and issue code present.  Deterministic for a given N and seed.

  synth.py N OUTDIR [--seed S]
"""
import argparse
import csv
import json
import os
import random
import time

import zstandard

DOMAIN_COLS = ["domain", "rank", "mx", "txt_status", "sts_id", "policy_status", "http_status",
               "policy_mode", "policy_max_age", "policy_mx", "mx_coverage", "starttls_status",
               "tlsrpt_status", "tlsrpt_rua", "verdict", "issues", "detail", "scanned_at"]
MX_COLS = ["mx_host", "address", "probe_status", "greeting_code", "starttls_offered", "tls_version",
           "cipher", "cert_subject", "cert_sans", "cert_not_after", "cert_issuer", "verify_ok",
           "verify_error", "error", "connect_ms", "greeting_ms", "tls_ms", "total_ms",
           "domains_sharing", "probed_at"]
PROVIDERS = ["google.com", "outlook.com", "yahoodns.net", "zoho.com", "protonmail.ch", "ovh.net",
             "mimecast.com", "pphosted.com", "yandex.net", "mail.ru", "qq.com", "gandi.net",
             "messagelabs.com", "secureserver.net", "one.com", "ionos.de", "icloud.com",
             "barracudanetworks.com", "fastmail.com", "aliyun.com"]
TLDS = ["com", "net", "org", "de", "co.uk", "com.br", "ru", "fr", "jp", "io", "nl", "com.au"]
FAILING = ["policy_host_unresolved", "policy_cert_expired", "policy_http_status", "policy_syntax",
           "policy_connect_failed", "policy_timeout"]


def writer(path):
    f = open(path, "wb")
    z = zstandard.ZstdCompressor(level=3).stream_writer(f)
    import io
    t = io.TextIOWrapper(z, encoding="utf-8", newline="")
    return t, csv.writer(t, lineterminator="\n")


def domain_row(rnd, rank, now):
    tld = rnd.choice(TLDS)
    name = "d%d.%s" % (rank, tld)
    r = rnd.random()
    if r < 0.55:
        prov = PROVIDERS[min(int(rnd.paretovariate(1.1)) - 1, len(PROVIDERS) - 1)]
        mx = "aspmx%d.%s;alt%d.%s" % (rank % 3, prov, rank % 5, prov)
    elif r < 0.85:
        mx = "mail.%s;mx2.%s" % (name, name)       # self-hosted: the long tail of providers
    elif r < 0.93:
        mx = ""
    else:
        mx = "mx%d.hoster%d.%s" % (rank % 7, rank % 5000, tld)
    row = dict.fromkeys(DOMAIN_COLS, "")
    row.update(domain=name, rank=str(rank), mx=mx, txt_status="missing", policy_status="not_fetched",
               starttls_status="not_probed", tlsrpt_status="missing", verdict="not_deployed",
               scanned_at=now)
    issues = []
    s = rnd.random()
    if not mx:
        row.update(verdict=rnd.choice(["no_mail", "dns_error"]), txt_status="not_queried")
    elif s < 0.06:
        row.update(txt_status="ok", sts_id="2026%04d" % (rank % 10000), tlsrpt_status="ok" if rnd.random() < 0.6 else "missing")
        if row["tlsrpt_status"] == "missing":
            issues.append("tlsrpt_missing")
        f = rnd.random()
        if f < 0.15:
            row.update(policy_status="fetch_failed", verdict="invalid")
            issues.append(rnd.choice(FAILING))
        else:
            mode = rnd.choices(["enforce", "testing", "none"], [6, 3, 1])[0]
            row.update(policy_status="ok", http_status="200", policy_mode=mode, policy_max_age="604800",
                       policy_mx="*." + mx.split(";")[0].split(".", 1)[1], mx_coverage="all",
                       starttls_status="all_ok")
            if mode == "none":
                row["verdict"] = "mode_none"
            elif rnd.random() < 0.1:
                row.update(verdict="would_fail", mx_coverage="partial")
                issues.append("mx_not_covered")
            else:
                row["verdict"] = mode + "_ok"
    elif s < 0.065:
        row.update(txt_status="invalid")
        issues.append("txt_invalid")
    row["issues"] = ";".join(sorted(issues))
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    os.makedirs(a.outdir, exist_ok=True)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400 * 200))
    t, w = writer(os.path.join(a.outdir, "domains.csv.zst"))
    w.writerow(DOMAIN_COLS)
    hosts = {}
    for rank in range(1, a.n + 1):
        row = domain_row(rnd, rank, now)
        w.writerow([row[c] for c in DOMAIN_COLS])
        if row["txt_status"] == "ok":
            for h in row["mx"].split(";"):
                hosts[h] = hosts.get(h, 0) + 1
    t.close()
    t, w = writer(os.path.join(a.outdir, "mx.csv.zst"))
    w.writerow(MX_COLS)
    for i, (h, n) in enumerate(sorted(hosts.items())):
        row = dict.fromkeys(MX_COLS, "")
        row.update(mx_host=h, address="192.0.2.%d" % (i % 250 + 1), probe_status="ok", greeting_code="220",
                   starttls_offered="yes", tls_version=rnd.choice(["TLSv1.3", "TLSv1.3", "TLSv1.2"]),
                   cert_not_after=later if i % 50 else now, verify_ok="yes", total_ms="12.5",
                   domains_sharing=str(n), probed_at=now)
        w.writerow([row[c] for c in MX_COLS])
    t.close()
    with open(os.path.join(a.outdir, "metadata.json"), "w") as f:
        json.dump({"format": "mtasts-scan-metadata", "format_version": 1, "status": "completed",
                   "reason": None, "exit_status": 0, "time": {"started": now, "ended": now},
                   "input": {"path": "synthetic", "list_id": "synthetic %d seed %d" % (a.n, a.seed)}}, f)


if __name__ == "__main__":
    main()
