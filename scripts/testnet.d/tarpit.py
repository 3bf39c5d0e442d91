#!/usr/bin/env python3
"""
tarpit.py: accepts TCP connections on the given ADDR:PORT pairs and never sends a byte, so that a
client's connect succeeds and every later step (TLS handshake, HTTP response) times out.  Bytes the
client sends are read and dropped.  A connection is closed after --hold seconds or when the client
goes away, so nothing piles up.  Started and stopped by scripts/testnet (pid file).

usage: tarpit.py [--hold SEC] [--pidfile FILE] ADDR:PORT...
"""

import argparse
import asyncio
import os
import signal


async def hold(reader, writer, seconds):
    try:
        await asyncio.wait_for(drain(reader), timeout=seconds)
    except (asyncio.TimeoutError, ConnectionError):
        pass
    finally:
        writer.transport.abort()


async def drain(reader):
    while await reader.read(4096):
        pass


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hold", type=float, default=120.0)
    ap.add_argument("--pidfile")
    ap.add_argument("listen", nargs="+")
    args = ap.parse_args()
    servers = []
    for spec in args.listen:
        host, port = spec.rsplit(":", 1)
        servers.append(await asyncio.start_server(
            lambda r, w: hold(r, w, args.hold), host, int(port), backlog=1024))
    if args.pidfile:
        with open(args.pidfile + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.replace(args.pidfile + ".tmp", args.pidfile)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for s in servers:
        s.close()
    if args.pidfile:
        try:
            os.unlink(args.pidfile)
        except OSError:
            pass


if __name__ == "__main__":
    asyncio.run(main())
