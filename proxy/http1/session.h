// One client connection: read a request header, decide, answer or forward, repeat.
#pragma once

#include "proxy/io/net.h"
#include "proxy/http1/worker.h"

namespace jwt_sidecar::proxy {

// An accepted TCP connection: TLS first when the listener has a certificate.
awaitable<void> run_session(Worker& worker, tcp::socket socket);

// A connection already wrapped as a ByteStream (handshake done, if any). Also the entry point
// of the HTTP fuzz target, which feeds a session from memory.
awaitable<void> run_session(Worker& worker, std::unique_ptr<ByteStream> stream, std::string client_ip);

}  // namespace jwt_sidecar::proxy
