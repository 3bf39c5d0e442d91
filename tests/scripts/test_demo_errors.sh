#!/usr/bin/env bash
# Test of scripts/demo's control flow, without installing, building or starting anything: the demo
# runs in a scratch tree where setup-deps, testnet, cmake, the scanner and compare_truth.py are
# stubs.  Each step is made to fail in turn (DEMO_FAIL=step): the demo must stop with a non-zero
# exit status and a "demo: error:" line naming the step, and bring the testnet down when it was
# started.  With no failure it must exit 0 and print the compare_truth line.
# Needs no root.  Prints one line per check; exits 1 if any failed.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failed=1; }

tree="$tmp/repo"
mkdir -p "$tree/scripts" "$tree/datasets" "$tree/tests/e2e" "$tmp/bin"
cp "$repo/scripts/demo" "$tree/scripts/demo"
cp "$repo/datasets/demo.env" "$tree/datasets/demo.env"
cat >"$tree/scripts/setup-deps" <<'EOF'
#!/usr/bin/env bash
[[ $DEMO_FAIL == setup ]] && { echo "setup-deps: stub failure" >&2; exit 1; }
echo "setup-deps: done" >&2
EOF
cat >"$tree/scripts/testnet" <<'EOF'
#!/usr/bin/env bash
echo "$1" >>"$STUB_LOG"
case $1 in
    gen | up) [[ $DEMO_FAIL == "$1" ]] && { echo "testnet: error: stub $1 failure" >&2; exit 1; } ;;
    exec) [[ $DEMO_FAIL == scan ]] && { echo "stub scanner failure" >&2; exit 2; } ;;
esac
exit 0
EOF
cat >"$tree/tests/e2e/compare_truth.py" <<'EOF'
import os, sys
if os.environ["DEMO_FAIL"] == "compare":
    print("rank 7 example.test: truth enforce_ok, scan invalid")
    print("compare_truth: 10 truth rows, 10 scan rows, 1 differ")
    sys.exit(1)
print("compare_truth: 10 truth rows, 10 scan rows, 0 differ")
EOF
cat >"$tmp/bin/cmake" <<'EOF'
#!/usr/bin/env bash
[[ $DEMO_FAIL == build ]] && { echo "stub.c:1:1: error: stub compile error" >&2; exit 1; }
exit 0
EOF
chmod 755 "$tree/scripts/"* "$tmp/bin/cmake"
export STUB_LOG="$tmp/testnet.log"

run() {   # DEMO_FAIL value: runs the demo; sets rc, and leaves stdout+stderr in $tmp/out
    rm -f "$STUB_LOG"
    DEMO_FAIL=$1 PATH="$tmp/bin:$PATH" TESTNET_NS=stub TESTNET_DIR="$tmp/data" \
        "$tree/scripts/demo" </dev/null >"$tmp/out" 2>&1
    rc=$?
}

run none
if [[ $rc -eq 0 ]]; then ok "no failure: exit 0"; else fail "no failure: exit $rc: $(tail -n 3 "$tmp/out")"; fi
if grep -q '^compare_truth: .* 0 differ' "$tmp/out"; then ok "no failure: prints the compare_truth line"; else fail "no failure: no compare_truth line"; fi
if [[ $(tail -n 1 "$STUB_LOG" 2>/dev/null) == down ]]; then ok "no failure: testnet down at the end"; else fail "no failure: testnet not brought down"; fi

# step to fail, words the error line must contain, whether the testnet was started by then
for c in "setup|installing dependencies|0" "build|build failed|0" "gen|generating the testnet|0" \
         "up|starting the testnet|1" "scan|the scan failed|1" "compare|differs from the ground truth|1"; do
    IFS='|' read -r step words started <<<"$c"
    run "$step"
    if [[ $rc -ne 0 ]]; then ok "$step fails: exit $rc"; else fail "$step fails: exit 0"; fi
    if grep -q "^demo: error: .*$words" "$tmp/out"; then
        ok "$step fails: says so ($(grep -m1 '^demo: error:' "$tmp/out"))"
    else
        fail "$step fails: no 'demo: error: ...$words' line; output ends: $(tail -n 2 "$tmp/out" | tr '\n' ' ')"
    fi
    if [[ $started -eq 1 ]]; then
        if [[ $(tail -n 1 "$STUB_LOG" 2>/dev/null) == down ]]; then ok "$step fails: testnet brought down"; else fail "$step fails: testnet left up"; fi
    fi
done
if grep -q 'stub compile error' <(run build; cat "$tmp/out"); then ok "build fails: the compiler's message is shown"; else fail "build fails: the compiler's message is hidden"; fi

if [[ $failed -ne 0 ]]; then echo "test_demo_errors: FAILED"; exit 1; fi
echo "test_demo_errors: passed"
