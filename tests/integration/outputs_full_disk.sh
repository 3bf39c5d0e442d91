#!/usr/bin/env bash
# A full disk: the scan writes -o (plain, then .zst) on a 256 KiB tmpfs, mounted in a private
# mount namespace (unshare -m: nothing is left mounted, even when the test dies).  Expected: exit 1,
# the "No space left on device" error said once, the earlier -o file untouched, and the rows of
# this run in -o's work file (out.csv.partial, out.csv.partial.zst), cut back to the last complete row / frame: pandas and `zstd -dc` read it
# without error and without a cut row.  Needs root (mount); a real knotd on loopback.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:?usage: outputs_full_disk.sh path/to/mtasts-scan}")
py=/usr/bin/python3   # the Debian python, which has python3-pandas and python3-zstandard
if [ "${OUTPUTS_FULL_DISK_INNER:-}" = 1 ]; then
    # Inside the private mount namespace: $2 is the knotd port, $3 the work directory.
    port=$2 tmp=$3
    disk="$tmp/disk"
    mount -t tmpfs -o size=256k tmpfs "$disk"
    for ext in csv csv.zst; do
        work="$disk/out.${ext%.zst}.partial${ext#csv}"
        printf 'domain,rank\nearlier.example,1\n' > "$disk/out.$ext"
        rc=0
        "$bin" -q --dns-only --resolver "127.0.0.1:$port" --timeout 5 --dns-timeout 1 --rate 5000 \
            -o "$disk/out.$ext" "$tmp/in.csv" 2>"$tmp/err" || rc=$?
        [ "$rc" -eq 1 ] || { cat "$tmp/err"; echo "FAIL: $ext: exit $rc, want 1"; exit 1; }
        if grep -q Sanitizer "$tmp/err"; then cat "$tmp/err"; echo "FAIL: $ext: sanitizer report"; exit 1; fi
        n=$(grep -c "No space left on device" "$tmp/err" || true)
        [ "$n" -eq 1 ] || { cat "$tmp/err"; echo "FAIL: $ext: the error said $n times"; exit 1; }
        [ "$(cat "$disk/out.$ext")" = "$(printf 'domain,rank\nearlier.example,1')" ] ||
            { echo "FAIL: $ext: the earlier -o file was changed"; exit 1; }
        kept=$("$py" "$here/kill_check.py" readable "$work" | sed "s|^.*: ||")
        case $kept in 0\ *) echo "FAIL: $ext: no row kept ($kept): the disk was too small to test"; exit 1;; esac
        echo "ok: $ext: full disk, exit 1, the error said once, $kept kept in $(basename "$work")"
        grep -v "No space" "$tmp/err" | sed "s/^/    /"
        rm -f "$disk"/*
    done
    umount "$disk"
    exit 0
fi
command -v zstd >/dev/null || { echo "FAIL: zstd not installed (run scripts/setup-deps)"; exit 1; }
command -v unshare >/dev/null || { echo "FAIL: unshare (util-linux) not installed"; exit 1; }
. "$here/knot_env.sh"
tmp=$(mktemp -d)
cleanup() { knot_stop; rm -rf "$tmp"; }
trap cleanup EXIT
cat > "$tmp/f.zone" <<'ZONE'
$ORIGIN f.test.
$TTL 300
@ SOA ns.f.test. host.f.test. 1 3600 600 86400 300
@ NS ns.f.test.
ns A 127.0.0.1
* MX 10 mx.f.test.
* TXT "v=STSv1; id=20260101T000000"
ZONE
knot_start "$tmp/f.zone"
# Enough rows to fill 256 KiB, even compressed (random-looking names), written in a few s.
"$py" -c "
import random
g = random.Random(3)
for k in range(1, 30001):
    print(f'{k},{g.getrandbits(64):016x}.f.test')" > "$tmp/in.csv"
mkdir "$tmp/disk"
OUTPUTS_FULL_DISK_INNER=1 unshare -m --propagation private "$0" "$bin" "$KNOT_PORT" "$tmp"
echo "outputs_full_disk: all as expected"
