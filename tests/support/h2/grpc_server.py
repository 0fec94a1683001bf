#!/usr/bin/python3
"""A real gRPC upstream (plain HTTP/2, h2c) for the jwt-sidecar gRPC integration tests.

Run with Debian's /usr/bin/python3 (python3-grpcio); no protobuf: the service "test.Echo" is
registered through grpc.method_handlers_generic_handler with identity (bytes) serializers.

Usage:
    grpc_server.py [--port PORT]        (0, the default, picks a free port; binds 127.0.0.1)

Stdout (each line flushed):
    listening PORT          once, when the server accepts connections
    rpc METHOD              at the start of every RPC (METHOD: Unary, ServerStream, ...)
    cancelled Slow          when a Slow RPC ends by cancellation / deadline before its sleep
SIGTERM / SIGINT stop the server (server.stop(0)) and exit with status 0.

Methods of /test.Echo/:
    Unary         unary-unary   replies with the request bytes; trailing metadata
                                x-echo-user = invocation metadata x-user-id (when present),
                                x-seen-metadata = JSON object of all invocation metadata
                                (-bin values as hex; repeated keys joined with ",").
    ServerStream  unary-stream  request "N" or "N:SIZE" (ASCII): N messages of SIZE bytes
                                (default 16).
    ClientStream  stream-unary  consumes every message, replies "count:totalbytes".
    Bidi          stream-stream echoes every message back as it arrives.
    Slow          unary-unary   sleeps the request's milliseconds (ASCII) unless the RPC is
                                cancelled first, then replies "done".
Messages up to 64 MiB are accepted and sent.
"""

import argparse
import json
import signal
import sys
import threading
from concurrent import futures

import grpc

MAX_MESSAGE = 64 * 1024 * 1024
SERVICE = "test.Echo"

_print_lock = threading.Lock()


def emit(line):
    """One stdout line, flushed at once (the tests read them as they come)."""
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def identity(data):
    return data


def metadata_as_dict(metadata):
    """Invocation metadata as {key: str}; binary (-bin) values as hex."""
    seen = {}
    for item in metadata or ():
        key, value = item.key, item.value
        if isinstance(value, bytes):
            value = value.hex()
        seen[key] = seen[key] + "," + value if key in seen else value
    return seen


def parse_int(text, what, context):
    try:
        value = int(text)
        if value < 0:
            raise ValueError
        return value
    except ValueError:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad %s: %r" % (what, text))


def unary(request, context):
    emit("rpc Unary")
    seen = metadata_as_dict(context.invocation_metadata())
    trailing = [("x-seen-metadata", json.dumps(seen, sort_keys=True))]
    if "x-user-id" in seen:
        trailing.append(("x-echo-user", seen["x-user-id"]))
    context.set_trailing_metadata(tuple(trailing))
    return request


def server_stream(request, context):
    emit("rpc ServerStream")
    text = request.decode("ascii", "replace").strip()
    count_text, _, size_text = text.partition(":")
    count = parse_int(count_text, "count", context)
    size = parse_int(size_text, "size", context) if size_text else 16
    message = (b"0123456789abcdef" * (size // 16 + 1))[:size]
    for _ in range(count):
        if not context.is_active():
            return
        yield message


def client_stream(request_iterator, context):
    emit("rpc ClientStream")
    count = total = 0
    for message in request_iterator:
        count += 1
        total += len(message)
    return ("%d:%d" % (count, total)).encode("ascii")


def bidi(request_iterator, context):
    emit("rpc Bidi")
    for message in request_iterator:
        yield message


def slow(request, context):
    emit("rpc Slow")
    millis = parse_int(request.decode("ascii", "replace").strip(), "milliseconds", context)
    finished = threading.Event()
    # Runs when the RPC ends for any reason, a cancellation by the client (or proxy) included.
    if not context.add_callback(finished.set):
        return b""  # already terminated
    if finished.wait(millis / 1000.0) or not context.is_active():
        emit("cancelled Slow")
        return b""  # cancelled: nobody reads the reply
    return b"done"


def handler():
    return grpc.method_handlers_generic_handler(SERVICE, {
        "Unary": grpc.unary_unary_rpc_method_handler(
            unary, request_deserializer=identity, response_serializer=identity),
        "ServerStream": grpc.unary_stream_rpc_method_handler(
            server_stream, request_deserializer=identity, response_serializer=identity),
        "ClientStream": grpc.stream_unary_rpc_method_handler(
            client_stream, request_deserializer=identity, response_serializer=identity),
        "Bidi": grpc.stream_stream_rpc_method_handler(
            bidi, request_deserializer=identity, response_serializer=identity),
        "Slow": grpc.unary_unary_rpc_method_handler(
            slow, request_deserializer=identity, response_serializer=identity),
    })


def main():
    parser = argparse.ArgumentParser(description="gRPC echo upstream for tests (h2c)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = any free)")
    args = parser.parse_args()

    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=200),
        handlers=[handler()],
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE),
            ("grpc.max_send_message_length", MAX_MESSAGE),
            ("grpc.so_reuseport", 0),
        ],
        maximum_concurrent_rpcs=None,
    )
    port = server.add_insecure_port("127.0.0.1:%d" % args.port)
    if port == 0:
        sys.stderr.write("grpc_server: cannot bind 127.0.0.1:%d\n" % args.port)
        return 1

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    server.start()
    emit("listening %d" % port)
    # A timed wait so the main thread runs the signal handlers promptly.
    while not stop.wait(0.2):
        pass
    server.stop(0).wait(5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
