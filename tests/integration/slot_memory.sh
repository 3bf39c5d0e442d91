#!/usr/bin/env bash
# The memory of a domain in flight stays small (issue 22): scripts/bench-slots scans 100,000
# domains DNS-only against a loopback knotd (every domain has an MX record) at --concurrency 100,
# 1000 and 5000, and this checks its figures against the issue's targets: at most 4 KB per
# waiting domain, and the default --concurrency 1000 within 40 MB of peak RSS.  A slot that held
# the row again (11 KB) or the whole MX answer (4 KB) fails here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: slot_memory.sh path/to/mtasts-scan}
command -v knotd >/dev/null || { echo "FAIL: knotd not installed (run scripts/setup-deps)"; exit 1; }
out=$("$here/../../scripts/bench-slots" "$bin" 100000 1000 5000)
echo "$out"
fail=0
while read -r kb conc per; do
    if (( per > 4096 )); then
        echo "FAIL: $per bytes per waiting domain at --concurrency $conc (target: at most 4096)"
        fail=1
    fi
    if (( conc == 1000 && kb > 40 * 1024 )); then
        echo "FAIL: peak RSS $kb KB at --concurrency 1000 (target: within 40 MB)"
        fail=1
    fi
done < <(echo "$out" | sed -n 's/^peak RSS *\([0-9]*\) KB.*--concurrency *\([0-9]*\): *\([0-9]*\) bytes.*/\1 \2 \3/p')
[[ $(echo "$out" | grep -c '^peak RSS') -eq 2 ]] || { echo "FAIL: scripts/bench-slots printed no figures"; exit 1; }
(( fail == 0 )) && echo "PASS: slot memory within the targets"
exit "$fail"
