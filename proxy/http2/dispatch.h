// The proxy listener's protocol choice for an accepted connection (DESIGN.md "HTTP/2 and
// gRPC"): with TLS, what ALPN chose ("h2", else HTTP/1.1); without, prior-knowledge h2c when
// the first bytes are the HTTP/2 connection preface (RFC 9113 3.4), HTTP/1.1 otherwise.
// `http2: false` keeps every connection on HTTP/1.1. `Upgrade: h2c` is never honoured.
#pragma once

#include "proxy/http1/worker.h"
#include "proxy/io/net.h"

namespace jwt_sidecar::proxy::h2 {

awaitable<void> serve_client(Worker& worker, tcp::socket socket);

}  // namespace jwt_sidecar::proxy::h2
