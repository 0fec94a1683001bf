// An allowed HTTP/2 stream on its way to the upstream: the request as the upstream receives
// it, and the two ways to send it - over HTTP/1.1 (forward_http1.cpp) or multiplexed on an
// HTTP/2 upstream connection (forward_h2.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/decision.h"
#include "proxy/http1/worker.h"
#include "proxy/http2/downstream.h"
#include "proxy/http2/grpc.h"
#include "proxy/http2/stream.h"

namespace jwt_sidecar::proxy::h2 {

struct Forward {
  Downstream& conn;
  Stream& stream;
  const Runtime& rt;
  const policies::Decision& decision;
  SessionScratch& scratch;   // holds the verified token (claim headers come from it)
  const UpstreamTarget& upstream;
  std::string target;        // base path + normalised path + query (token stripped if asked)
  std::string_view method;
  std::string_view authority;
  std::vector<Field> fields;  // end-to-end request fields for the upstream (lower-case names)
  std::optional<std::uint64_t> content_length;
  bool head = false;
};

// What became of a forward. `answered`: the client got the upstream's response (or a reset);
// otherwise the stream handler answers `status` with `reason` itself (502, 504, 413, ...).
struct ForwardOutcome {
  unsigned status = 0;
  std::string_view reason = "ok";
  bool answered = false;
  std::int64_t upstream_us = -1;
};

// The request fields the upstream receives: the client's, minus pseudo-headers, Host, names
// with '_', protected claim headers and (forward_token: false) the token; cookie crumbs joined
// (RFC 9113 8.2.3); X-Forwarded-For/-Proto/-Host; the decision's claim headers.
std::vector<Field> upstream_request_fields(const Stream& stream, const Runtime& rt, const policies::Decision& d,
                                           const SessionScratch& scratch, std::string_view authority,
                                           const std::string& client_ip, bool tls);

// Whether a response header field may travel on HTTP/2 (RFC 9113 8.2.2: no connection-specific
// fields) - for responses from an HTTP/1.1 upstream and from an HTTP/2 one alike.
bool is_connection_specific(std::string_view lower_name);

// The request body limit: max_body_bytes for the whole body, or for gRPC per message.
class BodyLimit {
 public:
  BodyLimit(std::uint64_t max_bytes, bool grpc) : max_(max_bytes), grpc_(grpc), messages_(max_bytes) {}
  bool admit(std::string_view bytes) {
    total_ += bytes.size();
    return grpc_ ? messages_.feed(bytes) : total_ <= max_;
  }

 private:
  std::uint64_t max_, total_ = 0;
  bool grpc_;
  grpc::MessageLimit messages_;
};

// When a forward started, for upstream_us and the failures it reports.
struct ForwardClock {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::int64_t micros() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  }
  ForwardOutcome fail(unsigned status, std::string_view reason) const {
    ForwardOutcome o;
    o.status = status;
    o.reason = reason;
    o.upstream_us = micros();
    return o;
  }
};

awaitable<ForwardOutcome> forward_http1(Forward& f);
awaitable<ForwardOutcome> forward_h2(Forward& f);

}  // namespace jwt_sidecar::proxy::h2
