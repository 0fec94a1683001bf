// A small HTTP(S) GET client for key material: JWKS documents and OIDC discovery. TLS always
// verifies the peer (system CA bundle, or a configured CA file) with SNI and host-name checks.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "proxy/io/net.h"

namespace boost::asio::ssl {
class context;
}

namespace jwt_sidecar::proxy {

struct FetchOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds read_timeout{10000};
  std::size_t max_body = 1 << 20;
  int max_redirects = 3;  // same origin only
};

struct FetchResult {
  bool ok = false;
  unsigned status = 0;
  std::string body;
  std::optional<std::chrono::seconds> max_age;  // Cache-Control max-age, when sent
  std::string error;  // why it failed, for logs; never contains response bodies
  std::string kind;   // metric label: ok, connect_error, tls_error, timeout, http_error,
                      // too_large, bad_url, redirect_error
};

awaitable<FetchResult> http_get(std::string url, const FetchOptions& options,
                                boost::asio::ssl::context* tls);

// "max-age=600, must-revalidate" -> 600 s; nullopt when absent or malformed.
std::optional<std::chrono::seconds> parse_max_age(std::string_view cache_control);

}  // namespace jwt_sidecar::proxy
