// `routes`: names, match conditions, auth modes, provider references and claim requirements.
#include <catch2/catch.hpp>

#include "tests/config/load_helpers.h"

using namespace jwt_sidecar::config;
using jwt_sidecar::config::test::Errors;
using jwt_sidecar::config::test::errors_of;
using jwt_sidecar::config::test::load_ok;

TEST_CASE("routes are read in order with their defaults", "[config][routes]") {
  const auto config = load_ok(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  corp: {issuer: https://idp.example.test, jwks_file: /etc/jwks.json}
routes:
  - name: public
    match: {prefix: /public}
    auth: none
  - name: orders
    match:
      path: /orders/
      methods: [GET, HEAD, GET]
      host: API.Example.TEST:8443
    providers: [corp]
    upstream: https://orders.internal:9443/v2
  - name: admin
    match: {host: "[::1]"}
    auth: deny
  - name: catalogue
    match: {methods: [PURGE]}
    auth: optional
)");
  REQUIRE(config.routes.size() == 4);
  const auto& public_route = config.routes[0];
  CHECK(public_route.name == "public");
  CHECK(public_route.mark.line == 6);
  CHECK(public_route.mark.column == 5);
  CHECK(public_route.match.prefix == "/public");
  CHECK_FALSE(public_route.match.path);
  CHECK(public_route.auth == AuthMode::none);
  const auto& orders = config.routes[1];
  CHECK(orders.auth == AuthMode::required);
  CHECK(orders.match.path == "/orders/");
  CHECK(orders.match.methods == std::vector<std::string>{"GET", "HEAD"});
  CHECK(orders.match.host == "api.example.test");
  CHECK(orders.providers == std::vector<std::string>{"corp"});
  REQUIRE(orders.upstream);
  CHECK(orders.upstream->port == 9443);
  CHECK(orders.upstream->path == "/v2");
  CHECK(config.routes[2].match.host == "[::1]");
  CHECK(config.routes[2].auth == AuthMode::deny);
  CHECK(config.routes[3].match.methods == std::vector<std::string>{"PURGE"});
  CHECK(config.routes[3].auth == AuthMode::optional);
  CHECK(config.routes[3].providers.empty());
}

TEST_CASE("claim requirements keep the type of their values", "[config][routes]") {
  const auto config = load_ok(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  corp: {issuer: https://idp.example.test, jwks_file: /etc/jwks.json}
routes:
  - name: orders
    match: {prefix: /orders}
    claims:
      scope: {all: [orders:read, orders:write]}
      realm_access.roles: {any: [admin, 42, "true", true, null]}
      email_verified: {equals: true}
      act: {present: false}
)");
  const auto& claims = config.routes[0].claims;
  REQUIRE(claims.size() == 4);
  CHECK(claims[0].claim == "scope");
  CHECK(claims[0].op == ClaimRequirement::Op::all);
  CHECK(claims[0].mark.line == 9);
  CHECK(claims[0].mark.column == 7);
  REQUIRE(claims[0].values.size() == 2);
  CHECK(claims[0].values[1].string == "orders:write");
  CHECK(claims[1].claim == "realm_access.roles");
  CHECK(claims[1].op == ClaimRequirement::Op::any);
  REQUIRE(claims[1].values.size() == 5);
  CHECK(claims[1].values[0].kind == Scalar::Kind::string);
  CHECK(claims[1].values[1].kind == Scalar::Kind::number);
  CHECK(claims[1].values[1].number == 42);
  CHECK(claims[1].values[2].kind == Scalar::Kind::string);  // quoted: a string, not a boolean
  CHECK(claims[1].values[2].string == "true");
  CHECK(claims[1].values[3].kind == Scalar::Kind::boolean);
  CHECK(claims[1].values[3].boolean);
  CHECK(claims[1].values[4].kind == Scalar::Kind::null);
  CHECK(claims[2].op == ClaimRequirement::Op::equals);
  REQUIRE(claims[2].values.size() == 1);
  CHECK(claims[2].values[0].kind == Scalar::Kind::boolean);
  CHECK(claims[3].op == ClaimRequirement::Op::present);
  CHECK_FALSE(claims[3].present);
}

TEST_CASE("a route naming an unknown provider is an error", "[config][routes]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  corp: {issuer: https://idp.example.test, jwks_file: /etc/jwks.json}
routes:
  - name: orders
    match: {prefix: /orders}
    providers: [corpp, corp, partner]
)") == Errors{
             "8:17: route 'orders' names unknown provider 'corpp' (did you mean 'corp'?)",
             "8:30: route 'orders' names unknown provider 'partner'",
         });
}

TEST_CASE("route names are required, simple and unique", "[config][routes]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
routes:
  - match: {prefix: /a}
    auth: none
  - name: orders
    match: {prefix: /b}
    auth: none
  - name: orders
    match: {prefix: /c}
    auth: none
  - name: "my route"
    match: {prefix: /d}
    auth: none
  - just-a-string
)") == Errors{
             "4:5: missing required key 'name' in route #1",
             "9:11: route name 'orders' is already used at line 6",
             "12:11: route name 'my route' may only use letters, digits, '-', '_' and '.'",
             "15:5: each entry of 'routes' must be a mapping",
         });
}

TEST_CASE("match needs a condition, and paths are absolute and normalised", "[config][routes]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
routes:
  - name: a
    auth: none
  - name: b
    match: {}
    auth: none
  - name: c
    match: {prefix: /c, path: /c/x}
    auth: none
  - name: d
    match: {prefix: orders}
    auth: none
  - name: e
    match: {path: "/a//b"}
    auth: none
  - name: f
    match: {prefix: /a/../b}
    auth: none
  - name: g
    match: {prefix: "/a?b=1"}
    auth: none
  - name: h
    match: {prefx: /h}
    auth: none
)") == Errors{
             "4:5: missing required key 'match' in route 'a'",
             "7:12: 'match' of route 'b' needs at least one of path, prefix, methods or host",
             "10:25: 'match' of route 'c' cannot have both 'path' and 'prefix'",
             "13:21: 'prefix' must start with '/'",
             "16:19: 'path' would never match: requests are matched after normalisation, so "
             "write it as '/a/b'",
             "19:21: 'prefix' would never match: requests are matched after normalisation, so "
             "write it as '/b'",
             "22:21: 'prefix' must not contain a query or fragment",
             "25:13: unknown key 'prefx' in 'match' of route 'h' (did you mean 'prefix'?)",
         });
}

TEST_CASE("methods are upper-case HTTP tokens and hosts are host names", "[config][routes]") {
  // Lower-case methods are refused, not upper-cased: HTTP methods are case-sensitive.
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
routes:
  - name: a
    match: {methods: [get, "GET ", POST]}
    auth: none
  - name: b
    match: {methods: []}
    auth: none
  - name: c
    match: {host: "*.example.test"}
    auth: none
  - name: d
    match: {host: "api.example.test:0"}
    auth: none
)") == Errors{
             "5:23: method 'get' must be upper-case: HTTP methods are case-sensitive (did you "
             "mean 'GET'?)",
             "5:28: 'GET ' is not an HTTP method",
             "8:22: 'methods' must not be empty (omit it to match any method)",
             "11:19: 'host' must be a host name, such as api.example.test",
             "14:19: 'host' has an invalid port '0' (use 1-65535)",
         });
}

TEST_CASE("claims need exactly one of equals, any, all or present", "[config][routes]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  corp: {issuer: https://idp.example.test, jwks_file: /etc/jwks.json}
routes:
  - name: orders
    match: {prefix: /orders}
    claims:
      scope: orders:read
      roles: {any: [admin], all: [ops]}
      email: {equal: a@example.test}
      tenant: {equals: [a, b]}
      groups: {any: []}
      amr: {all: [pwd, [otp]]}
      act: {present: maybe}
      .bad: {present: true}
      nested: {}
)") == Errors{
             "9:14: claim 'scope' must have exactly one of equals, any, all or present",
             "10:14: claim 'roles' must have exactly one of equals, any, all or present",
             "11:15: unknown key 'equal' in claim 'email' of route 'orders' (did you mean "
             "'equals'?)",
             "12:24: 'equals' must be a string, number, true, false or null",
             "13:21: 'any' must list at least one value",
             "14:24: each entry of 'all' must be a string, number, true, false or null",
             "15:22: 'present' must be true or false",
             "16:7: claim name '.bad' must be a claim name or a dotted path such as "
             "realm_access.roles",
             "17:15: claim 'nested' must have exactly one of equals, any, all or present",
         });
}

TEST_CASE("auth is one of four modes, and none or deny take no providers or claims",
          "[config][routes]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  corp: {issuer: https://idp.example.test, jwks_file: /etc/jwks.json}
routes:
  - name: public
    match: {prefix: /public}
    auth: none
    providers: [corp]
  - name: admin
    match: {prefix: /admin}
    auth: deny
    claims: {roles: {any: [admin]}}
  - name: other
    match: {prefix: /}
    auth: requried
    upstrem: http://127.0.0.1:9000
)") == Errors{
             "9:5: route 'public' cannot have 'providers' with auth none",
             "13:5: route 'admin' cannot have 'claims' with auth deny",
             "16:11: 'auth' must be one of none, optional, required, deny (did you mean "
             "'required'?)",
             "17:5: unknown key 'upstrem' in route 'other' (did you mean 'upstream'?)",
         });
}

TEST_CASE("a route that needs a token needs a configured provider", "[config][routes]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
routes:
  - name: health
    match: {path: /healthz}
    auth: none
  - name: default
    match: {prefix: /}
)") == Errors{"7:5: route 'default' needs a token but no providers are configured"});
}

TEST_CASE("claims with auth optional are refused: a request without a token would pass them",
          "[config][routes]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  corp: {issuer: https://idp.example.test, jwks_file: /etc/jwks.json}
routes:
  - name: maybe
    match: {prefix: /maybe}
    auth: optional
    claims: {scope: {all: [read]}}
)") == Errors{
             "9:5: route 'maybe' cannot have claims with auth optional: a request without a token "
             "would pass them; use auth required",
         });
}

TEST_CASE("route paths are validated once, here, against the request normalisation",
          "[config][routes]") {
  // The same normalisation requests go through (common/path.h): a path it would change could
  // never match, so it is refused where the operator wrote it.
  const auto errors = errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
routes:
  - {name: dots, match: {prefix: /a/../b}, auth: none}
  - {name: slashes, match: {path: //a}, auth: none}
  - {name: encoded, match: {path: /%61}, auth: none}
  - {name: param, match: {path: /a;x}, auth: none}
  - {name: fine, match: {prefix: /ok}, auth: none}
)");
  REQUIRE(errors.size() == 4);
  CHECK(errors[0].find("4:34: ") == 0);
  CHECK(errors[0].find("write it as '/b'") != std::string::npos);
  CHECK(errors[1].find("write it as '/a'") != std::string::npos);
  CHECK(errors[2].find("write it as '/a'") != std::string::npos);
  CHECK(errors[3].find("write it as '/a'") != std::string::npos);
}

TEST_CASE("a claim value must be a number a token can carry", "[config][routes]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  corp: {issuer: https://idp.example.test, jwks_file: /etc/jwks.json}
routes:
  - name: r
    match: {prefix: /}
    claims:
      level: {equals: 1e400}
      tier: {any: [1, -1e999]}
)") == Errors{
             "9:23: 'equals' '1e400' is outside the range of a number a token can carry",
             "10:23: each entry of 'any' '-1e999' is outside the range of a number a token can carry",
         });
}
