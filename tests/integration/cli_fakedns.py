#!/usr/bin/env python3
"""A scripted DNS server on loopback UDP for the CLI tests: the first label of the query name picks
the reply, so one run can exercise every DNS failure the scanner tells apart.

  servfail -> SERVFAIL   refused -> REFUSED   garbage -> an answer cut short (malformed)
  drop     -> no reply (timeout)   mx -> one MX record (other types: NODATA)   else -> NXDOMAIN
(the first label of the name that is one of these words decides, so _mta-sts.servfail.test
gets SERVFAIL too).

Usage: cli_fakedns.py PORTFILE [HOST]  -- binds an unused port on HOST (127.0.0.1), writes it to
PORTFILE, serves until killed.  Standard library only."""
import socket
import struct
import sys


def parse_question(pkt):
    """(id, flags, qname labels, question bytes) of a query; raises on a malformed one."""
    qid, flags, qd = struct.unpack("!HHH", pkt[:6])
    i, labels = 12, []
    while pkt[i]:
        n = pkt[i]
        labels.append(pkt[i + 1:i + 1 + n].decode("ascii", "replace").lower())
        i += 1 + n
    i += 1 + 4  # root label, qtype, qclass
    return qid, flags, labels, pkt[12:i]


def reply(pkt):
    qid, flags, labels, question = parse_question(pkt)
    kinds = ("servfail", "refused", "garbage", "drop", "mx")
    kind = next((k for k in labels if k in kinds), "")
    if kind == "drop":
        return None
    rd = flags & 0x0100
    if kind == "garbage":  # the question echoed, then an answer record cut short
        return struct.pack("!HHHHHH", qid, 0x8180 | rd, 1, 1, 0, 0) + question + b"\xc0\x0c\x00"
    rcode, answers = 3, b""
    qtype = struct.unpack("!H", question[-4:-2])[0]
    if kind == "servfail":
        rcode = 2
    elif kind == "refused":
        rcode = 5
    elif kind == "mx":
        rcode = 0
        if qtype == 15:  # MX 10 mx.invalid.
            rdata = struct.pack("!H", 10) + b"\x02mx\x07invalid\x00"
            answers = b"\xc0\x0c" + struct.pack("!HHIH", 15, 1, 300, len(rdata)) + rdata
    hdr = struct.pack("!HHHHHH", qid, 0x8000 | 0x0400 | rd | 0x0080 | rcode, 1,
                      1 if answers else 0, 0, 0)
    return hdr + question + answers


def main():
    host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((host, 0))
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    while True:
        pkt, peer = s.recvfrom(4096)
        try:
            r = reply(pkt)
        except (IndexError, struct.error):
            continue
        if r is not None:
            s.sendto(r, peer)


if __name__ == "__main__":
    main()
