#!/usr/bin/env bash
# --blocklist: listed domains and addresses are provably never contacted.  A logging DNS server
# (dns_logger.py) and logging TCP listeners on 127.0.0.2-7 and ::1 (conn_logger.py, one port for
# SMTP, one for HTTPS) record every query and every connection.  The same scan runs twice:
#   1. without --blocklist (control): the listed names are queried and the listed addresses are
#      connected to, so the logs would show a leak;
#   2. with the list: zero queries for listed.test or any name under it, zero connections to a
#      listed address, while the unlisted ones are still contacted; the rows say what was skipped.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: blocklist.sh path/to/mtasts-scan}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; [ -n "${KEEP_TMP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"; }
trap cleanup EXIT

cat > "$tmp/zone" <<'EOF'
listed.test MX 10 mx-a.a.test
_mta-sts.listed.test TXT v=STSv1; id=1
sub.listed.test MX 10 mx-a.a.test
xlisted.test MX 10 mx-a.a.test
a.test MX 10 mx-a.a.test
_mta-sts.a.test TXT v=STSv1; id=1
mta-sts.a.test A 127.0.0.3
mta-sts.a.test A 127.0.0.4
mx-a.a.test A 127.0.0.2
b.test MX 10 mx-b.b.test
_mta-sts.b.test TXT v=STSv1; id=1
mta-sts.b.test A 127.0.0.4
mx-b.b.test A 127.0.0.5
mx-b.b.test AAAA ::1
c.test MX 10 mx-a.a.test
_mta-sts.c.test TXT v=STSv1; id=1
mta-sts.c.test A 127.0.0.6
d.test MX 10 mx.listed.test
_mta-sts.d.test TXT v=STSv1; id=1
mta-sts.d.test A 127.0.0.4
mx.listed.test A 127.0.0.7
EOF
cat > "$tmp/blocklist" <<'EOF'
# test opt-outs
listed.test          # a domain suffix
127.0.0.3            # a bare IPv4 address = /32
127.0.0.5/32
EOF
cat > "$tmp/blocklist2" <<'EOF'
# a second list (--blocklist is repeatable): adds to the first
127.0.0.6/31         # a CIDR prefix (.6 and .7)
::1                  # IPv6
EOF
printf '%s\n' listed.test sub.listed.test xlisted.test a.test b.test c.test d.test > "$tmp/domains"

start() {   # start NAME CMD...: runs a logger, waits for its port file
    "${@:2}" &
    pids+=($!)
    for _ in $(seq 1 100); do [ -s "$tmp/$1.port" ] && return 0; sleep 0.1; done
    echo "FAIL: $1 did not start"; exit 1
}
addrs=(127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5 127.0.0.6 127.0.0.7 ::1)

scan() {    # scan TAG [extra options...]
    local tag=$1
    shift
    : > "$tmp/dns-$tag.log"; : > "$tmp/smtp-$tag.log"; : > "$tmp/https-$tag.log"
    rm -f "$tmp"/*.port
    start dns python3 "$here/dns_logger.py" "$tmp/zone" "$tmp/dns.port" "$tmp/dns-$tag.log"
    start smtp python3 "$here/conn_logger.py" "$tmp/smtp.port" "$tmp/smtp-$tag.log" "${addrs[@]}"
    start https python3 "$here/conn_logger.py" "$tmp/https.port" "$tmp/https-$tag.log" "${addrs[@]}"
    "$bin" -q --starttls all --rate 0 --resolver "127.0.0.1:$(cat "$tmp/dns.port")" \
        --smtp-port "$(cat "$tmp/smtp.port")" --https-port "$(cat "$tmp/https.port")" \
        --timeout 3 --dns-timeout 1 --mx-addr-max 2 -o "$tmp/out-$tag.csv" "$@" "$tmp/domains"
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    pids=()
}

scan control
scan listed --blocklist "$tmp/blocklist" --blocklist "$tmp/blocklist2"

python3 - "$tmp" <<'EOF'
import csv, sys
tmp = sys.argv[1]
fail = []

def lines(name):
    return [l.split() for l in open(f"{tmp}/{name}") if l.strip()]

def listed_name(q):
    return q == "listed.test" or q.endswith(".listed.test")

listed_addrs = {"127.0.0.3", "127.0.0.5", "127.0.0.6", "127.0.0.7", "::1"}
for tag in ("control", "listed"):
    dns = [l[1] for l in lines(f"dns-{tag}.log")]
    conns = [l[0] for l in lines(f"smtp-{tag}.log")] + [l[0] for l in lines(f"https-{tag}.log")]
    bad_q = sorted({q for q in dns if listed_name(q)})
    bad_c = sorted({c for c in conns if c in listed_addrs})
    print(f"{tag}: {len(dns)} queries ({len(bad_q)} listed names: {bad_q}), "
          f"{len(conns)} connections (to listed addresses: {bad_c})")
    if tag == "control":
        # the watchers see what a leak would look like
        if {"listed.test", "sub.listed.test", "mx.listed.test"} - set(bad_q):
            fail.append(f"control: listed names not queried without the list: {bad_q}")
        if listed_addrs - set(bad_c):
            fail.append(f"control: listed addresses not all contacted without the list: {bad_c}")
    else:
        if bad_q:
            fail.append(f"queries for listed names: {bad_q}")
        if bad_c:
            fail.append(f"connections to listed addresses: {bad_c}")
        if "xlisted.test" not in dns:
            fail.append("xlisted.test (not under listed.test) was not queried")
        if "127.0.0.2" not in [l[0] for l in lines("smtp-listed.log")]:
            fail.append("the unlisted MX 127.0.0.2 was not probed")
        if "127.0.0.4" not in [l[0] for l in lines("https-listed.log")]:
            fail.append("the unlisted policy host 127.0.0.4 was not contacted")

rows = {r["domain"]: r for r in csv.DictReader(open(f"{tmp}/out-listed.csv"))}
def expect(domain, verdict=None, issue=None, detail=(), not_verdict=None):
    r = rows.get(domain)
    if r is None:
        fail.append(f"{domain}: no row"); return
    if verdict and r["verdict"] != verdict:
        fail.append(f"{domain}: verdict {r['verdict']}, want {verdict}")
    if not_verdict and r["verdict"] == not_verdict:
        fail.append(f"{domain}: verdict {r['verdict']}")
    if issue and issue not in r["issues"].split(";"):
        fail.append(f"{domain}: issues {r['issues']!r} lack {issue}")
    for d in detail:
        if d not in r["detail"]:
            fail.append(f"{domain}: detail {r['detail']!r} lacks {d!r}")

expect("listed.test", verdict="excluded", detail=["listed.test"])
expect("sub.listed.test", verdict="excluded", detail=["listed.test"])
expect("xlisted.test", not_verdict="excluded")
expect("a.test", issue="addr_excluded", detail=["127.0.0.3 (127.0.0.3/32)"], not_verdict="excluded")
expect("b.test", issue="addr_excluded", detail=["127.0.0.5 (127.0.0.5/32)", "::1 (::1/128)"])
expect("c.test", verdict="excluded", issue="addr_excluded", detail=["127.0.0.6 (127.0.0.6/31)"])
expect("d.test", issue="addr_excluded", detail=["mx.listed.test (listed.test)"])
if len(rows) != 7:
    fail.append(f"{len(rows)} rows, want 7")
for f in fail:
    print("FAIL:", f)
if not fail:
    print("blocklist: listed names never queried, listed addresses never connected to; rows say what was skipped")
sys.exit(1 if fail else 0)
EOF
