#!/usr/bin/env bash
# The MX table survives a kill -9 (issue 20): MX rows are held in the MX cache until a host's
# count is final, so a killed run's --mx-output has only its header.  `--resume KILLED` probes the
# MX hosts of the rows it skips again, and `merge --mx` of both MX tables then has every host
# exactly once.  Domains d1..d40 each have their own MX host (mx1..mx40), scanned first; d41..d200
# share mx-shared.  The scan is killed (SIGKILL) once the first 45 rows are on disk, so mx1..mx40
# belong to the killed run only; without the re-probe they are missing from the merged table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: mx_resume.sh path/to/mtasts-scan}
. "$here/knot_env.sh"
tmp=$(mktemp -d)
peer="" scan_pid=""
cleanup() {
    [ -n "$scan_pid" ] && kill -9 "$scan_pid" 2>/dev/null
    [ -n "$peer" ] && kill "$peer" 2>/dev/null
    knot_stop; rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

{
    printf '$ORIGIN mxr.\n$TTL 300\n@ SOA ns.mxr. h.mxr. 1 3600 600 86400 300\n'
    printf '@ NS ns.mxr.\nns A 127.0.0.1\nmx-shared A 127.0.0.1\n'
    for i in $(seq 1 40); do printf 'mx%s A 127.0.0.1\nd%s MX 10 mx%s.mxr.\n' "$i" "$i" "$i"; done
    for i in $(seq 41 200); do printf 'd%s MX 10 mx-shared.mxr.\n' "$i"; done
} > "$tmp/mxr.zone"
seq 1 200 | sed 's/.*/&,d&.mxr/' > "$tmp/in.csv"
knot_start "$tmp/mxr.zone"
python3 "$here/smtp_counter.py" "$tmp/port" "$tmp/report" &
peer=$!
for _ in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
common=(-q --starttls all --concurrency 5 --resolver "127.0.0.1:$KNOT_PORT"
        --smtp-port "$(cat "$tmp/port")" --https-port 9 --timeout 5 --dns-timeout 2)
# the binary itself in the background ($! is the scanner, not a subshell)
"$bin" "${common[@]}" --rate 15 -o "$tmp/out.csv" --mx-output "$tmp/mx.csv" "$tmp/in.csv" 2>"$tmp/killed.err" &
scan_pid=$!
for _ in $(seq 1 300); do
    [ -e "$tmp/out.csv.partial" ] && [ "$(wc -l < "$tmp/out.csv.partial")" -gt 45 ] && break
    sleep 0.05
done
kill -9 "$scan_pid"
{ wait "$scan_pid"; } 2>/dev/null || true
scan_pid=""
rows=$(($(wc -l < "$tmp/out.csv.partial") - 1))
[ "$rows" -gt 45 ] && [ "$rows" -lt 200 ] || fail "the scan was not killed midway ($rows rows)"
echo "killed after $rows rows; its MX table has $(($(wc -l < "$tmp/mx.csv.partial") - 1)) rows"

"$bin" "${common[@]}" --rate 0 --resume "$tmp/out.csv.partial" -o "$tmp/rest.csv" --mx-output "$tmp/mx-rest.csv" \
    "$tmp/in.csv" 2>"$tmp/rest.err" || { cat "$tmp/rest.err"; fail "resume run"; }
"$bin" merge --mx -o "$tmp/mx-all.csv" "$tmp/mx.csv.partial" "$tmp/mx-rest.csv" 2>"$tmp/merge.err" \
    || { cat "$tmp/merge.err"; fail "merge --mx"; }

python3 - "$tmp/mx-all.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
hosts = [r["mx_host"] for r in rows]
want = {f"mx{i}.mxr" for i in range(1, 41)} | {"mx-shared.mxr"}
missing = sorted(want - set(hosts))
if missing:
    print(f"FAIL: {len(missing)} MX hosts missing from the merged table: {missing[:5]}...")
    sys.exit(1)
if len(hosts) != len(set(hosts)):
    print(f"FAIL: repeated hosts in the merged table ({len(hosts)} rows, {len(set(hosts))} hosts)")
    sys.exit(1)
shared = next(r for r in rows if r["mx_host"] == "mx-shared.mxr")["domains_sharing"]
if shared != "160":
    print(f"FAIL: mx-shared.mxr domains_sharing {shared}, want 160 (the skipped rows count too)")
    sys.exit(1)
print(f"mx_resume: all 41 MX hosts once in the merged table after kill -9 and --resume")
PY
