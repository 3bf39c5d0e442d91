#!/usr/bin/env bash
# docs/codes.md's "Columns" section is the binary's own schema (`mtasts-scan schema --markdown`,
# from the one table in output/schema.c): fails, with the diff, when they differ.
#   schema_docs.sh BIN          check
#   schema_docs.sh --fix BIN    rewrite the section from BIN
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
doc=$here/../../docs/codes.md
fix=0
if [ "${1:-}" = "--fix" ]; then fix=1; shift; fi
bin=${1:?usage: schema_docs.sh [--fix] path/to/mtasts-scan}
begin='<!-- BEGIN generated columns: mtasts-scan schema --markdown -->'
end='<!-- END generated columns -->'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" schema --markdown > "$tmp/want"
. "$here/../support/generated_section.sh"
generated_section "$doc" "$begin" "$end" "$tmp/want" "$fix" "columns section"
# the plain --schema lists the same columns, in the same order
"$bin" --schema | awk 'NF>=2 && /^  /{print $1}' > "$tmp/plain"
sed -n 's/^| [0-9]* | `\([^`]*\)`.*/\1/p' "$tmp/want" > "$tmp/md"
diff -u "$tmp/md" "$tmp/plain" || { echo "FAIL: --schema and schema --markdown disagree"; exit 1; }
echo "ok: docs/codes.md columns = schema ($(wc -l < "$tmp/md") columns)"
