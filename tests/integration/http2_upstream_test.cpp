// h2c:// upstreams (tests/support/h2/h2_upstream.py, on python3-h2): multiplexing within the
// upstream's SETTINGS_MAX_CONCURRENT_STREAMS, a GOAWAY's unprocessed stream retried once,
// trailers relayed, HTTP/1.1 clients translated to HTTP/2, and idle client connections ended
// with GOAWAY.
#include <catch2/catch.hpp>

#include "tests/integration/fixture.h"
#include "tests/integration/http2_support.h"
#include "tests/support/tls_certs.h"

using namespace jwt_sidecar::testing;

namespace {

std::string h2c_config(std::uint16_t upstream_port, const std::string& jwks_path, const std::string& extra = "") {
  return "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nthreads: 1\n"
         "upstream: h2c://127.0.0.1:" + std::to_string(upstream_port) + "\n" + extra +
         "providers:\n  corp:\n    issuer: " + std::string(kIssuer) + "\n    audiences: [orders-api]\n"
         "    jwks_file: " + jwks_path + "\n    forward_claims: {sub: x-user-id}\n"
         "routes:\n  - {name: public, match: {prefix: /public}, auth: none}\n"
         "  - {name: orders, match: {prefix: /orders}}\n";
}

struct H2cFixture {
  explicit H2cFixture(std::vector<std::string> upstream_args = {}, const std::string& extra = "")
      : upstream("h2_upstream.py", std::move(upstream_args)),
        jwks_path(dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}))),
        proxy(h2c_config(upstream.port(), jwks_path, extra)) {}
  TempDir dir;
  ToolServer upstream;
  std::string jwks_path;
  ProxyProcess proxy;
};

}  // namespace

TEST_CASE("h2c upstream: responses and trailers relayed; HTTP/1.1 clients are translated", "[integration][http2]") {
  H2cFixture f;
  const auto r = run_tool("/usr/bin/nghttp", {"-v", h2c_url(f.proxy.port(), "/public/t")});
  CHECK(has(r.output, ":status: 200"));
  CHECK(has(r.output, "x-upstream-trailer: done"));
  CHECK(has(r.output, "ok 1"));
  CHECK(f.upstream.count_when("request 1 /public/t", 1) == 1);

  // An HTTP/1.1 client, the same upstream: one HTTP/2 stream per request.
  const auto t = token();
  const auto h1 = http_request(f.proxy.port(), "GET", "/orders/9", {{"Authorization", bearer(t)}});
  REQUIRE(h1);
  CHECK(h1->status == 200);
  CHECK(h1->body == "ok 1");
  CHECK(f.upstream.count_when("request 1 /orders/9", 1) == 1);
  const auto post = http_request(f.proxy.port(), "POST", "/orders/9", {{"Authorization", bearer(t)}}, std::string(100000, 'p'));
  REQUIRE(post);
  CHECK(post->status == 200);
  const auto denied = http_request(f.proxy.port(), "GET", "/orders/10");
  REQUIRE(denied);
  CHECK(denied->status == 401);
  CHECK(f.upstream.count("request 1 /orders/10") == 0);
}

TEST_CASE("h2c upstream: its stream limit is honoured", "[integration][http2]") {
  H2cFixture f({"--max-streams", "2", "--delay-ms", "200"});
  const auto r = run_tool("/usr/bin/nghttp", {"-n", "-m", "12", h2c_url(f.proxy.port(), "/public/many")});
  CHECK(r.exit_code == 0);
  const auto done = [&] {
    std::size_t n = 0;
    for (int c = 1; c <= 4; ++c) n += f.upstream.count("request " + std::to_string(c) + " /public/many");
    return n;
  };
  CHECK(eventually([&] { return done() == 12; }));  // the server's output is read on another thread
  CHECK(done() == 12);
  CHECK(f.upstream.count("concurrent 3") == 0);  // never more than 2 open on one connection
}

TEST_CASE("h2c upstream: a GOAWAY's unprocessed stream is retried once on a new connection", "[integration][http2]") {
  H2cFixture f({"--goaway-first"});
  const auto r = curl_h2(f.proxy.port(), "/public/retry");
  CHECK(r.status == 200);
  CHECK(has(r.output, "ok 2"));
  CHECK(f.upstream.count_when("request 2 /public/retry", 1) == 1);
}

TEST_CASE("h2: an idle client connection ends with GOAWAY NO_ERROR", "[integration][http2]") {
  ProxyFixture f("limits: {idle_timeout: 1s}\n");
  const auto report = h2_attack(f.port(), "settings_flood", {"--count", "0", "--deadline", "8"});
  INFO(report);
  CHECK(has(report, R"("goaway": true)"));
  CHECK(has(report, R"("error_code": 0)"));
  CHECK(has(report, R"("closed": true)"));
}

TEST_CASE("https upstream: HTTP/2 when ALPN picks h2, for HTTP/2 and HTTP/1.1 clients", "[integration][http2][tls]") {
  TestCa ca("h2 upstream CA");
  TempDir certs;
  const auto files = write_cert_files(certs, ca, ca.issue_localhost_cert());
  ToolServer upstream("h2_upstream.py", {"--cert", files.cert_file, "--key", files.key_file});
  TempDir dir;
  const auto jwks = dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
  auto config = h2c_config(upstream.port(), jwks);
  const auto at = config.find("upstream: ");
  config.replace(at, config.find('\n', at) - at,
                 "upstream: {url: https://localhost:" + std::to_string(upstream.port()) + ", ca_file: " + files.ca_file + "}");
  ProxyProcess proxy(config);
  const auto h2 = curl_h2(proxy.port(), "/public/alpn");
  CHECK(h2.status == 200);
  CHECK(has(h2.output, "ok 1"));
  const auto h1 = http_request(proxy.port(), "GET", "/public/alpn-h1");
  REQUIRE(h1);
  CHECK(h1->status == 200);
  CHECK(h1->body == "ok 1");  // the same multiplexed upstream connection
  CHECK(upstream.count_when("request 1 /public/alpn", 1) == 1);
  CHECK(upstream.count_when("request 1 /public/alpn-h1", 1) == 1);
}
