// Shared setup for integration tests: a real upstream, a JWKS file, and the real binary.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/test_keys.h"
#include "tests/support/upstream_server.h"

namespace jwt_sidecar::testing {

inline constexpr const char* kIssuer = "https://idp.example.test";

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// An ES256 token from the shared P-256 test key (kid "k1"), valid for an hour unless the
// claims say otherwise. `extra` is raw JSON members added to the claims.
inline std::string token(const std::string& extra = R"("scope":"orders:read")",
                         const std::string& aud = "orders-api") {
  const auto now = unix_now();
  std::string claims = std::string(R"({"iss":")") + kIssuer + R"(","aud":")" + aud +
                       R"(","sub":"alice","email":"alice@example.test","iat":)" + std::to_string(now) +
                       ",\"exp\":" + std::to_string(now + 3600);
  if (!extra.empty()) claims += "," + extra;
  claims += "}";
  return make_token(TestKey::shared_ec("P-256"), policies::Algorithm::ES256,
                    R"({"alg":"ES256","kid":"k1","typ":"JWT"})", claims);
}

// An ES256 token signed by `key` under `kid`, with the standard audience and scope, valid for
// ten minutes: for tests that rotate or add keys.
inline std::string token_for(const TestKey& key, const std::string& kid, const std::string& iss = kIssuer) {
  return make_token(key, policies::Algorithm::ES256, R"({"alg":"ES256","kid":")" + kid + "\"}",
                    R"({"iss":")" + iss + R"(","aud":"orders-api","sub":"alice","scope":"orders:read","exp":)" +
                        std::to_string(unix_now() + 600) + "}");
}

// A second P-256 key (the shared one signs token()): a rotated-in or unknown key.
inline const TestKey& second_key() {
  static const TestKey k = TestKey::ec("P-256");
  return k;
}

// The routes most tests use; `extra_top` and `extra_provider` add YAML at those levels.
inline std::string standard_config(std::uint16_t upstream_port, const std::string& jwks_path,
                                   const std::string& extra_top = "",
                                   const std::string& extra_provider = "",
                                   const std::string& forward_claims = "{sub: x-user-id, email: x-user-email}") {
  return "listen: 127.0.0.1:0\n"
         "admin: 127.0.0.1:0\n"
         "upstream: http://127.0.0.1:" + std::to_string(upstream_port) + "\n"
         "threads: 1\n" + extra_top +
         "providers:\n"
         "  corp:\n"
         "    issuer: " + kIssuer + "\n"
         "    audiences: [orders-api]\n"
         "    jwks_file: " + jwks_path + "\n"
         "    forward_claims: " + forward_claims + "\n" + extra_provider +
         "routes:\n"
         "  - name: public\n"
         "    match: {prefix: /public}\n"
         "    auth: none\n"
         "  - name: admin\n"
         "    match: {prefix: /admin}\n"
         "    auth: deny\n"
         "  - name: optional\n"
         "    match: {prefix: /maybe}\n"
         "    auth: optional\n"
         "  - name: orders\n"
         "    match: {prefix: /orders}\n"
         "    claims:\n"
         "      scope: {all: [orders:read]}\n"
         "  - name: download\n"
         "    match: {prefix: /download}\n"
         "  - name: chunked\n"
         "    match: {prefix: /chunked}\n"
         "  - name: slow\n"
         "    match: {prefix: /slow}\n"
         "  - name: ws\n"
         "    match: {path: /ws}\n";
}

struct ProxyFixture {
  explicit ProxyFixture(const std::string& extra_top = "", const std::string& extra_provider = "",
                        const std::string& forward_claims = "{sub: x-user-id, email: x-user-email}")
      : jwks_path(dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}))),
        proxy(standard_config(upstream.port(), jwks_path, extra_top, extra_provider, forward_claims)) {}

  std::uint16_t port() const { return proxy.port(); }

  TempDir dir;
  UpstreamServer upstream;
  std::string jwks_path;
  ProxyProcess proxy;
};

inline std::string bearer(const std::string& t) { return "Bearer " + t; }

// Polls `pred` every 10 ms until it holds or `timeout` passes: for conditions the test cannot
// be told about (a gauge on the admin port, a count at the upstream).
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// One unlabelled or fully labelled series from the admin port's /metrics, or nullopt.
inline std::optional<double> metric(std::uint16_t admin_port, const std::string& series) {
  const auto r = http_request(admin_port, "GET", "/metrics");
  if (!r) return std::nullopt;
  const auto at = r->body.find("\n" + series + " ");
  if (at == std::string::npos) return std::nullopt;
  return std::stod(r->body.substr(at + series.size() + 2));
}


// Access lines reach stdout in batches (about every 25 ms, proxy/observability/log_sink.h).
// This sends one more request and waits for its line; with one worker thread (as the fixtures
// configure) every earlier request's line is then in `proxy.process().stdout_lines()` too.
inline void flush_access_log(ProxyProcess& proxy) {
  static int marker = 0;
  const std::string path = "/log-marker-" + std::to_string(++marker);
  (void)http_request(proxy.port(), "GET", path);
  REQUIRE(proxy.process().wait_for_line("\"path\":\"" + path + "\"", std::chrono::seconds(10)));
}

// Every client connection the proxy counts is closed (the gauge on the admin port drops to 0).
inline bool connections_drop_to_zero(std::uint16_t admin_port) {
  return eventually([&] { return metric(admin_port, "jwt_sidecar_connections_active") == 0.0; });
}

}  // namespace jwt_sidecar::testing
