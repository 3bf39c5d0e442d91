#!/usr/bin/env bash
# Stopping a full scan (DNS, policy fetches, STARTTLS probes) while its domains are in flight:
# every name resolves to 127.0.0.1, where a black hole (kill_hole.py) accepts and never answers,
# so 200 domains sit in their policy fetch or MX probe.  Then, with the TLS work on the loop and on
# a worker thread: a double SIGINT (exit 130), and a fatal write error (stdout's reader goes away;
# exit 1, said once).  In every case -o and --mx-output are published or kept whole and, in the
# sanitizer build (which runs this test too), nothing leaks and nothing is used after free: the
# domains in flight are abandoned safely.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: outputs_teardown.sh path/to/mtasts-scan}
py=/usr/bin/python3   # the Debian python, which has python3-pandas and python3-zstandard
. "$here/knot_env.sh"
tmp=$(mktemp -d)
hole=""
cleanup() { [ -n "$hole" ] && kill "$hole" 2>/dev/null; knot_stop; rm -rf "$tmp"; }
trap cleanup EXIT
printf '$ORIGIN hole.\n$TTL 300\n@ SOA ns.hole. h.hole. 1 3600 600 86400 300\n@ NS ns.hole.\nns A 127.0.0.1\n* MX 10 mx.hole.\n* TXT "v=STSv1; id=1"\n* A 127.0.0.1\n' > "$tmp/hole.zone"
knot_start "$tmp/hole.zone"
seq 1 3000 | sed 's/.*/&,d&.hole/' > "$tmp/in.csv"
# Hanging domains mixed with invalid lines, whose rows are written at once (to a closed pipe).
seq 1 3000 | sed 's/.*/&,d&.hole\n&0000,bad..name/' > "$tmp/mixed.csv"
python3 "$here/kill_hole.py" "$tmp/port" &
hole=$!
for _ in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
fail() { echo "FAIL: $*"; exit 1; }
scan_args() {   # scan_args TLS_THREADS: a full scan whose fetches and probes all hang
    args=(-q --starttls all --tls-threads "$1" --concurrency 200 --rate 0
          --resolver "127.0.0.1:$KNOT_PORT" --smtp-port "$port" --https-port "$port" --timeout 30)
}
for tt in 0 1; do
    scan_args "$tt"
    rm -f "$tmp"/out.* "$tmp"/mx.*
    "$bin" "${args[@]}" -o "$tmp/out.csv" --mx-output "$tmp/mx.csv.zst" "$tmp/in.csv" 2>"$tmp/err" &
    p=$!
    sleep 2
    kill -INT "$p"; sleep 0.2; kill -INT "$p"
    rc=0; wait "$p" || rc=$?
    if grep -q Sanitizer "$tmp/err"; then cat "$tmp/err"; fail "double SIGINT, --tls-threads $tt: sanitizer report"; fi
    [ "$rc" -eq 130 ] || { cat "$tmp/err"; fail "double SIGINT, --tls-threads $tt: exit $rc, want 130"; }
    # interrupted: every output keeps its work name (README, "Output rules")
    [ ! -e "$tmp/out.csv" ] && [ ! -e "$tmp/mx.csv.zst" ] || fail "double SIGINT: an output was published"
    "$py" "$here/kill_check.py" readable "$tmp/out.csv.partial" >/dev/null
    zstd -q -t "$tmp/mx.csv.partial.zst" || fail "double SIGINT: mx.csv.partial.zst"
    echo "ok: double SIGINT with fetches and probes in flight, --tls-threads $tt: exit 130, clean teardown"

    set +o pipefail
    "$bin" "${args[@]}" -o - "$tmp/mixed.csv" 2>"$tmp/err" | head -c 10 >/dev/null
    rc=${PIPESTATUS[0]}
    set -o pipefail
    if grep -q Sanitizer "$tmp/err"; then cat "$tmp/err"; fail "reader gone, --tls-threads $tt: sanitizer report"; fi
    [ "$rc" -eq 1 ] || { cat "$tmp/err"; fail "reader gone, --tls-threads $tt: exit $rc, want 1"; }
    [ "$(grep -c mtasts-scan "$tmp/err")" -eq 1 ] || { cat "$tmp/err"; fail "reader gone: not said once"; }
    echo "ok: reader gone with fetches and probes in flight, --tls-threads $tt: $(cat "$tmp/err")"
done
echo "outputs_teardown: all as expected"
