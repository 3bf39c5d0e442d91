#!/usr/bin/env bash
# Integration test of the DNS stage: starts a real knotd on 127.0.0.1 (an unused port, no
# namespace needed: nothing leaves loopback), serves records written here, runs mtasts-scan
# against it and checks every CSV row with check_dns_rows.py.  knotd is stopped and the temp dir
# removed even when the test fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: dns_knot.sh path/to/mtasts-scan}
command -v zstd >/dev/null || { echo "FAIL: zstd not installed (run scripts/setup-deps)"; exit 1; }
. "$here/knot_env.sh"
tmp=$(mktemp -d)
cleanup() { knot_stop; rm -rf "$tmp"; }
trap cleanup EXIT

cat > "$tmp/test.zone" <<'ZONE'
$ORIGIN test.
$TTL 300
@ SOA ns.test. host.test. 1 3600 600 86400 300
@ NS ns.test.
ns A 127.0.0.1
; valid STS + TLS-RPT, two MX
good MX 10 mx1.good.test.
good MX 20 mx2.good.test.
_mta-sts.good TXT "v=STSv1; id=20260101T000000"
_smtp._tls.good TXT "v=TLSRPTv1; rua=mailto:tlsrpt@good.test"
; TXT split into several strings, plus an unrelated TXT record at the same name
split MX 10 mx.split.test.
_mta-sts.split TXT "v=STSv1;" " id=abc123"
_mta-sts.split TXT "google-site-verification=xyz"
; two STS records
multi MX 10 mx.multi.test.
_mta-sts.multi TXT "v=STSv1; id=one"
_mta-sts.multi TXT "v=STSv1; id=two"
; an invalid id (too long) and a broken TLS-RPT record
badid MX 10 mx.badid.test.
_mta-sts.badid TXT "v=STSv1; id=0123456789012345678901234567890123"
_smtp._tls.badid TXT "v=TLSRPTv1; rua=ftp://x.test"
; two TLS-RPT records
rptmulti MX 10 mx.rptmulti.test.
_smtp._tls.rptmulti TXT "v=TLSRPTv1; rua=mailto:a@rptmulti.test"
_smtp._tls.rptmulti TXT "v=TLSRPTv1; rua=mailto:b@rptmulti.test"
; CNAME followed to the record
cname MX 10 mx.cname.test.
_mta-sts.cname CNAME _mta-sts.target.test.
_mta-sts.target TXT "v=STSv1; id=viacname"
; null MX (RFC 7505)
nullmx MX 0 .
; no MX but an address: implicit MX
implicit A 127.0.0.9
; no MX and no address
nomail TXT "nothing here"
; only MX, nothing else
plain MX 10 mx.plain.test.
; a 248-byte name: _mta-sts.<it> would exceed 253 bytes, so that record cannot exist
aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb MX 10 mx.plain.test.
ZONE
# broken.test. is configured without a zone file: knot answers SERVFAIL for it
knot_start "$tmp/test.zone" broken.test.
port=$KNOT_PORT

cat > "$tmp/domains.csv" <<'IN'
# Tranco-style input with the kinds of lines a real list has
1,good.test
2,split.test
3,multi.test
4,badid.test
5,rptmulti.test
6,cname.test
7,nullmx.test
8,implicit.test
9,nomail.test
10,plain.test
11,x.broken.test
12,bad..name
13,GOOD.test.
IN
printf '14,crlf.test\r\n' >> "$tmp/domains.csv"
echo '15,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.test' >> "$tmp/domains.csv"
zstd -q "$tmp/domains.csv" -o "$tmp/domains.csv.zst"

# DNS only, zstd in and out
"$bin" -q --dns-only --resolver "127.0.0.1:$port" --timeout 5 --dns-timeout 2 --rate 0 \
    -o "$tmp/dnsonly.csv.zst" "$tmp/domains.csv.zst"
zstd -dc "$tmp/dnsonly.csv.zst" > "$tmp/dnsonly.csv"
python3 "$here/check_dns_rows.py" dns-only "$tmp/dnsonly.csv"

# Full pipeline with no STARTTLS: policy hosts do not resolve here, which is itself a finding
"$bin" -q --starttls none --resolver "127.0.0.1:$port" --timeout 5 --dns-timeout 2 --rate 0 \
    -o "$tmp/full.csv" --summary-json "$tmp/summary.json" "$tmp/domains.csv"
python3 "$here/check_dns_rows.py" full "$tmp/full.csv" "$tmp/summary.json"
# Resume: the first half of that output (cut mid-row, as a kill leaves it) plus a --resume run
# give every rank exactly once
head -c $(( $(stat -c %s "$tmp/full.csv") / 2 )) "$tmp/full.csv" > "$tmp/cut.csv"
"$bin" -q --starttls none --resolver "127.0.0.1:$port" --timeout 5 --dns-timeout 2 --rate 0 \
    --resume "$tmp/cut.csv" -o "$tmp/rest.csv" "$tmp/domains.csv"
python3 - "$tmp/cut.csv" "$tmp/rest.csv" <<'PY'
import csv, sys
def ranks(path, complete_only):
    rows = list(csv.reader(open(path, newline="")))
    head, rows = rows[0], rows[1:]
    at = head.index("scanned_at")
    return [r[1] for r in rows if not complete_only or
            (len(r) == len(head) and r[at].endswith("Z") and len(r[at]) == 20)]
done, rest = ranks(sys.argv[1], True), ranks(sys.argv[2], False)
allr = sorted(done + rest, key=int)
want = [str(i) for i in range(1, 16)]
if allr != want:
    print("FAIL: resume gave ranks", allr, "want", want); sys.exit(1)
print(f"resume: {len(done)} rows kept, {len(rest)} scanned again")
PY
echo "dns_knot: all rows as expected"
