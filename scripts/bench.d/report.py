#!/usr/bin/env python3
"""
report.py: turns one scripts/bench run directory into a result record and a table.

usage: report.py --run-dir DIR --results RESULTS.jsonl [--docs docs/benchmark.md]

Reads what scripts/bench left in DIR (meta.env; per run ID: ID.time from /usr/bin/time -v,
ID.err with the scanner's final "scan: ..." line or the peer's "peer: ..." line, ID.out with
dnsperf's report, ID.cpu.json from cpu.py, ID.wall, ID.rc; 1.truth from compare_truth.py),
appends one JSON line to RESULTS (keyed by "n", the number of domains), prints the table, and,
with --docs, rewrites the part of the file between the "bench:last-run" markers with the latest
table of every size in RESULTS and the peak RSS of 100k and 1M side by side.
"""
import argparse
import datetime
import json
import os
import re
import sys

SCAN_RUNS = [("1", "scan --starttls sts"), ("1b", "scan --starttls none"),
             ("2", "scan --starttls all"), ("3", "scan --dns-only"),
             ("3c", "scan --dns-only -c 5000")]
BEGIN = "<!-- bench:last-run:begin (written by scripts/bench; do not edit by hand) -->"
END = "<!-- bench:last-run:end -->"

# Targets of issue 6 (2 cores, servers and scanner sharing them).
T_WALL_1M = 90.0
T_RSS_MB = 256.0
T_DNS_RATIO = 0.70
T_PEER = 5.0
T_RSS_GROWTH = 0.10
# Issue 22: the DNS-only scan at dnsperf's rate, with the benchmark's flags (run 3) and with
# --concurrency 5000 and the default --dns-inflight (run 3c).
T_DNS_PARITY = 1.0


def read(path, default=None):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return default


def read_env(path):
    env = {}
    for line in (read(path) or "").splitlines():
        k, _, v = line.partition("=")
        env[k] = v
    return env


def parse_time(text):
    """/usr/bin/time -v: wall seconds, user, sys, peak RSS (MB)."""
    if not text:
        return None
    def field(name):
        m = re.search(r"^\s*%s: (.*)$" % re.escape(name), text, re.M)
        return m.group(1).strip() if m else None
    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    secs = 0.0
    for part in (wall or "0").split(":"):
        secs = secs * 60 + float(part)
    return {"wall": round(secs, 2), "user": float(field("User time (seconds)") or 0),
            "sys": float(field("System time (seconds)") or 0),
            "rss_mb": round(int(field("Maximum resident set size (kbytes)") or 0) / 1024.0, 1)}


# The scanner's final line (pipeline/scan.c print_final), field by field so that an added field
# does not break the parse.
SCAN_FIELDS = [("domains", r"^scan: (\d+) domains"), ("scan_s", r"^scan: \d+ domains in ([\d.]+)s"),
               ("dns_sent", r"dns (\d+) sent"), ("dns_answered", r"(\d+) answered"),
               ("dns_failed", r"(\d+) failed"), ("dns_timed_out", r"(\d+) timed out"),
               ("https", r"https (\d+) fetches"), ("smtp", r"smtp (\d+) probes"),
               ("mx_hosts", r"probes of (\d+) hosts"), ("mx_cache_hits", r"(\d+) cache hits")]
PEER_RE = re.compile(r"^peer: (\d+) domains in ([\d.]+)s; dns (\d+) queries \((\d+) timeouts, (\d+) "
                     r"other failures\); https (\d+) fetches \((\d+) ok policies", re.M)


def cpu_shares(d, rec):
    """CPU use during the run as % of one core: the measured tool, each server, the rest of the
    machine ("other"), idle.  Sums to ncpu x 100 %."""
    c = json.loads(read(os.path.join(d["dir"], d["id"] + ".cpu.json")) or "null")
    w = float(read(os.path.join(d["dir"], d["id"] + ".wall")) or 0)
    if not c or w <= 0:
        return None
    tool = rec["user"] + rec["sys"]
    servers = c["knot"] + c["nginx"] + c["postfix"] + c["tarpit"] + c["ns_other"]
    other = max(0.0, c["busy"] - tool - servers)
    pct = lambda x: round(100.0 * x / w, 1)
    return {"tool": pct(tool), "knot": pct(c["knot"]), "nginx": pct(c["nginx"]),
            "postfix": pct(c["postfix"] + c["tarpit"] + c["ns_other"]), "other": pct(other),
            "idle": pct(c["idle"]), "window_s": w}


def scan_try(run_dir, rid):
    t = parse_time(read(os.path.join(run_dir, rid + ".time")))
    if not t:
        return None
    r = dict(t)
    r["rc"] = int((read(os.path.join(run_dir, rid + ".rc"), "0") or "0").strip() or 0)
    line = re.search(r"^scan: .*$", read(os.path.join(run_dir, rid + ".err"), "") or "", re.M)
    for key, rx in SCAN_FIELDS if line else []:
        mm = re.search(rx, line.group(0))
        if mm:
            r[key] = float(mm.group(1)) if "." in mm.group(1) else int(mm.group(1))
    r["cpu"] = cpu_shares({"dir": run_dir, "id": rid}, r)
    return r


def peer_try(run_dir, rid):
    t = parse_time(read(os.path.join(run_dir, rid + ".time")))
    if not t:
        return None
    r = dict(t)
    r["rc"] = int((read(os.path.join(run_dir, rid + ".rc"), "0") or "0").strip() or 0)
    mm = PEER_RE.search(read(os.path.join(run_dir, rid + ".err"), "") or "")
    if mm:
        g = mm.groups()
        r.update(domains=int(g[0]), peer_s=float(g[1]), dns_sent=int(g[2]),
                 dns_timed_out=int(g[3]), https=int(g[5]), policies_ok=int(g[6]))
    r["cpu"] = cpu_shares({"dir": run_dir, "id": rid}, r)
    return r


def best_try(run_dir, rid, parse):
    """The fastest of the tries rid, rid~2, rid~3 ... (--repeat), with every try's wall time."""
    tries = []
    k = 1
    while True:
        r = parse(run_dir, rid if k == 1 else "%s~%d" % (rid, k))
        if not r:
            break
        tries.append(r)
        k += 1
    if not tries:
        return None
    best = dict(min(tries, key=lambda r: r["wall"]))
    best["tries_wall"] = [r["wall"] for r in tries]
    return best


def collect(run_dir):
    env = read_env(os.path.join(run_dir, "meta.env"))
    m = re.search(r"(\d{8}T\d{6}Z)$", run_dir.rstrip("/"))
    rec = {"n": int(env.get("n", 0)), "seed": int(env.get("seed", 0)),
           "date": m.group(1) if m else datetime.datetime.utcnow().strftime("%Y%m%dT%H%M%SZ"),
           "run_dir": os.path.abspath(run_dir), "commit": env.get("commit"),
           "gen_s": env.get("gen_s"), "up_s": float(env.get("up_s") or 0),
           "scan_flags": env.get("scan_flags"), "peer_concurrency": env.get("peer_concurrency"),
           "machine": {k: env.get(k) for k in ("cpu_model", "ncpu", "mem_gib", "kernel", "knot",
                                               "node", "dnsperf")},
           "runs": {}}
    for rid, _ in SCAN_RUNS:
        r = best_try(run_dir, rid, scan_try)
        if r:
            rec["runs"][rid] = r
    perf = []
    for name in sorted(os.listdir(run_dir)):
        mm = re.match(r"^(4-c(\d+)-q(\d+)(~\d+)?)\.out$", name)
        if not mm:
            continue
        out = read(os.path.join(run_dir, name), "")
        def num(label):
            x = re.search(r"%s:\s+([\d.]+)" % re.escape(label), out)
            return float(x.group(1)) if x else None
        rid = mm.group(1)
        t = parse_time(read(os.path.join(run_dir, rid + ".time"))) or {}
        p = {"id": rid, "clients": int(mm.group(2)), "outstanding": int(mm.group(3)),
             "sent": num("Queries sent"), "completed": num("Queries completed"),
             "lost": num("Queries lost"), "run_time": num("Run time (s)"),
             "qps": num("Queries per second"), **t}
        p["cpu"] = cpu_shares({"dir": run_dir, "id": rid}, t) if t else None
        perf.append(p)
    if perf:
        best = max(perf, key=lambda p: p["qps"] or 0)
        rec["runs"]["4"] = {"tried": perf, "best": best}
    r = best_try(run_dir, "5", peer_try)
    if r:
        rec["runs"]["5"] = r
    tr = read(os.path.join(run_dir, "1.truth"))
    if tr:
        mm = re.search(r"compare_truth: (\d+) truth rows, (\d+) scan rows, (\d+) differ", tr)
        if mm:
            rec["truth"] = {"rows": int(mm.group(1)), "scan_rows": int(mm.group(2)),
                            "differ": int(mm.group(3))}
    derive(rec)
    return rec


def derive(rec):
    R = rec["runs"]
    d = {}
    if "3" in R and R["3"].get("dns_sent") and R["3"]["wall"] > 0:
        d["run3_qps"] = round(R["3"]["dns_sent"] / R["3"]["wall"])
    if "3c" in R and R["3c"].get("dns_sent") and R["3c"]["wall"] > 0:
        d["run3c_qps"] = round(R["3c"]["dns_sent"] / R["3c"]["wall"])
    for rid in ("3", "3c"):
        if rid in R and R[rid].get("dns_sent"):
            d["run%s_us_per_query" % rid] = round(
                1e6 * (R[rid]["user"] + R[rid]["sys"]) / R[rid]["dns_sent"], 2)
    if "4" in R and R["4"]["best"].get("qps"):
        d["dnsperf_qps"] = round(R["4"]["best"]["qps"])
        if "run3_qps" in d:
            d["dns_ratio"] = round(d["run3_qps"] / d["dnsperf_qps"], 3)
        if "run3c_qps" in d:
            d["dns_ratio_3c"] = round(d["run3c_qps"] / d["dnsperf_qps"], 3)
        us = [dnsperf_us(p) for p in R["4"]["tried"]]
        us = [u for u in us if u]
        if us:
            d["dnsperf_us_per_query"] = min(us)
    if "5" in R and "1b" in R and R["1b"]["wall"] > 0:
        d["peer_ratio"] = round(R["5"]["wall"] / R["1b"]["wall"], 2)
    rec["derived"] = d


def dnsperf_us(p):
    """dnsperf's CPU (user+sys) per query sent, in µs; None without the figures."""
    if not p.get("sent") or "user" not in p:
        return None
    return round(1e6 * (p["user"] + p["sys"]) / p["sent"], 2)


# --- rendering -------------------------------------------------------------------------------------

def fmt(x, spec="{:,.0f}"):
    return "-" if x is None else spec.format(x)


def table(rec, history):
    R, D, n = rec["runs"], rec["derived"], rec["n"]
    mach = rec["machine"]
    L = []
    L.append("mtasts-scan benchmark: %s domains (seed %d), %s, commit %s" %
             (fmt(n), rec["seed"], rec["date"], rec["commit"]))
    L.append("machine: %s CPUs (%s), %s GiB, kernel %s; knot %s, dnsperf %s, node %s" %
             (mach["ncpu"], mach["cpu_model"], mach["mem_gib"], mach["kernel"], mach["knot"],
              mach["dnsperf"], mach["node"]))
    gen = str(rec["gen_s"])
    if gen.startswith("reused:"):
        gen = "reused (generated earlier in %s s)" % gen.split(":", 1)[1]
    elif gen != "reused":
        gen = "generated in %s s" % gen
    L.append("testnet: %s, up in %.1f s" % (gen, rec["up_s"]))
    L.append("scanner flags: %s" % rec["scan_flags"])
    L.append("")
    hdr = "%-27s %7s %9s %8s %7s %9s %8s %6s %5s | %s" % (
        "run", "wall s", "domains/s", "CPU s", "RSS MB", "DNS sent", "DNS q/s", "HTTPS", "SMTP",
        "CPU %: tool  knot nginx postfix other idle")
    L.append(hdr)
    L.append("-" * len(hdr))

    def cpu_cols(c):
        if not c:
            return ""
        return "%4.0f %5.0f %5.0f %7.0f %5.0f %4.0f" % (
            c["tool"], c["knot"], c["nginx"], c["postfix"], c["other"], c["idle"])

    for rid, what in SCAN_RUNS:
        r = R.get(rid)
        if not r:
            continue
        dps = r.get("domains", 0) / r["wall"] if r["wall"] else None
        qps = r.get("dns_sent", 0) / r["wall"] if r["wall"] else None
        L.append("%-27s %7.2f %9s %8.2f %7.1f %9s %8s %6s %5s | %s" % (
            "%-2s %s" % (rid, what), r["wall"], fmt(dps), r["user"] + r["sys"], r["rss_mb"],
            fmt(r.get("dns_sent")), fmt(qps), fmt(r.get("https")), fmt(r.get("smtp")),
            cpu_cols(r.get("cpu"))))
    if "4" in R:
        for p in R["4"]["tried"]:
            mark = "*" if p is R["4"]["best"] else " "
            L.append("%-27s %7.2f %9s %8.2f %7.1f %9s %8s %6s %5s | %s" % (
                "4%s dnsperf -c %d -q %d" % (mark, p["clients"], p["outstanding"]),
                p["run_time"] or 0, "-", p.get("user", 0) + p.get("sys", 0), p.get("rss_mb", 0),
                fmt(p["completed"]), fmt(p["qps"]), "-", "-", cpu_cols(p.get("cpu"))))
    if "5" in R:
        r = R["5"]
        L.append("%-27s %7.2f %9s %8.2f %7.1f %9s %8s %6s %5s | %s" % (
            "5  peer (node+mailauth) c=%s" % rec["peer_concurrency"], r["wall"],
            fmt(r.get("domains", 0) / r["wall"] if r["wall"] else None), r["user"] + r["sys"],
            r["rss_mb"], fmt(r.get("dns_sent")),
            fmt(r.get("dns_sent", 0) / r["wall"] if r["wall"] else None), fmt(r.get("https")), "-",
            cpu_cols(r.get("cpu"))))
    L += dns_cost(rec)
    L.append("")
    L.append("wall: /usr/bin/time (whole process); CPU s: user+sys of the run's process; DNS q/s:"
             " queries sent / wall (dnsperf: its own report; * = the best setting, the limit);")
    L.append("CPU %: mean over the run, 100 = one core (tool = the measured process, other ="
             " programs outside the testnet, e.g. other builds on a shared box).")
    for rid, r in sorted(R.items()):
        if rid == "4":
            continue
        if len(r.get("tries_wall", [])) > 1:
            L.append("run %s: fastest of %d tries (wall s: %s)" % (
                rid, len(r["tries_wall"]), " ".join("%.2f" % w for w in r["tries_wall"])))
        if r.get("rc"):
            L.append("run %s: exit status %d (interrupted by the run limit or failed: figures are"
                     " partial, see %s/%s.err)" % (rid, r["rc"], rec["run_dir"], rid))
    if rec.get("truth"):
        t = rec["truth"]
        L.append("run 1 vs truth.csv: %s rows, %s differ" % (fmt(t["rows"]), fmt(t["differ"])))
    L.append("")
    L.append("targets:")
    L += targets(rec, history)
    return "\n".join(L) + "\n"


def dns_cost(rec):
    """Runs 3 and 3c beside dnsperf: queries per second and CPU per query.  On a shared machine
    the rates move with what else runs; the CPU per query much less."""
    R, D = rec["runs"], rec["derived"]
    rows = []
    for rid, what in SCAN_RUNS:
        r = R.get(rid)
        if rid in ("3", "3c") and r and r.get("dns_sent") and r["wall"]:
            rows.append(("%-2s %s" % (rid, what), r["dns_sent"] / r["wall"],
                         D.get("run%s_us_per_query" % rid), (r.get("cpu") or {}).get("other")))
    if "4" in R:
        for p in R["4"]["tried"]:
            mark = "*" if p is R["4"]["best"] else " "
            rows.append(("4%s dnsperf -c %d -q %d" % (mark, p["clients"], p["outstanding"]),
                         p["qps"], dnsperf_us(p), (p.get("cpu") or {}).get("other")))
    if not rows:
        return []
    L = ["", "DNS cost (run 3, 3c and dnsperf: the same queries, the same knot):",
         "  %-27s %10s %14s %8s" % ("run", "queries/s", "µs CPU/query", "other %")]
    for name, qps, us, other in rows:
        L.append("  %-27s %10s %14s %8s" % (name, fmt(qps), fmt(us, "{:.2f}"), fmt(other)))
    for rid in ("3", "3c"):
        ratio, us = D.get("dns_ratio" if rid == "3" else "dns_ratio_3c"), D.get("run%s_us_per_query" % rid)
        if ratio and us and D.get("dnsperf_us_per_query"):
            L.append("  run %-2s / dnsperf: %.2fx the queries per second, %.2fx the CPU per query" %
                     (rid, ratio, us / D["dnsperf_us_per_query"]))
    return L


def verdict(ok):
    return "MET" if ok else "MISSED"


def latest(history, n):
    for rec in reversed(history):
        if rec["n"] == n and "1" in rec["runs"]:
            return rec
    return None


def targets(rec, history):
    R, D, n = rec["runs"], rec["derived"], rec["n"]
    L = []
    if "1" in R:
        r = R["1"]
        if n == 1000000:
            L.append("  run 1 wall <= %.0f s at 1M:          %.1f s  %s" %
                     (T_WALL_1M, r["wall"], verdict(r["wall"] <= T_WALL_1M)))
        else:
            L.append("  run 1 wall <= %.0f s at 1M:          judged at 1,000,000 domains only"
                     " (this run: %s)" % (T_WALL_1M, fmt(n)))
        L.append("  run 1 peak RSS <= %.0f MB:           %.1f MB  %s%s" %
                 (T_RSS_MB, r["rss_mb"], verdict(r["rss_mb"] <= T_RSS_MB),
                  "" if n == 1000000 else " (at %s)" % fmt(n)))
    if "dns_ratio" in D:
        L.append("  run 3 >= %.0f%% of dnsperf q/s:        %s / %s = %.0f%%  %s" %
                 (100 * T_DNS_RATIO, fmt(D["run3_qps"]), fmt(D["dnsperf_qps"]),
                  100 * D["dns_ratio"], verdict(D["dns_ratio"] >= T_DNS_RATIO)))
    for rid, key in (("3", "dns_ratio"), ("3c", "dns_ratio_3c")):
        if key in D:
            L.append("  run %-2s >= dnsperf q/s (issue 22):   %s / %s = %.0f%%  %s" %
                     (rid, fmt(D["run%s_qps" % rid]), fmt(D["dnsperf_qps"]), 100 * D[key],
                      verdict(D[key] >= T_DNS_PARITY)))
    if "peer_ratio" in D:
        L.append("  >= %.0fx the peer's throughput:       peer %.1f s / run 1b %.1f s = %.1fx  %s" %
                 (T_PEER, R["5"]["wall"], R["1b"]["wall"], D["peer_ratio"],
                  verdict(D["peer_ratio"] >= T_PEER)))
    small, big = latest(history, 100000), latest(history, 1000000)
    if small and big:
        a, b = small["runs"]["1"]["rss_mb"], big["runs"]["1"]["rss_mb"]
        g = (b - a) / a if a else 0
        L.append("  peak RSS 1M within %.0f%% of 100k:     run 1: %.1f MB at 100k (%s), %.1f MB at 1M"
                 " (%s): %+.1f%%  %s" % (100 * T_RSS_GROWTH, a, small["date"], b, big["date"],
                                          100 * g, verdict(g <= T_RSS_GROWTH)))
        for rid, what in SCAN_RUNS:
            if rid in small["runs"] and rid in big["runs"]:
                L.append("      run %-2s %-22s RSS %7.1f MB at 100k, %7.1f MB at 1M" %
                         (rid, what, small["runs"][rid]["rss_mb"], big["runs"][rid]["rss_mb"]))
    else:
        L.append("  peak RSS 1M within %.0f%% of 100k:     needs a 100k and a 1M run (have %s)" %
                 (100 * T_RSS_GROWTH, ", ".join(sorted({fmt(h["n"]) for h in history})) or "none"))
    return L


def load_history(path):
    out = []
    for line in (read(path) or "").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def update_docs(path, history):
    text = read(path)
    if text is None or BEGIN not in text or END not in text:
        print("report: %s has no bench:last-run markers; not updated" % path, file=sys.stderr)
        return
    parts = []
    for n in sorted({h["n"] for h in history}):
        rec = latest(history, n) or [h for h in history if h["n"] == n][-1]
        parts.append("```\n" + table(rec, history) + "```\n")
    body = "\n".join(parts)
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write(head + BEGIN + "\n" + body + END + tail)
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--docs")
    ap.add_argument("--no-append", action="store_true", help="only print (re-render a run)")
    a = ap.parse_args()
    rec = collect(a.run_dir)
    history = [h for h in load_history(a.results) if h.get("run_dir") != rec["run_dir"]]
    history.append(rec)
    if not a.no_append:
        with open(a.results, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec, sort_keys=True) + "\n")
    sys.stdout.write(table(rec, history))
    if a.docs:
        update_docs(a.docs, history)


if __name__ == "__main__":
    main()
