#!/usr/bin/env bash
# The analyst's kit, end to end, on one small testnet scan whose truth is known:
#   1. brings up the testnet (scripts/testnet, its own namespace) and scans it twice: an "earlier"
#      DNS-only scan and a full one, each with --metadata and --mx-output (and the domain-MX edge
#      table when the scanner has --domain-mx-output);
#   2. loaders.py: the outputs in pandas and DuckDB with zero options (rows, types, a join of
#      domains to MX hosts against truth);
#   3. doc_snippets.py: every python and sql block of docs/analysis.md runs against the scan;
#   4. scripts/report of both scans, rendered by headless Chromium: browser.py checks the
#      screenshot is not blank and the DOM shows the truth's numbers.
# DuckDB is the npm package @duckdb/node-api, installed into tests/analysis/duckdb/node_modules
# (git-ignored) from its package-lock.json.  The testnet is brought down even when a step fails.
#
#   tests/analysis/run.sh path/to/mtasts-scan
# Environment: TESTNET_NS (default mtasts-analysis), TESTNET_DIR (default build/testnet-analysis),
# ANALYSIS_DOMAINS (default 240), ANALYSIS_SEED (default 5).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
here="$repo/tests/analysis"
bin=$(realpath "${1:?usage: run.sh path/to/mtasts-scan}")
export TESTNET_NS=${TESTNET_NS:-mtasts-analysis}
export TESTNET_DIR=${TESTNET_DIR:-$repo/build/testnet-analysis}
tn="$repo/scripts/testnet"
out="$TESTNET_DIR/analysis-out"
py=/usr/bin/python3   # Debian's: python3-pandas, -matplotlib, -zstandard, -pil live there

if [[ ! -f $here/duckdb/node_modules/@duckdb/node-api/package.json ||
      $here/duckdb/package-lock.json -nt $here/duckdb/node_modules/.package-lock.json ]]; then
    echo "analysis: npm ci (DuckDB for the loader tests)"
    npm ci --prefix "$here/duckdb" --no-audit --no-fund --loglevel=error
fi

cleanup() { "$tn" down >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$tn" down >/dev/null 2>&1 || true
"$tn" gen --domains "${ANALYSIS_DOMAINS:-240}" --seed "${ANALYSIS_SEED:-5}"
"$tn" up
rm -rf "$out"
mkdir -p "$out/earlier"

edges=()
if "$bin" --help | grep -q -- '--domain-mx-output'; then
    edges=(--domain-mx-output "$out/edges.csv.zst")
fi
scan() {   # scan DIR [OPTIONS...]
    local dir=$1
    shift
    "$tn" exec -- "$bin" -q --resolver 127.0.0.1 --ca-file "$TESTNET_DIR/ca.pem" --timeout 3 \
        --dns-timeout 1 --list-id "testnet seed ${ANALYSIS_SEED:-5}" --metadata "$dir/metadata.json" \
        -o "$dir/domains.csv.zst" --mx-output "$dir/mx.csv.zst" "$@" "$TESTNET_DIR/domains.txt"
}
echo "analysis: scanning (an earlier DNS-only scan, then a full one)"
scan "$out/earlier" --dns-only
scan "$out" "${edges[@]}"

status=0
echo "analysis: loaders (pandas, DuckDB)"
"$py" "$here/loaders.py" "$out" "$TESTNET_DIR/truth.csv" ${edges[1]:+"${edges[1]}"} || status=1
echo "analysis: docs/analysis.md snippets"
"$py" "$here/doc_snippets.py" "$repo/docs/analysis.md" "$out" || status=1
echo "analysis: the report in headless Chromium"
"$repo/scripts/report" -o "$out/report.html" "$out/earlier" "$out" >/dev/null || status=1
"$py" "$here/browser.py" "$out/report.html" "$TESTNET_DIR/truth.csv" "$out" "$TESTNET_DIR/domains.txt" 2 || status=1
echo "analysis: report $out/report.html, screenshot $out/report.png"
[[ $status == 0 ]] && echo "analysis: passed" || echo "analysis: FAILED"
exit $status
