#!/usr/bin/env python3
"""One real gRPC unary call through a proxy, with python3-grpcio (Debian's python3-grpcio).

    grpc_check.py HOST:PORT METHOD REQUEST_FILE

REQUEST_FILE is the gRPC-framed body h2load sends (5-byte prefix + message); the message part
is sent as the request, raw bytes both ways (no protobuf classes needed). Unlike h2load,
grpcio sends no content-length, checks the response framing and reads grpc-status from the
trailers. Prints one line: "ok: status OK, N-byte reply" or "failed: ..."; exit 0 either way
unless grpcio is missing (exit 3).
"""
import sys

try:
    import grpc
except ImportError:
    print("skipped: python3-grpcio is not importable by this python3")
    sys.exit(3)


def main():
    target, method, path = sys.argv[1:4]
    with open(path, "rb") as f:
        framed = f.read()
    message = framed[5:]
    with grpc.insecure_channel(target) as channel:
        call = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
        try:
            reply, info = call.with_call(message, timeout=5)
            code = info.code()
            print(f"{'ok' if code == grpc.StatusCode.OK else 'failed'}: status {code.name}, "
                  f"{len(reply)}-byte reply")
        except grpc.RpcError as e:
            print(f"failed: status {e.code().name}, details {e.details()!r}")


if __name__ == "__main__":
    main()
