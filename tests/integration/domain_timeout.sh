#!/usr/bin/env bash
# --domain-timeout bounds the whole domain: a policy host and an MX host that answer every step
# 0.8 s late never trip --timeout 1, so without a deadline the domain takes the sum of its steps
# (DNS, then handshake + head + body for the policy, greeting + EHLO + STARTTLS + handshake for
# the MX: over 3.5 s here, 18.3 s at --timeout 5 in the report).  With --domain-timeout 2 it
# ends within the deadline, with domain_timeout naming the steps cut.
# DELAY, TIMEOUT and DEADLINE (0.8, 1, 2) scale it: DELAY=4.5 TIMEOUT=5 DEADLINE=15 is the
# reported case at full size (the default deadline, 3 x --timeout).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: domain_timeout.sh path/to/mtasts-scan}
delay=${DELAY:-0.8} timeout=${TIMEOUT:-1} deadline=${DEADLINE:-2}
. "$here/knot_env.sh"
tmp=$(mktemp -d)
peer=""
cleanup() { [ -n "$peer" ] && kill "$peer" 2>/dev/null; knot_stop; rm -rf "$tmp"; }
trap cleanup EXIT

cat > "$tmp/slow.zone" <<'ZONE'
$ORIGIN slow.test.
$TTL 300
@ SOA ns.slow.test. h.slow.test. 1 3600 600 86400 300
@ NS ns.slow.test.
ns A 127.0.0.1
@ MX 10 mx.slow.test.
mx A 127.0.0.1
mta-sts A 127.0.0.1
_mta-sts TXT "v=STSv1; id=1"
ZONE
echo "1,slow.test" > "$tmp/domains.csv"
knot_start "$tmp/slow.zone"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=mta-sts.slow.test \
    -addext "subjectAltName=DNS:mta-sts.slow.test,DNS:mx.slow.test" \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
python3 "$here/slow_peer.py" "$tmp/cert.pem" "$tmp/key.pem" "$delay" "$tmp/ports" &
peer=$!
for _ in $(seq 1 50); do [ -s "$tmp/ports" ] && break; sleep 0.1; done
read -r https_port smtp_port < "$tmp/ports"

scan() { # scan OUT [options]: prints the seconds the scan took
    local out=$1 t0 t1
    shift
    t0=$(date +%s.%N)
    "$bin" -q --starttls all --rate 0 --resolver "127.0.0.1:$KNOT_PORT" --ca-file "$tmp/cert.pem" \
        --https-port "$https_port" --smtp-port "$smtp_port" --timeout "$timeout" --dns-timeout 0.5 \
        -o "$out" "$@" "$tmp/domains.csv"
    t1=$(date +%s.%N)
    python3 -c "print(round($t1 - $t0, 2))"
}
col() { # col FILE NAME: that column of the first row
    python3 -c 'import csv,sys; print(next(csv.DictReader(open(sys.argv[1])))[sys.argv[2]])' "$1" "$2"
}

fail=0
free=$(scan "$tmp/free.csv" --domain-timeout 0)
cut=$(scan "$tmp/cut.csv" --domain-timeout "$deadline")
python3 -c "import sys; sys.exit(0 if $free > $deadline + 1 else 1)" ||
    { echo "FAIL: without a deadline the slow domain took ${free}s; the set-up is not slow"; fail=1; }
case "$(col "$tmp/free.csv" issues)" in *domain_timeout*) echo "FAIL: domain_timeout without a deadline"; fail=1;; esac
python3 -c "import sys; sys.exit(0 if $cut < $deadline + 0.8 else 1)" ||
    { echo "FAIL: --domain-timeout $deadline took ${cut}s"; fail=1; }
case "$(col "$tmp/cut.csv" issues)" in
    *domain_timeout*) ;;
    *) echo "FAIL: no domain_timeout: $(col "$tmp/cut.csv" issues)"; fail=1;;
esac
case "$(col "$tmp/cut.csv" detail)" in
    *"cut: "*) ;;
    *) echo "FAIL: detail does not name the steps cut: $(col "$tmp/cut.csv" detail)"; fail=1;;
esac
[ $fail = 0 ] && echo "domain_timeout: ${free}s without a deadline ($(col "$tmp/free.csv" verdict)), ${cut}s with --domain-timeout $deadline ($(col "$tmp/cut.csv" verdict); $(col "$tmp/cut.csv" detail))"
exit $fail
