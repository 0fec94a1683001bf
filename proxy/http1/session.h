// One client connection: read a request header, decide, answer or forward, repeat.
#pragma once

#include "proxy/io/net.h"
#include "proxy/http1/exchange.h"
#include "proxy/http1/worker.h"

namespace jwt_sidecar::proxy {

// An accepted TCP connection: TLS first when the listener has a certificate. Each request is
// answered by `handler` (handle_proxy_request, or the auth service's handle_check).
awaitable<void> run_session(Worker& worker, tcp::socket socket, RequestHandler handler);

// A connection already wrapped as a ByteStream (handshake done, if any). Also the entry point
// of the HTTP fuzz target, which feeds a session from memory.
awaitable<void> run_session(Worker& worker, std::unique_ptr<ByteStream> stream, std::string client_ip,
                            RequestHandler handler);

}  // namespace jwt_sidecar::proxy
