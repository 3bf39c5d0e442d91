#!/usr/bin/env bash
# End-to-end test: brings up the simulated internet (scripts/testnet) in its own namespace with a
# few hundred generated domains covering every scenario, checks with kdig/curl/openssl that the
# servers behave as the ground truth says, scans it from inside the namespace, and
# compares every row with the generator's truth.csv (tests/e2e/compare_truth.py).  Then checks
# the MX table (one row per probed host and address, never twice), the descriptive columns and the
# domain-MX edge table against what the generator published (check_columns.py), the same scan
# with --starttls all, and that `down` removes the servers' state.  The zones are DNSSEC-signed
# (scripts/testnet up): the DNSSEC states of the chain are checked with kdig through the validating
# unbound (127.0.0.2), and a scan through it must agree with the truth as the scan through knot
# (127.0.0.1, which never validates) does.  The namespace is torn down even when a step fails.
#
# The testnet data lives in TESTNET_DIR when set, else in a fresh `mktemp -d` directory (mode
# 0700, like a clone in /root): the servers drop privileges and must never need to enter it.  That
# directory is removed after a pass and kept (and named) after a failure.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(realpath "${1:?usage: run.sh path/to/mtasts-scan}")
export TESTNET_NS=${TESTNET_NS:-mtasts-e2e}
own_dir=
if [[ -z ${TESTNET_DIR:-} ]]; then
    own_dir=$(mktemp -d)
    export TESTNET_DIR="$own_dir/testnet"
fi
state=${TESTNET_STATE:-/var/lib/mtasts-testnet/$TESTNET_NS}
domains=${E2E_DOMAINS:-400}
seed=${E2E_SEED:-7}
tn="$repo/scripts/testnet"
out="$TESTNET_DIR/e2e-out"

cleanup() {
    local rc=$?
    "$tn" down >/dev/null 2>&1 || true
    if [[ -n $own_dir ]]; then
        if [[ $rc -eq 0 ]]; then rm -rf "$own_dir"; else echo "e2e: testnet data and outputs kept in $TESTNET_DIR" >&2; fi
    fi
    exit "$rc"
}
trap cleanup EXIT
echo "e2e: testnet $TESTNET_NS, data in $TESTNET_DIR$([[ -n $own_dir ]] && echo ' (below a fresh 0700 directory)')"
"$tn" down >/dev/null 2>&1 || true
"$tn" gen --domains "$domains" --seed "$seed"
"$tn" up
mkdir -p "$out"

echo "e2e: the servers behave as truth.csv claims, seen with kdig, curl and openssl s_client"
"$tn" check

scan() { "$tn" exec -- "$bin" -q --resolver "${resolver:-127.0.0.1}" --ca-file "$TESTNET_DIR/ca.pem" --timeout 3 --dns-timeout 1 "$@"; }

echo "e2e: scan --starttls sts (the truth's mode)"
scan -o "$out/domains.csv.zst" --mx-output "$out/mx.csv" --summary-json "$out/summary.json" \
     --domain-mx-output "$out/edges.csv.zst" --metadata "$out/meta.json" "$TESTNET_DIR/domains.txt"
echo "e2e: knot (authoritative, signed root) does not validate: the probe says so, mx_dnssec and dane_status are unchecked on every row"
python3 - "$out/meta.json" "$out/domains.csv.zst" <<'PY'
import csv, io, json, subprocess, sys
m = json.load(open(sys.argv[1]))["dnssec"]
if m != {"probe": "ok", "resolver_validates": False}:
    sys.exit("e2e: --metadata dnssec is %r, want probe ok (the signed root's DNSKEY, without AD), resolver_validates false" % m)
text = subprocess.run(["zstd", "-dc", sys.argv[2]], check=True, capture_output=True, text=True).stdout
bad = [r["domain"] for r in csv.DictReader(io.StringIO(text)) if r["mx_dnssec"] != "unchecked"]
if bad:
    sys.exit("e2e: mx_dnssec is not unchecked for %d rows, e.g. %s" % (len(bad), bad[:3]))
# issue 21: without validation DANE is unchecked, never none
bad = [r["domain"] for r in csv.DictReader(io.StringIO(text)) if r["dane_status"] != "unchecked"]
if bad:
    sys.exit("e2e: dane_status is not unchecked for %d rows, e.g. %s" % (len(bad), bad[:3]))
PY
# without -q the scan says it once on stderr (however many domains)
head -n 20 "$TESTNET_DIR/domains.txt" >"$out/twenty.txt"
"$tn" exec -- "$bin" --resolver 127.0.0.1 --ca-file "$TESTNET_DIR/ca.pem" --timeout 3 --dns-timeout 1 \
    -o "$out/twenty.csv" "$out/twenty.txt" 2>"$out/twenty.err"
n=$(grep -c 'the resolver does not validate DNSSEC' "$out/twenty.err" || true)
[[ $n -eq 1 ]] || { cat "$out/twenty.err" >&2; echo "e2e: the no-validation line was said $n times, want once" >&2; exit 1; }
python3 "$repo/tests/e2e/compare_truth.py" "$TESTNET_DIR/truth.csv" "$out/domains.csv.zst"
python3 "$repo/tests/e2e/check_columns.py" "$TESTNET_DIR/gen/published.csv" "$out/domains.csv.zst" \
        "$out/edges.csv.zst"
python3 "$repo/tests/e2e/check_mx_table.py" "$out/mx.csv" "$out/domains.csv.zst"

echo "e2e: the DNSSEC chain as the validating unbound (127.0.0.2) sees it: signed, unsigned and bogus zones"
dnssec_state() {   # name -> secure | insecure | bogus | other, from kdig through the validator
    local out
    out=$("$tn" exec -- kdig @127.0.0.2 +adflag +time=2 +retry=1 "$1" A)
    if grep -q 'status: NOERROR' <<<"$out" && grep -q '^;; Flags: .* ad;' <<<"$out"; then echo secure
    elif grep -q 'status: NOERROR' <<<"$out"; then echo insecure
    elif grep -q 'status: SERVFAIL' <<<"$out" &&
        "$tn" exec -- kdig @127.0.0.2 +cd +time=2 +retry=1 "$1" A | grep -q 'status: NOERROR'; then echo bogus
    else echo other; fi
}
for want in "www.danemail.test secure" "www.unsigned.test insecure" "www.bogus.test bogus" \
            "ns.testnet.test secure"; do
    read -r name state <<<"$want"
    got=$(dnssec_state "$name")
    [[ $got == "$state" ]] || { echo "e2e: $name is $got through the validating resolver, want $state" >&2; exit 1; }
done
# knot itself answers the bogus zone (it does not validate): the non-validating path is unchanged
"$tn" exec -- kdig @127.0.0.1 +time=2 www.bogus.test A | grep -q 'status: NOERROR' ||
    { echo "e2e: knot does not answer www.bogus.test" >&2; exit 1; }

echo "e2e: scan through the validating resolver: it validates, the MX RRsets are secure, the rows agree with the truth"
resolver=127.0.0.2 scan -o "$out/validated.csv" --metadata "$out/meta-v.json" --mx-output "$out/mx-validated.csv" \
    "$TESTNET_DIR/domains.txt"
python3 - "$out/meta-v.json" "$out/validated.csv" <<'PY'
import csv, json, sys
m = json.load(open(sys.argv[1]))["dnssec"]
if m != {"probe": "ok", "resolver_validates": True}:
    sys.exit("e2e: --metadata dnssec through 127.0.0.2 is %r, want probe ok, resolver_validates true" % m)
rows = list(csv.DictReader(open(sys.argv[2], newline="")))
secure = sum(r["mx_dnssec"] == "secure" for r in rows)
if secure < len(rows) * 0.8:
    sys.exit("e2e: only %d of %d rows have a secure MX RRset through the validator" % (secure, len(rows)))
PY
# the DANE scenarios have their own truth through a validating resolver (gen/dane_truth.csv); the
# other rows keep truth.csv's, except that a secure MX RRset gets the MX hosts of not_deployed
# domains probed too, whose mx_* facts are then reported (docs/codes.md, dane_status)
python3 "$repo/tests/e2e/compare_truth.py" --exclude "$TESTNET_DIR/gen/dane_truth.csv" \
    --extra-ok not_deployed:mx_ "$TESTNET_DIR/truth.csv" "$out/validated.csv"
echo "e2e: DANE scenarios through the validating resolver: verdict, issues, mx_dnssec, dane_status, sts_delivery, dane_sts_delivery; dane_match per MX address"
python3 "$repo/tests/e2e/compare_truth.py" --partial "$TESTNET_DIR/gen/dane_truth.csv" "$out/validated.csv"
python3 "$repo/tests/e2e/check_dane_mx.py" "$TESTNET_DIR/gen/dane_mx.csv" "$out/mx-validated.csv"

echo "e2e: scan --starttls all: every verdict of the sts scan holds"
scan --starttls all -o "$out/all.csv" --mx-output "$out/mx-all.csv" "$TESTNET_DIR/domains.txt"
python3 "$repo/tests/e2e/check_mx_table.py" "$out/mx-all.csv" "$out/all.csv" --same-verdicts "$out/domains.csv.zst"

echo "e2e: down removes the servers' state ($state) and the namespace"
"$tn" down
if [[ -e $state ]]; then echo "e2e: $state still exists after down" >&2; exit 1; fi
if ip netns list | awk '{print $1}' | grep -qx -- "$TESTNET_NS"; then
    echo "e2e: namespace $TESTNET_NS still exists after down" >&2
    exit 1
fi
echo "e2e: passed"
