#!/usr/bin/python3
"""A real gRPC client for the jwt-sidecar gRPC integration tests (plain HTTP/2, h2c).

Run with Debian's /usr/bin/python3 (python3-grpcio); no protobuf: the calls go to the
"test.Echo" service of grpc_server.py with identity (bytes) serializers.

Usage:
    grpc_client.py --target HOST:PORT --call unary|server_stream|client_stream|bidi|slow
                   [--token T] [--payload-size N] [--count N] [--timeout SECONDS]
                   [--method /full/Path] [--sleep-ms MS] [--data TEXT]
                   [--metadata 'key: value' ...] [--raw-status]

    --token         sent as metadata "authorization: Bearer T"
    --payload-size  bytes per request message (default 16) for unary, client_stream, bidi;
                    for server_stream the size of each response message
    --count         messages for client_stream / bidi / server_stream (default 3)
    --timeout       deadline of the call in seconds (default 30)
    --method        overrides the method path (default /test.Echo/Unary, ...)
    --sleep-ms      what slow asks the server to sleep (default 1000)
    --data          the exact request text for unary / slow (instead of the generated one)
    --metadata      extra request metadata, repeatable (a -bin key's value is sent as the
                    UTF-8 bytes of the text)

Stdout: exactly one JSON line
    {"code": "OK"|"UNAUTHENTICATED"|... (grpc.StatusCode name), "details": str,
     "messages": int (responses received), "bytes": int (total response bytes),
     "trailing": {key: value}, "initial": {key: value},
     "reply": first response as text when short (<= 256 bytes) and printable, else null}
    with --raw-status also "raw_status": {"code": int, "details": the details as returned
    (null when none), "status_details_bin": hex of grpc-status-details-bin or null}.
    Metadata -bin values are hex; repeated keys are joined with ",".
Exit status 0 whenever the JSON was printed (whatever the gRPC code); 2 on bad arguments.
"""

import argparse
import json
import string
import sys

import grpc

MAX_MESSAGE = 64 * 1024 * 1024
DEFAULT_PATHS = {
    "unary": "/test.Echo/Unary",
    "server_stream": "/test.Echo/ServerStream",
    "client_stream": "/test.Echo/ClientStream",
    "bidi": "/test.Echo/Bidi",
    "slow": "/test.Echo/Slow",
}
PRINTABLE = set(string.printable.encode("ascii"))


def identity(data):
    return data


def payload(size):
    """`size` bytes of a repeating, recognisable pattern."""
    unit = b"abcdefghijklmnopqrstuvwxyz012345"
    return (unit * (size // len(unit) + 1))[:size]


def metadata_dict(metadata):
    out = {}
    for item in metadata or ():
        key, value = item[0], item[1]
        if isinstance(value, bytes):
            value = value.hex()
        out[key] = out[key] + "," + value if key in out else value
    return out


class Tally:
    """What came back: message count, bytes and the first message."""

    def __init__(self):
        self.messages = 0
        self.bytes = 0
        self.first = None

    def add(self, message):
        if self.first is None:
            self.first = message
        self.messages += 1
        self.bytes += len(message)

    def reply_text(self):
        if self.first is None or len(self.first) > 256:
            return None
        if not all(b in PRINTABLE for b in self.first):
            return None
        return self.first.decode("ascii")


def run_call(channel, args, metadata, tally):
    """Makes the call; returns the grpc.Call (or RpcError) holding status and metadata."""
    path = args.method or DEFAULT_PATHS[args.call]
    common = dict(request_serializer=identity, response_deserializer=identity)
    timeout = args.timeout

    def requests():
        message = payload(args.payload_size)
        for _ in range(args.count):
            yield message

    if args.call in ("unary", "slow"):
        if args.data is not None:
            request = args.data.encode("utf-8")
        elif args.call == "slow":
            request = str(args.sleep_ms).encode("ascii")
        else:
            request = payload(args.payload_size)
        stub = channel.unary_unary(path, **common)
        response, call = stub.with_call(request, timeout=timeout, metadata=metadata)
        tally.add(response)
        return call
    if args.call == "client_stream":
        stub = channel.stream_unary(path, **common)
        response, call = stub.with_call(requests(), timeout=timeout, metadata=metadata)
        tally.add(response)
        return call
    if args.call == "server_stream":
        stub = channel.unary_stream(path, **common)
        request = ("%d:%d" % (args.count, args.payload_size)).encode("ascii")
        call = stub(request, timeout=timeout, metadata=metadata)
    else:  # bidi
        stub = channel.stream_stream(path, **common)
        call = stub(requests(), timeout=timeout, metadata=metadata)
    try:
        for message in call:
            tally.add(message)
    except grpc.RpcError:
        pass  # the call object itself holds the status
    return call


def describe(call, tally, raw_status):
    code = call.code()
    details = call.details()
    trailing = call.trailing_metadata()
    result = {
        "code": code.name if code is not None else "UNKNOWN",
        "details": details if details is not None else "",
        "messages": tally.messages,
        "bytes": tally.bytes,
        "trailing": metadata_dict(trailing),
        "initial": metadata_dict(call.initial_metadata()),
        "reply": tally.reply_text(),
    }
    if raw_status:
        status_bin = None
        for item in trailing or ():
            if item[0] == "grpc-status-details-bin":
                status_bin = item[1].hex() if isinstance(item[1], bytes) else item[1]
        result["raw_status"] = {
            "code": code.value[0] if code is not None else None,
            "details": details,
            "status_details_bin": status_bin,
        }
    return result


def parse_metadata(pairs, token):
    metadata = []
    if token is not None:
        metadata.append(("authorization", "Bearer " + token))
    for pair in pairs:
        key, sep, value = pair.partition(":")
        if not sep:
            raise SystemExit("grpc_client: --metadata wants 'key: value', got %r" % pair)
        key, value = key.strip().lower(), value.strip()
        # grpc wants bytes for binary keys; the value is given as text.
        metadata.append((key, value.encode("utf-8") if key.endswith("-bin") else value))
    return metadata


def main():
    parser = argparse.ArgumentParser(description="gRPC test client (h2c, no protobuf)")
    parser.add_argument("--target", required=True, help="HOST:PORT")
    parser.add_argument("--call", required=True, choices=sorted(DEFAULT_PATHS))
    parser.add_argument("--token")
    parser.add_argument("--payload-size", type=int, default=16)
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--method", help="full method path, e.g. /test.Echo/Unary")
    parser.add_argument("--sleep-ms", type=int, default=1000)
    parser.add_argument("--data")
    parser.add_argument("--metadata", action="append", default=[])
    parser.add_argument("--raw-status", action="store_true")
    args = parser.parse_args()
    if args.payload_size < 0 or args.count < 0:
        parser.error("--payload-size and --count must be >= 0")

    metadata = parse_metadata(args.metadata, args.token)
    options = [
        ("grpc.max_receive_message_length", MAX_MESSAGE),
        ("grpc.max_send_message_length", MAX_MESSAGE),
        ("grpc.enable_http_proxy", 0),  # never through $http_proxy
        ("grpc.enable_retries", 0),     # one attempt: the tests count what reached upstream
    ]
    tally = Tally()
    with grpc.insecure_channel(args.target, options=options) as channel:
        try:
            call = run_call(channel, args, metadata, tally)
        except grpc.RpcError as error:  # unary and client_stream raise; error is the call
            call = error
        result = describe(call, tally, args.raw_status)
    sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
