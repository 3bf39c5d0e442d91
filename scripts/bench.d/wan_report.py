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


def peer_at(results, rtt, concurrency):
    """The peer's run at this RTT and concurrency, else its fastest at this RTT, else None."""
    ps = [r for r in results if r["kind"] == "peer" and r["rtt"] == rtt]
    same = [r for r in ps if r["concurrency"] == concurrency]
    if same:
        return same[0]
    return max(ps, key=lambda r: r["rate"]) if ps else None


def row(r, tool, vs):
    ur = ("%.0f/%.0f" % (r["unbound_cpu"], r.get("relay_cpu", 0))) if "unbound_cpu" in r else "-"
    bound = r.get("bound")
    sc = r.get("steady_cpu")
    cpu = ("%d/%d/%d" % tuple(round(sc[k]) for k in ("tool", "unbound", "relay")) if sc else "-")
    return "%-6g %-5g %6d %9.0f %9.0f %9s %7s %9s %8s %6.1f %7.1f %6s %8s %-11s %-7s %s" % (
        r["rtt"], r["loss"], r["concurrency"], r["rate"], r["rate_wall"],
        ("%.0f" % bound) if bound else "-",
        ("%.0f%%" % (100 * r["rate"] / bound)) if bound else "-",
        ("%.0f" % r["cpu_limit"]) if "cpu_limit" in r else "-",
        ("%.3f" % r["latency"]) if "latency" in r else "-",
        r["cpu"], r["rss_mb"], str(r["diff"]) if "diff" in r else "-", ur, cpu, vs, tool)


def table(results, command):
    lines = ["command: " + command, ""]
    lines.append("%-6s %-5s %6s %9s %9s %9s %7s %9s %8s %6s %7s %6s %8s %-11s %-7s %s" % (
        "RTT ms", "loss", "conc", "domains/s", "wall d/s", "bound", "of bnd", "cpu lim", "L s", "CPU s",
        "RSS MB", "diff", "unb/rly", "cpu% t/u/r", "vs peer", "tool"))
    for r in results:
        if r["kind"] == "scan":
            p = [x for x in results if x["kind"] == "peer" and x["rtt"] == r["rtt"]
                 and x["concurrency"] == r["concurrency"]]
            vs = ("%.1fx" % (r["rate"] / p[0]["rate"])) if p else "-"
            lines.append(row(r, "mtasts-scan", vs))
    for r in results:
        if r["kind"] == "defaults":
            lines.append(row(r, "mtasts-scan, every option at its default (--rate 1000, politeness limits)", "-"))
    for r in results:
        if r["kind"] == "peer":
            lines.append(row(r, "peer (node+mailauth)", "-"))
    lines.append("")
    lines.append("domains/s: between the 10th and 90th percentile of the rows' finish times (the scan's throughput);")
    lines.append("wall d/s: domains / wall time, including ramp-up and the --timeout tail (tarpit, blackholes);")
    lines.append("bound = min(cpu lim, conc / L); cpu lim = domains / the tool's CPU seconds (one event loop);")
    lines.append("L = the tool's mean domain latency (Little's law at concurrency 50 on the first 2,000 domains);")
    lines.append("diff = rows that differ from truth.csv (compare_truth); unb/rly = CPU seconds of unbound and")
    lines.append("of the relay during the run; cpu% t/u/r: CPU in % of one core between the 10th and 90th")
    lines.append("percentile of the finish times (the steady part) of the tool, unbound (one thread: 100 is its")
    lines.append("ceiling) and the relay;")
    lines.append("vs peer = domains/s over the peer's at the same concurrency.")
    return "\n".join(lines)


def targets(results):
    out = []
    for r in results:
        if r["kind"] == "scan" and r["rtt"] == 100 and r["concurrency"] == 1000:
            of = r["rate"] / r["bound"]
            out.append("target at 100 ms, loss %g, default --concurrency 1000: %.0f%% of the bound "
                       "(>= 70%%: %s)" % (r["loss"], 100 * of, "MET" if of >= 0.7 else "NOT MET"))
            same = peer_at(results, 100, 1000)
            best = max([x for x in results if x["kind"] == "peer" and x["rtt"] == 100],
                       key=lambda x: x["rate"], default=None)
            for label, p in (("at the same concurrency", same), ("at its fastest concurrency", best)):
                if p:
                    x = r["rate"] / p["rate"]
                    out.append("  %.1fx the peer %s (c=%d: %.0f domains/s; >= 5x: %s)"
                               % (x, label, p["concurrency"], p["rate"], "MET" if x >= 5 else "NOT MET"))
            out.append("  rows differing from the truth: %d (0: %s)" % (r["diff"], "MET" if r["diff"] == 0 else "NOT MET"))
    for r in results:
        if r["kind"] == "defaults":
            out.append("every option at its default, RTT %g ms: rows differing from the truth: %d (0: %s)"
                       % (r["rtt"], r["diff"], "MET" if r["diff"] == 0 else "NOT MET"))
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
        ps = sorted([r for r in results if r["kind"] == "peer" and r["rtt"] == rtt],
                    key=lambda r: r["concurrency"])
        if ps:
            ax.plot([p["concurrency"] for p in ps], [p["rate"] for p in ps], "x:", color=col,
                    markersize=10, label="peer (node), RTT %g ms" % rtt)
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
