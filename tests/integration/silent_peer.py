#!/usr/bin/env python3
"""A TCP peer on 127.0.0.1 that accepts connections and never sends a byte (a server too loaded
to greet or to answer a TLS ClientHello), counts them, and writes the count to REPORT on SIGTERM.
usage: silent_peer.py PORT_FILE REPORT"""
import asyncio
import signal
import sys

port_file, report = sys.argv[1], sys.argv[2]
connections = 0
held = []


async def handle(reader, writer):
    global connections
    connections += 1
    held.append(writer)
    await reader.read()   # until the client gives up


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.sockets[0].getsockname()[1]))
    import os
    os.replace(port_file + ".tmp", port_file)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    with open(report, "w") as f:
        f.write("%d\n" % connections)


asyncio.run(main())
