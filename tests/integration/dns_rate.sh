#!/usr/bin/env bash
# --dns-rate: the resolver receives at most N queries per second.  A DNS server on loopback
# (dns_logger.py) timestamps every query it receives.  A control scan without the limit shows the
# server takes queries far faster than N; the limited scan must then stay within N per second in
# every one-second window (plus the bucket's burst of N/20 and 5% for timing jitter) and still
# average close to N (the limiter paces, it does not stall).  With two --resolver servers the
# limit is the total of both (docs/scale-out.md says why), counted over both servers' logs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: dns_rate.sh path/to/mtasts-scan}
rate=${DNS_RATE:-200}
domains=${DNS_RATE_DOMAINS:-150}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

: > "$tmp/zone"   # every name NXDOMAIN: each query is answered at once
seq 1 "$domains" | sed 's/.*/d&.rate.test/' > "$tmp/domains"

scan() {    # scan TAG SERVERS [options...]: one scan against SERVERS fresh servers; queries in TAG.log
    local tag=$1 servers=$2 resolvers="" k
    shift 2
    for k in $(seq 1 "$servers"); do
        rm -f "$tmp/port$k"
        python3 "$here/dns_logger.py" "$tmp/zone" "$tmp/port$k" "$tmp/$tag.log" &
        pids+=($!)
        for _ in $(seq 1 100); do [ -s "$tmp/port$k" ] && break; sleep 0.1; done
        resolvers="$resolvers${resolvers:+,}127.0.0.1:$(cat "$tmp/port$k")"
    done
    "$bin" -q --dns-only --rate 0 --concurrency 1000 --resolver "$resolvers" \
        --timeout 20 -o "$tmp/$tag.csv" "$@" "$tmp/domains"
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    pids=()
}

scan unlimited 1
scan limited 1 --dns-rate "$rate"
scan two 2 --dns-rate "$rate"

python3 - "$tmp" "$rate" "$domains" <<'EOF'
import bisect, sys
tmp, rate, domains = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])

def stats(tag):
    t = sorted(float(l.split()[0]) for l in open(f"{tmp}/{tag}.log") if l.strip())
    # most queries received in any one-second window [t_i, t_i + 1)
    peak = max(bisect.bisect_left(t, x + 1.0) - i for i, x in enumerate(t))
    return len(t), t[-1] - t[0], peak

fail = []
n_u, span_u, peak_u = stats("unlimited")
burst = max(1.0, rate / 20)
cap = (rate + burst) * 1.05
print(f"unlimited: {n_u} queries in {span_u:.2f}s, peak {peak_u} in one second")
if n_u < 3 * domains:
    fail.append(f"too few queries unlimited ({n_u}; at least 3 per domain)")
if peak_u <= 2 * rate:
    fail.append(f"control: the server only took {peak_u}/s unlimited: the test cannot tell the limiter works")
for tag, what in (("limited", "one server"), ("two", "two servers, counted together")):
    n_l, span_l, peak_l = stats(tag)
    avg = (n_l - burst) / span_l
    print(f"--dns-rate {rate:g}, {what}: {n_l} queries in {span_l:.2f}s "
          f"(average {avg:.1f}/s), peak {peak_l} in one second (cap {cap:.0f})")
    if n_l < 3 * domains:
        fail.append(f"{tag}: too few queries ({n_l}; at least 3 per domain)")
    if peak_l > cap:
        fail.append(f"{tag}: peak {peak_l} queries in one second > {cap:.0f}")
    if not 0.85 * rate <= avg <= 1.05 * rate:
        fail.append(f"{tag}: average {avg:.1f}/s not within 85-105% of {rate:g}")
for f in fail:
    print("FAIL:", f)
if not fail:
    print("dns_rate: the server saw the rate hold")
sys.exit(1 if fail else 0)
EOF
