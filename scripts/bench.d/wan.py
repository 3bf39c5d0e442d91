#!/usr/bin/env python3
"""
wan.py: scripts/bench --wan.  mtasts-scan on the testnet with distance (scripts/testnet up
--recursive --wan: unbound over a root/TLD/zone hierarchy, the relay between unbound and every
server), for several RTT distributions and --concurrency values, beside the bound
min(CPU limit, concurrency / mean domain latency) and the Node peer under the same conditions.

  scripts/bench --wan [--domains N] [--seed S] [--rtts 20,100,300] [--loss 0.01]
                      [--concurrency 250,1000,3000] [--peer-concurrency 1000,3000] [--no-peer]
                      [--defaults-rtts 100] [--keep] [--no-docs]

Per RTT (median, jitter a fifth of it, LOSS per datagram and direction): the testnet is brought up
with that distance; the mean domain latency L is measured by Little's law from a scan of the first
LAT_SAMPLE domains at concurrency 50 (CPU and limits idle: throughput = 50 / L); then each
--concurrency value scans all N domains (unbound restarted before each scan: a cold cache, as for
a new list), and the peer scans them at each --peer-concurrency value (its own L measured the
same way, so that its bound is its own).  CPU limit = N / (the scan's user+sys
CPU seconds): the scanner's event loop is one thread.  Scanner flags: the defaults, except --rate 0
and the per-address politeness limits lifted (every policy and MX host of the testnet shares a few
dozen addresses, as in the flat benchmark; on the internet they are spread).  Each scan's rows are
compared with truth.csv: a difference caused by latency alone is a failure.  At each
--defaults-rtts RTT one more scan runs with every option at its default (politeness limits and
--rate included), the set-up a user gets, and is compared with the truth too.

Writes BENCH_DIR/wan-<N>-<seed>-<time>/ (rows, stderr, results.json, table.txt, chart) and, unless
--no-docs, the table and docs/benchmark-wan.png into docs/benchmark.md ("## WAN" section).
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TN = os.path.join(REPO, "scripts", "testnet")
LIFT = ["--rate", "0", "--mx-conn-per-addr", "64", "--mx-rate-per-addr", "0",
        "--https-conn-per-addr", "64", "--https-rate-per-addr", "0"]
LAT_SAMPLE = 2000
LAT_CONCURRENCY = 50
DEFAULT_CONCURRENCY = 1000   # the scanner's --concurrency default (pipeline/config.c)
DEFAULT_RATE = 1000          # its --rate default: new domains per second


def log(msg):
    print("bench --wan: " + msg, file=sys.stderr, flush=True)


def tn(*args, check=True):
    r = subprocess.run([TN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check and r.returncode != 0:
        sys.exit("bench --wan: scripts/testnet %s failed:\n%s" % (" ".join(args), r.stdout[-3000:]))
    return r.stdout


class Sampler(threading.Thread):
    """Every half second: the CPU seconds of the tool (the mtasts-scan or node process whose
    command line holds `marker`), of unbound and of the relay.  window(a, b) gives their shares
    between two times, in % of one core: what ran during the steady part of a scan, without the
    ramp-up and the --timeout tail, whose idle seconds would hide a saturated process in an
    average over the whole run.  (Per-process times only: on this VM the machine's /proc/stat
    totals over a few seconds did not add up to 2 cores per second.)"""

    def __init__(self, marker, state):
        super().__init__(daemon=True)
        self.marker = marker
        self.pidfiles = {"unbound": os.path.join(state, "run", "unbound", "unbound.pid"),
                         "relay": os.path.join(state, "run", "relay.pid")}
        self.samples = []
        self.tool_pid = None
        self.done = threading.Event()

    def find_tool(self):
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open("/proc/%s/comm" % name) as f:
                    comm = f.read().strip()
                if comm not in ("mtasts-scan", "node"):
                    continue
                with open("/proc/%s/cmdline" % name, "rb") as f:
                    if self.marker.encode() in f.read():
                        return name
            except OSError:
                continue
        return None

    def run(self):
        while not self.done.is_set():
            if self.tool_pid is None:
                self.tool_pid = self.find_tool()
            sample = {"t": time.time(),
                      "tool": proc_cpu_pid(self.tool_pid) if self.tool_pid else None,
                      "unbound": proc_cpu(self.pidfiles["unbound"]),
                      "relay": proc_cpu(self.pidfiles["relay"])}
            self.samples.append(sample)
            self.done.wait(0.5)

    def stop(self):
        self.done.set()
        self.join()

    def window(self, a, b):
        inside = [x for x in self.samples if a <= x["t"] <= b and x["tool"] is not None]
        if len(inside) < 2:
            return None
        x, y = inside[0], inside[-1]
        span = y["t"] - x["t"]
        return {k: 100.0 * (y[k] - x[k]) / span for k in ("tool", "unbound", "relay")}


def timed(cmd, out_prefix, state=None):
    """Runs cmd in the scanner's namespace under /usr/bin/time -v; returns wall, cpu, rss, rc and,
    with state (the testnet's runtime directory), the Sampler of the run."""
    t0 = time.time()
    sampler = None
    if state:
        sampler = Sampler(out_prefix, state)
        sampler.start()
    with open(out_prefix + ".err", "w") as err, open(out_prefix + ".out", "w") as out:
        rc = subprocess.call([TN, "exec", "--", "/usr/bin/time", "-v", "-o", out_prefix + ".time"]
                             + cmd, stdout=out, stderr=err)
    wall = time.time() - t0
    if sampler:
        sampler.stop()
    tv = open(out_prefix + ".time").read()
    user = float(re.search(r"User time \(seconds\): ([0-9.]+)", tv).group(1))
    sys_ = float(re.search(r"System time \(seconds\): ([0-9.]+)", tv).group(1))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): ([0-9]+)", tv).group(1)) / 1024.0
    return {"wall": wall, "cpu": user + sys_, "rss_mb": rss, "rc": rc, "sampler": sampler}


def steady(r, rows_path, column="scanned_at"):
    """Sets r's rate (steady, see steady_window) and the CPU shares in that window."""
    sampler = r.pop("sampler", None)
    win = steady_window(rows_path, column)
    r["rate_wall"] = r["domains"] / r["wall"]
    r["rate"] = win[0] if win else r["rate_wall"]
    if win and sampler:
        r["steady_cpu"] = sampler.window(win[1], win[2])


def differences(truth, rows, out_prefix):
    r = subprocess.run([sys.executable, os.path.join(REPO, "tests", "e2e", "compare_truth.py"),
                        "--max-print", "5", truth, rows], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    with open(out_prefix + ".truth", "w") as f:
        f.write(r.stdout)
    m = re.search(r"([0-9,]+) differ", r.stdout)
    return int(m.group(1).replace(",", "")) if m else (0 if r.returncode == 0 else -1)


def steady_window(rows_path, column="scanned_at"):
    """Domains/s between the 10th and 90th percentile of the rows' finish times (the scanner's
    scanned_at, 1 s resolution; the peer's finished_at, Unix seconds): the throughput of the scan
    itself, without the ramp-up and the tail of the slowest domains (a tarpit holds one for
    --timeout whatever the throughput).  Returns (rate, t10, t90) or None."""
    import csv
    import datetime
    if rows_path.endswith(".zst"):
        text = subprocess.run(["zstd", "-dc", rows_path], stdout=subprocess.PIPE, text=True).stdout
    else:
        text = open(rows_path).read()
    ts = []
    for r in csv.DictReader(text.splitlines()):
        v = r.get(column, "")
        if not v:
            continue
        if column == "scanned_at":
            ts.append(datetime.datetime.strptime(v, "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=datetime.timezone.utc).timestamp())
        else:
            ts.append(float(v))
    ts.sort()
    if len(ts) < 10:
        return None
    a, b = ts[len(ts) // 10], ts[len(ts) * 9 // 10]
    return 0.8 * len(ts) / max(1.0, b - a), a, b


def steady_rate(rows_path, column="scanned_at"):
    w = steady_window(rows_path, column)
    return w[0] if w else None


def proc_cpu_pid(pid):
    """user+sys CPU seconds of process pid, its threads included (0 when gone)."""
    try:
        with open("/proc/%s/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def proc_cpu(pidfile):
    """user+sys CPU seconds of the process named by pidfile (0 when gone)."""
    try:
        with open(pidfile) as f:
            return proc_cpu_pid(f.read().strip())
    except OSError:
        return 0.0


def relay_stats(state):
    pid = open(os.path.join(state, "run", "relay.pid")).read().strip()
    os.kill(int(pid), 10)   # SIGUSR1: the relay writes its counters
    time.sleep(0.5)
    with open(os.path.join(state, "run", "relay.stats")) as f:
        return json.loads(f.read())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--domains", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rtts", default="20,100,300")
    ap.add_argument("--loss", type=float, default=0.01)
    ap.add_argument("--concurrency", default="250,1000,3000")
    ap.add_argument("--peer-concurrency", default="1000,3000")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--defaults-rtts", default="100",
                    help="RTTs at which one more scan runs with every option at its default")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--no-docs", action="store_true")
    ap.add_argument("--scan", default=os.environ.get("MTASTS_SCAN", os.path.join(REPO, "build", "mtasts-scan")))
    args = ap.parse_args()
    # SIGTERM (a job's time limit, kill) and SIGINT end the run through the finally below, which
    # brings the testnet down; a shell's background job starts with SIGINT ignored: undo that.
    signal.signal(signal.SIGTERM, lambda sig, frame: sys.exit(128 + sig))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if os.geteuid() != 0:
        sys.exit("bench --wan: must run as root")
    bench_dir = os.environ.get("BENCH_DIR", os.path.join(REPO, "bench-data"))
    os.environ.setdefault("TESTNET_NS", "mtasts-wanbench")
    data = os.path.join(bench_dir, "testnet-wan-%d-%d" % (args.domains, args.seed))
    os.environ["TESTNET_DIR"] = data
    state = os.environ.get("TESTNET_STATE", "/var/lib/mtasts-testnet/" + os.environ["TESTNET_NS"])
    run_dir = os.path.join(bench_dir, "wan-%d-%d-%s" % (args.domains, args.seed,
                                                         time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())))
    os.makedirs(run_dir)
    log("results in " + run_dir)
    tn("down", check=False)
    meta = os.path.join(data, "gen", "meta.json")
    if not (os.path.exists(meta) and json.load(open(meta))["domains"] == args.domains
            and json.load(open(meta))["seed"] == args.seed):
        log("generating %d domains (seed %d)" % (args.domains, args.seed))
        tn("gen", "--domains", str(args.domains), "--seed", str(args.seed))
    domains = os.path.join(data, "domains.txt")
    truth = os.path.join(data, "truth.csv")
    sample = os.path.join(run_dir, "sample.txt")
    with open(domains) as f, open(sample, "w") as g:
        for i, line in enumerate(f):
            if i >= LAT_SAMPLE:
                break
            g.write(line)
    plain = [args.scan, "-q", "--resolver", "127.0.0.1", "--ca-file", os.path.join(data, "ca.pem")]
    base = plain + LIFT
    defaults_rtts = [float(x) for x in args.defaults_rtts.split(",") if x]
    results = []
    try:
        for rtt in [float(x) for x in args.rtts.split(",")]:
            spec = "%g:%g:%g" % (rtt, rtt / 5, args.loss)
            tn("down", check=False)
            log("up --recursive --wan " + spec)
            tn("up", "--recursive", "--wan", spec)
            tn("resolver-restart")
            p = os.path.join(run_dir, "lat-%g" % rtt)
            r = timed(base + ["--concurrency", str(LAT_CONCURRENCY), "-o", p + ".csv", sample], p)
            n_sample = sum(1 for _ in open(sample))
            lat = LAT_CONCURRENCY / (steady_rate(p + ".csv") or n_sample / r["wall"])
            log("RTT %g ms: mean domain latency %.3f s (%d domains at concurrency %d in %.1f s)"
                % (rtt, lat, n_sample, LAT_CONCURRENCY, r["wall"]))
            def scan(c, flags, kind, name, rate_limit=float("inf")):
                tn("resolver-restart")
                p = os.path.join(run_dir, name)
                relay0 = proc_cpu(os.path.join(state, "run", "relay.pid"))
                r = timed(flags + ["-o", p + ".csv.zst", domains], p, state)
                # unbound was restarted just before: its CPU time is this scan's
                r["unbound_cpu"] = proc_cpu(os.path.join(state, "run", "unbound", "unbound.pid"))
                r["relay_cpu"] = proc_cpu(os.path.join(state, "run", "relay.pid")) - relay0
                r.update(kind=kind, rtt=rtt, loss=args.loss, concurrency=c, latency=lat,
                         domains=args.domains, diff=differences(truth, p + ".csv.zst", p),
                         relay=relay_stats(state))
                steady(r, p + ".csv.zst")
                r["cpu_limit"] = args.domains / r["cpu"] if r["cpu"] > 0 else float("inf")
                r["bound"] = min(r["cpu_limit"], c / lat, rate_limit)
                results.append(r)
                log("RTT %g c=%d %s: %.0f domains/s (bound %.0f = %.0f%%), CPU %.1f s, %d differ from truth"
                    % (rtt, c, kind, r["rate"], r["bound"], 100 * r["rate"] / r["bound"], r["cpu"], r["diff"]))

            for c in [int(x) for x in args.concurrency.split(",")]:
                scan(c, base + ["--concurrency", str(c)], "scan", "scan-%g-c%d" % (rtt, c))
            if rtt in defaults_rtts:
                # every option at its default, politeness limits and start rate included: what a
                # user who types only the resolver gets; its rows must match the truth as well
                scan(DEFAULT_CONCURRENCY, plain, "defaults", "defaults-%g" % rtt, DEFAULT_RATE)
            if not args.no_peer:
                peer = ["node", os.path.join(HERE, "peer.mjs"), "--resolver", "127.0.0.1",
                        "--ca-file", os.path.join(data, "ca.pem"), "--timeout", "10"]
                # the peer's own mean domain latency, measured as the scanner's
                tn("resolver-restart")
                p = os.path.join(run_dir, "peer-lat-%g" % rtt)
                r = timed(peer + ["--concurrency", str(LAT_CONCURRENCY), "--out", p + ".csv", sample], p)
                peer_lat = LAT_CONCURRENCY / (steady_rate(p + ".csv", "finished_at") or n_sample / r["wall"])
                log("RTT %g ms: the peer's mean domain latency %.3f s" % (rtt, peer_lat))
                for c in [int(x) for x in args.peer_concurrency.split(",")]:
                    tn("resolver-restart")
                    p = os.path.join(run_dir, "peer-%g-c%d" % (rtt, c))
                    relay0 = proc_cpu(os.path.join(state, "run", "relay.pid"))
                    r = timed(peer + ["--concurrency", str(c), "--out", p + ".csv", domains], p, state)
                    r.update(kind="peer", rtt=rtt, loss=args.loss, concurrency=c, latency=peer_lat,
                             domains=args.domains)
                    r["unbound_cpu"] = proc_cpu(os.path.join(state, "run", "unbound", "unbound.pid"))
                    r["relay_cpu"] = proc_cpu(os.path.join(state, "run", "relay.pid")) - relay0
                    steady(r, p + ".csv", "finished_at")
                    r["cpu_limit"] = args.domains / r["cpu"] if r["cpu"] > 0 else float("inf")
                    r["bound"] = min(r["cpu_limit"], c / peer_lat)
                    results.append(r)
                    log("RTT %g peer c=%d: %.0f domains/s (wall %.0f), CPU %.1f s"
                        % (rtt, c, r["rate"], r["rate_wall"], r["cpu"]))
            with open(os.path.join(run_dir, "results.json"), "w") as f:
                json.dump(results, f, indent=1)
    finally:
        if not args.keep:
            tn("down", check=False)
    cmd = ("scripts/bench --wan --domains %d --seed %d --rtts %s --loss %g --concurrency %s "
           "--peer-concurrency %s --defaults-rtts %s" % (args.domains, args.seed, args.rtts, args.loss,
                                                         args.concurrency, args.peer_concurrency,
                                                         args.defaults_rtts or '""'))
    plot_py = os.environ.get("PYTHON_PLOT", "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable)
    rep = [plot_py, os.path.join(HERE, "wan_report.py"), run_dir, "--command", cmd]
    if not args.no_docs:
        rep += ["--docs", os.path.join(REPO, "docs", "benchmark.md"),
                "--chart", os.path.join(REPO, "docs", "benchmark-wan.png")]
    subprocess.check_call(rep)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted; the testnet was brought down (results so far in the run directory)")
        sys.exit(130)
