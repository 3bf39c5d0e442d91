#!/usr/bin/env python3
"""A tiny authoritative DNS server on loopback UDP that logs every query it receives.

    dns_logger.py ZONE PORT_FILE LOG

ZONE holds one record a line: `name TYPE data` with TYPE one of A, AAAA, MX (data `pref host`),
TXT (data: the rest of the line, one string).  A name listed with any type exists (NODATA for the
other types); every other name is NXDOMAIN, so no query goes unanswered.  The server binds
127.0.0.1 on a free port, writes the port to PORT_FILE, and appends `monotonic_seconds qname
qtype` to LOG for every query, flushed at once, so a test can watch who was asked what and when.
Stops on SIGTERM.  Used to prove that blocklisted names are never queried and that --dns-rate
holds at the server."""
import signal
import socket
import struct
import sys
import time

TYPES = {"A": 1, "MX": 15, "TXT": 16, "AAAA": 28}
NAMES = {v: k for k, v in TYPES.items()}


def load_zone(path):
    zone = {}
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, rtype, data = line.split(None, 2)
        zone.setdefault(name.lower().rstrip("."), []).append((rtype.upper(), data))
    return zone


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def rdata(rtype, data):
    if rtype == "A":
        return socket.inet_pton(socket.AF_INET, data)
    if rtype == "AAAA":
        return socket.inet_pton(socket.AF_INET6, data)
    if rtype == "MX":
        pref, host = data.split()
        return struct.pack("!H", int(pref)) + encode_name(host)
    raw = data.encode()
    return b"".join(bytes([len(raw[i:i + 255])]) + raw[i:i + 255] for i in range(0, max(len(raw), 1), 255))


def parse_question(msg):
    pos, labels = 12, []
    while msg[pos]:
        n = msg[pos]
        labels.append(msg[pos + 1:pos + 1 + n].decode(errors="replace"))
        pos += 1 + n
    qtype, _ = struct.unpack("!HH", msg[pos + 1:pos + 5])
    return ".".join(labels).lower(), qtype, msg[12:pos + 5]


def answer(zone, msg):
    qid, flags = struct.unpack("!HH", msg[:4])
    qname, qtype, question = parse_question(msg)
    records = zone.get(qname)
    rcode = 0 if records is not None else 3
    answers = b""
    count = 0
    for rtype, data in records or []:
        if TYPES.get(rtype) != qtype:
            continue
        rd = rdata(rtype, data)
        answers += b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 60, len(rd)) + rd
        count += 1
    rflags = 0x8400 | (flags & 0x0100) | rcode  # QR, AA, copy RD
    return qname, qtype, struct.pack("!HHHHHH", qid, rflags, 1, count, 0, 0) + question + answers


def main():
    zone_path, port_file, log_path = sys.argv[1:4]
    zone = load_zone(zone_path)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("127.0.0.1", 0))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log = open(log_path, "a", buffering=1)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(sock.getsockname()[1]))
    import os
    os.rename(port_file + ".tmp", port_file)
    while True:
        msg, peer = sock.recvfrom(4096)
        try:
            qname, qtype, reply = answer(zone, msg)
        except (IndexError, struct.error, ValueError):
            continue
        log.write(f"{time.monotonic():.6f} {qname} {NAMES.get(qtype, qtype)}\n")
        sock.sendto(reply, peer)


if __name__ == "__main__":
    main()
