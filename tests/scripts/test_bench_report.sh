#!/usr/bin/env bash
# scripts/bench's table (scripts/bench.d/report.py) from a made-up run directory: the "DNS cost"
# part puts run 3, run 3c and dnsperf side by side with queries per second and CPU µs per query
# (user+sys / queries sent), and the issue 22 targets judge runs 3 and 3c against dnsperf's rate.
# scripts/bench-dns asks for exactly those runs.  Needs only python3.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
failed=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failed=1; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

printf 'n=100000\nseed=1\ngen_s=reused\nup_s=1\ncommit=test\n' >"$d/meta.env"
timev() { # wall user sys
    printf '\tUser time (seconds): %s\n\tSystem time (seconds): %s\n' "$2" "$3"
    printf '\tElapsed (wall clock) time (h:mm:ss or m:ss): 0:%s\n' "$1"
    printf '\tMaximum resident set size (kbytes): 51200\n'
}
timev 02.00 1.50 0.50 >"$d/3.time"
echo "scan: 100000 domains in 2.0s; dns 200000 sent 200000 answered 0 failed 0 timed out; https 0 fetches; smtp 0 probes of 0 hosts (0 cache hits)" >"$d/3.err"
timev 04.00 2.60 0.40 >"$d/3c.time"
echo "scan: 100000 domains in 4.0s; dns 200000 sent 200000 answered 0 failed 0 timed out; https 0 fetches; smtp 0 probes of 0 hosts (0 cache hits)" >"$d/3c.err"
timev 02.50 1.00 0.20 >"$d/4-c1-q100.time"
printf '  Queries sent:         200000\n  Queries completed:    200000 (100.00%%)\n  Queries lost:         0 (0.00%%)\n  Run time (s):         2.5\n  Queries per second:   80000.0\n' >"$d/4-c1-q100.out"

out=$($PY "$repo/scripts/bench.d/report.py" --run-dir "$d" --results "$d/results.jsonl" --no-append 2>&1)
rc=$?
[ $rc -eq 0 ] && ok "report.py: exit 0" || fail "report.py: exit $rc: $out"
chk() { # pattern what
    if grep -qE -- "$1" <<<"$out"; then ok "$2"; else fail "$2 (no line matching '$1')"; fi
}
chk '^DNS cost' "a DNS cost section"
chk '^  3  scan --dns-only +100,000 +10\.00 ' "run 3: 100,000 q/s, 10.00 µs CPU per query"
chk '^  3c scan --dns-only -c 5000 +50,000 +15\.00 ' "run 3c: 50,000 q/s, 15.00 µs CPU per query"
chk '^  4\* dnsperf -c 1 -q 100 +80,000 +6\.00 ' "dnsperf: 80,000 q/s, 6.00 µs CPU per query"
chk '^  run 3  / dnsperf: 1\.25x the queries per second, 1\.67x the CPU per query' "run 3 against dnsperf"
chk '^  run 3c / dnsperf: 0\.62x the queries per second, 2\.50x the CPU per query' "run 3c against dnsperf"
chk 'run 3  >= dnsperf q/s \(issue 22\): +100,000 / 80,000 = 125% +MET' "target: run 3 at dnsperf's rate"
chk 'run 3c >= dnsperf q/s \(issue 22\): +50,000 / 80,000 = 62% +MISSED' "target: run 3c below it"
grep -q -- '--runs 3,3c,4 --no-docs' "$repo/scripts/bench-dns" && ok "bench-dns runs 3, 3c and 4" ||
    fail "bench-dns does not ask scripts/bench for runs 3,3c,4"
grep -q '3c) scan_3c' "$repo/scripts/bench" && ok "scripts/bench knows run 3c" || fail "scripts/bench has no run 3c"
[ $failed -eq 0 ] || echo "$out"
exit $failed
