// HTTP/1.1 client -> HTTP/2 upstream: the HTTP/1.1 forwarder hands requests for an h2c:// or
// https:// upstream here (https:// goes back to HTTP/1.1 when ALPN did not choose h2) (through Worker::h2_forward, which the server sets; HTTP/1.1 sits below HTTP/2 in the
// layers and cannot name this directly).
#pragma once

#include "proxy/http1/forwarder.h"

namespace jwt_sidecar::proxy::h2 {

awaitable<ForwardResult> forward_to_h2(Worker& worker, ForwardRequest& request);

}  // namespace jwt_sidecar::proxy::h2
