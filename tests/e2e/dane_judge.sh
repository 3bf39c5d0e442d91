#!/usr/bin/env bash
# dane_judge.sh: a real DANE sender as the judge of the scanner's DANE results (issue 21).  Brings
# up a small signed testnet (every DANE scenario of scripts/testnet.d/gen.py), scans it through
# the validating unbound (127.0.0.2), and asks postfix's own DANE client, `posttls-finger -l dane`
# (smtp_dns_support_level = dnssec, the resolver 127.0.0.2 with `options trust-ad`), about every
# DANE MX host.  Its decision per host and address must equal the MX table's dane_match:
#   Verified TLS connection after "Matched DANE ... certificate"      ok
#   "no matching DANE TLSA records"                                   failed
#   TLSA records, all "unsupported" (PKIX usages), TLS established    unusable
#   DNSSEC-signed TLSA records, no TLS connection (no STARTTLS)       no_chain
#   no secure TLSA records (insecure zone), or the host not found     "" (no row or an empty cell)
# and equal to what gen published (gen/dane_mx.csv), so the judge checks the truth too.  Before
# the scanner writes dane_match (an older main) only the second comparison is made.
#   dane_judge.sh path/to/mtasts-scan     (TESTNET_NS, TESTNET_DIR like tests/e2e/run.sh)
# The testnet is brought down even when a step fails.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(realpath "${1:?usage: dane_judge.sh path/to/mtasts-scan}")
export TESTNET_NS=${TESTNET_NS:-mtasts-e2e-dane}
own_dir=
if [[ -z ${TESTNET_DIR:-} ]]; then
    own_dir=$(mktemp -d)
    export TESTNET_DIR="$own_dir/testnet"
fi
tn="$repo/scripts/testnet"
out="$TESTNET_DIR/dane-judge"
cleanup() {
    local rc=$?
    "$tn" down >/dev/null 2>&1 || true
    if [[ -n $own_dir ]]; then
        if [[ $rc -eq 0 ]]; then rm -rf "$own_dir"; else echo "dane_judge: data kept in $TESTNET_DIR" >&2; fi
    fi
    exit "$rc"
}
trap cleanup EXIT
command -v posttls-finger >/dev/null || { echo "dane_judge: posttls-finger (postfix) missing: scripts/setup-deps" >&2; exit 1; }
"$tn" down >/dev/null 2>&1 || true
# the DANE scenarios' coverage slots come last (gen.py): 100 domains hold every one
"$tn" gen --domains "${DANE_DOMAINS:-100}" --seed 7 >/dev/null
"$tn" up >/dev/null
mkdir -p "$out"
"$tn" exec -- "$bin" -q --resolver 127.0.0.2 --ca-file "$TESTNET_DIR/ca.pem" --timeout 3 --dns-timeout 1 \
    -o "$out/domains.csv" --mx-output "$out/mx.csv" "$TESTNET_DIR/domains.txt"

# postfix's client reads MAIL_CONFIG/main.cf and the system resolver: a private mount namespace
# inside the testnet's gives it a resolv.conf naming the validating unbound (glibc passes the AD
# bit on only with trust-ad)
printf 'compatibility_level = 3.6\nsmtp_dns_support_level = dnssec\ninet_protocols = all\n' >"$out/main.cf"
printf 'nameserver 127.0.0.2\noptions trust-ad\n' >"$out/resolv.conf"
chmod 644 "$out/main.cf" "$out/resolv.conf"
tail -n +2 "$TESTNET_DIR/gen/dane_mx.csv" | cut -d, -f1 | sort -u | while read -r host; do
    "$tn" exec -- unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && MAIL_CONFIG="$2" exec timeout 30 posttls-finger -c -l dane -t 5 -L summary,certmatch,verbose "[$3]"' \
        sh "$out/resolv.conf" "$out" "$host" >"$out/finger-$host.txt" 2>&1 || true
done
python3 - "$TESTNET_DIR/gen/dane_mx.csv" "$out/mx.csv" "$out" <<'PY'
import csv, os, re, sys
exp = list(csv.DictReader(open(sys.argv[1], newline="")))
rows = list(csv.DictReader(open(sys.argv[2], newline="")))
has = bool(rows) and "dane_match" in rows[0]
scan = {(r["mx_host"], r["address"]): r["dane_match"] for r in rows} if has else {}


def decide(text, addr):
    """posttls-finger's DANE decision for one address, in the scanner's dane_match words."""
    at = "[%s]:25" % addr
    if re.search(r"certificate verification failed for \S+%s: num=\d+:no matching DANE TLSA" % re.escape(at), text):
        return "failed"
    if re.search(r"%s: Matched DANE (EE|TA) certificate" % re.escape(at), text) and \
            re.search(r"Verified TLS connection established to \S+%s" % re.escape(at), text):
        return "ok"
    tls = re.search(r"TLS connection established to \S+%s" % re.escape(at), text)
    # postfix warns about the secure records it cannot use and logs only the usable ones
    if "unsupported TLSA" in text and "DNSSEC-signed TLSA record" not in text:
        return "unusable" if tls else "no_chain"
    if "DNSSEC-signed TLSA record" not in text:
        return ""
    return "no_chain" if not tls else "?"


bad = 0
for e in exp:
    host, addr = e["mx_host"], e["address"]
    text = open(os.path.join(sys.argv[3], "finger-%s.txt" % host), errors="replace").read()
    judge = decide(text, addr)
    line = "%-28s %-12s posttls-finger %-9r truth %-9r" % (host, addr, judge, e["dane_match"])
    ok = judge == e["dane_match"]
    if has:
        got = scan.get((host, addr)) or ""
        line += " scanner %r" % got
        ok = ok and got == judge
    print(("OK   " if ok else "DIFF ") + line)
    if not ok:
        bad += 1
        print("     posttls-finger said:\n       " + "\n       ".join(text.strip().splitlines()[-6:]))
if not has:
    print("dane_judge: the MX table has no dane_match column: judged against the truth only")
print("dane_judge: %d DANE MX addresses, %d differ" % (len(exp), bad))
sys.exit(1 if bad else 0)
PY
"$tn" down >/dev/null
echo "dane_judge: passed"
