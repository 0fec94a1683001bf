// Real front proxies asking the auth service, with the configs the docs give
// (deploy/auth-service/nginx.conf and Caddyfile, placeholders filled in here): nginx
// auth_request and Caddy forward_auth, each started on free loopback ports with its own files.
// What reaches the upstream, and what the client gets, for allowed, missing, bad and
// insufficient tokens, path-bypass attempts and a client's spoofed dialect headers.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tests/integration/fixture.h"

using namespace jwt_sidecar::testing;

namespace {

std::string sidecar_config(const std::string& jwks_path) {
  return "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nthreads: 1\nupstream: http://127.0.0.1:9\n"
         "auth_service: {listen: 127.0.0.1:0}\n"
         "providers:\n  corp:\n    issuer: " + std::string(kIssuer) + "\n    audiences: [orders-api]\n"
         "    jwks_file: " + jwks_path + "\n    forward_claims: {sub: x-user-id, email: x-user-email}\n"
         "routes:\n"
         "  - {name: public, match: {prefix: /public}, auth: none}\n"
         "  - {name: orders-read, match: {prefix: /orders, methods: [GET, HEAD]}, claims: {scope: {all: [orders:read]}}}\n"
         "  - {name: orders-write, match: {prefix: /orders}, claims: {scope: {all: [orders:write]}}}\n";
}

std::string fill(std::string text, const std::vector<std::pair<std::string, std::string>>& values) {
  for (const auto& [key, value] : values) {
    for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size())) {
      text.replace(at, key.size(), value);
    }
  }
  return text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The sidecar with its auth service, the upstream, and a front proxy started by `start`.
struct Front {
  TempDir dir;
  UpstreamServer upstream;
  std::string jwks_path = dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
  ProxyProcess sidecar{sidecar_config(jwks_path)};
  std::uint16_t port = free_port();
  std::unique_ptr<Process> proxy;

  std::vector<std::pair<std::string, std::string>> placeholders() const {
    return {{"@LISTEN_PORT@", std::to_string(port)},
            {"@AUTH_PORT@", std::to_string(sidecar.auth_port())},
            {"@UPSTREAM_PORT@", std::to_string(upstream.port())},
            {"@DIR@", dir.path()},
            {"@USER@", geteuid() == 0 ? "user root root;" : ""}};
  }
  void wait_until_serving() {
    const bool up = eventually([&] {
      try {
        return http_request(port, "GET", "/public/up").has_value();
      } catch (const std::exception&) {
        return false;
      }
    });
    if (!up) FAIL("the front proxy did not start: " + proxy->stderr_text());
  }
};

void start_nginx(Front& f) {
  const auto conf = f.dir.write("nginx.conf", fill(read_text(test_data("../../deploy/auth-service/nginx.conf")), f.placeholders()));
  // One process (no master and workers): killed, it leaves no worker holding the test's pipes.
  f.proxy = std::make_unique<Process>("/usr/sbin/nginx", std::vector<std::string>{"-p", f.dir.path(), "-e", f.dir.path() + "/error.log",
                                                                                  "-c", conf, "-g", "daemon off; master_process off;"});
  f.wait_until_serving();
}

void start_caddy(Front& f) {
  const auto conf = f.dir.write("Caddyfile", fill(read_text(test_data("../../deploy/auth-service/Caddyfile")), f.placeholders()));
  const auto& d = f.dir.path();
  f.proxy = std::make_unique<Process>(
      "/usr/bin/caddy", std::vector<std::string>{"run", "--config", conf, "--adapter", "caddyfile"},
      Process::LineFilter{}, std::vector<std::string>{"HOME=" + d, "XDG_CONFIG_HOME=" + d, "XDG_DATA_HOME=" + d});
  f.wait_until_serving();
}

// The cases every front proxy must get right.
void check_front(Front& f, const std::string& name) {
  INFO(name);
  const auto t = token();  // sub alice, scope orders:read
  // Allowed: the upstream gets the request with the claim headers the front proxy copied.
  auto r = http_request(f.port, "GET", "/orders/1", {{"Authorization", bearer(t)}});
  REQUIRE(r);
  CHECK(r->status == 200);
  auto seen = f.upstream.requests();
  REQUIRE(seen.size() == 2);  // the readiness probe of /public/up, then this one
  CHECK(seen.back().target == "/orders/1");
  CHECK(seen.back().header("X-User-Id") == "alice");
  CHECK(seen.back().header("X-User-Email") == "alice@example.test");
  // No token: 401 with the challenge.
  r = http_request(f.port, "GET", "/orders/1");
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(r->header("WWW-Authenticate").find("Bearer realm=\"jwt-sidecar\"") != std::string::npos);
  // A bad token: 401 invalid_token, the token never echoed.
  const auto forged = t + "x";
  r = http_request(f.port, "GET", "/orders/1", {{"Authorization", bearer(forged)}});
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(r->header("WWW-Authenticate").find("error=\"invalid_token\"") != std::string::npos);
  CHECK(r->body.find(forged) == std::string::npos);
  // The token may read, not delete: 403.
  r = http_request(f.port, "DELETE", "/orders/1", {{"Authorization", bearer(t)}});
  REQUIRE(r);
  CHECK(r->status == 403);
  // Path bypasses are judged on the normalised path (/orders/1: a token is needed). An
  // encoded slash is refused (400; nginx turns any code but 401/403 into 500).
  for (const char* bypass : {"/public/../orders/1", "/public/%2e%2e/orders/1", "/public/%2E%2E/orders/1",
                             "/public%2F..%2Forders/1"}) {
    INFO(bypass);
    RawClient c(f.port);
    REQUIRE(c.send(std::string("GET ") + bypass + " HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n"));
    const auto answer = c.read_response();
    REQUIRE(answer);
    CHECK(answer->status != 200);
    CHECK((answer->status == 401 || answer->status == 400 || answer->status == 500));
  }
  // A client's own dialect headers cannot change what is judged.
  r = http_request(f.port, "GET", "/orders/1",
                   {{"X-Forwarded-Uri", "/public/x"}, {"X-Forwarded-Method", "GET"},
                    {"X-Original-URI", "/public/x"}, {"X-Original-Method", "GET"}, {"X-Original-URL", "http://h/public/x"}});
  REQUIRE(r);
  CHECK(r->status != 200);
  // Nothing refused ever reached the upstream.
  CHECK(f.upstream.requests().size() == 2);
  // A client's own claim header never survives, not even where the route takes no token: the
  // check answers every claim header (empty here), and the front proxy copies that.
  r = http_request(f.port, "GET", "/public/x", {{"X-User-Id", "mallory"}, {"X-User-Email", "m@evil.example"}});
  REQUIRE(r);
  CHECK(r->status == 200);
  seen = f.upstream.requests();
  REQUIRE(seen.size() == 3);
  CHECK(seen.back().header("X-User-Id").empty());
  CHECK(seen.back().header("X-User-Email").empty());
}

}  // namespace

TEST_CASE("auth service behind nginx auth_request (deploy/auth-service/nginx.conf)",
          "[integration][auth_service][nginx]") {
  if (access("/usr/sbin/nginx", X_OK) != 0) FAIL("nginx is not installed: run deploy/install-deps.sh");
  Front f;
  start_nginx(f);
  check_front(f, "nginx");
}

TEST_CASE("auth service behind Caddy forward_auth (deploy/auth-service/Caddyfile)",
          "[integration][auth_service][caddy]") {
  if (access("/usr/bin/caddy", X_OK) != 0) FAIL("caddy is not installed: run deploy/install-deps.sh");
  Front f;
  start_caddy(f);
  check_front(f, "caddy");
  // Caddy passes the auth service's own answer on: the JSON body and its reason.
  const auto r = http_request(f.port, "GET", "/orders/1");
  REQUIRE(r);
  CHECK(r->body.find("\"error_description\":\"token_missing\"") != std::string::npos);
}
