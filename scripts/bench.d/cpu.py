#!/usr/bin/env python3
"""
cpu.py: where the machine's CPU time went during one benchmark run.

  cpu.py snap NS OUT.json          snapshot: /proc/stat totals and the CPU time of every process
                                   in network namespace NS (the testnet's servers)
  cpu.py diff BEFORE.json AFTER.json
                                   prints JSON: seconds of CPU used between the snapshots by
                                   knot, nginx, postfix, tarpit (inside NS), by the whole machine
                                   ("busy"), and the idle seconds and number of CPUs

A server's time is utime+stime of the process plus cutime+cstime (children it reaped: postfix's
master reaps its smtpd processes).  A child that exits between the snapshots moves its whole
lifetime into its parent's cutime; what it had used before the first snapshot is taken off again,
so that an smtpd started by an earlier run and reaped during this one counts only its share.  The measured tool itself (scanner, dnsperf, node) has exited
before the second snapshot and is not in it: scripts/bench takes its user+sys from /usr/bin/time,
and reports the rest of "busy" as "other" (other programs on the machine, which a shared box has).
"""
import json
import os
import sys

CLK = os.sysconf("SC_CLK_TCK")


def proc_stat():
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu "):
                v = [int(x) for x in line.split()[1:]]
                # user nice system idle iowait irq softirq steal guest guest_nice
                idle = v[3] + v[4]
                busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
                return busy, idle
    raise RuntimeError("no cpu line in /proc/stat")


def category(pid):
    try:
        exe = os.readlink("/proc/%d/exe" % pid)
    except OSError:
        exe = ""
    with open("/proc/%d/comm" % pid) as f:
        comm = f.read().strip()
    if comm == "knotd" or exe.endswith("/knotd"):
        return "knot"
    if exe.endswith("/nginx"):
        return "nginx"
    if "/postfix/" in exe:
        return "postfix"
    if comm.startswith("python"):
        return "tarpit"
    return "ns_other"


def snap(ns, out):
    ino = os.stat("/run/netns/%s" % ns).st_ino
    procs = {}
    busy, idle = proc_stat()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        try:
            if os.stat("/proc/%d/ns/net" % pid).st_ino != ino:
                continue
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            # after "pid (comm)": state=0 ... utime=11 stime=12 cutime=13 cstime=14 starttime=19
            t = sum(int(fields[i]) for i in (11, 12, 13, 14))
            procs[name] = {"cat": category(pid), "ticks": t, "start": int(fields[19])}
        except (OSError, IndexError, ValueError):
            continue  # exited while we looked
    with open(out, "w") as f:
        json.dump({"busy": busy, "idle": idle, "procs": procs, "ncpu": os.cpu_count()}, f)


def diff(a_path, b_path):
    with open(a_path) as f:
        a = json.load(f)
    with open(b_path) as f:
        b = json.load(f)
    cats = {"knot": 0, "nginx": 0, "postfix": 0, "tarpit": 0, "ns_other": 0}
    for pid, p in b["procs"].items():
        q = a["procs"].get(pid)
        before = q["ticks"] if q and q["start"] == p["start"] else 0
        cats[p["cat"]] = cats.get(p["cat"], 0) + max(0, p["ticks"] - before)
    for pid, q in a["procs"].items():
        p = b["procs"].get(pid)
        if p is None or p["start"] != q["start"]:   # exited: its parent (same server) reaped it
            cats[q["cat"]] = cats.get(q["cat"], 0) - q["ticks"]
    res = {k: round(max(0, v) / CLK, 2) for k, v in cats.items()}
    res["busy"] = round((b["busy"] - a["busy"]) / CLK, 2)
    res["idle"] = round((b["idle"] - a["idle"]) / CLK, 2)
    res["ncpu"] = b["ncpu"]
    print(json.dumps(res, sort_keys=True))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "snap":
        snap(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "diff":
        diff(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: cpu.py snap NS OUT.json | cpu.py diff BEFORE.json AFTER.json")


if __name__ == "__main__":
    main()
