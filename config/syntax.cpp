#include "common/ascii.h"
#include "common/base64url.h"
#include "common/host.h"
#include "common/path.h"
#include "config/syntax.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>

namespace jwt_sidecar::config::detail {
namespace {

using common::HostPort;
using common::is_alnum;
using common::split_host_port;

std::optional<std::uint16_t> parse_port(std::string_view text, unsigned min_port) {
  unsigned value = 0;
  if (text.empty() || text.size() > 5) return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value < min_port || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// Removes the brackets of an IPv6 literal: sockets and resolvers want "::1", not "[::1]".
std::string bare_host(std::string_view host) {
  if (host.starts_with('[')) return std::string(host.substr(1, host.size() - 2));
  return std::string(host);
}

std::string bad_port_phrase(std::string_view port, unsigned min_port) {
  return "has an invalid port '" + std::string(port) + "' (use " + std::to_string(min_port) +
         "-65535)";
}

}  // namespace

std::string parse_address(std::string_view text, bool allow_port_zero, Address& out) {
  HostPort parts;
  if (auto problem = split_host_port(text, parts); !problem.empty()) return problem;
  if (!parts.port) return "must be host:port, such as 0.0.0.0:8080 or [::1]:8080";
  if (parts.host.empty()) return "has no host (0.0.0.0:PORT listens on every interface)";
  if (!common::is_config_host(parts.host)) return "has an invalid host '" + std::string(parts.host) + "'";
  const unsigned min_port = allow_port_zero ? 0 : 1;
  const auto port = parse_port(*parts.port, min_port);
  if (!port) return bad_port_phrase(*parts.port, min_port);
  out.host = bare_host(parts.host);
  out.port = *port;
  return "";
}

namespace {

// scheme://host[:port][/path] with one of two schemes (the second is the TLS one); no user
// info, query or fragment. Shared by http(s):// and redis(s):// URLs.
struct UrlParts {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  std::string_view path;  // "" or from the "/" on
};

std::string split_url(std::string_view text, std::string_view plain, std::string_view secure,
                      std::uint16_t plain_port, std::uint16_t secure_port, std::string_view userinfo_hint,
                      UrlParts& out) {
  const auto separator = text.find("://");
  const auto scheme = common::ascii_lowered(text.substr(0, std::min(separator, text.size())));
  if (separator == std::string_view::npos || (scheme != plain && scheme != secure)) {
    return std::string(plain == "http" ? "must be an " : "must be a ") + std::string(plain) + ":// or " +
           std::string(secure) + ":// URL";
  }
  const auto rest = text.substr(separator + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) return "must not have a query or fragment";
  const auto slash = rest.find('/');
  const auto authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) {
    return "must not contain user info (" + std::string(userinfo_hint) + ")";
  }
  HostPort parts;
  if (auto problem = split_host_port(authority, parts); !problem.empty()) return problem;
  if (parts.host.empty()) return "has no host";
  if (!common::is_config_host(parts.host)) return "has an invalid host '" + std::string(parts.host) + "'";
  out.tls = scheme == secure;
  std::optional<std::uint16_t> port = out.tls ? secure_port : plain_port;
  if (parts.port) port = parse_port(*parts.port, 1);
  if (!port) return bad_port_phrase(*parts.port, 1);
  out.host = bare_host(parts.host);
  out.port = *port;
  out.path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  return "";
}

}  // namespace

std::string parse_url(std::string_view text, Url& out) {
  UrlParts parts;
  if (auto problem = split_url(text, "http", "https", 80, 443, "keep credentials out of URLs", parts); !problem.empty()) {
    return problem;
  }
  if (std::any_of(parts.path.begin(), parts.path.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return "must not contain spaces or control characters";
  }
  out.scheme = parts.tls ? "https" : "http";
  out.host = std::move(parts.host);
  out.port = parts.port;
  out.path = std::string(parts.path);
  out.text = std::string(text);
  return "";
}

std::string parse_redis_url(std::string_view text, RedisSource& out) {
  UrlParts parts;
  if (auto problem = split_url(text, "redis", "rediss", 6379, 6379, "use 'username' and 'password_file'", parts);
      !problem.empty()) {
    return problem;
  }
  unsigned db = 0;
  if (parts.path.size() > 1) {
    const auto path = parts.path.substr(1);
    const auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
    if (ec != std::errc() || end != path.data() + path.size() || db > 65535) {
      return "has a database '" + std::string(path) + "'; it must be a database number such as 0";
    }
  }
  out.url = std::string(text);
  out.tls = parts.tls;
  out.host = std::move(parts.host);
  out.port = parts.port;
  out.db = db;
  return "";
}

std::string parse_size(std::string_view text, std::size_t& out) {
  constexpr std::string_view kProblem =
      "must be a positive number of bytes, such as 16384, 16KiB or 10MiB";
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 12) return std::string(kProblem);
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + digits, value);
  const auto suffix = text.substr(digits);
  std::uint64_t unit = 0;
  if (suffix.empty()) {
    unit = 1;
  } else if (suffix == "KiB") {
    unit = 1ULL << 10;
  } else if (suffix == "MiB") {
    unit = 1ULL << 20;
  } else if (suffix == "GiB") {
    unit = 1ULL << 30;
  }
  // 12 digits times 2^30 stays far below 2^64, so the product cannot overflow.
  if (unit == 0 || value == 0) return std::string(kProblem);
  out = static_cast<std::size_t>(value * unit);
  return "";
}

std::string parse_route_host(std::string_view text, std::string& out) {
  HostPort parts;
  if (auto problem = split_host_port(text, parts); !problem.empty()) return problem;
  if (!common::is_config_host(parts.host)) return "must be a host name, such as api.example.test";
  if (parts.port && !parse_port(*parts.port, 1)) return bad_port_phrase(*parts.port, 1);
  out = common::ascii_lowered(parts.host);
  return "";
}

std::string check_route_path(std::string_view text) {
  if (!text.starts_with('/')) return "must start with '/'";
  if (text.find_first_of("?#") != std::string_view::npos) {
    return "must not contain a query or fragment";
  }
  // Requests are matched after normalisation (common/path.h), so a path that normalisation
  // would change could never match.
  common::NormalizedTarget normalized;
  if (const auto error = common::normalize_target(text, normalized); error != common::TargetError::none) {
    return "is not a valid path (" + std::string(common::reason(error)) + ")";
  }
  if (normalized.match_path != text) {
    return "would never match: requests are matched after normalisation, so write it as '" +
           normalized.match_path + "'";
  }
  return "";
}

bool is_http_token(std::string_view text) {
  constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    return is_alnum(c) || kExtra.find(c) != std::string_view::npos;
  });
}

bool is_framing_or_hop_header(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kNames = {"host",
                                                              "content-length",
                                                              "transfer-encoding",
                                                              "connection",
                                                              "keep-alive",
                                                              "proxy-connection",
                                                              "te",
                                                              "trailer",
                                                              "upgrade",
                                                              "proxy-authorization",
                                                              "proxy-authenticate",
                                                              "expect"};
  const auto lower = common::ascii_lowered(name);
  return std::find(kNames.begin(), kNames.end(), lower) != kNames.end();
}

bool is_reserved_header(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kNames = {
      "authorization",     "cookie",           "set-cookie",   "forwarded",       "x-forwarded-for",
      "x-forwarded-proto", "x-forwarded-host", "content-type", "content-encoding"};
  const auto lower = common::ascii_lowered(name);
  return is_framing_or_hop_header(lower) ||
         std::find(kNames.begin(), kNames.end(), lower) != kNames.end();
}

std::optional<std::size_t> base64url_decoded_size(std::string_view text) {
  std::string decoded;
  if (!common::base64url_decode(text, decoded)) return std::nullopt;
  return decoded.size();
}

std::string format_duration(Duration d) {
  const auto ms = d.count();
  if (ms == 0) return "0s";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace jwt_sidecar::config::detail
