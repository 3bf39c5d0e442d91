#!/usr/bin/env python3
"""A policy host and an MX host on 127.0.0.1 that answer every step, but each only after DELAY
seconds: TLS handshake, response head and body for HTTPS; greeting, EHLO, STARTTLS and the TLS
handshake for SMTP.  With DELAY just under the scanner's --timeout no step ever times out, so only
a whole-domain deadline bounds the domain.  Usage: slow_peer.py CERT KEY DELAY PORTFILE; writes
"HTTPS_PORT SMTP_PORT" to PORTFILE and serves until SIGTERM.  One thread per connection, plain
blocking sockets: the TLS handshake starts only when the delay is over."""
import os
import signal
import socketserver
import ssl
import sys
import threading
import time

cert, key, delay, port_file = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
POLICY = b"version: STSv1\r\nmode: enforce\r\nmx: mx.slow.test\r\nmax_age: 86400\r\n"


def read_until(sock, end):
    data = b""
    while end not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data


class Https(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            time.sleep(delay)
            tls = ctx.wrap_socket(self.request, server_side=True)
            read_until(tls, b"\r\n\r\n")
            time.sleep(delay)
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                        b"Connection: close\r\n\r\n" % len(POLICY))
            time.sleep(delay)
            tls.sendall(POLICY)
            tls.close()
        except (OSError, ssl.SSLError):
            pass


class Smtp(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        try:
            time.sleep(delay)
            s.sendall(b"220 slow.test ESMTP\r\n")
            read_until(s, b"\r\n")                    # EHLO
            time.sleep(delay)
            s.sendall(b"250-slow.test\r\n250 STARTTLS\r\n")
            read_until(s, b"\r\n")                    # STARTTLS
            time.sleep(delay)
            s.sendall(b"220 go ahead\r\n")
            time.sleep(delay)
            tls = ctx.wrap_socket(s, server_side=True)
            read_until(tls, b"\r\n")                  # QUIT
            tls.sendall(b"221 bye\r\n")
            tls.close()
        except (OSError, ssl.SSLError):
            pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


h = Server(("127.0.0.1", 0), Https)
m = Server(("127.0.0.1", 0), Smtp)
for srv in (h, m):
    threading.Thread(target=srv.serve_forever, daemon=True).start()
with open(port_file + ".tmp", "w") as f:
    f.write("%d %d\n" % (h.server_address[1], m.server_address[1]))
os.rename(port_file + ".tmp", port_file)
signal.sigwait([signal.SIGTERM, signal.SIGINT])
