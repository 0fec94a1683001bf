// What the upstream receives for allowed requests: tokens stripped or kept, claim headers
// formatted safely, per-route upstreams.
#include <catch2/catch.hpp>

#include "common/base64url.h"
#include "tests/integration/fixture.h"

using namespace jwt_sidecar::testing;

namespace {

std::string signed_claims(const std::string& claims_body) {
  return make_token(TestKey::shared_ec("P-256"), jwt_sidecar::policies::Algorithm::ES256,
                    R"({"alg":"ES256","kid":"k1"})",
                    std::string(R"({"iss":")") + kIssuer + R"(","aud":"orders-api","exp":)" +
                        std::to_string(unix_now() + 600) + "," + claims_body + "}");
}

}  // namespace

TEST_CASE("forward_token: false strips the token from header, cookie and query", "[integration][forwarding]") {
  ProxyFixture f("",
                 "    forward_token: false\n"
                 "    token_from: [{header: Authorization}, {cookie: session}, {query: access_token}]\n");
  const auto t = token();
  REQUIRE(http_request(f.port(), "GET", "/orders/1", {{"Authorization", bearer(t)}, {"Cookie", "a=1"}})->status == 200);
  REQUIRE(http_request(f.port(), "GET", "/orders/2", {{"Cookie", "theme=dark; session=" + t + "; lang=en"}})->status == 200);
  REQUIRE(http_request(f.port(), "GET", "/orders/3?page=2&access_token=" + t + "&sort=asc")->status == 200);
  const auto seen = f.upstream.requests();
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].count("Authorization") == 0);
  CHECK(seen[0].header("Cookie") == "a=1");
  CHECK(seen[1].header("Cookie") == "theme=dark; lang=en");
  CHECK(seen[2].target == "/orders/3?page=2&sort=asc");
  for (const auto& s : seen) {
    CHECK(s.header("x-user-id") == "alice");
    for (const auto& [name, value] : s.headers) CHECK(value.find(t.substr(0, 30)) == std::string::npos);
  }
}

TEST_CASE("claim headers: strings as they are, arrays and objects as JSON, injection impossible", "[integration][forwarding]") {
  ProxyFixture f("", "    forward_payload_header: x-jwt-payload\n",
                 "{roles: x-roles, org: x-org, sub: x-user-id, note: x-note, n: x-n, pad: x-pad, list: x-list, "
                 "joined: x-joined, ok: x-ok}");
  const auto t = signed_claims(
      R"("sub":"bob","scope":"orders:read","roles":["admin","ops"],"org":{"id":7,"name":"acme"},"note":"a\r\nX-Admin: true","n":42,)"
      R"("pad":" admin ","list":["user","x,admin"],"joined":"user,x,admin","ok":true)");
  const auto r = http_request(f.port(), "GET", "/orders/1", {{"Authorization", bearer(t)}});
  REQUIRE(r);
  REQUIRE(r->status == 200);
  const auto seen = f.upstream.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].header("x-roles") == R"(["admin","ops"])");
  // Nothing is altered on the way: a string the header cannot carry as it is (HTTP parsers
  // strip its spaces) is left out, and an array cannot pass for a comma-joined string.
  CHECK(seen[0].count("x-pad") == 0);
  CHECK(seen[0].header("x-list") == R"(["user","x,admin"])");
  CHECK(seen[0].header("x-joined") == "user,x,admin");
  CHECK(seen[0].header("x-ok") == "true");
  CHECK(seen[0].header("x-org") == R"({"id":7,"name":"acme"})");
  CHECK(seen[0].header("x-user-id") == "bob");
  CHECK(seen[0].header("x-n") == "42");
  CHECK(seen[0].count("x-note") == 0);   // CR/LF in the value: the header is left out
  CHECK(seen[0].count("X-Admin") == 0);
  std::string payload;
  REQUIRE(jwt_sidecar::common::base64url_decode(seen[0].header("x-jwt-payload"), payload));
  CHECK(payload.find(R"("roles":["admin","ops"])") != std::string::npos);
}

TEST_CASE("routes may name their own upstream", "[integration][forwarding]") {
  TempDir dir;
  UpstreamServer a, b;
  const auto jwks = dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
  ProxyProcess proxy("listen: 127.0.0.1:0\nupstream: http://127.0.0.1:" + std::to_string(a.port()) +
                     "\nthreads: 2\n"
                     "providers:\n  corp: {issuer: " + std::string(kIssuer) + ", jwks_file: " + jwks + "}\n"
                     "routes:\n"
                     "  - name: billing\n    match: {prefix: /billing}\n    upstream: http://127.0.0.1:" +
                     std::to_string(b.port()) + "/v2\n"
                     "  - name: rest\n    match: {prefix: /}\n");
  const auto t = token();
  REQUIRE(http_request(proxy.port(), "GET", "/billing/invoices", {{"Authorization", bearer(t)}})->status == 200);
  REQUIRE(http_request(proxy.port(), "GET", "/orders", {{"Authorization", bearer(t)}})->status == 200);
  REQUIRE(b.request_count() == 1);
  CHECK(b.requests()[0].target == "/v2/billing/invoices");
  REQUIRE(a.request_count() == 1);
  CHECK(a.requests()[0].target == "/orders");
}
