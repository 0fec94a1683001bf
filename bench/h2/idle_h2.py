#!/usr/bin/env python3
"""Holds many idle HTTP/2 (h2c, prior knowledge) connections open to a proxy and reports its
memory before and with them open.

    idle_h2.py --port PORT --pid PID [--count 1000] [--settle 2]

Each connection sends the client connection preface and an empty SETTINGS frame, acknowledges
the server's SETTINGS, and then stays silent: no stream is ever opened, so what is measured is
what an idle h2 client costs the proxy (connection, session and HPACK state, buffers). Only the
raw frames are written by hand (9-byte frame headers); no HTTP/2 library is needed.

Prints one JSON object: connections asked for, opened, still open at the end, how many got
the server's SETTINGS, the proxy's VmRSS and VmHWM (KiB) before and with them open, and the
first error if fewer than asked could be opened.
"""
import argparse
import json
import resource
import selectors
import socket
import struct
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
SETTINGS = 0x4
ACK = 0x1


def frame(ftype, flags=0, stream=0, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.got_settings = False
        self.closed = False

    def on_readable(self):
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return
        self.buf += data
        # Walk complete frames; answer the server's SETTINGS with an ACK, ignore the rest
        # (WINDOW_UPDATE, SETTINGS ACK, a GOAWAY would show up as a close later).
        while len(self.buf) >= 9:
            length = int.from_bytes(self.buf[0:3], "big")
            if len(self.buf) < 9 + length:
                break
            ftype, flags = self.buf[3], self.buf[4]
            del self.buf[: 9 + length]
            if ftype == SETTINGS and not flags & ACK:
                self.got_settings = True
                try:
                    self.sock.send(frame(SETTINGS, ACK))
                except OSError:
                    self.closed = True


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--settle", type=float, default=2.0)
    p.add_argument("--timeout", type=float, default=30.0)
    a = p.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = a.count + 64
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted, hard))

    before_rss = status_kib(a.pid, "VmRSS")
    before_hwm = status_kib(a.pid, "VmHWM")
    sel = selectors.DefaultSelector()
    conns = []
    error = None
    hello = PREFACE + frame(SETTINGS)
    for i in range(a.count):
        try:
            s = socket.create_connection((a.host, a.port), timeout=10)
            s.sendall(hello)
            s.setblocking(False)
        except OSError as e:
            error = f"after {i} connections: {e}"
            break
        c = Conn(s)
        conns.append(c)
        sel.register(s, selectors.EVENT_READ, c)
        # Serve what has arrived so far, so that no server's output queue grows while we open.
        for key, _ in sel.select(timeout=0):
            key.data.on_readable()

    # Until every connection has had its SETTINGS (and ACKed them), then a settle time.
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline and any(not c.got_settings and not c.closed for c in conns):
        for key, _ in sel.select(timeout=0.5):
            key.data.on_readable()
    settle_end = time.monotonic() + a.settle
    while time.monotonic() < settle_end:
        for key, _ in sel.select(timeout=0.2):
            key.data.on_readable()

    still_open = sum(1 for c in conns if not c.closed)
    result = {
        "requested": a.count,
        "opened": len(conns),
        "still_open": still_open,
        "got_settings": sum(1 for c in conns if c.got_settings),
        "rss_before_kib": before_rss,
        "hwm_before_kib": before_hwm,
        "rss_kib": status_kib(a.pid, "VmRSS"),
        "hwm_kib": status_kib(a.pid, "VmHWM"),
        "nofile_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        "error": error,
    }
    print(json.dumps(result))
    for c in conns:
        c.sock.close()


if __name__ == "__main__":
    main()
