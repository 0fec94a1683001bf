// gRPC over HTTP/2 as the proxy sees it (the "gRPC over HTTP2" protocol document of
// grpc/grpc, PROTOCOL-HTTP2.md): which requests are gRPC, how a rejection is said to a gRPC
// client (Trailers-Only: grpc-status and grpc-message, no body), and the framing of messages
// (a 5-byte prefix: compressed flag, 4-byte big-endian length) that `max_body_bytes` bounds.
// Plain code: no Asio, no nghttp2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace jwt_sidecar::proxy::grpc {

// content-type application/grpc, or application/grpc+proto, application/grpc;... .
bool is_grpc_content_type(std::string_view content_type);

// "/package.Service/Method": two non-empty segments, no further '/', no query.
bool is_method_path(std::string_view path);

// The gRPC status for an HTTP status the proxy answers with (DESIGN.md "HTTP/2 and gRPC"):
// 401 -> 16 UNAUTHENTICATED, 403 -> 7 PERMISSION_DENIED, 404 -> 12 UNIMPLEMENTED, 502/503 -> 14
// UNAVAILABLE, 504 -> 4 DEADLINE_EXCEEDED, 413/431 -> 8 RESOURCE_EXHAUSTED, 400 and others ->
// 13 INTERNAL.
unsigned status_for_http(unsigned http_status);

// grpc-message is percent-encoded: bytes outside 0x20-0x7E and '%' itself become %XX.
std::string percent_encode_message(std::string_view text);

// Follows the length-prefixed messages of one direction of a call and reports the first one
// whose declared length exceeds the limit.
class MessageLimit {
 public:
  explicit MessageLimit(std::uint64_t max_message_bytes) : max_(max_message_bytes) {}
  // Feeds the next body bytes; false once a message is declared longer than the limit.
  bool feed(std::string_view bytes);

 private:
  std::uint64_t max_;
  std::uint64_t remaining_ = 0;  // bytes of the current message still to come
  unsigned char prefix_[5] = {};
  std::size_t prefix_have_ = 0;
  bool over_ = false;
};

}  // namespace jwt_sidecar::proxy::grpc
