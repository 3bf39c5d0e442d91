#!/usr/bin/env bash
# End-to-end test of `mtasts-scan check` (docs/check.md) on the testnet: for one domain per
# verdict and per advisory code (each produced by a real server behaviour of the testnet: a 60 s
# TXT TTL, an SPF record beside v=STSv1, a certificate expiring in 10 days, a leaf served without
# its intermediate, a policy host whose first address refuses, a stale resolver), the text and JSON
# reports are compared with goldens (tests/e2e/check_golden/, times and generated names
# normalised), the verdict and codes with what the generator says, and the exit status (0/1/2).
# Then: the text report fits 80 columns and has no colour codes when not on a terminal, colour on
# a pty (script(1)) unless NO_COLOR; a bulk scan of the same testnet still matches truth.csv, and
# with --advisories its rows carry the advisory codes; and `check --format json` of every domain
# agrees with that scan (tests/e2e/scan_vs_check.py: verdicts, issue sets, records counted), a
# TAB-delimited v=STSv1 record among them.
#
# usage: check_report.sh path/to/mtasts-scan [--update]   (--update rewrites the goldens)
# TESTNET_NS (default mtasts-check) and TESTNET_DIR (default a fresh temporary directory) as for
# tests/e2e/run.sh; the namespace is torn down on exit.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(realpath "${1:?usage: check_report.sh path/to/mtasts-scan [--update]}")
update=${2:-}
export TESTNET_NS=${TESTNET_NS:-mtasts-check}
own_dir=
if [[ -z ${TESTNET_DIR:-} ]]; then
    own_dir=$(mktemp -d)
    export TESTNET_DIR="$own_dir/testnet"
fi
tn="$repo/scripts/testnet"
golden="$repo/tests/e2e/check_golden"
out="$TESTNET_DIR/check-out"
proxy_pid=
cleanup() {
    local rc=$?
    [[ -n $proxy_pid ]] && kill "$proxy_pid" 2>/dev/null
    "$tn" down >/dev/null 2>&1 || true
    if [[ -n $own_dir ]]; then
        if [[ $rc -eq 0 ]]; then rm -rf "$own_dir"; else echo "check_report: data kept in $TESTNET_DIR" >&2; fi
    fi
    exit "$rc"
}
trap cleanup EXIT
"$tn" down >/dev/null 2>&1 || true
"$tn" gen --domains 80 --seed 7 >/dev/null
"$tn" up >/dev/null
mkdir -p "$out"
gen="$TESTNET_DIR/gen"
fails=0
fail() { echo "check_report: FAIL: $*" >&2; fails=$((fails + 1)); }

sample() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["samples"][sys.argv[2]])' "$gen/meta.json" "$1"; }
field() { # field CSV DOMAIN COLUMN
    python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["domain"] == sys.argv[2]: print(r[sys.argv[3]]); break' "$1" "$2" "$3"
}
check() { "$tn" exec -- "$bin" check --resolver 127.0.0.1 --ca-file "$TESTNET_DIR/ca.pem" --timeout 3 "$@"; }

# case NAME SCENARIO EXTRA_CODES [check options...]: both formats against the goldens
case_() {
    local name=$1 scen=$2 extra=$3
    shift 3
    local d verdict codes rc
    if [[ $scen == input_invalid ]]; then d="a..test"; verdict=input_invalid; codes=
    else
        d=$(sample "$scen")
        verdict=$(field "$TESTNET_DIR/truth.csv" "$d" verdict)
        codes="$(field "$TESTNET_DIR/truth.csv" "$d" issues);$(field "$gen/advisory.csv" "$d" issues)"
    fi
    [[ $name == sts_unchecked ]] && verdict=sts_unchecked
    for fmt in text json; do
        rc=0
        check --format "$fmt" "$@" "$d" >"$out/$name.$fmt" 2>"$out/$name.$fmt.err" || rc=$?
        [[ $rc -le 1 ]] || fail "$name ($fmt): exit $rc: $(cat "$out/$name.$fmt.err")"
        python3 "$repo/tests/e2e/check_golden.py" "$golden/$name.$fmt" --domain "$d" --format "$fmt" \
            --exit "$rc" --want-verdict "$verdict" --want-codes "$codes;$extra" $update \
            <"$out/$name.$fmt" || fail "$name ($fmt)"
    done
    echo "check_report: $name ($d): $verdict, exit $rc"
}

# one domain per verdict
case_ enforce_ok enforce_ok ""
case_ testing_ok testing_ok "policy_mode_testing"
case_ mode_none mode_none ""
case_ not_deployed nosts ""
case_ no_mail null_mx ""
case_ dns_error dns_error_mx "dns_lookup_failed"
case_ invalid policy_http_status ""
case_ would_fail mx_not_covered ""
case_ input_invalid input_invalid ""
case_ sts_unchecked enforce_ok "" --dns-only
# one domain per advisory code
case_ policy_max_age_short max_age_short "policy_max_age_short"
case_ sts_ttl_unusual sts_ttl_unusual ""
case_ sts_txt_extra_records sts_txt_extra_records ""
case_ cert_expiring_soon cert_expiring_soon ""
case_ cert_chain_complete cert_chain_complete ""
case_ cert_chain_incomplete cert_chain_incomplete ""
case_ policy_fetch_other_address_failed policy_fetch_other_address_failed ""
case_ mx_cert_expiring_soon mx_cert_expiring_soon ""
case_ mx_cert_chain_incomplete mx_cert_chain_incomplete ""
# a stale resolver: 127.0.0.53 answers every _mta-sts id as an older one
"$tn" exec -- python3 "$repo/tests/e2e/check_dnsproxy.py" 127.0.0.53 >"$out/proxy.log" 2>&1 &
proxy_pid=$!
for _ in $(seq 50); do grep -q listening "$out/proxy.log" 2>/dev/null && break; sleep 0.1; done
case_ resolvers_disagree enforce_ok "resolvers_disagree" --resolver 127.0.0.53
case_ resolvers_agree enforce_ok "" --resolver 127.0.0.1
kill "$proxy_pid" 2>/dev/null; wait "$proxy_pid" 2>/dev/null || true; proxy_pid=

# exit statuses: 0 when every domain is fine, 1 when one is not, 2 on usage errors
ok=$(sample enforce_ok); bad=$(sample policy_http_status)
rc=0; check -q "$ok" "$(sample nosts)" >/dev/null || rc=$?; [[ $rc -eq 0 ]] || fail "fine domains: exit $rc"
rc=0; check -q "$ok" "$bad" >/dev/null || rc=$?; [[ $rc -eq 1 ]] || fail "a failing domain among fine ones: exit $rc"
rc=0; check >/dev/null 2>&1 || rc=$?; [[ $rc -eq 2 ]] || fail "no DOMAIN: exit $rc"
rc=0; check --format yaml "$ok" >/dev/null 2>&1 || rc=$?; [[ $rc -eq 2 ]] || fail "--format yaml: exit $rc"
rc=0; "$bin" --format json - </dev/null >/dev/null 2>&1 || rc=$?; [[ $rc -eq 2 ]] || fail "bulk --format: exit $rc"
# (not through check(), which gives --ca-file already: a second one is refused as given twice)
rc=0; "$tn" exec -- "$bin" check --resolver 127.0.0.1 --ca-file /nonexistent "$ok" >/dev/null 2>"$out/cafile.err" || rc=$?
[[ $rc -eq 2 ]] && grep -q "invalid value '/nonexistent' for --ca-file" "$out/cafile.err" || fail "bad --ca-file: exit $rc, $(cat "$out/cafile.err")"
rc=0; check --ca-file /nonexistent "$ok" >/dev/null 2>"$out/cafile2.err" || rc=$?
[[ $rc -eq 2 ]] && grep -q -- "--ca-file given twice" "$out/cafile2.err" || fail "--ca-file twice: exit $rc, $(cat "$out/cafile2.err")"
rc=0; check --resume x.csv "$ok" >/dev/null 2>"$out/resume.err" || rc=$?
[[ $rc -eq 2 ]] && grep -q -- "--resume is not an option of check" "$out/resume.err" || fail "check --resume: exit $rc, $(cat "$out/resume.err")"
# several domains in JSON: one object per line, in argument order
check --format json "$ok" "$bad" a..test >"$out/multi.json" || true
python3 - "$out/multi.json" "$ok" "$bad" <<'PY' || fail "json of three domains"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert [o["domain"] for o in objs] == [sys.argv[2], sys.argv[3], "a..test"], objs
PY

# an empty argument is reported (issue 20): which argument and why, in text and as a JSON object
rc=0; check "$ok" "" >"$out/empty.txt" 2>&1 || rc=$?
[[ $rc -eq 1 ]] || fail "check with an empty argument: exit $rc"
grep -q "argument 2 is empty" "$out/empty.txt" || fail "check \"\": no reason given: $(cat "$out/empty.txt")"
check --format json "" "$ok" >"$out/empty.json" 2>/dev/null || true
python3 - "$out/empty.json" "$ok" <<'PY' || fail "check --format json with an empty argument"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert [o["domain"] for o in objs] == ["", sys.argv[2]], objs
assert objs[0]["verdict"] == "input_invalid" and "argument 1 is empty" in objs[0]["detail"], objs[0]
PY

# 80 columns; colour only on a terminal, never with NO_COLOR
all=("$ok" "$bad" "$(sample mx_not_covered)" "$(sample cert_chain_incomplete)" "$(sample mx_cert_untrusted)")
width() { python3 -c 'import re,sys
t = re.sub(r"\x1b\[[0-9;]*m", "", sys.stdin.buffer.read().decode("utf-8").replace("\r", ""))
print(max(len(l) for l in t.split("\n")))'; }
check "${all[@]}" >"$out/pipe.txt" || true
grep -q $'\x1b' "$out/pipe.txt" && fail "colour codes on a pipe"
w=$(width <"$out/pipe.txt"); [[ $w -le 80 ]] || fail "text report $w columns wide on a pipe"
printf -v cmd '%q ' "$tn" exec -- "$bin" check --resolver 127.0.0.1 --ca-file "$TESTNET_DIR/ca.pem" --timeout 3 "${all[@]}"
script -qec "stty cols 80; $cmd" /dev/null >"$out/pty.txt" || true
grep -q $'\x1b\[' "$out/pty.txt" || fail "no colour on a terminal"
w=$(width <"$out/pty.txt"); [[ $w -le 80 ]] || fail "text report $w columns wide on a terminal"
NO_COLOR=1 script -qec "stty cols 80; NO_COLOR=1 $cmd" /dev/null >"$out/pty-nc.txt" || true
grep -q $'\x1b' "$out/pty-nc.txt" && fail "colour codes with NO_COLOR"

# the bulk scan: truth.csv still holds; --advisories adds the advisory codes to the rows
"$tn" exec -- "$bin" -q --resolver 127.0.0.1 --ca-file "$TESTNET_DIR/ca.pem" --timeout 3 \
    -o "$out/bulk.csv" --domain-mx-output "$out/edges.csv" "$TESTNET_DIR/domains.txt"
python3 "$repo/tests/e2e/compare_truth.py" "$TESTNET_DIR/truth.csv" "$out/bulk.csv" >/dev/null || fail "bulk scan vs truth.csv"
python3 "$repo/tests/e2e/check_columns.py" "$gen/published.csv" "$out/bulk.csv" "$out/edges.csv" >/dev/null ||
    fail "bulk scan's columns vs published.csv"
"$tn" exec -- "$bin" -q --advisories --resolver 127.0.0.1 --ca-file "$TESTNET_DIR/ca.pem" --timeout 3 \
    -o "$out/bulk-adv.csv" "$TESTNET_DIR/domains.txt"
python3 - "$gen/advisory.csv" "$out/bulk-adv.csv" <<'PY' || fail "bulk scan with --advisories"
import csv, sys
want = {r["domain"]: r for r in csv.DictReader(open(sys.argv[1]))}
got = {r["domain"]: r for r in csv.DictReader(open(sys.argv[2]))}
bad = 0
for d, w in want.items():
    codes = set(filter(None, got[d]["issues"].split(";")))
    need = set(filter(None, w["issues"].split(";")))
    if got[d]["verdict"] != w["verdict"] or not need <= codes:
        print("bulk --advisories: %s: %s %s, want %s with %s" % (d, got[d]["verdict"], codes, w["verdict"], need))
        bad += 1
sys.exit(1 if bad else 0)
PY
# scan and check are one judge (issue 19): check every domain of the bulk scan (in its row order)
# and compare verdicts, issue sets and the records shown with what the scan counted
mapfile -t every < <(python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")): print(r["domain"])' "$out/bulk-adv.csv")
check --format json -- "${every[@]}" >"$out/every.json" 2>"$out/every.err" || true
python3 "$repo/tests/e2e/scan_vs_check.py" "$out/bulk-adv.csv" "$out/every.json" >"$out/scan_vs_check.txt" ||
    fail "scan and check disagree: $(grep -v ' compared, ' "$out/scan_vs_check.txt" | head -20)"
tail -n 1 "$out/scan_vs_check.txt"
grep -qF 'v=STSv1\x09;' "$out/bulk-adv.csv" || fail "the testnet has no TAB-delimited v=STSv1 record"

[[ $fails -eq 0 ]] || { echo "check_report: $fails failures" >&2; exit 1; }
echo "check_report: OK"
