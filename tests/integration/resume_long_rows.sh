#!/usr/bin/env bash
# Resume and merge of scanner-made long rows, end to end on loopback.  A knotd serves 201 input
# lines (196 plain domains, two lines that repeat rank 201, and five "long" domains with 17 long
# MX names, a TLS-RPT record of many rua= destinations and a valid _mta-sts record); a Python
# HTTPS server serves their policy (40 mx patterns, signed by a CA made here) and a Python SMTP
# peer refuses every MX with a greeting whose text has quotes and commas, so those rows exceed
# 4096 bytes and hold a quoted detail cell.  Checks:
#   1. a resume of the complete output rescans nothing;
#   2. a resume of the output cut inside a long quoted row, and of a cut .zst output, plus the
#      first part, merged with --input, holds every input line exactly once (merge exit 0);
#   3. an input repeating rank 201 (two domains) resumed from a file holding only the first scans
#      the second;
#   4. three --shard outputs merge into one table with one header that pandas reads with an
#      integer rank; merging a shard twice exits 3 (duplicates).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: resume_long_rows.sh path/to/mtasts-scan}
for t in zstd openssl python3; do command -v $t >/dev/null || { echo "FAIL: $t not installed"; exit 1; }; done
# pandas is Debian's python3-pandas: the system interpreter has it (a pyenv python3 may not)
pandas_py=${PANDAS_PYTHON:-/usr/bin/python3}
"$pandas_py" -c 'import pandas' 2>/dev/null || { echo "FAIL: $pandas_py lacks pandas (python3-pandas)"; exit 1; }
. "$here/knot_env.sh"
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; knot_stop; rm -rf "$tmp"; }
trap cleanup EXIT
LONG="11 52 93 134 175"

# ---- zone and input ----
{
    printf '$ORIGIN test.\n$TTL 300\n@ SOA ns.test. h.test. 1 3600 600 86400 300\n@ NS ns.test.\nns A 127.0.0.1\n'
    for i in $(seq 1 200); do
        case " $LONG " in
        *" $i "*)
            for m in $(seq -w 1 17); do
                printf 'long%s MX %s mx%s-a-rather-long-mail-exchanger-host-name-for-testing.long%s.test.\n' "$i" "$m" "$m" "$i"
            done
            printf '*.long%s A 127.0.0.1\n' "$i"
            printf '_mta-sts.long%s TXT "v=STSv1; id=long%s"\n' "$i" "$i"
            printf '_smtp._tls.long%s TXT "v=TLSRPTv1; rua=' "$i"
            for r in $(seq 1 24); do printf 'mailto:tls-reports-%02d@reports.long%s.test,' "$r" "$i"; done
            printf 'mailto:last@long%s.test"\n' "$i" ;;
        *) printf 'd%s MX 10 mx.d%s.test.\n' "$i" "$i" ;;
        esac
    done
    printf 'dup1 MX 10 mx.dup1.test.\ndup2 MX 10 mx.dup2.test.\n'
} > "$tmp/test.zone"
{
    for i in $(seq 1 200); do
        case " $LONG " in *" $i "*) echo "$i,long$i.test" ;; *) echo "$i,d$i.test" ;; esac
    done
    echo "201,dup1.test"
    echo "201,dup2.test"
} > "$tmp/domains.csv"
knot_start "$tmp/test.zone"

# ---- policy host: HTTPS with a CA made here ----
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout "$tmp/ca.key" \
    -out "$tmp/ca.pem" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign 2>/dev/null
sans=$(for i in $LONG; do printf 'DNS:mta-sts.long%s.test,' "$i"; done)
openssl req -newkey rsa:2048 -nodes -subj /CN=mta-sts -keyout "$tmp/srv.key" -out "$tmp/srv.csr" 2>/dev/null
printf 'subjectAltName=%s\n' "${sans%,}" > "$tmp/ext"
openssl x509 -req -in "$tmp/srv.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial -days 2 \
    -extfile "$tmp/ext" -out "$tmp/srv.pem" 2>/dev/null
{
    printf 'version: STSv1\nmode: enforce\nmax_age: 86400\n'
    for p in $(seq -w 1 40); do printf 'mx: pattern-%s.a-long-name-that-matches-nothing.example.net\n' "$p"; done
} > "$tmp/policy.txt"
python3 - "$tmp" > /dev/null 2>&1 <<'PY' &
import http.server, socket, ssl, sys
tmp = sys.argv[1]
body = open(f"{tmp}/policy.txt", "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(f"{tmp}/srv.pem", f"{tmp}/srv.key")
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
open(f"{tmp}/https.port.tmp", "w").write(str(srv.server_address[1]))
import os; os.rename(f"{tmp}/https.port.tmp", f"{tmp}/https.port")
srv.serve_forever()
PY
pids+=($!)
# ---- MX: a peer that refuses with a greeting of quotes and commas ----
python3 - "$tmp" > /dev/null 2>&1 <<'PY' &
import asyncio, os, sys
tmp = sys.argv[1]
async def serve(r, w):
    w.write(b'554 5.7.1 "not here", go away, and "really" go\r\n')
    await w.drain()
    w.close()
async def main():
    s = await asyncio.start_server(serve, "127.0.0.1", 0)
    open(f"{tmp}/smtp.port.tmp", "w").write(str(s.sockets[0].getsockname()[1]))
    os.rename(f"{tmp}/smtp.port.tmp", f"{tmp}/smtp.port")
    await s.serve_forever()
asyncio.run(main())
PY
pids+=($!)
for _ in $(seq 1 100); do [ -s "$tmp/https.port" ] && [ -s "$tmp/smtp.port" ] && break; sleep 0.1; done

scan() {   # scan OUT [more options...]
    local out=$1
    shift
    "$bin" -q --resolver "127.0.0.1:$KNOT_PORT" --ca-file "$tmp/ca.pem" \
        --https-port "$(cat "$tmp/https.port")" --smtp-port "$(cat "$tmp/smtp.port")" \
        --timeout 5 --dns-timeout 2 --rate 0 --mx-rate-per-addr 0 --mx-conn-per-addr 50 \
        --https-rate-per-addr 0 -o "$out" "$@" "$tmp/domains.csv"
}
rows() { python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline="")))-1)' "$1"; }
fail=0

scan "$tmp/full.csv"
python3 - "$tmp/full.csv" <<'PY'
import sys
text = open(sys.argv[1], newline="").read()
lens = [len(l) for l in text.split("\n") if l.startswith("long")]
n = sum(1 for x in lens if x > 4096)
print(f"full scan: {text.count(chr(10)) - 1} lines, {n} rows over 4096 bytes, longest {max(lens)}")
if n < 5 or '"' not in text:
    print("FAIL: expected five long rows with quoted cells"); sys.exit(1)
PY
[ "$(rows "$tmp/full.csv")" = 202 ] || { echo "FAIL: full scan has $(rows "$tmp/full.csv") rows, want 202"; exit 1; }

# 1. a complete output: nothing to scan again
scan "$tmp/again.csv" --resume "$tmp/full.csv"
n=$(rows "$tmp/again.csv")
[ "$n" = 0 ] && echo "ok: resume of the complete output rescans nothing" || { echo "FAIL: resume of a complete output rescanned $n rows"; fail=1; }

# 2. cut inside the first long row's detail cell (inside its quotes), and in half; and a cut .zst
merge_check() {   # merge_check NAME FILES...: merge with --input, want exit 0 and every line once
    local name=$1 rc=0
    shift
    "$bin" merge -q --input "$tmp/domains.csv" -o "$tmp/$name.all.csv" "$@" 2> "$tmp/$name.merge.log" || rc=$?
    if [ $rc != 0 ]; then echo "FAIL: $name: merge exit $rc"; cat "$tmp/$name.merge.log"; fail=1; return; fi
    "$pandas_py" - "$tmp/$name.all.csv" "$tmp/domains.csv" "$name" <<'PY' || fail=1
import collections, sys
import pandas as pd
df = pd.read_csv(sys.argv[1], keep_default_na=False)
want = collections.Counter(tuple(l.strip().split(",", 1)) for l in open(sys.argv[2]))
got = collections.Counter(zip(df["rank"].astype(str), df["domain"]))
if df["rank"].dtype.kind != "i" or got != want:
    print(f"FAIL: {sys.argv[3]}: rank dtype {df['rank'].dtype}, diff {(got - want) + (want - got)}"); sys.exit(1)
print(f"ok: {sys.argv[3]}: every input line exactly once ({len(df)} rows, rank {df['rank'].dtype})")
PY
}
cut_at=$(python3 -c 'import sys; t=open(sys.argv[1],"rb").read(); i=t.index(b"not here"); print(i)' "$tmp/full.csv")
head -c "$cut_at" "$tmp/full.csv" > "$tmp/cutq.csv"
scan "$tmp/restq.csv" --resume "$tmp/cutq.csv"
# a cut file is refused (exit 1, named) unless --allow-partial: here it is given on purpose (its
# cut row was scanned again by --resume)
rc=0
"$bin" merge -q --input "$tmp/domains.csv" -o "$tmp/refused.csv" "$tmp/cutq.csv" "$tmp/restq.csv" 2> "$tmp/refused.log" || rc=$?
if [ $rc = 1 ] && grep -q "cutq.csv: truncated" "$tmp/refused.log" && [ ! -e "$tmp/refused.csv" ]; then
    echo "ok: a cut file without --allow-partial: exit 1, named"
else
    echo "FAIL: a cut file without --allow-partial: exit $rc"; cat "$tmp/refused.log"; fail=1
fi
merge_check cut-in-quotes --allow-partial "$tmp/cutq.csv" "$tmp/restq.csv"
head -c $(( $(stat -c %s "$tmp/full.csv") / 2 )) "$tmp/full.csv" > "$tmp/cuth.csv"
scan "$tmp/resth.csv.zst" --resume "$tmp/cuth.csv"
merge_check cut-half --allow-partial "$tmp/cuth.csv" "$tmp/resth.csv.zst"
zstd -q -c "$tmp/full.csv" > "$tmp/full.csv.zst"
head -c $(( $(stat -c %s "$tmp/full.csv.zst") * 2 / 3 )) "$tmp/full.csv.zst" > "$tmp/cutz.csv.zst"
scan "$tmp/restz.csv" --resume "$tmp/cutz.csv.zst"
merge_check cut-zst --allow-partial "$tmp/cutz.csv.zst" "$tmp/restz.csv"

# 3. repeated rank: the old file holds only 201,dup1.test
python3 - "$tmp/full.csv" "$tmp/dup1.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
w = csv.writer(open(sys.argv[2], "w", newline=""), lineterminator="\n")
w.writerow(rows[0])
w.writerows(r for r in rows[1:] if r[rows[0].index("domain")] == "dup1.test")
PY
scan "$tmp/restd.csv" --resume "$tmp/dup1.csv"
if grep -q '^dup2\.test,201,' "$tmp/restd.csv" && ! grep -q '^dup1\.test,' "$tmp/restd.csv" \
    && [ "$(rows "$tmp/restd.csv")" = 201 ]; then
    echo "ok: repeated rank: 201,dup2.test scanned, 201,dup1.test not"
else
    echo "FAIL: resume with a repeated rank: $(rows "$tmp/restd.csv") rows"; grep '^dup' "$tmp/restd.csv" || true; fail=1
fi

# 4. shards: one header, pandas reads rank as an integer; a shard merged twice exits 3
for s in 0 1 2; do scan "$tmp/shard$s.csv.zst" --shard "$s/3"; done
merge_check shards "$tmp/shard0.csv.zst" "$tmp/shard1.csv.zst" "$tmp/shard2.csv.zst"
rc=0
"$bin" merge -q -o "$tmp/twice.csv" "$tmp/shard0.csv.zst" "$tmp/shard1.csv.zst" "$tmp/shard0.csv.zst" 2> "$tmp/twice.log" || rc=$?
if [ $rc = 3 ] && grep -q "duplicate row" "$tmp/twice.log"; then
    echo "ok: a shard merged twice: exit 3, duplicates reported"
else
    echo "FAIL: merging a shard twice exited $rc"; cat "$tmp/twice.log"; fail=1
fi
[ $fail = 0 ] && echo "resume_long_rows: all checks passed"
exit $fail
