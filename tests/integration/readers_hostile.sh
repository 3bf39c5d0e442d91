#!/usr/bin/env bash
# The table readers on hostile input (issue 20): `--previous /dev/zero` grew to 24 GB and ignored
# SIGINT/SIGTERM while loading; diff and merge grew ~55 MB/s on it; a BOM before the header was
# "missing column domain".  For each reader (diff OLD and NEW, merge, a scan's --previous and
# --resume) on /dev/zero, a 64 MB cell, a 200 MB line behind 7 kB of zstd:
#   exit 1 within the timeout, peak RSS under 56 MB over a small table's (/usr/bin/time), the limit
#   named on stderr;
# SIGINT and SIGTERM while --previous or --resume loads from a FIFO that never ends: exit 130 at
# once, no output file and no work file, --metadata says interrupted; a UTF-8 BOM before the
# header reads as the header.  No network: the scan stops before it resolves anything.
set -euo pipefail
bin=$(realpath "${1:?usage: readers_hostile.sh path/to/mtasts-scan}")
[ -x /usr/bin/time ] || { echo "FAIL: /usr/bin/time (package time) is needed"; exit 1; }
command -v zstd >/dev/null || { echo "FAIL: zstd not installed (run scripts/setup-deps)"; exit 1; }
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err" | head -5; exit 1; }
cd "$tmp"

header="domain,rank,mx,txt_status,sts_id,policy_status,http_status,policy_mode,policy_max_age,policy_mx,mx_coverage,starttls_status,tlsrpt_status,tlsrpt_rua,verdict,issues,detail,scanned_at"
row() { echo "$1,$2,,missing,,not_fetched,,,,,,not_probed,missing,,not_deployed,,$3,2026-11-22T06:10:33Z"; }
{ echo "$header"; row a.test 1 ok; row b.test 2 ok; } > good.csv
echo example.test > list.txt

# a 64 MB cell (in detail) after a good row, and a 200 MB line compressed to a few kB
{ echo "$header"; row a.test 1 ok; printf 'b.test,2,,missing,,not_fetched,,,,,,not_probed,missing,,not_deployed,,'
  head -c 67108864 /dev/zero | tr '\0' x; echo ',2026-11-22T06:10:33Z'; } > cell.csv
head -c 209715200 /dev/zero | tr '\0' a | zstd -q -19 -o bomb.csv.zst

# The bound is on growth over the binary's footprint reading a small table: a sanitizer build starts
# at ~27 MB (shadow memory) and its quarantine keeps freed buffers (~38 MB for a row at its limit),
# a Release build at ~5 MB; an unbounded reader grows by gigabytes either way.
/usr/bin/time -o time.txt -f '%M' "$bin" diff good.csv good.csv >/dev/null 2>&1
base_kb=$(tail -1 time.txt)
bounded() {   # bounded NAME WORD COMMAND...: exit 1 within 20 s, peak RSS < 64 MB, WORD on stderr
    local name=$1 word=$2 rc=0
    shift 2
    rm -f out.csv out.csv.partial
    /usr/bin/time -o time.txt -f '%e %M' timeout 20 "$@" 2>err >/dev/null || rc=$?
    [ $rc -eq 1 ] || fail "$name: exit $rc, expected 1"
    read -r secs kb < <(tail -1 time.txt)
    [ "$kb" -lt $((base_kb + 57344)) ] || fail "$name: peak RSS ${kb} kB (a whole table read: ${base_kb} kB)"
    grep -q -- "$word" err || fail "$name: '$word' not on stderr"
    [ ! -e out.csv ] || fail "$name: out.csv was written"
    echo "ok: $name (${secs} s, ${kb} kB)"
}
for src in /dev/zero cell.csv bomb.csv.zst; do
    bounded "diff OLD $src" "over" "$bin" diff "$src" good.csv
    bounded "diff NEW $src" "over" "$bin" diff good.csv "$src"
    bounded "merge $src" "over" "$bin" merge -o out.csv good.csv "$src"
    bounded "--previous $src" "over" "$bin" --dns-only --previous "$src" -o out.csv list.txt
    bounded "--resume $src" "over" "$bin" --dns-only --resume "$src" -o out.csv list.txt
done

# signals while a table loads: a FIFO that sends a header and then nothing, kept open
for sig in INT TERM; do
    for opt in --previous --resume; do
        rm -f fifo out.csv out.csv.partial md.json
        mkfifo fifo
        (exec 3>fifo; echo "$header" >&3; sleep 30) &
        writer=$!
        pids+=("$writer")
        start=$(date +%s.%N)
        "$bin" --dns-only $opt fifo -o out.csv --metadata md.json list.txt 2>err &
        scan=$!
        sleep 1
        kill -0 $scan 2>/dev/null || fail "$opt fifo: the scan did not wait for the FIFO"
        kill -$sig $scan
        rc=0
        for _ in $(seq 50); do kill -0 $scan 2>/dev/null || break; sleep 0.1; done
        kill -0 $scan 2>/dev/null && { kill -9 $scan; fail "SIG$sig while loading $opt: still running 5 s later"; }
        wait $scan || rc=$?
        kill $writer 2>/dev/null || true
        [ $rc -eq 130 ] || fail "SIG$sig while loading $opt: exit $rc, expected 130"
        grep -q "while loading $opt" err || fail "SIG$sig while loading $opt: not said"
        [ ! -e out.csv ] && [ ! -e out.csv.partial ] || fail "SIG$sig while loading $opt: output files left"
        grep -q '"interrupted"' md.json || fail "SIG$sig while loading $opt: metadata not interrupted"
        echo "ok: SIG$sig while loading $opt: exit 130 in $(echo "$(date +%s.%N) - $start - 1" | bc) s"
    done
done

# a UTF-8 byte order mark before the header (a spreadsheet's "CSV UTF-8")
printf '\xef\xbb\xbf' | cat - good.csv > bom.csv
rc=0
"$bin" diff bom.csv good.csv -o changes.csv 2>err || rc=$?
[ $rc -eq 0 ] || fail "diff of a BOM file: exit $rc"
rm -f out.csv ref.csv
"$bin" merge -q -o ref.csv good.csv 2>err || fail "merge of good.csv: exit $?"
"$bin" merge -q -o out.csv bom.csv 2>err || fail "merge of a BOM file: exit $?"
cmp -s out.csv ref.csv || fail "merge of a BOM file: not the rows of good.csv"
echo "ok: a BOM before the header"
echo "PASS"
