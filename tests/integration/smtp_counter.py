#!/usr/bin/env python3
"""A minimal SMTP peer on 127.0.0.1 that counts connections: greets, answers EHLO without
STARTTLS, answers QUIT, and writes the number of connections and every command it saw to a file
when it gets SIGTERM.  Used to prove that a shared MX is probed once per scan."""
import asyncio
import signal
import sys

port_file, report = sys.argv[1], sys.argv[2]
connections = 0
commands = []


async def handle(reader, writer):
    global connections
    connections += 1
    writer.write(b"220 counter.test ESMTP\r\n")
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = line.decode(errors="replace").strip()
        commands.append(cmd)
        verb = cmd.split(" ")[0].upper()
        if verb == "EHLO":
            writer.write(b"250-counter.test\r\n250 PIPELINING\r\n")
        elif verb == "QUIT":
            writer.write(b"221 bye\r\n")
            await writer.drain()
            break
        else:
            writer.write(b"502 not here\r\n")
        await writer.drain()
    writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    with open(port_file, "w") as f:
        f.write(str(server.sockets[0].getsockname()[1]))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    with open(report, "w") as f:
        f.write(f"{connections}\n" + "\n".join(commands) + "\n")


asyncio.run(main())
