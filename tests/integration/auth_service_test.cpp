// The auth service against the real binary, with checks shaped as each front proxy documents
// them (Envoy and Traefik are not packaged by Debian; nginx and Caddy run for real in
// auth_service_proxies_test.cpp):
//   Traefik ForwardAuth (doc.traefik.io/traefik/middlewares/http/forwardauth/): the check is a
//     GET to the configured address carrying X-Forwarded-Method, -Proto, -Host, -Uri, -For and
//     the client's headers; on 2xx, `authResponseHeaders` are copied to the request.
//   Envoy ext_authz HTTP service (envoyproxy.io/docs, ext_authz filter, `http_service`): the
//     check keeps the original method and Host, its path is `path_prefix` + the original path
//     and query; on 200, `allowed_upstream_headers` are copied.
// Each answer is checked, and that the upstream never sees a check.
#include <catch2/catch.hpp>

#include "tests/integration/fixture.h"

using namespace jwt_sidecar::testing;

namespace {

std::string auth_config(std::uint16_t upstream_port, const std::string& jwks_path, const std::string& extra = "") {
  return "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nthreads: 1\n"
         "upstream: http://127.0.0.1:" + std::to_string(upstream_port) + "\n" +
         "auth_service:\n  listen: 127.0.0.1:0\n  envoy_path_prefix: /ext_authz\n" + extra +
         "providers:\n"
         "  corp:\n"
         "    issuer: " + kIssuer + "\n"
         "    audiences: [orders-api]\n"
         "    jwks_file: " + jwks_path + "\n"
         "    token_from: [{header: Authorization}, {query: access_token}]\n"
         "    forward_claims: {sub: x-user-id, email: x-user-email}\n"
         "routes:\n"
         "  - {name: public, match: {prefix: /public}, auth: none}\n"
         "  - {name: admin, match: {prefix: /admin}, auth: deny}\n"
         "  - {name: orders-read, match: {prefix: /orders, methods: [GET, HEAD]}, claims: {scope: {all: [orders:read]}}}\n"
         "  - {name: orders-write, match: {prefix: /orders}, claims: {scope: {all: [orders:write]}}}\n"
         "  - {name: api, match: {prefix: /api}, cors_preflight: allow}\n";
}

struct AuthFixture {
  explicit AuthFixture(const std::string& extra = "")
      : jwks_path(dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}))),
        proxy(auth_config(upstream.port(), jwks_path, extra)) {}
  std::uint16_t auth() const { return proxy.auth_port(); }

  TempDir dir;
  UpstreamServer upstream;
  std::string jwks_path;
  ProxyProcess proxy;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// A Traefik ForwardAuth check for METHOD URI.
std::optional<Response> traefik(std::uint16_t port, const std::string& method, const std::string& uri, Headers extra = {}) {
  Headers h{{"X-Forwarded-Method", method}, {"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "shop.example"},
            {"X-Forwarded-Uri", uri}, {"X-Forwarded-For", "203.0.113.7"}};
  h.insert(h.end(), extra.begin(), extra.end());
  return http_request(port, "GET", "/auth", h);
}

}  // namespace

TEST_CASE("auth service: allowed checks answer 200 with the claim headers and an empty body",
          "[integration][auth_service]") {
  AuthFixture f;
  REQUIRE(f.auth() != 0);
  const auto t = token();  // sub alice, scope orders:read
  auto r = traefik(f.auth(), "GET", "/orders/7", {{"Authorization", bearer(t)}});
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body.empty());
  CHECK(r->header("x-user-id") == "alice");
  CHECK(r->header("x-user-email") == "alice@example.test");
  // A public route needs no token: 200, every claim header answered empty (so that a front
  // proxy copying them overwrites a client's own copy instead of keeping it).
  r = traefik(f.auth(), "GET", "/public/x");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->count("x-user-id") == 1);
  CHECK(r->header("x-user-id").empty());
  CHECK(r->header("x-user-email").empty());
  // Envoy: the check's own method, Host and path under the prefix.
  r = http_request(f.auth(), "GET", "/ext_authz/orders/7?x=1", {{"Authorization", bearer(t)}});
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header("x-user-id") == "alice");
  CHECK(f.upstream.requests().empty());  // the auth service never forwards
  // Counted apart from proxied requests, and logged with the original request.
  CHECK(metric(f.proxy.admin_port(),
               "jwt_sidecar_requests_total{route=\"orders-read\",decision=\"allow\",code=\"200\",listener=\"auth_service\",protocol=\"http/1.1\"}") ==
        2.0);
  const auto line = f.proxy.process().wait_for_line("\"listener\":\"auth_service\"");
  REQUIRE(line);
  CHECK(line->find("\"path\":\"/orders/7\"") != std::string::npos);
}

TEST_CASE("auth service: rejections are the proxy's (401 challenge, 403, 404), never echoing a token",
          "[integration][auth_service]") {
  AuthFixture f;
  auto r = traefik(f.auth(), "GET", "/orders/1");
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(r->header("WWW-Authenticate") == "Bearer realm=\"jwt-sidecar\"");
  CHECK(r->body.find("token_missing") != std::string::npos);
  const auto forged = token() + "x";
  r = traefik(f.auth(), "GET", "/orders/1", {{"Authorization", bearer(forged)}});
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(r->header("WWW-Authenticate").find("error=\"invalid_token\"") != std::string::npos);
  CHECK(r->body.find(forged) == std::string::npos);
  // A method-scoped route: the same token may read but not delete.
  r = traefik(f.auth(), "DELETE", "/orders/1", {{"Authorization", bearer(token())}});
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(r->header("WWW-Authenticate").find("insufficient_scope") != std::string::npos);
  r = traefik(f.auth(), "GET", "/admin/x", {{"Authorization", bearer(token())}});
  REQUIRE(r);
  CHECK(r->status == 403);
  r = traefik(f.auth(), "GET", "/nowhere");
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(f.upstream.requests().empty());
}

TEST_CASE("auth service: the original target is normalised like the proxy's; bad ones are 400",
          "[integration][auth_service]") {
  AuthFixture f;
  for (const char* bypass : {"/public/../orders/1", "/public/%2e%2e/orders/1", "/public/./../orders/1"}) {
    INFO(bypass);
    const auto r = traefik(f.auth(), "GET", bypass);
    REQUIRE(r);
    CHECK(r->status == 401);  // judged as /orders/1: a token is needed
  }
  for (const char* bad : {"/public%2F..%2Forders", "/public\\..\\orders", "/a%zz"}) {
    INFO(bad);
    const auto r = traefik(f.auth(), "GET", bad);
    REQUIRE(r);
    CHECK(r->status == 400);
  }
}

TEST_CASE("auth service: the dialect cannot be spoofed; the method is never guessed",
          "[integration][auth_service]") {
  AuthFixture f;
  // A client's own X-Original-URI passed on next to the front proxy's X-Forwarded-Uri.
  auto r = traefik(f.auth(), "GET", "/orders/1", {{"X-Original-URI", "/public/x"}, {"X-Original-Method", "GET"}});
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(r->body.find("original_request_ambiguous") != std::string::npos);
  r = http_request(f.auth(), "GET", "/auth", {{"X-Forwarded-Uri", "/public/x"}, {"X-Forwarded-Uri", "/orders"},
                                              {"X-Forwarded-Method", "GET"}});
  REQUIRE(r);
  CHECK(r->body.find("original_request_ambiguous") != std::string::npos);
  r = http_request(f.auth(), "GET", "/auth", {{"X-Forwarded-Uri", "/orders/1"}});
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(r->body.find("original_method_missing") != std::string::npos);
  r = http_request(f.auth(), "GET", "/auth");
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(r->body.find("original_request_missing") != std::string::npos);
  // Under Envoy's prefix, a client's X-Forwarded-Uri makes the check ambiguous too.
  r = http_request(f.auth(), "GET", "/ext_authz/orders/1", {{"X-Forwarded-Uri", "/public"}, {"X-Forwarded-Method", "GET"}});
  REQUIRE(r);
  CHECK(r->body.find("original_request_ambiguous") != std::string::npos);
}

TEST_CASE("auth service: a pinned dialect ignores the others' headers", "[integration][auth_service]") {
  AuthFixture f("  dialect: forwarded\n");
  const auto r = traefik(f.auth(), "GET", "/public/x", {{"X-Original-URI", "/orders/1"}, {"X-Original-Method", "GET"}});
  REQUIRE(r);
  CHECK(r->status == 200);  // judged on X-Forwarded-Uri alone
}

TEST_CASE("auth service: tokens from the original query, never from the check's own",
          "[integration][auth_service]") {
  AuthFixture f;
  const auto t = token();
  auto r = traefik(f.auth(), "GET", "/orders/1?access_token=" + t);
  REQUIRE(r);
  CHECK(r->status == 200);
  // Caddy copies the client's query onto the check unless told otherwise: ignored.
  r = http_request(f.auth(), "GET", "/auth?access_token=" + t,
                   {{"X-Forwarded-Method", "GET"}, {"X-Forwarded-Uri", "/orders/1"}});
  REQUIRE(r);
  CHECK(r->status == 401);
  // Two tokens (header and original query) are refused, as by the proxy.
  r = traefik(f.auth(), "GET", "/orders/1?access_token=" + t, {{"Authorization", bearer(t)}});
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(r->body.find("multiple_tokens") != std::string::npos);
}

TEST_CASE("auth service: a check with a body is answered without reading it, then closed",
          "[integration][auth_service]") {
  AuthFixture f;
  RawClient c(f.auth());
  const std::string body(1 << 20, 'x');
  REQUIRE(c.send("POST /auth HTTP/1.1\r\nHost: a\r\nX-Forwarded-Method: GET\r\nX-Forwarded-Uri: /public/x\r\n"
                 "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header("Connection") == "close");
}

TEST_CASE("cors_preflight: allow lets a preflight through without a token, on both listeners",
          "[integration][auth_service][cors]") {
  AuthFixture f;
  const Headers preflight{{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"}};
  auto r = http_request(f.proxy.port(), "OPTIONS", "/api/items", preflight);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(f.upstream.requests().size() == 1);
  // Not a preflight (no Access-Control-Request-Method): authenticated like any request.
  r = http_request(f.proxy.port(), "OPTIONS", "/api/items", {{"Origin", "https://app.example"}});
  REQUIRE(r);
  CHECK(r->status == 401);
  // A route without the option authenticates preflights too.
  r = http_request(f.proxy.port(), "OPTIONS", "/orders/1", preflight);
  REQUIRE(r);
  CHECK(r->status == 401);
  r = traefik(f.auth(), "OPTIONS", "/api/items", preflight);
  REQUIRE(r);
  CHECK(r->status == 200);
  r = traefik(f.auth(), "OPTIONS", "/orders/1", preflight);
  REQUIRE(r);
  CHECK(r->status == 401);
}
