// Host grammar, for config values and for request Host headers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jwt_sidecar::common {

struct HostPort {
  std::string_view host;                 // brackets kept for IPv6: "[::1]"
  std::optional<std::string_view> port;  // text after the last ':' (after ']' for IPv6)
};

// Splits "host[:port]" / "[v6][:port]"; returns "" or a phrase saying what is wrong (for
// config messages: "has an IPv6 address without its closing ']'").
std::string split_host_port(std::string_view text, HostPort& out);

// A DNS name or IPv4 literal (dot-separated labels of letters, digits, '-' and '_', each at
// most 63), or an IPv6 literal in brackets. For hosts an operator writes in a config.
bool is_config_host(std::string_view host);

// RFC 9112 3.2: Host = uri-host [ ":" port ] (RFC 3986 3.2.2, 3.2.3). Stricter than RFC 3986
// where no DNS name differs: no percent-encoding, no empty label ("a..test", ".a.test"), no
// ','. A value outside it is a 400, since a route and the upstream could read it as different
// hosts ("a.test:1:2", "a.test#.b").
bool is_valid_host_header(std::string_view host);

}  // namespace jwt_sidecar::common
