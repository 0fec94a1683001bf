#!/usr/bin/env python3
"""Opens many idle keep-alive connections to a proxy and reports its memory with them open.

    idle_conns.py --port PORT --pid PID --count N --path /rs/idle --token-file FILE

Each connection sends one real request (so the proxy has set up everything a served client
costs it: parser state, buffers, a verified token) and reads the whole answer, then stays open
and silent. Requests go out in batches so that the proxy never has thousands of requests in
flight at once: what is measured is the cost of idle clients, not of a burst.

Prints one JSON object: connections asked for, opened, answered with 200, the proxy's VmRSS
and VmHWM (KiB) with them all open, the file-descriptor limit, and the first error if fewer
than N could be opened (an fd limit, an ephemeral-port shortage...), so the report can say
honestly how far it got.
"""
import argparse
import json
import resource
import selectors
import socket
import sys
import time


def proc_status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--path", default="/public/idle")
    p.add_argument("--token-file", default=None)
    p.add_argument("--batch", type=int, default=250)
    p.add_argument("--timeout", type=float, default=60.0)
    a = p.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # This process needs one descriptor per connection plus a few of its own.
    wanted = min(hard, a.count + 64) if hard != resource.RLIM_INFINITY else a.count + 64
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))

    headers = f"Host: {a.host}:{a.port}\r\n"
    if a.token_file:
        with open(a.token_file) as f:
            token = f.readline().strip()
        headers += f"Authorization: Bearer {token}\r\n"
    request = f"GET {a.path} HTTP/1.1\r\n{headers}\r\n".encode()

    sel = selectors.DefaultSelector()
    conns = []
    answered = 0
    non_200 = 0
    error = None
    deadline = time.monotonic() + a.timeout

    # One batch at a time: connect, send, wait for every answer, then the next batch.
    while len(conns) < a.count and error is None and time.monotonic() < deadline:
        batch = []
        for _ in range(min(a.batch, a.count - len(conns))):
            try:
                s = socket.create_connection((a.host, a.port), timeout=10)
                s.sendall(request)
                s.setblocking(False)
            except OSError as e:
                error = f"after {len(conns) + len(batch)} connections: {e}"
                break
            batch.append(s)
            sel.register(s, selectors.EVENT_READ, bytearray())
        pending = set(batch)
        while pending and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=1.0):
                s = key.fileobj
                try:
                    data = s.recv(65536)
                except BlockingIOError:
                    continue
                except OSError as e:
                    error = error or f"read: {e}"
                    data = b""
                buf = key.data
                buf += data
                # The answers are small and carry Content-Length: the header plus that many
                # bytes is a complete answer. A closed connection counts as not kept open.
                head_end = buf.find(b"\r\n\r\n")
                done = False
                if not data:
                    done = True
                elif head_end >= 0:
                    length = 0
                    for line in bytes(buf[:head_end]).split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value.strip())
                    done = len(buf) >= head_end + 4 + length
                if done:
                    sel.unregister(s)
                    pending.discard(s)
                    if data and buf.startswith(b"HTTP/1.1 200"):
                        answered += 1
                    else:
                        non_200 += 1
                        if not data:
                            s.close()
                            continue
                    conns.append(s)
        if pending:
            error = error or f"{len(pending)} answers missing after {a.timeout:.0f}s"
            for s in pending:
                sel.unregister(s)
                s.close()

    # Let the proxy settle (return buffers, finish any lazy frees) before reading its memory.
    time.sleep(2.0)
    # Every connection must still be open: a peek that returns b"" means the proxy closed it.
    still_open = 0
    for s in conns:
        try:
            if s.recv(1, socket.MSG_PEEK) == b"":
                continue
        except BlockingIOError:
            pass
        except OSError:
            continue
        still_open += 1
    rss = proc_status_kib(a.pid, "VmRSS")
    hwm = proc_status_kib(a.pid, "VmHWM")
    result = {
        "requested": a.count,
        "opened": len(conns),
        "still_open": still_open,
        "answered_200": answered,
        "non_200": non_200,
        "rss_kib": rss,
        "hwm_kib": hwm,
        "nofile_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        "error": error,
    }
    print(json.dumps(result))
    for s in conns:
        s.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
