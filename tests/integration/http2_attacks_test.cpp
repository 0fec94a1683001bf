// The HTTP/2-specific attacks with a raw client (tests/support/h2/h2_attack.py, python3-h2):
// each ends the connection with GOAWAY (ENHANCE_YOUR_CALM for the floods), reaches the
// upstream with no more streams than the limit allows, and leaves the proxy serving the next
// connection.
#include <catch2/catch.hpp>

#include "tests/integration/fixture.h"
#include "tests/integration/http2_support.h"

using namespace jwt_sidecar::testing;

namespace {

constexpr const char* kCalm = R"("error_code": 11)";  // ENHANCE_YOUR_CALM (RFC 9113 7)

std::string grpc_attack_config(std::uint16_t grpc_port, const std::string& jwks_path) {
  return "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nthreads: 1\n"
         "upstream: h2c://127.0.0.1:" + std::to_string(grpc_port) + "\n"
         "limits: {max_concurrent_streams: 50}\n"
         "providers:\n  corp:\n    issuer: " + std::string(kIssuer) + "\n    audiences: [orders-api]\n"
         "    jwks_file: " + jwks_path + "\n"
         "routes:\n  - {name: echo, match: {prefix: /test.Echo/}, auth: none}\n"
         "  - {name: public, match: {prefix: /public}, auth: none}\n";
}

// The proxy still answers a fresh connection.
bool still_serving(std::uint16_t port) { return curl_h2(port, "/public/after").status != 0; }

}  // namespace

TEST_CASE("h2 attacks: rapid reset ends with GOAWAY and reaches the upstream within the limit",
          "[integration][http2][attacks]") {
  TempDir dir;
  GrpcServer server;
  const auto jwks = dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
  ProxyProcess proxy(grpc_attack_config(server.port(), jwks));
  const auto report = h2_attack(proxy.port(), "rapid_reset",
                                {"--count", "2000", "--grpc", "--body", "x", "--path", "/test.Echo/Unary"});
  INFO(report);
  CHECK(has(report, R"("goaway": true)"));
  CHECK(has(report, kCalm));
  CHECK(server.calls("Unary") <= 50);
  CHECK(still_serving(proxy.port()));
  CHECK(eventually([&] {
    return metric(proxy.admin_port(), R"(jwt_sidecar_h2_flood_goaways_total{reason="rapid_reset"})") == 1.0;
  }));
}

TEST_CASE("h2 attacks: floods end with GOAWAY ENHANCE_YOUR_CALM", "[integration][http2][attacks]") {
  ProxyFixture f;
  for (const auto* attack : {"settings_flood", "ping_flood", "empty_data_flood", "continuation_flood"}) {
    const auto before = f.upstream.request_count();
    const auto report = h2_attack(f.port(), attack, {"--path", "/public/x"});
    INFO(attack << ": " << report);
    CHECK(has(report, R"("goaway": true)"));
    CHECK(has(report, kCalm));
    // At most the one request the attack opened reached the upstream (the empty-DATA flood's).
    CHECK(f.upstream.request_count() <= before + 1);
    CHECK(still_serving(f.port()));
  }
}

TEST_CASE("h2 attacks: window overflow is a FLOW_CONTROL_ERROR; too many streams are refused",
          "[integration][http2][attacks]") {
  ProxyFixture f("limits: {max_concurrent_streams: 10}\n");
  const auto overflow = h2_attack(f.port(), "window_overflow");
  INFO(overflow);
  CHECK(has(overflow, R"("goaway": true)"));
  CHECK(has(overflow, R"("error_code": 3)"));  // FLOW_CONTROL_ERROR (RFC 9113 6.9.1)

  const auto many = h2_attack(f.port(), "many_streams", {"--count", "40", "--path", "/slow?ms=300"});
  INFO(many);
  // No more than the limit reached the upstream at once: the rest were refused or reset.
  CHECK(f.upstream.request_count() <= 10);
  CHECK(still_serving(f.port()));
}

TEST_CASE("h2 attacks: a header list over max_header_bytes is refused on its stream, never forwarded",
          "[integration][http2][attacks]") {
  ProxyFixture f("limits: {max_header_bytes: 8KiB}\n");
  const auto report = h2_attack(f.port(), "header_list_too_big", {"--count", "20000", "--path", "/public/x"});
  INFO(report);
  CHECK((has(report, R"("431": 1)") || has(report, R"("resets": {")") || has(report, R"("goaway": true)")));
  CHECK(f.upstream.request_count() == 0);
  CHECK(still_serving(f.port()));
}
