// One client connection: read a request header, decide, answer or forward, repeat.
#pragma once

#include <chrono>

#include "proxy/io/net.h"
#include "proxy/http1/exchange.h"
#include "proxy/http1/worker.h"

namespace jwt_sidecar::proxy {

// An accepted TCP connection: TLS first when the listener has a certificate. Each request is
// answered by `handler` (handle_proxy_request, or the auth service's handle_check).
awaitable<void> run_session(Worker& worker, tcp::socket socket, RequestHandler handler);

// A connection already wrapped as a ByteStream (handshake done, if any). Also the entry point
// of the HTTP fuzz target, which feeds a session from memory. `received`: bytes already read
// from the connection (the HTTP/2 preface check's), parsed first; `first_timeout` (when set) is
// what is left of header_timeout for the first request header (0: all of header_timeout).
awaitable<void> run_session(Worker& worker, std::unique_ptr<ByteStream> stream, std::string client_ip,
                            RequestHandler handler, beast::flat_buffer received,
                            std::chrono::milliseconds first_timeout);

// Half-close, then read and discard briefly (at most 2 s, 1 MiB) so the client sees what was
// written instead of a reset caused by unread bytes (RFC 9112 9.6); then close.
awaitable<void> linger_close(ByteStream& stream);

// The first step of every client connection: the peer's address, TCP_NODELAY, and the TLS
// handshake when the listener has a certificate (null when it failed: the socket is closed).
// `offer_h2`: ALPN may choose "h2" (the proxy listener with http2 on).
awaitable<std::unique_ptr<ByteStream>> accept_stream(Worker& worker, tcp::socket socket, std::string& client_ip,
                                                     bool offer_h2 = false);

}  // namespace jwt_sidecar::proxy
