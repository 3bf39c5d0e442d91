#!/usr/bin/env bash
# The --metadata record of real runs: a completed scan of a .zst list, an interrupted one
# (SIGINT), one whose input is cut inside a zstd frame, and one that fails at set-up.  Each record
# must be valid JSON (python3 -m json.tool) and say what happened: status, reason, exit status,
# the input's SHA-256 (as sha256sum prints it, even when the scan stopped early), lines read, rows.
# No network: the resolver is a closed loopback port, so every lookup fails at once
# (--dns-abort-after 0: such a scan would otherwise stop early, exit 4).
set -euo pipefail
bin=$(realpath "${1:?usage: metadata.sh path/to/mtasts-scan}")
work=$(mktemp -d /tmp/mtasts-metadata.XXXXXX)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "metadata.sh: FAIL: $*" >&2; exit 1; }
# The system interpreter: a version manager's shim (pyenv) costs seconds a call on a loaded box,
# and this script asks some forty questions.
py=$(command -v /usr/bin/python3 || command -v python3)
field() {   # field FILE python-expression-on-d
    "$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print("null" if v is None else v)' "$1" "$2"
}
valid() { "$py" -m json.tool "$1" >/dev/null || fail "$1 is not valid JSON"; }
scan() { "$bin" -q --dns-only --resolver 127.0.0.1:1 --dns-abort-after 0 --timeout 0.5 "$@"; }

# 1. completed, .zst input: the hash is of the file as stored
{ echo "rank,domain"; for i in $(seq 1 50); do echo "$i,d$i.example"; done; echo "51,bad_name.example"; } > "$work/list.csv"
zstd -q "$work/list.csv" -o "$work/list.csv.zst"
scan --metadata "$work/done.json" --list-id 'list "A" 2026-11-30' -o "$work/done.csv" "$work/list.csv.zst"
valid "$work/done.json"
[[ $(field "$work/done.json" 'd["status"]') == completed ]] || fail "status not completed"
[[ $(field "$work/done.json" 'd["exit_status"]') == 0 ]] || fail "exit status"
[[ $(field "$work/done.json" 'd["reason"]') == null ]] || fail "a completed scan has no reason"
[[ $(field "$work/done.json" 'd["input"]["sha256"]') == $(sha256sum < "$work/list.csv.zst" | cut -d' ' -f1) ]] || fail "sha256 of the .zst file"
[[ $(field "$work/done.json" 'd["input"]["lines_read"]') == 52 ]] || fail "lines_read"
[[ $(field "$work/done.json" 'd["input"]["read_complete"]') == True ]] || fail "read_complete"
[[ $(field "$work/done.json" 'd["input"]["list_id"]') == 'list "A" 2026-11-30' ]] || fail "list_id"
[[ $(field "$work/done.json" 'd["counts"]["rows"]') == 51 ]] || fail "rows"
[[ $(field "$work/done.json" 'd["counts"]["verdicts"]["input_invalid"]') == 1 ]] || fail "input_invalid count"
[[ $(field "$work/done.json" 'd["counts"]["verdicts"]["dns_error"]') == 50 ]] || fail "dns_error count"
[[ $(field "$work/done.json" 'd["options"]["dns-only"]') == True ]] || fail "options"
[[ $(field "$work/done.json" 'd["options"]["rate"]') == 1000 ]] || fail "default option value"
[[ $(field "$work/done.json" 'd["command_line"][-1]') == "$work/list.csv.zst" ]] || fail "command line"
[[ $(field "$work/done.json" 'd["time"]["started"] <= d["time"]["ended"]') == True ]] || fail "times"
# stdin read to its end is hashed too
scan --metadata "$work/stdin.json" -o "$work/stdin.csv" - < "$work/list.csv"
[[ $(field "$work/stdin.json" 'd["input"]["path"]') == - ]] || fail "stdin path"
[[ $(field "$work/stdin.json" 'd["input"]["sha256"]') == $(sha256sum < "$work/list.csv" | cut -d' ' -f1) ]] || fail "sha256 of stdin"
echo "metadata.sh: completed run ok"

# 2. interrupted: 2 domains a second, SIGINT after a while; "running" while it runs
for i in $(seq 1 400); do echo "d$i.example"; done > "$work/long.txt"
# (the binary itself in the background: a shell function would be a subshell that ignores SIGINT)
"$bin" -q --dns-only --resolver 127.0.0.1:1 --dns-abort-after 0 --timeout 0.5 --rate 2 --metadata "$work/int.json" \
    -o "$work/int.csv" "$work/long.txt" &
pid=$!
sleep 1.5
valid "$work/int.json"
[[ $(field "$work/int.json" 'd["status"]') == running ]] || fail "status while running"
[[ $(field "$work/int.json" 'd["exit_status"]') == null ]] || fail "exit status while running"
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[[ $rc == 130 ]] || fail "interrupted scan exited $rc, not 130"
valid "$work/int.json"
[[ $(field "$work/int.json" 'd["status"]') == interrupted ]] || fail "status not interrupted"
[[ $(field "$work/int.json" 'd["exit_status"]') == 130 ]] || fail "exit status 130"
field "$work/int.json" 'd["reason"]' | grep -q '^Interrupt' || fail "reason: $(field "$work/int.json" 'd["reason"]')"
[[ $(field "$work/int.json" 'd["input"]["read_complete"]') == False ]] || fail "read_complete after interruption"
[[ $(field "$work/int.json" 'd["input"]["sha256"]') == $(sha256sum < "$work/long.txt" | cut -d' ' -f1) ]] || fail "sha256 of a list read only in part"
# interrupted: -o keeps its work name, the record says so (README, "Output rules")
[[ ! -e $work/int.csv && -s $work/int.csv.partial ]] || fail "an interrupted scan published -o"
rows=$(($(wc -l < "$work/int.csv.partial") - 1))
[[ $rows -gt 0 && $rows -lt 400 ]] || fail "$rows rows: the scan was not interrupted midway"
[[ $(field "$work/int.json" 'd["counts"]["rows"]') == "$rows" ]] || fail "rows in record vs CSV ($rows)"
[[ $(field "$work/int.json" 'd["time"]["ended"] is not None') == True ]] || fail "end time"
echo "metadata.sh: interrupted run ok ($rows rows)"

# interrupted while reading a pipe: what was not read cannot be hashed, so sha256 is null.  The
# list is larger than the reader's first block, so the rest is still in the pipe at the signal.
for i in $(seq 1 30000); do echo "pipe$i.example"; done > "$work/big.txt"
cat "$work/big.txt" | "$bin" -q --dns-only --resolver 127.0.0.1:1 --dns-abort-after 0 --timeout 0.5 --rate 2 \
    --metadata "$work/pipe.json" -o "$work/pipe.csv" - &
pid=$!
sleep 1.5
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[[ $rc == 130 ]] || fail "interrupted pipe scan exited $rc"
valid "$work/pipe.json"
[[ $(field "$work/pipe.json" 'd["input"]["sha256"]') == null ]] || fail "a pipe read in part has no sha256"
[[ $(field "$work/pipe.json" 'd["input"]["read_complete"]') == False ]] || fail "pipe read_complete"
echo "metadata.sh: interrupted pipe ok"

# 3. failed while reading: the .zst list ends inside a frame
head -c $(($(stat -c %s "$work/list.csv.zst") - 5)) "$work/list.csv.zst" > "$work/cut.csv.zst"
rc=0
scan --metadata "$work/cut.json" -o "$work/cut.csv" "$work/cut.csv.zst" 2>/dev/null || rc=$?
[[ $rc == 1 ]] || fail "cut input exited $rc"
valid "$work/cut.json"
[[ $(field "$work/cut.json" 'd["status"]') == failed ]] || fail "status not failed"
field "$work/cut.json" 'd["reason"]' | grep -q 'truncated zstd' || fail "reason: $(field "$work/cut.json" 'd["reason"]')"
[[ $(field "$work/cut.json" 'd["input"]["sha256"]') == null ]] || fail "a damaged input has no sha256"

# 4. failed at set-up: the --resume file does not exist; the output file is never created.  (A
# missing --ca-file is a usage error, exit 2, found before any scan starts: no record.)
rc=0
"$bin" -q --resolver 127.0.0.1:1 --resume "$work/missing-earlier.csv" --metadata "$work/setup.json" \
    -o "$work/setup.csv" "$work/list.csv" 2>/dev/null || rc=$?
[[ $rc == 1 ]] || fail "set-up failure exited $rc"
valid "$work/setup.json"
[[ $(field "$work/setup.json" 'd["status"]') == failed ]] || fail "set-up status"
field "$work/setup.json" 'd["reason"]' | grep -q 'missing-earlier.csv' || fail "set-up reason: $(field "$work/setup.json" 'd["reason"]')"
[[ ! -e $work/setup.csv ]] || fail "the output was created although set-up failed"

# 5. an unwritable --metadata path stops the scan before it touches the output
rc=0
scan --metadata "$work/no/such/dir/m.json" -o "$work/never.csv" "$work/list.csv" 2>/dev/null || rc=$?
[[ $rc == 1 && ! -e $work/never.csv ]] || fail "unwritable --metadata: exit $rc"
echo "metadata.sh: failure runs ok"
echo "metadata.sh: passed"
