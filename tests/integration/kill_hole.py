#!/usr/bin/env python3
"""kill_hole.py PORTFILE: a black hole on 127.0.0.1 for tests that stop a scan while its policy
fetches and STARTTLS probes are in flight.  Accepts every connection, never answers, and keeps
the socket open until killed.  Writes the port it listens on to PORTFILE."""
import socket
import sys

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(1024)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    c, _ = s.accept()
    held.append(c)
