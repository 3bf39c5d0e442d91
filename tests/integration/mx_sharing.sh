#!/usr/bin/env bash
# The MX table's domains_sharing is the number of scanned domains whose MX set includes the host
# (docs/codes.md), not the number waiting when the probe ended: 20 domains use mx-big (one of
# them alongside mx-small), 4 use mx-small, scanned with --starttls all and 5 domains in flight
# so that most of them ask after the probe ended (cache hits).  Each host gets one row per
# address with its exact count.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: mx_sharing.sh path/to/mtasts-scan}
. "$here/knot_env.sh"
tmp=$(mktemp -d)
peer=""
cleanup() { [ -n "$peer" ] && kill "$peer" 2>/dev/null; knot_stop; rm -rf "$tmp"; }
trap cleanup EXIT

{
    printf '$ORIGIN sharing.\n$TTL 300\n@ SOA ns.sharing. h.sharing. 1 3600 600 86400 300\n'
    printf '@ NS ns.sharing.\nns A 127.0.0.1\nmx-big A 127.0.0.1\nmx-small A 127.0.0.1\n'
    for i in $(seq 1 19); do printf 'd%s MX 10 mx-big.sharing.\n' "$i"; done
    for i in 21 22 23; do printf 'd%s MX 10 mx-small.sharing.\n' "$i"; done
    printf 'd24 MX 10 mx-big.sharing.\nd24 MX 20 mx-small.sharing.\n'
} > "$tmp/sharing.zone"
{ seq 1 19; echo 21; echo 22; echo 23; echo 24; } | sed 's/.*/&,d&.sharing/' > "$tmp/domains.csv"
knot_start "$tmp/sharing.zone"

python3 "$here/smtp_counter.py" "$tmp/port" "$tmp/report" &
peer=$!
for _ in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done

"$bin" -q --starttls all --concurrency 5 --rate 0 --resolver "127.0.0.1:$KNOT_PORT" \
    --smtp-port "$(cat "$tmp/port")" --https-port 9 --timeout 5 --dns-timeout 2 \
    -o "$tmp/out.csv" --mx-output "$tmp/mx.csv" "$tmp/domains.csv"
kill -TERM "$peer"
wait "$peer" || true
peer=""

python3 - "$tmp/mx.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
got = {r["mx_host"]: r["domains_sharing"] for r in rows}
want = {"mx-big.sharing": "20", "mx-small.sharing": "4"}
if len(rows) != 2 or got != want:
    print(f"FAIL: MX rows {got} ({len(rows)} rows), want {want}")
    sys.exit(1)
print("mx_sharing: mx-big in 20 MX sets, mx-small in 4, one row each")
PY
