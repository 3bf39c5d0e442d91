#!/usr/bin/env python3
"""
wan_report.py RUN_DIR [--command CMD] [--docs docs/benchmark.md] [--chart PNG]: the table and the
chart of scripts/bench --wan (from RUN_DIR/results.json).  With --docs, replaces the section
between "<!-- wan:begin -->" and "<!-- wan:end -->" (appended under "## WAN" when absent).
"""

import argparse
import json
import os
import sys


def table(results, command):
    lines = ["command: " + command, ""]
    lines.append("%-6s %-5s %6s %9s %9s %9s %7s %9s %8s %6s %7s %6s %8s %s" % (
        "RTT ms", "loss", "conc", "domains/s", "wall d/s", "bound", "of bnd", "cpu lim", "L s", "CPU s",
        "RSS MB", "diff", "unb/rly", "vs peer"))
    peers = {r["rtt"]: r for r in results if r["kind"] == "peer"}
    for r in results:
        if r["kind"] == "scan":
            p = peers.get(r["rtt"])
            ur = ("%.0f/%.0f" % (r["unbound_cpu"], r["relay_cpu"])) if "unbound_cpu" in r else "-"
            lines.append("%-6g %-5g %6d %9.0f %9.0f %9.0f %6.0f%% %9.0f %8.3f %6.1f %7.1f %6d %8s %s" % (
                r["rtt"], r["loss"], r["concurrency"], r["rate"], r["rate_wall"], r["bound"],
                100 * r["rate"] / r["bound"], r["cpu_limit"], r["latency"], r["cpu"], r["rss_mb"],
                r["diff"], ur, ("%.1fx" % (r["rate_wall"] / p["rate"])) if p else "-"))
    for r in results:
        if r["kind"] == "peer":
            lines.append("%-6g %-5g %6d %9s %9.0f %9s %7s %9s %8s %6.1f %7.1f %6s %8s peer (node+mailauth)" % (
                r["rtt"], r["loss"], r["concurrency"], "-", r["rate"], "-", "-", "-", "-", r["cpu"],
                r["rss_mb"], "-", "-"))
    lines.append("")
    lines.append("domains/s: between the 10th and 90th percentile of the rows' finish times (the scan's throughput);")
    lines.append("wall d/s: domains / wall time, including ramp-up and the --timeout tail (tarpit, blackholes);")
    lines.append("bound = min(cpu lim, conc / L); cpu lim = domains / the scan's CPU seconds (one event loop);")
    lines.append("L = mean domain latency (Little's law at concurrency 50 on the first 2,000 domains);")
    lines.append("diff = rows that differ from truth.csv (compare_truth); vs peer: wall d/s over the peer's;")
    lines.append("unb/rly = CPU seconds of unbound and of the relay during the scan (same 2 cores as the scanner).")
    return "\n".join(lines)


def targets(results):
    out = []
    for r in results:
        if r["kind"] == "scan" and r["rtt"] == 100 and r["concurrency"] == 1000:
            p = [x for x in results if x["kind"] == "peer" and x["rtt"] == 100]
            of = r["rate"] / r["bound"]
            out.append("target at 100 ms, loss %g, default --concurrency 1000: %.0f%% of the bound "
                       "(>= 70%%: %s)" % (r["loss"], 100 * of, "MET" if of >= 0.7 else "NOT MET"))
            if p:
                x = r["rate_wall"] / p[0]["rate"]
                out.append("  %.1fx the peer (>= 5x: %s)" % (x, "MET" if x >= 5 else "NOT MET"))
            out.append("  rows differing from the truth: %d (0: %s)" % (r["diff"], "MET" if r["diff"] == 0 else "NOT MET"))
    return "\n".join(out)


def chart(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 5))
    rtts = sorted({r["rtt"] for r in results})
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple"]
    for i, rtt in enumerate(rtts):
        col = colours[i % len(colours)]
        sc = sorted([r for r in results if r["kind"] == "scan" and r["rtt"] == rtt],
                    key=lambda r: r["concurrency"])
        if sc:
            ax.plot([r["concurrency"] for r in sc], [r["rate"] for r in sc], "o-", color=col,
                    label="mtasts-scan, RTT %g ms" % rtt)
            ax.plot([r["concurrency"] for r in sc], [r["bound"] for r in sc], "--", color=col,
                    alpha=0.6, label="bound, RTT %g ms" % rtt)
        for p in [r for r in results if r["kind"] == "peer" and r["rtt"] == rtt]:
            ax.plot([p["concurrency"]], [p["rate"]], "x", color=col, markersize=10,
                    label="peer (node), RTT %g ms" % rtt)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("--concurrency (domains in flight)")
    ax.set_ylabel("domains/s")
    loss = sorted({r["loss"] for r in results})
    ax.set_title("Throughput on the testnet with distance (unbound, loss %s)" % ",".join("%g" % x for x in loss))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    ap.add_argument("--command", default="scripts/bench --wan")
    ap.add_argument("--docs")
    ap.add_argument("--chart")
    args = ap.parse_args()
    results = json.load(open(os.path.join(args.run_dir, "results.json")))
    text = table(results, args.command) + "\n\n" + targets(results)
    print(text)
    with open(os.path.join(args.run_dir, "table.txt"), "w") as f:
        f.write(text + "\n")
    png = args.chart or os.path.join(args.run_dir, "wan.png")
    chart(results, png)
    if args.docs:
        doc = open(args.docs).read()
        block = ("<!-- wan:begin -->\nLast `scripts/bench --wan` run (%s):\n\n```\n%s\n```\n\n"
                 "![throughput against concurrency](%s)\n<!-- wan:end -->"
                 % (os.path.basename(args.run_dir.rstrip("/")), text, os.path.basename(png)))
        if "<!-- wan:begin -->" in doc:
            a = doc.index("<!-- wan:begin -->")
            b = doc.index("<!-- wan:end -->") + len("<!-- wan:end -->")
            doc = doc[:a] + block + doc[b:]
        else:
            doc = doc.rstrip("\n") + "\n\n## WAN: the scanner on a testnet with distance\n\n" + block + "\n"
        with open(args.docs, "w") as f:
            f.write(doc)


if __name__ == "__main__":
    main()
