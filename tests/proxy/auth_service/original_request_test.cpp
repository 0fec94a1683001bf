// The three check dialects (DESIGN.md "Auth service") and the refusals that keep a client's own
// headers from choosing what is judged. Request shapes as the front proxies document them:
//   Traefik ForwardAuth (doc.traefik.io/traefik/middlewares/http/forwardauth/): X-Forwarded-
//     Method, -Proto, -Host, -Uri, -For;
//   Caddy forward_auth (caddyserver.com/docs/caddyfile/directives/forward_auth): X-Forwarded-
//     Method and -Uri, the check's URI copied from the client's unless `uri` is set;
//   nginx auth_request / ingress-nginx (kubernetes.github.io/ingress-nginx, external auth):
//     X-Original-URL (absolute), X-Original-Method, X-Original-URI, X-Auth-Request-Redirect;
//   Envoy ext_authz HTTP service (envoyproxy.io, ext_authz filter, http_service): the check
//     keeps the original method and :authority, its path is path_prefix + the original path.
#include "proxy/auth_service/original_request.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace jwt_sidecar;
using namespace jwt_sidecar::proxy;
using Dialect = config::AuthServiceConfig::Dialect;

namespace {

struct Check {
  std::string method = "GET";
  std::string target = "/auth";
  std::vector<std::pair<std::string, std::string>> headers;
};

// Owned copies: OriginalRequest's views point into the check, a temporary here.
struct Owned {
  Dialect dialect;
  std::string method, host, target;
};
struct Result {
  std::optional<Owned> original;
  std::string reason;
};

Result read(const Check& c, Dialect dialect = Dialect::any, std::optional<std::string> prefix = "/ext_authz") {
  config::AuthServiceConfig settings;
  settings.dialect = dialect;
  settings.envoy_path_prefix = std::move(prefix);
  std::vector<CheckField> fields;
  for (const auto& [n, v] : c.headers) fields.push_back({n, v});
  std::string_view reason;
  auto o = read_original_request({c.method, c.target, fields}, settings, reason);
  if (!o) return {std::nullopt, std::string(reason)};
  return {Owned{o->dialect, std::string(o->method), std::string(o->host), o->target}, std::string(reason)};
}

}  // namespace

TEST_CASE("original request: forwarded dialect (Traefik, Caddy)", "[auth_service]") {
  const auto r = read({"GET", "/auth?from=caddy", {{"Host", "auth.internal:8090"},
                                                    {"X-Forwarded-Method", "DELETE"},
                                                    {"X-Forwarded-Proto", "https"},
                                                    {"X-Forwarded-Host", "shop.example"},
                                                    {"X-Forwarded-Uri", "/orders/7?access_token=x"},
                                                    {"X-Forwarded-For", "203.0.113.9"}}});
  REQUIRE(r.original);
  CHECK(r.original->dialect == Dialect::forwarded);
  CHECK(r.original->method == "DELETE");
  CHECK(r.original->host == "shop.example");
  CHECK(r.original->target == "/orders/7?access_token=x");  // never the check's own "?from=caddy"
  // Without X-Forwarded-Host, the check's Host.
  const auto h = read({"GET", "/", {{"Host", "shop.example"}, {"X-Forwarded-Method", "GET"}, {"X-Forwarded-Uri", "/"}}});
  REQUIRE(h.original);
  CHECK(h.original->host == "shop.example");
}

TEST_CASE("original request: original dialect (nginx auth_request, ingress-nginx)", "[auth_service]") {
  auto r = read({"GET", "/_auth", {{"Host", "jwt-sidecar.auth:8090"},
                                    {"X-Original-Method", "POST"},
                                    {"X-Original-URL", "https://shop.example/orders?x=1"},
                                    {"X-Original-URI", "/ignored"}}});
  REQUIRE(r.original);
  CHECK(r.original->dialect == Dialect::original);
  CHECK(r.original->method == "POST");
  CHECK(r.original->host == "shop.example");      // the URL's, not the check's Host
  CHECK(r.original->target == "/orders?x=1");     // X-Original-URL wins over -URI
  r = read({"GET", "/_auth", {{"Host", "jwt-sidecar.auth"}, {"X-Forwarded-Host", "shop.example"},
                               {"X-Original-Method", "GET"}, {"X-Original-URI", "/public/../orders"}}});
  REQUIRE(r.original);
  CHECK(r.original->host == "shop.example");
  CHECK(r.original->target == "/public/../orders");  // normalised later, as the proxy does
  r = read({"GET", "/_auth", {{"X-Original-Method", "GET"}, {"X-Original-URL", "https://shop.example"}}});
  REQUIRE(r.original);
  CHECK(r.original->target == "/");
  CHECK(read({"GET", "/_auth", {{"X-Original-Method", "GET"}, {"X-Original-URL", "/relative"}}}).reason ==
        "original_uri_invalid");
  CHECK(read({"GET", "/_auth", {{"X-Original-Method", "GET"}, {"X-Original-URL", "ftp://h/x"}}}).reason ==
        "original_uri_invalid");
  CHECK(read({"GET", "/_auth", {{"X-Original-Method", "GET"}, {"X-Original-URI", "orders"}}}).reason ==
        "original_uri_invalid");
}

TEST_CASE("original request: envoy dialect under envoy_path_prefix, segment-aware", "[auth_service]") {
  auto r = read({"PUT", "/ext_authz/orders/9?access_token=t", {{"Host", "shop.example"}}});
  REQUIRE(r.original);
  CHECK(r.original->dialect == Dialect::envoy);
  CHECK(r.original->method == "PUT");
  CHECK(r.original->host == "shop.example");
  CHECK(r.original->target == "/orders/9?access_token=t");
  r = read({"GET", "/ext_authz", {}});
  REQUIRE(r.original);
  CHECK(r.original->target == "/");
  r = read({"GET", "/ext_authz?q", {}});
  REQUIRE(r.original);
  CHECK(r.original->target == "/?q");
  CHECK(read({"GET", "/ext_authzX/orders", {}}).reason == "original_request_missing");
  CHECK(under_prefix("/ext_authz/a", "/ext_authz"));
  CHECK_FALSE(under_prefix("/ext_authzX", "/ext_authz"));
  CHECK_FALSE(under_prefix("/ext", "/ext_authz"));
}

TEST_CASE("original request: missing, ambiguous, no method", "[auth_service]") {
  CHECK(read({"GET", "/auth", {{"Host", "h"}}}).reason == "original_request_missing");
  CHECK(read({"GET", "/auth", {{"X-Forwarded-Host", "h"}, {"X-Forwarded-Proto", "https"}}}).reason ==
        "original_request_missing");  // these belong to no dialect
  // Two dialects' URIs: a client's own copy passed on by the front proxy must not choose.
  CHECK(read({"GET", "/auth", {{"X-Forwarded-Method", "GET"}, {"X-Forwarded-Uri", "/public"},
                               {"X-Original-Method", "GET"}, {"X-Original-URI", "/admin"}}})
            .reason == "original_request_ambiguous");
  CHECK(read({"GET", "/ext_authz/x", {{"X-Forwarded-Method", "GET"}, {"X-Forwarded-Uri", "/public"}}}).reason ==
        "original_request_ambiguous");
  // Two copies of one header.
  CHECK(read({"GET", "/auth", {{"X-Forwarded-Method", "GET"}, {"X-Forwarded-Uri", "/public"},
                               {"x-forwarded-uri", "/admin"}}})
            .reason == "original_request_ambiguous");
  CHECK(read({"GET", "/auth", {{"X-Original-Method", "GET"}, {"X-Original-Method", "DELETE"},
                               {"X-Original-URI", "/a"}}})
            .reason == "original_request_ambiguous");
  CHECK(read({"GET", "/auth", {{"X-Forwarded-Method", "GET"}, {"X-Forwarded-Uri", "/a"}, {"Host", "a"}, {"Host", "b"}}})
            .reason == "original_request_ambiguous");
  // No method: never a guessed GET.
  CHECK(read({"GET", "/auth", {{"X-Forwarded-Uri", "/orders"}}}).reason == "original_method_missing");
  CHECK(read({"GET", "/auth", {{"X-Original-URI", "/orders"}}}).reason == "original_method_missing");
  CHECK(read({"GET", "/auth", {{"X-Forwarded-Method", "get"}, {"X-Forwarded-Uri", "/a"}}}).reason == "invalid_method");
  CHECK(read({"GET", "/auth", {{"X-Forwarded-Method", "G T"}, {"X-Forwarded-Uri", "/a"}}}).reason == "invalid_method");
  // The original host is judged as a Host header: one valid host.
  CHECK(read({"GET", "/auth", {{"X-Forwarded-Method", "GET"}, {"X-Forwarded-Uri", "/a"}, {"X-Forwarded-Host", "a, b"}}})
            .reason == "invalid_host_header");
  CHECK(read({"GET", "/auth", {{"X-Original-Method", "GET"}, {"X-Original-URL", "http://a b/x"}}}).reason ==
        "invalid_host_header");
}

TEST_CASE("original request: a pinned dialect ignores the others' headers", "[auth_service]") {
  const Check both{"GET", "/auth", {{"X-Forwarded-Method", "GET"}, {"X-Forwarded-Uri", "/public"},
                                    {"X-Original-Method", "DELETE"}, {"X-Original-URI", "/orders"}}};
  auto r = read(both, Dialect::original);
  REQUIRE(r.original);
  CHECK(r.original->method == "DELETE");
  CHECK(r.original->target == "/orders");
  r = read(both, Dialect::forwarded);
  REQUIRE(r.original);
  CHECK(r.original->target == "/public");
  // Pinned to envoy: X-Forwarded-* under the prefix are just headers.
  r = read({"GET", "/ext_authz/orders", {{"X-Forwarded-Method", "GET"}, {"X-Forwarded-Uri", "/public"}}}, Dialect::envoy);
  REQUIRE(r.original);
  CHECK(r.original->target == "/orders");
  CHECK(read({"GET", "/auth", {{"X-Forwarded-Method", "GET"}, {"X-Forwarded-Uri", "/a"}}}, Dialect::envoy).reason ==
        "original_request_missing");
}
