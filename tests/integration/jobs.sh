#!/usr/bin/env bash
# --jobs (issue 22): several scan engines over one input give the rows of one engine.  A loopback
# knotd serves 600 domains: a third share one MX host, a third have their own (mx201..mx400), a
# third have no MX (the domain itself is the MX); all have an _mta-sts record; one counting SMTP
# peer answers every MX (without STARTTLS) and policy fetches get a closed port.  Checked:
#   - the domain rows of --jobs 2 and --jobs 3 are those of --jobs 1 (sorted, scanned_at aside);
#   - the MX table of --jobs 2 has each (host, address) once with the same domains_sharing as
#     --jobs 1, and the SMTP peer saw one connection per MX host: a host shared by domains of
#     both engines is probed once (pipeline/mxroute);
#   - --rate holds for the scan as a whole: 400 domains at --rate 100 take at least 3.4 s with
#     --jobs 2 (an engine each with its own bucket would take half);
#   - --jobs above the smallest split limit is a usage error (exit 2).
set -euo pipefail
py=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: jobs.sh path/to/mtasts-scan}
. "$here/knot_env.sh"
tmp=$(mktemp -d)
[ -n "${JOBS_KEEP:-}" ] && echo "jobs: files in $tmp"
peer=""
cleanup() { [ -n "$peer" ] && kill "$peer" 2>/dev/null; knot_stop; [ -n "${JOBS_KEEP:-}" ] || rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

{
    printf '$ORIGIN jobs.test.\n$TTL 300\n@ SOA ns.jobs.test. h.jobs.test. 1 3600 600 86400 300\n'
    printf '@ NS ns.jobs.test.\nns A 127.0.0.1\nmx-shared A 127.0.0.1\n'
    for i in $(seq 1 600); do
        printf '_mta-sts.d%s TXT "v=STSv1; id=%s"\n' "$i" "$i"
        if [ "$i" -le 200 ]; then printf 'd%s MX 10 mx-shared.jobs.test.\n' "$i"
        elif [ "$i" -le 400 ]; then printf 'd%s MX 10 mx%s.jobs.test.\nmx%s A 127.0.0.1\n' "$i" "$i" "$i"
        else printf 'd%s A 127.0.0.1\n' "$i"; fi
    done
} > "$tmp/jobs.zone"
# shuffled, so that each engine gets domains of every kind
"$py" -c "
import random
r = list(range(1, 601)); random.Random(3).shuffle(r)
print('\n'.join(f'{k},d{k}.jobs.test' for k in r))" > "$tmp/in.csv"
knot_start "$tmp/jobs.zone"

start_peer() {
    rm -f "$tmp/port" "$tmp/report"
    python3 "$here/smtp_counter.py" "$tmp/port" "$tmp/report" &
    peer=$!
    for _ in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
}
stop_peer() { kill -TERM "$peer"; wait "$peer" || true; peer=""; }

scan() {   # scan JOBS NAME: the whole list, rows to NAME.csv, MX table to NAME-mx.csv
    "$bin" -q --jobs "$1" --starttls all --concurrency 200 --rate 0 --mx-rate-per-addr 0 \
        --mx-conn-per-addr 8 --https-rate-per-addr 0 --resolver "127.0.0.1:$KNOT_PORT" \
        --smtp-port "$(cat "$tmp/port")" --https-port 9 --timeout 5 --dns-timeout 1 --retries 3 \
        -o "$tmp/$2.csv" --mx-output "$tmp/$2-mx.csv" "$tmp/in.csv" 2>"$tmp/$2.err" \
        || { cat "$tmp/$2.err"; fail "--jobs $1 scan"; }
}

for j in 1 2 3; do
    start_peer
    scan "$j" "j$j"
    stop_peer
    head -1 "$tmp/report" > "$tmp/j$j.conns"
done

"$py" - "$tmp" <<'PY'
import csv, sys
tmp = sys.argv[1]
def rows(name):
    with open(f"{tmp}/{name}.csv", newline="") as f:
        r = list(csv.DictReader(f))
    for x in r:
        x.pop("scanned_at")
    return sorted(tuple(sorted(x.items())) for x in r)
def mx(name):
    with open(f"{tmp}/{name}-mx.csv", newline="") as f:
        r = list(csv.DictReader(f))
    keys = [(x["mx_host"], x["address"]) for x in r]
    if len(keys) != len(set(keys)):
        sys.exit(f"FAIL: {name}: an (MX host, address) has several rows")
    return {(x["mx_host"], x["address"]): x["domains_sharing"] for x in r}
one = rows("j1")
if len(one) != 600:
    sys.exit(f"FAIL: --jobs 1 wrote {len(one)} rows, want 600")
verdicts = {dict(x)["verdict"] for x in one}
for name in ("j2", "j3"):
    other = rows(name)
    if other != one:
        diff = [dict(x)["domain"] for x in set(other) ^ set(one)]
        sys.exit(f"FAIL: {name}: {len(diff)} rows differ from --jobs 1, e.g. {sorted(diff)[:5]}")
    if mx(name) != mx("j1"):
        sys.exit(f"FAIL: {name}: the MX table (hosts, addresses, domains_sharing) differs from --jobs 1")
    conns = open(f"{tmp}/{name}.conns").read().strip()
    if conns != open(f"{tmp}/j1.conns").read().strip() or int(conns) != 401:
        sys.exit(f"FAIL: {name}: {conns} SMTP connections, want 401 (one per MX host, the 200 implicit ones too) as --jobs 1")
shared = mx("j2")[("mx-shared.jobs.test", "127.0.0.1")]
if shared != "200":
    sys.exit(f"FAIL: mx-shared domains_sharing {shared} with --jobs 2, want 200")
print(f"jobs: --jobs 2 and 3 wrote the 600 rows of --jobs 1 ({', '.join(sorted(verdicts))}), "
      "each MX host probed once")
PY

# --rate is shared: 400 domains at 100/s (a burst of 10) take >= 3.9 s, >= 3.4 s allowed here
head -n 400 "$tmp/in.csv" > "$tmp/rate.csv"
t0=$(date +%s.%N)
"$bin" -q --jobs 2 --dns-only --rate 100 --resolver "127.0.0.1:$KNOT_PORT" --dns-timeout 1 \
    -o "$tmp/rate-out.csv" "$tmp/rate.csv" || fail "rate scan"
t1=$(date +%s.%N)
"$py" -c "
import sys
el = $t1 - $t0
if el < 3.4: sys.exit(f'FAIL: 400 domains at --rate 100 with --jobs 2 took {el:.2f} s, want >= 3.4 s')
print(f'jobs: --rate 100 held with --jobs 2 (400 domains in {el:.2f} s)')"
[ "$(($(wc -l < "$tmp/rate-out.csv") - 1))" = 400 ] || fail "rate scan rows"

rc=0
"$bin" -q --jobs 5 -o "$tmp/x.csv" "$tmp/rate.csv" 2>"$tmp/usage.err" || rc=$?
[ "$rc" = 2 ] && grep -q "at most 4 engines" "$tmp/usage.err" || { cat "$tmp/usage.err"; fail "--jobs 5 with --mx-conn-per-addr 4: exit $rc"; }
echo "jobs: passed"
