#!/usr/bin/env bash
# End-to-end test of monitoring (docs/monitoring.md): a daily job on the simulated internet.
#   day 1: generate a world rich in deployed domains (tests/e2e/monitor.mix), bring it up, scan it;
#   then:  bring it down, `scripts/testnet evolve` (day 2: one change per change code, with the
#          expected changes as ground truth), bring it up again;
#   day 2: scan with --previous DAY1 --changes-output and --fail-on error (must exit 3: the truth
#          has error changes; again without --mx-output), then `mtasts-scan diff DAY1 DAY2
#          --old-mx --new-mx` (exit 0), and
#          `diff --fail-on error` (exit 3), `diff --fail-on would_fail` and an issue code of
#          DAY2's rows (exit 3: they match NEW's rows);
# both changes tables are compared with expected_changes.csv row by row (compare_changes.py).
# --testing-days 0: the two scans are minutes apart, and the truth counts every domain in mode
# testing on both days as stuck.  The namespace is torn down even when a step fails.
#
#   monitor.sh path/to/mtasts-scan
# Environment: TESTNET_NS (default mtasts-monitor), TESTNET_DIR (default a fresh mktemp -d
# directory, removed after a pass), MONITOR_DOMAINS (default 200), MONITOR_SEED (default 11).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(realpath "${1:?usage: monitor.sh path/to/mtasts-scan}")
export TESTNET_NS=${TESTNET_NS:-mtasts-monitor}
own_dir=
if [[ -z ${TESTNET_DIR:-} ]]; then
    own_dir=$(mktemp -d)
    export TESTNET_DIR="$own_dir/testnet"
fi
tn="$repo/scripts/testnet"
out="$TESTNET_DIR/monitor-out"

cleanup() {
    local rc=$?
    "$tn" down >/dev/null 2>&1 || true
    if [[ -n $own_dir ]]; then
        if [[ $rc -eq 0 ]]; then rm -rf "$own_dir"; else echo "monitor: testnet data and outputs kept in $TESTNET_DIR" >&2; fi
    fi
    exit "$rc"
}
trap cleanup EXIT

expect_exit() {   # expect_exit WANT COMMAND...
    local want=$1 rc=0
    shift
    "$@" || rc=$?
    if [[ $rc -ne $want ]]; then
        echo "monitor: exit status $rc, want $want: $*" >&2
        return 1
    fi
}

scan() { "$tn" exec -- "$bin" -q --resolver 127.0.0.1 --ca-file "$TESTNET_DIR/ca.pem" --timeout 3 --dns-timeout 1 "$@"; }

echo "monitor: testnet $TESTNET_NS, data in $TESTNET_DIR"
"$tn" down >/dev/null 2>&1 || true
"$tn" gen --domains "${MONITOR_DOMAINS:-200}" --seed "${MONITOR_SEED:-11}" --mix "$repo/tests/e2e/monitor.mix"
"$tn" up
mkdir -p "$out"

echo "monitor: day 1 scan (a plain scan's --fail-on: the world has would_fail domains, exit 3)"
expect_exit 3 scan -o "$out/day1.csv.zst" --mx-output "$out/day1-mx.csv" --fail-on would_fail \
    "$TESTNET_DIR/domains.txt"
python3 "$repo/tests/e2e/compare_truth.py" "$TESTNET_DIR/truth.csv" "$out/day1.csv.zst" >/dev/null

echo "monitor: evolve to day 2 and restart the servers"
"$tn" down
"$tn" evolve
"$tn" up

echo "monitor: day 2 scan with --previous, --changes-output and --fail-on error (exit 3)"
expect_exit 3 scan -o "$out/day2.csv.zst" --mx-output "$out/day2-mx.csv" --previous "$out/day1.csv.zst" \
    --changes-output "$out/changes-scan.csv" --testing-days 0 --fail-on error "$TESTNET_DIR/domains.txt"
python3 "$repo/tests/e2e/compare_changes.py" "$TESTNET_DIR/expected_changes.csv" "$out/changes-scan.csv"
echo "monitor: the same without --mx-output (MX certificate dates from the probes themselves)"
expect_exit 3 scan -o "$out/day2b.csv" --previous "$out/day1.csv.zst" --changes-output "$out/changes-scan-b.csv.zst" \
    --testing-days 0 --fail-on error "$TESTNET_DIR/domains.txt"
python3 "$repo/tests/e2e/compare_changes.py" "$TESTNET_DIR/expected_changes.csv" "$out/changes-scan-b.csv.zst"

echo "monitor: diff day 1 day 2 (exit 0), and with --fail-on error (exit 3)"
expect_exit 0 "$bin" diff "$out/day1.csv.zst" "$out/day2.csv.zst" --old-mx "$out/day1-mx.csv" --new-mx "$out/day2-mx.csv" \
    --testing-days 0 -o "$out/changes-diff.csv.zst"
python3 "$repo/tests/e2e/compare_changes.py" "$TESTNET_DIR/expected_changes.csv" "$out/changes-diff.csv.zst"
expect_exit 3 "$bin" diff "$out/day1.csv.zst" "$out/day2.csv.zst" --fail-on error -o /dev/null
# nothing listed occurs: policy_reformatted happened, scan_incomplete did not
expect_exit 0 "$bin" diff "$out/day1.csv.zst" "$out/day2.csv.zst" --fail-on scan_incomplete -o /dev/null
echo "monitor: diff --fail-on a verdict or an issue code of NEW's rows (exit 3, issue 20)"
expect_exit 3 "$bin" diff "$out/day1.csv.zst" "$out/day2.csv.zst" --fail-on would_fail -o /dev/null
issue=$(python3 - "$out/day2.csv.zst" <<'PY'
import csv, io, subprocess, sys
text = subprocess.run(["zstd", "-dc", sys.argv[1]], capture_output=True, text=True, check=True).stdout
print(next(i for r in csv.DictReader(io.StringIO(text)) for i in r["issues"].split(";") if i))
PY
)
expect_exit 3 "$bin" diff "$out/day1.csv.zst" "$out/day2.csv.zst" --fail-on "$issue" -o /dev/null
echo "monitor: a plain scan whose --fail-on list does not occur exits 0"
expect_exit 0 scan --dns-only -o "$out/dns-only.csv" --fail-on scanner_error,policy_changed_id_unchanged \
    "$TESTNET_DIR/domains.txt"

"$tn" down
echo "monitor: passed"
