#!/usr/bin/env bash
# Integration test of --retry-timeouts: a policy host and an MX that accept TCP and never answer
# (a loaded server that neither greets nor answers the ClientHello), on loopback behind a real
# knotd.  With the default (one retry) each is connected to twice (0.5 s apart at --timeout 1), and the row's
# retried column names both steps; with --retry-timeouts 0 once each and the column is empty.
# The verdicts stay what a timeout gives (invalid, policy_timeout).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: retry_timeouts.sh path/to/mtasts-scan}
. "$here/knot_env.sh"
tmp=$(mktemp -d)
peer=""
cleanup() { [ -n "$peer" ] && kill "$peer" 2>/dev/null; knot_stop; rm -rf "$tmp"; }
trap cleanup EXIT

cat > "$tmp/test.zone" <<'ZONE'
$ORIGIN test.
$TTL 300
@ SOA ns.test. host.test. 1 3600 600 86400 300
@ NS ns.test.
ns A 127.0.0.1
slow MX 10 mx.slow.test.
mx.slow A 127.0.0.1
_mta-sts.slow TXT "v=STSv1; id=slow1"
mta-sts.slow A 127.0.0.1
ZONE
knot_start "$tmp/test.zone"
echo "1,slow.test" > "$tmp/in.csv"

run() {   # run NAME [FLAGS...]: one scan against a fresh silent peer; prints its connection count
    local name=$1
    shift
    rm -f "$tmp/port" "$tmp/report"
    python3 "$here/silent_peer.py" "$tmp/port" "$tmp/report" &
    peer=$!
    for _ in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
    local port
    port=$(cat "$tmp/port")
    "$bin" -q --starttls all --rate 0 --resolver "127.0.0.1:$KNOT_PORT" --dns-timeout 2 \
        --timeout 1 --smtp-port "$port" --https-port "$port" "$@" -o "$tmp/$name.csv" "$tmp/in.csv"
    kill -TERM "$peer"
    wait "$peer" || true
    peer=""
    cat "$tmp/report"
}

n1=$(run retry)
n0=$(run noretry --retry-timeouts 0)
python3 - "$tmp/retry.csv" "$tmp/noretry.csv" "$n1" "$n0" <<'PY'
import csv, sys
retry = list(csv.DictReader(open(sys.argv[1])))[0]
noretry = list(csv.DictReader(open(sys.argv[2])))[0]
n1, n0 = int(sys.argv[3]), int(sys.argv[4])
errors = []
if n1 != 4:
    errors.append("default: %d connections to the silent peer, want 4 (fetch + probe, each retried once)" % n1)
if n0 != 2:
    errors.append("--retry-timeouts 0: %d connections, want 2" % n0)
if sorted(retry["retried"].split(";")) != ["mx_probe", "policy_fetch"]:
    errors.append("default: retried %r, want policy_fetch;mx_probe" % retry["retried"])
if noretry["retried"] != "":
    errors.append("--retry-timeouts 0: retried %r, want empty" % noretry["retried"])
for name, r in (("default", retry), ("--retry-timeouts 0", noretry)):
    if r["verdict"] != "invalid" or "policy_timeout" not in r["issues"].split(";"):
        errors.append("%s: verdict %s issues %s, want invalid with policy_timeout" % (name, r["verdict"], r["issues"]))
if errors:
    print("FAIL: " + "\n      ".join(errors))
    sys.exit(1)
print("retry_timeouts: %d connections with one retry, %d without; retried = %s" % (n1, n0, retry["retried"]))
PY
