#!/usr/bin/env python3
"""Listens on one TCP port at several loopback addresses and logs every connection it accepts.

    conn_logger.py PORT_FILE LOG ADDR...

Binds the same free port on each ADDR (127.0.0.x or ::1), writes the port to PORT_FILE and
appends `local_addr` to LOG for every accepted connection (flushed at once).  It speaks just
enough SMTP to end a probe quickly (a greeting, a 250 to EHLO without STARTTLS, 221 to QUIT);
an HTTPS client gets the same greeting, fails its handshake and closes, which is fine: only the
connection counts.  Stops on SIGTERM.  Used to prove that blocklisted addresses are never
connected to."""
import asyncio
import os
import signal
import socket
import sys


async def main():
    port_file, log_path, addrs = sys.argv[1], sys.argv[2], sys.argv[3:]
    log = open(log_path, "a", buffering=1)

    def handler(local):
        async def handle(reader, writer):
            log.write(f"{local}\n")
            try:
                writer.write(b"220 logger.test ESMTP\r\n")
                while True:
                    line = await asyncio.wait_for(reader.readline(), 5)
                    if not line:
                        break
                    verb = line.split(b" ")[0].strip().upper()
                    if verb == b"EHLO":
                        writer.write(b"250 logger.test\r\n")
                    elif verb == b"QUIT":
                        writer.write(b"221 bye\r\n")
                        await writer.drain()
                        break
                    else:
                        writer.write(b"502 no\r\n")
                    await writer.drain()
            except (asyncio.TimeoutError, ConnectionError):
                pass
            writer.close()
        return handle

    # a port free on the first address; the others are loopback too and almost surely free
    probe = socket.socket(socket.AF_INET6 if ":" in addrs[0] else socket.AF_INET)
    probe.bind((addrs[0], 0))
    port = probe.getsockname()[1]
    probe.close()
    servers = [await asyncio.start_server(handler(a), a, port) for a in addrs]
    with open(port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(port_file + ".tmp", port_file)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    for s in servers:
        s.close()


asyncio.run(main())
