// Name resolution that never answers (tests/support/hanging_resolver.cpp, preloaded into the
// real binary): every lookup is bounded by the deadline of the operation it belongs to, and a
// lookup still hanging never keeps the proxy from serving or from exiting.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>

#include "tests/integration/fixture.h"

using namespace jwt_sidecar::testing;

namespace {

// ASan insists on coming first in the library list; the shim is preloaded before it. The
// test's own ASAN_OPTIONS (a sanitized run) are kept.
std::vector<std::string> hanging_resolver() {
  const char* asan = std::getenv("ASAN_OPTIONS");
  return {std::string("LD_PRELOAD=") + JWT_SIDECAR_HANGING_RESOLVER,
          std::string("ASAN_OPTIONS=") + (asan && *asan ? std::string(asan) + ":" : std::string()) +
              "verify_asan_link_order=0"};
}

std::string config(const std::string& upstream, const std::string& provider) {
  return "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nthreads: 1\nupstream: " + upstream +
         "\nlimits: {upstream_timeout: 700ms}\nproviders:\n  corp:\n    issuer: " + kIssuer + "\n" + provider +
         "routes:\n  - name: public\n    match: {prefix: /public}\n    auth: none\n"
         "  - name: orders\n    match: {prefix: /orders}\n";
}

}  // namespace

TEST_CASE("resolve: an upstream name that never resolves answers 504 at upstream_timeout",
          "[integration][resolve]") {
  TempDir dir;
  UpstreamServer upstream;
  const auto jwks = dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
  ProxyProcess proxy(config("http://upstream.hang.test:" + std::to_string(upstream.port()),
                            "    jwks_file: " + jwks + "\n"),
                     hanging_resolver());
  for (int i = 0; i < 3; ++i) {  // each request waits for its own deadline, none for an earlier one
    const auto start = std::chrono::steady_clock::now();
    const auto r = http_request(proxy.port(), "GET", "/public/" + std::to_string(i));
    const auto waited = std::chrono::steady_clock::now() - start;
    REQUIRE(r);
    CHECK(r->status == 504);
    CHECK(r->body.find("upstream_timeout") != std::string::npos);
    CHECK(waited >= std::chrono::milliseconds(600));
    CHECK(waited < std::chrono::seconds(5));
  }
  // A rejected request never needs the upstream, so it is answered at once.
  const auto denied = http_request(proxy.port(), "GET", "/orders/1");
  REQUIRE(denied);
  CHECK(denied->status == 401);
  CHECK(upstream.requests().empty());
  // Lookups still hanging in the resolver's thread do not hold the exit back.
  CHECK(proxy.process().stop(SIGTERM, std::chrono::seconds(10)) == 0);
}

TEST_CASE("resolve: an IdP name that never resolves fails the fetch at the connect timeout; not ready",
          "[integration][resolve]") {
  ProxyProcess proxy(config("http://127.0.0.1:9", "    jwks_uri: http://idp.hang.test/jwks.json\n"),
                     hanging_resolver());
  const auto admin = proxy.admin_port();
  CHECK(http_request(admin, "GET", "/readyz")->status == 503);
  // The fetch gives up after its 5 s connect timeout and says why; the proxy keeps answering.
  CHECK(eventually(
      [&] { return metric(admin, "jwt_sidecar_jwks_fetches_total{provider=\"corp\",result=\"timeout\"}") >= 1.0; },
      std::chrono::seconds(15)));
  const auto r = http_request(proxy.port(), "GET", "/orders/1", {{"Authorization", bearer(token())}});
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(http_request(admin, "GET", "/readyz")->status == 503);
  CHECK(proxy.process().stop(SIGTERM, std::chrono::seconds(10)) == 0);
}
