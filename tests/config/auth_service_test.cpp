// The `auth_service:` section and the route option `cors_preflight`.
#include <catch2/catch.hpp>

#include "tests/config/load_helpers.h"

using namespace jwt_sidecar::config;
using namespace jwt_sidecar::config::test;

namespace {

const std::string kBase = "listen: 127.0.0.1:8080\nupstream: http://127.0.0.1:8081\n";
const std::string kProvider = "providers:\n  corp: {issuer: https://i, jwks_file: /k.json}\n";

}  // namespace

TEST_CASE("config auth_service: listener, Envoy prefix, pinned dialect", "[config][auth_service]") {
  auto c = load_ok(kBase + "auth_service: {listen: 127.0.0.1:8090}\n");
  REQUIRE(c.auth_service);
  CHECK(c.auth_service->listen.port == 8090);
  CHECK_FALSE(c.auth_service->envoy_path_prefix);
  CHECK(c.auth_service->dialect == AuthServiceConfig::Dialect::any);
  c = load_ok(kBase + "auth_service: {listen: 127.0.0.1:0, envoy_path_prefix: /ext_authz/, dialect: envoy}\n");
  CHECK(c.auth_service->envoy_path_prefix == "/ext_authz");
  CHECK(c.auth_service->dialect == AuthServiceConfig::Dialect::envoy);
  CHECK(load_ok(kBase + "auth_service: {listen: 127.0.0.1:0, dialect: original}\n").auth_service->dialect ==
        AuthServiceConfig::Dialect::original);
}

TEST_CASE("config auth_service: mistakes are named at their position", "[config][auth_service]") {
  CHECK(errors_of(kBase + "auth_service: {}\n") == Errors{"3:15: missing required key 'listen' in 'auth_service'"});
  CHECK(errors_of(kBase + "auth_service: {listen: 127.0.0.1:0, envoy_path_prefix: /}\n") ==
        Errors{"3:56: 'envoy_path_prefix' must not be \"/\" (every check would be Envoy's)"});
  CHECK(errors_of(kBase + "auth_service: {listen: 127.0.0.1:0, dialect: envoy}\n") ==
        Errors{"3:46: 'dialect: envoy' needs 'envoy_path_prefix'"});
  CHECK(errors_of(kBase + "auth_service: {listen: 127.0.0.1:0, dialect: traefik}\n") ==
        Errors{"3:46: 'dialect' must be one of forwarded, original, envoy"});
  const auto bad_prefix = errors_of(kBase + "auth_service: {listen: 127.0.0.1:0, envoy_path_prefix: ext}\n");
  REQUIRE(bad_prefix.size() == 1);
  CHECK(bad_prefix[0].rfind("3:56: 'envoy_path_prefix' ", 0) == 0);
}

TEST_CASE("config routes: cors_preflight", "[config][auth_service]") {
  auto c = load_ok(kBase + kProvider + "routes:\n  - {name: api, match: {prefix: /api}, cors_preflight: allow}\n");
  CHECK(c.routes[0].cors_preflight_allow);
  c = load_ok(kBase + kProvider + "routes:\n  - {name: api, match: {prefix: /api}, cors_preflight: authenticate}\n");
  CHECK_FALSE(c.routes[0].cors_preflight_allow);
  CHECK(errors_of(kBase + kProvider + "routes:\n  - {name: api, match: {prefix: /api}, cors_preflight: yes}\n") ==
        Errors{"6:56: 'cors_preflight' must be one of allow, authenticate"});
  // On a route that takes no token, the option would do nothing: an error, as for claims.
  const auto none = errors_of(kBase + kProvider + "routes:\n  - {name: pub, match: {prefix: /p}, auth: none, cors_preflight: allow}\n");
  REQUIRE(none.size() == 1);
  CHECK(none[0].find("cannot have 'cors_preflight' with auth none") != std::string::npos);
}
