// The client side of a forwarded stream, as the upstream exchanges (forward_http1.cpp,
// forward_h2.cpp) see it: an HTTP/2 client connection (ServerSession), or an HTTP/1.1 client
// whose request goes to an HTTP/2 upstream (http1_to_h2.cpp). Calls happen on the worker's
// thread; each may wake the side's writer.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "proxy/http1/worker.h"
#include "proxy/http2/stream.h"

namespace jwt_sidecar::proxy::h2 {

class Downstream {
 public:
  virtual ~Downstream() = default;
  virtual Worker& worker() = 0;
  // The response header; with `body` the response pipe is its body (and trailers).
  virtual void submit_response(Stream& s, const std::vector<Field>& headers, bool body) = 0;
  // More response bytes (or the end) are in the pipe.
  virtual void resume_response(Stream& s) = 0;
  // `n` request bytes were forwarded: the client may send that many more.
  virtual void credit_request(Stream& s, std::size_t n) = 0;
  // Ends the exchange abruptly (HTTP/2: RST_STREAM `error_code`; HTTP/1.1: the connection).
  virtual void reset(Stream& s, std::uint32_t error_code) = 0;
  // The request body is not wanted: what is buffered and what still comes is dropped.
  virtual void discard_request(Stream& s) = 0;
  // Keeps the client side alive for callbacks that may outlive the forward.
  virtual std::shared_ptr<Downstream> hold() = 0;
};

}  // namespace jwt_sidecar::proxy::h2
