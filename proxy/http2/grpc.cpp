#include "proxy/http2/grpc.h"

#include "common/ascii.h"

namespace jwt_sidecar::proxy::grpc {

bool is_grpc_content_type(std::string_view content_type) {
  constexpr std::string_view kGrpc = "application/grpc";
  if (content_type.size() < kGrpc.size() || !common::equals_ignore_case(content_type.substr(0, kGrpc.size()), kGrpc)) {
    return false;
  }
  if (content_type.size() == kGrpc.size()) return true;
  const char next = content_type[kGrpc.size()];
  return next == '+' || next == ';';
}

bool is_method_path(std::string_view path) {
  if (path.size() < 4 || path.front() != '/') return false;
  const auto rest = path.substr(1);
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size()) return false;
  const auto method = rest.substr(slash + 1);
  for (const char c : rest) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '?' || c == '#' || c == '%') return false;
  }
  return method.find('/') == std::string_view::npos;
}

unsigned status_for_http(unsigned http_status) {
  switch (http_status) {
    case 401: return 16;  // UNAUTHENTICATED
    case 403: return 7;   // PERMISSION_DENIED
    case 404: return 12;  // UNIMPLEMENTED
    case 502:
    case 503: return 14;  // UNAVAILABLE
    case 504: return 4;   // DEADLINE_EXCEEDED
    case 413:
    case 431: return 8;   // RESOURCE_EXHAUSTED
    default: return 13;   // INTERNAL
  }
}

std::string percent_encode_message(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u <= 0x7e && c != '%') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

bool MessageLimit::feed(std::string_view bytes) {
  while (!over_ && !bytes.empty()) {
    if (remaining_ > 0) {
      const auto n = std::min<std::uint64_t>(remaining_, bytes.size());
      remaining_ -= n;
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    prefix_[prefix_have_++] = static_cast<unsigned char>(bytes.front());
    bytes.remove_prefix(1);
    if (prefix_have_ < 5) continue;
    prefix_have_ = 0;
    remaining_ = (std::uint64_t{prefix_[1]} << 24) | (std::uint64_t{prefix_[2]} << 16) |
                 (std::uint64_t{prefix_[3]} << 8) | std::uint64_t{prefix_[4]};
    over_ = remaining_ > max_;
  }
  return !over_;
}

}  // namespace jwt_sidecar::proxy::grpc
