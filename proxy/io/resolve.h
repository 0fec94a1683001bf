// Name resolution with a deadline. getaddrinfo has no timeout of its own (a dead resolver can
// take 5 s per attempt and server), so every lookup the proxy makes - an upstream's host, an
// IdP's - is bounded by the deadline of the operation it belongs to.
#pragma once

#include "proxy/io/net.h"
#include "proxy/io/stream.h"

namespace jwt_sidecar::proxy {

struct Resolved {
  error_code ec;  // beast::error::timeout when the deadline passed first
  tcp::resolver::results_type endpoints;
};

awaitable<Resolved> resolve_until(const std::string& host, const std::string& port, Deadline deadline);

}  // namespace jwt_sidecar::proxy
