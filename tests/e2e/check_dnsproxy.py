#!/usr/bin/env python3
"""
check_dnsproxy.py: a stale resolver for `mtasts-scan check --resolver A --resolver B` tests.
Listens on UDP ADDR:53, forwards every query to the testnet's knot (127.0.0.1:53) and passes the
answer back, except that in answers it rewrites the bytes OLD to NEW (same length, so no length
field changes): with OLD "id=2024" and NEW "id=1999" every _mta-sts id looks like an older one, as
a resolver still caching the record before an id change would answer.  Runs until killed.

usage: check_dnsproxy.py ADDR [OLD NEW]
"""
import socket
import sys


def main():
    addr = sys.argv[1]
    old = (sys.argv[2] if len(sys.argv) > 2 else "id=2024").encode()
    new = (sys.argv[3] if len(sys.argv) > 3 else "id=1999").encode()
    if len(old) != len(new):
        sys.exit("check_dnsproxy: OLD and NEW must have the same length")
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind((addr, 53))
    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    up.settimeout(2)
    print("check_dnsproxy: listening on %s:53" % addr, flush=True)
    while True:
        query, client = srv.recvfrom(4096)
        try:
            up.sendto(query, ("127.0.0.1", 53))
            while True:
                answer, _ = up.recvfrom(65535)
                if answer[:2] == query[:2]:
                    break
        except socket.timeout:
            continue
        srv.sendto(answer.replace(old, new), client)


if __name__ == "__main__":
    main()
