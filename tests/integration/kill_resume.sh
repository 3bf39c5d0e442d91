#!/usr/bin/env bash
# Exactly once under kills: a --dns-only scan of a real knotd on loopback is killed at a random
# moment (SIGINT, SIGTERM, a double SIGINT, SIGKILL; plain and .zst output), then the rest is
# scanned with `--resume KILLED -o REST`.  Checked for every trial (kill_check.py):
#   - the killed file is read by pandas and `zstd -dc` without error and without a cut row;
#   - every input line is in exactly one complete row of KILLED and REST: none missing, none twice;
#   - a graceful stop (one signal) and a double signal exit 130, a SIGKILL 137; none publishes
#     -o: the rows stay in -o's work file (killed.csv.partial, killed.csv.partial.zst), which is
#     what --resume reads (an interrupted scan is never published as a finished one).
# The same four signals again with --jobs 2 (two engines writing through one set of outputs,
# issue 22; plain for INT and KILL, .zst for TERM and the double), the resume run with --jobs 2 too.
# KILL_TRIALS rounds (default 1) of the 12 combinations; a few minutes at most.
set -euo pipefail
py=/usr/bin/python3   # the Debian python, which has python3-pandas and python3-zstandard
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: kill_resume.sh path/to/mtasts-scan}
command -v zstd >/dev/null || { echo "FAIL: zstd not installed (run scripts/setup-deps)"; exit 1; }
. "$here/knot_env.sh"
tmp=$(mktemp -d)
scan_pid=""
cleanup() { [ -n "$scan_pid" ] && kill -9 "$scan_pid" 2>/dev/null; knot_stop; rm -rf "$tmp"; }
trap cleanup EXIT

# Every name under kill.test. has an MX and an _mta-sts record (wildcards): tiny zone, any size.
cat > "$tmp/kill.zone" <<'ZONE'
$ORIGIN kill.test.
$TTL 300
@ SOA ns.kill.test. host.kill.test. 1 3600 600 86400 300
@ NS ns.kill.test.
ns A 127.0.0.1
* MX 10 mx.kill.test.
* TXT "v=STSv1; id=20260101T000000"
ZONE
knot_start "$tmp/kill.zone"
n=${KILL_LINES:-20000}
# Unique ranks in a shuffled order, so rows and ranks are not in step.
python3 -c "
import random
r = list(range(1, $n + 1)); random.Random(7).shuffle(r)
print('\n'.join(f'{k},d{k}.kill.test' for k in r))" > "$tmp/in.csv"

jobs=1
scan_args() {   # scan_args OUT [extra options]: a fast DNS-only scan of in.csv, into $args
    args=(-q --dns-only --jobs "$jobs" --resolver "127.0.0.1:$KNOT_PORT" --timeout 5 --dns-timeout 1
          --rate 7000 --concurrency 1000 -o "$@" "$tmp/in.csv")
}

trial() {   # trial NAME EXT SIGNALS...
    local name=$1 ext=$2
    shift 2
    local d="$tmp/$name"
    mkdir "$d"
    local out="$d/killed.$ext" work="$d/killed.${ext%.zst}.partial${ext#csv}" delay rc=0
    delay=$(python3 -c 'import random; print(round(random.uniform(0, 2.5), 2))')
    scan_args "$out"
    "$bin" "${args[@]}" 2>"$d/killed.err" &   # $! is the scanner itself, not a subshell
    scan_pid=$!
    # From the moment the work file exists (set-up under way), a signal is the scan's to handle.
    for _ in $(seq 1 100); do [ -e "$work" ] && break; sleep 0.02; done
    sleep "$delay"
    for sig in "$@"; do kill -s "$sig" "$scan_pid" 2>/dev/null || true; sleep 0.05; done
    { wait "$scan_pid"; } 2>/dev/null || rc=$?   # (without a "Killed" line from bash)
    scan_pid=""
    local killed=$work
    if [ "$1" = KILL ]; then
        [ "$rc" -eq 137 ] || { echo "FAIL: $name: exit $rc after SIGKILL"; return 1; }
    elif [ "$rc" -eq 0 ]; then   # a signal after the scan ended is no interruption
        killed=$out
        [ ! -e "$work" ] || { echo "FAIL: $name: work file left by a finished scan"; return 1; }
    else
        [ "$rc" -eq 130 ] || { echo "FAIL: $name: exit $rc after SIG$*"; cat "$d/killed.err"; return 1; }
        grep -q -- "--resume $work" "$d/killed.err" || { echo "FAIL: $name: the kept work file is not named"; cat "$d/killed.err"; return 1; }
    fi
    if [ "$killed" = "$work" ]; then
        [ ! -e "$out" ] || { echo "FAIL: $name: -o published by an interrupted run"; return 1; }
    fi
    if grep -q Sanitizer "$d/killed.err"; then echo "FAIL: $name:"; cat "$d/killed.err"; return 1; fi
    scan_args "$d/rest.$ext" --resume "$killed"
    "$bin" "${args[@]}" 2>"$d/rest.err" || { echo "FAIL: $name: resume run"; cat "$d/rest.err"; return 1; }
    echo "$name: --jobs $jobs, SIG$* after ${delay}s, exit $rc, $("$py" "$here/kill_check.py" trial "$tmp/in.csv" "$killed" "$d/rest.$ext")"
}

for t in $(seq 1 "${KILL_TRIALS:-1}"); do
    for ext in csv csv.zst; do
        trial "int-$ext-$t" "$ext" INT
        trial "term-$ext-$t" "$ext" TERM
        trial "double-$ext-$t" "$ext" INT INT
        trial "kill-$ext-$t" "$ext" KILL
    done
    jobs=2
    trial "jobs2-int-$t" csv INT
    trial "jobs2-term-$t" csv.zst TERM
    trial "jobs2-double-$t" csv.zst INT INT
    trial "jobs2-kill-$t" csv KILL
    jobs=1
done
echo "kill_resume: every trial exactly once"
