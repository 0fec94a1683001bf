// Forwards one allowed request to its upstream and relays the response: headers rewritten
// (hop-by-hop removed, X-Forwarded-*, claim headers), bodies streamed both ways through a
// fixed buffer, keep-alive on both sides, WebSocket upgrades tunnelled.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "policies/decision.h"
#include "proxy/http1/header_reader.h"
#include "proxy/runtime/runtime.h"
#include "proxy/http1/worker.h"

namespace jwt_sidecar::proxy {

struct ForwardRequest {
  ByteStream& client;
  beast::flat_buffer& client_buffer;
  RequestHeaderParser& header_parser;  // its header is consumed (moved into a body parser)
  const Runtime& runtime;
  const policies::Decision& decision;
  const UpstreamTarget& upstream;  // chosen by the session, which also applied its base path
  SessionScratch& scratch;   // holds the verified token (claim headers come from it)
  std::string target;        // what the upstream sees: base path + normalised path + query
  std::string client_ip;
  bool client_keep_alive;
};

struct ForwardResult {
  unsigned status = 0;         // what the client got
  std::string_view reason = "ok";
  bool keep_alive = false;     // the client connection may serve another request
  std::uint64_t bytes_in = 0;  // request body bytes relayed
  std::uint64_t bytes_out = 0; // response body bytes relayed
  std::int64_t upstream_us = 0;
};

awaitable<ForwardResult> forward(Worker& worker, ForwardRequest& request);
// The HTTP/1.1 exchange itself (forward() without the HTTP/2 dispatch).
awaitable<ForwardResult> forward_over_http1(Worker& worker, ForwardRequest& request);

}  // namespace jwt_sidecar::proxy
