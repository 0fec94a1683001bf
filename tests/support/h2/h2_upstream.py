#!/usr/bin/python3
"""A plain HTTP/2 (h2c, prior knowledge) upstream for the proxy's tests, on python3-h2.

Usage: h2_upstream.py [--port 0] [--max-streams N] [--goaway-first] [--delay-ms MS]
                      [--cert FILE --key FILE]

Every request is answered 200 with the body "ok CONN" (CONN: the connection's number, from 1)
and the trailer "x-upstream-trailer: done". Options:
  --max-streams N   SETTINGS_MAX_CONCURRENT_STREAMS N; a stream beyond it gets RST_STREAM
                    REFUSED_STREAM (RFC 9113 5.1.2)
  --goaway-first    the first connection answers its first request with GOAWAY (last stream
                    id 0: nothing was processed, RFC 9113 6.8) and closes
  --delay-ms MS     each response waits MS milliseconds (streams overlap meanwhile)
  --cert/--key      TLS with ALPN "h2" only (an https:// upstream that speaks HTTP/2)

Stdout lines (flushed): "listening PORT" once; "request CONN PATH" per request processed;
"concurrent N" each time the most streams open at once on one connection reaches a new high.
"""
import argparse
import signal
import socket
import ssl
import sys
import threading
import time

import h2.config
import h2.connection
import h2.events
import h2.settings

lock = threading.Lock()
state = {"connections": 0, "max_concurrent": 0}


def say(line):
    with lock:
        print(line, flush=True)


def serve(sock, number, args):
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
    if args.max_streams:
        # In the first SETTINGS frame, as servers do: a client may not wait for a second one.
        conn.local_settings = h2.settings.Settings(
            client=False, initial_values={h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: args.max_streams})
    conn.initiate_connection()
    send_lock = threading.Lock()

    def flush():
        with send_lock:
            data = conn.data_to_send()
            if data:
                sock.sendall(data)

    flush()
    open_streams = set()
    paths = {}

    def respond(stream_id, path):
        if args.delay_ms:
            time.sleep(args.delay_ms / 1000)
        body = ("ok %d" % number).encode()
        with send_lock:
            try:
                conn.send_headers(stream_id, [(":status", "200"), ("content-type", "text/plain")])
                conn.send_data(stream_id, body)
                conn.send_headers(stream_id, [("x-upstream-trailer", "done")], end_stream=True)
                # Closed before the client can learn it: its next stream may arrive at once.
                open_streams.discard(stream_id)
                data = conn.data_to_send()
                sock.sendall(data)
            except Exception:
                pass
        open_streams.discard(stream_id)

    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            events = conn.receive_data(data)
            for event in events:
                if isinstance(event, h2.events.RequestReceived):
                    headers = dict(event.headers)
                    path = headers.get(":path", "")
                    if args.goaway_first and number == 1:
                        conn.close_connection(last_stream_id=0)
                        flush()
                        sock.close()
                        return
                    paths[event.stream_id] = path
                    open_streams.add(event.stream_id)
                    with lock:
                        if len(open_streams) > state["max_concurrent"]:
                            state["max_concurrent"] = len(open_streams)
                            print("concurrent %d" % len(open_streams), flush=True)
                elif isinstance(event, h2.events.DataReceived):
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    path = paths.get(event.stream_id, "")
                    say("request %d %s" % (number, path))
                    threading.Thread(target=respond, args=(event.stream_id, path), daemon=True).start()
                elif isinstance(event, h2.events.StreamReset):
                    open_streams.discard(event.stream_id)
            flush()
    except (OSError, h2.exceptions.ProtocolError):
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-streams", type=int, default=0)
    parser.add_argument("--goaway-first", action="store_true")
    parser.add_argument("--delay-ms", type=int, default=0)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    tls = None
    if args.cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.cert, args.key)
        tls.set_alpn_protocols(["h2"])
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", args.port))
    server.listen(128)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    say("listening %d" % server.getsockname()[1])
    while True:
        sock, _ = server.accept()
        if tls:
            try:
                sock = tls.wrap_socket(sock, server_side=True)
            except (OSError, ssl.SSLError):
                sock.close()
                continue
        with lock:
            state["connections"] += 1
            number = state["connections"]
        threading.Thread(target=serve, args=(sock, number, args), daemon=True).start()


if __name__ == "__main__":
    main()
