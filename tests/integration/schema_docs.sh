#!/usr/bin/env bash
# docs/codes.md's "Columns" section is the binary's own schema (`mtasts-scan schema --markdown`,
# from the one table in output/csvout.c): fails, with the diff, when they differ.
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
grep -qxF "$begin" "$doc" && grep -qxF "$end" "$doc" || { echo "FAIL: $doc lacks the generated-columns markers"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" schema --markdown > "$tmp/want"
awk -v b="$begin" -v e="$end" '$0==e{inside=0} inside{print} $0==b{inside=1}' "$doc" > "$tmp/have"
if [ "$fix" = 1 ]; then
    awk -v b="$begin" -v e="$end" -v f="$tmp/want" '
        $0==b {print; while ((getline l < f) > 0) print l; skip=1; next}
        $0==e {skip=0}
        !skip {print}' "$doc" > "$tmp/doc" && cp "$tmp/doc" "$doc"
    echo "rewrote the columns section of $doc"
    exit 0
fi
if ! diff -u "$tmp/have" "$tmp/want"; then
    echo "FAIL: docs/codes.md's columns differ from '$bin schema --markdown' (run $0 --fix $bin)"
    exit 1
fi
# the plain --schema lists the same columns, in the same order
"$bin" --schema | awk 'NF>=2 && /^  /{print $1}' > "$tmp/plain"
sed -n 's/^| [0-9]* | `\([^`]*\)`.*/\1/p' "$tmp/want" > "$tmp/md"
diff -u "$tmp/md" "$tmp/plain" || { echo "FAIL: --schema and schema --markdown disagree"; exit 1; }
echo "ok: docs/codes.md columns = schema ($(wc -l < "$tmp/md") columns)"
