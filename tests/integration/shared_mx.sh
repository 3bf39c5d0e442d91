#!/usr/bin/env bash
# Shared MX hosts are probed once per scan: 1,000 domains, all with a valid _mta-sts record and
# the same MX host, scanned with --starttls all and 50 domains in flight.  A counting SMTP peer
# on loopback must see exactly one connection, with no MAIL/RCPT/DATA, and the MX table must
# hold exactly one row, while all 1,000 domain rows report the MX's missing STARTTLS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: shared_mx.sh path/to/mtasts-scan}
. "$here/knot_env.sh"
tmp=$(mktemp -d)
peer=""
cleanup() { [ -n "$peer" ] && kill "$peer" 2>/dev/null; knot_stop; rm -rf "$tmp"; }
trap cleanup EXIT

{
    printf '$ORIGIN shared.\n$TTL 300\n@ SOA ns.shared. h.shared. 1 3600 600 86400 300\n'
    printf '@ NS ns.shared.\nns A 127.0.0.1\nmx A 127.0.0.1\n'
    for i in $(seq 1 1000); do
        printf 'd%s MX 10 mx.shared.\n_mta-sts.d%s TXT "v=STSv1; id=%s"\n' "$i" "$i" "$i"
    done
} > "$tmp/shared.zone"
seq 1 1000 | sed 's/.*/&,d&.shared/' > "$tmp/domains.csv"
knot_start "$tmp/shared.zone"

python3 "$here/smtp_counter.py" "$tmp/port" "$tmp/report" &
peer=$!
for _ in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done

"$bin" -q --starttls all --concurrency 50 --rate 0 --resolver "127.0.0.1:$KNOT_PORT" \
    --smtp-port "$(cat "$tmp/port")" --https-port 9 --timeout 5 --dns-timeout 2 \
    -o "$tmp/out.csv" --mx-output "$tmp/mx.csv" "$tmp/domains.csv"
kill -TERM "$peer"
wait "$peer" || true
peer=""

fail=0
conns=$(head -1 "$tmp/report")
[ "$conns" = 1 ] || { echo "FAIL: $conns SMTP connections to the shared MX, want 1"; fail=1; }
if grep -Eiq '^(MAIL|RCPT|DATA)' "$tmp/report"; then echo "FAIL: the probe sent mail commands"; fail=1; fi
rows=$(($(wc -l < "$tmp/mx.csv") - 1))
[ "$rows" = 1 ] || { echo "FAIL: $rows MX rows, want 1"; fail=1; }
n=$(grep -c 'mx_starttls_missing' "$tmp/out.csv" || true)
[ "$n" = 1000 ] || { echo "FAIL: $n domain rows with mx_starttls_missing, want 1000"; fail=1; }
sharing=$(python3 -c 'import csv,sys; print(";".join(r["domains_sharing"] for r in csv.DictReader(open(sys.argv[1]))))' "$tmp/mx.csv")
[ "$sharing" = 1000 ] || { echo "FAIL: domains_sharing $sharing, want 1000"; fail=1; }
[ $fail = 0 ] && echo "shared_mx: 1000 domains, 1 SMTP connection, 1 MX row shared by 1000"
exit $fail
