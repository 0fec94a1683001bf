#include "proxy/keys/http_fetch.h"

#include <openssl/ssl.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <algorithm>
#include <charconv>

#include "config/syntax.h"
#include "common/ascii.h"
#include "proxy/io/resolve.h"

#ifndef JWT_SIDECAR_VERSION
#define JWT_SIDECAR_VERSION "dev"
#endif

namespace jwt_sidecar::proxy {
namespace {

namespace ssl = boost::asio::ssl;

FetchResult failure(std::string kind, std::string error) {
  FetchResult r;
  r.kind = std::move(kind);
  r.error = std::move(error);
  return r;
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

std::string host_header(const config::Url& u) {
  const bool default_port = (u.scheme == "http" && u.port == 80) || (u.scheme == "https" && u.port == 443);
  const bool v6 = u.host.find(':') != std::string::npos;
  std::string h = v6 ? "[" + u.host + "]" : u.host;
  return default_port ? h : h + ":" + std::to_string(u.port);
}

// Sends the request and reads the response on any stream (plain or TLS).
template <typename Stream>
awaitable<FetchResult> exchange(Stream& stream, beast::tcp_stream& lowest, const config::Url& u,
                                const FetchOptions& options) {
  http::request<http::empty_body> req{http::verb::get, u.path.empty() ? "/" : u.path, 11};
  req.set(http::field::host, host_header(u));
  req.set(http::field::accept, "application/json");
  req.set(http::field::user_agent, "jwt-sidecar/" JWT_SIDECAR_VERSION);
  req.set(http::field::connection, "close");
  lowest.expires_after(options.read_timeout);
  if (auto [ec, n] = co_await http::async_write(stream, req, use_tuple); ec) {
    co_return failure(ec == beast::error::timeout ? "timeout" : "connect_error", "sending the request: " + ec.message());
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(options.max_body);
  lowest.expires_after(options.read_timeout);
  auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
  if (ec == http::error::body_limit) {
    co_return failure("too_large", "the response is larger than " + std::to_string(options.max_body) + " bytes");
  }
  if (ec == beast::error::timeout) co_return failure("timeout", "no complete response within the read timeout");
  if (ec) co_return failure("http_error", "reading the response: " + ec.message());
  FetchResult r;
  r.status = parser.get().result_int();
  r.body = std::move(parser.get().body());
  r.max_age = parse_max_age(parser.get()[http::field::cache_control]);
  r.ok = true;
  if (r.status >= 300 && r.status < 400) r.error = std::string(parser.get()[http::field::location]);
  co_return r;
}

awaitable<FetchResult> get_once(const config::Url& u, const FetchOptions& options, ssl::context* tls) {
  auto ex = co_await net::this_coro::executor;
  auto [rec, endpoints] = co_await resolve_until(u.host, std::to_string(u.port), deadline_in(options.connect_timeout));
  if (rec == beast::error::timeout) co_return failure("timeout", "resolving " + u.host + " took longer than the connect timeout");
  if (rec) co_return failure("connect_error", "cannot resolve " + u.host + ": " + rec.message());
  beast::tcp_stream stream(ex);
  stream.expires_after(options.connect_timeout);
  if (auto [ec, ep] = co_await stream.async_connect(endpoints, use_tuple); ec) {
    co_return failure(ec == beast::error::timeout ? "timeout" : "connect_error",
                      "cannot connect to " + host_header(u) + ": " + ec.message());
  }
  if (u.scheme != "https") co_return co_await exchange(stream, stream, u, options);

  if (!tls) co_return failure("tls_error", "no TLS context");
  beast::ssl_stream<beast::tcp_stream> secure(std::move(stream), *tls);
  // SNI for names (RFC 6066 3: never for IP literals), and the certificate must name the host.
  if (!is_ip_literal(u.host) && !SSL_set_tlsext_host_name(secure.native_handle(), u.host.c_str())) {
    co_return failure("tls_error", "cannot set SNI");
  }
  secure.set_verify_mode(ssl::verify_peer);
  secure.set_verify_callback(ssl::host_name_verification(u.host));
  beast::get_lowest_layer(secure).expires_after(options.connect_timeout);
  if (auto [ec] = co_await secure.async_handshake(ssl::stream_base::client, use_tuple); ec) {
    co_return failure(ec == beast::error::timeout ? "timeout" : "tls_error",
                      "TLS handshake with " + host_header(u) + " failed: " + ec.message());
  }
  auto r = co_await exchange(secure, beast::get_lowest_layer(secure), u, options);
  beast::get_lowest_layer(secure).expires_after(std::chrono::seconds(1));
  co_await secure.async_shutdown(use_tuple);
  co_return r;
}

// Resolves a Location header against `base`; only same-origin targets are followed.
bool follow(const config::Url& base, const std::string& location, std::string& next) {
  if (!location.empty() && location.front() == '/') {
    next = base.scheme + "://" + host_header(base) + location;
    return true;
  }
  config::Url target;
  if (!config::detail::parse_url(location, target).empty()) return false;
  if (target.scheme != base.scheme || target.host != base.host || target.port != base.port) return false;
  next = location;
  return true;
}

}  // namespace

// RFC 9111 5.2: comma-separated directives, names case-insensitive, max-age=delta-seconds
// (1*DIGIT; the quoted form 5.2 asks senders not to use is read too). A malformed max-age
// counts as none, so the configured refresh_interval applies.
std::optional<std::chrono::seconds> parse_max_age(std::string_view cc) {
  while (!cc.empty()) {
    const auto comma = cc.find(',');
    const auto item = common::trim_ascii(cc.substr(0, comma));
    cc = comma == std::string_view::npos ? std::string_view() : cc.substr(comma + 1);
    const auto eq = item.find('=');
    if (!common::equals_ignore_case(common::trim_ascii(item.substr(0, eq)), "max-age")) continue;
    if (eq == std::string_view::npos) return std::nullopt;
    auto v = common::trim_ascii(item.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    if (v.empty() || v.size() > 18 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    std::int64_t secs = 0;
    std::from_chars(v.data(), v.data() + v.size(), secs);
    return std::chrono::seconds(std::min<std::int64_t>(secs, 10LL * 365 * 24 * 3600));
  }
  return std::nullopt;
}

awaitable<FetchResult> http_get(std::string url, const FetchOptions& options, ssl::context* tls) {
  for (int hop = 0;; ++hop) {
    config::Url u;
    if (const auto why = config::detail::parse_url(url, u); !why.empty()) {
      co_return failure("bad_url", "'" + url + "' " + why);
    }
    auto r = co_await get_once(u, options, tls);
    if (!r.ok) co_return r;
    if (r.status >= 300 && r.status < 400 && r.status != 304) {
      std::string next;
      if (hop >= options.max_redirects) co_return failure("redirect_error", "too many redirects");
      if (!follow(u, r.error, next)) {
        co_return failure("redirect_error", "redirect to another origin refused: " + r.error);
      }
      url = std::move(next);
      continue;
    }
    if (r.status != 200) co_return failure("http_error", "HTTP status " + std::to_string(r.status));
    co_return r;
  }
}

}  // namespace jwt_sidecar::proxy
