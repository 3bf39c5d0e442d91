#!/usr/bin/env bash
# docs/options.md's table is the binary's own option table (`mtasts-scan schema
# --options-markdown`, from the one table in pipeline/config.c): fails, with the diff, when they
# differ.  Also checks that every option --help lists for each command is a row of that table.
#   options_docs.sh BIN          check
#   options_docs.sh --fix BIN    rewrite the section from BIN
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
doc=$here/../../docs/options.md
fix=0
if [ "${1:-}" = "--fix" ]; then fix=1; shift; fi
bin=${1:?usage: options_docs.sh [--fix] path/to/mtasts-scan}
begin='<!-- BEGIN generated options: mtasts-scan schema --options-markdown -->'
end='<!-- END generated options -->'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" schema --options-markdown > "$tmp/want"
. "$here/../support/generated_section.sh"
generated_section "$doc" "$begin" "$end" "$tmp/want" "$fix" "options table"
# each command's --help lists exactly the rows that name it
for cmd in scan check diff merge; do
    if [ "$cmd" = scan ]; then "$bin" --help; else "$bin" "$cmd" --help; fi |
        sed -n 's/^  \(-., \)\{0,1\} *--\([a-z0-9-]*\).*/\2/p' | sort > "$tmp/help-$cmd"
    want=$cmd; [ "$cmd" = scan ] && want="the scan"
    awk -F' [|] ' -v c="$want" 'NR>2 && index(", " $2 ",", ", " c ",") {
            o=$1; sub(/.*`--/, "", o); sub(/[ `].*/, "", o); print o }' "$tmp/want" | sort > "$tmp/doc-$cmd"
    diff -u "$tmp/doc-$cmd" "$tmp/help-$cmd" || { echo "FAIL: $cmd --help and docs/options.md disagree"; exit 1; }
done
echo "ok: docs/options.md = option table ($(($(wc -l < "$tmp/want") - 2)) rows)"
