// Config reload against the real binary: SIGHUP and a changed file apply a new config without
// dropping connections; a bad one is refused with file:line:column and the old stays; fixed
// settings cannot change; fetched key sets survive; in-flight requests finish as they began.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <thread>

#include "tests/integration/fixture.h"
#include "tests/support/jwks_server.h"
#include "tests/support/tls_certs.h"

namespace jwt_sidecar::testing {
namespace {

double reloads(std::uint16_t admin_port, const std::string& result) {
  return metric(admin_port, "jwt_sidecar_config_reloads_total{result=\"" + result + "\"}").value_or(0);
}

// Rewrites the proxy's config file in one step, as a ConfigMap update does.
void rewrite(const std::string& path, const std::string& yaml) {
  const auto tmp = path + ".new";
  std::ofstream(tmp, std::ios::binary) << yaml;
  REQUIRE(std::rename(tmp.c_str(), path.c_str()) == 0);
}

std::string extra_route(const std::string& name, const std::string& prefix) {
  return "  - name: " + name + "\n    match: {prefix: " + prefix + "}\n    auth: none\n";
}

}  // namespace

TEST_CASE("reload: a changed config file applies; keep-alive connections stay", "[integration][reload]") {
  ProxyFixture f;
  const auto base = standard_config(f.upstream.port(), f.jwks_path);
  RawClient kept(f.port());
  REQUIRE(kept.send("GET /public/before HTTP/1.1\r\nHost: a\r\n\r\n"));
  const auto before = kept.read_response();
  REQUIRE(before);
  CHECK(before->status == 200);
  CHECK(http_request(f.port(), "GET", "/fresh/1")->status == 404);

  rewrite(f.proxy.config_path(), base + extra_route("fresh", "/fresh"));
  const auto line = f.proxy.process().wait_for_line("config reloaded");
  REQUIRE(line);
  CHECK(line->find("\"trigger\":\"file changed\"") != std::string::npos);

  CHECK(http_request(f.port(), "GET", "/fresh/1")->status == 200);
  // The connection opened before the reload carries on, under the new routes.
  REQUIRE(kept.send("GET /fresh/2 HTTP/1.1\r\nHost: a\r\n\r\n"));
  const auto after = kept.read_response();
  REQUIRE(after);
  CHECK(after->status == 200);
  CHECK(reloads(f.proxy.admin_port(), "success") == 1);
}

TEST_CASE("reload: a bad config is refused with file:line:column and the old one stays",
          "[integration][reload]") {
  ProxyFixture f;
  const auto base = standard_config(f.upstream.port(), f.jwks_path);
  rewrite(f.proxy.config_path(), base + "  - name: broken\n    match: {prefix: no-slash}\n");
  const auto line = f.proxy.process().wait_for_line("config reload failed");
  REQUIRE(line);
  // The YAML above puts the bad prefix on the last line; the log names file, line and column.
  CHECK(line->find(f.proxy.config_path() + ":") != std::string::npos);
  CHECK(line->find("'prefix' must start with '/'") != std::string::npos);
  CHECK(http_request(f.port(), "GET", "/public/x")->status == 200);
  CHECK(http_request(f.port(), "GET", "/orders/1", {{"Authorization", bearer(token())}})->status == 200);
  CHECK(reloads(f.proxy.admin_port(), "failure") == 1);
  CHECK(reloads(f.proxy.admin_port(), "success") == 0);

  // listen cannot change by reload: refused, naming the key.
  auto moved = base;
  moved.replace(moved.find("listen: 127.0.0.1:0"), 19, "listen: 127.0.0.1:1");
  rewrite(f.proxy.config_path(), moved);
  const auto refused = f.proxy.process().wait_for_line("config reload failed");
  REQUIRE(refused);
  CHECK(refused->find("'listen' cannot change on reload") != std::string::npos);
  CHECK(reloads(f.proxy.admin_port(), "failure") == 2);
  CHECK(http_request(f.port(), "GET", "/public/y")->status == 200);
}

TEST_CASE("reload: SIGHUP reloads the file", "[integration][reload]") {
  ProxyFixture f;
  f.proxy.process().signal(SIGHUP);
  const auto line = f.proxy.process().wait_for_line("config reloaded");
  REQUIRE(line);
  CHECK(line->find("\"trigger\":\"SIGHUP\"") != std::string::npos);
  CHECK(f.proxy.process().running());
  CHECK(http_request(f.port(), "GET", "/public/x")->status == 200);
}

TEST_CASE("reload: in-flight requests finish under the config they started with",
          "[integration][reload]") {
  ProxyFixture f;
  RawClient slow(f.port());
  REQUIRE(slow.send("GET /slow?ms=1500 HTTP/1.1\r\nHost: a\r\nAuthorization: " + bearer(token()) + "\r\n\r\n"));
  // The slow route disappears while the request is at the upstream.
  auto without_slow = standard_config(f.upstream.port(), f.jwks_path);
  without_slow.erase(without_slow.find("  - name: slow\n"), std::string("  - name: slow\n    match: {prefix: /slow}\n").size());
  while (f.upstream.request_count() == 0) std::this_thread::yield();
  rewrite(f.proxy.config_path(), without_slow);
  REQUIRE(f.proxy.process().wait_for_line("config reloaded"));
  const auto r = slow.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(http_request(f.port(), "GET", "/slow?ms=1", {{"Authorization", bearer(token())}})->status == 404);
}

TEST_CASE("reload: fetched key sets survive when their provider's key source is unchanged",
          "[integration][reload][jwks]") {
  TestCa ca;
  TempDir dir;
  const auto files = write_cert_files(dir, ca, ca.issue_localhost_cert());
  JwksServer idp(ca.issue_localhost_cert());
  idp.set_jwks(jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
  UpstreamServer upstream;
  const auto uri = idp.jwks_url();
  const auto config = [&](const std::string& audience, const std::string& ca_file) {
    return "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nthreads: 1\n"
           "upstream: http://127.0.0.1:" + std::to_string(upstream.port()) + "\n"
           "providers:\n  corp:\n    issuer: " + std::string(kIssuer) + "\n    audiences: [" + audience + "]\n"
           "    jwks_uri: " + uri + "\n    ca_file: " + ca_file + "\n"
           "routes:\n  - name: orders\n    match: {prefix: /orders}\n";
  };
  ProxyProcess proxy(config("orders-api", files.ca_file));
  REQUIRE(proxy.process().wait_for_line("keys loaded"));
  CHECK(http_request(proxy.port(), "GET", "/orders/1", {{"Authorization", bearer(token())}})->status == 200);
  const auto fetches = idp.fetch_count();

  // The IdP goes down; a reload that changes the audience keeps the keys: no 503, no refetch.
  idp.set_mode(JwksServer::Mode::status_500);
  rewrite(proxy.config_path(), config("billing-api", files.ca_file));
  REQUIRE(proxy.process().wait_for_line("config reloaded"));
  CHECK(idp.fetch_count() == fetches);
  const auto billing = token(R"("scope":"x")", "billing-api");
  CHECK(http_request(proxy.port(), "GET", "/orders/2", {{"Authorization", bearer(billing)}})->status == 200);
  CHECK(http_request(proxy.port(), "GET", "/orders/3", {{"Authorization", bearer(token())}})->status == 401);

  // A changed key source (here its CA file) starts over: no keys until the (failing) IdP answers.
  const auto same_ca_elsewhere = dir.write("ca-copy.pem", ca.cert_pem());
  rewrite(proxy.config_path(), config("billing-api", same_ca_elsewhere));
  REQUIRE(proxy.process().wait_for_line("config reloaded"));
  CHECK(http_request(proxy.port(), "GET", "/orders/4", {{"Authorization", bearer(billing)}})->status == 503);
}

TEST_CASE("drain: /readyz answers 503 draining while in-flight requests finish", "[integration][reload]") {
  ProxyFixture f;
  RawClient slow(f.port());
  REQUIRE(slow.send("GET /slow?ms=1500 HTTP/1.1\r\nHost: a\r\nAuthorization: " + bearer(token()) + "\r\n\r\n"));
  while (f.upstream.request_count() == 0) std::this_thread::yield();
  RawClient admin(f.proxy.admin_port());
  f.proxy.process().signal(SIGTERM);
  REQUIRE(f.proxy.process().wait_for_line("draining"));
  REQUIRE(admin.send("GET /readyz HTTP/1.1\r\nHost: a\r\n\r\n"));
  const auto ready = admin.read_response();
  REQUIRE(ready);
  CHECK(ready->status == 503);
  CHECK(ready->body.find("draining") != std::string::npos);
  const auto r = slow.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(f.proxy.process().wait(std::chrono::seconds(20)) == 0);
}

TEST_CASE("reload: two reloads with an idle worker, then a cached token, round after round",
          "[integration][reload]") {
  // One worker, the token cache on: the Runtime of the second reload may be allocated where the
  // first one was freed. The worker must still see a new config (a generation, not an address)
  // and drop the entries that point into the freed one's providers.
  ProxyFixture f;
  const auto t = token();
  REQUIRE(http_request(f.port(), "GET", "/orders/1", {{"Authorization", bearer(t)}})->status == 200);
  for (int round = 0; round < 20; ++round) {
    INFO(round);
    for (int i = 0; i < 2; ++i) {
      f.proxy.process().signal(SIGHUP);  // the same file: a new Runtime all the same
      REQUIRE(f.proxy.process().wait_for_line("config reloaded"));
    }
    const auto r = http_request(f.port(), "GET", "/orders/1", {{"Authorization", bearer(t)}});
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  CHECK(f.upstream.requests().back().header("x-user-id") == "alice");
  CHECK(f.proxy.process().running());
}

}  // namespace jwt_sidecar::testing
