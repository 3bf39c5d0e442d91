#!/usr/bin/env bash
# Output paths and the files a failed run leaves (a real knotd on loopback, --dns-only):
#   - every output path is checked before any output is opened: a bad --mx-output,
#     --summary-json, a left-over PATH.partial, two options naming one file, a closed stdout
#     cost no byte of an existing -o file, and create nothing;
#   - a run that fails mid-way (a cut .zst input) leaves -o as it was and its rows in -o.partial,
#     named on stderr; a run that ends well replaces -o and leaves no work file;
#   - a directory as input, a closed stdout and a reader that goes away: exit 1, the error said
#     once; under ASan (the sanitizer build runs this too) no leak report.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: outputs_paths.sh path/to/mtasts-scan}
py=/usr/bin/python3   # the Debian python, which has python3-pandas and python3-zstandard
command -v zstd >/dev/null || { echo "FAIL: zstd not installed (run scripts/setup-deps)"; exit 1; }
. "$here/knot_env.sh"
tmp=$(mktemp -d)
cleanup() { knot_stop; rm -rf "$tmp"; }
trap cleanup EXIT
cat > "$tmp/p.zone" <<'ZONE'
$ORIGIN p.test.
$TTL 300
@ SOA ns.p.test. host.p.test. 1 3600 600 86400 300
@ NS ns.p.test.
ns A 127.0.0.1
* MX 10 mx.p.test.
ZONE
knot_start "$tmp/p.zone"
seq 1 3000 | sed 's/.*/&,d&.p.test/' > "$tmp/in.csv"
fail() { echo "FAIL: $*"; exit 1; }
scan() { "$bin" -q --dns-only --resolver "127.0.0.1:$KNOT_PORT" --timeout 5 --dns-timeout 1 --rate 0 "$@"; }
no_sanitizer() { if grep -q Sanitizer "$1"; then cat "$1"; fail "$2: sanitizer report"; fi; }
earlier() { printf 'domain,rank\nearlier.example,1\n' > "$tmp/out.csv"; }
unchanged() {   # unchanged CASE: out.csv still holds the earlier results
    [ "$(cat "$tmp/out.csv")" = "$(printf 'domain,rank\nearlier.example,1')" ] || fail "$1: -o out.csv was changed"
}
expect_refused() {   # expect_refused CASE WORD OPTIONS...: exit 1 (want=2: 2), WORD on stderr, out.csv kept
    local name=$1 word=$2 rc=0
    shift 2
    earlier
    scan -o "$tmp/out.csv" "$@" "$tmp/in.csv" 2>"$tmp/err" || rc=$?
    [ "$rc" -eq "${want:-1}" ] || fail "$name: exit $rc, want ${want:-1}"
    grep -q -- "$word" "$tmp/err" || { cat "$tmp/err"; fail "$name: no '$word' on stderr"; }
    [ "$(wc -l < "$tmp/err")" -eq 1 ] || { cat "$tmp/err"; fail "$name: more than one error line"; }
    unchanged "$name"
    [ -n "${stale:-}" ] || [ ! -e "$tmp/out.csv.partial" ] || fail "$name: a work file was created"
    no_sanitizer "$tmp/err" "$name"
    echo "ok: $name: $(cat "$tmp/err")"
}

expect_refused "bad --mx-output" /nodir/mx.csv --mx-output /nodir/mx.csv
expect_refused "bad --summary-json" /nodir/s.json --summary-json /nodir/s.json
expect_refused "bad --domain-mx-output" /nodir/e.csv --domain-mx-output /nodir/e.csv
want=2 expect_refused "-o and --mx-output the same" "same file" --mx-output "$tmp/out.csv"
# Every written file against every read one (issue 20): refused as a usage error, before the
# input list or an earlier scan loses a byte.
cp "$tmp/in.csv" "$tmp/in.keep"
want=2 expect_refused "--metadata is the input list" "--metadata and INPUT" --metadata "$tmp/in.csv"
want=2 expect_refused "--summary-json is the input list" "same file" --summary-json "$tmp/in.csv"
want=2 expect_refused "--metadata is -o" "same file" --metadata "$tmp/out.csv"
cmp -s "$tmp/in.csv" "$tmp/in.keep" || fail "the input list was changed"
rc=0
scan -o "$tmp/in.csv" "$tmp/in.csv" 2>"$tmp/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "name the same file" "$tmp/err" || { cat "$tmp/err"; fail "-o INPUT: exit $rc"; }
cmp -s "$tmp/in.csv" "$tmp/in.keep" || fail "-o INPUT changed the input list"
echo "ok: -o INPUT: $(cat "$tmp/err")"
expect_refused "--mx-output is a directory" "Is a directory" --mx-output "$tmp"
echo "killed run's rows" > "$tmp/out.csv.partial"
stale=1 expect_refused "left-over out.csv.partial" "--resume" --mx-output "$tmp/mx.csv"
stale=1 want=2 expect_refused "--resume out.csv.partial -o out.csv" "its work file" --resume "$tmp/out.csv.partial"
[ "$(cat "$tmp/out.csv.partial")" = "killed run's rows" ] || fail "out.csv.partial was overwritten"
rm "$tmp/out.csv.partial"
[ ! -e "$tmp/mx.csv" ] && [ ! -e "$tmp/mx.csv.partial" ] || fail "--mx-output created before the refusal"

# A run that fails mid-way: the input .zst is cut, so reading stops with an error after the
# first rows.  -o keeps the earlier results; this run's complete rows are in out.csv.partial.
seq 1 200000 | sed 's/.*/&,d&.p.test/' | zstd -q -c > "$tmp/big.csv.zst"
head -c $(( $(stat -c %s "$tmp/big.csv.zst") / 3 )) "$tmp/big.csv.zst" > "$tmp/cut.csv.zst"
earlier
rc=0
scan -o "$tmp/out.csv" --mx-output "$tmp/mx.csv" --summary-json "$tmp/s.json" "$tmp/cut.csv.zst" 2>"$tmp/err" || rc=$?
[ "$rc" -eq 1 ] || fail "cut input: exit $rc, want 1"
unchanged "cut input"
grep -q "out.csv.partial" "$tmp/err" || { cat "$tmp/err"; fail "cut input: the kept work file is not named"; }
"$py" "$here/kill_check.py" readable "$tmp/out.csv.partial" | sed 's/^/ok: cut input kept /'
[ ! -e "$tmp/s.json" ] && [ ! -e "$tmp/mx.csv" ] || fail "cut input: an output was published"
[ -s "$tmp/s.json.partial" ] && [ -s "$tmp/mx.csv.partial" ] || fail "cut input: a work file is missing"
no_sanitizer "$tmp/err" "cut input"
rm -f "$tmp"/*.partial

# A run that ends well replaces -o, publishes every output and leaves no work file.
scan -o "$tmp/out.csv" --mx-output "$tmp/mx.csv" --summary-json "$tmp/s.json" "$tmp/in.csv" 2>"$tmp/err" \
    || { cat "$tmp/err"; fail "good run failed"; }
"$py" "$here/kill_check.py" union "$tmp/in.csv" "$tmp/out.csv" | sed 's/^/ok: good run: /'
"$py" -c "import json,sys; json.load(open(sys.argv[1]))" "$tmp/s.json" || fail "summary JSON"
[ -z "$(ls "$tmp" | grep partial)" ] || fail "good run left a work file"
no_sanitizer "$tmp/err" "good run"

# merge -o ALL: a merge that fails (an input that is not a table) leaves ALL as it was and no work
# file; one that ends well replaces it.
earlier
printf 'rank,domain\n1,a.test\n' > "$tmp/notatable.csv"
rc=0
"$bin" merge -q -o "$tmp/out.csv" "$tmp/notatable.csv" 2>"$tmp/err" || rc=$?
[ "$rc" -ne 0 ] || fail "merge of a non-table: exit 0"
unchanged "failed merge"
[ -z "$(ls "$tmp" | grep partial)" ] || fail "failed merge left a work file"
echo "ok: failed merge: exit $rc, out.csv as it was"

# A directory as input.
earlier
rc=0
scan -o "$tmp/out.csv" "$tmp" 2>"$tmp/err" || rc=$?
[ "$rc" -eq 1 ] && unchanged "directory input" || fail "directory input: exit $rc"
no_sanitizer "$tmp/err" "directory input"
echo "ok: directory input: $(head -1 "$tmp/err")"

# A closed stdout, and a reader that goes away: the error is said once.
rc=0
scan -o - "$tmp/in.csv" 2>"$tmp/err" >&- || rc=$?
[ "$rc" -eq 1 ] || fail "closed stdout: exit $rc"
[ "$(grep -c mtasts-scan "$tmp/err")" -eq 1 ] || { cat "$tmp/err"; fail "closed stdout: not said once"; }
no_sanitizer "$tmp/err" "closed stdout"
echo "ok: closed stdout: $(cat "$tmp/err")"
seq 1 30000 | sed 's/.*/&,d&.p.test/' > "$tmp/more.csv"
set +o pipefail
scan -o - "$tmp/more.csv" 2>"$tmp/err" | head -c 1000 > /dev/null
rc=${PIPESTATUS[0]}
set -o pipefail
[ "$rc" -eq 1 ] || fail "reader gone: exit $rc"
[ "$(grep -c mtasts-scan "$tmp/err")" -eq 1 ] || { cat "$tmp/err"; fail "reader gone: not said once"; }
no_sanitizer "$tmp/err" "reader gone"
echo "ok: reader gone: $(cat "$tmp/err")"
echo "outputs_paths: all as expected"
