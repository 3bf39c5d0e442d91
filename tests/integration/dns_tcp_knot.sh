#!/usr/bin/env bash
# Integration test: DNS answers that do not fit in UDP.  A real knotd on 127.0.0.1 (a free port,
# nothing leaves loopback) serves big.test with 16 MX records of long names (~1.3 KB) and an _mta-sts
# RRset of 12 long TXT records (one of them v=STSv1), both far over the scanner's EDNS payload of
# 1232 bytes.  knot answers such UDP queries with TC set and no records; the scanner (c-ares) must
# ask again over TCP.  Proof from both sides: knot's own counters (mod-stats: TC flags sent,
# queries received over TCP) and the rows (all 16 MX, the STS id that only the TCP answer holds).
# A first scan of small answers shows knot counts no TCP query when none is needed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: dns_tcp_knot.sh path/to/mtasts-scan}
command -v knotd >/dev/null || { echo "FAIL: knotd not installed (run scripts/setup-deps)"; exit 1; }
. "$here/knot_env.sh"   # free_port, KNOT_TMP, knot_stop
tmp=$KNOT_TMP
cleanup() { knot_stop; }
trap cleanup EXIT

long() { printf '%*s' "$1" '' | tr ' ' "$2"; }   # long N CHAR: N times CHAR
{
    echo '$ORIGIN test.'
    echo '$TTL 300'
    echo '@ SOA ns.test. host.test. 1 3600 600 86400 300'
    echo '@ NS ns.test.'
    echo 'ns A 127.0.0.1'
    echo 'small MX 10 mx.small.test.'
    echo '_mta-sts.small TXT "v=STSv1; id=small1"'
    # 16 MX (the scanner keeps 16), targets of 62 characters (the mx column holds 16 of them)
    # under 16 different top-level names, so that name compression saves nothing: ~1.3 KB
    for i in $(seq 1 16); do
        printf 'big MX %d %s%02d.t%02d.\n' "$((i * 10))" "$(long 56 m)" "$i" "$i"
    done
    # 12 TXT records of two 250-byte strings each (~6 KB); the STS record is one of them
    for i in $(seq 1 11); do
        printf '_mta-sts.big TXT "site-verification-%02d=%s" "%s"\n' "$i" "$(long 220 a)" "$(long 250 b)"
    done
    echo '_mta-sts.big TXT "v=STSv1; id=bigtxt1"'
} >"$tmp/test.zone"

port=$(free_port udp)
cat >"$tmp/knot.conf" <<CONF
server:
    listen: 127.0.0.1@$port
    rundir: "$tmp"
control:
    listen: "$tmp/knot.sock"
database:
    storage: "$tmp"
mod-stats:
  - id: proto
    request-protocol: on
    flag-presence: on
template:
  - id: default
    storage: "$tmp"
    file: "%s.zone"
    global-module: mod-stats/proto
zone:
  - domain: test.
CONF
knotd -c "$tmp/knot.conf" >"$tmp/knotd.log" 2>&1 &
KNOT_PID=$!
for _ in $(seq 1 100); do
    [ -n "$(kdig @127.0.0.1 -p "$port" +short +time=1 +retry=0 SOA test. 2>/dev/null)" ] && break
    sleep 0.1
done
counter() {   # counter NAME: knot's mod-stats counter (0 when knot has not counted it yet)
    knotc -c "$tmp/knot.conf" stats | awk -F' = ' -v k="mod-stats.$1" '$1 == k {v = $2} END {print v + 0}'
}

# The answers really are too large for the scanner's UDP payload (kdig with the same EDNS size).
kdig @127.0.0.1 -p "$port" +bufsize=1232 +ignore big.test MX | grep -qi 'flags: qr aa tc' ||
    { echo "FAIL: knot did not truncate the MX answer over UDP"; exit 1; }

scan() {   # scan NAME... : --dns-only rows of those domains
    local out=$tmp/out.csv i=0
    : >"$tmp/in.csv"
    for n in "$@"; do i=$((i + 1)); echo "$i,$n" >>"$tmp/in.csv"; done
    "$bin" -q --dns-only --resolver "127.0.0.1:$port" --timeout 5 --dns-timeout 2 --rate 0 \
        -o "$out" "$tmp/in.csv"
}
python_rows() { python3 - "$tmp/out.csv" "$@"; }

tcp0=$(counter 'request-protocol[tcp4]')
tc0=$(counter 'flag-presence[TC]')
scan small.test
tcp_small=$(($(counter 'request-protocol[tcp4]') - tcp0))
tc_small=$(($(counter 'flag-presence[TC]') - tc0))
if [[ $tcp_small -ne 0 || $tc_small -ne 0 ]]; then
    echo "FAIL: small answers: knot saw $tcp_small TCP queries and sent $tc_small truncated answers, want 0"
    exit 1
fi

scan big.test
tcp=$(($(counter 'request-protocol[tcp4]') - tcp0))
tc=$(($(counter 'flag-presence[TC]') - tc0))
echo "knot: $tc truncated UDP answers, $tcp queries over TCP"
# MX and _mta-sts TXT of big.test are truncated over UDP: both must be asked again over TCP
if [[ $tc -lt 2 || $tcp -lt $tc ]]; then
    echo "FAIL: want >= 2 truncated answers each followed by a TCP query; knot counted TC=$tc TCP=$tcp"
    exit 1
fi
python_rows <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 1, rows
r = rows[0]
mx = r["mx"].split(";")
want_mx = ["%s%02d.t%02d" % ("m" * 56, i, i) for i in range(1, 17)]
errors = []
if mx != want_mx:
    errors.append("mx: %d hosts %r..., want the 16 of the TCP answer" % (len(mx), mx[:2]))
if r["txt_status"] != "ok" or r["sts_id"] != "bigtxt1":
    errors.append("txt_status %r sts_id %r, want ok / bigtxt1 (only in the TCP answer)"
                  % (r["txt_status"], r["sts_id"]))
if r["verdict"] != "sts_unchecked":
    errors.append("verdict %r, want sts_unchecked (--dns-only)" % r["verdict"])
if errors:
    print("FAIL: " + "; ".join(errors))
    sys.exit(1)
PY
echo "dns_tcp_knot: truncated answers were asked again over TCP and parsed whole"
