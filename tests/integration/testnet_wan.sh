#!/usr/bin/env bash
# End-to-end on the testnet with distance and a recursive resolver (needs root, like
# tests/e2e/run.sh): scripts/testnet up --recursive --wan RTT:JITTER:LOSS (default 100:20:0.01),
# the tools agree with truth.csv (check), a default-option scan agrees with it row by row
# (compare_truth) and with what the generator published (check_columns), and down removes both
# namespaces.  The testnet is brought down even when a step fails.
#   testnet_wan.sh path/to/mtasts-scan      (TESTNET_NS, TESTNET_DIR, WAN_SPEC, WAN_DOMAINS)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(realpath "${1:?usage: testnet_wan.sh path/to/mtasts-scan}")
export TESTNET_NS=${TESTNET_NS:-mtasts-wan-e2e}
own_dir=
if [[ -z ${TESTNET_DIR:-} ]]; then
    own_dir=$(mktemp -d)
    export TESTNET_DIR="$own_dir/testnet"
fi
tn="$repo/scripts/testnet"
cleanup() {
    local rc=$?
    "$tn" down >/dev/null 2>&1 || true
    [[ -n $own_dir && $rc -eq 0 ]] && rm -rf "$own_dir"
    exit "$rc"
}
trap cleanup EXIT
"$tn" down >/dev/null 2>&1 || true
"$tn" gen --domains "${WAN_DOMAINS:-400}" --seed 7
"$tn" up --recursive --wan "${WAN_SPEC:-100:20:0.01}"
"$tn" status >"$TESTNET_DIR/status.txt" || true
grep -q '^relay: running' "$TESTNET_DIR/status.txt" || { echo "testnet_wan: the relay does not run"; exit 1; }
"$tn" check --per-scenario 1
out="$TESTNET_DIR/wan-out"
mkdir -p "$out"
"$tn" exec -- "$bin" -q --resolver 127.0.0.1 --ca-file "$TESTNET_DIR/ca.pem" \
    -o "$out/domains.csv.zst" --domain-mx-output "$out/edges.csv" "$TESTNET_DIR/domains.txt"
# unbound validates (the zones are signed): the DANE scenarios' truth is gen/dane_truth.csv, and
# behind a secure MX RRset not_deployed domains' MX hosts are probed too (tests/e2e/run.sh)
python3 "$repo/tests/e2e/compare_truth.py" --exclude "$TESTNET_DIR/gen/dane_truth.csv" \
    --extra-ok not_deployed:mx_ "$TESTNET_DIR/truth.csv" "$out/domains.csv.zst"
python3 "$repo/tests/e2e/compare_truth.py" --partial "$TESTNET_DIR/gen/dane_truth.csv" "$out/domains.csv.zst"
python3 "$repo/tests/e2e/check_columns.py" "$TESTNET_DIR/gen/published.csv" "$out/domains.csv.zst" "$out/edges.csv"
"$tn" down
for ns in "$TESTNET_NS" "$TESTNET_NS-wan"; do
    if ip netns list | awk '{print $1}' | grep -qx -- "$ns"; then
        echo "testnet_wan: namespace $ns still exists after down"; exit 1
    fi
done
echo "testnet_wan: passed"
