#!/usr/bin/env bash
# Runs every tests/scripts/test_*.sh (tests of the set-up scripts with stubs: no root, no network,
# nothing installed or started).  Exits 1 if any failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rc=0
for t in "$here"/test_*.sh; do
    echo "--- $(basename "$t")"
    "$t" || rc=1
done
exit "$rc"
