# knot_env.sh: sourced by the loopback integration tests.  knot_start ZONE_FILE [EXTRA_ZONE...]
# runs a real knotd on 127.0.0.1 at a free port (exported as KNOT_PORT) serving ZONE_FILE's
# origin, plus each EXTRA_ZONE configured WITHOUT a zone file (knot answers SERVFAIL for those).
# The caller's EXIT trap must call knot_stop.  Nothing leaves loopback.
KNOT_TMP=$(mktemp -d)
KNOT_PID=""

free_port() {   # free_port udp|tcp
    python3 -c 'import socket,sys; t=socket.SOCK_DGRAM if sys.argv[1]=="udp" else socket.SOCK_STREAM
s=socket.socket(socket.AF_INET,t); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"
}

knot_start() {
    local zonefile=$1 origin try
    shift
    command -v knotd >/dev/null || { echo "FAIL: knotd not installed (run scripts/setup-deps)"; return 1; }
    origin=$(awk '/^\$ORIGIN/ {print $2; exit}' "$zonefile")
    cp "$zonefile" "$KNOT_TMP/${origin}zone"
    # The port is free when picked but may be taken before knotd binds it (tests run in parallel,
    # and knotd binds UDP with SO_REUSEPORT, so a clash shows only as knotd exiting on the TCP
    # bind while ANOTHER test's knotd answers): a knotd that died is retried on a new port.
    for try in 1 2 3 4 5; do
        knot_try "$origin" "$@" && return 0
    done
    echo "FAIL: knotd did not answer"; cat "$KNOT_TMP/knotd.log"
    return 1
}

knot_try() {   # knot_try ORIGIN [EXTRA_ZONE...]: one knotd on a fresh port; 0 when it answers
    local origin=$1
    shift
    KNOT_PORT=$(free_port udp)
    {
        printf 'server:\n    listen: 127.0.0.1@%s\n    rundir: "%s"\n' "$KNOT_PORT" "$KNOT_TMP"
        printf 'database:\n    storage: "%s"\n' "$KNOT_TMP"
        printf 'template:\n  - id: default\n    storage: "%s"\n    file: "%%s.zone"\n' "$KNOT_TMP"
        printf 'zone:\n  - domain: %s\n' "$origin"
        for z in "$@"; do printf '  - domain: %s\n' "$z"; done
    } > "$KNOT_TMP/knot.conf"
    knotd -c "$KNOT_TMP/knot.conf" >"$KNOT_TMP/knotd.log" 2>&1 &
    KNOT_PID=$!
    for _ in $(seq 1 100); do
        kill -0 "$KNOT_PID" 2>/dev/null || { wait "$KNOT_PID" 2>/dev/null; KNOT_PID=""; return 1; }
        if [ -n "$(kdig @127.0.0.1 -p "$KNOT_PORT" +short +time=1 +tries=1 SOA "$origin" 2>/dev/null)" ]; then
            sleep 0.2 # a knotd that lost the TCP bind exits right after its UDP socket answered
            kill -0 "$KNOT_PID" 2>/dev/null && return 0
            wait "$KNOT_PID" 2>/dev/null
            KNOT_PID=""
            return 1
        fi
        sleep 0.1
    done
    kill "$KNOT_PID" 2>/dev/null; wait "$KNOT_PID" 2>/dev/null
    KNOT_PID=""
    return 1
}

knot_stop() {
    if [ -n "$KNOT_PID" ]; then kill "$KNOT_PID" 2>/dev/null; wait "$KNOT_PID" 2>/dev/null; fi
    rm -rf "$KNOT_TMP"
}
