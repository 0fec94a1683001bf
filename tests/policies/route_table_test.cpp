#include "policies/route_table.h"

#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "common/path.h"

using namespace jwt_sidecar;
using namespace jwt_sidecar::policies;
using namespace jwt_sidecar::common;

namespace {

// Default member initialisers keep -Wmissing-field-initializers quiet for designated inits.
struct R {
  std::string name = {};
  std::optional<std::string> path = {}, prefix = {}, host = {};
  std::vector<std::string> methods = {};
};

config::Route route(const R& r) {
  config::Route out;
  out.name = r.name;
  out.match.path = r.path;
  out.match.prefix = r.prefix;
  out.match.host = r.host;
  out.match.methods = r.methods;
  out.mark = {"routes.yaml", 3, 5};
  return out;
}

RouteTable compile(const std::vector<R>& list) {
  std::vector<config::Route> routes;
  for (const auto& r : list) routes.push_back(route(r));
  return RouteTable::compile(routes);
}

// The name of the route chosen by both lookups (checked to agree), or "-" for none.
std::string pick(const RouteTable& table, std::string_view method, std::string_view host,
                 std::string_view path) {
  const auto* indexed = table.match(method, host, path);
  const auto* linear = table.match_linear(method, host, path);
  CHECK(indexed == linear);
  return indexed ? indexed->name : "-";
}

std::string pick(const RouteTable& table, std::string_view path) {
  return pick(table, "GET", "api.example.test", path);
}

}  // namespace

TEST_CASE("exact paths match only themselves", "[routes]") {
  const auto t = compile({{.name = "admin", .path = "/admin"}});
  CHECK(pick(t, "/admin") == "admin");
  CHECK(pick(t, "/admin/") == "-");
  CHECK(pick(t, "/admin/x") == "-");
  CHECK(pick(t, "/ADMIN") == "-");
  CHECK(pick(t, "/adminx") == "-");
}

TEST_CASE("prefixes are segment-aware", "[routes]") {
  const auto t = compile({{.name = "orders", .prefix = "/orders"}});
  CHECK(pick(t, "/orders") == "orders");
  CHECK(pick(t, "/orders/") == "orders");
  CHECK(pick(t, "/orders/1") == "orders");
  CHECK(pick(t, "/orders/1/items") == "orders");
  CHECK(pick(t, "/ordersX") == "-");
  CHECK(pick(t, "/order") == "-");
  CHECK(pick(t, "/") == "-");
}

TEST_CASE("a prefix with a trailing slash needs it", "[routes]") {
  const auto t = compile({{.name = "api", .prefix = "/api/"}});
  CHECK(pick(t, "/api/") == "api");
  CHECK(pick(t, "/api/x") == "api");
  CHECK(pick(t, "/api") == "-");
  CHECK(pick(t, "/apix") == "-");
}

TEST_CASE("prefix / and a route without a path match everything", "[routes]") {
  const auto root = compile({{.name = "root", .prefix = "/"}});
  const auto any = compile({{.name = "any"}});
  for (const char* p : {"/", "/a", "/a/b/", "/ordersX"}) {
    CHECK(pick(root, p) == "root");
    CHECK(pick(any, p) == "any");
  }
}

TEST_CASE("first match wins", "[routes]") {
  const auto t = compile({{.name = "public", .prefix = "/public"},
                          {.name = "orders-read", .prefix = "/orders", .methods = {"GET", "HEAD"}},
                          {.name = "orders-1", .path = "/orders/1"},
                          {.name = "admin", .path = "/admin", .host = "api.example.test"},
                          {.name = "catch-all", .prefix = "/"}});
  CHECK(pick(t, "/public/x") == "public");
  CHECK(pick(t, "GET", "h", "/orders/1") == "orders-read");
  CHECK(pick(t, "POST", "h", "/orders/1") == "orders-1");
  CHECK(pick(t, "POST", "h", "/orders/2") == "catch-all");
  CHECK(pick(t, "GET", "api.example.test", "/admin") == "admin");
  CHECK(pick(t, "GET", "other.example.test", "/admin") == "catch-all");
}

TEST_CASE("methods are exact and case-sensitive", "[routes]") {
  const auto t = compile({{.name = "read", .prefix = "/", .methods = {"GET", "HEAD"}}});
  CHECK(pick(t, "GET", "h", "/") == "read");
  CHECK(pick(t, "HEAD", "h", "/") == "read");
  CHECK(pick(t, "get", "h", "/") == "-");
  CHECK(pick(t, "POST", "h", "/") == "-");
  CHECK(pick(t, "GETX", "h", "/") == "-");
}

TEST_CASE("hosts ignore case, port and a trailing dot", "[routes]") {
  const auto t = compile({{.name = "api", .prefix = "/", .host = "api.example.test"},
                          {.name = "v6", .prefix = "/", .host = "[::1]"}});
  CHECK(pick(t, "GET", "api.example.test", "/") == "api");
  CHECK(pick(t, "GET", "API.Example.TEST", "/") == "api");
  CHECK(pick(t, "GET", "api.example.test:8443", "/") == "api");
  CHECK(pick(t, "GET", "API.example.test.:443", "/") == "api");
  CHECK(pick(t, "GET", "api.example.test.", "/") == "api");
  CHECK(pick(t, "GET", "api.example.test..", "/") == "-");
  CHECK(pick(t, "GET", "xapi.example.test", "/") == "-");
  CHECK(pick(t, "GET", "api.example.test.evil", "/") == "-");
  CHECK(pick(t, "GET", "", "/") == "-");
  CHECK(pick(t, "GET", "[::1]:8080", "/") == "v6");
  CHECK(pick(t, "GET", "[::1]", "/") == "v6");
}

TEST_CASE("host names are taken apart without allocating", "[routes]") {
  CHECK(host_name_of("a.test") == "a.test");
  CHECK(host_name_of("a.test:80") == "a.test");
  CHECK(host_name_of("A.test.:80") == "A.test");
  CHECK(host_name_of("[::1]:80") == "[::1]");
  CHECK(host_name_of("[::1]") == "[::1]");
  CHECK(host_name_of("") == "");
}

TEST_CASE("prefix_covers is segment-aware", "[routes]") {
  CHECK(prefix_covers("/orders", "/orders"));
  CHECK(prefix_covers("/orders", "/orders/"));
  CHECK_FALSE(prefix_covers("/orders", "/ordersX"));
  CHECK(prefix_covers("/", "/x"));
  CHECK(prefix_covers("/api/", "/api/"));
  CHECK_FALSE(prefix_covers("/api/", "/api"));
}

TEST_CASE("routes match on the normalised path", "[routes]") {
  const auto t =
      compile({{.name = "admin", .path = "/admin"}, {.name = "public", .prefix = "/public"}});
  NormalizedTarget target;
  for (const char* raw :
       {"/public/../admin", "//admin", "/%61dmin", "/admin;x", "/public/..;/admin"}) {
    REQUIRE(normalize_target(raw, target) == TargetError::none);
    CHECK(pick(t, target.match_path) == "admin");
  }
}

TEST_CASE("a compiled route carries what the proxy needs", "[routes]") {
  config::Route r = route({.name = "orders", .prefix = "/orders"});
  r.auth = config::AuthMode::optional;
  r.providers = {"corp"};
  config::ClaimRequirement scope;
  scope.claim = "scope";
  scope.op = config::ClaimRequirement::Op::all;
  scope.values.push_back(config::Scalar{config::Scalar::Kind::string, "orders:read", false, 0});
  r.claims = {scope};
  r.upstream = config::Url{"http", "orders", 8080, "", "http://orders:8080", {}, {}};
  const auto table = RouteTable::compile({route({.name = "first", .path = "/x"}), r});
  const auto* t = &table;
  const auto* c = t->match("GET", "h", "/orders/1");
  REQUIRE(c);
  CHECK(c->index == 1);
  CHECK(c->name == "orders");
  CHECK(c->auth == config::AuthMode::optional);
  CHECK(c->providers == std::vector<std::string>{"corp"});
  CHECK(c->claims.size() == 1);
  CHECK(c->claims.claim(0) == "scope");
  REQUIRE(c->upstream);
  CHECK(c->upstream->host == "orders");
  CHECK(c->path_match == PathMatch::prefix);
  CHECK(c->path == "/orders");
  CHECK(t->routes().size() == 2);
  CHECK(t->routes()[0].upstream == std::nullopt);
}

TEST_CASE("an empty table matches nothing", "[routes]") {
  const auto t = compile({});
  CHECK(t.match("GET", "h", "/") == nullptr);
}

TEST_CASE("indexed lookup agrees with a linear scan over random routes", "[routes]") {
  std::mt19937 rng(20240611);
  const std::vector<std::string> words = {"a", "b", "api", "orders", "v1", "x"};
  const std::vector<std::string> methods = {"GET", "POST", "DELETE"};
  const std::vector<std::string> hosts = {"a.test", "b.test"};
  auto pick_one = [&](const auto& v) { return v[rng() % v.size()]; };
  auto random_path = [&](bool trailing) {
    std::string p;
    const auto n = rng() % 4;
    for (unsigned i = 0; i < n; ++i) p += "/" + pick_one(words);
    if (p.empty() || trailing) p += "/";
    return p;
  };

  int matched = 0, unmatched = 0;
  for (int round = 0; round < 20; ++round) {
    std::vector<R> list;
    const auto count = 1 + rng() % 400;
    for (unsigned i = 0; i < count; ++i) {
      R r{.name = "r" + std::to_string(i)};
      switch (rng() % 5) {
        case 0: r.path = random_path(rng() % 4 == 0); break;
        case 1: case 2: r.prefix = random_path(rng() % 4 == 0); break;
        case 3: break;  // any path: rare routes that come late in real configs
        default: r.prefix = "/"; break;
      }
      if (rng() % 3 == 0) r.methods = {pick_one(methods)};
      if (rng() % 3 == 0) r.host = pick_one(hosts);
      if (round % 2 == 0) {
        // Half the rounds have no catch-all, so that misses are exercised too.
        if (!r.path && !r.prefix) r.path = random_path(false);
        if (r.prefix && *r.prefix == "/") r.prefix = random_path(false) + pick_one(words);
      }
      list.push_back(r);
    }
    const auto t = compile(list);
    for (int q = 0; q < 500; ++q) {
      const auto path = random_path(rng() % 3 == 0) + (rng() % 5 == 0 ? "z" : "");
      const auto method = pick_one(methods);
      auto host = pick_one(hosts) + (rng() % 5 == 0 ? "." : "") + (rng() % 4 == 0 ? ":8080" : "");
      if (rng() % 3 == 0) host[0] = static_cast<char>(host[0] - 'a' + 'A');  // hosts ignore case
      const auto* indexed = t.match(method, host, path);
      const auto* linear = t.match_linear(method, host, path);
      INFO(method << " " << host << " " << path);
      REQUIRE(indexed == linear);
      ++(indexed ? matched : unmatched);
    }
  }
  // Both outcomes must be well represented, or the comparison proves little.
  CHECK(matched > 2000);
  CHECK(unmatched > 500);
}

TEST_CASE("ten thousand routes: the last ones are still found", "[routes]") {
  std::vector<R> list;
  for (int i = 0; i < 5000; ++i) {
    const auto n = std::to_string(i);
    list.push_back({.name = "exact" + n, .path = "/svc" + n + "/x"});
    list.push_back({.name = "prefix" + n, .prefix = "/svc" + n});
  }
  list.push_back({.name = "fallback", .prefix = "/"});
  const auto t = compile(list);
  CHECK(pick(t, "/svc4999/x") == "exact4999");
  CHECK(pick(t, "/svc4999/x/y") == "prefix4999");
  CHECK(pick(t, "/svc4999") == "prefix4999");
  CHECK(pick(t, "/svc5000") == "fallback");
  CHECK(t.match("GET", "h", "/svc0/x")->index == 0);
}
