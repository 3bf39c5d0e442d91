#!/usr/bin/env python3
"""
dnssec.py: the DNSSEC chain of the signed testnet (scripts/testnet up), read from the running
knot servers: the DS records of signed zones for their parents, and the trust anchor (the root's
key) for the validating unbound.  knot signs every zone with keys it makes when it starts (nothing
secret is generated before, nothing is kept after down), so the chain is assembled bottom-up:
a zone's server starts, its DNSKEY is asked, the DS goes into the parent's zone file, the
parent's server starts.

  dnssec.py ds SERVER ZONE...        prints "ZONE DS tag 13 2 digest" for each ZONE's key-signing
                                     key(s) (SEP flag), asked from SERVER (IPv4, port 53);
                                     ZONE "-": the zones are read from stdin, one a line
  dnssec.py anchor SERVER FILE       writes the root's key-signing key(s) to FILE as DNSKEY
                                     records (unbound's trust-anchor-file)

A zone whose DNSKEY is not there yet (knot still signing) is asked again for up to 120 s.
Exit status 1 when a zone has no key-signing key by then.
"""

import base64
import hashlib
import os
import random
import socket
import struct
import sys
import time

DNSKEY = 48
WAIT = float(os.environ.get("TESTNET_DNSSEC_WAIT", "120"))


def wire_name(name):
    """name in DNS wire format, lower-cased (the canonical form of RFC 4034 §6.2)."""
    labels = [l for l in name.rstrip(".").lower().split(".") if l] if name != "." else []
    return b"".join(bytes([len(l)]) + l.encode() for l in labels) + b"\0"


def skip_name(buf, i):
    while True:
        n = buf[i]
        if n == 0:
            return i + 1
        if n & 0xC0 == 0xC0:
            return i + 2
        i += n + 1


def query_dnskey(server, zone, timeout=2.0):
    """The DNSKEY RDATAs of zone's answer (bytes each); [] when none.  TCP, so that size never
    matters."""
    qid = random.randrange(65536)
    q = struct.pack("!HHHHHH", qid, 0x0000, 1, 0, 0, 0) + wire_name(zone) + struct.pack("!HH", DNSKEY, 1)
    with socket.create_connection((server, 53), timeout=timeout) as s:
        s.sendall(struct.pack("!H", len(q)) + q)
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
            chunk = s.recv(65536)
            if not chunk:
                raise OSError("connection closed")
            buf += chunk
    msg = buf[2:2 + struct.unpack("!H", buf[:2])[0]]
    rid, flags, qd, an, _, _ = struct.unpack("!HHHHHH", msg[:12])
    if rid != qid or flags & 0xF:
        return []
    i = 12
    for _ in range(qd):
        i = skip_name(msg, i) + 4
    out = []
    for _ in range(an):
        i = skip_name(msg, i)
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[i:i + 10])
        i += 10
        if rtype == DNSKEY:
            out.append(msg[i:i + rdlen])
        i += rdlen
    return out


def key_tag(rdata):
    """RFC 4034 Appendix B."""
    ac = 0
    for j, b in enumerate(rdata):
        ac += b << 8 if j % 2 == 0 else b
    ac += (ac >> 16) & 0xFFFF
    return ac & 0xFFFF


def sep_keys(server, zone):
    deadline = time.monotonic() + WAIT
    while True:
        try:
            keys = [k for k in query_dnskey(server, zone) if struct.unpack("!H", k[:2])[0] & 1]
        except OSError:
            keys = []
        if keys:
            return keys
        if time.monotonic() > deadline:
            sys.exit("dnssec: %s has no key-signing key at %s after %.0f s" % (zone, server, WAIT))
        time.sleep(0.2)


def ds_lines(server, zone):
    zone = zone if zone.endswith(".") else zone + "."
    out = []
    for k in sep_keys(server, zone):
        digest = hashlib.sha256(wire_name(zone) + k).hexdigest()
        out.append("%s DS %d %d 2 %s" % (zone, key_tag(k), k[3], digest))
    return out


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "ds":
        zones = sys.argv[3:]
        if zones == ["-"]:
            zones = [l.split()[0] for l in sys.stdin if l.strip() and not l.startswith("#")]
        for z in zones:
            print("\n".join(ds_lines(sys.argv[2], z)))
    elif len(sys.argv) == 4 and sys.argv[1] == "anchor":
        with open(sys.argv[3], "w") as f:
            for k in sep_keys(sys.argv[2], "."):
                flags, proto, alg = struct.unpack("!HBB", k[:4])
                f.write(". 3600 IN DNSKEY %d %d %d %s\n" % (flags, proto, alg, base64.b64encode(k[4:]).decode()))
    else:
        sys.exit(__doc__.split("\n\n")[1])


if __name__ == "__main__":
    main()
