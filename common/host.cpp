#include "common/host.h"

#include <algorithm>
#include <cstring>

#include "common/ascii.h"

namespace jwt_sidecar::common {
namespace {

// IPv6address in brackets, without IPvFuture or a zone: hex digits, ':' and '.' (for an
// embedded IPv4), at least one ':'. Loose by design: the resolver is the final judge.
bool is_ipv6_literal(std::string_view inner) {
  return inner.find(':') != std::string_view::npos &&
         std::all_of(inner.begin(), inner.end(), [](char c) { return is_hex_digit(c) || c == ':' || c == '.'; });
}

}  // namespace

std::string split_host_port(std::string_view text, HostPort& out) {
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return "has an IPv6 address without its closing ']'";
    out.host = text.substr(0, close + 1);
    const auto rest = text.substr(close + 1);
    if (rest.empty()) return "";
    if (rest.front() != ':') return "has text after the IPv6 address";
    out.port = rest.substr(1);
    return "";
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    out.host = text;
    return "";
  }
  if (text.substr(0, colon).find(':') != std::string_view::npos) {
    return "has an IPv6 address without brackets (write it as [::1]:8080)";
  }
  out.host = text.substr(0, colon);
  out.port = text.substr(colon + 1);
  return "";
}

bool is_config_host(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  if (host.front() == '[') {
    return host.size() >= 4 && host.back() == ']' && is_ipv6_literal(host.substr(1, host.size() - 2));
  }
  std::size_t label = 0;
  for (const char c : host) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (is_alnum(c) || c == '-' || c == '_') {
      if (++label > 63) return false;
    } else {
      return false;
    }
  }
  return label != 0;
}

bool is_valid_host_header(std::string_view host) {
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    if (close == std::string_view::npos || !is_ipv6_literal(host.substr(1, close - 1))) return false;
    const auto rest = host.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    if (!rest.empty()) port = rest.substr(1);
  } else {
    const auto colon = host.find(':');
    const auto name = host.substr(0, colon);
    if (colon != std::string_view::npos) port = host.substr(colon + 1);
    if (name.empty() || name.front() == '.' || name.find("..") != std::string_view::npos) return false;
    // reg-name characters of RFC 3986 3.2.2, less pct-encoded and ','.
    if (!std::all_of(name.begin(), name.end(), [](char c) {
          return is_alnum(c) || (c != '\0' && std::strchr("-._~!$&'()*+;=", c) != nullptr);
        })) {
      return false;
    }
  }
  return std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace jwt_sidecar::common
