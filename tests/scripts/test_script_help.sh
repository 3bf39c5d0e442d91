#!/usr/bin/env bash
# The scripts' --help (issue 20): scripts/slurm/submit prints a usage text (not its own source) and
# refuses an unknown option with exit 2; scripts/report --help explains the SCAN forms
# (DIR, DOMAINS,mx=FILE,metadata=FILE,label=TEXT).  Needs no Slurm, no network.
# Prints one line per check; exits 1 if any failed.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
failed=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failed=1; }

out=$("$repo/scripts/slurm/submit" --help 2>&1); rc=$?
[ $rc -eq 0 ] && ok "submit --help: exit 0" || fail "submit --help: exit $rc"
grep -q '^usage: scripts/slurm/submit ' <<<"$out" && ok "submit --help: a usage line" || fail "submit --help: no usage line: $out"
for word in '-n N' '--bin PATH' '--sbatch' 'INPUT' 'OUTDIR' '-- OPTIONS' 'MTASTS_SHARD_COUNT'; do
    grep -qF -- "$word" <<<"$out" || fail "submit --help does not explain $word"
done
if grep -qE '^#|set -euo|^src=' <<<"$out"; then fail "submit --help prints its own source"; else ok "submit --help: no source lines"; fi
"$repo/scripts/slurm/submit" --frobnicate a b >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "submit --frobnicate: exit 2" || fail "submit --frobnicate: exit $rc"

out=$("$repo/scripts/report" --help 2>&1); rc=$?
[ $rc -eq 0 ] && ok "report --help: exit 0" || fail "report --help: exit $rc: $out"
for word in 'mx=FILE' 'metadata=FILE' 'label=TEXT' '--mx-output' '--metadata' 'DIR'; do
    grep -qF -- "$word" <<<"$out" || fail "report --help does not explain $word"
done
[ $failed -eq 0 ] && ok "report --help explains DOMAINS,mx=,metadata=,label="
"$repo/scripts/report" -o /dev/null "/nonexistent.csv,colour=red" >/dev/null 2>"${TMPDIR:-/tmp}/report-err.$$"; rc=$?
grep -q 'scripts/report --help' "${TMPDIR:-/tmp}/report-err.$$" && ok "report: a bad SCAN points to --help" ||
    fail "report: a bad SCAN: exit $rc, $(cat "${TMPDIR:-/tmp}/report-err.$$")"
rm -f "${TMPDIR:-/tmp}/report-err.$$"
exit $failed
