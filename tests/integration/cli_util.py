"""Helpers for the cli_* tests (issue 9, first contact with the binary): the scripted DNS server
(cli_fakedns.py) on loopback, and running the binary with a pseudo-terminal of a given size."""
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FAILED = []


def check(cond, what, got=""):
    """Records a failed expectation (the test goes on, to report them all) and prints it."""
    if not cond:
        FAILED.append(what)
        print("FAIL:", what, ("-- got: %r" % (got,)) if got != "" else "")
    return cond


def finish(name):
    if FAILED:
        print("%s: %d failed" % (name, len(FAILED)))
        sys.exit(1)
    print("%s: all passed" % name)


class FakeDNS:
    """cli_fakedns.py on host (127.0.0.1 or ::1), stopped on exit of the with block."""

    def __init__(self, host="127.0.0.1"):
        self.host = host

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="cli-fakedns-")
        portfile = os.path.join(self.dir, "port")
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "cli_fakedns.py"),
                                      portfile, self.host])
        for _ in range(100):
            if os.path.exists(portfile):
                break
            time.sleep(0.05)
        self.port = int(open(portfile).read())
        return self

    @property
    def resolver(self):
        return ("[%s]:%d" if ":" in self.host else "%s:%d") % (self.host, self.port)

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()
        for f in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, f))
        os.rmdir(self.dir)


def dead_udp_port():
    """A loopback UDP port where nothing listens (bound, then closed)."""
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def open_pty(cols, rows=24):
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return master, slave


def run_on_pty(argv, cols, stdin=None, stdout=None, stderr_on_pty=True, stdin_on_pty=False,
               send=b"", send_after=1, timeout=60, env=None):
    """Runs argv with a pty of `cols` columns as its stderr (and stdout when stdout is None, and
    stdin when stdin_on_pty).  Returns (exit status, bytes the terminal received).  `send` is
    typed into the terminal once the process printed something (or after send_after s)."""
    master, slave = open_pty(cols)
    e = dict(os.environ)
    e.pop("COLUMNS", None)
    e.update(env or {})
    p = subprocess.Popen(argv, stdin=slave if stdin_on_pty else (stdin or subprocess.DEVNULL),
                         stdout=slave if stdout is None else stdout,
                         stderr=slave if stderr_on_pty else subprocess.DEVNULL,
                         env=e, start_new_session=True)
    os.close(slave)
    out = b""
    deadline = time.time() + timeout
    sent = not send
    t0 = time.time()
    while True:
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the last holder of the terminal closed it
                chunk = b""
            if not chunk and p.poll() is not None:
                break
            out += chunk
        if not sent and (out or time.time() - t0 > send_after):
            os.write(master, send)
            sent = True
        if p.poll() is not None and not r:
            break
        if time.time() > deadline:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            check(False, "%s finished within %d s" % (argv, timeout))
            break
    os.close(master)
    return p.wait(), out


ANSI = re.compile(rb"\x1b\[[0-9;]*[A-Za-z]")


def screen_lines(raw):
    """What a terminal shows line by line: split at \\r and \\n, escape sequences removed."""
    return [ANSI.sub(b"", part).decode("utf-8", "replace")
            for part in re.split(rb"[\r\n]", raw) if ANSI.sub(b"", part)]
