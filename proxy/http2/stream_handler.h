// One HTTP/2 request stream, start to end: the request head checked and translated to the
// protocol-neutral RequestView, PolicyEngine::decide (the same call as HTTP/1.1's), then the
// answer - JSON, or Trailers-Only for gRPC - or the forward to the route's upstream.
#pragma once

#include <memory>

#include "proxy/http2/stream.h"

namespace jwt_sidecar::proxy::h2 {

class ServerSession;

awaitable<void> serve_stream(std::shared_ptr<ServerSession> session, std::shared_ptr<Stream> stream);

}  // namespace jwt_sidecar::proxy::h2
