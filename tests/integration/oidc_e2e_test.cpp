// Against a real OpenID provider (oidc-provider, Node.js). Hidden from the default run: ctest's
// oidc_e2e test (tests/e2e/oidc/run.sh) installs the provider and runs this with [oidc].
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>

#include "common/base64url.h"
#include "tests/integration/fixture.h"

using namespace jwt_sidecar::testing;

namespace {

std::string client_credentials_token(std::uint16_t idp_port) {
  std::string basic;
  const auto auth = jwt_sidecar::common::base64url_encode("orders-client:orders-client-secret-for-tests-only");
  for (char c : auth) basic += c == '-' ? '+' : c == '_' ? '/' : c;  // Basic uses standard base64
  while (basic.size() % 4) basic += '=';
  const auto r = http_request(idp_port, "POST", "/token",
                              {{"Authorization", "Basic " + basic},
                               {"Content-Type", "application/x-www-form-urlencoded"}},
                              "grant_type=client_credentials&scope=orders:read&resource=urn:orders-api");
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  const std::string key = "\"access_token\":\"";
  const auto at = r->body.find(key);
  REQUIRE(at != std::string::npos);
  const auto start = at + key.size();
  return r->body.substr(start, r->body.find('"', start) - start);
}

std::string proxy_config(std::uint16_t upstream, const std::string& issuer, const std::string& audience) {
  return "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nupstream: http://127.0.0.1:" + std::to_string(upstream) +
         "\nproviders:\n  idp:\n    issuer: " + issuer + "\n    discovery: true\n    audiences: [" + audience +
         "]\n    forward_claims: {sub: x-client}\n"
         "routes:\n  - name: orders\n    match: {prefix: /orders}\n    claims: {scope: {all: [orders:read]}}\n";
}

}  // namespace

TEST_CASE("tokens from a real OpenID provider are accepted, and refused for another audience",
          "[.oidc][oidc]") {
  const char* dir = std::getenv("OIDC_IDP_DIR");
  REQUIRE(dir != nullptr);
  const auto port = free_port();
  Process idp("/usr/bin/env", {"node", std::string(dir) + "/idp.mjs", std::to_string(port)});
  const auto ready = idp.wait_for_line("ready ", std::chrono::seconds(60));
  INFO(idp.stderr_text());
  REQUIRE(ready);
  const std::string issuer = "http://127.0.0.1:" + std::to_string(port);
  const auto token = client_credentials_token(port);

  UpstreamServer upstream;
  {
    ProxyProcess proxy(proxy_config(upstream.port(), issuer, "orders-api"));
    REQUIRE(proxy.process().wait_for_line("\"msg\":\"keys loaded\""));
    const auto r = http_request(proxy.port(), "GET", "/orders/1", {{"Authorization", bearer(token)}});
    REQUIRE(r);
    CHECK(r->status == 200);
    REQUIRE(upstream.request_count() == 1);
    CHECK(upstream.requests()[0].header("x-client") == "orders-client");
  }
  {
    ProxyProcess proxy(proxy_config(upstream.port(), issuer, "billing-api"));
    REQUIRE(proxy.process().wait_for_line("\"msg\":\"keys loaded\""));
    const auto r = http_request(proxy.port(), "GET", "/orders/1", {{"Authorization", bearer(token)}});
    REQUIRE(r);
    CHECK(r->status == 401);
    CHECK(r->body.find("audience_mismatch") != std::string::npos);
  }
  CHECK(upstream.request_count() == 1);
  CHECK(idp.stop(SIGTERM) == 0);
}
