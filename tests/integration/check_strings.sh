#!/usr/bin/env bash
# `mtasts-scan check` shows a TXT record published as several character-strings string by string
# (text and json), against a real knotd on loopback; a one-string record is shown whole.  A record
# with a TAB before the ';' counts (the scan's rule, txt_is_candidate) in the text and the JSON;
# the JSON carries its bytes (the TAB as \t), the terminal shows \x09 (issue 19).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: check_strings.sh path/to/mtasts-scan}
. "$here/knot_env.sh"
trap knot_stop EXIT
cat > "$KNOT_TMP/in.zone" <<'ZONE'
$ORIGIN test.
$TTL 300
@ SOA ns.test. host.test. 1 3600 600 86400 300
@ NS ns.test.
ns A 127.0.0.1
split MX 10 mx.split.test.
_mta-sts.split TXT "v=STSv1;" " id=abc123"
_mta-sts.split TXT "google-site-verification=xyz"
_smtp._tls.split TXT "v=TLSRPTv1; " "rua=mailto:r@split.test"
tab MX 10 mx.tab.test.
_mta-sts.tab TXT "v=STSv1\009; id=tab1"
ZONE
knot_start "$KNOT_TMP/in.zone"
text=$("$bin" check --dns-only --resolver "127.0.0.1:$KNOT_PORT" split.test || true)
json=$("$bin" check --dns-only --format json --resolver "127.0.0.1:$KNOT_PORT" split.test || true)
tabtext=$("$bin" check --dns-only --resolver "127.0.0.1:$KNOT_PORT" tab.test || true)
tabjson=$("$bin" check --dns-only --format json --resolver "127.0.0.1:$KNOT_PORT" tab.test || true)
fail=0
want() { grep -qF -- "$2" <<<"$1" || { echo "FAIL: missing: $2"; fail=1; }; }
want "$text" '   "v=STSv1;" " id=abc123"'
want "$text" '   "google-site-verification=xyz"'
want "$text" '   "v=TLSRPTv1; " "rua=mailto:r@split.test"'
want "$json" '{"text":"v=STSv1; id=abc123","strings":["v=STSv1;"," id=abc123"],"candidate":true}'
want "$json" '{"text":"google-site-verification=xyz","candidate":false}'
want "$tabtext" 'tab.test: sts_unchecked'
want "$tabtext" '   "v=STSv1\x09; id=tab1"'
want "$tabtext" '      -> counted: the one v=STSv1 record'
want "$tabtext" '   id: tab1'
want "$tabjson" '"status":"ok","ttl":300,"id":"tab1","records":[{"text":"v=STSv1\t; id=tab1","candidate":true}]'
[ "$fail" -eq 0 ] && echo "check_strings: passed"
exit "$fail"
