// Every decision the proxy makes, with its status, headers and body, and what the upstream saw.
#include <catch2/catch.hpp>

#include "tests/integration/fixture.h"

using namespace jwt_sidecar::testing;

TEST_CASE("a valid token is forwarded with claim headers; the upstream sees it", "[integration][decisions]") {
  ProxyFixture f;
  const auto r = http_request(f.port(), "GET", "/orders/42?x=1", {{"Authorization", bearer(token())}});
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body.find("\"target\":\"/orders/42?x=1\"") != std::string::npos);
  const auto seen = f.upstream.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].target == "/orders/42?x=1");
  CHECK(seen[0].header("x-user-id") == "alice");
  CHECK(seen[0].header("x-user-email") == "alice@example.test");
  CHECK(seen[0].header("X-Forwarded-For") == "127.0.0.1");
  CHECK(seen[0].header("X-Forwarded-Proto") == "http");
  CHECK(seen[0].header("X-Forwarded-Host") == "127.0.0.1");
  CHECK(seen[0].header("Authorization") == bearer(token()).substr(0, 7) + seen[0].header("Authorization").substr(7));
}

TEST_CASE("no token on a protected route: 401 with a bare challenge", "[integration][decisions]") {
  ProxyFixture f;
  const auto r = http_request(f.port(), "GET", "/orders/1");
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(r->header("WWW-Authenticate") == R"(Bearer realm="jwt-sidecar")");
  CHECK(r->header("Content-Type") == "application/json");
  CHECK(r->body == "{\"error\":\"unauthorized\",\"error_description\":\"token_missing\"}\n");
  CHECK(f.upstream.request_count() == 0);
}

TEST_CASE("bad tokens: 401 invalid_token with the reason, never forwarded", "[integration][decisions]") {
  ProxyFixture f;
  const auto expired = make_token(TestKey::shared_ec("P-256"), jwt_sidecar::policies::Algorithm::ES256,
                                  R"({"alg":"ES256","kid":"k1"})",
                                  std::string(R"({"iss":")") + kIssuer + R"(","aud":"orders-api","exp":1000})");
  auto forged = token();
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
  struct Case {
    std::string token;
    const char* reason;
  };
  const Case cases[] = {
      {expired, "token_expired"},
      {forged, "signature_invalid"},
      {token("", "other-api"), "audience_mismatch"},
      {"not.a.token", "bad_base64url"},
      {"abc", "malformed_token"},
      {make_token(TestKey::shared_ec("P-256"), jwt_sidecar::policies::Algorithm::ES256,
                  R"({"alg":"ES256","kid":"k1"})", R"({"iss":"https://evil.example","exp":9999999999})"),
       "unknown_issuer"},
      {make_token(TestKey::shared_ec("P-256"), jwt_sidecar::policies::Algorithm::ES256,
                  R"({"alg":"ES256","kid":"k9"})",
                  std::string(R"({"iss":")") + kIssuer + R"(","aud":"orders-api","exp":9999999999})"),
       "key_not_found"},
  };
  for (const auto& c : cases) {
    INFO(c.reason);
    const auto r = http_request(f.port(), "GET", "/orders/1", {{"Authorization", bearer(c.token)}});
    REQUIRE(r);
    CHECK(r->status == 401);
    CHECK(r->header("WWW-Authenticate") ==
          std::string(R"(Bearer realm="jwt-sidecar", error="invalid_token", error_description=")") + c.reason + "\"");
    CHECK(r->body == std::string(R"({"error":"invalid_token","error_description":")") + c.reason + "\"}\n");
    CHECK(r->body.find(c.token) == std::string::npos);
  }
  CHECK(f.upstream.request_count() == 0);
}

TEST_CASE("claims not met: 403 insufficient_scope", "[integration][decisions]") {
  ProxyFixture f;
  const auto r = http_request(f.port(), "GET", "/orders/1", {{"Authorization", bearer(token(R"("scope":"profile")"))}});
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(r->header("WWW-Authenticate").find(R"(error="insufficient_scope")") != std::string::npos);
  CHECK(r->body == "{\"error\":\"insufficient_scope\",\"error_description\":\"claims_requirement_failed\"}\n");
  CHECK(f.upstream.request_count() == 0);
}

TEST_CASE("deny routes answer 403 and unknown paths 404, valid token or not", "[integration][decisions]") {
  ProxyFixture f;
  for (const auto& headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {}, {{"Authorization", bearer(token())}}}) {
    const auto deny = http_request(f.port(), "GET", "/admin/users", headers);
    REQUIRE(deny);
    CHECK(deny->status == 403);
    CHECK(deny->body == "{\"error\":\"access_denied\",\"error_description\":\"route_denied\"}\n");
    const auto none = http_request(f.port(), "GET", "/elsewhere", headers);
    REQUIRE(none);
    CHECK(none->status == 404);
    CHECK(none->body == "{\"error\":\"not_found\",\"error_description\":\"no_route\"}\n");
  }
  CHECK(f.upstream.request_count() == 0);
}

TEST_CASE("optional routes: anonymous passes, an invalid token does not", "[integration][decisions]") {
  ProxyFixture f;
  auto r = http_request(f.port(), "GET", "/maybe");
  REQUIRE(r);
  CHECK(r->status == 200);
  r = http_request(f.port(), "GET", "/maybe", {{"Authorization", "Bearer garbage.garbage.garbage"}});
  REQUIRE(r);
  CHECK(r->status == 401);
  r = http_request(f.port(), "GET", "/maybe", {{"Authorization", bearer(token())}});
  REQUIRE(r);
  CHECK(r->status == 200);
  const auto seen = f.upstream.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].header("x-user-id").empty());
  CHECK(seen[1].header("x-user-id") == "alice");
}

TEST_CASE("two tokens in one request: 400 invalid_request", "[integration][decisions]") {
  ProxyFixture f("", "    token_from: [{header: Authorization}, {query: access_token}]\n");
  const auto t = token();
  auto r = http_request(f.port(), "GET", "/orders/1?access_token=" + t, {{"Authorization", bearer(t)}});
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(r->body.find("multiple_tokens") != std::string::npos);
  RawClient c(f.port());
  c.send("GET /orders/1 HTTP/1.1\r\nHost: x\r\nAuthorization: " + bearer(t) + "\r\nAuthorization: " + bearer(t) + "\r\n\r\n");
  r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 400);
  r = http_request(f.port(), "GET", "/orders/1?access_token=" + t);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(f.upstream.request_count() == 1);
}

TEST_CASE("keys not loaded: 503 with Retry-After, distinct from 401", "[integration][decisions]") {
  TempDir dir;
  UpstreamServer upstream;
  ProxyProcess proxy(standard_config(upstream.port(), dir.path() + "/missing.json"));
  const auto r = http_request(proxy.port(), "GET", "/orders/1", {{"Authorization", bearer(token())}});
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->header("Retry-After") == "5");
  CHECK(r->body.find("keys_unavailable") != std::string::npos);
  const auto ready = http_request(proxy.admin_port(), "GET", "/readyz");
  REQUIRE(ready);
  CHECK(ready->status == 503);
  CHECK(upstream.request_count() == 0);
}

TEST_CASE("spoofed claim headers are removed on every route, in every spelling", "[integration][headers]") {
  ProxyFixture f;
  const std::vector<std::pair<std::string, std::string>> spoof = {
      {"X-User-Id", "mallory"}, {"x_user_id", "mallory"}, {"X-USER-ID", "mallory"}, {"X-User_Email", "m@evil"}};
  auto headers = spoof;
  headers.emplace_back("Authorization", bearer(token()));
  REQUIRE(http_request(f.port(), "GET", "/orders/1", headers)->status == 200);
  REQUIRE(http_request(f.port(), "GET", "/public/x", spoof)->status == 200);
  const auto seen = f.upstream.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].count("x-user-id") == 1);
  CHECK(seen[0].header("x-user-id") == "alice");
  CHECK(seen[0].count("x_user_id") == 0);
  CHECK(seen[0].count("X-User_Email") == 0);
  CHECK(seen[0].header("x-user-email") == "alice@example.test");
  for (const auto& [name, value] : spoof) CHECK(seen[1].count(name) == 0);
}

TEST_CASE("admin endpoints: healthz, readyz and metrics", "[integration][admin]") {
  ProxyFixture f;
  REQUIRE(http_request(f.port(), "GET", "/orders/1", {{"Authorization", bearer(token())}})->status == 200);
  REQUIRE(http_request(f.port(), "GET", "/orders/1")->status == 401);
  CHECK(http_request(f.proxy.admin_port(), "GET", "/healthz")->status == 200);
  const auto ready = http_request(f.proxy.admin_port(), "GET", "/readyz");
  CHECK(ready->status == 200);
  const auto metrics = http_request(f.proxy.admin_port(), "GET", "/metrics");
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  const auto& m = metrics->body;
  CHECK(m.find(R"(jwt_sidecar_requests_total{route="orders",decision="allow",code="200",protocol="http/1.1"} 1)") != std::string::npos);
  CHECK(m.find(R"(jwt_sidecar_requests_total{route="orders",decision="reject",code="401",protocol="http/1.1"} 1)") != std::string::npos);
  CHECK(m.find(R"(jwt_sidecar_jwks_keys{provider="corp"} 1)") != std::string::npos);
  for (const char* name : {"jwt_sidecar_token_rejections_total", "jwt_sidecar_jwks_fetches_total",
                           "jwt_sidecar_token_cache_hits_total", "jwt_sidecar_token_cache_misses_total",
                           "jwt_sidecar_request_duration_seconds_bucket", "jwt_sidecar_upstream_duration_seconds_count",
                           "jwt_sidecar_connections_active"}) {
    CHECK(m.find(name) != std::string::npos);
  }
}

TEST_CASE("access log: one JSON line per request, never the token", "[integration][log]") {
  ProxyFixture f;
  const auto t = token();
  REQUIRE(http_request(f.port(), "GET", "/orders/7", {{"Authorization", bearer(t)}})->status == 200);
  const auto line = f.proxy.process().wait_for_line("\"msg\":\"request\"");
  REQUIRE(line);
  for (const char* field : {"\"method\":\"GET\"", "\"path\":\"/orders/7\"", "\"route\":\"orders\"",
                            "\"status\":200", "\"decision\":\"allow\"", "\"reason\":\"ok\"",
                            "\"provider\":\"corp\"", "\"sub\":\"alice\"", "\"duration_us\":",
                            "\"upstream_us\":", "\"bytes_in\":", "\"bytes_out\":", "\"time\":"}) {
    CHECK(line->find(field) != std::string::npos);
  }
  flush_access_log(f.proxy);
  for (const auto& l : f.proxy.process().stdout_lines()) CHECK(l.find(t.substr(0, 40)) == std::string::npos);
}

TEST_CASE("the token cache serves repeated tokens and counts hits and misses", "[integration][cache]") {
  ProxyFixture f;
  const auto t = token();
  for (int i = 0; i < 3; ++i) {
    REQUIRE(http_request(f.port(), "GET", "/orders/1", {{"Authorization", bearer(t)}})->status == 200);
  }
  // Route requirements still apply to a cached token.
  const auto weak = token(R"("scope":"profile")");
  REQUIRE(http_request(f.port(), "GET", "/orders/1", {{"Authorization", bearer(weak)}})->status == 403);
  REQUIRE(http_request(f.port(), "GET", "/orders/1", {{"Authorization", bearer(weak)}})->status == 403);
  const auto m = http_request(f.proxy.admin_port(), "GET", "/metrics")->body;
  CHECK(m.find("jwt_sidecar_token_cache_hits_total 3\n") != std::string::npos);
  CHECK(m.find("jwt_sidecar_token_cache_misses_total 2\n") != std::string::npos);
  CHECK(f.upstream.request_count() == 3);
}
